package decider

import (
	"math"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// schedule creates a new SCHEDULED attempt of a workflow task. prev is the
// failed attempt it retries, or nil for the first attempt; delayMs is how
// long it stays invisible to workers.
func (d *decision) schedule(wt *workflow.WorkflowTask, delayMs int64, prev ...*workflow.Task) *workflow.Task {
	td := d.taskDef(wt)
	t := &workflow.Task{
		TaskID:                      d.NewID(),
		TaskType:                    wt.TaskType(),
		TaskDefName:                 wt.Name,
		ReferenceTaskName:           wt.TaskReferenceName,
		Status:                      workflow.TaskScheduled,
		WorkflowInstanceID:          d.w.WorkflowID,
		WorkflowType:                d.w.WorkflowName,
		CorrelationID:               d.w.CorrelationID,
		WorkflowPriority:            d.w.Priority,
		Seq:                         len(d.w.Tasks) + 1,
		ScheduledTime:               d.now,
		StartDelayInSeconds:         wt.StartDelay,
		ResponseTimeoutSeconds:      td.ResponseTimeout(),
		IsolationGroupID:            td.IsolationGroupID,
		ExecutionNameSpace:          td.ExecutionNameSpace,
		WorkflowTask:                wt,
		FirstScheduledTime:          d.now,
		OutputData:                  map[string]any{},
		Domain:                      d.domain(wt.Name),
		RateLimitPerFrequency:       deref(td.RateLimitPerFrequency),
		RateLimitFrequencyInSeconds: deref(td.RateLimitFrequencyInSeconds),
	}
	if t.TaskType == workflow.TypeSimple {
		// Conductor: a SIMPLE task's type is its name, which is also its queue.
		t.TaskType = wt.Name
	}
	if len(prev) > 0 {
		p := prev[0]
		t.RetryCount = p.RetryCount + 1
		t.RetriedTaskID = p.TaskID
		t.FirstScheduledTime = p.FirstScheduledTime
		t.StartDelayInSeconds = (delayMs + 999) / 1000
	} else {
		delayMs = wt.StartDelay * 1000
	}
	t.VisibleTime = d.now + delayMs
	input, err := workflow.TaskInput(wt, td, d.context(t.TaskID))
	d.w.Tasks = append(d.w.Tasks, t)
	d.touch(t)
	if err != nil {
		t.InputData = map[string]any{}
		d.end(t, workflow.TaskFailedWithTerminalError, "input mapping failed: "+err.Error())
		return t
	}
	t.InputData = input
	d.record("TASK_SCHEDULED", t, "%s attempt %d", t.ReferenceTaskName, t.RetryCount+1)
	return t
}

// domain returns the domain a task is routed to by the execution's
// taskToDomain (by task name, or "*"), taking the first of a fallback list.
func (d *decision) domain(name string) string {
	dom, ok := d.w.TaskToDomain[name]
	if !ok {
		dom = d.w.TaskToDomain["*"]
	}
	first, _, _ := strings.Cut(dom, ",")
	first = strings.TrimSpace(first)
	if first == "NO_DOMAIN" {
		return ""
	}
	return first
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// advance handles, once each, the tasks whose attempt ended, and ends the
// workflow when nothing is left to run.
func (d *decision) advance() {
	if d.w.Status != workflow.StatusRunning {
		return
	}
	// Tasks appended while iterating are new attempts or successors; they
	// are not terminal, except ones whose input mapping failed, which the
	// loop reaches in turn.
	for i := 0; i < len(d.w.Tasks) && d.w.Status == workflow.StatusRunning; i++ {
		t := d.w.Tasks[i]
		if !t.Status.Terminal() || t.Executed {
			continue
		}
		t.Executed = true
		d.touch(t)
		if t.Status.Successful() {
			d.scheduleNext(t)
			continue
		}
		d.handleFailure(t)
	}
	if d.w.Status == workflow.StatusRunning && d.done() {
		d.complete()
	}
}

// handleFailure retries a failed attempt, excuses it if the task is optional
// or permissive, or ends the workflow.
func (d *decision) handleFailure(t *workflow.Task) {
	wt := t.WorkflowTask
	td := d.taskDef(wt)
	if delay, ok := d.retryDelay(t, wt, td); ok {
		t.Retried = true
		d.schedule(wt, delay, t)
		return
	}
	switch {
	case wt != nil && wt.Optional:
		t.Status = workflow.TaskCompletedWithErrors
		d.record("TASK_COMPLETED_WITH_ERRORS", t, "optional task failed: %s", t.ReasonForIncompletion)
		d.scheduleNext(t)
	case wt != nil && wt.Permissive:
		d.scheduleNext(t)
	default:
		status := workflow.StatusFailed
		switch t.Status {
		case workflow.TaskTimedOut:
			status = workflow.StatusTimedOut
		case workflow.TaskCanceled:
			status = workflow.StatusTerminated
		}
		reason := "Task " + t.TaskID + " (" + t.ReferenceTaskName + ") failed with status " + string(t.Status)
		if t.ReasonForIncompletion != "" {
			reason += ": " + t.ReasonForIncompletion
		}
		d.finish(status, reason, t)
	}
}

// retryDelay reports whether a failed attempt gets another one, and after
// how many milliseconds.
func (d *decision) retryDelay(t *workflow.Task, wt *workflow.WorkflowTask, td *workflow.TaskDef) (int64, bool) {
	if !t.Status.Retriable() {
		return 0, false
	}
	allowed := td.Retries()
	if wt != nil && wt.RetryCount != nil {
		allowed = *wt.RetryCount
	}
	if t.RetryCount >= allowed {
		return 0, false
	}
	base := td.RetryDelay() * 1000
	var delay int64
	switch td.RetryLogic {
	case workflow.RetryExponential:
		delay = mulClamp(base, pow2(t.RetryCount))
	case workflow.RetryLinear:
		delay = mulClamp(mulClamp(base, td.ScaleFactor()), int64(t.RetryCount)+1)
	default:
		delay = base
	}
	if max := td.MaxRetryDelaySeconds * 1000; max > 0 && delay > max {
		delay = max
	}
	if td.BackoffJitterMs > 0 && d.Jitter != nil {
		delay += d.Jitter(td.BackoffJitterMs)
	}
	if total := td.TotalTimeoutSeconds * 1000; total > 0 && d.now+delay >= t.FirstScheduledTime+total {
		// The next attempt could not start inside the total budget.
		return 0, false
	}
	return delay, true
}

func pow2(n int) int64 {
	if n >= 62 {
		return math.MaxInt64
	}
	return int64(1) << n
}

func mulClamp(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// scheduleNext schedules what follows a task that ended successfully, unless
// it is already there.
func (d *decision) scheduleNext(t *workflow.Task) {
	next := d.next(t.ReferenceTaskName)
	if next == nil || d.w.TaskByRef(next.TaskReferenceName) != nil {
		return
	}
	d.schedule(next, 0)
}

// next returns the workflow task after ref in the definition, or nil at the
// end of the workflow.
func (d *decision) next(ref string) *workflow.WorkflowTask {
	tasks := d.def.Tasks
	for i, wt := range tasks {
		if wt.TaskReferenceName == ref && i+1 < len(tasks) {
			return tasks[i+1]
		}
	}
	return nil
}

// done reports whether every task has ended and been handled and the last
// one has no successor left to schedule.
func (d *decision) done() bool {
	for _, t := range d.w.Tasks {
		if !t.Status.Terminal() || !t.Executed {
			return false
		}
	}
	return true
}

// complete ends the workflow after its last task: COMPLETED, or FAILED if a
// permissive task failed on the way.
func (d *decision) complete() {
	for _, t := range d.w.Tasks {
		if !t.Status.Successful() && !t.Retried && t.WorkflowTask != nil && t.WorkflowTask.Permissive {
			d.finish(workflow.StatusFailed, "permissive task "+t.ReferenceTaskName+" failed: "+t.ReasonForIncompletion, t)
			return
		}
	}
	d.finish(workflow.StatusCompleted, "", nil)
}

// finish ends the workflow with a terminal status, cancelling open tasks.
func (d *decision) finish(status workflow.Status, reason string, failed *workflow.Task) {
	w := d.w
	for _, t := range w.Tasks {
		if !t.Status.Terminal() {
			t.Status = workflow.TaskCanceled
			t.EndTime = d.now
			t.Executed = true
			if reason != "" {
				t.ReasonForIncompletion = "workflow " + string(status) + ": " + reason
			}
			d.touch(t)
		}
	}
	w.Status = status
	w.ReasonForIncompletion = reason
	w.EndTime = d.now
	if failed != nil {
		w.FailedReferenceTaskNames = appendUnique(w.FailedReferenceTaskNames, failed.ReferenceTaskName)
		w.FailedTaskNames = appendUnique(w.FailedTaskNames, failed.TaskDefName)
	}
	if out, err := workflow.WorkflowOutput(d.def, d.context("")); err == nil {
		w.Output = out
	} else if status == workflow.StatusCompleted {
		// The output could not be computed: that fails the workflow.
		w.Status = workflow.StatusFailed
		w.ReasonForIncompletion = "output mapping failed: " + err.Error()
	}
	if w.Output == nil {
		w.Output = map[string]any{}
	}
	d.record("WORKFLOW_"+string(w.Status), failed, "%s", w.ReasonForIncompletion)
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
