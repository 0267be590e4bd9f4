package designer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/designer/internal/tsrun"
	"github.com/batonhq/baton/designer/layout"
	"github.com/batonhq/baton/sdk/workflow"
)

// The designer's document operations (designer/src/doc.ts) run here in
// goja, over every fixture of designer/testdata/fixtures and every workflow
// of the engine's library: each result is checked as JSON, against the
// original text outside the edit, with the server's validator and with the
// layout the canvas draws.

const (
	fixtures = "testdata/fixtures"
	library  = "../server/internal/engine/testdata/library"
)

// Names that exist in the tests: a task definition for SIMPLE templates, a
// workflow for SUB_WORKFLOW and START_WORKFLOW, a plugin's task type.
const (
	testTaskDef  = "test_task"
	testWorkflow = "test_flow"
	testPlugin   = "TEST_PLUGIN"
)

// docs runs doc.ts in one goja runtime (one goroutine).
type docs struct {
	t  testing.TB
	vm *goja.Runtime
	fn goja.Callable
}

func newDocs(t testing.TB) *docs {
	vm := tsrun.VM(t, tsrun.Script{Entry: "src/doc.ts", Global: "batonDoc"})
	fn := tsrun.Func(t, vm, `(function (name) { var a = Array.prototype.slice.call(arguments, 1);
		var r = batonDoc[name].apply(null, a); return r === undefined ? undefined : JSON.stringify(r); })`)
	return &docs{t: t, vm: vm, fn: fn}
}

// call calls an export of doc.ts; args are strings, nil for undefined, or
// a map for options. It returns the result's JSON, or the error's message.
func (d *docs) call(name string, args ...any) (string, error) {
	vals := []goja.Value{d.vm.ToValue(name)}
	for _, a := range args {
		if a == nil {
			vals = append(vals, goja.Undefined())
		} else {
			vals = append(vals, d.vm.ToValue(a))
		}
	}
	v, err := d.fn(goja.Undefined(), vals...)
	if err != nil {
		if ex, ok := err.(*goja.Exception); ok {
			return "", fmt.Errorf("%s", ex.Value().ToObject(d.vm).Get("message").String())
		}
		d.t.Fatalf("%s: %v", name, err)
	}
	if goja.IsUndefined(v) {
		return "", nil
	}
	return v.String(), nil
}

func (d *docs) must(name string, args ...any) string {
	d.t.Helper()
	out, err := d.call(name, args...)
	require.NoError(d.t, err, "%s%q", name, args)
	return out
}

// str calls an export that returns a string.
func (d *docs) str(name string, args ...any) string {
	d.t.Helper()
	var s string
	require.NoError(d.t, json.Unmarshal([]byte(d.must(name, args...)), &s))
	return s
}

type change struct {
	From   int    `json:"from"`
	To     int    `json:"to"`
	Insert string `json:"insert"`
}

type edit struct {
	Changes []change `json:"changes"`
	Select  *string  `json:"select"`
}

// apply applies an edit to text, checking that its changes are sorted, do
// not overlap and lie in the text. Offsets are UTF-16 code units, as in the
// browser; everything outside the changes is copied as it was.
func apply(t testing.TB, text, editJSON string) (string, edit) {
	t.Helper()
	var e edit
	require.NoError(t, json.Unmarshal([]byte(editJSON), &e))
	u := utf16.Encode([]rune(text))
	var out []uint16
	pos := 0
	for _, c := range e.Changes {
		require.True(t, c.From >= pos && c.To >= c.From && c.To <= len(u), "changes out of order, overlapping or out of the text: %+v", e.Changes)
		out = append(out, u[pos:c.From]...)
		out = append(out, utf16.Encode([]rune(c.Insert))...)
		pos = c.To
	}
	out = append(out, u[pos:]...)
	return string(utf16.Decode(out)), e
}

// removed is the text each change of an edit replaces.
func removed(text string, e edit) []string {
	u := utf16.Encode([]rune(text))
	var out []string
	for _, c := range e.Changes {
		out = append(out, string(utf16.Decode(u[c.From:c.To])))
	}
	return out
}

// A definition to edit: a fixture or a workflow of the library.
type def struct {
	name string
	text string
	// taskDefs are the task definitions registered for it.
	taskDefs map[string]bool
}

func loadDefs(t testing.TB) []def {
	var defs []def
	files, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, ".layout.json") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		defs = append(defs, def{name: filepath.Base(f), text: string(data), taskDefs: simpleNames(t, string(data))})
	}
	files, err = filepath.Glob(filepath.Join(library, "*.json"))
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var c struct {
			TaskDefs  []struct{ Name string } `json:"taskDefs"`
			Workflows []json.RawMessage       `json:"workflows"`
		}
		require.NoError(t, json.Unmarshal(data, &c), f)
		for i, w := range c.Workflows {
			names := map[string]bool{}
			for _, td := range c.TaskDefs {
				names[td.Name] = true
			}
			defs = append(defs, def{name: fmt.Sprintf("%s#%d", filepath.Base(f), i), text: string(w), taskDefs: names})
		}
	}
	require.GreaterOrEqual(t, len(defs), 30, "the fixtures or the library are missing")
	return defs
}

// simpleNames are the names of a fixture's SIMPLE tasks: the fixtures
// have no task definitions, so they count as registered.
func simpleNames(t testing.TB, text string) map[string]bool {
	d := decode(t, text)
	names := map[string]bool{}
	workflow.Walk(d.Tasks, "/tasks", func(wt *workflow.WorkflowTask, _ string) {
		if wt.TaskType() == workflow.TypeSimple {
			names[wt.Name] = true
		}
	})
	return names
}

func decode(t testing.TB, text string) *workflow.WorkflowDef {
	t.Helper()
	d := &workflow.WorkflowDef{}
	require.NoError(t, workflow.Decode([]byte(text), d))
	return d
}

// validate runs the server's validator with the test's names registered.
func (df def) validate(t testing.TB, text string) workflow.Diagnostics {
	t.Helper()
	return df.validateDef(decode(t, text))
}

func (df def) validateDef(wd *workflow.WorkflowDef) workflow.Diagnostics {
	return workflow.ValidateWorkflowDef(wd, workflow.ValidateOptions{
		TaskDef: func(name string) *workflow.TaskDef {
			if name == testTaskDef || df.taskDefs[name] {
				return &workflow.TaskDef{Name: name}
			}
			return nil
		},
		ExtraTypes: func(typ string) bool { return typ == testPlugin },
	})
}

// value decodes JSON keeping numbers as they are written.
func value(t testing.TB, text string) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v), "not JSON:\n%s", text)
	require.False(t, dec.More())
	return v
}

// Pointer helpers over decoded JSON.
func tokens(ptr string) []string {
	if ptr == "" {
		return nil
	}
	out := strings.Split(ptr[1:], "/")
	for i, s := range out {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return out
}

func get(v any, ptr string) any {
	for _, tok := range tokens(ptr) {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// set sets the value at ptr, creating missing objects; it returns the new
// root.
func set(root any, ptr string, val any) any {
	toks := tokens(ptr)
	if len(toks) == 0 {
		return val
	}
	var rec func(v any, toks []string) any
	rec = func(v any, toks []string) any {
		if len(toks) == 0 {
			return val
		}
		switch x := v.(type) {
		case []any:
			i, _ := strconv.Atoi(toks[0])
			x[i] = rec(x[i], toks[1:])
			return x
		case map[string]any:
			x[toks[0]] = rec(x[toks[0]], toks[1:])
			return x
		}
		return map[string]any{toks[0]: rec(nil, toks[1:])}
	}
	return rec(root, toks)
}

func splitPtr(ptr string) (string, int) {
	i := strings.LastIndex(ptr, "/")
	n, err := strconv.Atoi(ptr[i+1:])
	if err != nil {
		return ptr, -1
	}
	return ptr[:i], n
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// insertAt is what inserting tasks at a slot does to the decoded
// definition, and the pointer of the first task.
func insertAt(root any, slot string, tasks []any) (any, string) {
	switch {
	case strings.HasSuffix(slot, "/decisionCases"):
		cases, _ := get(root, slot).(map[string]any)
		n := 1
		for cases[fmt.Sprintf("case_%d", n)] != nil {
			n++
		}
		p := slot + "/" + escape(fmt.Sprintf("case_%d", n))
		return set(root, p, tasks), p + "/0"
	case strings.HasSuffix(slot, "/forkTasks"):
		branches, _ := get(root, slot).([]any)
		return set(root, slot, append(branches, tasks)), fmt.Sprintf("%s/%d/0", slot, len(branches))
	}
	arr, i := splitPtr(slot)
	list, _ := get(root, arr).([]any)
	out := append(append(append([]any{}, list[:i]...), tasks...), list[i:]...)
	return set(root, arr, out), slot
}

// blockLen is how many tasks the block at ptr spans: a fork and its JOIN
// are one.
func blockLen(root any, ptr string) (string, int, int) {
	arr, i := splitPtr(ptr)
	list := get(root, arr).([]any)
	typ := func(j int) string {
		if j < 0 || j >= len(list) {
			return ""
		}
		m, _ := list[j].(map[string]any)
		s, _ := m["type"].(string)
		return s
	}
	isFork := func(j int) bool {
		s := typ(j)
		return s == "FORK_JOIN" || s == "FORK" || s == "FORK_JOIN_DYNAMIC"
	}
	if typ(i) == "JOIN" && isFork(i-1) {
		i--
	}
	if isFork(i) && typ(i+1) == "JOIN" {
		return arr, i, 2
	}
	return arr, i, 1
}

// stripRefs deletes what inserting renames from the n tasks at ptr and
// the tasks nested in them: reference names and the references to them.
func stripRefs(root any, ptr string, n int) {
	arr, i := splitPtr(ptr)
	list, _ := get(root, arr).([]any)
	var strip func(v any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "taskReferenceName")
			delete(x, "loopCondition")
			delete(x, "joinOn")
			for _, c := range x {
				strip(c)
			}
		case []any:
			for _, c := range x {
				strip(c)
			}
		}
	}
	for j := i; j < i+n && j < len(list); j++ {
		strip(list[j])
	}
}

// taskNodes maps the path of each task node of a definition's layout to
// the node.
func taskNodes(t testing.TB, text string) (map[string]*layout.Node, *layout.Graph) {
	return nodesOf(decode(t, text))
}

func nodesOf(wd *workflow.WorkflowDef) (map[string]*layout.Node, *layout.Graph) {
	g := layout.Layout(wd)
	nodes := map[string]*layout.Node{}
	for _, n := range g.Nodes {
		if n.Path != "" {
			nodes[n.Path] = n
		}
	}
	return nodes, g
}

// layoutTasks is how many tasks the layout draws: a dynamic fork's
// forkTasks are not drawn.
func layoutTasks(t testing.TB, text string) int {
	nodes, _ := taskNodes(t, text)
	return len(nodes)
}

func sample[T any](list []T, n int) []T {
	if len(list) <= n {
		return list
	}
	out := make([]T, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, list[i*(len(list)-1)/(n-1)])
	}
	return out
}

// templates returns every template of the palette, and a plugin's.
func templates(t testing.TB, d *docs) map[string]string {
	var types []struct {
		Type  string `json:"type"`
		Needs string `json:"needs"`
	}
	v, err := d.vm.RunString("JSON.stringify(batonDoc.paletteTypes)")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(v.String()), &types))
	out := map[string]string{}
	for _, p := range types {
		opts := map[string]any{}
		switch p.Needs {
		case "taskDef":
			opts["name"] = testTaskDef
		case "workflow":
			opts["name"] = testWorkflow
		}
		out[p.Type] = d.str("taskTemplate", p.Type, opts)
	}
	out["PLUGIN"] = d.str("taskTemplate", "PLUGIN", map[string]any{"type": testPlugin})
	require.Len(t, out, 18)
	return out
}

// TestTemplatesEverywhere inserts every template at every slot of every
// definition: the text is JSON, only whitespace (or a null list) is
// replaced, the definition holds the template's tasks where the slot
// says, it passes the validator whenever the original did, and its layout
// has a node for each inserted task, the selected one first.
func TestTemplatesEverywhere(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	tmpls := templates(t, d)
	names := make([]string, 0, len(tmpls))
	for k := range tmpls {
		names = append(names, k)
	}
	sort.Strings(names)
	// Every template is valid on its own.
	for _, typ := range names {
		df := def{name: "empty"}
		text := `{"name": "t", "tasks": []}`
		out, _ := apply(t, text, d.must("insertTasks", text, "/tasks/0", tmpls[typ]))
		require.Empty(t, df.validate(t, out), "%s template:\n%s", typ, out)
	}
	drawn := map[string]int{}
	for typ, tmpl := range tmpls {
		drawn[typ] = layoutTasks(t, `{"tasks": `+tmpl+`}`)
	}
	inserts := 0
	for _, df := range loadDefs(t) {
		nodes, g := taskNodes(t, df.text)
		valid := len(df.validate(t, df.text)) == 0
		slots := g.Slots
		if len(slots) > 100 {
			// large_500: goja takes a tenth of a second per edit of it.
			slots = sample(slots, 3)
		}
		for _, s := range slots {
			for _, typ := range names {
				what := fmt.Sprintf("%s: %s at %s", df.name, typ, s.Path)
				ej, err := d.call("insertTasks", df.text, s.Path, tmpls[typ])
				require.NoError(t, err, what)
				out, e := apply(t, df.text, ej)
				for _, r := range removed(df.text, e) {
					require.Contains(t, []string{"", "null"}, strings.TrimSpace(r), "%s: the edit replaced %q", what, r)
				}
				// The tasks are where the slot says, as the template has
				// them but for their reference names.
				tasks := value(t, tmpls[typ]).([]any)
				want, sel := insertAt(value(t, df.text), s.Path, tasks)
				require.NotNil(t, e.Select, what)
				require.Equal(t, sel, *e.Select, what)
				got := value(t, out)
				stripRefs(got, sel, len(tasks))
				stripRefs(want, sel, len(tasks))
				require.Equal(t, want, got, what)
				wd := decode(t, out)
				if valid {
					require.Empty(t, df.validateDef(wd), "%s:\n%s", what, out)
				}
				after, _ := nodesOf(wd)
				require.Equal(t, len(nodes)+drawn[typ], len(after), what)
				n := after[sel]
				require.NotNil(t, n, "%s: no node at %s", what, sel)
				require.Equal(t, tasks[0].(map[string]any)["type"], n.Type, what)
				inserts++
			}
		}
	}
	t.Logf("%d insertions", inserts)
}
