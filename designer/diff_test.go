package designer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/designer/internal/tsrun"
)

// The structural diff the designer shows before saving (src/diff.ts), run
// in goja.

type taskRef struct {
	Ref     string   `json:"ref"`
	Type    string   `json:"type"`
	Path    string   `json:"path"`
	Members []string `json:"members"`
	From    string   `json:"from"`
}

type structDiff struct {
	Added    []taskRef `json:"added"`
	Removed  []taskRef `json:"removed"`
	Changed  []taskRef `json:"changed"`
	Moved    []taskRef `json:"moved"`
	Workflow []string  `json:"workflow"`
	Empty    bool      `json:"empty"`
}

// diffTS returns a function that diffs two texts with diff.ts (one goja
// runtime: call it from one goroutine).
func diffTS(t *testing.T) func(before, after string) structDiff {
	t.Helper()
	vm := tsrun.VM(t, tsrun.Script{Entry: "src/diff.ts", Global: "batonDiff"})
	fn := tsrun.Func(t, vm, `(a, b) => { const d = batonDiff.diff(a, b); d.empty = batonDiff.empty(d); return JSON.stringify(d); }`)
	return func(before, after string) structDiff {
		t.Helper()
		out, err := fn(goja.Undefined(), vm.ToValue(before), vm.ToValue(after))
		require.NoError(t, err)
		var d structDiff
		require.NoError(t, json.Unmarshal([]byte(out.String()), &d))
		return d
	}
}

const diffBase = `{
  "name": "orders",
  "description": "ships orders",
  "version": 1,
  "timeoutSeconds": 60,
  "inputParameters": ["id"],
  "tasks": [
    {"name": "fetch", "taskReferenceName": "fetch", "type": "HTTP",
     "inputParameters": {"http_request": {"uri": "http://a"}, "url": "http://a", "limit": 9007199254740993}},
    {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
     "decisionCases": {"a": [{"name": "on_a", "taskReferenceName": "on_a", "type": "WAIT"}],
                       "b": [{"name": "on_b", "taskReferenceName": "on_b", "type": "WAIT"}]},
     "defaultCase": []},
    {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "false",
     "loopOver": [{"name": "step", "taskReferenceName": "step", "type": "INLINE"}]},
    {"name": "last", "taskReferenceName": "last", "type": "SET_VARIABLE"}
  ]
}`

// refs lists the reference names of a diff's entries.
func refsOf(ts []taskRef) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.Ref)
	}
	return out
}

func TestDiffUnchanged(t *testing.T) {
	t.Parallel()
	diff := diffTS(t)
	d := diff(diffBase, diffBase)
	require.True(t, d.Empty, "%+v", d)
	// Whitespace and key order are not changes.
	compact := strings.NewReplacer("\n", "", "  ", "", `"name": "orders", "description": "ships orders"`, `"description": "ships orders", "name": "orders"`).Replace(diffBase)
	require.NotEqual(t, diffBase, compact)
	require.True(t, diff(diffBase, compact).Empty, "%+v", diff(diffBase, compact))
}

func TestDiffNewWorkflow(t *testing.T) {
	t.Parallel()
	d := diffTS(t)("", diffBase)
	require.Equal(t, []string{"fetch", "route", "on_a", "on_b", "loop", "step", "last"}, refsOf(d.Added))
	require.Equal(t, "/tasks/1/decisionCases/a/0", d.Added[2].Path)
	require.Equal(t, "WAIT", d.Added[2].Type)
	require.Equal(t, []string{"description", "inputParameters", "name", "timeoutSeconds", "version"}, d.Workflow)
	require.Empty(t, d.Removed)
	require.False(t, d.Empty)
}

func TestDiffChangedMembers(t *testing.T) {
	t.Parallel()
	diff := diffTS(t)
	after := strings.NewReplacer(
		`"url": "http://a"`, `"url": "http://b"`,
		// beyond float64: ...993 and ...992 are one number to JavaScript
		`"limit": 9007199254740993`, `"limit": 9007199254740992`,
		`"loopCondition": "false"`, `"loopCondition": "true"`,
		`"timeoutSeconds": 60`, `"timeoutSeconds": 61`,
	).Replace(diffBase)
	d := diff(diffBase, after)
	require.Empty(t, d.Added)
	require.Empty(t, d.Removed)
	require.Empty(t, d.Moved)
	require.Equal(t, []string{"fetch", "loop"}, refsOf(d.Changed))
	require.Equal(t, []string{"inputParameters.limit", "inputParameters.url"}, d.Changed[0].Members)
	require.Equal(t, []string{"loopCondition"}, d.Changed[1].Members)
	require.Equal(t, "/tasks/2", d.Changed[1].Path)
	require.Equal(t, []string{"timeoutSeconds"}, d.Workflow)

	// A nested task's change is its own, not its parent's.
	d = diff(diffBase, strings.Replace(diffBase, `"taskReferenceName": "step", "type": "INLINE"`, `"taskReferenceName": "step", "type": "INLINE", "optional": true`, 1))
	require.Equal(t, []string{"step"}, refsOf(d.Changed))
	require.Equal(t, []string{"optional"}, d.Changed[0].Members)
	require.Equal(t, "/tasks/2/loopOver/0", d.Changed[0].Path)

	// A member that appears, one that goes, and a member of the workflow gone.
	d = diff(diffBase, strings.NewReplacer(`"type": "SET_VARIABLE"`, `"type": "SET_VARIABLE", "inputParameters": {"x": 1}`,
		`"evaluatorType": "value-param", `, "", `"description": "ships orders",`, "").Replace(diffBase))
	require.Equal(t, []string{"route", "last"}, refsOf(d.Changed))
	require.Equal(t, []string{"evaluatorType"}, d.Changed[0].Members)
	require.Equal(t, []string{"inputParameters"}, d.Changed[1].Members)
	require.Equal(t, []string{"description"}, d.Workflow)
}

func TestDiffAddedRemoved(t *testing.T) {
	t.Parallel()
	diff := diffTS(t)
	// A task inserted first does not move the others; one removed from a
	// case changes the SWITCH's decisionCases; a new case too.
	after := strings.NewReplacer(
		`"tasks": [`, `"tasks": [{"name": "new", "taskReferenceName": "new", "type": "WAIT"},`,
		`,
                       "b": [{"name": "on_b", "taskReferenceName": "on_b", "type": "WAIT"}]`, `, "c": []`,
	).Replace(diffBase)
	d := diff(diffBase, after)
	require.Equal(t, []string{"new"}, refsOf(d.Added))
	require.Equal(t, "/tasks/0", d.Added[0].Path)
	require.Equal(t, []string{"on_b"}, refsOf(d.Removed))
	require.Equal(t, "/tasks/1/decisionCases/b/0", d.Removed[0].Path, "a removed task has its pointer before")
	require.Equal(t, []string{"route"}, refsOf(d.Changed))
	require.Equal(t, []string{"decisionCases"}, d.Changed[0].Members)
	require.Empty(t, d.Moved, "%+v", d.Moved)
}

func TestDiffMoved(t *testing.T) {
	t.Parallel()
	diff := diffTS(t)
	// last moves into the loop; fetch and route swap places.
	after := `{
  "name": "orders", "description": "ships orders", "version": 1, "timeoutSeconds": 60, "inputParameters": ["id"],
  "tasks": [
    {"name": "route", "taskReferenceName": "route", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
     "decisionCases": {"a": [{"name": "on_a", "taskReferenceName": "on_a", "type": "WAIT"}],
                       "b": [{"name": "on_b", "taskReferenceName": "on_b", "type": "WAIT"}]},
     "defaultCase": []},
    {"name": "fetch", "taskReferenceName": "fetch", "type": "HTTP",
     "inputParameters": {"http_request": {"uri": "http://a"}, "url": "http://a", "limit": 9007199254740993}},
    {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "false",
     "loopOver": [{"name": "step", "taskReferenceName": "step", "type": "INLINE"}, {"name": "last", "taskReferenceName": "last", "type": "SET_VARIABLE"}]}
  ]
}`
	d := diff(diffBase, after)
	require.Empty(t, d.Added)
	require.Empty(t, d.Removed)
	require.Equal(t, []string{"route", "fetch", "last"}, refsOf(d.Moved))
	require.Equal(t, "/tasks/2/loopOver/1", d.Moved[2].Path)
	require.Equal(t, "/tasks/3", d.Moved[2].From)
	// The loop's body lists another task: the loop changed too; the
	// moved tasks themselves did not.
	require.Equal(t, []string{"loop"}, refsOf(d.Changed))
	require.Equal(t, []string{"loopOver"}, d.Changed[0].Members)
	require.Empty(t, d.Workflow)
}

func TestDiffOddDefinitions(t *testing.T) {
	t.Parallel()
	diff := diffTS(t)
	// A before that is not JSON counts as nothing; tasks without a
	// reference name are matched by pointer.
	d := diff("{not json", `{"name": "x", "tasks": [{"type": "WAIT"}, null, {"taskReferenceName": "a"}, {"taskReferenceName": "a"}]}`)
	require.Len(t, d.Added, 3)
	require.Equal(t, []string{"/tasks/0", "/tasks/2", "/tasks/3"}, []string{d.Added[0].Path, d.Added[1].Path, d.Added[2].Path})
	// A member named __proto__ is a member like another.
	d = diff(`{"name": "x", "__proto__": {"a": 1}}`, `{"name": "x", "__proto__": {"a": 2}}`)
	require.Equal(t, []string{"__proto__.a"}, d.Workflow)
	// Of a repeated member the last counts; literals are values (false is
	// not null), a number is its value (1.0 is 1, 1e2 is 100) and a string
	// its decoded text.
	d = diff(`{"name": "x", "a": 1, "a": 2, "b": false, "c": 1.0, "d": 1e2, "e": "\u0041"}`,
		`{"name": "x", "a": 2, "b": null, "c": 1, "d": 100, "e": "A"}`)
	require.Equal(t, []string{"b"}, d.Workflow)

	// After text that is not JSON is an error (the designer saves only
	// valid text).
	vm := tsrun.VM(t, tsrun.Script{Entry: "src/diff.ts", Global: "batonDiff"})
	_, err := vm.RunString(`batonDiff.diff("{}", "{\"a\": }")`)
	require.ErrorContains(t, err, `unexpected "}"`)
}
