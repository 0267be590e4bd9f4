package decider

import (
	"strconv"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// A rerun from a task runs the flow again from that task. "After it" is
// defined by the flow, not by sequence numbers, which interleave across the
// branches of a fork: a task's route is the list of the definition holding
// it at each level, from the top-level list down, with its index there and
// the iteration of the DO_WHILE owning the list. Comparing the route of
// each task with the route of the task rerun tells its fate:
//
//   - before it at some level (an earlier index, an earlier iteration): kept;
//   - after it at some level (a later index, a later iteration), the task
//     itself and what runs inside it: removed, scheduled again as the flow
//     reaches it;
//   - in another branch of a fork around it: kept as it is (completed work is
//     not redone), except a task the end of the workflow cancelled, which
//     gets a new attempt as a retry would give it;
//   - an operator around it (SWITCH, DO_WHILE, a fork's JOIN): waits again,
//     as after a retry; a SWITCH keeps its case, a DO_WHILE goes back to the
//     iteration of the task.
//
// The JOIN right after a fork around the task is the one exception to "after
// it": a fork completes as it forks and the JOIN is scheduled at once, so
// nothing would schedule it again; it waits again instead, and what follows
// it is after the task.

// step is one level of a route: the list of the definition holding a task
// (nil for a branch of a dynamic fork, named by ref), its index there, and
// the iteration of the DO_WHILE that owns the list (0 if none).
type step struct {
	list []*workflow.WorkflowTask
	i    int
	iter int
	ref  string
}

// fate is what a rerun does with a task.
type fate int

const (
	kept     fate = iota // before the task rerun in the flow
	parallel             // in another branch of a fork around it
	redo                 // from it on: removed
	holder               // an operator around it: waits again
)

// route returns where a task runs, from the top-level list down; false if
// the definition does not place it.
func (d *decision) route(t *workflow.Task) ([]step, bool) {
	iters, ok := iterations(ownSuffix(t))
	if !ok {
		return nil, false
	}
	var tail []step
	p := d.pos(workflow.BaseRef(t.ReferenceTaskName))
	if p == nil {
		// A branch of a dynamic fork, in the loop iterations of its fork.
		fork := d.forkOf(t.ReferenceTaskName)
		if fork == nil {
			return nil, false
		}
		tail = []step{{ref: t.ReferenceTaskName}}
		if p = d.pos(workflow.BaseRef(fork.ReferenceTaskName)); p == nil {
			return nil, false
		}
	}
	var up []step
	for depth := 0; ; depth++ {
		if depth > 64 {
			return nil, false
		}
		s := step{list: p.list, i: p.i}
		if p.parent != nil && p.parent.TaskType() == workflow.TypeDoWhile {
			// The innermost loop owns the last iteration suffix.
			if len(iters) == 0 {
				return nil, false
			}
			s.iter, iters = iters[len(iters)-1], iters[:len(iters)-1]
		}
		up = append(up, s)
		if p.parent == nil {
			break
		}
		if p = d.pos(p.parent.TaskReferenceName); p == nil {
			return nil, false
		}
	}
	if len(iters) > 0 {
		return nil, false
	}
	r := make([]step, 0, len(up)+len(tail))
	for i := len(up) - 1; i >= 0; i-- {
		r = append(r, up[i])
	}
	return append(r, tail...), true
}

// iterations reads an iteration suffix, __1__3, as [1 3].
func iterations(suffix string) ([]int, bool) {
	if suffix == "" {
		return nil, true
	}
	parts := strings.Split(strings.TrimPrefix(suffix, "__"), "__")
	out := make([]int, len(parts))
	for i, s := range parts {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// forkOf returns the dynamic fork that created a branch, by its reference
// name; nil if none did.
func (d *decision) forkOf(ref string) *workflow.Task {
	if d.forked == nil {
		d.forked = map[string]*workflow.Task{}
		for _, t := range d.w.Tasks {
			if t.TaskType != workflow.TypeForkJoinDynamic {
				continue
			}
			refs, _ := t.InputData["forkedTasks"].([]any)
			for _, r := range refs {
				if s, ok := r.(string); ok {
					d.forked[s] = t
				}
			}
		}
	}
	return d.forked[ref]
}

// isFork reports whether a definition task forks branches.
func isFork(wt *workflow.WorkflowTask) bool {
	switch wt.TaskType() {
	case workflow.TypeForkJoin, workflow.TypeFork, workflow.TypeForkJoinDynamic:
		return true
	}
	return false
}

func sameList(a, b []*workflow.WorkflowTask) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// fateOf compares the route of a task x with that of the task rerun.
func fateOf(x *workflow.Task, xr []step, from *workflow.Task, fr []step) fate {
	last := len(fr) - 1
	for k, b := range fr {
		if k == len(xr) {
			return holder
		}
		a := xr[k]
		switch {
		case k > 0 && (a.ref != b.ref || !sameList(a.list, b.list)):
			return parallel
		case a.iter < b.iter:
			return kept
		case a.iter > b.iter:
			return redo
		case a.i < b.i:
			return kept
		case a.i > b.i:
			if k < last && a.i == b.i+1 && b.list != nil && isFork(b.list[b.i]) {
				return holder // the fork's JOIN
			}
			return redo
		}
	}
	if len(xr) > len(fr) || x.Seq >= from.Seq {
		return redo // inside the task rerun, or it or a later attempt of it
	}
	return kept // an earlier attempt, kept as history
}

// rerunFrom removes the task and what follows it in the flow, puts the
// operators around it back to waiting, and schedules it again.
func (d *decision) rerunFrom(from *workflow.Task, ev Rerun) error {
	w := d.w
	fr, ok := d.route(from)
	if !ok {
		return reject(FailedPrecondition, "task %s (%s) has no place in the flow of workflow %s's definition; rerun the workflow from the start instead", from.TaskID, from.ReferenceTaskName, w.WorkflowID)
	}
	wt := from.WorkflowTask
	if s := fr[len(fr)-1]; s.list != nil {
		wt = s.list[s.i]
	}
	if wt == nil {
		return reject(FailedPrecondition, "task %s (%s) has no task definition to schedule again; rerun from the task that forked it", from.TaskID, from.ReferenceTaskName)
	}
	for _, s := range fr[:len(fr)-1] {
		if s.list != nil && isFork(s.list[s.i]) && (s.i+1 >= len(s.list) || s.list[s.i+1].TaskType() != workflow.TypeJoin) {
			return reject(FailedPrecondition, "fork %s around task %s is not followed by a JOIN; rerun from the fork", s.list[s.i].TaskReferenceName, from.ReferenceTaskName)
		}
	}

	// A task the flow does not place (none should be) is kept as it is.
	fates := make(map[*workflow.Task]fate, len(w.Tasks))
	for _, x := range w.Tasks {
		if xr, ok := d.route(x); ok {
			fates[x] = fateOf(x, xr, from, fr)
		}
	}
	if ev.WorkflowInput != nil {
		w.Input = ev.WorkflowInput
		d.res.InputChanged = true
	}
	if ev.CorrelationID != "" {
		w.CorrelationID = ev.CorrelationID
	}
	d.remove(func(t *workflow.Task) bool { return fates[t] == redo })
	d.revive("WORKFLOW_RERUN", "from task "+from.ReferenceTaskName)
	// The tasks kept keep the start time: the workflow's timeout counts from
	// the rerun, as from a retry, or a timed-out workflow would time out again
	// at once.
	w.LastRetriedTime = d.now
	w.TimeoutAlerted = false
	last := 0
	if n := len(w.Tasks); n > 0 {
		last = w.Tasks[n-1].Seq
	}
	var cancelled []*workflow.Task
	for _, x := range w.Tasks {
		switch fates[x] {
		case holder:
			d.rewait(x, fr)
		case parallel:
			if x.Status == workflow.TaskCanceled && d.taskByRef(x.ReferenceTaskName) == x {
				cancelled = append(cancelled, x)
			}
		}
	}
	// The other branches of a large fork get their new attempts a chunk
	// per decision, as a retry's (pending.go).
	d.chunked = true
	if len(cancelled) > retryChunk {
		w.Pending = &workflow.PendingOp{Op: workflow.PendingRetry, Seq: last, CanceledOnly: true}
		cancelled = cancelled[:retryChunk]
	}
	for _, x := range cancelled {
		d.again(x)
	}
	// Earlier attempts of the task stay, as history: it is scheduled anew
	// whatever they were.
	d.inputOverride = ev.TaskInput
	d.scheduleAt(wt, place{ref: from.ReferenceTaskName, parentID: from.ParentTaskID, iteration: from.Iteration})
	d.inputOverride = nil
	return nil
}

// rewait puts an operator around the task rerun back to waiting. A fork
// that completed stays so (its JOIN waits); a DO_WHILE goes back to the
// iteration the task ran in, forgetting the outputs of that iteration and
// of those after it.
func (d *decision) rewait(t *workflow.Task, fr []step) {
	switch t.TaskType {
	case workflow.TypeForkJoin, workflow.TypeForkJoinDynamic:
		if t.Status.Successful() {
			return
		}
	case workflow.TypeDoWhile:
		xr, _ := d.route(t)
		n := fr[len(xr)].iter
		if t.OutputData == nil {
			t.OutputData = map[string]any{}
		}
		for key := range t.OutputData {
			if i, err := strconv.Atoi(key); err == nil && i >= n {
				delete(t.OutputData, key)
			}
		}
		t.Iteration = n
		t.OutputData["iteration"] = num(n)
		if items, ok := t.InputData["items"].([]any); ok && n >= 1 && n <= len(items) {
			t.OutputData["loopItem"] = items[n-1]
			t.OutputData["loopIndex"] = num(n - 1)
		}
	}
	d.wait(t)
}
