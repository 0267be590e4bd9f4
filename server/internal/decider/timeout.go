package decider

import (
	"fmt"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// runSince is when the workflow's timeout started counting: at its start,
// or at its last retry, as in Conductor (a retried workflow gets its whole
// timeoutSeconds again).
func runSince(w *workflow.Workflow) int64 {
	return max(w.CreateTime, w.LastRetriedTime)
}

// checkTimeouts applies every deadline that Input.Now has reached: the
// workflow's timeout, the tasks' timeouts and the end of WAIT tasks. Before
// Input.WakeAt no task can be due but one the event changed, so only those
// are looked at: a decision about one branch of a large fan-out does not
// visit every branch.
func (d *decision) checkTimeouts() {
	w := d.w
	if w.Status.Terminal() {
		return
	}
	if ts := d.def.TimeoutSeconds; ts > 0 && d.now >= runSince(w)+ts*1000 {
		switch d.def.Policy() {
		case workflow.TimeoutWorkflow:
			d.finish(workflow.StatusTimedOut, fmt.Sprintf("workflow timed out after %d seconds (timeoutSeconds)", ts), nil, nil)
			return
		default:
			if !w.TimeoutAlerted {
				w.TimeoutAlerted = true
				d.record("WORKFLOW_TIMEOUT_ALERT", nil, "workflow has run longer than timeoutSeconds (%d)", ts)
			}
		}
	}
	tasks := w.Tasks
	if d.sinceWake() {
		tasks = d.res.Changed
	}
	for i := 0; i < len(tasks) && !w.Status.Terminal(); i++ {
		d.checkTimeout(tasks[i])
	}
}

// sinceWake reports whether the execution was decided before and did not
// ask to be woken by Input.Now: every deadline of a task that this decision
// has not changed is then still ahead. An execution of up to scanAll tasks
// is looked at whole all the same: that costs little, and keeps its
// wake-up exact when a deadline moves later (a lease extended).
func (d *decision) sinceWake() bool {
	return d.Decided && len(d.w.Tasks) > scanAll && (d.WakeAt.IsZero() || d.now < d.WakeAt.UnixMilli())
}

// scanAll is the size up to which an execution's deadlines are all looked
// at by every decision.
const scanAll = 64

// checkTimeout applies the first deadline of a task that has passed.
func (d *decision) checkTimeout(t *workflow.Task) {
	if t.Status.Terminal() || IsOperator(t) || d.gone[t] {
		return
	}
	td := d.taskDef(t.WorkflowTask)
	switch {
	case t.WaitTimeout > 0 && t.Status == workflow.TaskInProgress && d.now >= t.WaitTimeout:
		d.end(t, workflow.TaskCompleted, "")
	case td.TotalTimeoutSeconds > 0 && d.now >= t.FirstScheduledTime+td.TotalTimeoutSeconds*1000:
		d.end(t, workflow.TaskTimedOut, fmt.Sprintf("totalTimeoutSeconds (%d) passed across all attempts", td.TotalTimeoutSeconds))
		d.stopChild(t, "the parent task timed out")
	case t.Status == workflow.TaskScheduled && KindOf(t) == KindWorker && td.PollTimeout() > 0 && !t.TimeoutAlerted && d.now >= t.VisibleTime+td.PollTimeout()*1000:
		d.timeout(t, td, fmt.Sprintf("no worker polled the task within pollTimeoutSeconds (%d)", td.PollTimeout()))
	case t.StartTime > 0 && td.TimeoutSeconds > 0 && !t.TimeoutAlerted && d.now >= t.StartTime+td.TimeoutSeconds*1000:
		d.timeout(t, td, fmt.Sprintf("the task ran longer than timeoutSeconds (%d)", td.TimeoutSeconds))
	case leased(t) && d.now >= t.UpdateTime+t.ResponseTimeoutSeconds*1000:
		d.end(t, workflow.TaskTimedOut, fmt.Sprintf("worker %q sent no update within responseTimeoutSeconds (%d)", t.WorkerID, t.ResponseTimeoutSeconds))
	}
}

// leased reports whether a task is IN_PROGRESS under a lease that its
// worker (or runner) must keep alive with updates.
func leased(t *workflow.Task) bool {
	if t.Status != workflow.TaskInProgress {
		return false
	}
	switch KindOf(t) {
	case KindWorker:
		return true
	case KindQueued:
		return !AsyncComplete(t) || !t.CallbackFromWorker
	}
	return false
}

// timeout applies a task's timeoutPolicy.
func (d *decision) timeout(t *workflow.Task, td *workflow.TaskDef, reason string) {
	switch td.Policy() {
	case workflow.TimeoutAlertOnly:
		t.TimeoutAlerted = true
		d.touch(t)
		d.record("TASK_TIMEOUT_ALERT", t, "%s", reason)
	case workflow.TimeoutRetry:
		d.end(t, workflow.TaskTimedOut, reason)
		d.stopChild(t, "the parent task timed out")
	default:
		d.end(t, workflow.TaskTimedOut, reason)
		d.stopChild(t, "the parent task timed out")
		t.Executed = true
		d.finish(workflow.StatusTimedOut, "Task "+t.TaskID+" ("+t.ReferenceTaskName+") timed out: "+reason, t, nil)
	}
}

// wakeAt is the earliest deadline still ahead, or zero; now if the decision
// yielded with work left, or if work is left for the next decision (see
// pending.go). Before Input.WakeAt, that wake-up still bounds
// the deadlines of the tasks this decision has not changed, so only the
// changed ones are looked at. It may then be earlier than needed (the task
// it was for has ended): waking finds nothing due and looks at every task.
func (d *decision) wakeAt() time.Time {
	w := d.w
	if w.Pending != nil || (w.Status.Terminal() && d.openLeft()) {
		return time.UnixMilli(d.now).UTC() // work left for the next decision
	}
	if w.Status.Terminal() {
		return time.Time{}
	}
	if d.yielded {
		return time.UnixMilli(d.now).UTC()
	}
	var at int64
	if ts := d.def.TimeoutSeconds; ts > 0 && !(w.TimeoutAlerted && d.def.Policy() != workflow.TimeoutWorkflow) {
		at = earliest(at, runSince(w)+ts*1000)
	}
	tasks := w.Tasks
	if d.sinceWake() {
		if !d.WakeAt.IsZero() {
			at = earliest(at, d.WakeAt.UnixMilli())
		}
		tasks = d.res.Changed
	}
	for _, t := range tasks {
		if !d.gone[t] {
			at = earliest(at, d.deadline(t))
		}
	}
	if at == 0 {
		return time.Time{}
	}
	return time.UnixMilli(at).UTC()
}

// deadline is the earliest instant at which a task needs the decider again
// (a timeout, the end of a WAIT, a fork with branches still to create), or
// zero.
func (d *decision) deadline(t *workflow.Task) int64 {
	if t.Status == workflow.TaskInProgress && t.TaskType == workflow.TypeForkJoinDynamic {
		return d.now // a fork with branches still to create
	}
	if t.Status.Terminal() || IsOperator(t) {
		return 0
	}
	var at int64
	td := d.taskDef(t.WorkflowTask)
	if t.WaitTimeout > 0 && t.Status == workflow.TaskInProgress {
		at = earliest(at, t.WaitTimeout)
	}
	if td.TotalTimeoutSeconds > 0 {
		at = earliest(at, t.FirstScheduledTime+td.TotalTimeoutSeconds*1000)
	}
	if t.Status == workflow.TaskScheduled && KindOf(t) == KindWorker && td.PollTimeout() > 0 && !t.TimeoutAlerted {
		at = earliest(at, t.VisibleTime+td.PollTimeout()*1000)
	}
	if t.StartTime > 0 && td.TimeoutSeconds > 0 && !t.TimeoutAlerted {
		at = earliest(at, t.StartTime+td.TimeoutSeconds*1000)
	}
	if leased(t) {
		at = earliest(at, t.UpdateTime+t.ResponseTimeoutSeconds*1000)
	}
	return at
}

// earliest is the earlier of two instants in Unix milliseconds, 0 being
// none.
func earliest(at, ms int64) int64 {
	if ms != 0 && (at == 0 || ms < at) {
		return ms
	}
	return at
}
