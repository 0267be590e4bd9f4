package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
)

// designerDef is a definition with what a careless editor loses: a member
// Baton does not know and an integer beyond 2^53 (JavaScript's numbers
// would round it to ...992).
const designerDef = `{
  "name": "designed",
  "description": "kept as written",
  "version": 1,
  "schemaVersion": 2,
  "x-owner": {"team": "payments", "ticket": 9007199254740993},
  "tasks": [
    {"name": "first", "taskReferenceName": "first", "type": "WAIT"},
    {"name": "pick", "taskReferenceName": "pick", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
     "inputParameters": {"kind": "${workflow.input.kind}", "limit": 9007199254740993},
     "decisionCases": {"a": [{"name": "on_a", "taskReferenceName": "on_a", "type": "WAIT"}]},
     "defaultCase": []}
  ]
}`

// registerRaw registers a definition's JSON text through the REST API.
func registerRaw(t testing.TB, base, body string) {
	t.Helper()
	resp, err := http.Post(base+"/api/metadata/workflow", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
}

// openDesigner opens the designer on a definition and waits for its script
// to have drawn the canvas and heard the server's verdict.
func openDesigner(t testing.TB, b *browser, path string) {
	t.Helper()
	b.open(path)
	b.waitFor(`window.batonDesigner && document.querySelector("[data-designer]").dataset.validated`, 10*time.Second)
}

// designerOn starts a server with the definition def registered and
// opens the designer at path in a browser.
func designerOn(t *testing.T, def, path string) (*batontest.Server, *browser) {
	t.Helper()
	srv := batontest.New(t)
	registerRaw(t, srv.URL(), def)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, path)
	return srv, b
}

// editorText is the designer's text, as a script expression.
const editorText = `window.batonDesigner.text`

// openSaveDialog clicks Save and waits for the dialog that shows the
// changes.
func openSaveDialog(b *browser) {
	b.t.Helper()
	b.do(chromedp.Click(`[data-save]`))
	b.waitFor(`document.querySelector("dialog[data-save-diff][open]")`, 5*time.Second)
}

// confirmSave clicks the open dialog's Save and waits for the version it
// stores.
func confirmSave(b *browser, version int) {
	b.t.Helper()
	b.do(chromedp.Click(`dialog[data-save-diff] button[value=save]`))
	b.waitFor(fmt.Sprintf(`document.querySelector("[data-saved-version]")?.dataset.savedVersion === "%d"`, version), 10*time.Second)
}

// saveVersion saves the text, confirming the dialog, as the version given.
func saveVersion(b *browser, version int) {
	b.t.Helper()
	openSaveDialog(b)
	confirmSave(b, version)
}

// storedDef reads the latest version of a definition through the API.
func storedDef(t *testing.T, base, name string) *workflow.WorkflowDef {
	t.Helper()
	status, body := get(t, base+"/api/metadata/workflow/"+name)
	require.Equal(t, http.StatusOK, status, body)
	var d workflow.WorkflowDef
	require.NoError(t, json.Unmarshal([]byte(body), &d))
	return &d
}

// libraryFile is a file of the engine's library of executable workflows:
// the task definitions and the workflows of a scenario.
type libraryFile struct {
	Name      string            `json:"-"`
	TaskDefs  json.RawMessage   `json:"taskDefs"`
	Workflows []json.RawMessage `json:"workflows"`
}

// engineLibrary reads the engine's library.
func engineLibrary(t *testing.T) []libraryFile {
	t.Helper()
	files, err := filepath.Glob("../engine/testdata/library/*.json")
	require.NoError(t, err)
	var out []libraryFile
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		c := libraryFile{Name: f}
		require.NoError(t, json.Unmarshal(raw, &c), f)
		out = append(out, c)
	}
	require.NotEmpty(t, out, "the engine's library is missing")
	return out
}

// edit applies a change to the editor through CodeMirror's view, as typing
// does: the text at the first occurrence of find gets insert after it.
func edit(b *browser, find, insert string) {
	b.t.Helper()
	ok := eval[bool](b, fmt.Sprintf(`(() => {
		const v = window.batonDesigner.editor;
		const at = v.state.doc.toString().indexOf(%q);
		if (at < 0) return false;
		v.dispatch({changes: {from: at + %d, insert: %q}, userEvent: "input.type"});
		return true;
	})()`, find, len(find), insert))
	require.True(b.t, ok, "the editor holds %q", find)
}

const nodeCount = `document.querySelectorAll("[data-canvas] g.node").length`

// TestDesignerFollowsTheJSON: editing the JSON redraws the canvas; broken
// JSON freezes it and says where; clicking a node puts the editor's
// cursor on its task; a server diagnostic marks its line and its node.
func TestDesignerFollowsTheJSON(t *testing.T) {
	_, b := designerOn(t, designerDef, "/designer/designed/1")
	require.Equal(t, "valid", eval[string](b, `document.querySelector("[data-designer]").dataset.validated`))
	before := eval[int](b, nodeCount)
	require.Positive(t, before)
	require.True(t, eval[bool](b, `!!document.querySelector('[data-canvas] g.node[data-id="on_a"][data-path="/tasks/1/decisionCases/a/0"]')`),
		"the canvas is drawn from layout.ts with the Go renderer's data attributes")
	b.shot("opened")

	// Zoom in grows the drawing; Fit brings all of it into view.
	width := `document.querySelector("[data-canvas] svg").getBoundingClientRect().width`
	w0 := eval[float64](b, width)
	b.do(chromedp.Click(`[data-zoom-in]`))
	require.InDelta(t, w0*1.25, eval[float64](b, width), 2)
	b.do(chromedp.Click(`[data-fit]`))
	require.True(t, eval[bool](b, `(() => { const c = document.querySelector("[data-canvas]"), r = c.querySelector("svg").getBoundingClientRect(); return r.width <= c.clientWidth && r.height <= c.clientHeight; })()`),
		"after Fit the whole diagram shows: %s", eval[string](b, `document.querySelector("[data-designer]").dataset.zoom`))

	// Add a task: the canvas gains its node.
	edit(b, `"tasks": [`, "\n    {\"name\": \"added\", \"taskReferenceName\": \"added\", \"type\": \"WAIT\"},")
	b.waitFor(`document.querySelector('[data-canvas] g.node[data-id="added"]')`, 5*time.Second)
	require.Equal(t, before+1, eval[int](b, nodeCount))
	require.Equal(t, "/tasks/0", eval[string](b, `document.querySelector('[data-canvas] g.node[data-id="added"]').dataset.path`))
	b.shot("added")

	// Break the JSON: the message gives the line and column, the editor
	// marks it, and the canvas keeps the last valid drawing.
	edit(b, `"taskReferenceName": "added"`, ` oops`)
	b.waitFor(`document.querySelector("[data-designer]").dataset.state === "invalid-json"`, 5*time.Second)
	msg := eval[string](b, `document.querySelector("[data-message]").textContent`)
	line := eval[int](b, `(() => { const d = window.batonDesigner.editor.state.doc; return d.lineAt(d.toString().indexOf(" oops")).number; })()`)
	require.Regexp(t, regexp.MustCompile(fmt.Sprintf(`line %d:\d+: expected ',' or '}' after a member`, line)), msg)
	require.True(t, eval[bool](b, `!document.querySelector("[data-message]").hidden`))
	b.waitFor(`document.querySelector(".cm-lint-marker-error")`, 5*time.Second)
	require.Equal(t, before+1, eval[int](b, nodeCount), "the canvas stays as it was")
	b.shot("broken")

	// Mend it with a duplicate reference name: the server's diagnostic
	// marks the task's line in the editor and its node on the canvas.
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const v = window.batonDesigner.editor;
		const at = v.state.doc.toString().indexOf(" oops");
		v.dispatch({changes: {from: at, to: at + 5}});
	})()`))
	edit(b, `"tasks": [`, `{"name": "first", "taskReferenceName": "first", "type": "WAIT"},`)
	b.waitFor(`document.querySelector("[data-designer]").dataset.validated === "invalid"`, 10*time.Second)
	require.Equal(t, "ok", eval[string](b, `document.querySelector("[data-designer]").dataset.state`))
	require.Equal(t, before+2, eval[int](b, nodeCount))
	invalid := eval[[]string](b, `Array.from(document.querySelectorAll("[data-canvas] g.node.invalid"), n => n.dataset.path)`)
	require.Equal(t, []string{"/tasks/2"}, invalid, "the second use of the name is marked, not the first")
	require.Contains(t, eval[string](b, `document.querySelector("[data-diagnostics]").textContent`), "/tasks/2/taskReferenceName")
	b.waitFor(`document.querySelector(".cm-lintRange-error")`, 5*time.Second)
	require.Contains(t, eval[string](b, `document.querySelector(".cm-lintRange-error").closest(".cm-line").textContent`), `"taskReferenceName": "first"`)
	b.shot("diagnostic")

	// Clicking a node moves the cursor to its task's JSON.
	b.do(chromedp.Click(`[data-canvas] g.node[data-id="on_a"] rect`))
	at := eval[string](b, `(() => { const v = window.batonDesigner.editor; return v.state.doc.lineAt(v.state.selection.main.head).text; })()`)
	require.Contains(t, at, `{`)
	next := eval[string](b, `(() => { const v = window.batonDesigner.editor; const d = v.state.doc; return d.line(d.lineAt(v.state.selection.main.head).number + 1).text; })()`)
	require.Contains(t, next, `"name": "on_a"`)
	require.True(t, eval[bool](b, `document.querySelector('[data-canvas] g.node[data-id="on_a"]').classList.contains("selected")`))

	// The editor follows the console's theme.
	light := eval[string](b, `getComputedStyle(document.querySelector(".cm-editor")).backgroundColor`)
	b.do(chromedp.Click(`[data-theme-toggle]`))
	b.waitFor(fmt.Sprintf(`getComputedStyle(document.querySelector(".cm-editor")).backgroundColor !== %q`, light), 5*time.Second)
	b.shot("dark")
}

// TestDesignerSavesAsWritten: a definition opened and saved unchanged is
// stored byte for byte as it was, unknown member and large integers
// included, but for its version and creation time.
func TestDesignerSavesAsWritten(t *testing.T) {
	srv, b := designerOn(t, designerDef, "/designer/designed/1")
	saveVersion(b, 2) // no changes: saved anyway
	b.shot("saved")

	status, v1 := get(t, srv.URL()+"/api/metadata/workflow/designed?version=1")
	require.Equal(t, http.StatusOK, status)
	status, v2 := get(t, srv.URL()+"/api/metadata/workflow/designed?version=2")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, v2, `"ticket":9007199254740993`)
	require.Contains(t, v2, `"limit":9007199254740993`)
	created := regexp.MustCompile(`"createTime":\d+`)
	norm := func(s string) string {
		s = created.ReplaceAllString(s, `"createTime":0`)
		return strings.Replace(s, `"version":2,`, `"version":1,`, 1)
	}
	require.Equal(t, norm(v1), norm(v2))

	// A definition the server refuses is not saved, and says why.
	edit(b, `"tasks": [`, `{"name": "first", "taskReferenceName": "first", "type": "WAIT"},`)
	b.waitFor(`document.querySelector("[data-designer]").dataset.validated === "invalid"`, 10*time.Second)
	openSaveDialog(b)
	b.do(chromedp.Click(`dialog[data-save-diff] button[value=save]`))
	b.waitFor(`document.querySelector("[data-save-result]").textContent.startsWith("Not saved")`, 10*time.Second)
	require.Contains(t, eval[string](b, `document.querySelector("[data-save-result]").textContent`), "/tasks/1/taskReferenceName: taskReferenceName \"first\" is also used")
	status, _ = get(t, srv.URL()+"/api/metadata/workflow/designed?version=3")
	require.Equal(t, http.StatusNotFound, status)
	b.shot("refused")
}

// TestDesignerWithoutScript: the page alone shows the diagram and the JSON.
func TestDesignerWithoutScript(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	registerRaw(t, srv.URL(), designerDef)
	status, body := get(t, srv.URL()+"/designer/designed/1")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `<svg xmlns="http://www.w3.org/2000/svg" class="baton-diagram"`)
	require.Contains(t, body, `&#34;ticket&#34;: 9007199254740993`, "the JSON, as text")
	require.Contains(t, body, `<script id="designer-def" type="application/json">"{\n  \"name\": \"designed\"`)
	require.Contains(t, body, `/static/dist/designer.js`)
	status, body = get(t, srv.URL()+"/designer")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "new_workflow")
	status, _ = get(t, srv.URL()+"/designer/designed/7")
	require.Equal(t, http.StatusNotFound, status)
	for _, bad := range []string{"/designer/designed/abc", "/designer/designed/0"} {
		status, body = get(t, srv.URL()+bad)
		require.Equal(t, http.StatusBadRequest, status, bad)
		require.Contains(t, body, "want a number from 1", bad)
	}
}

// TestDesignerRoundTripsTheLibrary: every workflow of the engine's
// definition library opens in the designer and, saved unchanged, is stored
// byte for byte as it was but for its version and creation time.
func TestDesignerRoundTripsTheLibrary(t *testing.T) {
	srv := batontest.New(t)
	var names []string
	for _, c := range engineLibrary(t) {
		if len(c.TaskDefs) > 0 {
			resp, err := http.Post(srv.URL()+"/api/metadata/taskdefs", "application/json", bytes.NewReader(c.TaskDefs))
			require.NoError(t, err)
			resp.Body.Close()
		}
		for _, w := range c.Workflows {
			var d struct{ Name string }
			require.NoError(t, json.Unmarshal(w, &d))
			if slices.Contains(names, d.Name) {
				continue // the same child workflow in another case
			}
			registerRaw(t, srv.URL(), string(w))
			names = append(names, d.Name)
		}
	}
	require.Greater(t, len(names), 20)
	b := newBrowser(t, srv.URL())
	created := regexp.MustCompile(`"createTime":\d+`)
	for _, name := range names {
		status, v1 := get(t, srv.URL()+"/api/metadata/workflow/"+name+"?version=1")
		require.Equal(t, http.StatusOK, status, name)
		openDesigner(t, b, "/designer/"+name+"/1")
		require.Equal(t, "valid", eval[string](b, `document.querySelector("[data-designer]").dataset.validated`), name)
		require.True(t, eval[bool](b, `window.batonDesigner.text === window.batonDesigner.loaded.text`), name)
		saveVersion(b, 2)
		status, v2 := get(t, srv.URL()+"/api/metadata/workflow/"+name+"?version=2")
		require.Equal(t, http.StatusOK, status, name)
		norm := func(s string) string {
			return strings.Replace(created.ReplaceAllString(s, `"createTime":0`), `"version":2,`, `"version":1,`, 1)
		}
		require.Equal(t, norm(v1), norm(v2), name)
	}
}
