package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// inspectorDef has a SWITCH, an HTTP task with an integer beyond 2^53 in
// its input, and a workflow input to complete.
const inspectorDef = `{
  "name": "inspected",
  "version": 1,
  "schemaVersion": 2,
  "inputParameters": ["url", "kind"],
  "tasks": [
    {"name": "first", "taskReferenceName": "first", "type": "WAIT"},
    {
      "name": "pick",
      "taskReferenceName": "pick",
      "type": "SWITCH",
      "evaluatorType": "value-param",
      "expression": "kind",
      "inputParameters": {"kind": "${workflow.input.kind}"},
      "decisionCases": {
        "a": [{"name": "on_a", "taskReferenceName": "on_a", "type": "WAIT"}]
      },
      "defaultCase": []
    },
    {
      "name": "fetch",
      "taskReferenceName": "fetch",
      "type": "HTTP",
      "inputParameters": {
        "http_request": {"method": "GET", "uri": "https://example.com"},
        "big": 9007199254740993
      }
    }
  ]
}`

const inspector = `document.querySelector("[data-inspector]")`

// field is the selector of the inspector's control for the value at a
// JSON pointer, keyField of the one for a member's name.
func field(ptr string) string {
	return fmt.Sprintf(`[data-inspector] [data-bind]:not([data-bind=key])[data-ptr=%q]`, ptr)
}

func keyField(ptr string) string {
	return fmt.Sprintf(`[data-inspector] [data-bind=key][data-ptr=%q]`, ptr)
}

// typeInto replaces a field's text by typing, as a person does: focus,
// select all, type, then Enter (which commits an input).
func typeInto(b *browser, sel, text string) {
	b.t.Helper()
	b.do(chromedp.Focus(sel), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).select()`, sel)),
		chromedp.SendKeys(sel, text), chromedp.SendKeys(sel, kb.Enter))
}

func fieldValue(b *browser, sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.querySelector(%q).value`, sel))
}

// shotInspector takes a screenshot with the whole inspector in it (it
// scrolls within the page's side pane otherwise), then restores the pane.
func shotInspector(b *browser, name string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".designer-side").style.height = "auto"; document.querySelector("[data-inspector]").style.maxHeight = "none"`))
	b.shot(name)
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".designer-side").style.height = ""; document.querySelector("[data-inspector]").style.maxHeight = ""`))
}

func selectTask(b *browser, ref string) {
	b.t.Helper()
	b.do(chromedp.Click(fmt.Sprintf(`[data-canvas] g.node[data-id=%q] > text`, ref)))
	b.waitFor(fmt.Sprintf(`%s.querySelector("h2")?.textContent.endsWith(%q)`, inspector, " "+ref), 5*time.Second)
}

// TestInspectorSwitch: the SWITCH's form renames and adds cases and
// changes the expression; the JSON and the canvas's lane labels follow,
// each change is one undo step and the form shows what undo restores.
func TestInspectorSwitch(t *testing.T) {
	_, b := designerOn(t, inspectorDef, "/designer/inspected/1")
	require.Contains(t, eval[string](b, inspector+`.textContent`), "Workflow", "with nothing selected, the workflow's fields")
	require.Equal(t, "inspected", fieldValue(b, field("/name")))
	require.Equal(t, "url", fieldValue(b, field("/inputParameters/0")))
	shotInspector(b, "workflow")

	selectTask(b, "pick")
	require.Equal(t, "SWITCH", eval[string](b, inspector+`.querySelector(".insp-type").textContent`))
	require.Equal(t, "value-param", fieldValue(b, field("/tasks/1/evaluatorType")))
	require.Contains(t, eval[string](b, inspector+`.textContent`), "default")

	// Rename case a: the JSON's member and the canvas's lane label change.
	// (The server stores definitions pretty-printed: the page opens that.)
	typeInto(b, keyField("/tasks/1/decisionCases/a"), "card")
	b.waitFor(editorText+`.includes('"card": [\n          {\n            "name": "on_a"')`, 5*time.Second)
	require.NotContains(t, eval[string](b, editorText), `"a": [`)
	lanes := `Array.from(document.querySelectorAll("[data-canvas] svg text.label"), t => t.textContent)`
	require.Contains(t, eval[[]string](b, lanes), "card")
	require.NotContains(t, eval[[]string](b, lanes), "a")
	require.Equal(t, "/tasks/1", eval[string](b, `window.batonDesigner.selection`), "the SWITCH stays selected")

	// Add a case: a new member with an empty lane, its name's field focused.
	b.do(chromedp.Click(`[data-inspector] button[data-action="add-case"]`))
	b.waitFor(editorText+`.includes('"case1": []')`, 5*time.Second)
	require.Equal(t, "/tasks/1/decisionCases/case1", eval[string](b, `document.activeElement.dataset.ptr`))
	b.do(chromedp.SendKeys(keyField("/tasks/1/decisionCases/case1"), "cash"+kb.Enter))
	b.waitFor(editorText+`.includes('"cash": []')`, 5*time.Second)
	require.Contains(t, eval[[]string](b, lanes), "cash")
	require.Contains(t, eval[string](b, editorText), "        ],\n        \"cash\": []\n      }\n",
		"the new case is written like its siblings")

	// Change the expression.
	typeInto(b, field("/tasks/1/expression"), "method")
	b.waitFor(editorText+`.includes('"expression": "method"')`, 5*time.Second)
	shotInspector(b, "switch")

	// Undo reverts the last form edit, and the form shows the old value.
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))
	require.Contains(t, eval[string](b, editorText), `"expression": "kind"`)
	require.Equal(t, "kind", fieldValue(b, field("/tasks/1/expression")))
	require.True(t, eval[bool](b, `window.batonDesigner.undo()`))
	require.NotContains(t, eval[string](b, editorText), `"cash"`, "one undo step per committed change")
	require.Contains(t, eval[string](b, editorText), `"case1": []`)
	require.Equal(t, "case1", fieldValue(b, keyField("/tasks/1/decisionCases/case1")))

	// Remove a case.
	b.do(chromedp.Click(`[data-inspector] button[data-action="remove"][data-ptr="/tasks/1/decisionCases/case1"]`))
	b.waitFor(`!`+editorText+`.includes('"case1"')`, 5*time.Second)
	require.Contains(t, eval[string](b, editorText), "          }\n        ]\n      }\n    },\n", "the text is as it was before the case was added")
}

// TestInspectorHTTP: a field is set by typing with ${ completion; the
// stored definition has it, and an integer beyond 2^53 in another input
// survives; the form follows an edit of the JSON and keeps the focused
// field's uncommitted text.
func TestInspectorHTTP(t *testing.T) {
	srv, b := designerOn(t, inspectorDef, "/designer/inspected/1")
	selectTask(b, "fetch")
	uri := field("/tasks/2/inputParameters/http_request/uri")
	require.Equal(t, "https://example.com", fieldValue(b, uri))
	big := field("/tasks/2/inputParameters/big")
	require.Equal(t, "9007199254740993", fieldValue(b, big), "a number shows as written")
	require.True(t, eval[bool](b, fmt.Sprintf(`document.querySelector(%q).classList.contains("raw")`, big)))

	// Type ${ : the list offers what is valid here, filtering as one types.
	b.do(chromedp.Focus(uri), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).select()`, uri)), chromedp.SendKeys(uri, "${"))
	popup := `document.querySelector("[data-insp-complete]")`
	b.waitFor(`!`+popup+`.hidden`, 5*time.Second)
	offered := eval[[]string](b, `Array.from(document.querySelectorAll("[data-insp-complete] li code"), c => c.textContent)`)
	require.Contains(t, offered, "${workflow.input.url}")
	require.Contains(t, offered, "${pick.output.selectedCase}")
	require.Contains(t, offered, "${first.output}")
	require.Contains(t, offered, "${on_a.output}", "a task inside a case of an earlier SWITCH (null when its case was not taken)")
	require.NotContains(t, offered, "${fetch.output}", "not the task itself")
	b.shot("completion")
	b.do(chromedp.SendKeys(uri, kb.Escape))
	require.True(t, eval[bool](b, popup+`.hidden`), "Escape closes the list")
	b.do(chromedp.SendKeys(uri, "url"))
	b.waitFor(`document.querySelector("[data-insp-complete] li[aria-selected=true] code")?.textContent === "${workflow.input.url}"`, 5*time.Second)
	b.do(chromedp.SendKeys(uri, kb.Enter))
	require.True(t, eval[bool](b, popup+`.hidden`))
	require.Equal(t, "${workflow.input.url}", fieldValue(b, uri))
	b.do(chromedp.SendKeys(uri, kb.Enter))
	b.waitFor(editorText+`.includes('"uri": "${workflow.input.url}"')`, 5*time.Second)

	// The form follows an edit of the JSON at once; the focused field
	// keeps its caret and the text not yet committed.
	desc := field("/tasks/2/description")
	b.do(chromedp.Focus(desc), chromedp.SendKeys(desc, "calls it"))
	edit(b, `"http_request": {`, `"readTimeOut": 1234, `)
	b.waitFor(fmt.Sprintf(`document.querySelector(%q)?.value === "1234"`, field("/tasks/2/inputParameters/http_request/readTimeOut")), 5*time.Second)
	require.Equal(t, "/tasks/2/description", eval[string](b, `document.activeElement.dataset.ptr`))
	require.Equal(t, "calls it", fieldValue(b, desc))
	require.Equal(t, 8, eval[int](b, `document.activeElement.selectionStart`))
	b.do(chromedp.SendKeys(desc, kb.Enter))
	b.waitFor(editorText+`.includes('"description": "calls it"')`, 5*time.Second)
	shotInspector(b, "http")

	// Save: the stored definition has the edits and the large integer.
	saveVersion(b, 2)
	status, v2 := get(t, srv.URL()+"/api/metadata/workflow/inspected?version=2")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, v2, `"uri":"${workflow.input.url}"`)
	require.Contains(t, v2, `"big":9007199254740993`)
	require.Contains(t, v2, `"readTimeOut":1234`)
	require.Contains(t, v2, `"description":"calls it"`)

	// Dark theme.
	b.do(chromedp.Click(`[data-theme-toggle]`))
	b.waitFor(`document.documentElement.dataset.theme === "dark"`, 5*time.Second)
	shotInspector(b, "dark")
}

// TestInspectorInputParameters: key/value rows rename, edit, add and
// remove members; a rename offers to update the uses of a reference name;
// an unknown type says that no plugin implements it.
func TestInspectorInputParameters(t *testing.T) {
	_, b := designerOn(t, inspectorDef, "/designer/inspected/1")
	selectTask(b, "pick")
	typeInto(b, keyField("/tasks/1/inputParameters/kind"), "mode")
	b.waitFor(editorText+`.includes('"inputParameters": {\n        "mode": "${workflow.input.kind}"\n      },')`, 5*time.Second)
	b.do(chromedp.Click(`[data-inspector] button[data-action="add-member"][data-ptr="/tasks/1/inputParameters"]`))
	b.waitFor(editorText+`.includes('"mode": "${workflow.input.kind}",\n        "param1": ""\n      },')`, 5*time.Second)
	b.do(chromedp.SendKeys(keyField("/tasks/1/inputParameters/param1"), "limit"+kb.Tab))
	b.waitFor(editorText+`.includes('"limit": ""')`, 5*time.Second)
	require.Equal(t, "/tasks/1/inputParameters/limit", eval[string](b, `document.activeElement.dataset.ptr`), "Tab goes on to the renamed member's value")
	b.do(chromedp.KeyEvent("42" + kb.Enter))
	b.waitFor(editorText+`.includes('"limit": "42"')`, 5*time.Second)

	// Rename the first task's reference: the form offers to update its use.
	edit(b, `"http_request": {`, `"body": "${first.output}", `)
	selectTask(b, "first")
	typeInto(b, field("/tasks/0/taskReferenceName"), "waited")
	b.waitFor(`document.querySelector('[data-inspector] button[data-action="rename-uses"]')`, 5*time.Second)
	require.Contains(t, eval[string](b, inspector+`.textContent`), "1 expression still uses the old name first")
	b.do(chromedp.Click(`[data-inspector] button[data-action="rename-uses"]`))
	b.waitFor(editorText+`.includes('"body": "${waited.output}"')`, 5*time.Second)

	// A type that is not built in and that no plugin implements.
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const v = window.batonDesigner.editor, t = v.state.doc.toString(), at = t.indexOf('"type": "WAIT"');
		v.dispatch({changes: {from: at, to: at + 14, insert: '"type": "MY_PLUGIN_TYPE"'}});
	})()`))
	b.waitFor(inspector+`.textContent.includes("no plugin implements it")`, 5*time.Second)
	require.True(t, strings.Contains(eval[string](b, inspector+`.querySelector(".insp-type").textContent`), "MY_PLUGIN_TYPE"))
	shotInspector(b, "plugin")
}

// TestInspectorJSONCompletion: typing ${ in a string of the JSON editor
// offers the expressions valid at the task whose JSON the cursor is in.
func TestInspectorJSONCompletion(t *testing.T) {
	_, b := designerOn(t, inspectorDef, "/designer/inspected/1")
	// typeAt puts the editor's cursor after the first occurrence of find
	// and types text there with the keyboard.
	typeAt := func(find, text string) {
		t.Helper()
		require.True(t, eval[bool](b, fmt.Sprintf(`(() => {
			const v = window.batonDesigner.editor, at = v.state.doc.toString().indexOf(%q);
			if (at < 0) return false;
			v.focus();
			v.dispatch({selection: {anchor: at + %d}});
			return true;
		})()`, find, len(find))))
		b.do(chromedp.KeyEvent(text))
	}
	options := `Array.from(document.querySelectorAll(".cm-tooltip-autocomplete li"), li => li.querySelector(".cm-completionLabel").textContent)`

	typeAt(`"uri": "`, "${")
	b.waitFor(`document.querySelector(".cm-tooltip-autocomplete")`, 5*time.Second)
	got := eval[[]string](b, options)
	require.Contains(t, got, "${workflow.input.url}")
	require.Contains(t, got, "${pick.output.selectedCase}")
	require.Contains(t, got, "${on_a.output}")
	require.NotContains(t, got, "${fetch.output}", "not the task itself")
	b.shot("editor")
	b.do(chromedp.KeyEvent("input.url"))
	b.waitFor(`document.querySelector(".cm-tooltip-autocomplete .cm-completionLabel")?.textContent === "${workflow.input.url}"`, 5*time.Second)
	// (Enter accepts too, but CDP's Enter also sends a character event that
	// the page cannot cancel: a click is what a test can do cleanly.)
	b.do(chromedp.Click(`.cm-tooltip-autocomplete li[aria-selected=true]`))
	b.waitFor(editorText+`.includes('"uri": "${workflow.input.url}https://example.com"')`, 5*time.Second)

	// In the first task, nothing upstream but the workflow.
	typeAt(`"name": "first`, " ${")
	b.waitFor(`document.querySelector(".cm-tooltip-autocomplete")`, 5*time.Second)
	got = eval[[]string](b, options)
	require.Contains(t, got, "${workflow.input.kind}")
	for _, o := range got {
		require.True(t, strings.HasPrefix(o, "${workflow."), "%s offered in the first task", o)
	}
}

// TestInspectorServerData: what the form shows from the server: the plugin
// implementing a task type with its manifest's description, a SIMPLE
// task's definition, and its outputKeys among the completions downstream.
func TestInspectorServerData(t *testing.T) {
	srv := batontest.New(t)
	manifest := `{"name": "hash", "description": "Hashes fields of the task input", "taskTypes": ["HASH"]}`
	_, _, err := srv.Client().PushPlugin(context.Background(), wasmtest.Waiting("1"), []byte(manifest))
	require.NoError(t, err)
	resp, err := http.Post(srv.URL()+"/api/metadata/taskdefs", "application/json", strings.NewReader(
		`[{"name": "lookup", "description": "Looks the customer up", "inputKeys": ["email"], "outputKeys": ["customerId", "tier"]}]`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	registerRaw(t, srv.URL(), `{"name": "served", "version": 1, "schemaVersion": 2, "tasks": [
		{"name": "lookup", "taskReferenceName": "who", "type": "SIMPLE"},
		{"name": "h", "taskReferenceName": "h", "type": "HASH", "inputParameters": {"fields": ["email"]}}]}`)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, "/designer/served/1")

	selectTask(b, "h")
	b.waitFor(`document.querySelector("[data-inspector] [data-insp-plugin=hash]")`, 5*time.Second)
	require.Equal(t, "Implemented by the plugin hash v1: Hashes fields of the task input",
		eval[string](b, `document.querySelector("[data-inspector] [data-insp-plugin=hash]").textContent`))
	require.Equal(t, "[\n  \"email\"\n]", fieldValue(b, field("/tasks/1/inputParameters/fields")), "a list shows as its JSON, as written")

	// Completion downstream of the SIMPLE task offers its definition's outputKeys.
	sel := field("/tasks/1/inputParameters/fields")
	b.do(chromedp.Focus(sel), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).select()`, sel)), chromedp.SendKeys(sel, "${who.output."))
	b.waitFor(`!document.querySelector("[data-insp-complete]").hidden`, 5*time.Second)
	require.Equal(t, []string{"${who.output.customerId}", "${who.output.tier}"},
		eval[[]string](b, `Array.from(document.querySelectorAll("[data-insp-complete] li code"), c => c.textContent)`))
	// (A click picks: CDP's Enter would also type a newline into the text
	// area, which the page cannot cancel.) A text area commits when it
	// loses the focus.
	b.do(chromedp.SendKeys(sel, kb.ArrowDown), chromedp.Click(`[data-insp-complete] li[aria-selected=true]`), chromedp.KeyEvent(kb.Tab))
	b.waitFor(editorText+`.includes('"fields": "${who.output.tier}"')`, 5*time.Second)
	shotInspector(b, "plugin")

	selectTask(b, "who")
	require.Contains(t, eval[string](b, inspector+`.textContent`), "Looks the customer up")
	require.Contains(t, eval[string](b, inspector+`.textContent`), "Outputs: customerId, tier")
	require.Equal(t, "insp-taskdefs", eval[string](b, fmt.Sprintf(`document.querySelector(%q).getAttribute("list")`, field("/tasks/0/name"))))
	require.Equal(t, []string{"lookup"}, eval[[]string](b, `Array.from(document.querySelectorAll("#insp-taskdefs option"), o => o.value)`))
}

// TestInspectorCatalog: the palette and the inspector read one catalog
// (catalog.ts): drawing the form fetches nothing, even for a task whose
// type no plugin implements; a plugin uploaded after the page opened shows
// in both once the catalog is refreshed (here on visibilitychange), and
// each refresh asks for each list once.
func TestInspectorCatalog(t *testing.T) {
	srv := batontest.New(t)
	registerRaw(t, srv.URL(), `{"name": "other", "version": 1, "schemaVersion": 2, "tasks": [{"name": "n", "taskReferenceName": "n", "type": "NOOP"}]}`)
	registerRaw(t, srv.URL(), `{"name": "served", "version": 1, "schemaVersion": 2, "tasks": [
		{"name": "h", "taskReferenceName": "h", "type": "NOOP"}]}`)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, "/designer/served/1")
	// The workflow names come from names-and-versions.
	b.waitFor(`document.querySelectorAll("#insp-workflows option").length === 2`, 5*time.Second)
	require.Equal(t, []string{"other", "served"}, eval[[]string](b, `Array.from(document.querySelectorAll("#insp-workflows option"), o => o.value)`))
	b.do(chromedp.Evaluate[chromedp.Void](`window.__fetched = []; const f = window.fetch;
		window.fetch = (u, init) => { window.__fetched.push(String(u instanceof Request ? u.url : u).replace(location.origin, "")); return f(u, init); };`))
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const v = window.batonDesigner.editor, at = v.state.doc.toString().indexOf('"NOOP"');
		v.dispatch({changes: {from: at, to: at + 6, insert: '"HASH"'}});
	})()`))
	b.waitFor(`window.batonDesigner.def.tasks[0].type === "HASH"`, 5*time.Second)
	selectTask(b, "h")
	b.waitFor(inspector+`.textContent.includes("no plugin implements it")`, 5*time.Second)
	// Redraw the form many times, as if a minute had passed since the
	// page loaded: nothing is fetched.
	require.Empty(t, eval[[]string](b, `(() => {
		const d = window.batonDesigner, now = Date.now, before = window.__fetched.length;
		Date.now = () => now() + 60000;
		try {
			for (let i = 0; i < 20; i++) { d.select(""); d.select("/tasks/0"); }
		} finally {
			Date.now = now;
		}
		return window.__fetched.slice(before);
	})()`))

	manifest := `{"name": "hash", "description": "Hashes fields of the task input", "taskTypes": ["HASH"]}`
	_, _, err := srv.Client().PushPlugin(context.Background(), wasmtest.Waiting("1"), []byte(manifest))
	require.NoError(t, err)
	b.do(chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("visibilitychange"))`))
	b.waitFor(`document.querySelector("[data-inspector] [data-insp-plugin=hash]") && document.querySelector("[data-palette] [data-palette-item][data-type=HASH]")`, 10*time.Second)
	// (The designer's validation of the edit may fetch too: only the
	// catalog's lists are counted.)
	lists := []string{"/api/metadata/taskdefs", "/api/metadata/workflow/names-and-versions", "/baton.v1.PluginService/ListPlugins"}
	count := map[string]int{}
	for _, u := range eval[[]string](b, `window.__fetched`) {
		if slices.Contains(lists, u) || strings.HasPrefix(u, "/api/metadata/workflow") && !strings.HasSuffix(u, "/validate") {
			count[u]++
		}
	}
	n := count["/baton.v1.PluginService/ListPlugins"]
	require.GreaterOrEqual(t, n, 1)
	require.Equal(t, map[string]int{"/api/metadata/taskdefs": n, "/api/metadata/workflow/names-and-versions": n, "/baton.v1.PluginService/ListPlugins": n}, count,
		"each refresh fetches each list once, for the palette and the inspector both")
}

// TestInspectorEveryTask: the form draws every task of the engine's
// library of executable workflows (every task type Baton runs) without an
// exception, with its type and reference name in the heading and the
// task's own name and reference name in its fields.
func TestInspectorEveryTask(t *testing.T) {
	srv := batontest.New(t)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, "/designer")
	type drawn struct {
		Path, Heading, Type, Error     string
		Ref, RefField, Name, NameField any
	}
	types := map[string]bool{}
	n := 0
	for _, c := range engineLibrary(t) {
		for _, w := range c.Workflows {
			// Selecting draws the form synchronously (onSelect), so an
			// exception drawing it is thrown by select itself.
			seen := eval[[]drawn](b, fmt.Sprintf(`(() => {
				const d = window.batonDesigner;
				d.replaceText(%q, "load");
				const out = [];
				for (const n of document.querySelectorAll("[data-canvas] g.node[data-path]")) {
					const p = n.dataset.path, r = {Path: p};
					out.push(r);
					try {
						d.select(p);
					} catch (e) {
						r.Error = String(e && e.stack || e);
						continue;
					}
					const h = document.querySelector("[data-inspector] h2");
					r.Type = h.querySelector(".insp-type").textContent;
					r.Heading = h.textContent;
					// The task's own values, read from the text, and the fields'.
					const own = k => { const l = d.valueLocs.get(p + "/" + k); return l ? JSON.parse(d.text.slice(l.valueFrom, l.to)) : null; };
					const shown = k => document.querySelector('[data-inspector] [data-bind]:not([data-bind=key])[data-ptr="' + CSS.escape(p + "/" + k) + '"]')?.value ?? null;
					r.Ref = own("taskReferenceName"); r.RefField = shown("taskReferenceName");
					r.Name = own("name"); r.NameField = shown("name");
				}
				d.select("");
				return out;
			})()`, string(w)))
			for _, s := range seen {
				what := fmt.Sprintf("%s: %s", c.Name, s.Path)
				require.Empty(t, s.Error, what)
				require.Equal(t, s.Type+" "+fmt.Sprint(s.Ref), s.Heading, "%s: the heading is the type then the reference", what)
				require.Equal(t, s.Ref, s.RefField, "%s: the reference name field shows the task's", what)
				require.Equal(t, s.Name, s.NameField, "%s: the name field shows the task's", what)
				types[s.Type] = true
				n++
			}
		}
	}
	require.Greater(t, n, 100)
	for _, typ := range []string{"SIMPLE", "SWITCH", "DECISION", "FORK_JOIN", "JOIN", "DO_WHILE", "SUB_WORKFLOW", "HTTP", "INLINE",
		"JSON_JQ_TRANSFORM", "WAIT", "TERMINATE", "SET_VARIABLE", "EVENT", "HUMAN", "START_WORKFLOW", "FORK_JOIN_DYNAMIC", "DYNAMIC"} {
		require.True(t, types[typ], "the library has a %s task", typ)
	}
}

// TestInspectorRenameRefused: renaming a reference offers to update its
// uses only to a name that can take them; to an empty name, "workflow", a
// loop iteration's name or another task's name the form says why not and
// the uses stay.
func TestInspectorRenameRefused(t *testing.T) {
	_, b := designerOn(t, inspectorDef, "/designer/inspected/1")
	edit(b, `"http_request": {`, `"body": "${first.output}", `)
	selectTask(b, "first")
	ref := field("/tasks/0/taskReferenceName")
	refused := `(document.querySelector("[data-inspector] [data-insp-rename-refused]")?.textContent ?? "")`
	for name, why := range map[string]string{
		"pick":     "1 expression still uses the old name first; they are not updated, as pick is the reference name of the task at /tasks/1 too.",
		"workflow": `"workflow" is reserved for ${workflow...} expressions`,
		"first__2": "first__2 ends in __<number>, which names a loop's iterations",
		"":         "the new name is empty",
	} {
		typed := name
		if name == "" {
			typed = kb.Backspace
		}
		typeInto(b, ref, typed)
		b.waitFor(fmt.Sprintf(`%s.includes(%q)`, refused, why), 5*time.Second)
		require.False(t, eval[bool](b, `!!document.querySelector('[data-inspector] button[data-action="rename-uses"]')`), "%q: no offer", name)
		require.Contains(t, eval[string](b, editorText), `"body": "${first.output}"`, name)
		b.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.batonDesigner.undo()`))
		b.waitFor(fmt.Sprintf(`document.querySelector(%q).value === "first"`, ref), 5*time.Second)
	}
	typeInto(b, ref, "waited")
	b.waitFor(`document.querySelector('[data-inspector] button[data-action="rename-uses"]')`, 5*time.Second)
	require.Empty(t, eval[string](b, refused))
	b.do(chromedp.Click(`[data-inspector] button[data-action="rename-uses"]`))
	b.waitFor(editorText+`.includes('"body": "${waited.output}"')`, 5*time.Second)
}

// TestInspectorForkAndLoop: a fork's branches are added and removed, the
// JOIN after it says what it waits for; a loop's condition (a text area,
// committed when it loses the focus), its items and keepLastN are set; a
// number field refuses what is not a number and says so.
func TestInspectorForkAndLoop(t *testing.T) {
	srv := batontest.New(t)
	registerRaw(t, srv.URL(), `{"name": "forked", "version": 1, "schemaVersion": 2, "inputParameters": ["list"], "tasks": [
		{"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN", "forkTasks": [[{"name": "a", "taskReferenceName": "a", "type": "WAIT"}]]},
		{"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["a"]},
		{"name": "l", "taskReferenceName": "l", "type": "DO_WHILE", "loopCondition": "false",
		 "loopOver": [{"name": "b", "taskReferenceName": "b", "type": "WAIT"}]}]}`)
	b := newBrowser(t, srv.URL())
	openDesigner(t, b, "/designer/forked/1")

	selectTask(b, "f")
	require.Equal(t, "Joined by j, which waits for: a.", eval[string](b, `document.querySelector("[data-inspector] [data-insp-join]").textContent`))
	branches := `document.querySelectorAll("[data-inspector] [data-key^='branch#']").length`
	require.Equal(t, 1, eval[int](b, branches))
	b.do(chromedp.Click(`[data-inspector] button[data-action="add-branch"]`))
	b.waitFor(branches+` === 2`, 5*time.Second)
	require.Equal(t, 2, eval[int](b, `JSON.parse(`+editorText+`).tasks[0].forkTasks.length`))
	require.Contains(t, eval[string](b, editorText), "        ],\n        []\n      ]", "the new branch is written like the first")
	require.True(t, eval[bool](b, `!!document.querySelector('[data-canvas] circle.slot[data-path="/tasks/0/forkTasks/1/0"]')`), "the canvas draws the new branch's empty lane")
	b.do(chromedp.Click(`[data-inspector] button[data-action="remove"][data-ptr="/tasks/0/forkTasks/0"]`))
	b.waitFor(branches+` === 1`, 5*time.Second)
	require.Equal(t, `[[]]`, eval[string](b, `JSON.stringify(JSON.parse(`+editorText+`).tasks[0].forkTasks)`))

	selectTask(b, "j")
	require.Equal(t, "a", fieldValue(b, field("/tasks/1/joinOn/0")))

	selectTask(b, "l")
	cond := field("/tasks/2/loopCondition")
	require.Equal(t, "TEXTAREA", eval[string](b, fmt.Sprintf(`document.querySelector(%q).tagName`, cond)))
	b.do(chromedp.Focus(cond), chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).select()`, cond)),
		chromedp.SendKeys(cond, "$.l['iteration'] < 3"))
	require.Contains(t, eval[string](b, editorText), `"loopCondition": "false"`, "not committed while typing")
	typeInto(b, field("/tasks/2/inputParameters/keepLastN"), "2") // focus leaves the condition: it commits
	b.waitFor(editorText+`.includes('"loopCondition": "$.l[\'iteration\'] < 3"')`, 5*time.Second)
	b.waitFor(editorText+`.includes('"keepLastN": 2')`, 5*time.Second)
	typeInto(b, field("/tasks/2/inputParameters/items"), "${workflow.input.list}")
	b.waitFor(editorText+`.includes('"items": "${workflow.input.list}"')`, 5*time.Second)
	require.Contains(t, eval[string](b, editorText), "\"inputParameters\": {\n        \"keepLastN\": 2,\n        \"items\": \"${workflow.input.list}\"\n      }")

	before := eval[string](b, editorText)
	typeInto(b, field("/tasks/2/startDelay"), "soon")
	b.waitFor(`document.querySelector("[data-inspector] .insp-status.error")?.textContent.includes("want a number")`, 5*time.Second)
	require.Equal(t, before, eval[string](b, editorText), "nothing is written")
	shotInspector(b, "loop")
	require.Equal(t, "soon", fieldValue(b, field("/tasks/2/startDelay")), "what was typed stays, to be mended")
	require.Equal(t, "true", eval[string](b, fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-invalid")`, field("/tasks/2/startDelay"))))
	typeInto(b, field("/tasks/2/startDelay"), "5")
	b.waitFor(editorText+`.includes('"startDelay": 5')`, 5*time.Second)
	require.False(t, eval[bool](b, fmt.Sprintf(`document.querySelector(%q).hasAttribute("aria-invalid")`, field("/tasks/2/startDelay"))))
}
