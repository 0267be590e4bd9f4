package decider

import (
	"fmt"
	"maps"

	"github.com/batonhq/baton/sdk/workflow"
)

// Event is something that happened to an execution.
type Event interface{ event() }

// Start begins a new execution. The engine fills in the execution's ids,
// name, version, definition, input, correlation id, priority and
// taskToDomain; Decide does the rest.
type Start struct{}

// Lease hands a SCHEDULED task to a worker that polled for it.
type Lease struct {
	TaskID   string
	WorkerID string
}

// Update is a report on a task: from a worker, from the API (a WAIT or
// HUMAN task completed by hand), or from the engine (a sub-workflow ended,
// an HTTP call returned).
type Update struct {
	Result *workflow.TaskResult
	// Ref, when Result.TaskID is empty, names the task by reference name:
	// the latest attempt with that name (or, inside loops, the latest
	// iteration) that has not ended.
	Ref string
}

// Release gives a leased task back to its queue at once: its poller left
// before receiving it, or the server restarted while a runner inside it held
// it. PollCount, when not zero, must be the lease's.
type Release struct {
	TaskID    string
	PollCount int
}

// Tick is the execution's timer: a deadline may have passed.
type Tick struct{}

// Pause stops scheduling new tasks; tasks already running may finish.
type Pause struct{}

// Resume undoes Pause.
type Resume struct{}

// Terminate ends the execution as TERMINATED and cancels its open tasks.
type Terminate struct {
	Reason string
}

func (Start) event()     {}
func (Lease) event()     {}
func (Update) event()    {}
func (Tick) event()      {}
func (Release) event()   {}
func (Pause) event()     {}
func (Resume) event()    {}
func (Terminate) event() {}

func (d *decision) apply(ev Event) error {
	switch ev := ev.(type) {
	case Start:
		return d.start()
	case Lease:
		return d.lease(ev)
	case Update:
		return d.update(ev.Result, ev.Ref)
	case Tick:
		return nil
	case Release:
		return d.release(ev)
	case Pause:
		return d.pause()
	case Resume:
		return d.resume()
	case Terminate:
		return d.terminate(ev.Reason)
	case Retry:
		return d.retry(ev)
	case Restart:
		return d.restart(ev)
	case Rerun:
		return d.rerun(ev)
	case Skip:
		return d.skip(ev)
	case SetVariables:
		return d.setVariables(ev)
	case Reopen:
		return d.reopen(ev)
	case FailureWorkflowNotStarted:
		return d.failureWorkflowNotStarted(ev)
	}
	return fmt.Errorf("decide: unknown event %T", ev)
}

func (d *decision) start() error {
	w := d.w
	if w.Status != "" || len(w.Tasks) > 0 {
		return reject(FailedPrecondition, "workflow %s has already started", w.WorkflowID)
	}
	w.Status = workflow.StatusRunning
	w.CreateTime = d.now
	w.StartTime = d.now
	w.SchemaVersion = 2
	w.Input = workflow.WorkflowInput(d.def, w.Input)
	if w.Output == nil {
		w.Output = map[string]any{}
	}
	if len(d.def.Variables) > 0 && w.Variables == nil {
		w.Variables = maps.Clone(d.def.Variables)
	}
	d.record("WORKFLOW_STARTED", nil, "%s version %d", w.WorkflowName, w.WorkflowVersion)
	d.firstTask()
	return nil
}

// firstTask schedules the first task of the definition, or completes a
// workflow that has none.
func (d *decision) firstTask() {
	if len(d.def.Tasks) == 0 {
		d.complete()
		return
	}
	d.scheduleDef(d.def.Tasks[0])
}

func (d *decision) lease(ev Lease) error {
	t := d.taskByID(ev.TaskID)
	switch {
	case t == nil:
		return reject(NotFound, "task %s is not part of workflow %s", ev.TaskID, d.w.WorkflowID)
	case d.w.Status != workflow.StatusRunning:
		return reject(FailedPrecondition, "workflow %s is %s; its tasks are not handed out", d.w.WorkflowID, d.w.Status)
	case t.Status != workflow.TaskScheduled:
		return reject(FailedPrecondition, "task %s is %s, not SCHEDULED", t.TaskID, t.Status)
	case KindOf(t) == KindSystem:
		return reject(FailedPrecondition, "task %s is a %s task, which Baton carries out itself; it is not handed out", t.TaskID, t.TaskType)
	case t.VisibleTime > d.now:
		return reject(FailedPrecondition, "task %s is not due before %d", t.TaskID, t.VisibleTime)
	}
	t.Status = workflow.TaskInProgress
	t.WorkerID = ev.WorkerID
	t.PollCount++
	t.CallbackAfterSeconds = 0
	t.TimeoutAlerted = false
	if t.StartTime == 0 {
		t.StartTime = d.now
		t.QueueWaitTime = d.now - t.ScheduledTime
	}
	if t.FirstStartTime == 0 {
		t.FirstStartTime = d.now
	}
	d.touch(t)
	return nil
}

func (d *decision) release(ev Release) error {
	t := d.taskByID(ev.TaskID)
	switch {
	case t == nil:
		return reject(NotFound, "task %s is not part of workflow %s", ev.TaskID, d.w.WorkflowID)
	case t.Status != workflow.TaskInProgress || KindOf(t) == KindSystem || (ev.PollCount != 0 && ev.PollCount != t.PollCount):
		return reject(FailedPrecondition, "task %s is not in the lease to release (it is %s after %d polls)", t.TaskID, t.Status, t.PollCount)
	}
	t.Status = workflow.TaskScheduled
	t.VisibleTime = d.now
	d.touch(t)
	d.record("TASK_RELEASED", t, "back to the queue")
	return nil
}

// Worker updates may carry only these statuses.
var updateStatuses = map[workflow.TaskStatus]bool{
	workflow.TaskInProgress:              true,
	workflow.TaskCompleted:               true,
	workflow.TaskFailed:                  true,
	workflow.TaskFailedWithTerminalError: true,
	workflow.TaskCanceled:                true,
}

func (d *decision) update(r *workflow.TaskResult, ref string) error {
	if r == nil {
		return reject(InvalidArgument, "empty task result")
	}
	var t *workflow.Task
	switch {
	case r.TaskID != "":
		if t = d.taskByID(r.TaskID); t == nil {
			return reject(NotFound, "task %s is not part of workflow %s", r.TaskID, d.w.WorkflowID)
		}
	case ref != "":
		if t = d.openByRef(ref); t == nil {
			return reject(NotFound, "workflow %s has no open task with reference name %q", d.w.WorkflowID, ref)
		}
	default:
		return reject(InvalidArgument, "the task result names no task: set taskId")
	}
	if IsOperator(t) {
		return reject(FailedPrecondition, "task %s (%s) is a %s operator, which Baton moves itself; it cannot be updated", t.TaskID, t.ReferenceTaskName, t.TaskType)
	}
	if !r.ExtendLease && !updateStatuses[r.Status] {
		return reject(InvalidArgument, "status %q cannot be reported by a worker; use IN_PROGRESS, COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or CANCELED", r.Status)
	}
	if r.CallbackAfterSeconds < 0 {
		return reject(InvalidArgument, "callbackAfterSeconds must not be negative, got %d", r.CallbackAfterSeconds)
	}
	if t.Status.Terminal() {
		return reject(FailedPrecondition, "task %s is already %s; this update was not applied", t.TaskID, t.Status)
	}
	if d.w.Status.Terminal() {
		return reject(FailedPrecondition, "workflow %s is already %s; this update was not applied", d.w.WorkflowID, d.w.Status)
	}
	if r.PollCount != 0 && (t.Status != workflow.TaskInProgress || r.PollCount != t.PollCount) {
		return reject(FailedPrecondition, "the lease of task %s from poll %d has ended (the task is %s after %d polls); this update was not applied", t.TaskID, r.PollCount, t.Status, t.PollCount)
	}
	if r.ExtendLease && t.Status != workflow.TaskInProgress {
		return reject(FailedPrecondition, "task %s is %s; only an IN_PROGRESS task has a lease to extend", t.TaskID, t.Status)
	}
	// Nothing below refuses: the execution is changed only by accepted
	// events.
	for _, l := range r.Logs {
		if l.CreatedTime == 0 {
			l.CreatedTime = d.now
		}
		l.TaskID = t.TaskID
		d.res.Logs = append(d.res.Logs, l)
	}
	if r.WorkerID != "" {
		t.WorkerID = r.WorkerID
	}
	if r.ExtendLease {
		d.touch(t)
		return nil
	}
	if r.OutputData != nil {
		t.OutputData = r.OutputData
	}
	t.ReasonForIncompletion = r.ReasonForIncompletion
	t.CallbackFromWorker = true
	if r.Status == workflow.TaskInProgress && KindOf(t) != KindWorker {
		// Conductor: a system task reported IN_PROGRESS stays so (an HTTP
		// task with asyncComplete, a WAIT or HUMAN task given output).
		if t.Status == workflow.TaskScheduled {
			t.Status = workflow.TaskInProgress
			if t.StartTime == 0 {
				t.StartTime = d.now
			}
		}
		d.touch(t)
		return nil
	}
	if r.Status == workflow.TaskInProgress {
		// Conductor's checkpoint: back to the queue, visible again after
		// callbackAfterSeconds, to whichever worker polls then.
		t.Status = workflow.TaskScheduled
		t.CallbackAfterSeconds = r.CallbackAfterSeconds
		t.VisibleTime = d.now + r.CallbackAfterSeconds*1000
		d.touch(t)
		d.record("TASK_CHECKPOINTED", t, "callback after %ds", r.CallbackAfterSeconds)
		return nil
	}
	if t.TaskType == workflow.TypeStartWorkflow && !r.Status.Successful() {
		// The workflow could not start: the id chosen for it names none.
		delete(t.OutputData, "workflowId")
	}
	fromChild := r.SubWorkflowID != "" && r.SubWorkflowID == t.SubWorkflowID
	d.end(t, r.Status, r.ReasonForIncompletion)
	if !fromChild {
		d.stopChild(t, "the parent task ended as "+string(r.Status))
	}
	return nil
}

// openByRef returns the latest task with a reference name, with or without
// its iteration suffixes, that has not ended.
func (d *decision) openByRef(ref string) *workflow.Task {
	for i := len(d.w.Tasks) - 1; i >= 0; i-- {
		t := d.w.Tasks[i]
		if !t.Status.Terminal() && (t.ReferenceTaskName == ref || workflow.BaseRef(t.ReferenceTaskName) == ref) {
			return t
		}
	}
	return nil
}

// end closes a task attempt with a terminal status and leaves it for
// advance to handle.
func (d *decision) end(t *workflow.Task, status workflow.TaskStatus, reason string) {
	t.Status = status
	t.ReasonForIncompletion = reason
	t.EndTime = d.now
	if t.StartTime == 0 {
		t.StartTime = d.now
	}
	d.touch(t)
	d.pending = append(d.pending, t)
	if reason != "" {
		d.record("TASK_"+string(status), t, "%s", reason)
	} else {
		d.record("TASK_"+string(status), t, "%s", t.ReferenceTaskName)
	}
}

func (d *decision) pause() error {
	switch d.w.Status {
	case workflow.StatusPaused:
		return nil
	case workflow.StatusRunning:
		d.w.Status = workflow.StatusPaused
		d.record("WORKFLOW_PAUSED", nil, "")
		return nil
	}
	return reject(FailedPrecondition, "workflow %s is %s and cannot be paused", d.w.WorkflowID, d.w.Status)
}

func (d *decision) resume() error {
	if d.w.Status != workflow.StatusPaused {
		return reject(FailedPrecondition, "workflow %s is %s, not PAUSED", d.w.WorkflowID, d.w.Status)
	}
	d.w.Status = workflow.StatusRunning
	d.record("WORKFLOW_RESUMED", nil, "")
	return nil
}

func (d *decision) terminate(reason string) error {
	switch {
	case d.w.Status == workflow.StatusTerminated:
		return nil
	case d.w.Status.Terminal():
		return reject(FailedPrecondition, "workflow %s is already %s and cannot be terminated", d.w.WorkflowID, d.w.Status)
	}
	d.finish(workflow.StatusTerminated, reason, nil, nil)
	return nil
}
