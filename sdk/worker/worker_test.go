package worker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/worker"
	"github.com/batonhq/baton/sdk/workflow"
)

// The task type and the workflow of one task of it that every test runs.
const (
	taskType = "work"
	flowName = "flow"
)

// waitLimit bounds every wait of a test for a signal or a server state.
const waitLimit = 15 * time.Second

// env is a server with the task definition and workflow registered.
type env struct {
	srv *batontest.Server
	c   *client.Client
}

// setup starts a server and registers td under the name taskType and a
// workflow of one SIMPLE task of it, whose output is the task's "result".
func setup(t *testing.T, td workflow.TaskDef) *env {
	t.Helper()
	srv := batontest.New(t)
	c := client.New(srv.URL(), client.WithHTTPClient(&http.Client{Transport: transport(t)}))
	ctx := t.Context()
	td.Name = taskType
	require.NoError(t, c.RegisterTaskDefs(ctx, &td))
	_, err := c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{
		Name: flowName,
		Tasks: []*workflow.WorkflowTask{{
			Name: taskType, TaskReferenceName: taskType, Type: workflow.TypeSimple,
			InputParameters: map[string]any{"name": "${workflow.input.name}"},
		}},
		OutputParameters: map[string]any{"result": "${work.output.result}"},
	}, true, false)
	require.NoError(t, err)
	return &env{srv: srv, c: c}
}

// transport returns an HTTP transport whose idle connections are closed
// when the test ends, before the server stops: http.Server.Shutdown waits
// 5s for a connection that was opened but never sent a request, which the
// transport may leave in its pool when two requests race for a connection.
func transport(t *testing.T) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// start starts the workflow with {"name": name} as input.
func (e *env) start(t *testing.T, name string) string {
	t.Helper()
	id, err := e.c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: flowName, Input: map[string]any{"name": name}})
	require.NoError(t, err)
	return id
}

// wait waits for an execution to end, requires it ended in want, and
// returns it with its tasks.
func (e *env) wait(t *testing.T, id string, want workflow.Status) *workflow.Workflow {
	t.Helper()
	var wf *workflow.Workflow
	require.Eventually(t, func() bool {
		var err error
		wf, err = e.c.Workflow(t.Context(), id, true)
		return err == nil && wf.Status.Terminal()
	}, waitLimit, 5*time.Millisecond, "workflow %s did not end", id)
	require.Equal(t, want, wf.Status, "workflow %s: %s", id, wf.ReasonForIncompletion)
	return wf
}

// get returns an execution with its tasks.
func (e *env) get(t *testing.T, id string) *workflow.Workflow {
	t.Helper()
	wf, err := e.c.Workflow(t.Context(), id, true)
	require.NoError(t, err)
	return wf
}

// running is a worker's Run in the background.
type running struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
	err    error         // what Run returned
}

// run starts w.Run; the test's cleanup stops it.
func run(t *testing.T, w *worker.Worker) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() { r.err = w.Run(ctx); close(r.done) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// wait waits for Run to return and requires it returned nil.
func (r *running) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
		require.NoError(t, r.err, "Run")
	case <-time.After(waitLimit):
		t.Fatalf("Run did not return within %v", waitLimit)
	}
}

// stop cancels Run's context and waits for Run to return.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	r.wait(t)
}

// recv waits for a value on ch.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("no value on the channel within %v", waitLimit)
		panic("unreachable")
	}
}

func ptr[T any](v T) *T { return &v }

func TestHandlerOutputCompletesTheWorkflow(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{})
	w := worker.New(worker.Options{Client: e.c, WorkerID: "w1"})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		return map[string]any{"result": fmt.Sprint("Hello, ", task.InputData["name"])}, nil
	})
	run(t, w)

	id := e.start(t, "Ada")
	wf := e.wait(t, id, workflow.StatusCompleted)
	require.Equal(t, map[string]any{"result": "Hello, Ada"}, wf.Output)
	require.Len(t, wf.Tasks, 1)
	task := wf.Tasks[0]
	require.Equal(t, workflow.TaskCompleted, task.Status)
	require.Equal(t, map[string]any{"result": "Hello, Ada"}, task.OutputData)
	require.Equal(t, "w1", task.WorkerID)
	require.Equal(t, 1, task.PollCount)
}

func TestDomainRoutesTasks(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{})
	w := worker.New(worker.Options{Client: e.c, Domain: "blue"})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		return map[string]any{"result": task.Domain}, nil
	})
	run(t, w)

	id, err := e.c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: flowName, TaskToDomain: map[string]string{taskType: "blue"}})
	require.NoError(t, err)
	wf := e.wait(t, id, workflow.StatusCompleted)
	require.Equal(t, "blue", wf.Output["result"])
}

func TestErrorFailsTheAttemptAndTheServerRetries(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(1), RetryDelaySeconds: ptr[int64](0)})
	var calls atomic.Int32
	w := worker.New(worker.Options{Client: e.c})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("flaky first attempt")
		}
		return map[string]any{"result": "second time lucky"}, nil
	})
	run(t, w)

	wf := e.wait(t, e.start(t, "x"), workflow.StatusCompleted)
	require.Equal(t, "second time lucky", wf.Output["result"])
	require.Len(t, wf.Tasks, 2)
	first, last := wf.Tasks[0], wf.Tasks[1]
	require.Equal(t, workflow.TaskFailed, first.Status)
	require.Equal(t, "flaky first attempt", first.ReasonForIncompletion)
	require.Equal(t, 0, first.RetryCount)
	require.Equal(t, workflow.TaskCompleted, last.Status)
	require.Equal(t, 1, last.RetryCount)
	require.Equal(t, first.TaskID, last.RetriedTaskID)
	require.EqualValues(t, 2, calls.Load())
}

func TestTerminalErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(3), RetryDelaySeconds: ptr[int64](0)})
	var calls atomic.Int32
	w := worker.New(worker.Options{Client: e.c})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		calls.Add(1)
		return nil, fmt.Errorf("check input: %w", worker.Terminal(errors.New("no such customer")))
	})
	run(t, w)

	wf := e.wait(t, e.start(t, "x"), workflow.StatusFailed)
	require.Len(t, wf.Tasks, 1, "no retry")
	require.Equal(t, workflow.TaskFailedWithTerminalError, wf.Tasks[0].Status)
	require.Equal(t, "check input: no such customer", wf.Tasks[0].ReasonForIncompletion)
	require.Equal(t, []string{taskType}, wf.FailedReferenceTaskNames)
	require.EqualValues(t, 1, calls.Load())
}

func TestPanicBecomesAFailure(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(0)})
	w := worker.New(worker.Options{Client: e.c, Concurrency: 1})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		if task.InputData["name"] == "panic" {
			panic("the gizmo is broken")
		}
		return map[string]any{"result": "fine"}, nil
	})
	run(t, w)

	wf := e.wait(t, e.start(t, "panic"), workflow.StatusFailed)
	require.Len(t, wf.Tasks, 1)
	require.Equal(t, workflow.TaskFailed, wf.Tasks[0].Status)
	require.Contains(t, wf.Tasks[0].ReasonForIncompletion, "handler panicked: the gizmo is broken")

	// The worker survived the panic and runs the next task.
	wf = e.wait(t, e.start(t, "calm"), workflow.StatusCompleted)
	require.Equal(t, "fine", wf.Output["result"])
}

// TestInProgressChecksTheTaskBackIn: a handler that returns *InProgress
// sends the task back to the queue with its output; it is handed out again
// after CallbackAfter, with that output.
func TestInProgressChecksTheTaskBackIn(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{})
	var (
		first   *running
		started = make(chan struct{})
	)
	handler := func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		if task.OutputData["step"] == nil {
			// Stop the first worker before the task is back in the queue,
			// so that the second one gets it.
			<-started
			first.cancel()
			return map[string]any{"step": 1}, &worker.InProgress{CallbackAfter: time.Second}
		}
		return map[string]any{"step": 2, "result": fmt.Sprintf("after %v polls", task.PollCount)}, nil
	}
	w1 := worker.New(worker.Options{Client: e.c, Concurrency: 1})
	w1.Handle(taskType, handler)
	first = run(t, w1)
	close(started)
	id := e.start(t, "x")
	first.wait(t)

	wf := e.get(t, id)
	require.Equal(t, workflow.StatusRunning, wf.Status)
	require.Len(t, wf.Tasks, 1)
	task := wf.Tasks[0]
	require.Equal(t, workflow.TaskScheduled, task.Status)
	require.EqualValues(t, 1, task.CallbackAfterSeconds)
	require.Equal(t, 1, task.PollCount)
	require.Equal(t, "1", fmt.Sprint(task.OutputData["step"]))
	sizes, err := e.c.QueueSizes(t.Context(), taskType)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{taskType: 1}, sizes)

	w2 := worker.New(worker.Options{Client: e.c})
	w2.Handle(taskType, handler)
	run(t, w2)
	wf = e.wait(t, id, workflow.StatusCompleted)
	require.Equal(t, "after 2 polls", wf.Output["result"])
	require.Len(t, wf.Tasks, 1, "a checkpoint is not a new attempt")
	require.Equal(t, task.TaskID, wf.Tasks[0].TaskID)
	require.Equal(t, 0, wf.Tasks[0].RetryCount)
	require.Equal(t, 2, wf.Tasks[0].PollCount)
}

func TestConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	const (
		limit = 3
		flows = 10
	)
	e := setup(t, workflow.TaskDef{})
	var (
		now, most atomic.Int32
		started   = make(chan struct{}, flows)
		release   = make(chan struct{})
	)
	w := worker.New(worker.Options{Client: e.c, Concurrency: limit})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		n := now.Add(1)
		defer now.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return map[string]any{"result": "done"}, nil
	})
	run(t, w)

	ids := make([]string, flows)
	for i := range ids {
		ids[i] = e.start(t, fmt.Sprint(i))
	}
	// Let the handlers go one at a time: the others stay blocked, so a
	// worker that started more than limit at once would be caught by most.
	for range limit {
		recv(t, started)
	}
	for i := range flows {
		select {
		case release <- struct{}{}:
		case <-time.After(waitLimit):
			t.Fatalf("handler %d never ran", i+1)
		}
	}
	for _, id := range ids {
		e.wait(t, id, workflow.StatusCompleted)
	}
	require.EqualValues(t, limit, most.Load(), "the most handlers running at once")
}

// TestHeartbeatsKeepTheLease runs a task for longer than its response
// timeout; the worker's heartbeats keep it from timing out.
func TestHeartbeatsKeepTheLease(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(0), ResponseTimeoutSeconds: ptr[int64](2)})
	w := worker.New(worker.Options{Client: e.c})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		work := time.NewTimer(5 * time.Second) // the task's work
		defer work.Stop()
		select {
		case <-work.C:
			return map[string]any{"result": "slow and steady"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	run(t, w)

	wf := e.wait(t, e.start(t, "x"), workflow.StatusCompleted)
	require.Len(t, wf.Tasks, 1)
	require.Equal(t, workflow.TaskCompleted, wf.Tasks[0].Status)
	require.Equal(t, 0, wf.Tasks[0].RetryCount)
	require.Equal(t, 1, wf.Tasks[0].PollCount)
	require.EqualValues(t, 2, wf.Tasks[0].ResponseTimeoutSeconds)
}

// TestLostLeaseCancelsTheHandler: when a heartbeat finds the lease gone
// (here the workflow was terminated), the handler's context is cancelled.
func TestLostLeaseCancelsTheHandler(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{ResponseTimeoutSeconds: ptr[int64](1)})
	var (
		started  = make(chan struct{})
		ctxErrAt = make(chan error, 1)
	)
	w := worker.New(worker.Options{Client: e.c})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		close(started)
		<-ctx.Done()
		ctxErrAt <- ctx.Err()
		return nil, ctx.Err()
	})
	run(t, w)
	id := e.start(t, "x")
	recv(t, started)

	require.NoError(t, e.c.TerminateWorkflow(t.Context(), id, "changed my mind"))
	require.ErrorIs(t, recv(t, ctxErrAt), context.Canceled)
	wf := e.get(t, id)
	require.Equal(t, workflow.StatusTerminated, wf.Status)
	require.Equal(t, workflow.TaskCanceled, wf.Tasks[0].Status)
}

// TestShutdownLetsRunningTasksFinish: within ShutdownGrace, a running task
// finishes and its result is reported before Run returns.
func TestShutdownLetsRunningTasksFinish(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{})
	var (
		started  = make(chan struct{})
		release  = make(chan struct{})
		ctxErrAt = make(chan error, 1)
	)
	w := worker.New(worker.Options{Client: e.c, ShutdownGrace: time.Minute})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
		}
		ctxErrAt <- ctx.Err()
		return map[string]any{"result": "finished"}, nil
	})
	r := run(t, w)
	id := e.start(t, "x")
	recv(t, started)

	r.cancel()
	select {
	case <-r.done:
		t.Fatalf("Run returned (%v) while a task was running", r.err)
	default:
	}
	close(release)
	r.wait(t)
	require.NoError(t, recv(t, ctxErrAt), "the handler's context stays alive during the grace period")

	wf := e.get(t, id) // reported before Run returned
	require.Equal(t, workflow.StatusCompleted, wf.Status)
	require.Equal(t, "finished", wf.Output["result"])
}

// TestShutdownHandsBackUnfinishedTasks: when ShutdownGrace ends, handlers'
// contexts are cancelled and their tasks go back to the queue at once.
func TestShutdownHandsBackUnfinishedTasks(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{})
	var (
		started  = make(chan struct{})
		ctxErrAt = make(chan error, 1)
	)
	w := worker.New(worker.Options{Client: e.c, WorkerID: "leaving", ShutdownGrace: 50 * time.Millisecond})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		close(started)
		<-ctx.Done()
		ctxErrAt <- ctx.Err()
		return map[string]any{"result": "partial"}, fmt.Errorf("interrupted: %w", ctx.Err())
	})
	r := run(t, w)
	id := e.start(t, "x")
	recv(t, started)
	r.stop(t)
	require.ErrorIs(t, recv(t, ctxErrAt), context.Canceled)

	wf := e.get(t, id)
	require.Equal(t, workflow.StatusRunning, wf.Status)
	require.Len(t, wf.Tasks, 1)
	require.Equal(t, workflow.TaskScheduled, wf.Tasks[0].Status)
	require.Empty(t, wf.Tasks[0].OutputData, "a handed-back task keeps no partial output")

	// Another worker gets it at once, without waiting.
	tasks, err := e.c.PollTasks(t.Context(), taskType, "next", "", 1, 0)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.Equal(t, wf.Tasks[0].TaskID, tasks[0].TaskID)
	require.Equal(t, 2, tasks[0].PollCount)
	require.NoError(t, e.c.UpdateTask(t.Context(), &workflow.TaskResult{
		TaskID: tasks[0].TaskID, WorkflowInstanceID: id, PollCount: tasks[0].PollCount,
		Status: workflow.TaskCompleted, OutputData: map[string]any{"result": "done by next"},
	}))
	require.Equal(t, workflow.StatusCompleted, e.get(t, id).Status)
}

// recorder is a slog.Handler that sends each record to a channel.
type recorder chan slog.Record

func (r recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r recorder) WithGroup(string) slog.Handler            { return r }
func (r recorder) Handle(_ context.Context, rec slog.Record) error {
	select {
	case r <- rec.Clone():
	default: // a test reads only the records it waits for
	}
	return nil
}

func attr(rec slog.Record, key string) any {
	var v any
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.Any()
			return false
		}
		return true
	})
	return v
}

// TestRefusedResultIsNotRetried: when the server refuses a result for good
// (the task was completed by someone else meanwhile), the worker logs it
// and moves on.
func TestRefusedResultIsNotRetried(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{})
	logs := make(recorder, 64)
	w := worker.New(worker.Options{Client: e.c, Concurrency: 1, Logger: slog.New(logs)})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		if task.InputData["name"] == "stolen" {
			err := e.c.UpdateTask(ctx, &workflow.TaskResult{
				TaskID: task.TaskID, WorkflowInstanceID: task.WorkflowInstanceID,
				Status: workflow.TaskCompleted, OutputData: map[string]any{"result": "someone else"},
			})
			if err != nil {
				return nil, worker.Terminal(err)
			}
		}
		return map[string]any{"result": "worker"}, nil
	})
	run(t, w)

	stolen := e.start(t, "stolen")
	var rec slog.Record
	for rec.Message != "task update refused" {
		rec = recv(t, (<-chan slog.Record)(logs))
	}
	err, _ := attr(rec, "err").(error)
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "err: %v", err)
	wf := e.wait(t, stolen, workflow.StatusCompleted)
	require.Equal(t, "someone else", wf.Output["result"])

	// The one slot is free again: the worker moved on.
	wf = e.wait(t, e.start(t, "next"), workflow.StatusCompleted)
	require.Equal(t, "worker", wf.Output["result"])
}

// flaky is an HTTP transport to the real server that fails the first calls
// of chosen procedures as a dropped connection would.
type flaky struct {
	base  http.RoundTripper
	mu    sync.Mutex
	fail  map[string]int // procedure -> calls still to fail
	calls map[string]int // procedure -> calls seen
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	proc := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	f.mu.Lock()
	f.calls[proc]++
	fail := f.fail[proc] > 0
	if fail {
		f.fail[proc]--
	}
	f.mu.Unlock()
	if fail {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errors.New("injected: connection reset")
	}
	return f.base.RoundTrip(r)
}

func (f *flaky) seen(proc string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[proc]
}

// TestTransientErrorsAreRetried: failed polls are retried after a pause,
// and a result that could not be sent is sent again.
func TestTransientErrorsAreRetried(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(0)})
	transport := &flaky{
		base:  transport(t),
		fail:  map[string]int{"PollTasks": 2, "UpdateTask": 2},
		calls: map[string]int{},
	}
	c := client.New(e.srv.URL(), client.WithHTTPClient(&http.Client{Transport: transport}))
	w := worker.New(worker.Options{Client: c})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		return map[string]any{"result": "delivered"}, nil
	})
	run(t, w)

	wf := e.wait(t, e.start(t, "x"), workflow.StatusCompleted)
	require.Equal(t, "delivered", wf.Output["result"])
	require.Len(t, wf.Tasks, 1)
	require.Equal(t, 1, wf.Tasks[0].PollCount)
	require.Equal(t, 3, transport.seen("UpdateTask"), "two failed sends, then the one that arrived")
	require.GreaterOrEqual(t, transport.seen("PollTasks"), 3)
}

func TestRunRefusesAnIncompleteWorker(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	w := worker.New(worker.Options{})
	w.Handle(taskType, func(context.Context, *workflow.Task) (map[string]any, error) { return nil, nil })
	require.ErrorContains(t, w.Run(ctx), "Client is required")

	// Run returns before it calls the server, so none is needed.
	w = worker.New(worker.Options{Client: client.New("http://127.0.0.1:1")})
	require.ErrorContains(t, w.Run(ctx), "no handlers registered")
}

// TestOptionsBeyondServerLimits: a poll wait or a concurrency above what
// one poll may ask of the server (30s, 1000 tasks) still gets tasks.
func TestOptionsBeyondServerLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts worker.Options
	}{
		{name: "PollWait above 30s", opts: worker.Options{PollWait: time.Minute}},
		{name: "Concurrency above 1000", opts: worker.Options{Concurrency: 1500}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, workflow.TaskDef{})
			tc.opts.Client = e.c
			w := worker.New(tc.opts)
			w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
				return map[string]any{"result": "ok"}, nil
			})
			run(t, w)
			e.wait(t, e.start(t, "x"), workflow.StatusCompleted)
		})
	}
}

// TestResultsFetchTheNextTask: a worker with one slot runs a chain of five
// tasks with a single poll, each result bringing the next task back.
func TestResultsFetchTheNextTask(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(0)})
	chain := &workflow.WorkflowDef{Name: "chain"}
	for i := range 5 {
		chain.Tasks = append(chain.Tasks, &workflow.WorkflowTask{
			Name: taskType, TaskReferenceName: fmt.Sprintf("s%d", i), Type: workflow.TypeSimple,
		})
	}
	_, err := e.c.RegisterWorkflowDef(t.Context(), chain, true, false)
	require.NoError(t, err)
	// Start it before the worker runs, so that the worker's first poll finds
	// the first task.
	id, err := e.c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: "chain"})
	require.NoError(t, err)

	counting := &flaky{base: transport(t), fail: map[string]int{}, calls: map[string]int{}}
	c := client.New(e.srv.URL(), client.WithHTTPClient(&http.Client{Transport: counting}))
	w := worker.New(worker.Options{Client: c, Concurrency: 1})
	w.Handle(taskType, func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		return map[string]any{"done": task.ReferenceTaskName}, nil
	})
	run(t, w)
	wf := e.wait(t, id, workflow.StatusCompleted)
	require.Len(t, wf.Tasks, 5)
	for _, task := range wf.Tasks {
		require.Equal(t, 1, task.PollCount)
	}
	require.Equal(t, 5, counting.seen("UpdateTask"))
	// The first poll brought s0; the slot was busy until the chain ended,
	// so at most one more poll (the next long-poll) can have been sent.
	require.LessOrEqual(t, counting.seen("PollTasks"), 2)
}

func TestResultHandlerSaysTheWholeOutcome(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(0)})
	w := worker.New(worker.Options{Client: e.c, WorkerID: "w1"})
	w.HandleResult(taskType, func(ctx context.Context, task *workflow.Task) *workflow.TaskResult {
		return &workflow.TaskResult{
			Status:                workflow.TaskFailedWithTerminalError,
			OutputData:            map[string]any{"seen": task.InputData["name"]},
			ReasonForIncompletion: "no such user",
			Logs:                  []workflow.TaskExecLog{{Log: "INFO looked up " + fmt.Sprint(task.InputData["name"])}},
			TaskID:                "ignored: the worker fills in the ids",
		}
	})
	run(t, w)

	id := e.start(t, "Ada")
	wf := e.wait(t, id, workflow.StatusFailed)
	task := wf.Tasks[0]
	require.Equal(t, workflow.TaskFailedWithTerminalError, task.Status)
	require.Equal(t, "no such user", task.ReasonForIncompletion)
	require.Equal(t, map[string]any{"seen": "Ada"}, task.OutputData)
	require.Equal(t, "w1", task.WorkerID)
	logs, err := e.c.TaskLogs(t.Context(), task.TaskID)
	require.NoError(t, err)
	require.Len(t, logs, 1)
	require.Equal(t, "INFO looked up Ada", logs[0].Log)
}

func TestResultHandlerPanicOrNilFailsTheTask(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{RetryCount: ptr(0)})
	w := worker.New(worker.Options{Client: e.c, WorkerID: "w1"})
	w.HandleResult(taskType, func(ctx context.Context, task *workflow.Task) *workflow.TaskResult {
		if task.InputData["name"] == "nil" {
			return nil
		}
		panic("boom")
	})
	run(t, w)
	wf := e.wait(t, e.start(t, "panic"), workflow.StatusFailed)
	require.Contains(t, wf.Tasks[0].ReasonForIncompletion, "handler panicked: boom")
	wf = e.wait(t, e.start(t, "nil"), workflow.StatusFailed)
	require.Equal(t, "the handler returned no result", wf.Tasks[0].ReasonForIncompletion)
}

// TestTotalConcurrencyIsSharedByTypes: two task types with a total of one
// task at a time never run two at once, and each poll asks only for what
// may start.
func TestTotalConcurrencyIsSharedByTypes(t *testing.T) {
	t.Parallel()
	e := setup(t, workflow.TaskDef{})
	const other = "other_work"
	require.NoError(t, e.c.RegisterTaskDefs(t.Context(), &workflow.TaskDef{Name: other}))
	_, err := e.c.RegisterWorkflowDef(t.Context(), &workflow.WorkflowDef{
		Name: "both", Version: 1,
		Tasks: []*workflow.WorkflowTask{{Type: workflow.TypeForkJoin, Name: "fork", TaskReferenceName: "fork",
			ForkTasks: [][]*workflow.WorkflowTask{
				{{Name: taskType, TaskReferenceName: "a", Type: workflow.TypeSimple}},
				{{Name: other, TaskReferenceName: "b", Type: workflow.TypeSimple}},
			}}, {Type: workflow.TypeJoin, Name: "join", TaskReferenceName: "join", JoinOn: []string{"a", "b"}}},
	}, true, false)
	require.NoError(t, err)
	w := worker.New(worker.Options{Client: e.c, WorkerID: "w1", Concurrency: 4, TotalConcurrency: 1})
	var running, peak atomic.Int32
	h := func(ctx context.Context, task *workflow.Task) (map[string]any, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond) // a task that takes a while
		return nil, nil
	}
	w.Handle(taskType, h)
	w.Handle(other, h)
	run(t, w)
	var ids []string
	for range 4 {
		id, err := e.c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: "both"})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	for _, id := range ids {
		e.wait(t, id, workflow.StatusCompleted)
	}
	require.Equal(t, int32(1), peak.Load())
}
