package engine

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// MaxExecuteWait is the longest ExecuteWorkflow waits.
const MaxExecuteWait = 5 * time.Minute

// ExecuteRequest is a synchronous start: start, then wait for the end or
// for one of the named tasks.
type ExecuteRequest struct {
	Start *workflow.StartRequest
	// WaitUntilTaskRefs ends the wait once a task with one of these
	// reference names (or a loop iteration of it) has completed.
	WaitUntilTaskRefs []string
	// Wait is how long to wait at most; the execution goes on after it.
	Wait time.Duration
}

// ExecuteResult is what ExecuteWorkflow saw when it stopped waiting.
type ExecuteResult struct {
	// Workflow is the execution, with its tasks.
	Workflow *workflow.Workflow
	// Reached is false when the wait ran out first.
	Reached bool
}

// ExecuteWorkflow starts an execution and waits, up to req.Wait, until it
// ends, until one of req.WaitUntilTaskRefs completes, or until it waits on
// a HUMAN task or a WAIT task with no duration or until (which only an
// outside signal can end), as
// Conductor's synchronous execution does. It returns the execution as it
// was then; a wait that runs out is not an error (Reached is false).
func (e *Engine) ExecuteWorkflow(ctx context.Context, req *ExecuteRequest) (*ExecuteResult, error) {
	if req.Wait <= 0 || req.Wait > MaxExecuteWait {
		return nil, errorf(InvalidArgument, "the wait must be between 1 second and %s, got %s", MaxExecuteWait, req.Wait)
	}
	for _, ref := range req.WaitUntilTaskRefs {
		if strings.TrimSpace(ref) == "" {
			return nil, errorf(InvalidArgument, "waitUntilTaskRef holds an empty reference name")
		}
	}
	// Watched from before the start, so that an execution whose start
	// decision ends it (system tasks only) is handed over too.
	id := e.cfg.NewID()
	wt, unwatch := e.watchers.watch(id)
	defer func() { unwatch() }()
	started, err := e.start(ctx, req.Start, startOptions{id: id})
	if err != nil {
		return nil, err
	}
	if started != id {
		// An idempotent start found the execution its key started before.
		unwatch()
		id = started
		wt, unwatch = e.watchers.watch(id)
	}
	timer := time.NewTimer(req.Wait)
	defer timer.Stop()
	for {
		// Checked after watching, so that no change between the two is
		// missed. The cached execution says, without a read and a decode
		// of the stored one, whether there is anything to return yet.
		done, known := e.settled(id, req.WaitUntilTaskRefs)
		// The commit that ended the execution for good handed it over
		// under the execution's lock, which settled took after it: no
		// read and no decode of the stored one.
		if w := wt.ended.Load(); w != nil {
			return &ExecuteResult{Workflow: w, Reached: true}, nil
		}
		if done || !known {
			w, err := e.Workflow(ctx, id, true)
			if err != nil {
				return nil, err
			}
			if w.Status.Terminal() || reached(w, req.WaitUntilTaskRefs) {
				return &ExecuteResult{Workflow: w, Reached: true}, nil
			}
		}
		select {
		case <-wt.ch:
		case <-timer.C:
			w, err := e.Workflow(ctx, id, true)
			if err != nil {
				return nil, err
			}
			return &ExecuteResult{Workflow: w, Reached: w.Status.Terminal() || reached(w, req.WaitUntilTaskRefs)}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-e.stop:
			return nil, errorf(Unavailable, "the server is stopping; workflow %s goes on", id)
		}
	}
}

// settled reports, from the engine's cache, whether an execution has ended
// or reached one of refs; known is false when it is not cached.
func (e *Engine) settled(id string, refs []string) (done, known bool) {
	unlock := e.lock(id)
	defer unlock()
	ex := e.cache.get(id)
	if ex == nil {
		return false, false
	}
	return ex.Workflow.Status.Terminal() || reached(ex.Workflow, refs), true
}

// reached reports whether one of refs completed or the execution waits on
// a signal.
func reached(w *workflow.Workflow, refs []string) bool {
	for _, t := range w.Tasks {
		switch {
		case slices.Contains(refs, workflow.BaseRef(t.ReferenceTaskName)) && t.Status.Terminal() && t.Status.Successful():
			return true
		case t.TaskType == workflow.TypeHuman && !t.Status.Terminal():
			return true
		case t.TaskType == workflow.TypeWait && !t.Status.Terminal() && t.InputData["duration"] == nil && t.InputData["until"] == nil:
			return true
		}
	}
	return false
}

// watchers wake the callers waiting for a change of an execution. They
// cost the commit path one atomic load while nobody waits.
type watchers struct {
	n  atomic.Int64
	mu sync.Mutex
	m  map[string][]*watcher
}

// watcher is one caller waiting for changes of an execution.
type watcher struct {
	// ch receives after each commit of the execution (changes in a row may
	// be merged into one).
	ch chan struct{}
	// ended is set, before ch is signalled, by the commit that ended the
	// execution for good: the committed workflow, which the engine no
	// longer caches and so never changes again. Read only.
	ended atomic.Pointer[workflow.Workflow]
}

// watch starts watching an execution and returns the watcher and how to
// stop.
func (ws *watchers) watch(id string) (*watcher, func()) {
	wt := &watcher{ch: make(chan struct{}, 1)}
	ws.mu.Lock()
	if ws.m == nil {
		ws.m = map[string][]*watcher{}
	}
	ws.m[id] = append(ws.m[id], wt)
	ws.n.Add(1)
	ws.mu.Unlock()
	return wt, func() {
		ws.mu.Lock()
		list := slices.DeleteFunc(ws.m[id], func(w *watcher) bool { return w == wt })
		if len(list) == 0 {
			delete(ws.m, id)
		} else {
			ws.m[id] = list
		}
		ws.n.Add(-1)
		ws.mu.Unlock()
	}
}

// changed wakes the watchers of an execution. ended is the committed
// workflow if the commit ended it for good (see watcher.ended), else nil.
func (ws *watchers) changed(id string, ended *workflow.Workflow) {
	if ws.n.Load() == 0 {
		return
	}
	ws.mu.Lock()
	for _, wt := range ws.m[id] {
		if ended != nil {
			wt.ended.Store(ended)
		}
		select {
		case wt.ch <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
	ws.mu.Unlock()
}
