package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
)

// TestDesignerVersions: Save shows what changed against the version
// opened and asks; Cancel (or Escape) saves nothing, Save stores the next
// version; the picker lists the versions and opens another.
func TestDesignerVersions(t *testing.T) {
	srv, b := designerOn(t, designerDef, "/designer/designed/1")
	b.waitFor(`document.querySelectorAll("[data-version-picker] option").length === 1`, 5*time.Second)

	// A member added to pick's input, and one to on_a.
	edit(b, `"limit": 9007199254740993`, `, "extra": 1`)
	edit(b, `"taskReferenceName": "on_a",`, ` "was": 1,`)
	openSaveDialog(b)
	require.Equal(t, "save", eval[string](b, `document.activeElement.value`), "Save has the focus")
	changed := eval[[]string](b, `[...document.querySelectorAll("dialog[data-save-diff] li[data-diff=changed]")].map(li => li.textContent)`)
	require.Equal(t, []string{"Changed pick: inputParameters.extra", "Changed on_a: was"}, changed)
	b.shot("diff")
	b.do(chromedp.Click(`dialog[data-save-diff] button[value=cancel]`))
	b.waitFor(`document.querySelector("[data-save-result]").textContent === "Not saved: cancelled."`, 5*time.Second)
	require.False(t, eval[bool](b, `!!document.querySelector("dialog")`), "the dialog is gone")
	status, _ := get(t, srv.URL()+"/api/metadata/workflow/designed?version=2")
	require.Equal(t, http.StatusNotFound, status)

	saveVersion(b, 2)
	status, v2 := get(t, srv.URL()+"/api/metadata/workflow/designed?version=2")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, v2, `"extra":1`)
	require.Contains(t, v2, `"limit":9007199254740993`)

	// The text is version 2 now: no changes, and saving is still allowed;
	// Escape cancels.
	openSaveDialog(b)
	require.Contains(t, eval[string](b, `document.querySelector("dialog [data-no-changes]").textContent`), "No changes")
	require.Contains(t, eval[string](b, `document.querySelector("dialog[data-save-diff]").textContent`), "Compared with designed version 2")
	b.shot("no-changes")
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor(`!document.querySelector("dialog") && document.querySelector("[data-save-result]").textContent === "Not saved: cancelled."`, 5*time.Second)

	// The picker lists both versions and opens version 1.
	b.waitFor(`document.querySelectorAll("[data-version-picker] option").length === 2`, 5*time.Second)
	require.Equal(t, "2", eval[string](b, `document.querySelector("[data-version-picker]").value`))
	pickVersion(b, "1")
	b.waitFor(`location.pathname === "/designer/designed/1"`, 10*time.Second)
	b.waitFor(`window.batonDesigner && document.querySelector("[data-designer]").dataset.validated`, 10*time.Second)
	require.NotContains(t, eval[string](b, editorText), `"extra"`)
	require.Equal(t, "v1 (opened)", eval[string](b, `document.querySelector("[data-version-picker] option:checked").textContent`))

	// With unsaved changes, leaving the page asks (beforeunload).
	edit(b, `"description": "kept as written"`, `, "unsaved": true`)
	edited := eval[string](b, editorText)
	require.True(t, eval[bool](b, `(() => { const e = new Event("beforeunload", {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; })()`))
	b.do(chromedp.Click(`[data-theme-toggle]`))
	openSaveDialog(b)
	b.shot("diff-dark")
	b.do(chromedp.Click(`dialog[data-save-diff] button[value=cancel]`))

	// Choosing another version asks first. Declined: the page, its text
	// and the picker stay on the version opened.
	answerConfirm(b, false)
	pickVersion(b, "2")
	require.Equal(t, []string{"The text has changes that are not saved; opening version 2 loses them. Open it?"}, eval[[]string](b, `window.asked`))
	require.Equal(t, "/designer/designed/1", eval[string](b, `location.pathname`))
	require.Equal(t, edited, eval[string](b, editorText))
	require.Equal(t, "1", eval[string](b, `document.querySelector("[data-version-picker]").value`))
	// Accepted: version 2 opens, the changes gone.
	answerConfirm(b, true)
	pickVersion(b, "2")
	b.waitFor(`location.pathname === "/designer/designed/2"`, 10*time.Second)
	b.waitFor(`window.batonDesigner && document.querySelector("[data-designer]").dataset.validated`, 10*time.Second)
	require.NotContains(t, eval[string](b, editorText), `"unsaved"`)
	require.Contains(t, eval[string](b, editorText), `"extra"`)
}

// answerConfirm replaces the page's window.confirm with one that records
// each question in window.asked and gives answer (the harness itself
// accepts every dialog, which would leave declining untested).
func answerConfirm(b *browser, answer bool) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`window.asked = []; window.confirm = (m) => { window.asked.push(String(m)); return %t; }`, answer)))
}

// pickVersion chooses version v in the version picker.
func pickVersion(b *browser, v string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.querySelector("[data-version-picker]"); s.value = %q; s.dispatchEvent(new Event("change")); })()`, v)))
}

// TestDesignerImportExport: a file's definition replaces the text as one
// undoable edit, its large integers intact; a file that is not a
// definition changes nothing; export downloads the text as written.
func TestDesignerImportExport(t *testing.T) {
	_, b := designerOn(t, designerDef, "/designer/designed/1")
	before := eval[string](b, editorText)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	upload := func(path string) {
		b.do(chromedp.SetUploadFiles(`input[data-import-file]`, []string{path}))
	}

	// An array of two definitions: the second is picked, and comes out of
	// the array without its indentation.
	second := `{
    "name": "imported",
    "x-id": 12345678901234567890,
    "tasks": [{"name": "t", "taskReferenceName": "t", "type": "WAIT"}]
  }`
	upload(write("two.json", "[\n  {\"name\": \"first_one\", \"tasks\": []},\n  "+second+"\n]\n"))
	b.waitFor(`document.querySelector("dialog[data-import-pick][open]")`, 5*time.Second)
	b.shot("pick")
	b.do(chromedp.Click(`dialog[data-import-pick] button[value="1"]`))
	b.waitFor(`window.batonDesigner.text.includes("12345678901234567890")`, 5*time.Second)
	require.Equal(t, strings.ReplaceAll(second, "\n  ", "\n"), eval[string](b, editorText))
	require.Contains(t, eval[string](b, `document.querySelector("[data-message]").textContent`), "Imported imported from two.json (one of its 2 definitions)")
	b.waitFor(`document.querySelector("[data-canvas] g.node[data-path='/tasks/0']")`, 5*time.Second)
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))
	require.Equal(t, before, eval[string](b, editorText), "one undo restores the text")

	// A single definition replaces the text as written.
	single := "{\"name\": \"solo\", \"tasks\": [], \"big\": 9007199254740993}"
	upload(write("solo.json", single))
	b.waitFor(`window.batonDesigner.text.includes("solo")`, 5*time.Second)
	require.Equal(t, single, eval[string](b, editorText))
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))

	// Files that are not definitions are refused and change nothing.
	for file, want := range map[string]string{
		"task.json":  `task.json is not a workflow definition: it has no list of "tasks"`,
		"broken.txt": "broken.txt is not JSON at line 2",
		"list.json":  "list.json holds an array of 2 values, none of them a workflow definition",
	} {
		content := map[string]string{"task.json": `{"name": "a_task", "retryCount": 3}`, "broken.txt": "{\n\"name\": }", "list.json": `[1, {"tasks": []}]`}[file]
		upload(write(file, content))
		b.waitFor(fmt.Sprintf(`document.querySelector("[data-message]").textContent.startsWith(%q)`, want), 5*time.Second)
		require.Equal(t, before, eval[string](b, editorText), file)
	}
	upload(write("huge.json", `{"name": "huge", "tasks": [], "pad": "`+strings.Repeat("x", 5<<20)+`"}`))
	b.waitFor(`document.querySelector("[data-message]").textContent.startsWith("huge.json is 5.0 MiB; the server takes definitions up to 4.0 MiB")`, 5*time.Second)
	require.Equal(t, before, eval[string](b, editorText))
	b.shot("refused")

	// A file dropped on the editor is an import too, not text typed in.
	dropped := `{"name": "dropped", "tasks": []}`
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([%q], "dropped.json", {type: "application/json"}));
		document.querySelector(".cm-content").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`, dropped)))
	b.waitFor(`window.batonDesigner.text.includes("dropped")`, 5*time.Second)
	require.Equal(t, dropped, eval[string](b, editorText))
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))
	require.Equal(t, before, eval[string](b, editorText))

	// Export downloads the text as written, named after it.
	downloads := t.TempDir()
	_, err := chromedp.Call(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
	require.NoError(t, err)
	edit(b, `"description": "kept as written"`, `, "exported": true`)
	text := eval[string](b, editorText)
	b.do(chromedp.Click(`[data-export]`))
	require.Eventually(t, func() bool {
		got, err := os.ReadFile(filepath.Join(downloads, "designed.v1.json"))
		return err == nil && string(got) == text
	}, 10*time.Second, 50*time.Millisecond, "designed.v1.json holds the editor's text")
}

// runnableDef is a workflow of system tasks only: an INLINE and a SWITCH
// whose case "a" waits and whose default case sets a variable.
const runnableDef = `{
  "name": "runnable",
  "inputParameters": ["n", "kind"],
  "outputParameters": {"doubled": "${calc.output.result}", "big": 9007199254740993},
  "tasks": [
    {"name": "calc", "taskReferenceName": "calc", "type": "INLINE",
     "inputParameters": {"evaluatorType": "javascript", "expression": "$.n * 2", "n": "${workflow.input.n}"}},
    {"name": "pick", "taskReferenceName": "pick", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
     "inputParameters": {"kind": "${workflow.input.kind}"},
     "decisionCases": {"a": [{"name": "on_a", "taskReferenceName": "on_a", "type": "WAIT"}]},
     "defaultCase": [{"name": "other", "taskReferenceName": "other", "type": "SET_VARIABLE", "inputParameters": {"seen": true}}]}
  ]
}`

// setRunField replaces a run panel field's text, as typing does.
func setRunField(b *browser, sel, text string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("input")); })()`, sel, text)))
}

// execution reads an execution through the REST API.
func execution(t *testing.T, base, id string) map[string]any {
	t.Helper()
	status, body := get(t, base+"/api/workflow/"+id)
	require.Equal(t, http.StatusOK, status, body)
	var wf map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &wf))
	return wf
}

// TestDesignerRun: the run panel dry-runs the text (the SWITCH's path
// shown in steps and on the canvas) and starts it, by version when the
// text is saved and inline when not, landing on the live execution.
func TestDesignerRun(t *testing.T) {
	srv, b := designerOn(t, runnableDef, "/designer/runnable/1")
	b.do(chromedp.Click(`[data-run]`))
	b.waitFor(`!document.querySelector("[data-run-panel]").hidden`, 5*time.Second)
	require.Equal(t, "{\n  \"n\": \"\",\n  \"kind\": \"\"\n}", eval[string](b, `document.querySelector("[data-run-input]").value`))
	require.Equal(t, "{\n  \"on_a\": {}\n}", eval[string](b, `document.querySelector("[data-run-mocks]").value`), "mocks for the tasks that need outside work")

	// Bad input is refused and kept.
	setRunField(b, "[data-run-input]", `{"n": }`)
	b.do(chromedp.Click(`[data-dry-run]`))
	b.waitFor(`!document.querySelector("[data-run-error]").hidden`, 5*time.Second)
	require.Contains(t, eval[string](b, `document.querySelector("[data-run-error]").textContent`), "The input is not JSON at line 1")
	require.Equal(t, `{"n": }`, eval[string](b, `document.querySelector("[data-run-input]").value`))

	// A dry run with kind "a" takes the case: on_a with its mocked output.
	setRunField(b, "[data-run-input]", `{"n": 21, "kind": "a"}`)
	setRunField(b, "[data-run-mocks]", `{"on_a": {"approved": 9007199254740993}}`)
	b.do(chromedp.Click(`[data-dry-run]`))
	b.waitFor(`document.querySelector("[data-dry-status]")`, 10*time.Second)
	require.True(t, eval[bool](b, `document.querySelector("[data-run-error]").hidden`), eval[string](b, `document.querySelector("[data-run-error]").textContent`))
	require.Equal(t, "COMPLETED", eval[string](b, `document.querySelector("[data-dry-status]").dataset.dryStatus`))
	require.Equal(t, []string{"calc", "pick", "on_a"}, eval[[]string](b, `[...document.querySelectorAll("[data-step]")].map(r => r.dataset.step)`))
	require.Contains(t, eval[string](b, `document.querySelector("[data-step=on_a]").textContent`), `"approved":9007199254740993`, "the mock's output as written")
	require.Contains(t, eval[string](b, `document.querySelector("[data-dry-output]").textContent`), `"doubled":42`)
	classes := `(p) => document.querySelector("[data-canvas] g.node[data-path='" + p + "']").classList`
	require.True(t, eval[bool](b, `(`+classes+`)("/tasks/1/decisionCases/a/0").contains("dry-taken")`))
	require.True(t, eval[bool](b, `(`+classes+`)("/tasks/1/defaultCase/0").contains("dry-skipped")`))
	require.True(t, eval[bool](b, `(`+classes+`)("/tasks/0").contains("dry-taken")`))
	b.shot("dry-run")
	// A redraw (here the same text put back, which rebuilds the SVG) keeps
	// the marks; a step selects its task.
	b.do(chromedp.Evaluate[chromedp.Void](`window.oldSVG = document.querySelector("[data-canvas] svg"); window.batonDesigner.replaceText(window.batonDesigner.text, "same")`))
	b.waitFor(`document.querySelector("[data-canvas] svg") !== window.oldSVG`, 5*time.Second)
	require.True(t, eval[bool](b, `(`+classes+`)("/tasks/1/decisionCases/a/0").contains("dry-taken")`))
	require.True(t, eval[bool](b, `(`+classes+`)("/tasks/1/defaultCase/0").contains("dry-skipped")`))
	b.do(chromedp.Click(`[data-step=on_a] button`))
	require.Equal(t, "/tasks/1/decisionCases/a/0", eval[string](b, `window.batonDesigner.selection`))
	b.do(chromedp.Click(`[data-theme-toggle]`))
	b.shot("dry-run-dark")

	// Another text: the marks go; the result stays, said to be stale.
	edit(b, `"seen": true`, `, "more": 1`)
	b.waitFor(`!document.querySelector("[data-canvas] g.node.dry-taken, [data-canvas] g.node.dry-skipped")`, 5*time.Second)
	require.True(t, eval[bool](b, `!!document.querySelector("[data-dry-result] [data-dry-stale]")`))
	require.True(t, eval[bool](b, `document.querySelector("[data-step=on_a] button").disabled`))
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))

	// A definition the server refuses: the dry run says why, and its
	// diagnostics (pointers into the request, under /workflowDef) are
	// marked in the text like a refused save's. The live validation is held
	// meanwhile, so that the marks can only be the dry run's; once it runs
	// again after the next edit it has the word.
	b.do(chromedp.Evaluate[chromedp.Void](`window.realFetch = window.fetch; window.fetch = (u, o) => String(u).includes("/workflow/validate") ? new Promise(() => {}) : window.realFetch(u, o)`))
	edit(b, `"value-param`, `-nope`)
	b.do(chromedp.Click(`[data-dry-run]`))
	b.waitFor(`!document.querySelector("[data-run-error]").hidden`, 10*time.Second)
	refusal := eval[string](b, `document.querySelector("[data-run-error]").textContent`)
	require.Contains(t, refusal, "The dry run was refused: the definition's /tasks/1/evaluatorType: ")
	require.NotContains(t, refusal, "/workflowDef")
	b.waitFor(`document.querySelector("[data-canvas] g.node[data-path='/tasks/1']").classList.contains("invalid")`, 5*time.Second)
	require.Contains(t, eval[string](b, `document.querySelector("[data-diagnostics]").textContent`), "/tasks/1/evaluatorType")
	b.waitFor(`document.querySelector(".cm-lintRange-error")`, 5*time.Second)
	require.Contains(t, eval[string](b, `document.querySelector(".cm-lintRange-error").closest(".cm-line").textContent`), `"evaluatorType": "value-param-nope"`)
	b.shot("dry-run-refused")
	b.do(chromedp.Evaluate[chromedp.Void](`window.fetch = window.realFetch`))
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))
	b.waitFor(`document.querySelector("[data-designer]").dataset.validated === "valid" && !document.querySelector(".cm-lintRange-error") && document.querySelector("[data-diagnostics]").hidden`, 5*time.Second)

	// Start, the text being version 1: by name and version.
	setRunField(b, "[data-run-input]", `{"n": 2, "kind": "b"}`)
	setRunField(b, "[data-run-correlation]", "from-designer")
	b.do(chromedp.Click(`[data-run-start]`))
	b.waitFor(`location.pathname.startsWith("/executions/")`, 10*time.Second)
	id := eval[string](b, `decodeURIComponent(location.pathname.slice("/executions/".length))`)
	require.Eventually(t, func() bool { return execution(t, srv.URL(), id)["status"] == "COMPLETED" }, 10*time.Second, 50*time.Millisecond)
	wf := execution(t, srv.URL(), id)
	require.Equal(t, "from-designer", wf["correlationId"])
	require.EqualValues(t, 1, wf["workflowVersion"])
	require.EqualValues(t, 4, wf["output"].(map[string]any)["doubled"])

	// Changed text starts inline; a refusal is shown and keeps everything.
	openDesigner(t, b, "/designer/runnable/1")
	edit(b, `"$.n * 2`, ` + 1`)
	b.do(chromedp.Click(`[data-run]`))
	setRunField(b, "[data-run-input]", `{"n": 2, "kind": "b", "huge": 9007199254740993}`)
	edit(b, `"value-param`, `-nope`)
	b.do(chromedp.Click(`[data-run-start]`))
	b.waitFor(`!document.querySelector("[data-run-error]").hidden`, 5*time.Second)
	require.Contains(t, eval[string](b, `document.querySelector("[data-run-error]").textContent`), "Not started:")
	require.Contains(t, eval[string](b, `document.querySelector("[data-run-error]").textContent`), "evaluatorType")
	require.Contains(t, eval[string](b, editorText), `"value-param-nope"`)
	b.shot("start-refused")
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))
	// Started with unsaved text, the page asks before it opens the
	// execution. Declined: the page and its text stay, and link to it.
	edited := eval[string](b, editorText)
	answerConfirm(b, false)
	b.do(chromedp.Click(`[data-run-start]`))
	b.waitFor(`document.querySelector("[data-execution]")`, 10*time.Second)
	kept := eval[string](b, `document.querySelector("[data-execution]").dataset.execution`)
	require.Equal(t, "/executions/"+kept, eval[string](b, `document.querySelector("[data-execution]").getAttribute("href")`))
	require.Equal(t, []string{"Execution " + kept + " started with the text as it is. The text's changes are not saved: open the execution and lose them?"}, eval[[]string](b, `window.asked`))
	require.Equal(t, "/designer/runnable/1", eval[string](b, `location.pathname`))
	require.Equal(t, edited, eval[string](b, editorText))
	require.Eventually(t, func() bool { return execution(t, srv.URL(), kept)["status"] == "COMPLETED" }, 10*time.Second, 50*time.Millisecond)
	b.shot("start-kept")
	// Accepted: the execution opens.
	answerConfirm(b, true)
	b.do(chromedp.Click(`[data-run-start]`))
	b.waitFor(`location.pathname.startsWith("/executions/")`, 10*time.Second)
	id = eval[string](b, `decodeURIComponent(location.pathname.slice("/executions/".length))`)
	require.NotEqual(t, kept, id)
	require.Eventually(t, func() bool { return execution(t, srv.URL(), id)["status"] == "COMPLETED" }, 10*time.Second, 50*time.Millisecond)
	status, raw := get(t, srv.URL()+"/api/workflow/"+id)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, raw, `"huge":9007199254740993`, "the input as written")
	require.Contains(t, raw, `"big":9007199254740993`, "the inline definition as written")
	wf = execution(t, srv.URL(), id)
	require.EqualValues(t, 5, wf["output"].(map[string]any)["doubled"], "the inline definition ran")
}

// TestDesignerNewWorkflowVersions: a new workflow's first save lists all
// of it as new; the picker appears once it has a version.
func TestDesignerNewWorkflowVersions(t *testing.T) {
	srv := batontest.New(t)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, "/designer")
	require.True(t, eval[bool](b, `document.querySelector("[data-version-picker]").closest("label").hidden`))
	openSaveDialog(b)
	require.Contains(t, eval[string](b, `document.querySelector("dialog[data-save-diff]").textContent`), "A new workflow:")
	require.Equal(t, []string{"Added wait_for_signal (WAIT) at /tasks/0"},
		eval[[]string](b, `[...document.querySelectorAll("dialog[data-save-diff] li[data-diff=added]")].map(li => li.textContent)`))
	confirmSave(b, 1)
	b.waitFor(`!document.querySelector("[data-version-picker]").closest("label").hidden`, 5*time.Second)
	require.Equal(t, "1", eval[string](b, `document.querySelector("[data-version-picker]").value`))
	require.False(t, eval[bool](b, `(() => { const e = new Event("beforeunload", {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; })()`), "saved: nothing to lose")
}
