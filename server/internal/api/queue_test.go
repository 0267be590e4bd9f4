package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/sdk/worker"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// fakeClock is the engine's clock in a test: it moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestQueueFiguresOverTheAPI runs real workers (sdk/worker) in two domains
// against a server on Badger on disk whose engine has a fake clock, then
// reads the queue figures and the overview over Connect, gRPC and REST,
// Conductor's queue endpoints included, and sends bad requests.
func TestQueueFiguresOverTheAPI(t *testing.T) {
	t.Parallel()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	clk := &fakeClock{now: time.Date(2026, 5, 6, 7, 8, 30, 0, time.UTC)}
	env := setupWith(t, engine.Config{Store: st, Clock: clk.Now}, api.Options{})
	ctx := testContext(t)
	c := client.New(env.url)
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: "resize", ResponseTimeoutSeconds: new(int64(30))}))
	_, err = c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "thumb", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "resize", TaskReferenceName: "resize", Type: workflow.TypeSimple},
	}}, true, false)
	require.NoError(t, err)
	startIn := func(domain string) string {
		t.Helper()
		req := &workflow.StartRequest{Name: "thumb"}
		if domain != "" {
			req.TaskToDomain = map[string]string{"resize": domain}
		}
		id, err := c.StartWorkflow(ctx, req)
		require.NoError(t, err)
		return id
	}

	// Two workers, one per domain, run five workflows.
	wctx, stop := context.WithCancel(ctx)
	var running sync.WaitGroup
	for _, w := range []struct{ id, domain string }{{"w-plain", ""}, {"w-blue", "blue"}} {
		wk := worker.New(worker.Options{Client: c, WorkerID: w.id, Domain: w.domain, PollWait: time.Second})
		wk.Handle("resize", func(context.Context, *workflow.Task) (map[string]any, error) { return map[string]any{"ok": true}, nil })
		running.Add(1)
		go func() {
			defer running.Done()
			_ = wk.Run(wctx)
		}()
	}
	for range 3 {
		startIn("")
	}
	for range 2 {
		startIn("blue")
	}
	require.Eventually(t, func() bool {
		o, err := c.Overview(ctx, 0)
		require.NoError(t, err)
		return o.Counts[workflow.StatusCompleted] == 5
	}, 20*time.Second, 10*time.Millisecond)
	stop()
	running.Wait()

	qs, err := c.Queues(ctx, "resize")
	require.NoError(t, err)
	require.Len(t, qs, 2)
	plain, blue := qs[0], qs[1]
	require.Equal(t, "", plain.Domain)
	require.Equal(t, "blue", blue.Domain)
	for _, q := range []struct {
		q    *client.Queue
		done int
	}{{plain, 3}, {blue, 2}} {
		require.Zero(t, q.q.Depth)
		require.Zero(t, q.q.InFlight)
		require.InDelta(t, float64(q.done)/60, q.q.HandedOutPerSecond, 1e-9)
		require.InDelta(t, float64(q.done)/60, q.q.CompletedPerSecond, 1e-9)
		require.Zero(t, q.q.FailedPerSecond)
		require.Positive(t, q.q.PollsPerSecond)
		require.Equal(t, 1, q.q.Workers)
		require.True(t, clk.Now().Equal(q.q.LastPoll), "every poll at the fake now")
	}
	q, workers, err := c.Queue(ctx, "resize", "blue")
	require.NoError(t, err)
	require.Equal(t, blue, q)
	require.Len(t, workers, 1)
	require.Equal(t, "w-blue", workers[0].WorkerID)
	require.Equal(t, "blue", workers[0].Domain)
	require.Positive(t, workers[0].PollsLastMinute)

	// With no worker, tasks wait: two now, one 5 s later.
	startIn("")
	startIn("")
	clk.Add(5 * time.Second)
	startIn("")
	clk.Add(2 * time.Second)

	// Connect and gRPC read the same figures.
	for _, tc := range []struct {
		name string
		hc   *http.Client
		opts []connect.ClientOption
	}{{"connect", env.h1, []connect.ClientOption{connect.WithProtoJSON()}}, {"grpc", env.h2c, []connect.ClientOption{connect.WithGRPC()}}} {
		qc := batonv1connect.NewQueueServiceClient(tc.hc, env.url, tc.opts...)
		res, err := qc.GetQueue(ctx, connect.NewRequest(&batonv1.GetQueueRequest{TaskType: "resize"}))
		require.NoError(t, err, tc.name)
		require.Equal(t, int64(3), res.Msg.GetQueue().GetDepth(), tc.name)
		require.Equal(t, int64(7000), res.Msg.GetQueue().GetOldestWaitingMs(), tc.name)
		require.Equal(t, "w-plain", res.Msg.GetWorkers()[0].GetWorkerId(), tc.name)
		o, err := qc.GetOverview(ctx, connect.NewRequest(&batonv1.GetOverviewRequest{Busiest: 5}))
		require.NoError(t, err, tc.name)
		n := o.Msg.GetCounts()
		require.Equal(t, []int64{3, 0, 5, 0, 0, 0}, []int64{n.GetRunning(), n.GetPaused(), n.GetCompleted(), n.GetFailed(), n.GetTimedOut(), n.GetTerminated()}, tc.name)
		var started, completed int64
		for _, p := range o.Msg.GetPerMinute() {
			started += p.GetStarted()
			completed += p.GetCompleted()
		}
		require.Equal(t, int64(8), started, tc.name)
		require.Equal(t, int64(5), completed, tc.name)
		require.Len(t, o.Msg.GetPerSecond(), 60, tc.name)
		require.Len(t, o.Msg.GetBusiestByDepth(), 1, tc.name)
		require.Equal(t, "resize", o.Msg.GetBusiestByAge()[0].GetTaskType(), tc.name)

		_, err = qc.GetQueue(ctx, connect.NewRequest(&batonv1.GetQueueRequest{}))
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), tc.name)
		require.ErrorContains(t, err, "task type of the queue is required")
		_, err = qc.GetOverview(ctx, connect.NewRequest(&batonv1.GetOverviewRequest{Busiest: 101}))
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), tc.name)
	}

	// REST for autoscalers, in the engine's JSON shapes.
	var list []engine.QueueStats
	env.mustREST(t, restCall{method: "GET", path: "/api/queues"}).json(t, &list)
	require.Len(t, list, 2)
	require.Equal(t, 3, list[0].Depth)
	require.Equal(t, int64(7000), list[0].OldestWaitingMs)
	var detail engine.QueueDetail
	env.mustREST(t, restCall{method: "GET", path: "/api/queues/resize?domain=blue"}).json(t, &detail)
	require.Equal(t, "blue", detail.Domain)
	require.Len(t, detail.WorkerStats, 1)
	var o engine.Overview
	env.mustREST(t, restCall{method: "GET", path: "/api/overview?busiest=1"}).json(t, &o)
	require.Equal(t, int64(3), o.Counts[workflow.StatusRunning])
	require.Len(t, o.BusiestByDepth, 1)

	// Conductor's queue endpoints.
	var sizes map[string]int
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/all"}).json(t, &sizes)
	require.Equal(t, map[string]int{"resize": 3, "blue:resize": 0}, sizes)
	var verbose map[string]map[string]map[string]int
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/all/verbose"}).json(t, &verbose)
	require.Equal(t, map[string]int{"size": 3, "uacked": 0}, verbose["resize"]["a"])
	var size int
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/size?taskType=resize"}).json(t, &size)
	require.Equal(t, 3, size)
	var typeSizes map[string]int
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/sizes?taskType=resize"}).json(t, &typeSizes)
	require.Equal(t, map[string]int{"resize": 3}, typeSizes)
	var polls []engine.PollData
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/polldata/all"}).json(t, &polls)
	require.Len(t, polls, 2)

	// Bad input is refused with what to do.
	body := requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/overview?busiest=1000"}), http.StatusBadRequest, "INVALID_INPUT")
	require.Contains(t, body["message"], "busiest must be between 0")
	requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/overview?busiest=many"}), http.StatusBadRequest, "INVALID_INPUT")
	requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/tasks/queue/size"}), http.StatusBadRequest, "INVALID_INPUT")
	requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/queues/resize?domain=%00"}), http.StatusBadRequest, "INVALID_INPUT")
}
