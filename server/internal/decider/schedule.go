package decider

import (
	"math"
	"slices"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// maxSteps bounds how many ended tasks one decision handles. A loop of
// tasks the decider carries out itself (INLINE in a DO_WHILE) could
// otherwise run without end inside one decision; past the bound the
// decision yields, commits what it did, and asks to be woken at once.
const maxSteps = 20000

// maxSteps is the bound of this decision: Input.MaxSteps when lower than
// the default.
func (d *decision) maxSteps() int {
	if d.MaxSteps > 0 && d.MaxSteps < maxSteps {
		return d.MaxSteps
	}
	return maxSteps
}

// place is where a new task goes: its reference name (with the iteration
// suffixes of the loops around it), the DO_WHILE task it belongs to and that
// loop's iteration.
type place struct {
	ref       string
	parentID  string
	iteration int
}

// schedule creates a new attempt of a workflow task and begins it: a task
// for workers waits SCHEDULED, a task Baton carries out starts at once. prev
// is the failed attempt it retries, or nil for a first attempt; delayMs is
// how long a retry stays invisible to workers.
func (d *decision) schedule(wt *workflow.WorkflowTask, at place, delayMs int64, prev *workflow.Task) *workflow.Task {
	td := d.taskDef(wt)
	t := d.addTask(wt, at, workflow.TaskScheduled)
	t.ScheduledTime = d.now
	t.StartDelayInSeconds = wt.StartDelay
	t.ResponseTimeoutSeconds = td.ResponseTimeout()
	t.IsolationGroupID = td.IsolationGroupID
	t.ExecutionNameSpace = td.ExecutionNameSpace
	t.FirstScheduledTime = d.now
	t.OutputData = map[string]any{}
	t.Domain = d.domain(wt.Name)
	t.RateLimitPerFrequency = deref(td.RateLimitPerFrequency)
	t.RateLimitFrequencyInSeconds = deref(td.RateLimitFrequencyInSeconds)
	if prev != nil {
		t.RetryCount = prev.RetryCount + 1
		t.RetriedTaskID = prev.TaskID
		t.FirstScheduledTime = prev.FirstScheduledTime
		t.StartDelayInSeconds = (delayMs + 999) / 1000
	} else {
		delayMs = wt.StartDelay * 1000
	}
	t.VisibleTime = d.now + delayMs
	input, err := workflow.TaskInput(wt, td, d.context(t.TaskID))
	if err != nil {
		t.InputData = map[string]any{}
		d.end(t, workflow.TaskFailedWithTerminalError, "input mapping failed: "+err.Error())
		return t
	}
	t.InputData = input
	if d.inputOverride != nil {
		t.InputData, d.inputOverride = d.inputOverride, nil
	}
	d.record("TASK_SCHEDULED", t, "%s attempt %d", t.ReferenceTaskName, t.RetryCount+1)
	if KindOf(t) == KindSystem {
		d.begin(t)
	}
	return t
}

// addTask adds a new task of a workflow task at a place to the execution,
// with the fields every task has.
func (d *decision) addTask(wt *workflow.WorkflowTask, at place, status workflow.TaskStatus) *workflow.Task {
	t := &workflow.Task{
		TaskID:             d.NewID(),
		TaskType:           wt.TaskType(),
		TaskDefName:        wt.Name,
		ReferenceTaskName:  at.ref,
		Status:             status,
		WorkflowInstanceID: d.w.WorkflowID,
		WorkflowType:       d.w.WorkflowName,
		CorrelationID:      d.w.CorrelationID,
		WorkflowPriority:   d.w.Priority,
		Seq:                d.nextSeq(),
		WorkflowTask:       wt,
		ParentTaskID:       at.parentID,
		Iteration:          at.iteration,
	}
	switch t.TaskType {
	case workflow.TypeSimple:
		// Conductor: a SIMPLE task's type is its name, which is also its queue.
		t.TaskType = wt.Name
	case workflow.TypeFork:
		t.TaskType = workflow.TypeForkJoin
	}
	d.w.Tasks = append(d.w.Tasks, t)
	if d.byID != nil {
		d.byRef[t.ReferenceTaskName] = t
		d.byID[t.TaskID] = t
	}
	d.touch(t)
	return t
}

func (d *decision) nextSeq() int {
	if n := len(d.w.Tasks); n > 0 {
		return d.w.Tasks[n-1].Seq + 1
	}
	return 1
}

// domain returns the domain a task is routed to by the execution's
// taskToDomain (by task name, or "*"). A value may be a fallback list,
// "d1,d2,NO_DOMAIN": as in Conductor, the task goes to the first domain
// that workers poll (NO_DOMAIN never counts as polled); when none is
// polled, to the last domain, or to no domain when the last is NO_DOMAIN.
func (d *decision) domain(name string) string {
	dom, ok := d.w.TaskToDomain[name]
	if !ok {
		dom = d.w.TaskToDomain["*"]
	}
	if !strings.Contains(dom, ",") {
		return noDomain(strings.TrimSpace(dom))
	}
	list := strings.Split(dom, ",")
	for _, c := range list {
		c = strings.TrimSpace(c)
		if c != "" && c != "NO_DOMAIN" && d.Active != nil && d.Active(name, c) {
			return c
		}
	}
	return noDomain(strings.TrimSpace(list[len(list)-1]))
}

func noDomain(dom string) string {
	if dom == "NO_DOMAIN" {
		return ""
	}
	return dom
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// advance handles, once each, the tasks whose attempt ended: what follows a
// success is scheduled, a failure is retried, excused or ends the workflow.
// Waiting joins are looked at whenever that changed something. The workflow
// completes when nothing is left to run.
func (d *decision) advance() {
	if d.w.Status != workflow.StatusRunning || d.w.Pending != nil {
		return
	}
	for _, t := range d.w.Tasks {
		switch {
		case d.Continue && t.Status == workflow.TaskInProgress && t.TaskType == workflow.TypeForkJoinDynamic && !d.yielded:
			// A large fork goes on creating its branches.
			d.forkMore(t)
		case t.Status.Terminal() && !t.Executed:
			d.pending = append(d.pending, t)
		case !t.Status.Terminal() && (t.TaskType == workflow.TypeJoin || t.TaskType == workflow.TypeExclusiveJoin):
			d.joins = append(d.joins, t)
		}
	}
	for d.w.Status == workflow.StatusRunning {
		for len(d.pending) > 0 && d.w.Status == workflow.StatusRunning {
			if d.steps >= d.maxSteps() {
				d.yielded = true
				return
			}
			t := d.pending[0]
			d.pending = d.pending[1:]
			if t.Executed || !t.Status.Terminal() || d.gone[t] {
				continue
			}
			t.Executed = true
			d.touch(t)
			d.steps++
			if t.Status.Successful() {
				d.continueAfter(t)
			} else {
				d.handleFailure(t)
			}
		}
		if d.w.Status != workflow.StatusRunning || !d.checkJoins() {
			break
		}
	}
	if d.w.Status == workflow.StatusRunning && d.done() {
		d.complete()
	}
}

// handleFailure retries a failed attempt, excuses it if the task is optional
// or permissive, or ends the workflow.
func (d *decision) handleFailure(t *workflow.Task) {
	wt := t.WorkflowTask
	if delay, ok := d.retryDelay(t, wt); ok {
		t.Retried = true
		d.schedule(wt, place{ref: t.ReferenceTaskName, parentID: t.ParentTaskID, iteration: t.Iteration}, delay, t)
		return
	}
	switch {
	case wt != nil && wt.Optional:
		t.Status = workflow.TaskCompletedWithErrors
		d.record("TASK_COMPLETED_WITH_ERRORS", t, "optional task failed: %s", t.ReasonForIncompletion)
		d.continueAfter(t)
	case wt != nil && wt.Permissive:
		d.continueAfter(t)
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
		d.finish(status, reason, t, nil)
	}
}

// retryDelay reports whether a failed attempt gets another one, and after
// how many milliseconds. Operators are never retried; other tasks Baton
// carries out are retried only when a task definition (registered or
// inline) or the task's retryCount asks for it, as in Conductor.
func (d *decision) retryDelay(t *workflow.Task, wt *workflow.WorkflowTask) (int64, bool) {
	if !t.Status.Retriable() || wt == nil || IsOperator(t) {
		return 0, false
	}
	td, defined := d.policy(wt)
	allowed := td.Retries()
	if !defined && KindOf(t) != KindWorker {
		allowed = 0
	}
	if wt.RetryCount != nil {
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

// done reports whether every task has ended and been handled. It looks
// from the newest task, the likeliest to be open.
func (d *decision) done() bool {
	for i := len(d.w.Tasks) - 1; i >= 0; i-- {
		if t := d.w.Tasks[i]; !t.Status.Terminal() || !t.Executed {
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
			d.finish(workflow.StatusFailed, "permissive task "+t.ReferenceTaskName+" failed: "+t.ReasonForIncompletion, t, nil)
			return
		}
	}
	d.finish(workflow.StatusCompleted, "", nil, nil)
}

// finish ends the workflow with a terminal status and cancels its open
// tasks (terminating the sub-workflows they run), up to cancelChunk of
// them: the decisions that follow cancel the rest (see cancelOpen). output,
// when not nil, replaces the output the definition's outputParameters would
// give.
func (d *decision) finish(status workflow.Status, reason string, failed *workflow.Task, output map[string]any) {
	w := d.w
	w.Status = status
	w.ReasonForIncompletion = reason
	w.EndTime = d.now
	w.Pending = nil // a retry under way ends with the workflow
	d.cancelOpen()
	if failed != nil {
		w.FailedReferenceTaskNames = appendUnique(w.FailedReferenceTaskNames, failed.ReferenceTaskName)
		w.FailedTaskNames = appendUnique(w.FailedTaskNames, failed.TaskDefName)
	}
	switch out, err := workflow.WorkflowOutput(d.def, d.context("")); {
	case output != nil:
		w.Output = output
	case err == nil:
		w.Output = out
	case status == workflow.StatusCompleted:
		// The output could not be computed: that fails the workflow.
		w.Status = workflow.StatusFailed
		w.ReasonForIncompletion = "output mapping failed: " + err.Error()
	}
	if w.Output == nil {
		w.Output = map[string]any{}
	}
	d.record("WORKFLOW_"+string(w.Status), failed, "%s", w.ReasonForIncompletion)
	d.failureWorkflow(failed)
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
