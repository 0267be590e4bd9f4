package designer_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/require"
)

// The inspector's edits of the text (inspector.ts), run in goja without
// the page: the bundle keeps only them and the scanner they read.
var bundleEdits = sync.OnceValues(func() (string, error) {
	return bundle(`export { setValue, removeValue, renameMember, appendElement, renameRefUses } from "./src/inspector";
		export { scan } from "./src/jsontext";`, "batonEdits")
})

// editsVM runs an edit function on a text and returns the text it makes,
// or the error it throws.
func editsVM(t *testing.T) func(fn, text string, args ...any) (string, error) {
	t.Helper()
	src, err := bundleEdits()
	require.NoError(t, err)
	vm := goja.New()
	_, err = vm.RunScript("edits.js", src)
	require.NoError(t, err)
	v, err := vm.RunString(`(fn, text, args) => {
		const locs = batonEdits.scan(text);
		const changes = fn === "removeValue" ? batonEdits[fn](locs, ...args) : batonEdits[fn](text, locs, ...args);
		let out = "", at = 0;
		for (const c of changes) {
			if (c.from < at) throw new Error("changes overlap or are not sorted");
			out += text.slice(at, c.from) + c.insert;
			at = c.to;
		}
		return out + text.slice(at);
	}`)
	require.NoError(t, err)
	run, ok := goja.AssertFunction(v)
	require.True(t, ok)
	return func(fn, text string, args ...any) (string, error) {
		t.Helper()
		out, err := run(goja.Undefined(), vm.ToValue(fn), vm.ToValue(text), vm.ToValue(args))
		if err != nil {
			return "", err
		}
		require.True(t, json.Valid([]byte(out.String())), "%s made invalid JSON:\n%s", fn, out.String())
		return out.String(), nil
	}
}

const editsDoc = `{
  "name": "w",
  "tasks": [
    {
      "name": "a",
      "taskReferenceName": "a",
      "inputParameters": {
        "big": 9007199254740993,
        "x": "${a.output.y}"
      }
    },
    {"name": "b", "taskReferenceName": "b", "inputParameters": {}, "joinOn": ["a", "ab"]}
  ],
  "empty": {},
  "nothing": null
}`

// TestEdits: every edit changes only its range, writes new members like
// their siblings (on their own lines, or on one line in a one-line
// object), and leaves valid JSON.
func TestEdits(t *testing.T) {
	t.Parallel()
	run := editsVM(t)
	must := func(fn string, args ...any) string {
		t.Helper()
		out, err := run(fn, editsDoc, args...)
		require.NoError(t, err)
		return out
	}
	replace := func(old, neu string) string {
		t.Helper()
		require.Contains(t, editsDoc, old)
		return replaceOnce(editsDoc, old, neu)
	}

	require.Equal(t, replace(`"x": "${a.output.y}"`, `"x": "z"`), must("setValue", "/tasks/0/inputParameters/x", `"z"`),
		"a value is replaced, the large integer beside it kept as written")
	require.Equal(t, replace(`"x": "${a.output.y}"
      }`, `"x": "${a.output.y}",
        "y": 1
      }`), must("setValue", "/tasks/0/inputParameters/y", `1`), "a new member on its own line, indented as its siblings")
	require.Equal(t, replace(`"taskReferenceName": "a",
      "inputParameters"`, `"taskReferenceName": "a",
      "inputParameters"`), must("setValue", "/tasks/0/taskReferenceName", `"a"`))
	require.Equal(t, replace(`"x": "${a.output.y}"
      }`, `"x": "${a.output.y}"
      },
      "http": {
        "request": {
          "uri": "u"
        }
      }`), must("setValue", "/tasks/0/http/request/uri", `"u"`), "missing objects on the way are added, indented")
	require.Equal(t, replace(`"joinOn": ["a", "ab"]}`, `"joinOn": ["a", "ab"], "optional": true}`),
		must("setValue", "/tasks/1/optional", `true`), "a one-line object stays on one line")
	require.Equal(t, replace(`"inputParameters": {}, "joinOn"`, `"inputParameters": {"p": {"q": ""}}, "joinOn"`),
		must("setValue", "/tasks/1/inputParameters/p/q", `""`), "an empty object in a one-line object")
	require.Equal(t, replace(`"empty": {}`, `"empty": {
    "k": [
      1
    ]
  }`), must("setValue", "/empty/k", "[\n  1\n]"), "an empty object on its own line; a multi-line value indented under its member")
	require.Equal(t, replace(`"nothing": null`, `"nothing": {
    "k": "v"
  }`), must("setValue", "/nothing/k", `"v"`), "null becomes an object")
	_, err := run("setValue", editsDoc, "/name/k", `1`)
	require.ErrorContains(t, err, "/name is not an object")

	require.Equal(t, replace(`"big": 9007199254740993,
        `, ``), must("removeValue", "/tasks/0/inputParameters/big"), "the first member with its comma")
	require.Equal(t, replace(`,
        "x": "${a.output.y}"`, ``), must("removeValue", "/tasks/0/inputParameters/x"), "the last member with the comma before it")
	require.Equal(t, replace(`["a", "ab"]`, `["ab"]`), must("removeValue", "/tasks/1/joinOn/0"))
	require.Equal(t, replace(`"empty": {},
  `, ``), must("removeValue", "/empty"))
	out, err := run("removeValue", `{"only": {"one": 1}}`, "/only/one")
	require.NoError(t, err)
	require.Equal(t, `{"only": {}}`, out)

	require.Equal(t, replace(`"x": "${a.output.y}"`, `"x~/\"": "${a.output.y}"`), must("renameMember", "/tasks/0/inputParameters/x", `x~/"`))
	_, err = run("renameMember", editsDoc, "/tasks/0/inputParameters/x", "big")
	require.ErrorContains(t, err, `there is already a member "big"`)

	require.Equal(t, replace(`["a", "ab"]`, `["a", "ab", "c"]`), must("appendElement", "/tasks/1/joinOn", `"c"`))
	out, err = run("appendElement", `{"forkTasks": [
    [{"name": "x"}]
  ]}`, "/forkTasks", "[]")
	require.NoError(t, err)
	require.Equal(t, `{"forkTasks": [
    [{"name": "x"}],
    []
  ]}`, out, "a new branch on its own line")
	out, err = run("appendElement", `{"l": []}`, "/l", "[]")
	require.NoError(t, err)
	require.Equal(t, `{"l": [[]]}`, out)
}

// TestRenameRefUses: a reference's uses in expressions, loop conditions
// and joinOn follow a rename; other names that start alike do not.
func TestRenameRefUses(t *testing.T) {
	t.Parallel()
	run := editsVM(t)
	doc := `{"tasks": [{"taskReferenceName": "a", "inputParameters": {"a": "${a}"}},
  {"inputParameters": {"p": "${a.output.x} and ${ab.output} and ${a['k']}", "q": "$${a.output}", "n": 7}},
  {"type": "DO_WHILE", "loopCondition": "$.a['done'] == false && $.ab.x"},
  {"type": "JOIN", "joinOn": ["a", "ab"]},
  {"type": "INLINE", "inputParameters": {"expression": "$.a['x'] + 1"}}]}`
	out, err := run("renameRefUses", doc, "a", "first")
	require.NoError(t, err)
	require.Equal(t, `{"tasks": [{"taskReferenceName": "a", "inputParameters": {"a": "${first}"}},
  {"inputParameters": {"p": "${first.output.x} and ${ab.output} and ${first['k']}", "q": "$${first.output}", "n": 7}},
  {"type": "DO_WHILE", "loopCondition": "$.first['done'] == false && $.ab.x"},
  {"type": "JOIN", "joinOn": ["first", "ab"]},
  {"type": "INLINE", "inputParameters": {"expression": "$.a['x'] + 1"}}]}`, out,
		"the reference name itself is the form's own edit; in a script $.a is an input parameter")
}

func replaceOnce(s, old, neu string) string {
	i := len(s)
	for j := 0; j+len(old) <= len(s); j++ {
		if s[j:j+len(old)] == old {
			i = j
			break
		}
	}
	if i == len(s) {
		return s
	}
	return s[:i] + neu + s[i+len(old):]
}
