package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/store"
)

// PollRequest asks for tasks of one type.
type PollRequest struct {
	// TaskType is the task definition name.
	TaskType string
	// Domain selects the queue "domain:taskType"; empty for none.
	Domain string
	// WorkerID identifies the worker in the task record.
	WorkerID string
	// Count is the most tasks to return (at least 1).
	Count int
	// Wait is how long to wait for a first task; zero returns at once.
	Wait time.Duration
}

// limitedRecheck is how soon a poll looks again at a queue that has tasks
// held back by a rate or concurrency limit.
const limitedRecheck = 50 * time.Millisecond

// Poll leases up to Count tasks of a type to a worker, waiting up to Wait
// for the first. Each returned task is IN_PROGRESS and durably leased; its
// PollCount is the fencing token for later updates.
func (e *Engine) Poll(ctx context.Context, req PollRequest) ([]*workflow.Task, error) {
	return e.poll(ctx, req, false)
}

// poll is Poll, of the internal queue of the type when internal.
func (e *Engine) poll(ctx context.Context, req PollRequest, internal bool) ([]*workflow.Task, error) {
	if req.TaskType == "" {
		return nil, errorf(InvalidArgument, "the task type to poll is required")
	}
	if strings.ContainsRune(req.TaskType, 0) || strings.ContainsRune(req.Domain, 0) {
		return nil, errorf(InvalidArgument, "the task type and domain may not contain NUL bytes")
	}
	if req.Count < 1 {
		req.Count = 1
	}
	wait := min(max(req.Wait, 0), e.cfg.MaxPollWait)
	name := QueueName(req.TaskType, req.Domain)
	if internal {
		name = internalQueue(req.TaskType)
	} else {
		e.pollers.polled(req.TaskType, req.Domain, req.WorkerID, e.now().UnixMilli())
	}
	deadline := time.Now().Add(wait)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		now := e.now().UnixMilli()
		limited := false
		items, w, nextVisible := e.queues.claim(name, req.Count, now, func(taskType string) bool {
			if e.limits.reserve(taskType, e.defs.task(taskType), now) {
				return true
			}
			limited = true
			return false
		}, req.WorkerID, ctx.Done())
		if len(items) > 0 {
			tasks, err := e.lease(ctx, items, req.WorkerID)
			if err == nil && len(tasks) > 0 && ctx.Err() != nil {
				// The poller left while its tasks were leased: nobody will
				// receive them, so give them back now rather than after
				// their response timeout.
				e.handBack(tasks)
				return []*workflow.Task{}, nil
			}
			if err != nil || len(tasks) > 0 {
				return tasks, err
			}
			continue // every claimed entry was stale; look again
		}
		left := time.Until(deadline)
		if left <= 0 {
			return e.stopWaiting(ctx, name, w), nil
		}
		if nextVisible > 0 {
			left = min(left, time.Duration(nextVisible-now)*time.Millisecond)
		}
		if limited {
			left = min(left, limitedRecheck)
		}
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		select {
		case <-w.wake:
			continue
		case t := <-w.handed:
			if t == nil {
				continue // the commit that was to lease it a task failed
			}
			return e.received(ctx, t), nil
		case <-timer.C:
		case <-ctx.Done():
			return e.stopWaiting(ctx, name, w), nil
		case <-e.stop:
			return e.stopWaiting(ctx, name, w), nil
		}
		if t := e.queues.unwait(name, w); t != nil {
			return e.received(ctx, t), nil
		}
	}
}

// stopWaiting ends a poll's wait on an empty queue: it returns the task a
// commit leased to the poll meanwhile, if any, or hands that back if the
// poller left.
func (e *Engine) stopWaiting(ctx context.Context, name string, w *waiter) []*workflow.Task {
	if t := e.queues.unwait(name, w); t != nil {
		return e.received(ctx, t)
	}
	return []*workflow.Task{}
}

// received is what a poll returns of a task a commit leased to it: the
// task, or nothing if the poller left (the task is then handed back).
func (e *Engine) received(ctx context.Context, t *workflow.Task) []*workflow.Task {
	if ctx.Err() != nil {
		e.handBack([]*workflow.Task{t})
		return []*workflow.Task{}
	}
	return []*workflow.Task{t}
}

// handOff leases, within the change that schedules them, the new worker
// tasks for which a poll waits on an empty queue, to those polls: the
// task's lease costs no commit of its own. It returns how to deliver the
// tasks once the change is committed (ok) or not.
func (e *Engine) handOff(c *change, ex *store.Execution) (deliver func(ok bool)) {
	select {
	case <-e.stop:
		return nil // the polls are leaving: the queue keeps the tasks
	default:
	}
	if ex.Workflow.Status != workflow.StatusRunning {
		return nil
	}
	type handed struct {
		w *waiter
		t *workflow.Task
	}
	var hs []handed
	now := e.now().UnixMilli()
	for _, t := range slices.Clone(c.res.Changed) {
		if t.Status != workflow.TaskScheduled || decider.KindOf(t) != decider.KindWorker || t.VisibleTime > now {
			continue
		}
		name := QueueName(t.TaskType, t.Domain)
		if !e.queues.waiting(name) || !e.limits.reserve(t.TaskType, e.defs.task(t.TaskType), now) {
			continue
		}
		w := e.queues.handOff(name)
		if w == nil {
			e.limits.release(t.TaskType)
			continue
		}
		if e.decideMore(c, ex, decider.Lease{TaskID: t.TaskID, WorkerID: w.worker}) != nil {
			e.limits.release(t.TaskType)
			w.handed <- nil
			continue
		}
		hs = append(hs, handed{w, t})
	}
	if len(hs) == 0 {
		return nil
	}
	return func(ok bool) {
		for _, h := range hs {
			if !ok {
				e.limits.release(h.t.TaskType)
				h.w.handed <- nil
				continue
			}
			copied := *h.t // the cached execution changes after the lock is released
			h.w.handed <- &copied
		}
	}
}

// lease commits leases of claimed queue entries and returns the leased
// tasks. Entries whose lease is refused (the task moved on) are dropped; if
// the commit fails they all go back to their queue.
func (e *Engine) lease(ctx context.Context, items []item, workerID string) ([]*workflow.Task, error) {
	var ids []string
	byWorkflow := map[string][]item{}
	for _, it := range items {
		if byWorkflow[it.workflowID] == nil {
			ids = append(ids, it.workflowID)
		}
		byWorkflow[it.workflowID] = append(byWorkflow[it.workflowID], it)
	}
	unlock := e.lockAll(ids)
	defer unlock()
	var (
		execs   []*store.Execution
		changes []*change
		ts      []*store.Transition
		leased  []*workflow.Task
		kept    []item
	)
	now := e.now().UnixMilli()
	for k, id := range ids {
		its := byWorkflow[id]
		ex, err := e.load(ctx, id)
		if err != nil {
			if CodeOf(err) == NotFound {
				for _, it := range its {
					e.limits.release(it.taskType)
				}
				continue
			}
			// Nothing of this lease is committed (a poll cancelled while a
			// workflow loaded): the leases decided so far leave the cache,
			// and every task claimed goes back to its queue, this
			// workflow's and the later ones' too.
			for i, c := range changes {
				e.committed(execs[i], c, err)
			}
			back := append(kept, its...)
			for _, later := range ids[k+1:] {
				back = append(back, byWorkflow[later]...)
			}
			e.requeue(back, now)
			return nil, err
		}
		events := make([]decider.Event, len(its))
		for i, it := range its {
			events[i] = decider.Lease{TaskID: it.taskID, WorkerID: workerID}
		}
		c, errs := e.decide(ex, events...)
		for i, err := range errs {
			if err != nil {
				e.limits.release(its[i].taskType)
				continue
			}
			kept = append(kept, its[i])
			// A copy: the cached execution changes after the lock is released.
			task := *ex.Workflow.TaskByID(its[i].taskID)
			leased = append(leased, &task)
		}
		if c.res != nil && c.needed() {
			execs = append(execs, ex)
			changes = append(changes, c)
			ts = append(ts, e.transition(c))
		}
	}
	if len(ts) == 0 {
		return nil, nil
	}
	err := e.store.Commit(ctx, ts...)
	for i, c := range changes {
		e.committed(execs[i], c, err)
	}
	if err != nil {
		e.requeue(kept, now)
		return nil, classify(err, "commit leases")
	}
	for _, c := range changes {
		e.applied(c)
	}
	return leased, nil
}

// handBack returns leased tasks to their queue at once.
func (e *Engine) handBack(tasks []*workflow.Task) {
	ctx := context.Background()
	for _, t := range tasks {
		if err := e.transact(ctx, t.WorkflowInstanceID, decider.Release{TaskID: t.TaskID, PollCount: t.PollCount}); err != nil {
			e.log.Warn("hand back an undelivered task", "task", t.TaskID, "err", err)
		}
	}
}

// requeue puts claimed entries back after a failed lease commit.
func (e *Engine) requeue(items []item, now int64) {
	for _, it := range items {
		e.limits.release(it.taskType)
		e.queues.push(it, now)
	}
}

// UpdateTask applies a worker's result to a task and makes the decision
// that follows it (the next task, a retry, the end of the workflow) in the
// same commit. A result for a task that is already terminal, or whose lease
// (PollCount) has ended, is refused and changes nothing.
func (e *Engine) UpdateTask(ctx context.Context, r *workflow.TaskResult) error {
	_, err := e.update(ctx, r, "")
	return err
}

// update applies a worker's result. When next names a queue, a task of that
// queue which the update schedules is leased to the same worker in the same
// commit and returned: the worker's next task costs no extra commit and no
// race with other pollers.
func (e *Engine) update(ctx context.Context, r *workflow.TaskResult, next string) (*workflow.Task, error) {
	if r == nil || r.TaskID == "" {
		return nil, errorf(InvalidArgument, "taskId is required")
	}
	wfID := r.WorkflowInstanceID
	if wfID == "" {
		t, err := e.store.TaskGet(ctx, r.TaskID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errorf(NotFound, "task %s does not exist", r.TaskID)
		}
		if err != nil {
			return nil, classify(err, "read task "+r.TaskID)
		}
		wfID = t.WorkflowInstanceID
	}
	if next == "" {
		return nil, e.transact(ctx, wfID, decider.Update{Result: r})
	}
	var leased *workflow.Task
	err := e.transactWith(ctx, wfID, func(c *change, ex *store.Execution) func() {
		t := e.leaseNext(c, ex, next, r.WorkerID)
		if t == nil {
			return nil
		}
		copied := *t // the cached execution changes after the lock is released
		leased = &copied
		return func() { e.limits.release(t.TaskType) }
	}, decider.Update{Result: r})
	if err != nil {
		return nil, err
	}
	return leased, nil
}

// leaseNext leases to a worker, within a change, a task of the queue next
// that the change scheduled, if any and if the limits allow; it returns the
// leased task.
func (e *Engine) leaseNext(c *change, ex *store.Execution, next, workerID string) *workflow.Task {
	if ex.Workflow.Status != workflow.StatusRunning {
		return nil
	}
	now := e.now().UnixMilli()
	for _, t := range c.res.Changed {
		if t.Status != workflow.TaskScheduled || decider.KindOf(t) != decider.KindWorker || t.VisibleTime > now || QueueName(t.TaskType, t.Domain) != next {
			continue
		}
		if !e.limits.reserve(t.TaskType, e.defs.task(t.TaskType), now) {
			return nil
		}
		if e.decideMore(c, ex, decider.Lease{TaskID: t.TaskID, WorkerID: workerID}) != nil {
			e.limits.release(t.TaskType)
			return nil
		}
		return t
	}
	return nil
}

// UpdateTaskAndPoll records a result as UpdateTask does, then leases up to
// next.Count tasks of next.TaskType without waiting (next.Wait is ignored),
// so that a worker gets its next task in the same call. An empty
// next.TaskType means the updated task's own type and domain.
func (e *Engine) UpdateTaskAndPoll(ctx context.Context, r *workflow.TaskResult, next PollRequest) ([]*workflow.Task, error) {
	if next.TaskType == "" {
		if r == nil || r.TaskID == "" {
			return nil, errorf(InvalidArgument, "taskId is required")
		}
		t, err := e.Task(ctx, r.TaskID)
		if err != nil {
			return nil, err
		}
		next.TaskType, next.Domain = t.TaskType, t.Domain
		if r.WorkflowInstanceID == "" {
			// Spare update a second read of the task.
			withID := *r
			withID.WorkflowInstanceID = t.WorkflowInstanceID
			r = &withID
		}
	}
	if next.WorkerID == "" {
		next.WorkerID = r.WorkerID
	}
	if next.Count < 1 {
		next.Count = 1
	}
	chained, err := e.update(ctx, r, QueueName(next.TaskType, next.Domain))
	if err != nil {
		return nil, err
	}
	var tasks []*workflow.Task
	if chained != nil {
		tasks = append(tasks, chained)
		next.Count--
	}
	if next.Count > 0 {
		next.Wait = 0
		more, err := e.Poll(ctx, next)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, more...)
	}
	return tasks, nil
}

// Heartbeat extends the response-timeout lease of an IN_PROGRESS task.
// pollCount, when not zero, must be the PollCount of the lease.
func (e *Engine) Heartbeat(ctx context.Context, taskID string, pollCount int, workerID string) error {
	return e.UpdateTask(ctx, &workflow.TaskResult{TaskID: taskID, PollCount: pollCount, WorkerID: workerID, ExtendLease: true})
}

// Task returns one task.
func (e *Engine) Task(ctx context.Context, taskID string) (*workflow.Task, error) {
	t, err := e.store.TaskGet(ctx, taskID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(NotFound, "task %s does not exist", taskID)
	}
	return t, classify(err, "read task "+taskID)
}

// AddTaskLogs appends lines to a task's execution log.
func (e *Engine) AddTaskLogs(ctx context.Context, taskID string, lines []string) error {
	if _, err := e.Task(ctx, taskID); err != nil {
		return err
	}
	now := e.now().UnixMilli()
	logs := make([]workflow.TaskExecLog, len(lines))
	for i, l := range lines {
		logs[i] = workflow.TaskExecLog{Log: l, TaskID: taskID, CreatedTime: now}
	}
	return classify(e.store.TaskLogAppend(ctx, logs), "append task logs")
}

// TaskLogs returns a task's execution log.
func (e *Engine) TaskLogs(ctx context.Context, taskID string) ([]workflow.TaskExecLog, error) {
	if _, err := e.Task(ctx, taskID); err != nil {
		return nil, err
	}
	logs, err := e.store.TaskLogList(ctx, taskID)
	return logs, classify(err, "read task logs")
}

// QueueSize returns the number of tasks waiting in a queue
// ("[domain:]taskType"), visible or delayed.
func (e *Engine) QueueSize(name string) int { return e.queues.size(name) }

// UpdateTaskByRef reports on the open task of a workflow with a reference
// name (the latest iteration, inside loops): how a WAIT or HUMAN task is
// completed by hand.
func (e *Engine) UpdateTaskByRef(ctx context.Context, workflowID, ref string, r *workflow.TaskResult) error {
	if r == nil {
		return errorf(InvalidArgument, "no task result given")
	}
	r.TaskID = ""
	r.WorkflowInstanceID = workflowID
	return e.transact(ctx, workflowID, decider.Update{Result: r, Ref: ref})
}

// maxSignalDepth bounds how far SignalWorkflow follows sub-workflows.
const maxSignalDepth = 32

// SignalWorkflow reports on the task that blocks an execution, as
// Conductor's signal does: its open HUMAN or WAIT task, or, when it waits
// on a sub-workflow, the task that blocks the child (at any depth). It
// returns the execution that held the task.
func (e *Engine) SignalWorkflow(ctx context.Context, workflowID string, r *workflow.TaskResult) (string, error) {
	id := workflowID
	for range maxSignalDepth {
		w, err := e.Workflow(ctx, id, true)
		if err != nil {
			return "", err
		}
		var child string
		for i := len(w.Tasks) - 1; i >= 0; i-- {
			t := w.Tasks[i]
			if t.Status.Terminal() {
				continue
			}
			switch t.TaskType {
			case workflow.TypeWait, workflow.TypeHuman:
				return id, e.UpdateTaskByRef(ctx, id, t.ReferenceTaskName, r)
			case workflow.TypeSubWorkflow:
				if child == "" {
					child = t.SubWorkflowID
				}
			}
		}
		if child == "" {
			return "", errorf(FailedPrecondition, "workflow %s (%s) waits on no WAIT or HUMAN task to signal", id, w.Status)
		}
		id = child
	}
	return "", errorf(FailedPrecondition, "workflow %s waits on sub-workflows nested deeper than %d", workflowID, maxSignalDepth)
}
