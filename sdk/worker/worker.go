// Package worker runs task handlers against a Baton server: it long-polls
// the server for tasks in batches, runs each task in its own goroutine with
// bounded concurrency, keeps the task's lease alive with heartbeats while the
// handler runs, reports the result (retrying transient errors), and on
// shutdown lets running tasks finish or hands them back.
//
//	w := worker.New(worker.Options{Client: client.New("http://127.0.0.1:8080")})
//	w.Handle("greet", func(ctx context.Context, t *workflow.Task) (map[string]any, error) {
//		return map[string]any{"greeting": fmt.Sprint("Hello, ", t.InputData["name"])}, nil
//	})
//	err := w.Run(ctx) // until ctx is cancelled
package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"connectrpc.com/connect"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// Handler does the work of one task. The returned map becomes the task's
// output. A returned error fails the attempt (the server retries it per the
// task definition); wrap it with Terminal to fail without retries, or return
// an *InProgress to check the task back in for later. ctx is cancelled when
// the lease is lost or the worker's shutdown grace period ends.
type Handler func(ctx context.Context, task *workflow.Task) (map[string]any, error)

// ResultHandler does the work of one task and says all of its outcome: the
// status, output, reason, callback delay and log lines of the result (the
// worker fills in the task, workflow and worker ids). It is for handlers
// that are themselves runtimes, such as a Wasm plugin. When ctx ends
// during the call, a result other than COMPLETED is dropped and the task
// is handed back, as for a Handler.
type ResultHandler func(ctx context.Context, task *workflow.Task) *workflow.TaskResult

// Options configure a Worker.
type Options struct {
	// Client talks to the server. Required.
	Client *client.Client
	// WorkerID names this worker in task records. Default: the host name.
	WorkerID string
	// Domain is the task domain to poll; empty for none.
	Domain string
	// Concurrency is how many tasks of each type run at once. Default 8.
	// One poll asks for at most 1000 tasks, the server's limit.
	Concurrency int
	// TotalConcurrency, when set, caps the tasks running at once across all
	// types, for handlers that share one limited resource (a Wasm plugin's
	// instances). A poll then asks only for tasks that may start at once,
	// so that none waits leased for a slot.
	TotalConcurrency int
	// PollWait is how long one long-poll waits for tasks. Default 10s; at
	// most 30s, the server's limit.
	PollWait time.Duration
	// ShutdownGrace is how long Run waits for running tasks after its
	// context ends before handing them back. Default 10s.
	ShutdownGrace time.Duration
	// Logger receives the worker's log. Default: discard.
	Logger *slog.Logger
}

// The limits of one PollTasks call that the server enforces; asking for
// more is refused, so a worker asks for no more.
const (
	maxPollWait  = 30 * time.Second
	maxPollCount = 1000
)

// Worker polls for and runs tasks. Register handlers with Handle, then Run.
type Worker struct {
	opts     Options
	handlers map[string]ResultHandler
	total    chan struct{} // the slots of TotalConcurrency; nil without it
}

// New returns a worker.
func New(opts Options) *Worker {
	if opts.WorkerID == "" {
		opts.WorkerID, _ = os.Hostname()
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.PollWait <= 0 {
		opts.PollWait = 10 * time.Second
	}
	opts.PollWait = min(opts.PollWait, maxPollWait)
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w := &Worker{opts: opts, handlers: map[string]ResultHandler{}}
	if opts.TotalConcurrency > 0 {
		w.total = make(chan struct{}, opts.TotalConcurrency)
	}
	return w
}

// Handle registers the handler of a task type. Call it before Run.
func (w *Worker) Handle(taskType string, h Handler) { w.handlers[taskType] = adapt(h) }

// HandleResult registers the result handler of a task type. Call it before
// Run.
func (w *Worker) HandleResult(taskType string, h ResultHandler) { w.handlers[taskType] = h }

// TerminalError fails a task without retries (FAILED_WITH_TERMINAL_ERROR).
type TerminalError struct{ Err error }

func (e *TerminalError) Error() string { return e.Err.Error() }
func (e *TerminalError) Unwrap() error { return e.Err }

// Terminal wraps err so that the task fails without retries.
func Terminal(err error) error { return &TerminalError{Err: err} }

// InProgress, returned as a handler's error, checks the task back in: the
// server hands it out again after CallbackAfter, keeping Output.
type InProgress struct {
	CallbackAfter time.Duration
}

func (e *InProgress) Error() string {
	return fmt.Sprintf("in progress, call back after %v", e.CallbackAfter)
}

// Run polls and runs tasks until ctx ends, then stops polling, waits up to
// ShutdownGrace for running tasks, and hands back the ones still running
// (they become available to other workers at once).
func (w *Worker) Run(ctx context.Context) error {
	if w.opts.Client == nil {
		return errors.New("worker: Options.Client is required")
	}
	if len(w.handlers) == 0 {
		return errors.New("worker: no handlers registered")
	}
	// Tasks run under their own context, cancelled only after the grace
	// period, so that a shutdown lets them finish.
	taskCtx, cancelTasks := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelTasks()
	var (
		pollers sync.WaitGroup
		running sync.WaitGroup
	)
	for typ, h := range w.handlers {
		pollers.Add(1)
		go func() {
			defer pollers.Done()
			w.poll(ctx, taskCtx, typ, h, &running)
		}()
	}
	pollers.Wait()
	done := make(chan struct{})
	go func() { running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.opts.ShutdownGrace):
		cancelTasks() // handlers see ctx.Done and their tasks are handed back
		<-done
	}
	return nil
}

// poll is the loop of one task type: long-poll for as many tasks as there
// are free slots, start each, repeat.
func (w *Worker) poll(ctx, taskCtx context.Context, typ string, h ResultHandler, running *sync.WaitGroup) {
	slots := make(chan struct{}, w.opts.Concurrency)
	batch := min(w.opts.Concurrency, maxPollCount)
	backoff := newBackoff()
	wait := w.opts.PollWait
	if w.total != nil && len(w.handlers) > 1 {
		// A long poll holds shared slots: on a quiet type it would keep
		// them from a busy one.
		wait = min(wait, time.Second)
	}
	release := func() {
		<-slots
		if w.total != nil {
			<-w.total
		}
	}
	for ctx.Err() == nil {
		// Wait for at least one free slot, then take all that are free (up
		// to batch).
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if w.total != nil {
			select {
			case w.total <- struct{}{}:
			case <-ctx.Done():
				<-slots
				return
			}
		}
		free := 1
	fill:
		for free < batch {
			select {
			case slots <- struct{}{}:
			default:
				break fill
			}
			if w.total != nil {
				select {
				case w.total <- struct{}{}:
				default:
					<-slots
					break fill
				}
			}
			free++
		}
		tasks, err := w.opts.Client.PollTasks(ctx, typ, w.opts.WorkerID, w.opts.Domain, free, wait)
		if err != nil {
			for range free {
				release()
			}
			if ctx.Err() != nil {
				return
			}
			w.opts.Logger.Warn("poll failed", "taskType", typ, "err", err)
			backoff.wait(ctx)
			continue
		}
		backoff.reset()
		for range free - len(tasks) {
			release()
		}
		for _, t := range tasks {
			running.Add(1)
			go func() {
				defer func() { release(); running.Done() }()
				// While the worker is polling, each result fetches the
				// next task of the type in the same call, and the slot runs
				// it.
				for t != nil {
					var next string
					if ctx.Err() == nil {
						next = typ
					}
					t = w.run(taskCtx, h, t, next)
				}
			}()
		}
	}
}

// run executes one task with heartbeats and reports its result. With a
// next task type, the report also asks for a task of that type, which run
// returns.
func (w *Worker) run(ctx context.Context, h ResultHandler, t *workflow.Task, next string) *workflow.Task {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopBeats := w.heartbeat(ctx, cancel, t)
	r := safeResult(ctx, h, t)
	stopBeats()
	if ctx.Err() != nil {
		if r.Status != workflow.TaskCompleted {
			// Shut down or lease lost, most likely what stopped the
			// handler: hand the task back for another worker.
			r = &workflow.TaskResult{Status: workflow.TaskInProgress}
		}
		next = "" // this slot takes nothing new
	}
	r.TaskID = t.TaskID
	r.WorkflowInstanceID = t.WorkflowInstanceID
	r.WorkerID = w.opts.WorkerID
	r.PollCount = t.PollCount
	return w.report(r, next)
}

// safeResult runs a result handler, turning a panic or a nil result into a
// failure.
func safeResult(ctx context.Context, h ResultHandler, t *workflow.Task) (r *workflow.TaskResult) {
	defer func() {
		if p := recover(); p != nil {
			r = &workflow.TaskResult{Status: workflow.TaskFailed, ReasonForIncompletion: fmt.Sprintf("handler panicked: %v\n%s", p, debug.Stack())}
		}
	}()
	if r = h(ctx, t); r == nil {
		r = &workflow.TaskResult{Status: workflow.TaskFailed, ReasonForIncompletion: "the handler returned no result"}
	}
	return r
}

// adapt makes a Handler a ResultHandler: its error says how the task ends.
func adapt(h Handler) ResultHandler {
	return func(ctx context.Context, t *workflow.Task) *workflow.TaskResult {
		output, err := safeCall(ctx, h, t)
		r := &workflow.TaskResult{OutputData: output, Status: workflow.TaskCompleted}
		var (
			terminal *TerminalError
			progress *InProgress
		)
		switch {
		case err == nil:
		case errors.As(err, &progress):
			r.Status = workflow.TaskInProgress
			r.CallbackAfterSeconds = int64(progress.CallbackAfter / time.Second)
		case errors.As(err, &terminal):
			r.Status = workflow.TaskFailedWithTerminalError
			r.ReasonForIncompletion = err.Error()
		default:
			r.Status = workflow.TaskFailed
			r.ReasonForIncompletion = err.Error()
		}
		return r
	}
}

// safeCall runs a handler, turning a panic into a failure.
func safeCall(ctx context.Context, h Handler, t *workflow.Task) (out map[string]any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return h(ctx, t)
}

// heartbeat extends the task's lease every third of its response timeout
// while the handler runs; if the server says the lease is gone, the
// handler's context is cancelled.
func (w *Worker) heartbeat(ctx context.Context, lost context.CancelFunc, t *workflow.Task) (stop func()) {
	every := time.Duration(t.ResponseTimeoutSeconds) * time.Second / 3
	if every <= 0 {
		return func() {}
	}
	every = max(every, 500*time.Millisecond)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				err := w.opts.Client.Heartbeat(ctx, t.TaskID, t.PollCount, w.opts.WorkerID)
				if err != nil && permanent(err) {
					w.opts.Logger.Warn("task lease lost", "task", t.TaskID, "err", err)
					lost()
					return
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// report sends a result, retrying transient failures for up to a minute.
// With a next task type, the first attempt also asks for the next task of
// that type and returns it. A retry does not ask: if the first attempt was
// applied but its answer lost, a task leased by it waits for its response
// timeout, as with any lost poll answer.
func (w *Worker) report(r *workflow.TaskResult, next string) *workflow.Task {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	backoff := newBackoff()
	for {
		var (
			tasks []*workflow.Task
			err   error
		)
		if next != "" {
			tasks, err = w.opts.Client.UpdateTaskAndPoll(ctx, r, next, w.opts.Domain, 1)
			next = ""
		} else {
			err = w.opts.Client.UpdateTask(ctx, r)
		}
		if err == nil {
			if len(tasks) > 0 {
				return tasks[0]
			}
			return nil
		}
		if permanent(err) || ctx.Err() != nil {
			w.opts.Logger.Warn("task update refused", "task", r.TaskID, "status", r.Status, "err", err)
			return nil
		}
		backoff.wait(ctx)
	}
}

// permanent reports whether retrying a call cannot help.
func permanent(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeFailedPrecondition, connect.CodeNotFound, connect.CodeInvalidArgument,
		connect.CodeAlreadyExists, connect.CodePermissionDenied, connect.CodeUnauthenticated:
		return true
	}
	return false
}

// backoff waits 50ms, doubling to 5s, between failed attempts.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{d: 50 * time.Millisecond} }

func (b *backoff) reset() { b.d = 50 * time.Millisecond }

func (b *backoff) wait(ctx context.Context) {
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	b.d = min(b.d*2, 5*time.Second)
}
