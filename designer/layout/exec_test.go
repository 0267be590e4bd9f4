package layout

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/stretchr/testify/require"
)

const executions = "../testdata/executions"

// ExecRun builds an execution the way the engine records one: each
// attempt a Task in seq order, loop bodies with their __N suffixes.
// (Exported for the port's tests in package layout_test, ts_test.go.)
type ExecRun struct {
	WF  *workflow.Workflow
	seq int
}

func NewExecRun(def *workflow.WorkflowDef, status workflow.Status) *ExecRun {
	return &ExecRun{WF: &workflow.Workflow{WorkflowID: "wf-1", WorkflowName: def.Name, WorkflowVersion: def.Version,
		Status: status, WorkflowDefinition: def}}
}

// task appends an attempt and returns it for further fields.
func (r *ExecRun) Task(ref, typ string, status workflow.TaskStatus) *workflow.Task {
	r.seq++
	t := &workflow.Task{TaskID: fmt.Sprintf("task-%d", r.seq), ReferenceTaskName: ref, TaskType: typ,
		TaskDefName: workflow.BaseRef(ref), Status: status, Seq: r.seq, InputData: map[string]any{}, OutputData: map[string]any{}}
	r.WF.Tasks = append(r.WF.Tasks, t)
	return t
}

func nodesByID(g *Graph) map[string]*Node {
	m := map[string]*Node{}
	for _, n := range g.Nodes {
		m[n.ID] = n
	}
	return m
}

func fixture(t *testing.T, name string) *workflow.WorkflowDef {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name+".json"))
	require.NoError(t, err)
	def := &workflow.WorkflowDef{}
	require.NoError(t, workflow.Decode(data, def))
	return def
}

// renderExec renders an execution graph, checks it is well-formed XML and
// compares it and the graph with their goldens.
func renderExec(t *testing.T, name string, g *Graph) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, RenderSVG(&buf, g, RenderOptions{}))
	wellFormed(t, buf.Bytes())
	golden(t, filepath.Join(executions, name+".layout.json"), graphJSON(t, g))
	golden(t, filepath.Join(executions, name+".svg"), buf.Bytes())
	return buf.String()
}

func wellFormed(t *testing.T, svg []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		require.NoError(t, err, "the SVG is well-formed XML")
	}
}

// TestExecutionSwitch: the lanes a SWITCH did not take are dimmed, with
// their edges; tasks not run yet in a running execution are not.
func TestExecutionSwitch(t *testing.T) {
	t.Parallel()
	def := fixture(t, "switch_default")
	r := NewExecRun(def, workflow.StatusRunning)
	r.Task("route", "SWITCH", workflow.TaskCompleted).OutputData["selectedCase"] = "card"
	r.Task("charge_card", "SIMPLE", workflow.TaskFailed)
	retry := r.Task("charge_card", "SIMPLE", workflow.TaskCompleted)
	retry.RetryCount = 1
	r.Task("card_receipt", "SIMPLE", workflow.TaskInProgress)
	g := LayoutExecution(nil, r.WF, View{})
	checkInvariants(t, def, g)
	n := nodesByID(g)
	require.Equal(t, "COMPLETED", n["charge_card"].Status, "the latest attempt counts")
	require.Equal(t, retry.TaskID, n["charge_card"].TaskID)
	require.Equal(t, 1, n["charge_card"].Attempt)
	require.Equal(t, "IN_PROGRESS", n["card_receipt"].Status)
	for _, id := range []string{"transfer", "reject"} {
		require.True(t, n[id].Dimmed, "%s is on a lane not taken", id)
	}
	for _, id := range []string{"route", "charge_card", "card_receipt", "notify", "$merge:route"} {
		require.False(t, n[id].Dimmed, "%s", id)
	}
	require.Empty(t, n["notify"].Status, "not scheduled yet")
	for _, e := range g.Edges {
		onDimmed := e.From == "transfer" || e.To == "transfer" || e.From == "reject" || e.To == "reject"
		require.Equal(t, onDimmed, e.Dimmed, "edge %s->%s", e.From, e.To)
	}
	svg := renderExec(t, "switch_running", g)
	require.Contains(t, svg, `data-task-id="`+retry.TaskID+`" data-status="COMPLETED"`)
	require.Contains(t, svg, `data-task-ref="notify"`, "a task not scheduled yet can still be found by the live view")

	// Once the execution fails, what never ran is dimmed too.
	r.WF.Tasks[len(r.WF.Tasks)-1].Status = workflow.TaskFailed
	r.WF.Status = workflow.StatusFailed
	g = LayoutExecution(nil, r.WF, View{})
	n = nodesByID(g)
	require.True(t, n["notify"].Dimmed)
	require.False(t, n["card_receipt"].Dimmed)
	require.Equal(t, "FAILED", n["$end"].Status)
}

// TestExecutionDecision: a legacy DECISION says its case in caseOutput; a
// case no key matches takes the default lane.
func TestExecutionDecision(t *testing.T) {
	t.Parallel()
	def := fixture(t, "decision_legacy")
	r := NewExecRun(def, workflow.StatusCompleted)
	r.Task("d1", "DECISION", workflow.TaskCompleted).OutputData["caseOutput"] = []any{"0"}
	r.Task("zero", "SIMPLE", workflow.TaskCompleted)
	r.Task("bye", "EXCLUSIVE_JOIN", workflow.TaskCompleted)
	n := nodesByID(LayoutExecution(def, r.WF, View{}))
	require.False(t, n["zero"].Dimmed)
	require.True(t, n["greet"].Dimmed)

	r.WF.Tasks[0].OutputData["caseOutput"] = []any{json.Number("7")}
	r.WF.Tasks = r.WF.Tasks[:1]
	n = nodesByID(LayoutExecution(def, r.WF, View{}))
	require.True(t, n["zero"].Dimmed)
	require.True(t, n["greet"].Dimmed)
	for _, e := range LayoutExecution(def, r.WF, View{}).Edges {
		if e.Label != nil && e.Label.Text == "default" {
			require.False(t, e.Dimmed, "the empty default lane was taken")
		}
	}
}

// TestExecutionLoops: each loop shows its latest iteration unless the view
// picks another, nested loops included.
func TestExecutionLoops(t *testing.T) {
	t.Parallel()
	def := fixture(t, "nested_do_while")
	r := NewExecRun(def, workflow.StatusRunning)
	outer := r.Task("outer", "DO_WHILE", workflow.TaskInProgress)
	for i := 1; i <= 2; i++ {
		r.Task(fmt.Sprintf("before__%d", i), "SIMPLE", workflow.TaskCompleted)
		inner := r.Task(fmt.Sprintf("inner__%d", i), "DO_WHILE", workflow.TaskCompleted)
		for j := 1; j <= 3; j++ {
			inner.Iteration = j
			st := workflow.TaskCompleted
			if i == 2 && j == 3 {
				st, inner.Status = workflow.TaskInProgress, workflow.TaskInProgress
			}
			r.Task(fmt.Sprintf("step__%d__%d", i, j), "SIMPLE", st).Iteration = j
		}
		outer.Iteration = i
	}
	g := LayoutExecution(def, r.WF, View{})
	checkInvariants(t, def, g)
	n := nodesByID(g)
	require.Equal(t, [2]int{2, 2}, [2]int{n["outer"].Iteration, n["outer"].Iterations})
	require.Equal(t, [2]int{3, 3}, [2]int{n["inner"].Iteration, n["inner"].Iterations})
	require.Equal(t, "inner__2", n["inner"].TaskRef)
	require.Equal(t, "step__2__3", n["step"].TaskRef)
	require.Equal(t, "IN_PROGRESS", n["step"].Status)
	svg := renderExec(t, "loops_running", g)
	require.Contains(t, svg, `href="?iter=outer%3A1"`, "a link to the previous iteration")
	require.Contains(t, svg, "iteration 2 of 2")

	v := ParseView(url.Values{"iter": {"outer:1", "inner:2"}})
	g = LayoutExecution(def, r.WF, v)
	n = nodesByID(g)
	require.Equal(t, "before__1", n["before"].TaskRef)
	require.Equal(t, "step__1__2", n["step"].TaskRef)
	require.Equal(t, "COMPLETED", n["step"].Status)
	require.Equal(t, 1, n["outer"].Iteration)

	// An iteration that does not exist shows the latest.
	g = LayoutExecution(def, r.WF, View{Iterations: map[string]int{"outer": 9}})
	require.Equal(t, "step__2__3", nodesByID(g)["step"].TaskRef)
}

// TestExecutionDynamicFork: many branches collapse into a stack with a
// tally; expanded, each branch is a box inside it.
func TestExecutionDynamicFork(t *testing.T) {
	t.Parallel()
	def := fixture(t, "dynamic_fork")
	r := NewExecRun(def, workflow.StatusRunning)
	r.Task("plan", "SIMPLE", workflow.TaskCompleted)
	fork := r.Task("fanout", "FORK_JOIN_DYNAMIC", workflow.TaskCompleted)
	var refs []any
	for i := 1; i <= 10; i++ {
		ref := fmt.Sprintf("img_%d", i)
		refs = append(refs, ref)
		st := workflow.TaskCompleted
		switch {
		case i == 4:
			st = workflow.TaskFailed
		case i > 8:
			st = workflow.TaskInProgress
		}
		typ := "SIMPLE"
		if i == 2 {
			typ = "SUB_WORKFLOW"
		}
		c := r.Task(ref, typ, st)
		if i == 2 {
			c.SubWorkflowID = "child-2"
		}
	}
	fork.InputData["forkedTasks"] = refs
	r.Task("join", "JOIN", workflow.TaskInProgress)

	g := LayoutExecution(def, r.WF, View{})
	checkInvariants(t, def, g)
	st := nodesByID(g)["$stack:fanout"]
	require.Equal(t, &Stack{Total: 10, Completed: 7, Counts: map[string]int{"COMPLETED": 7, "FAILED": 1, "IN_PROGRESS": 2}}, st.Stack)
	require.Equal(t, "FAILED", st.Status)
	require.Len(t, g.Nodes, len(Layout(def).Nodes), "collapsed: no box per branch")
	svg := renderExec(t, "dynamic_fork_collapsed", g)
	require.Contains(t, svg, "7 of 10 completed")
	require.Contains(t, svg, `href="?expand=fanout"`)

	g = LayoutExecution(def, r.WF, ParseView(url.Values{"expand": {"fanout"}}))
	checkInvariants(t, def, g)
	n := nodesByID(g)
	st = n["$stack:fanout"]
	require.True(t, st.Stack.Expanded)
	for i := 1; i <= 10; i++ {
		c := n[fmt.Sprintf("$stack:fanout/img_%d", i)]
		require.NotNil(t, c)
		require.Equal(t, st.ID, c.Parent)
		require.NotEmpty(t, c.TaskID)
	}
	require.Equal(t, KindSubWorkflow, n["$stack:fanout/img_2"].Kind)
	svg = renderExec(t, "dynamic_fork_expanded", g)
	require.Contains(t, svg, `<a href="/executions/child-2">`, "a branch that is a sub-workflow links to its execution")
	require.Contains(t, svg, `href="?collapse=fanout"`)

	// A few branches are shown one by one without asking.
	fork.InputData["forkedTasks"] = refs[:3]
	g = LayoutExecution(def, r.WF, View{})
	require.True(t, nodesByID(g)["$stack:fanout"].Stack.Expanded)
	require.NotNil(t, nodesByID(g)["$stack:fanout/img_3"])
}

// TestExecutionSubWorkflowLinks: a SUB_WORKFLOW links to its child's
// execution, and a child's diagram links back to its parent's.
func TestExecutionSubWorkflowLinks(t *testing.T) {
	t.Parallel()
	def := fixture(t, "sub_workflow")
	r := NewExecRun(def, workflow.StatusRunning)
	r.Task("charge", "SUB_WORKFLOW", workflow.TaskInProgress).SubWorkflowID = "child-1"
	r.WF.ParentWorkflowID = "parent-9"
	g := LayoutExecution(def, r.WF, View{})
	n := nodesByID(g)
	require.Equal(t, "child-1", n["charge"].SubWorkflowID)
	require.Equal(t, &SubRef{Name: "payment", Version: 3}, n["charge"].Sub)
	svg := renderExec(t, "sub_workflow_running", g)
	require.Contains(t, svg, `<a href="/executions/child-1"><g class="node k-subworkflow" data-id="charge"`)
	require.Contains(t, svg, `<a href="/executions/parent-9"><g class="node k-start"`)

	var buf bytes.Buffer
	require.NoError(t, RenderSVG(&buf, g, RenderOptions{NoStyle: true, ExecutionHref: func(id string) string { return "/ui/x/" + id }}))
	require.Contains(t, buf.String(), `href="/ui/x/child-1"`)
	require.NotContains(t, buf.String(), "<style>")
}

// TestRenderEscapes: names and case keys from users are text, never markup.
func TestRenderEscapes(t *testing.T) {
	t.Parallel()
	evil := `<script>alert("x")</script>&'`
	def := &workflow.WorkflowDef{Name: evil, Tasks: []*workflow.WorkflowTask{
		{Name: evil, TaskReferenceName: "a", Type: "SWITCH", DecisionCases: map[string][]*workflow.WorkflowTask{
			evil: {{Name: "b\x01c", TaskReferenceName: "b"}}}}}}
	var buf bytes.Buffer
	require.NoError(t, RenderSVG(&buf, Layout(def), RenderOptions{Slots: true}))
	wellFormed(t, buf.Bytes())
	require.NotContains(t, buf.String(), "<script")
	require.Contains(t, buf.String(), "&lt;script&gt;")
}

// TestGoldenSVGsWellFormed parses every definition golden as XML.
func TestGoldenSVGsWellFormed(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(fixtures, "*.svg"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		wellFormed(t, data)
		require.True(t, strings.HasPrefix(string(data), `<svg xmlns="http://www.w3.org/2000/svg" class="baton-diagram" role="figure" aria-label="`), f)
	}
}

func TestViewQuery(t *testing.T) {
	t.Parallel()
	v := ParseView(url.Values{"iter": {"a:2", "b:x", ":3", "c:0", "d:e:4"}, "expand": {"f"}, "collapse": {"g"}})
	require.Equal(t, View{Iterations: map[string]int{"a": 2, "d:e": 4}, Expanded: map[string]bool{"f": true, "g": false}}, v)
	require.Equal(t, "collapse=g&expand=f&iter=a%3A2&iter=d%3Ae%3A4", v.Query())
	q, err := url.ParseQuery(v.Query())
	require.NoError(t, err)
	require.Equal(t, v, ParseView(q))
	require.Equal(t, "", View{}.Query())
}

// TestDarkThemeComplete: the dark theme sets every variable the stylesheet
// reads, so no light fallback shows through on a dark page.
func TestDarkThemeComplete(t *testing.T) {
	t.Parallel()
	used := regexp.MustCompile(`var\((--baton-[a-z-]+),`).FindAllStringSubmatch(Stylesheet, -1)
	require.NotEmpty(t, used)
	for _, m := range used {
		require.Contains(t, DarkTheme, m[1]+":", "DarkTheme sets %s", m[1])
	}
}
