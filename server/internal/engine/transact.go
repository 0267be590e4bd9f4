package engine

import (
	"context"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/store"
)

// change is one decided, not yet committed, change of one execution.
type change struct {
	version uint64
	wakeAt  int64 // stored WakeAt, Unix ms
	// inProgress are the queued tasks that were IN_PROGRESS when loaded
	// (their end frees a concurrency slot).
	inProgress map[string]bool
	status     workflow.Status
	res        *decider.Result
	// ack are messages this change consumes; send are messages it sends
	// besides those the decision's commands make (filled by transition).
	ack  []string
	send []*store.Message
	// listen is set when the workflow has a status listener (listener.go).
	listen *listening
}

// decide runs the decider over a loaded execution for one or more events.
// Events after a refused one are still applied; the refusals are returned
// per event.
func (e *Engine) decide(ex *store.Execution, events ...decider.Event) (*change, []error) {
	c := &change{
		version:    ex.Version,
		inProgress: map[string]bool{},
		status:     ex.Workflow.Status,
		listen:     e.listenTo(ex.Workflow),
	}
	if !ex.WakeAt.IsZero() {
		c.wakeAt = ex.WakeAt.UnixMilli()
	}
	for _, t := range ex.Workflow.Tasks {
		if t.Status == workflow.TaskInProgress && queued(t) {
			c.inProgress[t.TaskID] = true
		}
	}
	errs := make([]error, len(events))
	for i, ev := range events {
		errs[i] = e.decideMore(c, ex, ev)
	}
	return c, errs
}

// decideMore applies one more event to a change; a refused event adds
// nothing.
func (e *Engine) decideMore(c *change, ex *store.Execution, ev decider.Event) error {
	wake := ex.WakeAt
	if c.res != nil {
		wake = c.res.WakeAt
	}
	in := e.decisionInput(ex.Workflow, ev)
	in.Continue = c.res == nil
	in.Decided = true
	in.WakeAt = wake
	res, err := decider.Decide(in)
	if err != nil {
		return err
	}
	if c.res == nil {
		c.res = res
	} else {
		c.res.Merge(res)
	}
	return nil
}

// decisionInput is what the engine gives every decision about w: its
// clock, the registered task definitions, ids, the script runner and the
// domains workers poll.
func (e *Engine) decisionInput(w *workflow.Workflow, ev decider.Event) decider.Input {
	return decider.Input{
		Now:      e.now(),
		Workflow: w,
		TaskDef:  e.defs.task,
		NewID:    e.cfg.NewID,
		Jitter:   jitter,
		Scripts:  e.cfg.Scripts,
		Active:   e.activeDomain,
		Event:    ev,
	}
}

// needed reports whether the change has anything to commit.
func (c *change) needed() bool {
	if c.res == nil {
		return false
	}
	var wake int64
	if !c.res.WakeAt.IsZero() {
		wake = c.res.WakeAt.UnixMilli()
	}
	return !c.res.Noop() || wake != c.wakeAt || len(c.ack) > 0 || len(c.send) > 0
}

// transition is what a change commits: the decision, the messages its
// commands and the workflow's end send, and the messages it consumed.
func (e *Engine) transition(c *change) *store.Transition {
	r := c.res
	now := e.now().UnixMilli()
	t := &store.Transition{
		Workflow: r.Workflow,
		Version:  c.version,
		WakeAt:   r.WakeAt,
		Tasks:    r.Changed,
		Logs:     r.Logs,
		Removed:  r.Removed,
		Ack:      c.ack,
		// A new definition may give the input new defaults.
		InputChanged:      r.InputChanged || r.DefinitionChanged,
		DefinitionChanged: r.DefinitionChanged,
	}
	for _, h := range r.History {
		t.History = append(t.History, store.Event{Time: now, Type: h.Type, TaskID: h.TaskID, Detail: h.Detail})
	}
	c.send = append(c.send, e.messages(c)...)
	c.send = append(c.send, e.statusEvents(c)...)
	t.Send = c.send
	return t
}

// applied updates the in-memory indexes after a change was committed
// (queues, in-progress counts, the timer), wakes the watchers and
// publishes the change to the feed. The caller holds the execution's lock.
func (e *Engine) applied(c *change) {
	r := c.res
	w := r.Workflow
	now := e.now().UnixMilli()
	for _, t := range r.Changed {
		if c.inProgress[t.TaskID] && t.Status != workflow.TaskInProgress {
			e.limits.ended(t.TaskType)
		}
	}
	for _, t := range r.Removed {
		// A restart may remove tasks that the end of the workflow had not
		// cancelled yet.
		e.queues.remove(t.TaskID)
		if c.inProgress[t.TaskID] {
			e.limits.ended(t.TaskType)
		}
	}
	tasks := r.Changed
	if w.Status != c.status {
		// Pause, resume and the end of a workflow change which of all its
		// tasks may be handed out.
		tasks = w.Tasks
	}
	for _, t := range tasks {
		if w.Status == workflow.StatusRunning && t.Status == workflow.TaskScheduled && queued(t) {
			e.queues.push(queueItem(t), now)
		} else {
			e.queues.remove(t.TaskID)
		}
	}
	if !r.WakeAt.IsZero() {
		e.timer.notify(r.WakeAt)
	}
	e.dispatch(c.send)
	var ended *workflow.Workflow
	if w.Status.Terminal() && r.WakeAt.IsZero() {
		// committed dropped the execution from the cache: nothing changes
		// this workflow any more, and a waiting ExecuteWorkflow may return
		// it as it is rather than read the stored one.
		ended = w
	}
	e.watchers.changed(w.WorkflowID, ended)
	e.observe(c, now)
	e.publishChange(c)
}

// transact applies events to one execution under its lock and commits the
// result. It returns the first refusal, if any; the events that were not
// refused are committed all the same.
func (e *Engine) transact(ctx context.Context, workflowID string, events ...decider.Event) error {
	return e.transactWith(ctx, workflowID, nil, events...)
}

// transactWith is transact with a step that runs under the lock once the
// events are decided and before the commit, and may add to the change. The
// step returns how to undo what it did outside the change (nil if nothing),
// for when the commit fails.
func (e *Engine) transactWith(ctx context.Context, workflowID string, step func(*change, *store.Execution) (undo func()), events ...decider.Event) error {
	unlock := e.lock(workflowID)
	defer unlock()
	ex, err := e.load(ctx, workflowID)
	if err != nil {
		return err
	}
	c, errs := e.decide(ex, events...)
	if c.res == nil {
		return classify(errs[0], "workflow "+workflowID)
	}
	// Inline plugin tasks run first, so that the step may lease a task
	// their results schedule.
	undoInline := e.runInline(c, ex)
	var undo func()
	if step != nil {
		undo = step(c, ex)
	}
	if c.needed() {
		// Polls waiting for the tasks it schedules get them leased in
		// this commit (delivered before the lock is released).
		deliver := e.handOff(c, ex)
		err := e.store.Commit(ctx, e.transition(c))
		e.committed(ex, c, err)
		if deliver != nil {
			defer deliver(err == nil)
		}
		if err != nil {
			for _, u := range []func(){undoInline, undo} {
				if u != nil {
					u()
				}
			}
			return classify(err, "commit workflow "+workflowID)
		}
		e.applied(c)
	}
	for _, err := range errs {
		if err != nil {
			return classify(err, "workflow "+workflowID)
		}
	}
	return nil
}

// settle carries out, one commit after another, the work that decisions
// about an execution left for the decisions that follow (cancelling the
// tasks of an ended fork of thousands of branches, retrying or restarting
// it: see decider/pending.go), and returns once none is left. The timer
// would do the same, a wake-up at a time; an operation on the execution
// settles it first, so that it sees the execution whole, and after, so
// that it returns once done. A crash in between leaves the work to the
// timer after the restart.
func (e *Engine) settle(ctx context.Context, id string) error {
	for {
		unlock := e.lock(id)
		ex, err := e.load(ctx, id)
		var version uint64
		more := err == nil && decider.Unfinished(ex.Workflow)
		if more {
			version = ex.Version
		}
		unlock()
		if err != nil || !more {
			return err
		}
		if err := e.transact(ctx, id, decider.Tick{}); err != nil {
			return err
		}
		unlock = e.lock(id)
		ex, err = e.load(ctx, id)
		stuck := err == nil && ex.Version == version
		unlock()
		if err != nil || stuck {
			return err // stuck: nothing was committed; the timer retries
		}
	}
}
