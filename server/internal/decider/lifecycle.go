package decider

import (
	"encoding/json"
	"maps"
	"slices"

	"github.com/batonhq/baton/sdk/workflow"
)

// Retry resumes an ended execution from the tasks that failed, timed out
// or were cancelled: each gets a new attempt (operators that were waiting,
// a JOIN, DO_WHILE or SWITCH, wait again), and the workflow is RUNNING. With
// ResumeSubworkflowTasks, a failed SUB_WORKFLOW task retries its child
// instead of starting a new one.
type Retry struct {
	ResumeSubworkflowTasks bool
}

// Restart runs an ended execution again from the start, under the same id,
// with all its tasks removed. Definition, when set, replaces the definition
// snapshot (the latest version); otherwise the snapshot is kept.
type Restart struct {
	Definition *workflow.WorkflowDef
}

// Rerun runs an ended execution again: from the start with a new input
// and correlation id when TaskID is empty, otherwise from that task, at any
// depth of forks, switches and loops: the tasks before it in the flow are
// kept, it and those after it removed, and the operators around it wait
// again (see rerun.go).
type Rerun struct {
	TaskID        string
	TaskInput     map[string]any
	WorkflowInput map[string]any
	CorrelationID string
}

// Skip marks a task of the definition that has not been scheduled yet as
// SKIPPED, with the given input and output: when the flow reaches it, it
// goes on after it.
type Skip struct {
	Ref    string
	Input  map[string]any
	Output map[string]any
}

// SetVariables merges variables into a running execution's variables.
type SetVariables struct {
	Variables map[string]any
}

// Reopen tells a parent that the child of its SUB_WORKFLOW task runs
// again (it was retried, restarted or rerun): the task waits IN_PROGRESS
// again, and an ended parent is retried around it.
type Reopen struct {
	TaskID string
}

func (Retry) event()        {}
func (Restart) event()      {}
func (Rerun) event()        {}
func (Skip) event()         {}
func (SetVariables) event() {}
func (Reopen) event()       {}

// mustHaveEnded refuses an operation on an execution still running, or
// being restarted.
func (d *decision) mustHaveEnded(op string) error {
	if !d.w.Status.Terminal() {
		return reject(FailedPrecondition, "workflow %s is %s; only an ended workflow can be %s (terminate it first)", d.w.WorkflowID, d.w.Status, op)
	}
	if d.w.Pending != nil {
		return reject(FailedPrecondition, "workflow %s is being restarted (%d tasks left to remove); it cannot be %s until it runs again", d.w.WorkflowID, len(d.w.Tasks), op)
	}
	return nil
}

// revive makes an ended execution RUNNING again.
func (d *decision) revive(record, detail string) {
	w := d.w
	w.Status = workflow.StatusRunning
	w.ReasonForIncompletion = ""
	w.EndTime = 0
	w.FailedReferenceTaskNames = nil
	w.FailedTaskNames = nil
	d.res.Revived = true
	d.record(record, nil, "%s", detail)
}

func (d *decision) retry(ev Retry) error {
	if err := d.mustHaveEnded("retried"); err != nil {
		return err
	}
	if len(d.w.Tasks) == 0 {
		return reject(FailedPrecondition, "workflow %s has no tasks to retry; restart it instead", d.w.WorkflowID)
	}
	if d.w.Status == workflow.StatusCompleted {
		return reject(FailedPrecondition, "workflow %s completed; restart or rerun it to run it again", d.w.WorkflowID)
	}
	return d.retryFrom(ev.ResumeSubworkflowTasks, "", "WORKFLOW_RETRIED")
}

// retryFrom revives the execution and gives each last attempt that failed,
// timed out or was cancelled a new one. The task named by reopen (a
// SUB_WORKFLOW whose child runs again) waits again instead. Past
// retryChunk such tasks, the decisions that follow retry the rest
// (Workflow.Pending, retryMore).
func (d *decision) retryFrom(resumeChildren bool, reopen, record string) error {
	w := d.w
	last := 0
	if n := len(w.Tasks); n > 0 {
		last = w.Tasks[n-1].Seq
	}
	tasks := d.toRetry(last, false)
	if reopen != "" {
		if t := d.taskByID(reopen); t != nil {
			// First, so that it is in the first chunk.
			tasks = append([]*workflow.Task{t}, slices.DeleteFunc(tasks, func(f *workflow.Task) bool { return f.ReferenceTaskName == t.ReferenceTaskName })...)
		}
	}
	if len(tasks) == 0 && w.Status != workflow.StatusTimedOut {
		return reject(FailedPrecondition, "workflow %s has no failed, timed out or cancelled task to retry; restart it to run it again", w.WorkflowID)
	}
	d.chunked = true
	d.revive(record, "")
	w.LastRetriedTime = d.now // the workflow's timeout counts from here
	w.TimeoutAlerted = false
	if len(tasks) > retryChunk {
		w.Pending = &workflow.PendingOp{Op: workflow.PendingRetry, Seq: last, ResumeSubworkflowTasks: resumeChildren}
		tasks = tasks[:retryChunk]
	}
	d.retryTasks(tasks, resumeChildren, reopen)
	return nil
}

// retryTasks gives each task a new attempt, or makes it wait again (see
// retryFrom).
func (d *decision) retryTasks(tasks []*workflow.Task, resumeChildren bool, reopen string) {
	for _, t := range tasks {
		switch {
		case t.TaskType == workflow.TypeSubWorkflow && t.SubWorkflowID != "" && (t.TaskID == reopen || resumeChildren):
			d.wait(t)
			if t.TaskID != reopen {
				d.res.Commands = append(d.res.Commands, RetryWorkflow{WorkflowID: t.SubWorkflowID, ResumeSubworkflowTasks: true})
			}
		default:
			d.again(t)
		}
	}
}

// again runs a task that ended once more: an operator waits again, another
// task gets a new attempt.
func (d *decision) again(t *workflow.Task) {
	if IsOperator(t) {
		d.wait(t)
		return
	}
	t.Retried = true
	d.touch(t)
	d.schedule(t.WorkflowTask, place{ref: t.ReferenceTaskName, parentID: t.ParentTaskID, iteration: t.Iteration}, 0, t)
}

// wait puts a task that ended back IN_PROGRESS: an operator that waits on
// other tasks, or a SUB_WORKFLOW waiting on its child.
func (d *decision) wait(t *workflow.Task) {
	t.Status = workflow.TaskInProgress
	t.EndTime = 0
	t.Executed = false
	t.ReasonForIncompletion = ""
	d.touch(t)
}

func (d *decision) restart(ev Restart) error {
	if err := d.mustHaveEnded("restarted"); err != nil {
		return err
	}
	if d.w.Status == workflow.StatusCompleted && !d.def.IsRestartable() {
		return reject(FailedPrecondition, "workflow %s completed and its definition %s version %d is not restartable", d.w.WorkflowID, d.def.Name, d.def.Version)
	}
	if ev.Definition != nil {
		d.def = ev.Definition
		d.w.WorkflowDefinition = ev.Definition
		d.w.WorkflowVersion = ev.Definition.Version
		d.res.DefinitionChanged = true
	}
	return d.runAgain("WORKFLOW_RESTARTED", "")
}

// runAgain removes every task and starts the execution over. An execution
// of more than removeChunk tasks stays ended while the decisions that
// follow remove them a chunk at a time (Workflow.Pending, restartMore), and
// then runs again.
func (d *decision) runAgain(record, detail string) error {
	w := d.w
	d.chunked = true
	if len(w.Tasks) > removeChunk {
		w.Pending = &workflow.PendingOp{Op: workflow.PendingRestart, Record: record, Detail: detail}
		d.removeNewest(removeChunk)
		return nil
	}
	d.remove(func(*workflow.Task) bool { return true })
	d.revive(record, detail)
	w.Output = map[string]any{}
	w.Variables = maps.Clone(d.def.Variables)
	w.Input = workflow.WorkflowInput(d.def, w.Input)
	w.LastRetriedTime = 0
	w.TimeoutAlerted = false
	w.CreateTime = d.now
	w.StartTime = d.now
	d.firstTask()
	return nil
}

func (d *decision) rerun(ev Rerun) error {
	if err := d.mustHaveEnded("rerun"); err != nil {
		return err
	}
	w := d.w
	if ev.TaskID == "" {
		if ev.TaskInput != nil {
			return reject(InvalidArgument, "taskInput needs reRunFromTaskId: the task whose input it replaces")
		}
		if ev.WorkflowInput != nil {
			w.Input = ev.WorkflowInput
			d.res.InputChanged = true
		}
		if ev.CorrelationID != "" {
			w.CorrelationID = ev.CorrelationID
		}
		return d.runAgain("WORKFLOW_RERUN", "from the start")
	}
	from := d.taskByID(ev.TaskID)
	if from == nil {
		return reject(NotFound, "task %s is not part of workflow %s", ev.TaskID, w.WorkflowID)
	}
	return d.rerunFrom(from, ev)
}

func (d *decision) skip(ev Skip) error {
	w := d.w
	if w.Status != workflow.StatusRunning {
		return reject(FailedPrecondition, "workflow %s is %s; only a RUNNING workflow's tasks can be skipped", w.WorkflowID, w.Status)
	}
	p := d.pos(ev.Ref)
	if p == nil {
		return reject(NotFound, "workflow %s has no task %q in its definition", w.WorkflowID, ev.Ref)
	}
	wt := p.list[p.i]
	if t := d.taskByRef(ev.Ref); t != nil {
		return reject(FailedPrecondition, "task %s of workflow %s was already scheduled (%s); only a task not reached yet can be skipped", ev.Ref, w.WorkflowID, t.Status)
	}
	t := d.addTask(wt, place{ref: ev.Ref}, workflow.TaskSkipped)
	t.InputData = orEmpty(ev.Input)
	t.OutputData = orEmpty(ev.Output)
	t.Executed = true // handled when the flow reaches it (scheduleDef), not before
	d.record("TASK_SKIPPED", t, "%s skipped ahead", ev.Ref)
	return nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// maxVariables bounds the encoded variables of an execution, as
// SET_VARIABLE does.
const maxVariables = 256 << 10

func (d *decision) setVariables(ev SetVariables) error {
	w := d.w
	if w.Status.Terminal() {
		return reject(FailedPrecondition, "workflow %s is %s; only a running or paused workflow's variables can be changed", w.WorkflowID, w.Status)
	}
	vars := maps.Clone(w.Variables)
	if vars == nil {
		vars = map[string]any{}
	}
	maps.Copy(vars, ev.Variables)
	data, err := json.Marshal(vars)
	if err != nil {
		return reject(InvalidArgument, "variables: %v", err)
	}
	if len(data) > maxVariables {
		return reject(InvalidArgument, "the variables would be %d bytes encoded; at most %d are allowed", len(data), maxVariables)
	}
	w.Variables = vars
	d.record("WORKFLOW_VARIABLES_UPDATED", nil, "%d variables set", len(ev.Variables))
	return nil
}

func (d *decision) reopen(ev Reopen) error {
	t := d.taskByID(ev.TaskID)
	switch {
	case t == nil:
		return reject(NotFound, "task %s is not part of workflow %s", ev.TaskID, d.w.WorkflowID)
	case t.TaskType != workflow.TypeSubWorkflow:
		return reject(FailedPrecondition, "task %s is a %s task, not a SUB_WORKFLOW", t.TaskID, t.TaskType)
	case t.Status == workflow.TaskInProgress:
		return nil // it retried its child itself
	case d.taskByRef(t.ReferenceTaskName) != t:
		return nil // a later attempt runs another child; this one is history
	case d.w.Pending != nil && d.w.Pending.Op == workflow.PendingRestart:
		return nil // the restart removes the task
	case d.w.Status.Terminal():
		return d.retryFrom(false, t.TaskID, "WORKFLOW_RETRIED")
	}
	// The workflow went on without the task (it was optional or
	// permissive): the child's new end cannot change that.
	return nil
}
