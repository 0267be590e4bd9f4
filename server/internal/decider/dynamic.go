package decider

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// validDynamicRef is what a task made at run time may be named: as a
// definition's reference names, and without an iteration suffix.
var validDynamicRef = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// scheduleDynamic schedules the task a DYNAMIC task names in its input
// (dynamicTaskNameParam): a worker task by that name, or the system task of
// that type. The task keeps the DYNAMIC's reference name.
func (d *decision) scheduleDynamic(wt *workflow.WorkflowTask, at place) {
	input, err := workflow.TaskInput(wt, d.taskDef(wt), d.context(""))
	name, _ := input[wt.DynamicTaskNameParam].(string)
	if err != nil || strings.TrimSpace(name) == "" {
		d.schedule(wt, at, 0, nil) // begin fails it, saying why
		return
	}
	named := *wt
	named.Name = name
	named.Type = workflow.TypeSimple
	if typ := strings.ToUpper(name); systemTypes[typ] && !operators[typ] && typ != workflow.TypeDynamic || typ == workflow.TypeHTTP {
		named.Type = typ
	}
	named.DynamicTaskNameParam = ""
	d.schedule(&named, at, 0, nil)
}

// failDynamic ends a DYNAMIC task that names no task.
func (d *decision) failDynamic(t *workflow.Task) {
	param := t.WorkflowTask.DynamicTaskNameParam
	d.end(t, workflow.TaskFailedWithTerminalError, fmt.Sprintf("input %q must name the task to run, got %s", param, kindOf(t.InputData[param])))
}

// forkChunk is how many branches of a dynamic fork one decision creates: a
// commit of ten thousand new tasks would not fit in one store transaction.
// A larger fork creates the rest in the decisions that follow at once.
const forkChunk = 1000

// beginDynamicFork forks one branch per task the input lists, in one of
// Conductor's three forms, and records them (forkedTasks) for the JOIN.
// The fork stays IN_PROGRESS while it creates its branches, forkChunk per
// decision.
func (d *decision) beginDynamicFork(t *workflow.Task) {
	tasks, err := d.forkedTasks(t)
	if err == nil {
		err = d.checkForked(t, tasks)
	}
	if err != nil {
		d.end(t, workflow.TaskFailedWithTerminalError, err.Error())
		return
	}
	suffix := ownSuffix(t)
	refs := make([]any, len(tasks))
	defs := make([]any, len(tasks))
	for i, wt := range tasks {
		refs[i] = wt.TaskReferenceName + suffix
		defs[i] = wt
	}
	t.InputData["forkedTasks"] = refs
	t.InputData["forkedTaskDefs"] = defs
	d.begun(t)
	d.forkMore(t)
}

// forkMore creates the next branches of a dynamic fork, and completes it
// once all are there.
func (d *decision) forkMore(t *workflow.Task) {
	refs, _ := t.InputData["forkedTasks"].([]any)
	defs, _ := t.InputData["forkedTaskDefs"].([]any)
	done, _ := intOf(t.OutputData["forkedSoFar"])
	end := min(int(done)+forkChunk, len(refs), len(defs))
	for i := int(done); i < end; i++ {
		wt, err := asWorkflowTask(defs[i])
		if err != nil {
			d.end(t, workflow.TaskFailedWithTerminalError, fmt.Sprintf("forked task %d: %v", i, err))
			return
		}
		ref, _ := refs[i].(string)
		d.schedule(wt, place{ref: ref, parentID: t.ParentTaskID, iteration: t.Iteration}, 0, nil)
	}
	d.touch(t)
	if end < len(refs) {
		t.OutputData["forkedSoFar"] = num(end)
		d.yielded = true
		return
	}
	delete(t.OutputData, "forkedSoFar")
	d.end(t, workflow.TaskCompleted, "")
}

// asWorkflowTask reads a task of forkedTaskDefs: the task itself while the
// execution is in memory, its JSON once it was read from the store.
func asWorkflowTask(v any) (*workflow.WorkflowTask, error) {
	if wt, ok := v.(*workflow.WorkflowTask); ok {
		return wt, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	wt := &workflow.WorkflowTask{}
	return wt, workflow.Decode(data, wt)
}

// forkedTasks reads the branches of a dynamic fork from its input: a list
// of tasks and a map of their inputs (dynamicForkTasksParam and
// dynamicForkTasksInputParamName); or one task type run once per input
// (forkTaskName, forkTaskType, forkTaskInputs); or one sub-workflow per input
// (forkTaskWorkflow, forkTaskWorkflowVersion, forkTaskInputs).
func (d *decision) forkedTasks(t *workflow.Task) ([]*workflow.WorkflowTask, error) {
	wt := t.WorkflowTask
	in := t.InputData
	if name, _ := in["forkTaskWorkflow"].(string); name != "" {
		return perInput(in, name, func(i int) *workflow.WorkflowTask {
			sp := &workflow.SubWorkflowParams{Name: name}
			if v, ok := intOf(in["forkTaskWorkflowVersion"]); ok {
				version := int(v)
				sp.Version = &version
			}
			return &workflow.WorkflowTask{Name: name, Type: workflow.TypeSubWorkflow, SubWorkflowParam: sp}
		})
	}
	if name, _ := in["forkTaskName"].(string); name != "" {
		typ, _ := in["forkTaskType"].(string)
		return perInput(in, name, func(i int) *workflow.WorkflowTask {
			return &workflow.WorkflowTask{Name: name, Type: typ}
		})
	}
	param := wt.DynamicForkTasksParam
	if param == "" {
		param = wt.DynamicForkJoinTasksParam
	}
	list, ok := in[param].([]any)
	if !ok {
		return nil, fmt.Errorf("input %q must be the list of tasks to fork, got %s", param, kindOf(in[param]))
	}
	inputs, _ := in[wt.DynamicForkTasksInputParamName].(map[string]any)
	tasks := make([]*workflow.WorkflowTask, len(list))
	for i, item := range list {
		data, err := json.Marshal(item)
		if err != nil {
			return nil, fmt.Errorf("forked task %d: %v", i, err)
		}
		ft := &workflow.WorkflowTask{}
		if err := workflow.Decode(data, ft); err != nil {
			return nil, fmt.Errorf("forked task %d is not a task: %v", i, err)
		}
		if ti, ok := inputs[ft.TaskReferenceName].(map[string]any); ok {
			ft.InputParameters = withInput(ft.InputParameters, ti)
		}
		tasks[i] = ft
	}
	return tasks, nil
}

// perInput makes one task per element of input forkTaskInputs, named
// <name>_<i>.
func perInput(in map[string]any, name string, task func(i int) *workflow.WorkflowTask) ([]*workflow.WorkflowTask, error) {
	inputs, ok := in["forkTaskInputs"].([]any)
	if !ok {
		return nil, fmt.Errorf("input forkTaskInputs must be a list with one input per branch, got %s", kindOf(in["forkTaskInputs"]))
	}
	tasks := make([]*workflow.WorkflowTask, len(inputs))
	for i, item := range inputs {
		ti, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("forkTaskInputs[%d] must be an object, got %s", i, kindOf(item))
		}
		ft := task(i)
		ft.TaskReferenceName = fmt.Sprintf("%s_%d", name, i)
		ft.InputParameters = withInput(nil, ti)
		tasks[i] = ft
	}
	return tasks, nil
}

func withInput(params, input map[string]any) map[string]any {
	out := maps.Clone(params)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, input)
	return out
}

// checkForked refuses branches the engine could not run: nameless, badly or
// doubly named, or operators.
func (d *decision) checkForked(t *workflow.Task, tasks []*workflow.WorkflowTask) error {
	suffix := ownSuffix(t)
	seen := make(map[string]bool, len(tasks))
	for i, ft := range tasks {
		ref := ft.TaskReferenceName
		switch typ := ft.TaskType(); {
		case ft == nil:
			return fmt.Errorf("forked task %d is null", i)
		case ft.Name == "":
			return fmt.Errorf("forked task %d (%s) has no name", i, ref)
		case !validDynamicRef.MatchString(ref) || workflow.BaseRef(ref) != ref:
			return fmt.Errorf("forked task %d has taskReferenceName %q; use 1 to 128 letters, digits, _ and -, not ending in __<number>", i, ref)
		case seen[ref] || d.pos(ref) != nil || d.taskByRef(ref+suffix) != nil:
			return fmt.Errorf("forked task %d has taskReferenceName %q, which another task of the workflow has", i, ref)
		case operators[typ] || typ == workflow.TypeDynamic:
			return fmt.Errorf("forked task %s is a %s; a dynamic fork's branches are single tasks (use a SUB_WORKFLOW for more)", ref, typ)
		}
		seen[ref] = true
	}
	return nil
}
