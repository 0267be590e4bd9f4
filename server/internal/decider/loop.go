package decider

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// beginLoop starts a DO_WHILE: it stays IN_PROGRESS while its body runs,
// once at least (or once per item of items; none for an empty list).
func (d *decision) beginLoop(t *workflow.Task) {
	wt := t.WorkflowTask
	d.begun(t)
	t.Iteration = 0
	if wt.Items != nil {
		v, err := workflow.Evaluate(wt.Items, d.context(t.TaskID))
		items, ok := v.([]any)
		switch {
		case err != nil:
			d.end(t, workflow.TaskFailedWithTerminalError, "items could not be evaluated: "+err.Error())
			return
		case !ok:
			d.end(t, workflow.TaskFailedWithTerminalError, fmt.Sprintf("items must give a list, got %s", kindOf(v)))
			return
		}
		t.InputData["items"] = items
		if len(items) == 0 {
			t.OutputData["iteration"] = num(0)
			d.end(t, workflow.TaskCompleted, "")
			return
		}
	}
	d.nextIteration(t)
}

// nextIteration starts the next iteration of a loop.
func (d *decision) nextIteration(t *workflow.Task) {
	t.Iteration++
	t.OutputData["iteration"] = num(t.Iteration)
	if items, ok := t.InputData["items"].([]any); ok {
		t.OutputData["loopItem"] = items[t.Iteration-1]
		t.OutputData["loopIndex"] = num(t.Iteration - 1)
	}
	d.touch(t)
	d.scheduleDef(t.WorkflowTask.LoopOver[0])
}

// iterationEnd records the outputs of the iteration that ended, then starts
// the next one or completes the loop.
func (d *decision) iterationEnd(t *workflow.Task) {
	outs := map[string]any{}
	for _, x := range d.w.Tasks {
		if d.inIteration(x, t, t.Iteration) {
			outs[workflow.BaseRef(x.ReferenceTaskName)] = x.OutputData
		}
	}
	t.OutputData[strconv.Itoa(t.Iteration)] = outs
	d.touch(t)
	more, err := d.loopAgain(t, outs)
	if err != nil {
		d.end(t, workflow.TaskFailed, "loopCondition: "+err.Error())
		return
	}
	if n := keepLastN(t); n > 0 && t.Iteration > n {
		old := t.Iteration - n
		delete(t.OutputData, strconv.Itoa(old))
		d.remove(func(x *workflow.Task) bool { return d.inIteration(x, t, old) })
	}
	if more {
		d.nextIteration(t)
		return
	}
	d.end(t, workflow.TaskCompleted, "")
}

// inIteration reports whether task x ran in iteration n of loop, directly
// or nested in operators or inner loops.
func (d *decision) inIteration(x, loop *workflow.Task, n int) bool {
	for depth := 0; x.ParentTaskID != "" && depth < 64; depth++ {
		if x.ParentTaskID == loop.TaskID {
			// x's own iteration counter is its own if it is a loop: its
			// name says which iteration of the outer loop it ran in.
			return ownSuffix(x) == ownSuffix(loop)+"__"+strconv.Itoa(n)
		}
		if x = d.taskByID(x.ParentTaskID); x == nil {
			return false
		}
	}
	return false
}

// loopAgain evaluates whether a loop goes on: while items remain (with
// items) and while loopCondition holds. The condition sees the loop's input,
// its output under its reference name ($.loop['iteration']) and the output
// of every task of the body under theirs.
func (d *decision) loopAgain(t *workflow.Task, outs map[string]any) (bool, error) {
	wt := t.WorkflowTask
	if items, ok := t.InputData["items"].([]any); ok && t.Iteration >= len(items) {
		return false, nil
	}
	cond := strings.TrimSpace(wt.LoopCondition)
	if cond == "" {
		_, withItems := t.InputData["items"]
		return withItems, nil
	}
	in, err := workflow.TaskInput(wt, d.taskDef(wt), d.context(t.TaskID))
	if err != nil {
		return false, err
	}
	in[wt.TaskReferenceName] = t.OutputData
	for ref, out := range outs {
		in[ref] = out
	}
	if d.Scripts == nil {
		return false, fmt.Errorf("no script evaluator is configured")
	}
	v, err := d.Scripts.JS(cond, in)
	if err != nil {
		return false, err
	}
	return truthy(v), nil
}

// keepLastN is how many iterations a loop keeps (input keepLastN); 0 for
// all.
func keepLastN(t *workflow.Task) int {
	n, ok := intOf(t.InputData["keepLastN"])
	if !ok || n < 1 {
		return 0
	}
	return int(n)
}

// truthy is how a script's result decides: true, a non-zero number or the
// string "true".
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	if n, ok := floatOf(v); ok {
		return n != 0
	}
	return false
}
