package designer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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

// eachTask calls fn for every task of the n tasks at ptr of root and of
// the lists nested in them, in document order.
func eachTask(root any, ptr string, n int, fn func(m map[string]any)) {
	arr, i := splitPtr(ptr)
	list, _ := get(root, arr).([]any)
	var task func(v any)
	lst := func(v any) {
		l, _ := v.([]any)
		for _, t := range l {
			task(t)
		}
	}
	task = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		fn(m)
		if dc, ok := m["decisionCases"].(map[string]any); ok {
			keys := make([]string, 0, len(dc))
			for k := range dc {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				lst(dc[k])
			}
		}
		lst(m["defaultCase"])
		if ft, ok := m["forkTasks"].([]any); ok {
			for _, b := range ft {
				lst(b)
			}
		}
		lst(m["loopOver"])
	}
	for j := i; j < i+n && j < len(list); j++ {
		task(list[j])
	}
}

var (
	countSuffix = regexp.MustCompile(`_[0-9]+$`)
	dollarRef   = regexp.MustCompile(`\$\.([A-Za-z0-9_-]+)([.\[])`)
)

// renameRefs is what inserting the n tasks at ptr of want should have done
// to them, given the names they got (in got): each renamed reference name,
// and the references to it in the inserted tasks: the source of every
// ${ref...} expression in any string (renameExprs), JOIN joinOn entries and
// $.ref in a DO_WHILE's loopCondition (in INLINE and SWITCH scripts $ is the
// task's input). It returns the renames.
func renameRefs(want, got any, ptr string, n int) map[string]string {
	var olds, news []map[string]any
	eachTask(want, ptr, n, func(m map[string]any) { olds = append(olds, m) })
	eachTask(got, ptr, n, func(m map[string]any) { news = append(news, m) })
	renames := map[string]string{}
	seen := map[string]bool{}
	for k, m := range olds {
		o, _ := m["taskReferenceName"].(string)
		nw, _ := news[k]["taskReferenceName"].(string)
		if o != nw {
			if !seen[o] && o != "workflow" {
				renames[o] = nw
			}
			m["taskReferenceName"] = nw
		}
		seen[o] = true
	}
	exprs := func(s string) string { return renameExprs(s, renames) }
	dollars := func(s string) string {
		return dollarRef.ReplaceAllStringFunc(s, func(x string) string {
			g := dollarRef.FindStringSubmatch(x)
			if r, ok := renames[g[1]]; ok {
				return "$." + r + g[2]
			}
			return x
		})
	}
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return exprs(x)
		case map[string]any:
			for k, c := range x {
				x[k] = walk(c)
			}
		case []any:
			for k, c := range x {
				x[k] = walk(c)
			}
		}
		return v
	}
	for _, m := range olds {
		typ, _ := m["type"].(string)
		for k, v := range m {
			switch {
			case k == "taskReferenceName" || k == "decisionCases" || k == "defaultCase" || k == "forkTasks" || k == "loopOver":
				// The tasks of nested lists are visited on their own.
				if l, ok := v.([]any); ok && k != "taskReferenceName" {
					for _, t := range l {
						if _, isTask := t.(map[string]any); !isTask {
							walk(t)
						}
					}
				}
			case k == "joinOn" && (typ == "JOIN" || typ == "EXCLUSIVE_JOIN"):
				l, _ := v.([]any)
				for j, e := range l {
					if s, ok := e.(string); ok && renames[s] != "" {
						l[j] = renames[s]
					}
				}
			case k == "loopCondition" && typ == "DO_WHILE":
				if s, ok := v.(string); ok {
					m[k] = dollars(exprs(s))
				}
			default:
				m[k] = walk(v)
			}
		}
	}
	return renames
}

// renameExprs renames the sources of the ${...} expressions of s, read as
// sdk/workflow/expr.go reads them (and not with doc.ts's pattern): a "${"
// not preceded by "$" (the escape $${ is a literal "${") starts one, its
// source runs to the first ".", "[" or "}" (${ref.output}, ${ref['output']},
// ${ref.status}, ${ref}); nested expressions are sources too.
func renameExprs(s string, renames map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) && s[i] == '$' && s[i+1] == '{' && (i == 0 || s[i-1] != '$') {
			j := i + 2
			for j < len(s) && !strings.ContainsRune(".[}{$", rune(s[j])) {
				j++
			}
			if r, ok := renames[s[i+2:j]]; ok && j < len(s) && strings.ContainsRune(".[}", rune(s[j])) {
				b.WriteString("${" + r)
				i = j - 1
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
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
		switch {
		case len(slots) > 100:
			// large_500: goja takes a tenth of a second per edit of it.
			slots = sample(slots, 3)
		case raceDetector:
			// The operations run in one goroutine of goja, where the
			// race detector finds nothing but takes ten times as long.
			slots = sample(slots, 6)
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
				renameRefs(want, got, sel, len(tasks))
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

// taskPointers are the pointers of every task of a definition.
func taskPointers(wd *workflow.WorkflowDef) []string {
	var out []string
	workflow.Walk(wd.Tasks, "/tasks", func(_ *workflow.WorkflowTask, p string) { out = append(out, p) })
	return out
}

// refs are the reference names of a definition's tasks, repeated ones
// repeated.
func refs(wd *workflow.WorkflowDef) []string {
	var out []string
	workflow.Walk(wd.Tasks, "/tasks", func(t *workflow.WorkflowTask, _ string) { out = append(out, t.TaskReferenceName) })
	return out
}

func unique(list []string) bool {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			return false
		}
		seen[s] = true
	}
	return true
}

// squeeze drops white space: a block's raw text once re-indented, and
// removed text, compare by it.
func squeeze(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// shift is where a pointer of the text before a block [i, i+n) of the
// list at arr was removed is after it.
func shift(ptr, arr string, i, n int) string {
	pre := arr + "/"
	if !strings.HasPrefix(ptr, pre) {
		return ptr
	}
	rest := ptr[len(pre):]
	head, tail, _ := strings.Cut(rest, "/")
	j, err := strconv.Atoi(head)
	if err != nil || j < i+n {
		return ptr
	}
	if tail != "" {
		tail = "/" + tail
	}
	return fmt.Sprintf("%s%d%s", pre, j-n, tail)
}

// TestBlocksEverywhere removes, duplicates, copies, moves and edits
// every task of every definition: each result is the decoded definition
// changed as the operation says and nothing else, a fork and its JOIN go
// together, references stay unique, and what was valid stays valid (but
// for a DO_WHILE a move empties).
func TestBlocksEverywhere(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	ops := 0
	for _, df := range loadDefs(t) {
		wd := decode(t, df.text)
		nodes, g := nodesOf(wd)
		valid := len(df.validateDef(wd)) == 0
		uniq := unique(refs(wd))
		ptrs := taskPointers(wd)
		slots := g.Slots
		if len(ptrs) > 100 {
			ptrs, slots = sample(ptrs, 4), sample(slots, 4)
		}
		for _, ptr := range ptrs {
			what := fmt.Sprintf("%s: %s", df.name, ptr)
			orig := value(t, df.text)
			arr, i, n := blockLen(orig, ptr)
			list := get(orig, arr).([]any)
			block := append([]any{}, list[i:i+n]...)
			first := fmt.Sprintf("%s/%d", arr, i)

			// The block's text, and the clipboard round trip.
			bt := d.str("blockText", df.text, ptr)
			require.Equal(t, block, value(t, bt), what)
			require.Equal(t, bt, d.str("pastePayload", d.str("clipboardPayload", bt)), what)

			// Remove: the block goes, with one comma, and nothing else.
			out, e := apply(t, df.text, d.must("removeTask", df.text, ptr))
			want := without(value(t, df.text), arr, i, n)
			require.Equal(t, want, value(t, out), what)
			r := squeeze(removed(df.text, e)[0])
			sb := squeeze(bt[1 : len(bt)-1])
			require.True(t, r == sb || r == ","+sb || r == sb+",", "%s: removed %q", what, r)
			after, _ := taskNodes(t, out)
			require.Less(t, len(after), len(nodes), what)

			// Duplicate: a copy right after, with new refs.
			out, e = apply(t, df.text, d.must("duplicateTask", df.text, ptr))
			sel := fmt.Sprintf("%s/%d", arr, i+n)
			require.Equal(t, sel, *e.Select, what)
			got := value(t, out)
			want, _ = insertAt(value(t, df.text), sel, value(t, bt).([]any))
			renames := renameRefs(want, got, sel, n)
			require.Equal(t, want, got, what)
			dup := decode(t, out)
			for o, nw := range renames {
				// ref becomes ref_N; ref_2 counts up from ref.
				require.Regexp(t, "^"+regexp.QuoteMeta(countSuffix.ReplaceAllString(o, ""))+"_?[0-9]+$", nw, what)
			}
			if uniq {
				require.True(t, unique(refs(dup)), "%s: refs repeat after duplicating:\n%s", what, out)
			}
			if valid {
				require.Empty(t, df.validateDef(dup), "%s:\n%s", what, out)
			}
			after, _ = nodesOf(dup)
			require.NotNil(t, after[sel], what)
			require.Equal(t, nodes[first].Type, after[sel].Type, what)

			// Set a member, then remove it: the text is back as it was.
			task := get(orig, ptr).(map[string]any)
			if _, ok := task["description"]; !ok {
				out, _ = apply(t, df.text, d.must("setMember", df.text, ptr, "description", `"a \"quoted\" description"`))
				want = set(value(t, df.text), ptr+"/description", `a "quoted" description`)
				require.Equal(t, want, value(t, out), what)
				back, _ := apply(t, out, d.must("setMember", out, ptr, "description", nil))
				require.Equal(t, df.text, back, what)
			}
			// Set an input parameter, creating inputParameters if need be:
			// a large integer's text is kept.
			out, e = apply(t, df.text, d.must("setMember", df.text, ptr+"/inputParameters", "big", `{"n": 12345678901234567890, "f": 1.50}`))
			require.Equal(t, ptr, *e.Select, what)
			want = set(value(t, df.text), ptr+"/inputParameters/big", value(t, `{"n": 12345678901234567890, "f": 1.50}`))
			require.Equal(t, want, value(t, out), what)
			require.Contains(t, out, "12345678901234567890", what)
			require.Contains(t, out, "1.50", what)

			// Rename the cases of a SWITCH.
			if cases, ok := task["decisionCases"].(map[string]any); ok {
				for k := range cases {
					out, _ = apply(t, df.text, d.must("renameMember", df.text, ptr+"/decisionCases", k, "renamed "+k))
					want = value(t, df.text)
					c := get(want, ptr+"/decisionCases").(map[string]any)
					c["renamed "+k] = c[k]
					delete(c, k)
					require.Equal(t, want, value(t, out), what)
				}
			}

			// Move the block to each slot.
			moves := 12
			if raceDetector {
				moves = 4
			}
			for _, s := range sample(slots, moves) {
				what := fmt.Sprintf("%s: move %s to %s", df.name, ptr, s.Path)
				container, _ := splitPtr(s.Path)
				if strings.HasSuffix(s.Path, "/decisionCases") || strings.HasSuffix(s.Path, "/forkTasks") {
					container = s.Path[:strings.LastIndex(s.Path, "/")]
				}
				inside := false
				for k := i; k < i+n; k++ {
					p := fmt.Sprintf("%s/%d", arr, k)
					inside = inside || container == p || strings.HasPrefix(container, p+"/")
				}
				ej, err := d.call("moveTask", df.text, ptr, s.Path)
				ops++
				if inside {
					require.EqualError(t, err, "cannot move a task into itself", what)
					continue
				}
				require.NoError(t, err, what)
				out, e := apply(t, df.text, ej)
				if to := s.Path[len(container)+1:]; container == arr && isBetween(to, i, i+n) {
					require.Empty(t, e.Changes, what)
					require.Equal(t, first, *e.Select, what)
					continue
				}
				rest := without(value(t, df.text), arr, i, n)
				want, sel := insertAt(rest, shift(s.Path, arr, i, n), value(t, bt).([]any))
				require.Equal(t, want, value(t, out), what)
				require.Equal(t, sel, *e.Select, what)
				moved := decode(t, out)
				after, _ := nodesOf(moved)
				require.NotNil(t, after[sel], what)
				require.Equal(t, nodes[first].Ref, after[sel].Ref, what)
				require.Equal(t, len(nodes), len(after), what)
				if valid {
					for _, diag := range df.validateDef(moved) {
						require.True(t, strings.HasSuffix(diag.Pointer, "/loopOver"), "%s: %s\n%s", what, diag, out)
					}
				}
			}
			ops += 6
		}
	}
	t.Logf("%d operations", ops)
}

// without removes the tasks [i, i+n) of the list at arr.
func without(root any, arr string, i, n int) any {
	list := get(root, arr).([]any)
	return set(root, arr, append(append([]any{}, list[:i]...), list[i+n:]...))
}

func isBetween(tok string, lo, hi int) bool {
	n, err := strconv.Atoi(tok)
	return err == nil && n >= lo && n <= hi
}

// edited applies an operation's edit and returns the text and selection.
func (d *docs) edited(text, name string, args ...any) (string, string) {
	d.t.Helper()
	out, e := apply(d.t, text, d.must(name, append([]any{text}, args...)...))
	sel := ""
	if e.Select != nil {
		sel = *e.Select
	}
	return out, sel
}

const noop = `{"name": "n", "taskReferenceName": "n", "type": "NOOP"}`

// TestInsertStyle checks the text insertions write: the document's indent
// unit and newlines, one-line arrays kept on one line, empty arrays
// however written.
func TestInsertStyle(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	pretty := "{\n  \"name\": \"e\",\n  \"tasks\": [\n    {\n      \"name\": \"n\",\n      \"taskReferenceName\": \"n\",\n      \"type\": \"NOOP\"\n    }\n  ]\n}"
	for _, empty := range []string{"[]", "[ ]", "[\n  ]", "[\n\n]"} {
		text := "{\n  \"name\": \"e\",\n  \"tasks\": " + empty + "\n}"
		out, sel := d.edited(text, "insertTasks", "/tasks/0", noop)
		require.Equal(t, pretty, out, "tasks %q", empty)
		require.Equal(t, "/tasks/0", sel)
	}
	// Into a pretty list, before, between and after: the element's
	// indentation, the new task re-indented, the copy renamed.
	two := "{\n  \"name\": \"e\",\n  \"tasks\": [\n    {\n      \"name\": \"n\",\n      \"taskReferenceName\": \"n_2\",\n      \"type\": \"NOOP\"\n    },\n" + pretty[strings.Index(pretty, "    {"):]
	out, sel := d.edited(pretty, "insertTasks", "/tasks/0", noop)
	require.Equal(t, two, out)
	require.Equal(t, "/tasks/0", sel)
	out, sel = d.edited(pretty, "insertTasks", "/tasks/1", `[`+noop+`]`)
	require.Equal(t, "/tasks/1", sel)
	require.Equal(t, strings.Replace(pretty, "    }\n  ]", "    },\n    {\n      \"name\": \"n\",\n      \"taskReferenceName\": \"n_2\",\n      \"type\": \"NOOP\"\n    }\n  ]", 1), out)

	// Compact text stays compact, with or without spaces.
	compact := `{"name":"c","tasks":[{"name":"n","taskReferenceName":"n","type":"NOOP"}]}`
	out, _ = d.edited(compact, "insertTasks", "/tasks/1", `{"name": "w", "taskReferenceName": "w", "type": "WAIT", "inputParameters": {"duration": "5s"}}`)
	require.Equal(t, `{"name":"c","tasks":[{"name":"n","taskReferenceName":"n","type":"NOOP"},{"name":"w","taskReferenceName":"w","type":"WAIT","inputParameters":{"duration":"5s"}}]}`, out)
	out, _ = d.edited(`{"name":"c","tasks":[]}`, "insertTasks", "/tasks/0", "[\n  "+noop+"\n]")
	require.Equal(t, `{"name":"c","tasks":[{"name":"n","taskReferenceName":"n","type":"NOOP"}]}`, out)
	spaced := `{"name": "c", "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}`
	out, _ = d.edited(spaced, "insertTasks", "/tasks/0", noop)
	require.Equal(t, `{"name": "c", "tasks": [{"name": "n", "taskReferenceName": "n_2", "type": "NOOP"}, {"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}`, out)

	// A one-line list in a pretty text (the engine library's style) gets
	// the new task on the same line.
	lib := "{\n  \"name\": \"l\",\n  \"tasks\": [\n    {\"name\": \"l\", \"taskReferenceName\": \"l\", \"type\": \"DO_WHILE\", \"loopCondition\": \"false\", \"loopOver\": [" + noop + "]}\n  ]\n}"
	out, sel = d.edited(lib, "insertTasks", "/tasks/0/loopOver/1", `{"name": "m", "taskReferenceName": "m", "type": "NOOP"}`)
	require.Equal(t, strings.Replace(lib, noop+"]", noop+`, {"name": "m", "taskReferenceName": "m", "type": "NOOP"}]`, 1), out)
	require.Equal(t, "/tasks/0/loopOver/1", sel)

	// Tabs and CRLF are kept.
	tabs := "{\r\n\t\"name\": \"t\",\r\n\t\"tasks\": []\r\n}"
	out, _ = d.edited(tabs, "insertTasks", "/tasks/0", noop)
	require.Equal(t, "{\r\n\t\"name\": \"t\",\r\n\t\"tasks\": [\r\n\t\t{\r\n\t\t\t\"name\": \"n\",\r\n\t\t\t\"taskReferenceName\": \"n\",\r\n\t\t\t\"type\": \"NOOP\"\r\n\t\t}\r\n\t]\r\n}", out)

	// A missing list is created in its task; a null one is replaced.
	sw := "{\n  \"name\": \"s\",\n  \"tasks\": [\n    {\n      \"name\": \"s\",\n      \"taskReferenceName\": \"s\",\n      \"type\": \"SWITCH\",\n      \"defaultCase\": null\n    }\n  ]\n}"
	out, sel = d.edited(sw, "insertTasks", "/tasks/0/defaultCase/0", noop)
	require.Equal(t, strings.Replace(sw, `"defaultCase": null`, "\"defaultCase\": [\n        {\n          \"name\": \"n\",\n          \"taskReferenceName\": \"n\",\n          \"type\": \"NOOP\"\n        }\n      ]", 1), out)
	require.Equal(t, "/tasks/0/defaultCase/0", sel)

	// The new case and branch slots.
	out, sel = d.edited(sw, "insertTasks", "/tasks/0/decisionCases", noop)
	require.Equal(t, "/tasks/0/decisionCases/case_1/0", sel)
	require.Equal(t, strings.Replace(sw, "null\n    }", "null,\n      \"decisionCases\": {\n        \"case_1\": [\n          {\n            \"name\": \"n\",\n            \"taskReferenceName\": \"n\",\n            \"type\": \"NOOP\"\n          }\n        ]\n      }\n    }", 1), out)
	out, sel = d.edited(out, "insertTasks", "/tasks/0/decisionCases", `{"name": "m", "taskReferenceName": "m", "type": "NOOP"}`)
	require.Equal(t, "/tasks/0/decisionCases/case_2/0", sel)
	require.Contains(t, out, "        ],\n        \"case_2\": [\n          {\n            \"name\": \"m\",")
	fork := `{"name":"f","tasks":[{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[]]},{"name":"j","taskReferenceName":"j","type":"JOIN"}]}`
	out, sel = d.edited(fork, "insertTasks", "/tasks/0/forkTasks", noop)
	require.Equal(t, "/tasks/0/forkTasks/1/0", sel)
	require.Equal(t, strings.Replace(fork, `[[]]`, `[[],[{"name":"n","taskReferenceName":"n","type":"NOOP"}]]`, 1), out)
	noBranches := `{"name":"f","tasks":[{"name":"f","taskReferenceName":"f","type":"FORK_JOIN"},{"name":"j","taskReferenceName":"j","type":"JOIN"}]}`
	out, sel = d.edited(noBranches, "insertTasks", "/tasks/0/forkTasks", noop)
	require.Equal(t, "/tasks/0/forkTasks/0/0", sel)
	require.Equal(t, strings.Replace(noBranches, `"FORK_JOIN"}`, `"FORK_JOIN","forkTasks":[[{"name":"n","taskReferenceName":"n","type":"NOOP"}]]}`, 1), out)
}

// TestInsertRenames pastes a block whose reference names the definition
// already has: they and the references to them inside the block change
// (every ${ref...} expression and $.ref in a loop condition, but not the
// escape $${ nor $.name in an INLINE or SWITCH script, where $ is the
// task's input), references to tasks outside it do not.
func TestInsertRenames(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	text := `{"name": "r", "tasks": [
		{"name": "a", "taskReferenceName": "loop", "type": "NOOP"}, {"name": "b", "taskReferenceName": "step", "type": "NOOP"},
		{"name": "c", "taskReferenceName": "step_2", "type": "NOOP"}, {"name": "d", "taskReferenceName": "fork", "type": "NOOP"},
		{"name": "e", "taskReferenceName": "join", "type": "NOOP"}, {"name": "f", "taskReferenceName": "other", "type": "NOOP"},
		{"name": "g", "taskReferenceName": "loops", "type": "NOOP"}]}`
	block := `[{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [[
	   {"name": "w", "taskReferenceName": "step", "type": "NOOP", "inputParameters": {"x": "${loop.output.iteration}", "y": "${other.output.z}", "z": "${loops.output}", "n": [9007199254740993],
	     "st": "${loop.status} ${step.taskId}/${step.retryCount}", "br": "${loop['output']}", "whole": "${loop}", "lit": "$${loop.output} $$${step}", "nest": "${workflow.input.${step.output.k}}"}}]]},
	  {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["step", "other"]},
	  {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "if ($.loop['iteration'] < 3 && $.step.output.ok && $.other.x) { true; } else { false; }",
	   "loopOver": [{"name": "i", "taskReferenceName": "inl", "type": "INLINE", "unknown": {"kept": 1.0e+2},
	     "inputParameters": {"evaluatorType": "javascript", "expression": "$.step.x + $.loop.y", "step": "${step.output}"}}]},
	  {"name": "s", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "javascript", "expression": "$.loop.z ? 'a' : 'b'",
	   "decisionCases": {"a": [{"name": "n", "taskReferenceName": "fork", "type": "NOOP"}]}}]`
	out, sel := d.edited(text, "insertTasks", "/tasks/7", block)
	require.Equal(t, "/tasks/7", sel)
	got := get(value(t, out), "/tasks").([]any)[7:]
	want := value(t, `[{"name": "fork", "taskReferenceName": "fork_2", "type": "FORK_JOIN", "forkTasks": [[
	   {"name": "w", "taskReferenceName": "step_3", "type": "NOOP", "inputParameters": {"x": "${loop_2.output.iteration}", "y": "${other.output.z}", "z": "${loops.output}", "n": [9007199254740993],
	     "st": "${loop_2.status} ${step_3.taskId}/${step_3.retryCount}", "br": "${loop_2['output']}", "whole": "${loop_2}", "lit": "$${loop.output} $$${step}", "nest": "${workflow.input.${step_3.output.k}}"}}]]},
	  {"name": "join", "taskReferenceName": "join_2", "type": "JOIN", "joinOn": ["step_3", "other"]},
	  {"name": "loop", "taskReferenceName": "loop_2", "type": "DO_WHILE", "loopCondition": "if ($.loop_2['iteration'] < 3 && $.step_3.output.ok && $.other.x) { true; } else { false; }",
	   "loopOver": [{"name": "i", "taskReferenceName": "inl", "type": "INLINE", "unknown": {"kept": 1.0e+2},
	     "inputParameters": {"evaluatorType": "javascript", "expression": "$.step.x + $.loop.y", "step": "${step_3.output}"}}]},
	  {"name": "s", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "javascript", "expression": "$.loop.z ? 'a' : 'b'",
	   "decisionCases": {"a": [{"name": "n", "taskReferenceName": "fork_3", "type": "NOOP"}]}}]`)
	require.Equal(t, want, got)
	// Numbers keep their text.
	require.Contains(t, out, "9007199254740993")
	require.Contains(t, out, "1.0e+2")
	require.Empty(t, def{}.validate(t, out))

	// A task named workflow (refused by the validator) is renamed, but
	// ${workflow...} still reads the workflow.
	out, _ = d.edited(text, "insertTasks", "/tasks/0", `{"name": "w", "taskReferenceName": "workflow", "type": "NOOP", "inputParameters": {"x": "${workflow.input.x}"}}`)
	require.Equal(t, value(t, `{"name": "w", "taskReferenceName": "workflow_2", "type": "NOOP", "inputParameters": {"x": "${workflow.input.x}"}}`), get(value(t, out), "/tasks/0"))

	// New names never end in __N (a loop's iterations) nor run past 128
	// characters: trailing underscores of the base go, also after the cut.
	long := strings.Repeat("x", 125) + "_ab"
	for ref, want := range map[string]string{"a__": "a_2", "a_": "a_2", "a__3": "a_2", "a-": "a-_2", long: strings.Repeat("x", 125) + "_2"} {
		text := `{"name": "u", "tasks": [{"name": "a", "taskReferenceName": "` + ref + `", "type": "NOOP"}]}`
		out, _ := d.edited(text, "duplicateTask", "/tasks/0")
		require.Equal(t, want, get(value(t, out), "/tasks/1/taskReferenceName"), ref)
		diags := def{}.validate(t, out)
		for _, diag := range diags {
			require.False(t, strings.HasPrefix(diag.Pointer, "/tasks/1"), "%s: %s", ref, diag)
		}
	}
}

// TestForkBlock: a fork and the JOIN after it are one block to remove,
// copy, move and duplicate, from either of the two.
func TestForkBlock(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	text := `{"name":"f","tasks":[{"name":"a","taskReferenceName":"a","type":"NOOP"},` +
		`{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[{"name":"b","taskReferenceName":"b","type":"NOOP"}],[]]},` +
		`{"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["b"]},` +
		`{"name":"c","taskReferenceName":"c","type":"NOOP"}]}`
	fj := `{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[{"name":"b","taskReferenceName":"b","type":"NOOP"}],[]]}, {"name":"j","taskReferenceName":"j","type":"JOIN","joinOn":["b"]}`
	for _, p := range []string{"/tasks/1", "/tasks/2"} {
		require.Equal(t, "["+fj+"]", d.str("blockText", text, p))
		out, _ := d.edited(text, "removeTask", p)
		require.Equal(t, `{"name":"f","tasks":[{"name":"a","taskReferenceName":"a","type":"NOOP"},{"name":"c","taskReferenceName":"c","type":"NOOP"}]}`, out)
	}
	// Removing a task in a branch removes only it.
	out, _ := d.edited(text, "removeTask", "/tasks/1/forkTasks/0/0")
	require.Contains(t, out, `"forkTasks":[[],[]]`)

	// Moved to the top and to the end: both tasks, in one edit.
	out, sel := d.edited(text, "moveTask", "/tasks/2", "/tasks/0")
	require.Equal(t, "/tasks/0", sel)
	require.Equal(t, `{"name":"f","tasks":[`+strings.ReplaceAll(fj, "}, {", "},{")+`,{"name":"a","taskReferenceName":"a","type":"NOOP"},{"name":"c","taskReferenceName":"c","type":"NOOP"}]}`, out)
	out, sel = d.edited(text, "moveTask", "/tasks/1", "/tasks/4")
	require.Equal(t, "/tasks/2", sel)
	require.Equal(t, `{"name":"f","tasks":[{"name":"a","taskReferenceName":"a","type":"NOOP"},{"name":"c","taskReferenceName":"c","type":"NOOP"},`+strings.ReplaceAll(fj, "}, {", "},{")+`]}`, out)
	// Onto itself: nothing changes.
	for _, slot := range []string{"/tasks/1", "/tasks/2", "/tasks/3"} {
		ej := d.must("moveTask", text, "/tasks/1", slot)
		_, e := apply(t, text, ej)
		require.Empty(t, e.Changes, slot)
		require.Equal(t, "/tasks/1", *e.Select)
	}
	// Into itself: refused.
	for _, slot := range []string{"/tasks/1/forkTasks/0/0", "/tasks/1/forkTasks/1/0", "/tasks/1/forkTasks", "/tasks/1/forkTasks/0/1"} {
		for _, from := range []string{"/tasks/1", "/tasks/2"} {
			_, err := d.call("moveTask", text, from, slot)
			require.EqualError(t, err, "cannot move a task into itself", slot)
		}
	}
	// A branch's task moved out, and back into the other branch.
	out, sel = d.edited(text, "moveTask", "/tasks/1/forkTasks/0/0", "/tasks/1/forkTasks/1/0")
	require.Equal(t, "/tasks/1/forkTasks/1/0", sel)
	require.Contains(t, out, `"forkTasks":[[],[{"name":"b","taskReferenceName":"b","type":"NOOP"}]]`)
	out, sel = d.edited(text, "moveTask", "/tasks/0", "/tasks/1/forkTasks/1/0")
	require.Equal(t, "/tasks/0/forkTasks/1/0", sel)
	require.Contains(t, out, `{"name":"f","tasks":[{"name":"f",`)

	// Duplicated: both, renamed, the JOIN's joinOn following.
	out, sel = d.edited(text, "duplicateTask", "/tasks/2")
	require.Equal(t, "/tasks/3", sel)
	require.Contains(t, out, `{"name":"f","taskReferenceName":"f_2","type":"FORK_JOIN","forkTasks":[[{"name":"b","taskReferenceName":"b_2","type":"NOOP"}],[]]},{"name":"j","taskReferenceName":"j_2","type":"JOIN","joinOn":["b_2"]}`)
	require.Empty(t, def{}.validate(t, out))
}

// TestSwitchCases: removing a case's last task leaves the case; cases are
// renamed in place.
func TestSwitchCases(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	text := "{\n  \"name\": \"s\",\n  \"tasks\": [\n    {\n      \"name\": \"s\",\n      \"taskReferenceName\": \"s\",\n      \"type\": \"SWITCH\",\n      \"evaluatorType\": \"value-param\",\n      \"expression\": \"k\",\n      \"decisionCases\": {\n        \"a\": [\n          " + noop + "\n        ],\n        \"b\": []\n      }\n    }\n  ]\n}"
	out, sel := d.edited(text, "removeTask", "/tasks/0/decisionCases/a/0")
	require.Equal(t, "", sel)
	require.Equal(t, strings.Replace(text, "[\n          "+noop+"\n        ]", "[]", 1), out)
	out, sel = d.edited(text, "renameMember", "/tasks/0/decisionCases", "a", "x/y")
	require.Equal(t, "/tasks/0", sel)
	require.Equal(t, strings.Replace(text, `"a": [`, `"x/y": [`, 1), out)
	nodes, _ := taskNodes(t, out)
	require.NotNil(t, nodes["/tasks/0/decisionCases/x~1y/0"])
	_, err := d.call("renameMember", text, "/tasks/0/decisionCases", "a", "b")
	require.EqualError(t, err, `/tasks/0/decisionCases already has a member "b"; pick another name`)
	_, err = d.call("renameMember", text, "/tasks/0/decisionCases", "zz", "c")
	require.EqualError(t, err, `/tasks/0/decisionCases has no member "zz"`)
	// A task moved into the empty case, and out of the last one.
	out, sel = d.edited(text, "moveTask", "/tasks/0/decisionCases/a/0", "/tasks/0/decisionCases/b/0")
	require.Equal(t, "/tasks/0/decisionCases/b/0", sel)
	require.Equal(t, value(t, `{"a": [], "b": [`+noop+`]}`), get(value(t, out), "/tasks/0/decisionCases"))
}

// TestSetMember sets, replaces and removes members, creating the objects
// on the way.
func TestSetMember(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	text := "{\n  \"name\": \"m\",\n  \"tasks\": [\n    {\n      \"name\": \"h\",\n      \"taskReferenceName\": \"h\",\n      \"type\": \"HTTP\",\n      \"inputParameters\": null\n    }\n  ]\n}"
	out, sel := d.edited(text, "setMember", "/tasks/0/inputParameters/http_request", "uri", `"https://example.com"`)
	require.Equal(t, "/tasks/0", sel)
	require.Equal(t, strings.Replace(text, "null", "{\n        \"http_request\": {\n          \"uri\": \"https://example.com\"\n        }\n      }", 1), out)
	out2, _ := d.edited(out, "setMember", "/tasks/0/inputParameters/http_request", "method", `"GET"`)
	require.Contains(t, out2, "\"uri\": \"https://example.com\",\n          \"method\": \"GET\"\n        }")
	// Replaced where it is, keeping the other members' text.
	out3, _ := d.edited(out2, "setMember", "/tasks/0/inputParameters/http_request", "uri", `"https://example.org/a"`)
	require.Equal(t, strings.Replace(out2, "example.com", "example.org/a", 1), out3)
	// Removed: the first, the last, the only one.
	out4, _ := d.edited(out3, "setMember", "/tasks/0/inputParameters/http_request", "uri", nil)
	require.Contains(t, out4, "\"http_request\": {\n          \"method\": \"GET\"\n        }")
	out5, _ := d.edited(out4, "setMember", "/tasks/0/inputParameters/http_request", "method", nil)
	require.Contains(t, out5, "\"http_request\": {}")
	out6, _ := d.edited(out5, "setMember", "/tasks/0/inputParameters", "http_request", nil)
	require.Contains(t, out6, "\"inputParameters\": {}")
	// Removing what is not there changes nothing.
	_, e := apply(t, text, d.must("setMember", text, "/tasks/0", "nothing", nil))
	require.Empty(t, e.Changes)
	// Workflow-level members select nothing.
	out, sel = d.edited(text, "setMember", "", "description", `"d"`)
	require.Equal(t, "", sel)
	require.Equal(t, strings.Replace(text, "  ]\n}", "  ],\n  \"description\": \"d\"\n}", 1), out)
	// What cannot be set says why.
	_, err := d.call("setMember", text, "/name", "x", "1")
	require.EqualError(t, err, `cannot set /name/x: /name is a string, not an object`)
	_, err = d.call("setMember", text, "/tasks/0", "x", "{bad")
	require.ErrorContains(t, err, "the value of x is not valid JSON")
	_, err = d.call("setMember", "{", "", "x", "1")
	require.ErrorContains(t, err, "the definition is not valid JSON")
}

// TestErrors: what cannot be done says what and why.
func TestErrors(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	text := `{"name": "e", "tasks": [` + noop + `]}`
	for _, c := range []struct {
		op   string
		args []any
		err  string
	}{
		{"insertTasks", []any{text, "/tasks/5", noop}, "/tasks has 1 tasks: cannot insert at 5"},
		{"insertTasks", []any{text, "/tasks/x", noop}, `"/tasks/x" is not a slot: it ends in an index, /decisionCases or /forkTasks`},
		{"insertTasks", []any{text, "/tasks/0/forkTasks/3/1", noop}, "/tasks/0/forkTasks/3 has no tasks yet: insert at /tasks/0/forkTasks/3/0"},
		{"insertTasks", []any{text, "/name/0", noop}, "/name is a string, not a list of tasks"},
		{"insertTasks", []any{text, "/tasks/9/decisionCases", noop}, "there is no task at /tasks/9 to add a case to"},
		{"insertTasks", []any{text, "/tasks/0", "[]"}, "there are no tasks to insert"},
		{"insertTasks", []any{text, "/tasks/0", "[1]"}, "a task is a JSON object, not a number"},
		{"insertTasks", []any{text, "/tasks/0", "{"}, "the text of the tasks is not valid JSON (expected a member name in double quotes at offset 1); fix it first"},
		{"insertTasks", []any{text, "tasks/0", noop}, `"tasks/0" is not a JSON pointer: it must start with /`},
		{"removeTask", []any{text, "/tasks/1"}, "there is no task at /tasks/1"},
		{"removeTask", []any{text, ""}, "there is no task at the top"},
		{"removeTask", []any{`{"tasks": [3]}`, "/tasks/0"}, "/tasks/0 is a number, not a task"},
		{"moveTask", []any{text, "/tasks/0", "/tasks/0/loopOver/0"}, "cannot move a task into itself"},
		{"taskTemplate", []any{"SIMPLE", map[string]any{}}, "a SIMPLE task needs the name of a task definition"},
		{"taskTemplate", []any{"SUB_WORKFLOW", nil}, "a SUB_WORKFLOW task needs the name of a workflow"},
		{"taskTemplate", []any{"PLUGIN", map[string]any{"type": "hash"}}, `"hash" is not a plugin task type: those are upper case letters, digits and _`},
		{"taskTemplate", []any{"KAFKA", nil}, `the palette has no "KAFKA" task`},
	} {
		_, err := d.call(c.op, c.args...)
		require.EqualError(t, err, c.err, "%s%q", c.op, c.args)
	}
}

// TestPaste reads what a person may paste as tasks.
func TestPaste(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	task := `{"name": "a", "taskReferenceName": "a", "big": 9007199254740993}`
	for in, want := range map[string]string{
		task:                              task,
		" [" + task + ", " + noop + "]\n": "[" + task + ", " + noop + "]",
		`{"name": "w", "version": 1, "tasks": [` + task + `]}`: "[" + task + "]",
		`{"batonClipboard":1,"tasks":[` + task + `]}`:          "[" + task + "]",
		`{"type": "NOOP"}`: `{"type": "NOOP"}`,
	} {
		var got string
		require.NoError(t, json.Unmarshal([]byte(d.must("pastePayload", in)), &got), in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"hello", "", "3", `"x"`, "[]", "[1]", `{"name": "w"}`, `{"name": "w", "tasks": []}`, `{"batonClipboard":1,"tasks":{}}`, `[{"a": 1}]`, "{", `[` + task + `, 1]`} {
		require.Equal(t, "null", d.must("pastePayload", in), in)
	}
}
