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

// Update is a worker's report on a task.
type Update struct {
	Result *workflow.TaskResult
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
		return d.update(ev.Result)
	case Tick:
		return nil
	case Pause:
		return d.pause()
	case Resume:
		return d.resume()
	case Terminate:
		return d.terminate(ev.Reason)
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
	if len(d.def.Tasks) == 0 {
		d.complete()
		return nil
	}
	d.schedule(d.def.Tasks[0], 0)
	return nil
}

func (d *decision) lease(ev Lease) error {
	t := d.w.TaskByID(ev.TaskID)
	switch {
	case t == nil:
		return reject(NotFound, "task %s is not part of workflow %s", ev.TaskID, d.w.WorkflowID)
	case d.w.Status != workflow.StatusRunning:
		return reject(FailedPrecondition, "workflow %s is %s; its tasks are not handed out", d.w.WorkflowID, d.w.Status)
	case t.Status != workflow.TaskScheduled:
		return reject(FailedPrecondition, "task %s is %s, not SCHEDULED", t.TaskID, t.Status)
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

// Worker updates may carry only these statuses.
var updateStatuses = map[workflow.TaskStatus]bool{
	workflow.TaskInProgress:              true,
	workflow.TaskCompleted:               true,
	workflow.TaskFailed:                  true,
	workflow.TaskFailedWithTerminalError: true,
	workflow.TaskCanceled:                true,
}

func (d *decision) update(r *workflow.TaskResult) error {
	if r == nil {
		return reject(InvalidArgument, "empty task result")
	}
	t := d.w.TaskByID(r.TaskID)
	if t == nil {
		return reject(NotFound, "task %s is not part of workflow %s", r.TaskID, d.w.WorkflowID)
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
	d.end(t, r.Status, r.ReasonForIncompletion)
	return nil
}

// end closes a task attempt with a terminal status.
func (d *decision) end(t *workflow.Task, status workflow.TaskStatus, reason string) {
	t.Status = status
	t.ReasonForIncompletion = reason
	t.EndTime = d.now
	if t.StartTime == 0 {
		t.StartTime = d.now
	}
	d.touch(t)
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
	d.finish(workflow.StatusTerminated, reason, nil)
	return nil
}
