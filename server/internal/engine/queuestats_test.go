package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// TestQueueFigures follows the figures of two domains of a task type
// through polls, leases, completions, failures and a delayed hand-back,
// on a fake clock: depth, delayed, in flight, the oldest waiting task, the
// rates over the last minute and the workers.
func TestQueueFigures(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, work())
	t0 := b.clock.Now()
	startIn := func(domain string) string {
		t.Helper()
		req := &workflow.StartRequest{Name: "chain", Input: map[string]any{"x": "in"}}
		if domain != "" {
			req.TaskToDomain = map[string]string{"work": domain}
		}
		id, err := b.e.StartWorkflow(b.ctx, req)
		require.NoError(t, err)
		return id
	}
	poll := func(domain, worker string, n int) []*workflow.Task {
		t.Helper()
		tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", Domain: domain, WorkerID: worker, Count: n})
		require.NoError(t, err)
		return tasks
	}
	queue := func(domain string) engine.QueueStats {
		t.Helper()
		for _, q := range b.e.Queues("work") {
			if q.Domain == domain {
				return q
			}
		}
		t.Fatalf("no queue work in domain %q in %+v", domain, b.e.Queues(""))
		return engine.QueueStats{}
	}

	require.Empty(t, b.e.Queues(""), "nothing queued or polled yet")
	startIn("")
	startIn("")
	b.clock.Add(5 * time.Second)
	startIn("")
	startIn("blue")
	b.clock.Add(2 * time.Second)

	q := queue("")
	require.Equal(t, engine.QueueStats{TaskType: "work", Depth: 3, OldestWaitingMs: 7000}, q)
	require.Equal(t, engine.QueueStats{TaskType: "work", Domain: "blue", Depth: 1, OldestWaitingMs: 2000}, queue("blue"))

	// w1 and w2 take one task each: the youngest is left.
	a := poll("", "w1", 1)
	bb := poll("", "w2", 1)
	require.Len(t, a, 1)
	require.Len(t, bb, 1)
	require.Empty(t, poll("red", "w3", 1), "a domain with nothing queued")
	q = queue("")
	require.Equal(t, 1, q.Depth)
	require.Equal(t, int64(2000), q.OldestWaitingMs, "the one started 5 s after the others")
	require.Equal(t, 2, q.InFlight)
	require.InDelta(t, 2.0/60, q.PollsPerSecond, 1e-9)
	require.InDelta(t, 2.0/60, q.HandedOutPerSecond, 1e-9)
	require.Equal(t, 2, q.Workers)
	require.Equal(t, b.clock.Now().UnixMilli(), q.LastPollTime)
	require.Equal(t, engine.QueueStats{TaskType: "work", Domain: "red", PollsPerSecond: 1.0 / 60, LastPollTime: b.clock.Now().UnixMilli(), Workers: 1}, queue("red"))

	// One completes (its workflow schedules the next task), one fails (and
	// is retried at once), and the third, taken next, goes back to its
	// queue for 30 s.
	b.clock.Add(time.Second)
	b.complete(t, a[0])
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: bb[0].TaskID, PollCount: bb[0].PollCount, Status: workflow.TaskFailed}))
	c := poll("", "w1", 1)
	require.Len(t, c, 1)
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: c[0].TaskID, PollCount: c[0].PollCount, Status: workflow.TaskInProgress, CallbackAfterSeconds: 30}))
	q = queue("")
	require.Equal(t, 2, q.Depth, "the next task of the completed workflow and the retry")
	require.Equal(t, 1, q.Delayed)
	require.Zero(t, q.InFlight)
	require.InDelta(t, 1.0/60, q.CompletedPerSecond, 1e-9)
	require.InDelta(t, 1.0/60, q.FailedPerSecond, 1e-9)
	require.InDelta(t, 3.0/60, q.HandedOutPerSecond, 1e-9)
	require.InDelta(t, 3.0/60, q.PollsPerSecond, 1e-9)

	// 30 s on, the delayed task is ready, and has waited since its delay
	// ended; the workers' figures.
	b.clock.Add(31 * time.Second)
	q = queue("")
	require.Equal(t, 3, q.Depth)
	require.Zero(t, q.Delayed)
	require.Equal(t, int64(31_000), q.OldestWaitingMs, "the two scheduled 31 s ago")
	d := b.e.Queue("work", "")
	require.Equal(t, q, d.QueueStats)
	require.Len(t, d.WorkerStats, 2)
	require.Equal(t, engine.WorkerStats{WorkerID: "w1", LastPollTime: t0.Add(8 * time.Second).UnixMilli(), PollsLastMinute: 2}, d.WorkerStats[0])
	require.Equal(t, "w2", d.WorkerStats[1].WorkerID)
	require.Equal(t, int64(1), d.WorkerStats[1].PollsLastMinute)

	// A minute after the last poll, the rates are back to zero; the last
	// poll is remembered.
	b.clock.Add(time.Minute)
	q = queue("")
	require.Zero(t, q.PollsPerSecond)
	require.Zero(t, q.HandedOutPerSecond)
	require.Zero(t, q.Workers)
	require.Equal(t, t0.Add(8*time.Second).UnixMilli(), q.LastPollTime)
	require.Equal(t, int64(0), b.e.Queue("work", "").WorkerStats[0].PollsLastMinute)
	require.Equal(t, engine.QueueDetail{QueueStats: engine.QueueStats{TaskType: "nothing"}, WorkerStats: []engine.WorkerStats{}}, b.e.Queue("nothing", ""))
}

// TestOverviewCountsAndThroughput checks the counts of executions by
// status as they move, after a removal and across a restart on disk, and
// the throughput series on a fake clock.
func TestOverviewCountsAndThroughput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	require.NoError(t, err)
	noRetry := work()
	noRetry.RetryCount = ptr(0)
	b := start(t, st, 1, noRetry)
	t0 := b.clock.Now().Truncate(time.Minute).Add(30 * time.Second)
	b.clock.Set(t0)

	var ids []string
	for range 6 {
		ids = append(ids, b.startWF(t, 0))
	}
	b.clock.Add(time.Second)
	tasks := b.poll(t, 6)
	require.Len(t, tasks, 6)
	byWF := map[string]*workflow.Task{}
	for _, task := range tasks {
		byWF[task.WorkflowInstanceID] = task
	}
	b.complete(t, byWF[ids[0]])
	b.complete(t, byWF[ids[1]])
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: byWF[ids[2]].TaskID, PollCount: byWF[ids[2]].PollCount, Status: workflow.TaskFailed}))
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, ids[3], "no longer needed"))
	require.NoError(t, b.e.PauseWorkflow(b.ctx, ids[4]))
	require.Equal(t, workflow.StatusFailed, b.status(t, ids[2]))

	want := map[workflow.Status]int64{
		workflow.StatusRunning: 1, workflow.StatusPaused: 1, workflow.StatusCompleted: 2,
		workflow.StatusFailed: 1, workflow.StatusTimedOut: 0, workflow.StatusTerminated: 1,
	}
	o := b.e.Overview(0)
	require.Equal(t, want, o.Counts)
	require.Len(t, o.PerSecond, 60)
	require.Len(t, o.PerMinute, 60)
	last, prev := o.PerSecond[59], o.PerSecond[58]
	require.Equal(t, engine.Throughput{Time: t0.UnixMilli(), Started: 6}, prev)
	require.Equal(t, engine.Throughput{Time: t0.Add(time.Second).UnixMilli(), Completed: 2, Failed: 1, Terminated: 1, FailureRate: 1.0 / 3}, last)
	require.Equal(t, engine.Throughput{Time: t0.Truncate(time.Minute).UnixMilli(), Started: 6, Completed: 2, Failed: 1, Terminated: 1, FailureRate: 1.0 / 3}, o.PerMinute[59])
	require.Zero(t, o.PerMinute[58].Started)
	require.Equal(t, o.PerMinute[59].Time-60_000, o.PerMinute[58].Time)
	require.Empty(t, o.BusiestByDepth, "every task was taken")

	// A retry moves a failed execution back to RUNNING; a removal
	// uncounts a completed one.
	require.NoError(t, b.e.RetryWorkflow(b.ctx, ids[2], false))
	require.NoError(t, b.e.RemoveWorkflow(b.ctx, ids[0], false))
	want[workflow.StatusFailed]--
	want[workflow.StatusRunning]++
	want[workflow.StatusCompleted]--
	require.Equal(t, want, b.e.Overview(0).Counts)

	// The busiest queues: the retried task waits in "work".
	o = b.e.Overview(0)
	require.Len(t, o.BusiestByDepth, 1)
	require.Equal(t, "work", o.BusiestByDepth[0].TaskType)
	require.Equal(t, o.BusiestByDepth, o.BusiestByAge)

	// Two minutes later, the per-second series is empty and the minute of
	// the work is two slots back.
	b.clock.Add(2 * time.Minute)
	o = b.e.Overview(0)
	for _, p := range o.PerSecond {
		require.Zero(t, p.Started+p.Completed+p.Failed+p.Terminated)
	}
	require.Equal(t, int64(6), o.PerMinute[57].Started)

	// The counts survive a restart; the series start afresh. The tasks of
	// the running and the paused execution are in flight before and after.
	require.Equal(t, 2, b.e.Queue("work", "").InFlight)
	b.e.Stop()
	require.NoError(t, st.Close())
	st2, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { st2.Close() })
	b2 := start(t, st2, 0, nil)
	o = b2.e.Overview(0)
	require.Equal(t, want, o.Counts)
	for _, p := range o.PerMinute {
		require.Zero(t, p.Started)
	}
	require.Equal(t, 2, b2.e.Queue("work", "").InFlight)
}
