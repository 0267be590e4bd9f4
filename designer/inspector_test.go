package designer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The inspector's edits (doc.ts's setMember written as typed,
// renameMember, appendElement, removeElement, renameRefUses), run in goja
// as the other document operations are.

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

// TestInspectorEdits: every edit changes only its range, writes new
// members like their siblings (on their own lines, or on one line in a
// one-line object), keeps a typed value's lines as typed, and leaves valid
// JSON.
func TestInspectorEdits(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	must := func(text, name string, args ...any) string {
		t.Helper()
		out, _ := d.edited(text, name, args...)
		require.True(t, json.Valid([]byte(out)), "%s made invalid JSON:\n%s", name, out)
		return out
	}
	replace := func(old, neu string) string {
		t.Helper()
		require.Contains(t, editsDoc, old)
		return strings.Replace(editsDoc, old, neu, 1)
	}
	set := func(obj, key, value string) string {
		t.Helper()
		return must(editsDoc, "setMember", obj, key, value, true)
	}

	require.Equal(t, replace(`"x": "${a.output.y}"`, `"x": "z"`), set("/tasks/0/inputParameters", "x", `"z"`),
		"a value is replaced, the large integer beside it kept as written")
	require.Equal(t, replace(`"x": "${a.output.y}"
      }`, `"x": "${a.output.y}",
        "y": 1
      }`), set("/tasks/0/inputParameters", "y", `1`), "a new member on its own line, indented as its siblings")
	require.Equal(t, editsDoc, set("/tasks/0", "taskReferenceName", `"a"`))
	require.Equal(t, replace(`"x": "${a.output.y}"
      }`, `"x": "${a.output.y}"
      },
      "http": {
        "request": {
          "uri": "u"
        }
      }`), set("/tasks/0/http/request", "uri", `"u"`), "missing objects on the way are added, indented")
	require.Equal(t, replace(`"joinOn": ["a", "ab"]}`, `"joinOn": ["a", "ab"], "optional": true}`),
		set("/tasks/1", "optional", `true`), "a one-line object stays on one line")
	require.Equal(t, replace(`"inputParameters": {}, "joinOn"`, `"inputParameters": {"p": {"q": ""}}, "joinOn"`),
		set("/tasks/1/inputParameters/p", "q", `""`), "an empty object in a one-line object")
	require.Equal(t, replace(`"empty": {}`, `"empty": {
    "k": [
      1
    ]
  }`), set("/empty", "k", "[\n  1\n]"), "an empty object on its own line; a typed multi-line value indented under its member")
	require.Equal(t, replace(`"empty": {}`, `"empty": {
    "k": [1]
  }`), must(editsDoc, "setMember", "/empty", "k", "[\n  1\n]"), "not typed: in the document's style")
	require.Equal(t, replace(`"nothing": null`, `"nothing": {
    "k": "v"
  }`), set("/nothing", "k", `"v"`), "null becomes an object")
	require.Equal(t, replace(`"ab"]`, `"c"]`), set("/tasks/1/joinOn", "1", `"c"`), "an element is replaced")
	_, err := d.call("setMember", editsDoc, "/name", "k", `1`, true)
	require.ErrorContains(t, err, "/name is a string, not an object")

	require.Equal(t, replace(`"big": 9007199254740993,
        `, ``), must(editsDoc, "setMember", "/tasks/0/inputParameters", "big", nil), "the first member with its comma")
	require.Equal(t, replace(`,
        "x": "${a.output.y}"`, ``), must(editsDoc, "setMember", "/tasks/0/inputParameters", "x", nil), "the last member with the comma before it")
	require.Equal(t, replace(`"empty": {},
  `, ``), must(editsDoc, "setMember", "", "empty", nil))
	require.Equal(t, `{"only": {}}`, must(`{"only": {"one": 1}}`, "setMember", "/only", "one", nil))

	require.Equal(t, replace(`["a", "ab"]`, `["ab"]`), must(editsDoc, "removeElement", "/tasks/1/joinOn", 0))
	require.Equal(t, replace(`["a", "ab"]`, `["a"]`), must(editsDoc, "removeElement", "/tasks/1/joinOn", 1))
	require.Equal(t, `{"l": []}`, must(`{"l": [[{"name": "x"}]]}`, "removeElement", "/l", 0))
	require.Equal(t, editsDoc, must(editsDoc, "removeElement", "/tasks/1/joinOn", 2), "an element that is not there: nothing changes")
	out, sel := d.edited(editsDoc, "removeElement", "/tasks/1/joinOn", 0)
	require.Equal(t, replace(`["a", "ab"]`, `["ab"]`), out)
	require.Equal(t, "/tasks/1", sel, "the task stays selected")

	require.Equal(t, replace(`"x": "${a.output.y}"`, `"x~/\"": "${a.output.y}"`), must(editsDoc, "renameMember", "/tasks/0/inputParameters", "x", `x~/"`))
	_, err = d.call("renameMember", editsDoc, "/tasks/0/inputParameters", "x", "big")
	require.ErrorContains(t, err, `already has a member "big"`)

	require.Equal(t, replace(`["a", "ab"]`, `["a", "ab", "c"]`), must(editsDoc, "appendElement", "/tasks/1/joinOn", `"c"`))
	require.Equal(t, `{"forkTasks": [
    [{"name": "x"}],
    []
  ]}`, must(`{"forkTasks": [
    [{"name": "x"}]
  ]}`, "appendElement", "/forkTasks", "[]"), "a new branch on its own line")
	require.Equal(t, `{"l": [[]]}`, must(`{"l": []}`, "appendElement", "/l", "[]"))
	require.Equal(t, `{"l": [""], "m": null}`, must(`{"l": null, "m": null}`, "appendElement", "/l", `""`), "null becomes the array")
	require.Equal(t, "{\n  \"t\": {\n    \"forkTasks\": [[]]\n  }\n}", must("{\n  \"t\": {}\n}", "appendElement", "/t/forkTasks", "[]"), "a missing array is added")
	_, err = d.call("appendElement", editsDoc, "/name", `""`)
	require.ErrorContains(t, err, "/name is a string, not an array")
}

// TestRenameRefUses: a reference's uses in expressions, loop conditions
// and joinOn follow a rename; other names that start alike, the escape
// $${ and ${workflow...} do not.
func TestRenameRefUses(t *testing.T) {
	t.Parallel()
	d := newDocs(t)
	doc := `{"tasks": [{"taskReferenceName": "a", "inputParameters": {"a": "${a}"}},
  {"inputParameters": {"p": "${a.output.x} and ${ab.output} and ${a['k']}", "q": "$${a.output}", "n": 7}},
  {"type": "DO_WHILE", "loopCondition": "$.a['done'] == false && $.ab.x"},
  {"type": "JOIN", "joinOn": ["a", "ab"]},
  {"type": "INLINE", "inputParameters": {"expression": "$.a['x'] + 1"}}]}`
	out, _ := d.edited(doc, "renameRefUses", "a", "first")
	require.Equal(t, `{"tasks": [{"taskReferenceName": "a", "inputParameters": {"a": "${first}"}},
  {"inputParameters": {"p": "${first.output.x} and ${ab.output} and ${first['k']}", "q": "$${a.output}", "n": 7}},
  {"type": "DO_WHILE", "loopCondition": "$.first['done'] == false && $.ab.x"},
  {"type": "JOIN", "joinOn": ["first", "ab"]},
  {"type": "INLINE", "inputParameters": {"expression": "$.a['x'] + 1"}}]}`, out,
		"the reference name itself is the form's own edit; $${ is a literal ${; in a script $.a is an input parameter")
	out, _ = d.edited(doc, "renameRefUses", "a.b", "c")
	require.Equal(t, doc, out, "a name with a regular expression's characters matches only itself")
	wf := `{"tasks": [{"taskReferenceName": "workflow", "inputParameters": {"x": "${workflow.input.x}"}}]}`
	require.Equal(t, `{"changes":[]}`, d.must("renameRefUses", wf, "workflow", "w"), "${workflow...} reads the workflow, not a task")
}
