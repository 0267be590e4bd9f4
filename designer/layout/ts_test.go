package layout_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dop251/goja"
	"github.com/evanw/esbuild/pkg/api"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/designer/layout"
	"github.com/batonhq/baton/sdk/workflow"
)

// The TypeScript port (designer/src/layout.ts) must lay out every
// definition exactly as Layout does: the designer draws with it, the
// console with Layout. These tests bundle it with esbuild, as the console's
// scripts are built, run it in goja and compare its JSON with Go's byte for
// byte.

const (
	tsEntry    = "../src/layout.ts"
	tsFixtures = "../testdata/fixtures"
	tsLibrary  = "../../server/internal/engine/testdata/library"
)

// bundleTS bundles layout.ts once per test binary into a script that sets
// the global batonLayout.
var bundleTS = sync.OnceValues(func() (string, error) {
	r := api.Build(api.BuildOptions{
		EntryPoints: []string{tsEntry},
		Bundle:      true,
		Write:       false,
		Target:      api.ES2020,
		Format:      api.FormatIIFE,
		GlobalName:  "batonLayout",
		Platform:    api.PlatformBrowser,
		LogLevel:    api.LogLevelSilent,
	})
	if len(r.Errors) > 0 {
		var b strings.Builder
		for _, m := range r.Errors {
			if m.Location != nil {
				fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			fmt.Fprintln(&b, m.Text)
		}
		return "", fmt.Errorf("bundling %s:\n%s", tsEntry, b.String())
	}
	if len(r.OutputFiles) != 1 {
		return "", fmt.Errorf("bundling %s: %d output files, want 1", tsEntry, len(r.OutputFiles))
	}
	return string(r.OutputFiles[0].Contents), nil
})

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
	src, err := bundleTS()
	require.NoError(tb, err)
	vm := goja.New()
	_, err = vm.RunScript("layout.js", src)
	require.NoError(tb, err)
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

// BenchmarkTSLayoutLarge500 measures the port on the 500-task fixture in
// goja, the designer's largest case: the layout alone, and with JSON.parse
// and toJSON around it as the tests run it. A browser's JIT is far faster
// (node runs the layout in about 2 ms).
func BenchmarkTSLayoutLarge500(b *testing.B) {
	src, err := bundleTS()
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
