package decider

import (
	"fmt"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// checkTimeouts applies every deadline that Input.Now has reached: the
// workflow's timeout, the tasks' timeouts and the end of WAIT tasks.
func (d *decision) checkTimeouts() {
	w := d.w
	if w.Status.Terminal() {
		return
	}
	if ts := d.def.TimeoutSeconds; ts > 0 && d.now >= w.CreateTime+ts*1000 {
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
	for i := 0; i < len(w.Tasks) && !w.Status.Terminal(); i++ {
		t := w.Tasks[i]
		if t.Status.Terminal() || isOperator(t) {
			continue
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
// yielded with work left.
func (d *decision) wakeAt() time.Time {
	w := d.w
	if w.Status.Terminal() {
		return time.Time{}
	}
	if d.yielded {
		return time.UnixMilli(d.now).UTC()
	}
	var at int64
	consider := func(ms int64) {
		if at == 0 || ms < at {
			at = ms
		}
	}
	if ts := d.def.TimeoutSeconds; ts > 0 && !(w.TimeoutAlerted && d.def.Policy() != workflow.TimeoutWorkflow) {
		consider(w.CreateTime + ts*1000)
	}
	for _, t := range w.Tasks {
		if t.Status == workflow.TaskInProgress && t.TaskType == workflow.TypeForkJoinDynamic {
			consider(d.now) // a fork with branches still to create
		}
		if t.Status.Terminal() || isOperator(t) {
			continue
		}
		td := d.taskDef(t.WorkflowTask)
		if t.WaitTimeout > 0 && t.Status == workflow.TaskInProgress {
			consider(t.WaitTimeout)
		}
		if td.TotalTimeoutSeconds > 0 {
			consider(t.FirstScheduledTime + td.TotalTimeoutSeconds*1000)
		}
		if t.Status == workflow.TaskScheduled && KindOf(t) == KindWorker && td.PollTimeout() > 0 && !t.TimeoutAlerted {
			consider(t.VisibleTime + td.PollTimeout()*1000)
		}
		if t.StartTime > 0 && td.TimeoutSeconds > 0 && !t.TimeoutAlerted {
			consider(t.StartTime + td.TimeoutSeconds*1000)
		}
		if leased(t) {
			consider(t.UpdateTime + t.ResponseTimeoutSeconds*1000)
		}
	}
	if at == 0 {
		return time.Time{}
	}
	return time.UnixMilli(at).UTC()
}
