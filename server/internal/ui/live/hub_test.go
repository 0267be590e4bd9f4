package live_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
	"github.com/batonhq/baton/server/internal/ui/live"
)

// env is an engine over Badger on disk and a hub served on loopback.
type env struct {
	st  store.Store
	e   *engine.Engine
	hub *live.Hub
	srv *httptest.Server
	url string // ws://host:port/live
}

type config struct {
	ring int
	opts live.Options
}

func setup(t testing.TB, tasks int, cfg config) *env {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	env := &env{st: st}
	env.start(t, cfg)
	ctx := context.Background()
	require.NoError(t, env.e.RegisterTaskDefs(ctx, []*workflow.TaskDef{{Name: "work", RetryCount: ptr(0), ResponseTimeoutSeconds: ptr(int64(300))}}))
	def := &workflow.WorkflowDef{Name: "chain", Version: 1}
	for i := range tasks {
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{Name: "work", TaskReferenceName: fmt.Sprintf("t%d", i+1), Type: "SIMPLE"})
	}
	_, err = env.e.RegisterWorkflowDef(ctx, def, true, false)
	require.NoError(t, err)
	return env
}

// start starts an engine over the store and a hub over the engine.
func (env *env) start(t testing.TB, cfg config) {
	t.Helper()
	e, err := engine.New(engine.Config{Store: env.st, FeedRing: cfg.ring})
	require.NoError(t, err)
	require.NoError(t, e.Start(context.Background()))
	env.e, env.hub = e, live.New(e, cfg.opts)
	mux := http.NewServeMux()
	mux.Handle("/live", env.hub)
	env.srv = httptest.NewServer(mux)
	env.url = "ws" + strings.TrimPrefix(env.srv.URL, "http") + "/live"
	t.Cleanup(env.stop)
}

func (env *env) stop() {
	env.srv.CloseClientConnections()
	env.srv.Close()
	env.e.Stop()
}

func ptr[T any](v T) *T { return &v }

func (env *env) startFlow(t testing.TB) string {
	t.Helper()
	id, err := env.e.StartWorkflow(context.Background(), &workflow.StartRequest{Name: "chain"})
	require.NoError(t, err)
	return id
}

// step leases the next task, as worker, and completes it.
func (env *env) step(t testing.TB, worker string) {
	t.Helper()
	ctx := context.Background()
	tasks, err := env.e.Poll(ctx, engine.PollRequest{TaskType: "work", WorkerID: worker})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.NoError(t, env.e.UpdateTask(ctx, &workflow.TaskResult{TaskID: tasks[0].TaskID, Status: workflow.TaskCompleted}))
}

// msg is a message of the hub, as a browser decodes it.
type msg struct {
	Type         string                   `json:"type"`
	Epoch        string                   `json:"epoch"`
	Seq          uint64                   `json:"seq"`
	Reason       string                   `json:"reason"`
	Workflow     *engine.WorkflowSummary  `json:"workflow"`
	Version      uint64                   `json:"version"`
	Tasks        []engine.TaskSummary     `json:"tasks"`
	RemovedTasks []string                 `json:"removedTasks"`
	Workflows    []engine.WorkflowSummary `json:"workflows"`
	Merged       int                      `json:"merged"`
}

// dial connects a client; header may carry an Origin.
func dial(t testing.TB, url string, header http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	require.NoError(t, err)
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return conn
}

// read reads the next message; the deadline only keeps a broken test from
// hanging.
func read(t testing.TB, conn *websocket.Conn) msg {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	var m msg
	require.NoError(t, conn.ReadJSON(&m))
	return m
}

// view is what a page shows: the latest status of each task and of the
// execution, and the last position applied.
type view struct {
	status workflow.Status
	tasks  map[string]workflow.TaskStatus // by reference name
	epoch  string
	seq    uint64
}

// apply applies a snapshot or a delta, checking the sequence grows.
func (v *view) apply(t testing.TB, m msg) {
	t.Helper()
	switch m.Type {
	case "snapshot":
		v.tasks = map[string]workflow.TaskStatus{}
	case "delta":
		require.Equal(t, v.epoch, m.Epoch)
		require.Greater(t, m.Seq, v.seq, "sequence numbers only grow")
	default:
		t.Fatalf("unexpected %s message: %+v", m.Type, m)
	}
	v.epoch, v.seq = m.Epoch, m.Seq
	v.status = m.Workflow.Status
	for _, ts := range m.Tasks {
		v.tasks[ts.ReferenceTaskName] = ts.Status
	}
}

func (v *view) done(n int) bool {
	if v.status != workflow.StatusCompleted || len(v.tasks) != n {
		return false
	}
	for _, s := range v.tasks {
		if s != workflow.TaskCompleted {
			return false
		}
	}
	return true
}

func subscribe(t testing.TB, conn *websocket.Conn, sub string) {
	t.Helper()
	require.NoError(t, conn.WriteMessage(websocket.TextMessage, []byte(sub)))
}

func TestExecutionDeltasFollowCommits(t *testing.T) {
	t.Parallel()
	env := setup(t, 5, config{})
	id := env.startFlow(t)
	conn := dial(t, env.url, nil)
	subscribe(t, conn, `{"sub":"execution","id":"`+id+`"}`)
	snap := read(t, conn)
	require.Equal(t, "snapshot", snap.Type)
	require.Equal(t, id, snap.Workflow.WorkflowID)
	require.Equal(t, []engine.TaskSummary{snap.Tasks[0]}, snap.Tasks)
	require.Equal(t, workflow.TaskScheduled, snap.Tasks[0].Status)
	var v view
	v.apply(t, snap)

	for i := range 5 {
		env.step(t, fmt.Sprintf("worker-%d", i))
	}
	merged := 0
	for !v.done(5) {
		m := read(t, conn)
		v.apply(t, m)
		merged += m.Merged
	}
	require.Equal(t, 10, merged, "every commit (a lease and a completion per task) reached the client, merged or not")
}

func TestResumeFromASequenceNumber(t *testing.T) {
	t.Parallel()
	env := setup(t, 4, config{})
	id := env.startFlow(t)
	conn := dial(t, env.url, nil)
	subscribe(t, conn, `{"sub":"execution","id":"`+id+`"}`)
	var v view
	v.apply(t, read(t, conn))
	env.step(t, "w")
	for v.tasks["t2"] != workflow.TaskScheduled {
		v.apply(t, read(t, conn))
	}
	conn.Close()
	require.Eventually(t, func() bool { return env.e.Subscribers() == 0 }, 10*time.Second, 5*time.Millisecond)

	// Missed while away.
	for range 3 {
		env.step(t, "w")
	}
	again := dial(t, env.url, nil)
	subscribe(t, again, fmt.Sprintf(`{"sub":"execution","id":%q,"from":{"epoch":%q,"seq":%d}}`, id, v.epoch, v.seq))
	for !v.done(4) {
		m := read(t, again)
		require.Equal(t, "delta", m.Type, "resumed: the missed changes, no snapshot")
		v.apply(t, m)
	}
}

func TestGapAndRestartSendASnapshot(t *testing.T) {
	t.Parallel()
	env := setup(t, 8, config{ring: 4})
	id := env.startFlow(t)
	from := env.e.FeedPosition()
	// A page rendered at from; the client connects after more than the
	// ring holds.
	for range 3 {
		env.step(t, "w")
	}
	conn := dial(t, env.url, nil)
	subscribe(t, conn, fmt.Sprintf(`{"sub":"execution","id":%q,"from":{"epoch":%q,"seq":%d}}`, id, from.Epoch, from.Seq))
	gap := read(t, conn)
	require.Equal(t, "gap", gap.Type)
	require.Contains(t, gap.Reason, "no longer holds")
	snap := read(t, conn)
	require.Equal(t, "snapshot", snap.Type)
	require.Len(t, snap.Tasks, 4)
	require.Equal(t, gap.Seq, snap.Seq)
	conn.Close()

	// A restart: a new engine (a new epoch) over the same store.
	env.stop()
	env.start(t, config{ring: 4})
	again := dial(t, env.url, nil)
	subscribe(t, again, fmt.Sprintf(`{"sub":"execution","id":%q,"from":{"epoch":%q,"seq":%d}}`, id, snap.Epoch, snap.Seq))
	gap = read(t, again)
	require.Equal(t, "gap", gap.Type)
	require.Contains(t, gap.Reason, "restarted")
	require.NotEqual(t, snap.Epoch, gap.Epoch)
	snap2 := read(t, again)
	require.Equal(t, "snapshot", snap2.Type)
	require.Len(t, snap2.Tasks, 4)
}

func TestOriginIsChecked(t *testing.T) {
	t.Parallel()
	env := setup(t, 1, config{opts: live.Options{AllowedOrigins: []string{"https://console.example.com"}}})
	host := strings.TrimPrefix(env.srv.URL, "http://")

	_, resp, err := websocket.DefaultDialer.Dial(env.url, http.Header{"Origin": {"https://evil.example.net"}})
	require.ErrorIs(t, err, websocket.ErrBadHandshake)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp.Body.Close()

	for _, origin := range []string{"http://" + host, "https://console.example.com"} {
		conn := dial(t, env.url, http.Header{"Origin": {origin}})
		subscribe(t, conn, `{"sub":"overview"}`)
		require.Equal(t, "snapshot", read(t, conn).Type, origin)
	}
}

func TestBadMessagesCloseWithAReason(t *testing.T) {
	t.Parallel()
	env := setup(t, 1, config{opts: live.Options{MaxMessageBytes: 512}})
	cases := []struct {
		name, message string
		code          int
		reason        string
	}{
		{"oversized", `{"sub":"execution","id":"` + strings.Repeat("x", 2000) + `"}`, websocket.CloseMessageTooBig, "at most 512 bytes"},
		{"not JSON", `hello`, websocket.CloseUnsupportedData, "not a subscription"},
		{"unknown subscription", `{"sub":"everything"}`, websocket.CloseUnsupportedData, "unknown subscription"},
		{"bad status", `{"sub":"executions","query":{"statuses":["DONE"]}}`, websocket.CloseUnsupportedData, "not a workflow status"},
	}
	for _, tc := range cases {
		conn := dial(t, env.url, nil)
		subscribe(t, conn, tc.message)
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
		_, _, err := conn.ReadMessage()
		var ce *websocket.CloseError
		require.ErrorAs(t, err, &ce, tc.name)
		require.Equal(t, tc.code, ce.Code, tc.name)
		require.Contains(t, ce.Text, tc.reason, tc.name)
	}

	// An unknown execution is refused with a message; the connection stays.
	conn := dial(t, env.url, nil)
	subscribe(t, conn, `{"sub":"execution","id":"nope"}`)
	m := read(t, conn)
	require.Equal(t, "error", m.Type)
	require.Contains(t, m.Reason, "workflow nope does not exist")
	subscribe(t, conn, `{"sub":"overview"}`)
	require.Equal(t, "snapshot", read(t, conn).Type)
}

// smallReceiveBuffer dials with a small socket receive buffer, so that a
// client that does not read fills its buffers soon.
var smallReceiveBuffer = &websocket.Dialer{NetDialContext: (&net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
	var err error
	cerr := c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	if cerr != nil {
		return cerr
	}
	return err
}}).DialContext}

func TestSlowClientIsDroppedOthersKeepReceiving(t *testing.T) {
	t.Parallel()
	const tasks = 800
	// The default queue (256 changes): the reader, which merges what 25 ms
	// bring, must never be dropped however loaded the machine.
	env := setup(t, tasks, config{opts: live.Options{WriteTimeout: 100 * time.Millisecond}})
	id := env.startFlow(t)
	sub := `{"sub":"execution","id":"` + id + `"}`

	stalled, resp, err := smallReceiveBuffer.Dial(env.url, nil)
	require.NoError(t, err)
	resp.Body.Close()
	defer stalled.Close()
	subscribe(t, stalled, sub)

	reader := dial(t, env.url, nil)
	subscribe(t, reader, sub)
	var (
		mu      sync.Mutex
		v       view
		readErr = make(chan error, 1)
	)
	v.apply(t, read(t, reader))
	go func() {
		for {
			var m msg
			if err := reader.ReadJSON(&m); err != nil {
				readErr <- err
				return
			}
			mu.Lock()
			if m.Seq <= v.seq {
				mu.Unlock()
				readErr <- fmt.Errorf("seq %d after %d", m.Seq, v.seq)
				return
			}
			v.seq, v.status = m.Seq, m.Workflow.Status
			for _, ts := range m.Tasks {
				v.tasks[ts.ReferenceTaskName] = ts.Status
			}
			mu.Unlock()
		}
	}()

	// Large deltas (a long worker id) fill the stalled client's buffers
	// in a few commits.
	worker := strings.Repeat("w", 8<<10)
	steps := 0
	for ; steps < tasks && env.hub.Clients() == 2; steps++ {
		env.step(t, worker)
	}
	require.Eventually(t, func() bool { return env.hub.Clients() == 1 }, 30*time.Second, 5*time.Millisecond, "the stalled client is dropped")
	require.Less(t, steps, tasks)

	// The reader saw every change so far, and keeps receiving.
	require.NoError(t, env.e.TerminateWorkflow(context.Background(), id, "enough"))
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return v.status == workflow.StatusTerminated
	}, 30*time.Second, 5*time.Millisecond)
	w, err := env.e.Workflow(context.Background(), id, true)
	require.NoError(t, err)
	mu.Lock()
	for _, task := range w.Tasks {
		require.Equal(t, task.Status, v.tasks[task.ReferenceTaskName], task.ReferenceTaskName)
	}
	mu.Unlock()
	select {
	case err := <-readErr:
		t.Fatalf("the reader stopped: %v", err)
	default:
	}

	// The stalled client finds its connection closed after what its
	// buffers held.
	require.NoError(t, stalled.SetReadDeadline(time.Now().Add(30*time.Second)))
	for {
		if _, _, err := stalled.ReadMessage(); err != nil {
			var ne net.Error
			require.False(t, errors.As(err, &ne) && ne.Timeout(), "the server closed the connection: %v", err)
			break
		}
	}
}

func TestSilentClientIsClosedByPingDeadline(t *testing.T) {
	t.Parallel()
	env := setup(t, 1, config{opts: live.Options{PingInterval: 20 * time.Millisecond}})
	// gorilla answers pings only while it reads: this client never reads,
	// so it never answers.
	silent := dial(t, env.url, nil)
	subscribe(t, silent, `{"sub":"overview"}`)
	require.Eventually(t, func() bool { return env.hub.Clients() == 1 }, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool { return env.hub.Clients() == 0 }, 30*time.Second, 5*time.Millisecond,
		"a client that answers no ping is closed")
	require.Equal(t, 0, env.e.Subscribers())
}

func TestExecutionsAndOverviewSubscriptions(t *testing.T) {
	t.Parallel()
	env := setup(t, 1, config{})
	first := env.startFlow(t)
	ended := env.startFlow(t)
	require.NoError(t, env.e.TerminateWorkflow(context.Background(), ended, "before"))

	running := dial(t, env.url, nil)
	subscribe(t, running, `{"sub":"executions","query":{"names":["chain"],"statuses":["RUNNING"],"limit":10}}`)
	overview := dial(t, env.url, nil)
	subscribe(t, overview, `{"sub":"overview"}`)

	snap := read(t, running)
	require.Equal(t, "snapshot", snap.Type)
	require.Len(t, snap.Workflows, 1)
	require.Equal(t, first, snap.Workflows[0].WorkflowID)
	all := read(t, overview)
	require.Len(t, all.Workflows, 2, "the overview starts with the newest executions, whatever their status")
	require.Equal(t, ended, all.Workflows[0].WorkflowID, "newest first")

	require.NoError(t, env.e.TerminateWorkflow(context.Background(), first, "enough"))
	second := env.startFlow(t)
	seen := map[string]workflow.Status{}
	for len(seen) < 2 || seen[second] == "" {
		m := read(t, running)
		require.Equal(t, "delta", m.Type)
		require.Empty(t, m.Tasks, "summaries only")
		seen[m.Workflow.WorkflowID] = m.Workflow.Status
	}
	require.Equal(t, map[string]workflow.Status{first: workflow.StatusTerminated, second: workflow.StatusRunning}, seen,
		"the execution that left RUNNING is sent once more; the ended one is not")
	for {
		m := read(t, overview)
		if m.Workflow.WorkflowID == second {
			break
		}
	}
}

// TestCloseEndsEveryConnection: Close ends connections whether or not they
// subscribed, saying the server is going away.
func TestCloseEndsEveryConnection(t *testing.T) {
	env := setup(t, 1, config{})
	idle := dial(t, env.url, nil)
	subscribed := dial(t, env.url, nil)
	require.NoError(t, subscribed.WriteJSON(map[string]any{"sub": "overview"}))
	read(t, subscribed) // its snapshot
	env.hub.Close()
	for _, conn := range []*websocket.Conn{idle, subscribed} {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		_, _, err := conn.ReadMessage()
		var ce *websocket.CloseError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, websocket.CloseGoingAway, ce.Code)
	}
	require.Eventually(t, func() bool { return env.hub.Clients() == 0 }, 10*time.Second, 10*time.Millisecond)
}
