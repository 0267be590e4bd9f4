package decider

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// position is where a workflow task sits in the definition: its list, its
// index there, the operator owning the list (nil at the top level) and the
// innermost DO_WHILE around it (nil if none).
type position struct {
	list   []*workflow.WorkflowTask
	i      int
	parent *workflow.WorkflowTask
	loop   *workflow.WorkflowTask
}

// pos returns the position of the definition's task with a reference name
// (without iteration suffixes), or nil for a task made at run time (the
// branches of a dynamic fork).
func (d *decision) pos(ref string) *position {
	if d.index == nil {
		d.index = map[string]*position{}
		d.place(d.def.Tasks, nil, nil)
	}
	return d.index[ref]
}

func (d *decision) place(list []*workflow.WorkflowTask, parent, loop *workflow.WorkflowTask) {
	for i, wt := range list {
		if wt == nil {
			continue
		}
		d.index[wt.TaskReferenceName] = &position{list: list, i: i, parent: parent, loop: loop}
		for _, branch := range wt.DecisionCases {
			d.place(branch, wt, loop)
		}
		d.place(wt.DefaultCase, wt, loop)
		for _, branch := range wt.ForkTasks {
			d.place(branch, wt, loop)
		}
		d.place(wt.LoopOver, wt, wt)
	}
}

// instance returns the current task of a definition task: the latest
// attempt in the current iteration of the loops around it; nil if none.
func (d *decision) instance(wt *workflow.WorkflowTask) *workflow.Task {
	return d.taskByRef(d.placeOf(wt).ref)
}

// placeOf is where the next task of a definition task goes: in the current
// iteration of the loops around it.
func (d *decision) placeOf(wt *workflow.WorkflowTask) place {
	at := place{ref: wt.TaskReferenceName}
	p := d.pos(wt.TaskReferenceName)
	if p == nil || p.loop == nil {
		return at
	}
	loop := d.instance(p.loop)
	if loop == nil {
		return at
	}
	at.ref += iterationSuffix(loop)
	at.parentID = loop.TaskID
	at.iteration = loop.Iteration
	return at
}

// iterationSuffix is what a DO_WHILE task adds to the reference names of
// the tasks of its current iteration: its own suffixes, then __N.
func iterationSuffix(loop *workflow.Task) string {
	return ownSuffix(loop) + "__" + strconv.Itoa(loop.Iteration)
}

// ownSuffix is the iteration suffix of a task's reference name.
func ownSuffix(t *workflow.Task) string {
	return t.ReferenceTaskName[len(workflow.BaseRef(t.ReferenceTaskName)):]
}

// scheduleDef schedules a task of the definition in the current iteration,
// unless it is there already. A DYNAMIC task becomes the task it names.
func (d *decision) scheduleDef(wt *workflow.WorkflowTask) {
	at := d.placeOf(wt)
	if t := d.taskByRef(at.ref); t != nil {
		if t.Status == workflow.TaskSkipped && t.ScheduledTime == 0 {
			// Skipped ahead (Skip): reached now, the flow goes on after it.
			t.ScheduledTime, t.StartTime, t.EndTime = d.now, d.now, d.now
			d.touch(t)
			d.continueAfter(t)
		}
		return
	}
	d.scheduleAt(wt, at)
}

// scheduleAt schedules a task of the definition at a place.
func (d *decision) scheduleAt(wt *workflow.WorkflowTask, at place) {
	if wt.TaskType() == workflow.TypeDynamic {
		d.scheduleDynamic(wt, at)
		return
	}
	d.schedule(wt, at, 0, nil)
}

// continueAfter schedules what follows a task that ended successfully.
func (d *decision) continueAfter(t *workflow.Task) {
	p := d.pos(workflow.BaseRef(t.ReferenceTaskName))
	if p == nil || t.WorkflowTask == nil || p.list[p.i].TaskReferenceName != t.WorkflowTask.TaskReferenceName {
		return // a dynamically forked task ends its branch
	}
	if p.i+1 < len(p.list) {
		d.scheduleDef(p.list[p.i+1])
		return
	}
	if p.parent == nil {
		return
	}
	// The end of a nested list.
	owner := d.instance(p.parent)
	if owner == nil || owner.Status != workflow.TaskInProgress {
		return
	}
	switch owner.TaskType {
	case workflow.TypeSwitch, workflow.TypeDecision:
		d.end(owner, workflow.TaskCompleted, "")
	case workflow.TypeDoWhile:
		d.iterationEnd(owner)
	}
	// The end of a fork's branch: its JOIN looks.
}

// checkJoins completes the waiting joins whose branches are all done. It
// reports whether any ended.
func (d *decision) checkJoins() bool {
	ended := false
	waiting := d.joins[:0]
	for _, j := range d.joins {
		if j.Status != workflow.TaskInProgress || d.gone[j] {
			continue
		}
		var done bool
		if j.TaskType == workflow.TypeJoin {
			done = d.join(j)
		} else {
			done = d.exclusiveJoin(j)
		}
		if done {
			ended = true
		} else {
			waiting = append(waiting, j)
		}
	}
	d.joins = waiting
	return ended
}

// joinOn lists the tasks a JOIN waits for, in the iteration it is in: its
// joinOn, plus the branches of a dynamic fork right before it; with neither,
// the last task of each branch of the static fork before it (Conductor would
// complete at once).
func (d *decision) joinOn(t *workflow.Task) []any {
	wt := t.WorkflowTask
	suffix := ownSuffix(t)
	var refs []any
	for _, r := range wt.JoinOn {
		refs = append(refs, r+suffix)
	}
	p := d.pos(wt.TaskReferenceName)
	if p == nil || p.i == 0 {
		return refs
	}
	prev := p.list[p.i-1]
	switch prev.TaskType() {
	case workflow.TypeForkJoinDynamic:
		if fork := d.instance(prev); fork != nil {
			forked, _ := fork.InputData["forkedTasks"].([]any)
			refs = append(refs, forked...)
		}
	case workflow.TypeForkJoin, workflow.TypeFork:
		if len(refs) == 0 {
			for _, branch := range prev.ForkTasks {
				if n := len(branch); n > 0 && branch[n-1] != nil {
					refs = append(refs, branch[n-1].TaskReferenceName+suffix)
				}
			}
		}
	}
	return refs
}

// join completes a JOIN once every task it waits for has ended: with the
// outputs of all, COMPLETED_WITH_ERRORS if an optional one failed, FAILED if
// a permissive one did.
func (d *decision) join(j *workflow.Task) bool {
	refs, _ := j.InputData["joinOn"].([]any)
	// Branches are usually done in the order they were forked: the last is
	// the likeliest to be waited for.
	for i := len(refs) - 1; i >= 0; i-- {
		ref, _ := refs[i].(string)
		if t := d.taskByRef(ref); t == nil || !t.Status.Terminal() || !t.Executed {
			return false
		}
	}
	out := make(map[string]any, len(refs))
	var failed []string
	withErrors := false
	for _, r := range refs {
		ref, _ := r.(string)
		t := d.taskByRef(ref)
		out[ref] = t.OutputData
		switch {
		case t.Status == workflow.TaskCompletedWithErrors:
			withErrors = true
		case !t.Status.Successful():
			failed = append(failed, ref+": "+t.ReasonForIncompletion)
		}
	}
	j.OutputData = out
	switch {
	case len(failed) > 0:
		d.end(j, workflow.TaskFailed, "branches failed: "+strings.Join(failed, "; "))
	case withErrors:
		d.end(j, workflow.TaskCompletedWithErrors, "")
	default:
		d.end(j, workflow.TaskCompleted, "")
	}
	return true
}

// exclusiveJoin completes an EXCLUSIVE_JOIN with the output of the first of
// its joinOn tasks that ran (else of its defaultExclusiveJoinTask), once
// that task has ended.
func (d *decision) exclusiveJoin(j *workflow.Task) bool {
	wt := j.WorkflowTask
	suffix := ownSuffix(j)
	for _, list := range [][]string{wt.JoinOn, wt.DefaultExclusiveJoinTask} {
		for _, ref := range list {
			t := d.taskByRef(ref + suffix)
			if t == nil || t.Status == workflow.TaskSkipped {
				continue
			}
			if !t.Status.Terminal() || !t.Executed {
				return false
			}
			j.OutputData = maps.Clone(t.OutputData)
			if t.Status.Successful() {
				d.end(j, workflow.TaskCompleted, "")
			} else {
				d.end(j, workflow.TaskFailed, "task "+ref+suffix+" failed: "+t.ReasonForIncompletion)
			}
			return true
		}
	}
	// None of them ran: the branch taken had none of them.
	d.end(j, workflow.TaskCompleted, "")
	return true
}

// remove deletes tasks from the execution.
func (d *decision) remove(drop func(*workflow.Task) bool) {
	kept := d.w.Tasks[:0]
	for _, t := range d.w.Tasks {
		if !drop(t) {
			kept = append(kept, t)
			continue
		}
		d.res.Removed = append(d.res.Removed, t)
		if d.gone == nil {
			d.gone = map[*workflow.Task]bool{}
		}
		d.gone[t] = true
	}
	clear(d.w.Tasks[len(kept):])
	d.w.Tasks = kept
	// The lookup maps are built again, from what is left, when next
	// needed: maps built half-way through the loop above would keep the
	// tasks removed before.
	d.byRef, d.byID, d.forked, d.lookups = nil, nil, nil, 0
}

func num(n int) json.Number { return json.Number(strconv.Itoa(n)) }
