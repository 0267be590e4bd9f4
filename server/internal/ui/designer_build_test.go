package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// The designer's whole purpose, in a browser: build a workflow from the
// palette, with the mouse only and then with the keyboard only, save it
// and run what was stored: a FORK whose branches hold a SWITCH and a
// DO_WHILE around a Wasm plugin's task.

// designerServer starts a server with the C example plugin (task type
// C_UPPER) uploaded and enabled.
func designerServer(t *testing.T) *batontest.Server {
	t.Helper()
	module := wasmtest.BuildC(t, nil, "../../../plugins/cexample/main.c")
	manifest, err := os.ReadFile("../../../plugins/cexample/plugin.json")
	require.NoError(t, err)
	srv, err := batontest.Start(batontest.Options{DataDir: t.TempDir(), PluginCacheDir: wasmtest.CacheDir()})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	_, _, err = srv.Client().PushPlugin(t.Context(), module, manifest)
	require.NoError(t, err)
	return srv
}

// slotIn is a selector of the first slot whose path starts with prefix.
func slotIn(prefix string) string {
	return fmt.Sprintf(`[data-canvas] circle.slot[data-path^=%q]`, prefix)
}

// pathOfType is the pointer of the first node of a task type.
func pathOfType(b *browser, typ string) string {
	b.t.Helper()
	p := eval[string](b, fmt.Sprintf(`(() => {
		const d = window.batonDesigner.def, out = [];
		const walk = (tasks, at) => (tasks || []).forEach((t, i) => {
			const p = at + "/" + i;
			if (t.type === %q && out.length === 0) out.push(p);
			for (const [k, v] of Object.entries(t.decisionCases || {})) walk(v, p + "/decisionCases/" + k.replace(/~/g, "~0").replace(/\//g, "~1"));
			walk(t.defaultCase, p + "/defaultCase");
			(t.forkTasks || []).forEach((br, j) => walk(br, p + "/forkTasks/" + j));
			walk(t.loopOver, p + "/loopOver");
		});
		walk(d.tasks, "/tasks");
		return out[0] || "";
	})()`, typ))
	require.NotEmpty(b.t, p, "the definition has a %s task", typ)
	return p
}

// reveal scrolls the canvas so that an element shows (what the wheel or a
// pan does).
func reveal(b *browser, sel string) {
	b.t.Helper()
	require.True(b.t, eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.scrollIntoView({block: "center", inline: "center"}); return true; })()`, sel)), "no %s", sel)
}

// dropFromPalette drags a palette item onto a slot with the mouse.
func dropFromPalette(b *browser, typ, slot string) {
	b.t.Helper()
	before := eval[string](b, `window.batonDesigner.text`)
	item := fmt.Sprintf(`[data-palette] [data-palette-item][data-type=%q]`, typ)
	b.waitFor(fmt.Sprintf(`document.querySelector(%q)`, item), 15*time.Second)
	reveal(b, item)
	reveal(b, slot)
	b.do(chromedp.DragAndDrop(chromedp.CSS(item), chromedp.CSS(slot)))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.text !== %q`, before), 5*time.Second)
}

// checkBuilt checks the structure the builds make and runs it to the end.
func checkBuilt(t *testing.T, srv *batontest.Server, d *workflow.WorkflowDef) {
	t.Helper()
	require.Len(t, d.Tasks, 2, "a FORK_JOIN and its JOIN")
	fork := d.Tasks[0]
	require.Equal(t, workflow.TypeForkJoin, fork.Type)
	require.Equal(t, workflow.TypeJoin, d.Tasks[1].Type)
	require.GreaterOrEqual(t, len(fork.ForkTasks), 2)
	require.Equal(t, workflow.TypeSwitch, fork.ForkTasks[0][0].Type)
	require.Equal(t, workflow.TypeDoWhile, fork.ForkTasks[1][0].Type)
	loop := fork.ForkTasks[1][0]
	require.Equal(t, "C_UPPER", loop.LoopOver[0].Type, "the plugin's task first in the loop's body")
	body, err := json.Marshal(d)
	require.NoError(t, err)
	resp, err := http.Post(srv.URL()+"/api/metadata/workflow/validate", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the stored definition validates")

	c := srv.Client()
	id := start(t, c, d, "", map[string]any{"text": "baton"})
	var w *workflow.Workflow
	require.Eventually(t, func() bool {
		var err error
		w, err = c.Workflow(t.Context(), id, true)
		return err == nil && w.Status != workflow.StatusRunning
	}, 60*time.Second, 25*time.Millisecond)
	require.Equal(t, workflow.StatusCompleted, w.Status, "reason: %s", w.ReasonForIncompletion)
	ran := false
	for _, task := range w.Tasks {
		if task.TaskType == "C_UPPER" {
			ran = true
			require.Equal(t, "BATON", task.OutputData["upper"])
		}
	}
	require.True(t, ran, "the plugin's task ran")
}

// TestDesignerBuildWithMouse builds the workflow by dragging from the
// palette, saves it, runs what was stored, then undoes and redoes, and
// copies the loop into another workflow.
func TestDesignerBuildWithMouse(t *testing.T) {
	srv := designerServer(t)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, "/designer")

	// A press on a task released outside the canvas before it moved is no
	// drag: coming back over the canvas lifts nothing, a click moves nothing.
	at := eval[[]float64](b, `(() => { const r = document.querySelector('[data-canvas] g.node[data-path="/tasks/0"] rect').getBoundingClientRect(); return [r.x + 20, r.y + 10]; })()`)
	text := eval[string](b, `window.batonDesigner.text`)
	b.do(chromedp.MouseEvent(chromedp.MousePressed, at[0], at[1], chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, at[0], 5, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, at[0], 5, chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, at[0]+40, at[1]+80, chromedp.ButtonNone),
		chromedp.MouseEvent(chromedp.MouseMoved, at[0]+45, at[1]+120, chromedp.ButtonNone))
	require.False(t, eval[bool](b, `!!document.querySelector(".designer-ghost") || document.querySelector("[data-canvas]").classList.contains("moving-task")`), "nothing is lifted")
	b.do(chromedp.MouseClickXY(at[0]+45, at[1]+120))
	require.Equal(t, text, eval[string](b, `window.batonDesigner.text`))

	// The new workflow's placeholder task goes: select it, Delete.
	b.do(chromedp.Click(`[data-canvas] g.node[data-path="/tasks/0"] rect`))
	b.do(chromedp.Click(`[data-edit-bar] [data-delete]`))
	b.waitFor(`window.batonDesigner.def.tasks.length === 0`, 5*time.Second)

	dropFromPalette(b, "FORK_JOIN", `[data-canvas] circle.slot[data-path="/tasks/0"]`)
	fork := pathOfType(b, "FORK_JOIN")
	dropFromPalette(b, "SWITCH", slotIn(fork+"/forkTasks/0/"))
	dropFromPalette(b, "DO_WHILE", slotIn(fork+"/forkTasks/1/"))
	loop := pathOfType(b, "DO_WHILE")
	dropFromPalette(b, "C_UPPER", fmt.Sprintf(`[data-canvas] circle.slot[data-path=%q]`, loop+"/loopOver/0"))
	// A new case of the SWITCH and a new branch of the FORK, each made by
	// dropping a task on the slot beside the operator.
	sw := pathOfType(b, "SWITCH")
	dropFromPalette(b, "SET_VARIABLE", fmt.Sprintf(`[data-canvas] circle.slot[data-path=%q]`, sw+"/decisionCases"))
	require.Equal(t, 2, eval[int](b, fmt.Sprintf(`Object.keys(window.batonDesigner.def.tasks[0].forkTasks[0][0].decisionCases).length`)))
	dropFromPalette(b, "INLINE", fmt.Sprintf(`[data-canvas] circle.slot[data-path=%q]`, fork+"/forkTasks"))
	require.Equal(t, 3, eval[int](b, `window.batonDesigner.def.tasks[0].forkTasks.length`))
	b.waitFor(`document.querySelector("[data-designer]").dataset.validated === "valid"`, 10*time.Second)
	b.shot("built")
	saveVersion(b, 1)
	checkBuilt(t, srv, storedDef(t, srv.URL(), "new_workflow"))

	// Undo takes the last drops out, one each; redo puts them back.
	built := eval[string](b, `window.batonDesigner.text`)
	upper := `[data-canvas] g.node[data-id="c_upper"]`
	b.do(chromedp.Click(`[data-edit-bar] [data-undo]`))
	b.waitFor(`window.batonDesigner.def.tasks[0].forkTasks.length === 2`, 5*time.Second)
	b.do(chromedp.Click(`[data-edit-bar] [data-undo]`), chromedp.Click(`[data-edit-bar] [data-undo]`))
	b.waitFor(fmt.Sprintf(`!document.querySelector(%q)`, upper), 5*time.Second)
	require.NotContains(t, eval[string](b, `window.batonDesigner.text`), "C_UPPER")
	b.do(chromedp.Click(`[data-edit-bar] [data-redo]`))
	b.waitFor(fmt.Sprintf(`!!document.querySelector(%q)`, upper), 5*time.Second)
	b.do(chromedp.Click(`[data-edit-bar] [data-redo]`), chromedp.Click(`[data-edit-bar] [data-redo]`))
	b.waitFor(`window.batonDesigner.def.tasks[0].forkTasks.length === 3`, 5*time.Second)
	require.Equal(t, built, eval[string](b, `window.batonDesigner.text`))

	// Copy the loop, with the task in it, into another workflow that
	// already uses the loop's reference name: the pasted block's names are
	// made unique, its loop condition follows the new name, and it runs.
	loopRef := eval[string](b, fmt.Sprintf(`window.batonDesigner.def.tasks[0].forkTasks[1][0].taskReferenceName`))
	// Click the loop's header (its middle is its body's tasks).
	header := eval[[]float64](b, fmt.Sprintf(`(() => { const r = document.querySelector('[data-canvas] g.node[data-path=%q] > rect').getBoundingClientRect(); return [r.x + 30, r.y + 10]; })()`, loop))
	b.do(chromedp.MouseClickXY(header[0], header[1]))
	require.Equal(t, loop, eval[string](b, `window.batonDesigner.selection`))
	// The copy goes to the system clipboard (the browser lets this origin
	// read and write it, as a person's would after a prompt).
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted, Origin: srv.URL()})
		require.NoError(t, err)
	}
	b.do(chromedp.Click(`[data-edit-bar] [data-copy]`))
	b.waitFor(`document.querySelector("[data-designer]").dataset.copied`, 5*time.Second)
	clip, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Contains(t, clip, `{"batonClipboard":1,"tasks":[`)
	require.Contains(t, clip, `"C_UPPER"`)
	registerRaw(t, srv.URL(), fmt.Sprintf(`{"name": "other", "version": 1, "schemaVersion": 2, "tasks": [
		{"name": "%[1]s", "taskReferenceName": "%[1]s", "type": "SET_VARIABLE", "inputParameters": {"seen": true}}]}`, loopRef))
	openDesigner(t, b, "/designer/other/1")
	// What this origin keeps for browsers that refuse the clipboard is
	// dropped: the paste reads the system clipboard.
	b.do(chromedp.Evaluate[chromedp.Void](`localStorage.clear()`))
	b.do(chromedp.Click(`[data-canvas] circle.slot[data-path="/tasks/1"]`))
	b.do(chromedp.Click(`[data-edit-bar] [data-paste]`))
	b.waitFor(`window.batonDesigner.def.tasks.length === 2`, 5*time.Second)
	b.waitFor(`document.querySelector("[data-designer]").dataset.validated === "valid"`, 10*time.Second)
	b.shot("pasted")

	// Drag the pasted loop, by its header, with all it holds, to the top:
	// it moves, names unchanged.
	from := eval[[]float64](b, `(() => { const r = document.querySelector('[data-canvas] g.node[data-path="/tasks/1"] > rect').getBoundingClientRect(); return [r.x + 30, r.y + 10]; })()`)
	to := eval[[]float64](b, `(() => { const r = document.querySelector('[data-canvas] circle.slot[data-path="/tasks/0"]').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	b.do(chromedp.DragAndDropXY(from[0], from[1], to[0], to[1]))
	b.waitFor(`window.batonDesigner.def.tasks[1].type === "SET_VARIABLE"`, 5*time.Second)
	require.Equal(t, "/tasks/0", eval[string](b, `window.batonDesigner.selection`), "the moved block stays selected")
	require.False(t, eval[bool](b, `!!document.querySelector(".designer-ghost")`), "the ghost is gone")
	b.waitFor(`document.querySelector("[data-designer]").dataset.validated === "valid"`, 10*time.Second)
	saveVersion(b, 2)
	other := storedDef(t, srv.URL(), "other")
	require.Equal(t, loopRef, other.Tasks[1].TaskReferenceName)
	pasted := other.Tasks[0]
	require.Equal(t, workflow.TypeDoWhile, pasted.Type)
	require.NotEqual(t, loopRef, pasted.TaskReferenceName, "the pasted loop's name is made unique")
	require.Contains(t, pasted.LoopCondition, pasted.TaskReferenceName, "its condition follows its new name")
	require.NotContains(t, pasted.LoopCondition, "$."+loopRef+"[")
	require.Equal(t, "C_UPPER", pasted.LoopOver[0].Type)
	c := srv.Client()
	id := start(t, c, other, "", map[string]any{"text": "x"})
	require.Eventually(t, func() bool {
		w, err := c.Workflow(t.Context(), id, false)
		return err == nil && w.Status == workflow.StatusCompleted
	}, 60*time.Second, 25*time.Millisecond)

	// Editing the JSON redraws the canvas; breaking it says where.
	edit(b, `"tasks": [`, "\n    {\"name\": \"typed\", \"taskReferenceName\": \"typed\", \"type\": \"WAIT\"},")
	b.waitFor(`document.querySelector('[data-canvas] g.node[data-id="typed"]')`, 5*time.Second)
	edit(b, `"taskReferenceName": "typed"`, `,,`)
	b.waitFor(`document.querySelector("[data-designer]").dataset.state === "invalid-json"`, 5*time.Second)
	require.Contains(t, eval[string](b, `document.querySelector("[data-message]").textContent`), "The JSON is invalid at line")
	// While it is invalid the diagram refuses edits, and says why.
	b.do(chromedp.Click(`[data-canvas] g.node[data-id="typed"] rect`))
	b.do(chromedp.Click(`[data-edit-bar] [data-delete]`))
	require.Contains(t, eval[string](b, `document.querySelector("[data-message]").textContent`), "mend it in the editor")
	require.Contains(t, eval[string](b, `window.batonDesigner.text`), `"typed",,`)
}

// tabTo moves the focus within the canvas to an element with Tab, or with
// Shift+Tab when Tab leaves the canvas first (the element is behind).
func tabTo(b *browser, sel string) {
	b.t.Helper()
	inCanvas := `!!document.activeElement?.closest("[data-canvas]")`
	for range 100 {
		if eval[bool](b, fmt.Sprintf(`!!document.activeElement?.matches(%q)`, sel)) {
			return
		}
		b.do(chromedp.KeyEvent(kb.Tab))
		if !eval[bool](b, inCanvas) {
			pressUntil(b, kb.Tab, sel, chromedp.KeyModifiers(chromedp.ModifierShift))
			return
		}
	}
	b.t.Fatalf("Tab never focused %s", sel)
}

// pressUntil presses a key until the focused element matches a selector.
func pressUntil(b *browser, key, sel string, opts ...chromedp.KeyOption) {
	b.t.Helper()
	for range 200 {
		if eval[bool](b, fmt.Sprintf(`!!document.activeElement?.matches(%q)`, sel)) {
			return
		}
		b.do(chromedp.KeyEvent(key, opts...))
	}
	b.shot("failed")
	b.t.Fatalf("pressing %q never focused %s (focus on %s)", key, sel, eval[string](b, `document.activeElement?.outerHTML.slice(0, 120) || "nothing"`))
}

// addWithKeyboard: on a slot, Enter opens the palette's search; typing a
// type and Enter adds it there.
func addWithKeyboard(b *browser, slot, typ string) {
	b.t.Helper()
	tabTo(b, slot)
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`document.activeElement?.matches("[data-palette-search]")`, 5*time.Second)
	before := eval[string](b, `window.batonDesigner.text`)
	b.do(chromedp.KeyEvent(typ), chromedp.KeyEvent(kb.Enter))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.text !== %q`, before), 5*time.Second)
	b.waitFor(`document.activeElement?.matches("[data-canvas] g.node")`, 5*time.Second)
}

// TestDesignerBuildWithKeyboard makes the same workflow with keys only.
func TestDesignerBuildWithKeyboard(t *testing.T) {
	srv := designerServer(t)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, "/designer")
	b.waitFor(`document.querySelector('[data-palette-item][data-type="C_UPPER"]')`, 15*time.Second)

	// Tab into the canvas to the placeholder task and delete it; the
	// focus stays where it was, on the slot now empty.
	pressUntil(b, kb.Tab, `[data-canvas] g.node[data-path="/tasks/0"]`)
	b.do(chromedp.KeyEvent(kb.Delete))
	b.waitFor(`window.batonDesigner.def.tasks.length === 0`, 5*time.Second)
	require.True(t, eval[bool](b, `document.activeElement.matches('circle.slot[data-path="/tasks/0"]')`))

	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`document.activeElement?.matches("[data-palette-search]")`, 5*time.Second)
	b.do(chromedp.KeyEvent("FORK_JOIN"), chromedp.KeyEvent(kb.Enter))
	b.waitFor(`window.batonDesigner.def.tasks.length === 2`, 5*time.Second)
	fork := pathOfType(b, "FORK_JOIN")
	addWithKeyboard(b, slotIn(fork+"/forkTasks/0/"), "SWITCH")
	addWithKeyboard(b, slotIn(fork+"/forkTasks/1/"), "DO_WHILE")
	loop := pathOfType(b, "DO_WHILE")
	addWithKeyboard(b, fmt.Sprintf(`[data-canvas] circle.slot[data-path=%q]`, loop+"/loopOver/0"), "C_UPPER")
	b.shot("built")

	// Undo and redo from the keyboard, on the canvas.
	built := eval[string](b, `window.batonDesigner.text`)
	b.do(chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.text !== %q`, built), 5*time.Second)
	require.NotContains(t, eval[string](b, `window.batonDesigner.text`), "C_UPPER")
	b.do(chromedp.KeyEvent("Z", chromedp.KeyModifiers(chromedp.ModifierCtrl, chromedp.ModifierShift)))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.text === %q`, built), 5*time.Second)

	// Ctrl+D duplicates the focused task, with a name of its own; Alt+Up
	// moves it back above the original; two undos leave the build as it was.
	tabTo(b, `[data-canvas] g.node[data-id="c_upper"]`)
	b.do(chromedp.KeyEvent("d", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(`window.batonDesigner.text.includes('"c_upper_2"')`, 5*time.Second)
	require.True(t, eval[bool](b, `document.activeElement.matches('[data-canvas] g.node[data-id="c_upper_2"]')`), "the copy has the focus")
	b.do(chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.def.tasks[0].forkTasks[1][0].loopOver[0].taskReferenceName === "c_upper_2"`), 5*time.Second)
	b.do(chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.text === %q`, built), 5*time.Second)

	// Ctrl+C on the loop and Ctrl+V on the slot after the fork paste a
	// copy with names of its own; Ctrl+Z takes it back.
	tabTo(b, fmt.Sprintf(`[data-canvas] g.node[data-path=%q]`, loop))
	b.do(chromedp.KeyEvent("c", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(`document.querySelector("[data-designer]").dataset.copied`, 5*time.Second)
	tabTo(b, `[data-canvas] circle.slot[data-path="/tasks/2"]`)
	b.do(chromedp.KeyEvent("v", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(`window.batonDesigner.def.tasks.length === 3 && window.batonDesigner.def.tasks[2].taskReferenceName === "loop_2"`, 5*time.Second)
	b.do(chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.text === %q`, built), 5*time.Second)

	// Ctrl+X cuts the plugin's task; Ctrl+V on the slot it left puts it
	// back under its own name; two undos restore the text.
	body := `window.batonDesigner.def.tasks[0].forkTasks[1][0].loopOver`
	tabTo(b, `[data-canvas] g.node[data-id="c_upper"]`)
	upperPath := eval[string](b, `document.activeElement.dataset.path`)
	b.do(chromedp.KeyEvent("x", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(body+`.every(t => t.type !== "C_UPPER")`, 5*time.Second)
	require.True(t, eval[bool](b, fmt.Sprintf(`document.activeElement.matches('circle.slot[data-path=%q]')`, upperPath)), "the focus is where the task was")
	b.do(chromedp.KeyEvent("v", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(body+`[0].taskReferenceName === "c_upper"`, 5*time.Second)
	b.do(chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(fmt.Sprintf(`window.batonDesigner.text === %q`, built), 5*time.Second)

	// Ctrl+S saves; the confirmation takes Enter.
	b.waitFor(`document.querySelector("[data-designer]").dataset.validated === "valid"`, 10*time.Second)
	b.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitFor(`document.querySelector("dialog[data-save-diff][open]")`, 5*time.Second)
	require.True(t, eval[bool](b, `document.activeElement.matches("dialog[data-save-diff][open] button[value=save]")`), "the dialog's Save has the focus")
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`document.querySelector("[data-saved-version]")?.dataset.savedVersion === "1"`, 10*time.Second)
	d := storedDef(t, srv.URL(), "new_workflow")
	checkBuilt(t, srv, d)
	require.False(t, strings.Contains(eval[string](b, `document.body.textContent`), "Not saved"))
}
