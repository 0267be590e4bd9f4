// Package designer_test tests the designer's pure TypeScript modules by
// bundling them with esbuild, as the console's scripts are built, and
// running them in goja.
package designer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/designer/internal/tsrun"
)

// exprVM is a goja runtime that has run expr.ts; call runs a function of
// batonExpr with JSON arguments and decodes its JSON result into out.
type exprVM struct {
	t  *testing.T
	vm *goja.Runtime
}

func newExprVM(t *testing.T) *exprVM {
	t.Helper()
	return &exprVM{t: t, vm: tsrun.VM(t, tsrun.Script{Entry: "src/expr.ts", Global: "batonExpr"})}
}

func (x *exprVM) call(out any, fn string, args ...any) {
	x.t.Helper()
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		if s, ok := a.(json.RawMessage); ok {
			b.Write(s)
			continue
		}
		data, err := json.Marshal(a)
		require.NoError(x.t, err)
		b.Write(data)
	}
	v, err := x.vm.RunString("JSON.stringify(batonExpr." + fn + "(" + b.String() + "))")
	require.NoError(x.t, err, "%s(%s)", fn, b.String())
	require.NoError(x.t, json.Unmarshal([]byte(v.String()), out), v.String())
}

// refsUpstream is the reference names of the tasks upstream of path.
func (x *exprVM) refsUpstream(def, path string) []string {
	x.t.Helper()
	var ats []struct {
		Path string `json:"path"`
		Task struct {
			Ref string `json:"taskReferenceName"`
		} `json:"task"`
	}
	x.call(&ats, "upstream", json.RawMessage(def), path)
	refs := []string{}
	for _, a := range ats {
		refs = append(refs, a.Task.Ref)
	}
	return refs
}

// upstreamDef has every kind of nesting: a fork with two branches and its
// JOIN, a SWITCH with two cases and a default, a loop whose body holds a
// fork, and tasks after each.
const upstreamDef = `{"name": "up", "inputParameters": ["url", "count"], "variables": {"seed": 1}, "tasks": [
  {"name": "start", "taskReferenceName": "start", "type": "SIMPLE"},
  {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
    [{"name": "a1", "taskReferenceName": "a1"}, {"name": "a2", "taskReferenceName": "a2"}],
    [{"name": "b1", "taskReferenceName": "b1"}, {"name": "b2", "taskReferenceName": "b2", "type": "HTTP"}]
  ]},
  {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a2", "b2"]},
  {"name": "vars", "taskReferenceName": "vars", "type": "SET_VARIABLE", "inputParameters": {"total": 3, "label": "x"}},
  {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param", "expression": "k",
   "decisionCases": {"x": [{"name": "x1", "taskReferenceName": "x1", "type": "INLINE"}, {"name": "x2", "taskReferenceName": "x2"}],
                     "y": [{"name": "y1", "taskReferenceName": "y1"}]},
   "defaultCase": [{"name": "d1", "taskReferenceName": "d1"}]},
  {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "true", "inputParameters": {"items": [1, 2]}, "loopOver": [
    {"name": "l1", "taskReferenceName": "l1", "type": "JSON_JQ_TRANSFORM"},
    {"name": "lf", "taskReferenceName": "lf", "type": "FORK_JOIN", "forkTasks": [[{"name": "p", "taskReferenceName": "p"}], [{"name": "q", "taskReferenceName": "q"}]]},
    {"name": "lj", "taskReferenceName": "lj", "type": "JOIN"},
    {"name": "l3", "taskReferenceName": "l3"}
  ]},
  {"name": "end", "taskReferenceName": "end"}
]}`

// TestUpstream: which tasks each task of upstreamDef may read.
func TestUpstream(t *testing.T) {
	t.Parallel()
	x := newExprVM(t)
	cases := []struct {
		name, path string
		want       []string
	}{
		{"first task", "/tasks/0", []string{}},
		{"first of a fork branch: the fork and what precedes it", "/tasks/1/forkTasks/1/0", []string{"start", "fork"}},
		{"later in a branch: its branch's earlier tasks, not the sibling branch", "/tasks/1/forkTasks/1/1", []string{"start", "fork", "b1"}},
		{"the JOIN: both branches", "/tasks/2", []string{"start", "fork", "a1", "a2", "b1", "b2"}},
		{"after the JOIN", "/tasks/3", []string{"start", "fork", "a1", "a2", "b1", "b2", "join"}},
		{"in a case: the case's earlier tasks, not another case", "/tasks/4/decisionCases/x/1",
			[]string{"start", "fork", "a1", "a2", "b1", "b2", "join", "vars", "route", "x1"}},
		{"the default case", "/tasks/4/defaultCase/0", []string{"start", "fork", "a1", "a2", "b1", "b2", "join", "vars", "route"}},
		{"in a loop: the loop and its whole body", "/tasks/5/loopOver/0",
			[]string{"start", "fork", "a1", "a2", "b1", "b2", "join", "vars", "route", "x1", "x2", "y1", "d1", "loop", "lf", "p", "q", "lj", "l3"}},
		{"in a fork in a loop: its branch, the loop's other body tasks, not the sibling branch", "/tasks/5/loopOver/1/forkTasks/1/0",
			[]string{"start", "fork", "a1", "a2", "b1", "b2", "join", "vars", "route", "x1", "x2", "y1", "d1", "loop", "l1", "lf", "lj", "l3"}},
		{"after everything", "/tasks/6",
			[]string{"start", "fork", "a1", "a2", "b1", "b2", "join", "vars", "route", "x1", "x2", "y1", "d1", "loop", "l1", "lf", "p", "q", "lj", "l3"}},
		{"a path that is not a task", "/tasks/9", []string{}},
		{"a path outside tasks", "/outputParameters", []string{}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, x.refsUpstream(upstreamDef, c.path), c.name)
	}
	require.Len(t, x.refsUpstream(upstreamDef, ""), 21, "the workflow's own fields see every task")
	require.Equal(t, []string{}, x.refsUpstream(`{"tasks": [null, {"taskReferenceName": "a", "forkTasks": null}]}`, "/tasks/1"),
		"drafts with nulls")
}

// TestExpressions: the completions offered at a task.
func TestExpressions(t *testing.T) {
	t.Parallel()
	x := newExprVM(t)
	texts := func(path string, keys map[string][]string) []string {
		var es []struct {
			Text string `json:"text"`
		}
		x.call(&es, "expressions", json.RawMessage(upstreamDef), path, keys)
		out := []string{}
		for _, e := range es {
			out = append(out, e.Text)
		}
		return out
	}
	require.Equal(t, []string{"${workflow.input}", "${workflow.input.url}", "${workflow.input.count}", "${workflow.workflowId}",
		"${workflow.correlationId}", "${workflow.variables.seed}"}, texts("/tasks/0", nil),
		"the first task sees the workflow's input, ids and declared variables")

	got := texts("/tasks/1/forkTasks/1/1", map[string][]string{"start": {"id", "items"}})
	require.Equal(t, []string{"${workflow.input}", "${workflow.input.url}", "${workflow.input.count}", "${workflow.workflowId}",
		"${workflow.correlationId}", "${workflow.variables.seed}",
		"${start.output}", "${start.output.id}", "${start.output.items}", "${start.input}",
		"${fork.output}", "${fork.input}",
		"${b1.output}", "${b1.input}"}, got, "a SIMPLE task's definition's outputKeys")

	got = texts("/tasks/6", nil)
	for _, want := range []string{"${workflow.variables.total}", "${workflow.variables.label}", "${b2.output.response.body}",
		"${b2.output.response.statusCode}", "${x1.output.result}", "${l1.output.resultList}", "${route.output.selectedCase}",
		"${loop.output.iteration}", "${loop.output.loopItem}", "${join.output}"} {
		require.Contains(t, got, want)
	}
	require.NotContains(t, texts("/tasks/3", nil), "${workflow.variables.total}", "a SET_VARIABLE's own keys are not upstream of it")
	require.NotContains(t, texts("/tasks/4/decisionCases/y/0", nil), "${x1.output}", "another case's task")
}

// TestContextFilterComplete: finding the ${ being typed, filtering and
// applying a pick.
func TestContextFilterComplete(t *testing.T) {
	t.Parallel()
	x := newExprVM(t)
	type ctx struct {
		From  int    `json:"from"`
		Typed string `json:"typed"`
	}
	var c *ctx
	x.call(&c, "contextAt", "https://${workflow.in", 21, false)
	require.Equal(t, &ctx{From: 8, Typed: "${workflow.in"}, c)
	x.call(&c, "contextAt", "${a.output} and ${", 18, false)
	require.Equal(t, &ctx{From: 16, Typed: "${"}, c, "after a closed expression")
	c = nil
	x.call(&c, "contextAt", "${a.output} done", 16, false)
	require.Nil(t, c, "nothing open: no list unless asked")
	x.call(&c, "contextAt", "${a.output} done", 12, true)
	require.Equal(t, &ctx{From: 12, Typed: ""}, c, "Ctrl+Space completes at the caret")

	var es []struct {
		Text string `json:"text"`
	}
	list := []map[string]string{{"text": "${workflow.input.url}"}, {"text": "${workflow.input}"}, {"text": "${fetch.output.url}"}, {"text": "${other.input}"}}
	x.call(&es, "filter", list, "${workflow.input.u")
	require.Len(t, es, 1)
	require.Equal(t, "${workflow.input.url}", es[0].Text)
	x.call(&es, "filter", list, "${URL")
	require.Equal(t, "${workflow.input.url}", es[0].Text, "a match anywhere, ignoring case")
	require.Len(t, es, 2)
	x.call(&es, "filter", list, "${")
	require.Len(t, es, 4)

	var done struct {
		Text  string `json:"text"`
		Caret int    `json:"caret"`
	}
	x.call(&done, "complete", "https://${wor/path", map[string]any{"from": 8, "typed": "${wor"}, 13, "${workflow.input.url}")
	require.Equal(t, "https://${workflow.input.url}/path", done.Text)
	require.Equal(t, 29, done.Caret)
	x.call(&done, "complete", `"${wor}"`, map[string]any{"from": 1, "typed": "${wor"}, 6, "${workflow.input}")
	require.Equal(t, `"${workflow.input}"`, done.Text, "the } an editor closed is replaced, not doubled")
}

// TestTaskAt: the task whose JSON holds an offset, the innermost one.
func TestTaskAt(t *testing.T) {
	t.Parallel()
	x := newExprVM(t)
	def := `{"tasks": [{"taskReferenceName": "s", "type": "SWITCH", "decisionCases": {"a": [{"taskReferenceName": "in"}]}}]}`
	locs := map[string]map[string]int{
		"/tasks/0":                   {"valueFrom": 11, "to": 104},
		"/tasks/0/decisionCases/a/0": {"valueFrom": 78, "to": 101},
	}
	var path string
	x.call(&path, "taskAt", json.RawMessage(def), json.RawMessage(`new Map(Object.entries(`+mustJSON(t, locs)+`))`), 90)
	require.Equal(t, "/tasks/0/decisionCases/a/0", path)
	x.call(&path, "taskAt", json.RawMessage(def), json.RawMessage(`new Map(Object.entries(`+mustJSON(t, locs)+`))`), 30)
	require.Equal(t, "/tasks/0", path)
	x.call(&path, "taskAt", json.RawMessage(def), json.RawMessage(`new Map(Object.entries(`+mustJSON(t, locs)+`))`), 3)
	require.Equal(t, "", path)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
