package layout_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/designer/internal/tsrun"
	"github.com/batonhq/baton/designer/layout"
	"github.com/batonhq/baton/sdk/workflow"
)

// The TypeScript port (designer/src/layout.ts) must lay out every
// definition and execution exactly as Layout and LayoutExecution do: the
// designer draws with it, the console with them. These tests bundle it with
// esbuild, as the console's scripts are built, run it in goja and compare
// its JSON with Go's byte for byte.

const (
	tsEntry    = "../src/layout.ts"
	tsFixtures = "../testdata/fixtures"
	tsLibrary  = "../../server/internal/engine/testdata/library"
)

// tsScript is the port, bundled to set the global batonLayout.
var tsScript = tsrun.Script{Entry: tsEntry, Global: "batonLayout"}

// tsLayout returns a function that lays out a definition's JSON with the
// TypeScript port and returns toJSON of the graph. It has its own goja
// runtime, so it must be called from one goroutine.
func tsLayout(tb testing.TB) func(def string) string {
	parsed, _ := tsRuntime(tb)
	return parsed
}

// tsRuntime returns two ways of laying out a definition's JSON with the
// port in one goja runtime: parsed with JSON.parse, and evaluated as a
// JavaScript literal. The second is how the designer's objects hold
// strings: goja's JSON.parse turns a lone surrogate into U+FFFD, as Go's
// decoder does, but a browser's keeps it, and so does a literal.
func tsRuntime(tb testing.TB) (parsed, literal func(def string) string) {
	tb.Helper()
	vm := tsVM(tb)
	v, err := vm.RunString(`(def) => batonLayout.toJSON(batonLayout.layout(JSON.parse(def)))`)
	require.NoError(tb, err)
	fn, ok := goja.AssertFunction(v)
	require.True(tb, ok)
	parsed = func(def string) string {
		tb.Helper()
		out, err := fn(goja.Undefined(), vm.ToValue(def))
		require.NoError(tb, err)
		return out.String()
	}
	literal = func(def string) string {
		tb.Helper()
		out, err := vm.RunString("batonLayout.toJSON(batonLayout.layout(" + def + "\n))")
		require.NoError(tb, err)
		return out.String()
	}
	return parsed, literal
}

// tsVM returns a goja runtime that has run the bundle.
func tsVM(tb testing.TB) *goja.Runtime {
	tb.Helper()
	return tsrun.VM(tb, tsScript)
}

// goLayout lays out a definition's JSON with Layout, as the goldens are
// written (without their final newline).
func goLayout(t *testing.T, def string) string {
	t.Helper()
	d := &workflow.WorkflowDef{}
	require.NoError(t, workflow.Decode([]byte(def), d))
	data, err := json.MarshalIndent(layout.Layout(d), "", "  ")
	require.NoError(t, err)
	return string(data)
}

// TestTSFixtures compares the port's layout of every fixture with its
// golden, which TestGolden keeps equal to Layout's.
func TestTSFixtures(t *testing.T) {
	t.Parallel()
	ts := tsLayout(t)
	files, err := filepath.Glob(filepath.Join(tsFixtures, "*.json"))
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".layout.json") {
			continue
		}
		def, err := os.ReadFile(f)
		require.NoError(t, err)
		want, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".layout.json")
		require.NoError(t, err)
		require.Equal(t, string(want), ts(string(def))+"\n", "%s: the TypeScript layout differs from the golden", f)
		n++
	}
	require.GreaterOrEqual(t, n, 11, "the fixture library is missing")
}

// TestTSLibrary compares the port with Layout on every workflow of the
// engine's library of executable examples.
func TestTSLibrary(t *testing.T) {
	t.Parallel()
	ts := tsLayout(t)
	files, err := filepath.Glob(filepath.Join(tsLibrary, "*.json"))
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var c struct {
			Workflows []json.RawMessage `json:"workflows"`
		}
		require.NoError(t, json.Unmarshal(data, &c), f)
		for i, w := range c.Workflows {
			require.Equal(t, goLayout(t, string(w)), ts(string(w)), "%s: workflow %d", f, i)
			n++
		}
	}
	require.GreaterOrEqual(t, n, 20, "the engine's library is missing")
}

// TestTSEdgeCases compares the port with Layout on definitions the
// fixtures do not cover: what JavaScript strings and numbers do unlike
// Go's (case keys ordered by code point, lone surrogates, characters Go's
// encoder escapes), and drafts the designer holds while they are edited
// (nulls, missing members, forks without a JOIN, repeated and empty
// reference names).
func TestTSEdgeCases(t *testing.T) {
	t.Parallel()
	parsed, literal := tsRuntime(t)
	cases := map[string]string{
		"no tasks":     `{"name": "n"}`,
		"null tasks":   `{"name": "n", "version": 3, "tasks": null}`,
		"null task":    `{"tasks": [null, {"taskReferenceName": "a"}, null]}`,
		"no name":      `{"version": 7, "tasks": [{"name": "x"}]}`,
		"escaped name": "{\"name\": \"<a & b>\\u2028\\u2029\\b\\f\\u0001\\u001f\\u007f\\\"\\\\\", \"tasks\": [{\"name\": \"<&>\", \"taskReferenceName\": \"r<\"}]}",
		"case keys by code point": `{"name": "k", "tasks": [{"taskReferenceName": "s", "type": "SWITCH", "decisionCases": {
			"b": [], "a": [{"taskReferenceName": "x"}], "\uE000": [], "\ud83d\ude00": [{"taskReferenceName": "y"}],
			"\uFFFF": [], "10": [], "2": [], "": [], "~/x/~": [], "<&>": null, "B": [], "é": []}}]}`,
		"lone surrogate keys": `{"tasks": [{"taskReferenceName": "s\udc00", "type": "DECISION", "decisionCases": {
			"\ud800": [{"taskReferenceName": "first"}], "z": [], "\udc00x": [], "\udbff": [{"taskReferenceName": "second"}, {"taskReferenceName": "third"}]}}]}`,
		"switch nulls": `{"tasks": [{"taskReferenceName": "s", "type": "SWITCH", "decisionCases": null, "defaultCase": null},
			{"taskReferenceName": "t", "type": "SWITCH", "decisionCases": {"a": [null]}, "defaultCase": [{"type": "TERMINATE"}]}]}`,
		"repeated and synthetic refs": `{"tasks": [{"taskReferenceName": "a"}, {"taskReferenceName": "a"}, {"taskReferenceName": ""},
			{"taskReferenceName": "$start"}, {"taskReferenceName": "$task:/tasks/5"}, {"taskReferenceName": "$start"}, {"taskReferenceName": "a"}]}`,
		"forks": `{"tasks": [
			{"taskReferenceName": "f1", "type": "FORK_JOIN", "forkTasks": [[{"taskReferenceName": "a"}], null, [], [null, {"taskReferenceName": "b", "type": "TERMINATE"}]]},
			{"taskReferenceName": "j1", "type": "JOIN"},
			{"taskReferenceName": "f2", "type": "FORK"},
			{"taskReferenceName": "f3", "type": "FORK_JOIN", "forkTasks": [[{"taskReferenceName": "c"}]]},
			null,
			{"taskReferenceName": "d1", "type": "FORK_JOIN_DYNAMIC", "forkTasks": [[{"taskReferenceName": "ignored"}]]},
			{"taskReferenceName": "j2", "type": "JOIN"},
			{"taskReferenceName": "d2", "type": "FORK_JOIN_DYNAMIC"},
			{"taskReferenceName": "ej", "type": "EXCLUSIVE_JOIN"},
			{"taskReferenceName": "j3", "type": "JOIN"},
			{"taskReferenceName": "f4", "type": "FORK_JOIN", "forkTasks": [[{"taskReferenceName": "e", "type": "FORK_JOIN", "forkTasks": [[]]}]]}]}`,
		"loops": `{"tasks": [
			{"taskReferenceName": "l1", "type": "DO_WHILE"},
			{"taskReferenceName": "l2", "type": "DO_WHILE", "loopOver": [{"taskReferenceName": "l3", "type": "DO_WHILE", "loopOver": [
				{"taskReferenceName": "s", "type": "SWITCH", "decisionCases": {"x": [{"taskReferenceName": "t", "type": "TERMINATE"}]}},
				{"taskReferenceName": "end", "type": "TERMINATE"}]}]},
			{"taskReferenceName": "after"}]}`,
		"terminate last": `{"tasks": [{"taskReferenceName": "a"}, {"taskReferenceName": "t", "type": "TERMINATE"}]}`,
		"sub workflows": `{"tasks": [
			{"taskReferenceName": "s1", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child", "version": 3}},
			{"taskReferenceName": "s2", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child", "version": null}},
			{"taskReferenceName": "s3", "type": "SUB_WORKFLOW", "subWorkflowParam": {}},
			{"taskReferenceName": "s4", "type": "SUB_WORKFLOW", "subWorkflowParam": null},
			{"taskReferenceName": "s5", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child", "version": 0}},
			{"taskReferenceName": "s6", "type": "SIMPLE", "subWorkflowParam": {"name": "ignored"}}]}`,
	}
	for name, def := range cases {
		want := goLayout(t, def)
		require.Equal(t, want, parsed(def), name)
		require.Equal(t, want, literal(def), "%s, as a literal", name)
	}
}

// execCase is an execution to lay out with both ports: with the
// definition given, or (def nil) the execution's own copy.
type execCase struct {
	name string
	def  *workflow.WorkflowDef
	wf   *workflow.Workflow
	view layout.View
}

func tsFixture(t *testing.T, name string) *workflow.WorkflowDef {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tsFixtures, name+".json"))
	require.NoError(t, err)
	def := &workflow.WorkflowDef{}
	require.NoError(t, workflow.Decode(data, def))
	return def
}

// TestTSExecutions compares the port's layoutExecution with
// LayoutExecution: every fixture not started and ended, and executions in
// progress through switches, legacy decisions, nested loops shown at
// several iterations, dynamic forks stacked and expanded, and
// sub-workflows. Both decode the same JSON of the execution.
func TestTSExecutions(t *testing.T) {
	t.Parallel()
	var cases []execCase
	files, err := filepath.Glob(filepath.Join(tsFixtures, "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, ".layout.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		def := tsFixture(t, name)
		cases = append(cases, execCase{name: name + " not started", wf: layout.NewExecRun(def, workflow.StatusRunning).WF})
		ended := layout.NewExecRun(def, workflow.StatusTerminated)
		ended.WF.ParentWorkflowID = "parent-1"
		cases = append(cases, execCase{name: name + " terminated", def: def, wf: ended.WF})
	}
	orphan := layout.NewExecRun(&workflow.WorkflowDef{Name: "gone", Version: 4}, workflow.StatusCompleted)
	orphan.WF.WorkflowDefinition = nil
	cases = append(cases, execCase{name: "no definition", wf: orphan.WF})

	// A SWITCH: taken, retried, then failed; undecided; failed; no case matched.
	sw := tsFixture(t, "switch_default")
	r := layout.NewExecRun(sw, workflow.StatusRunning)
	r.Task("route", "SWITCH", workflow.TaskCompleted).OutputData["selectedCase"] = "card"
	r.Task("charge_card", "SIMPLE", workflow.TaskFailed)
	r.Task("charge_card", "SIMPLE", workflow.TaskCompleted).RetryCount = 1
	r.Task("card_receipt", "SIMPLE", workflow.TaskInProgress)
	cases = append(cases, execCase{name: "switch running", wf: r.WF})
	failed := *r.WF
	failed.Status = workflow.StatusFailed
	cases = append(cases, execCase{name: "switch failed", wf: &failed})
	for _, st := range []workflow.TaskStatus{workflow.TaskInProgress, workflow.TaskFailed, workflow.TaskCompleted} {
		r := layout.NewExecRun(sw, workflow.StatusRunning)
		r.Task("route", "SWITCH", st).OutputData["evaluationResult"] = []any{"nothing"}
		cases = append(cases, execCase{name: "switch " + string(st), wf: r.WF})
	}

	// A legacy DECISION's caseOutput, a string or not.
	for i, v := range []any{"0", json.Number("0"), json.Number("7"), true, nil, `say "hi"`} {
		r := layout.NewExecRun(tsFixture(t, "decision_legacy"), workflow.StatusCompleted)
		r.Task("d1", "DECISION", workflow.TaskCompleted).OutputData["caseOutput"] = []any{v}
		r.Task("bye", "EXCLUSIVE_JOIN", workflow.TaskCompleted)
		cases = append(cases, execCase{name: fmt.Sprintf("decision %d", i), wf: r.WF})
	}

	// Nested loops: the outer in its second iteration, the inner ran three
	// times in the first and once so far in the second.
	loops := tsFixture(t, "nested_do_while")
	r = layout.NewExecRun(loops, workflow.StatusRunning)
	outer := r.Task("outer", "DO_WHILE", workflow.TaskInProgress)
	for it := 1; it <= 2; it++ {
		outer.Iteration = it
		r.Task(fmt.Sprintf("before__%d", it), "SIMPLE", workflow.TaskCompleted).Iteration = it
		inner := r.Task(fmt.Sprintf("inner__%d", it), "DO_WHILE", workflow.TaskInProgress)
		n := 3
		if it == 2 {
			n = 1
		}
		for j := 1; j <= n; j++ {
			inner.Iteration = j
			st := workflow.TaskCompleted
			if it == 2 {
				st = workflow.TaskInProgress
			}
			r.Task(fmt.Sprintf("step__%d__%d", it, j), "SIMPLE", st).Iteration = j
		}
		if it == 1 {
			inner.Status = workflow.TaskCompleted
		}
	}
	for _, v := range []layout.View{{}, {Iterations: map[string]int{"outer": 1}}, {Iterations: map[string]int{"outer": 1, "inner": 2}},
		{Iterations: map[string]int{"outer": 5, "inner": 0}}, {Iterations: map[string]int{"inner": 3}}} {
		cases = append(cases, execCase{name: fmt.Sprintf("loops %v", v.Iterations), wf: r.WF, view: v})
	}

	// Dynamic forks: branches of every status, some not created yet,
	// stacked and expanded by default and by the view.
	statuses := []workflow.TaskStatus{workflow.TaskCompleted, workflow.TaskFailed, workflow.TaskInProgress, workflow.TaskScheduled,
		workflow.TaskCompletedWithErrors, workflow.TaskCanceled, workflow.TaskTimedOut, workflow.TaskSkipped}
	dyn := tsFixture(t, "dynamic_fork")
	for _, n := range []int{0, 1, 3, 5, 6, 7, 10} {
		for _, mode := range []string{"all completed", "mixed"} {
			r := layout.NewExecRun(dyn, workflow.StatusRunning)
			r.Task("plan", "SIMPLE", workflow.TaskCompleted)
			fork := r.Task("fanout", "FORK_JOIN_DYNAMIC", workflow.TaskCompleted)
			refs := make([]any, n)
			for i := range refs {
				ref := fmt.Sprintf("branch_%d", i)
				refs[i] = ref
				st := workflow.TaskCompleted
				if mode == "mixed" {
					if i == n-1 {
						continue // not created yet
					}
					st = statuses[i%len(statuses)]
				}
				r.Task(ref, "SIMPLE", st)
			}
			fork.InputData["forkedTasks"] = refs
			r.Task("join", "JOIN", workflow.TaskInProgress)
			for _, v := range []layout.View{{}, {Expanded: map[string]bool{"fanout": true}}, {Expanded: map[string]bool{"fanout": false}}} {
				cases = append(cases, execCase{name: fmt.Sprintf("dynamic %d %s %v", n, mode, v.Expanded), wf: r.WF, view: v})
			}
		}
	}
	r = layout.NewExecRun(dyn, workflow.StatusRunning)
	r.Task("plan", "SIMPLE", workflow.TaskCompleted)
	r.Task("fanout", "FORK_JOIN_DYNAMIC", workflow.TaskInProgress).InputData["forkedTasks"] = "not a list"
	cases = append(cases, execCase{name: "dynamic without a list", wf: r.WF})
	r = layout.NewExecRun(dyn, workflow.StatusFailed)
	r.Task("plan", "SIMPLE", workflow.TaskFailed)
	cases = append(cases, execCase{name: "dynamic not reached", wf: r.WF})

	// Sub-workflows: one started, one not yet.
	r = layout.NewExecRun(tsFixture(t, "sub_workflow"), workflow.StatusRunning)
	r.Task("charge", "SUB_WORKFLOW", workflow.TaskInProgress).SubWorkflowID = "child-1"
	cases = append(cases, execCase{name: "sub workflow", wf: r.WF})

	vm := tsVM(t)
	v, err := vm.RunString(`(def, wf, view) => batonLayout.toJSON(batonLayout.layoutExecution(
		def === "" ? null : JSON.parse(def), JSON.parse(wf), JSON.parse(view)))`)
	require.NoError(t, err)
	ts, ok := goja.AssertFunction(v)
	require.True(t, ok)
	for _, c := range cases {
		wfJSON, err := json.Marshal(c.wf)
		require.NoError(t, err)
		wf := &workflow.Workflow{}
		require.NoError(t, workflow.Decode(wfJSON, wf), c.name)
		defJSON := ""
		var def *workflow.WorkflowDef
		if c.def != nil {
			data, err := json.Marshal(c.def)
			require.NoError(t, err)
			defJSON = string(data)
			def = &workflow.WorkflowDef{}
			require.NoError(t, workflow.Decode(data, def))
		}
		viewJSON, err := json.Marshal(map[string]any{"iterations": c.view.Iterations, "expanded": c.view.Expanded})
		require.NoError(t, err)
		want, err := json.MarshalIndent(layout.LayoutExecution(def, wf, c.view), "", "  ")
		require.NoError(t, err)
		got, err := ts(goja.Undefined(), vm.ToValue(defJSON), vm.ToValue(string(wfJSON)), vm.ToValue(string(viewJSON)))
		require.NoError(t, err, c.name)
		require.Equal(t, string(want), got.String(), c.name)
	}
}

// BenchmarkTSLayoutLarge500 measures the port on the 500-task fixture in
// goja, the designer's largest case: the layout alone, and with JSON.parse
// and toJSON around it as the tests run it. A browser's JIT is far faster
// (node runs the layout in about 2 ms).
func BenchmarkTSLayoutLarge500(b *testing.B) {
	src, err := tsrun.Bundle(tsScript.Entry, tsScript.Global)
	require.NoError(b, err)
	def, err := os.ReadFile(filepath.Join(tsFixtures, "large_500.json"))
	require.NoError(b, err)
	vm := goja.New()
	_, err = vm.RunScript("layout.js", src)
	require.NoError(b, err)
	require.NoError(b, vm.Set("src", string(def)))
	_, err = vm.RunString("var def = JSON.parse(src)")
	require.NoError(b, err)
	for _, c := range []struct{ name, code string }{
		{"layout", "batonLayout.layout(def)"},
		{"parse+json", "batonLayout.toJSON(batonLayout.layout(JSON.parse(src)))"},
	} {
		p, err := goja.Compile(c.name, c.code, true)
		require.NoError(b, err)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := vm.RunProgram(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
