package layout

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// View is what an execution diagram shows: which iteration of each loop,
// and which dynamic forks have their branches laid out one by one rather
// than stacked. Both are keyed by the reference name in the definition.
// The zero View shows every loop's latest iteration and expands the
// dynamic forks of at most 6 branches.
type View struct {
	Iterations map[string]int
	Expanded   map[string]bool
}

// ParseView reads a View from a URL query: iter=ref:N (repeated),
// expand=ref and collapse=ref. Malformed entries are ignored: a view is a
// preference, and the diagram falls back to the default for them.
func ParseView(q url.Values) View {
	var v View
	for _, s := range q["iter"] {
		i := strings.LastIndexByte(s, ':')
		if i <= 0 {
			continue
		}
		n, err := strconv.Atoi(s[i+1:])
		if err != nil || n < 1 {
			continue
		}
		if v.Iterations == nil {
			v.Iterations = map[string]int{}
		}
		v.Iterations[s[:i]] = n
	}
	for key, on := range map[string]bool{"expand": true, "collapse": false} {
		for _, ref := range q[key] {
			if v.Expanded == nil {
				v.Expanded = map[string]bool{}
			}
			v.Expanded[ref] = on
		}
	}
	return v
}

// Query writes the view as a URL query (without "?"), in a stable order.
func (v View) Query() string {
	q := url.Values{}
	for _, ref := range sortedKeys(v.Iterations) {
		q.Add("iter", ref+":"+strconv.Itoa(v.Iterations[ref]))
	}
	for _, ref := range sortedKeys(v.Expanded) {
		if v.Expanded[ref] {
			q.Add("expand", ref)
		} else {
			q.Add("collapse", ref)
		}
	}
	return q.Encode()
}

// withIteration returns a copy of the view showing iteration n of a loop.
func (v View) withIteration(ref string, n int) View {
	it := make(map[string]int, len(v.Iterations)+1)
	for k, x := range v.Iterations {
		it[k] = x
	}
	it[ref] = n
	return View{Iterations: it, Expanded: v.Expanded}
}

// withExpanded returns a copy of the view with a dynamic fork expanded or
// collapsed.
func (v View) withExpanded(ref string, on bool) View {
	ex := make(map[string]bool, len(v.Expanded)+1)
	for k, x := range v.Expanded {
		ex[k] = x
	}
	ex[ref] = on
	return View{Iterations: v.Iterations, Expanded: ex}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LayoutExecution lays out an execution of a definition (the execution's
// own copy when def is nil): the definition's graph with the status of each
// task's latest attempt, the iteration v selects of each loop, each dynamic
// fork's branches as a stack (or one by one), and the nodes of paths not
// taken dimmed.
func LayoutExecution(def *workflow.WorkflowDef, wf *workflow.Workflow, v View) *Graph {
	if def == nil {
		def = wf.WorkflowDefinition
	}
	if def == nil {
		def = &workflow.WorkflowDef{Name: wf.WorkflowName, Version: wf.WorkflowVersion}
	}
	x := &execCtx{wf: wf, byRef: make(map[string]*workflow.Task, len(wf.Tasks)), ended: wf.Status.Terminal(), view: v}
	for _, t := range wf.Tasks {
		if cur, ok := x.byRef[t.ReferenceTaskName]; !ok || t.Seq >= cur.Seq {
			x.byRef[t.ReferenceTaskName] = t
		}
	}
	g := layout(def, x)
	g.Execution = &Execution{WorkflowID: wf.WorkflowID, Status: string(wf.Status), ParentWorkflowID: wf.ParentWorkflowID}
	g.view = v
	return g
}

// execCtx is the execution a layout overlays: each task's latest attempt
// by its reference name (with loop suffixes).
type execCtx struct {
	wf    *workflow.Workflow
	byRef map[string]*workflow.Task
	ended bool
	view  View
}

// overlay gives a node the state of the latest attempt of its task. A node
// is dimmed on a lane not taken, or when the execution ended without
// running it.
// Its TaskRef is set even before the task is scheduled: the live view
// finds the node by the reference name its first attempt will have.
func (x *execCtx) overlay(n *Node, ref string, dim bool) {
	n.TaskRef = ref
	t := x.byRef[ref]
	n.Dimmed = dim || (t == nil && x.ended)
	if t == nil {
		return
	}
	n.Status, n.TaskID = string(t.Status), t.TaskID
	n.Attempt, n.SubWorkflowID = t.RetryCount, t.SubWorkflowID
}

// iteration picks the iteration of a loop to show and the suffix its
// body's tasks carry in it.
func (x *execCtx) iteration(bl *block, sc scope) {
	ref := bl.task.TaskReferenceName
	if t := x.byRef[ref+sc.suffix]; t != nil {
		bl.iters = t.Iteration
	}
	bl.iter = bl.iters
	if n, ok := x.view.Iterations[ref]; ok && n >= 1 && n <= bl.iters {
		bl.iter = n
	}
	bl.inner = sc.suffix + "__" + strconv.Itoa(max(bl.iter, 1))
}

// takenLane returns the index of the lane an ended SWITCH took, or -1
// while it has not decided (or failed to).
func (x *execCtx) takenLane(bl *block, sc scope) int {
	t := x.byRef[bl.task.TaskReferenceName+sc.suffix]
	if t == nil || !t.Status.Terminal() || !t.Status.Successful() {
		return -1
	}
	sel := selectedCase(t.OutputData)
	for i, label := range bl.labels[:len(bl.labels)-1] {
		if label == sel {
			return i
		}
	}
	return len(bl.labels) - 1
}

// selectedCase is the case a SWITCH chose (selectedCase, else the first
// evaluationResult), or a legacy DECISION (the first caseOutput), from its
// output.
func selectedCase(out map[string]any) string {
	if s, ok := out["selectedCase"].(string); ok {
		return s
	}
	for _, key := range []string{"evaluationResult", "caseOutput"} {
		if r, ok := out[key].([]any); ok && len(r) > 0 {
			if s, ok := r[0].(string); ok {
				return s
			}
			return fmt.Sprint(r[0])
		}
	}
	return ""
}

// stack tallies the branches of a dynamic fork (those its input lists under
// forkedTasks) and sizes its stack: one box when collapsed, a grid of
// stackCols columns when expanded.
func (x *execCtx) stack(bl *block, sc scope) {
	ref := bl.task.TaskReferenceName
	t := x.byRef[ref+sc.suffix]
	if t == nil {
		return
	}
	list, _ := t.InputData["forkedTasks"].([]any)
	st := &Stack{Total: len(list), Counts: map[string]int{}}
	bl.refs = make([]string, len(list))
	bl.children = make([]*workflow.Task, len(list))
	for i, r := range list {
		s, _ := r.(string)
		bl.refs[i] = s
		c := x.byRef[s]
		bl.children[i] = c
		if c == nil {
			continue
		}
		st.Counts[string(c.Status)]++
		if c.Status.Terminal() && c.Status.Successful() {
			st.Completed++
		}
	}
	st.Expanded = st.Total <= autoExpand
	if on, ok := x.view.Expanded[ref]; ok {
		st.Expanded = on
	}
	bl.stack = st
	if st.Expanded && st.Total > 0 {
		cols := min(st.Total, stackCols)
		rows := (st.Total + cols - 1) / cols
		bl.stackW = 2*stackPad + cols*nodeW + (cols-1)*childGap
		bl.stackH = stackHead + rows*nodeH + (rows-1)*childGap + stackPad
	}
}

// stackStatus is the status a stack shows: the worst of its branches.
func stackStatus(st *Stack) string {
	if st == nil || st.Total == 0 {
		return ""
	}
	for _, s := range []workflow.TaskStatus{workflow.TaskFailed, workflow.TaskFailedWithTerminalError,
		workflow.TaskTimedOut, workflow.TaskCanceled, workflow.TaskInProgress, workflow.TaskScheduled} {
		if st.Counts[string(s)] > 0 {
			return string(s)
		}
	}
	if st.Completed < st.Total {
		return string(workflow.TaskScheduled)
	}
	if st.Counts[string(workflow.TaskCompletedWithErrors)] > 0 {
		return string(workflow.TaskCompletedWithErrors)
	}
	return string(workflow.TaskCompleted)
}

// placeChildren lays out the branches of an expanded stack in rows.
func (x *execCtx) placeChildren(b *builder, bl *block, st *Node) {
	st.Status = stackStatus(bl.stack)
	if !bl.stack.Expanded {
		return
	}
	cols := max(min(len(bl.refs), stackCols), 1)
	for i, ref := range bl.refs {
		n := &Node{ID: st.ID + "/" + ref, Kind: KindTask, Ref: ref,
			X: st.X + stackPad + (i%cols)*(nodeW+childGap), Y: st.Y + stackHead + (i/cols)*(nodeH+childGap),
			W: nodeW, H: nodeH, Parent: st.ID}
		if c := bl.children[i]; c != nil {
			n.Name, n.Type, n.Kind = c.TaskDefName, c.TaskType, kindOf(c.TaskType)
		}
		x.overlay(n, ref, st.Dimmed)
		b.node(n)
	}
}
