package ui_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// TestUploadPluginFromPage: a module dropped onto the plugins page with its
// manifest is uploaded, listed with its task type, and runs a workflow.
func TestUploadPluginFromPage(t *testing.T) {
	module := wasmtest.BuildGo(t, "../../../plugins/hash")
	manifest, err := os.ReadFile("../../../plugins/hash/plugin.json")
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "hash.wasm")
	require.NoError(t, os.WriteFile(file, module, 0o644))

	// The compilation cache the wasm tests fill: a cold compile of a Go
	// module under the race detector takes most of a minute.
	srv, err := batontest.Start(batontest.Options{DataDir: t.TempDir(), PluginCacheDir: wasmtest.CacheDir()})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	c := srv.Client()
	b := newBrowser(t, srv.URL())
	b.open("/plugins")
	b.do(chromedp.SetUploadFiles(`input[name=module]`, []string{file}))
	// Drop the chosen file onto the drop zone, as a person dragging it
	// from their desktop does: the input must hold it afterwards.
	b.do(chromedp.Evaluate[chromedp.Void](`(() => {
		const input = document.querySelector("input[name=module]");
		const dt = new DataTransfer();
		dt.items.add(input.files[0]);
		input.value = "";
		document.querySelector("[data-dropzone]").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`))
	require.Equal(t, 1, eval[int](b, `document.querySelector("input[name=module]").files.length`))
	require.Equal(t, "hash", eval[string](b, `document.querySelector("input[name=name]").value`), "the name comes from the file's")
	b.do(
		chromedp.Click(`#plugin-upload details summary`),
		chromedp.SetValue(`textarea[name=manifest]`, string(manifest)),
		chromedp.Click(`#plugin-upload button[type=submit]`),
	)
	b.waitFor(`document.querySelector("#upload-result").textContent.includes("uploaded hash v1")`, 90*time.Second)
	b.waitFor(`document.querySelector("[data-plugin=hash]")?.textContent.includes("HASH_FIELDS")`, 10*time.Second)
	b.shot("uploaded")

	def := &workflow.WorkflowDef{Name: "hashing", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{{
		Name: "h", TaskReferenceName: "h", Type: "HASH_FIELDS",
		InputParameters: map[string]any{"fields": []any{"email"}, "email": "${workflow.input.email}"},
	}}}
	id := start(t, c, def, "", map[string]any{"email": "ada@example.com"})
	require.Eventually(t, func() bool {
		w, err := c.Workflow(t.Context(), id, false)
		return err == nil && w.Status == workflow.StatusCompleted
	}, 30*time.Second, 20*time.Millisecond)

	b.open("/executions/" + id)
	require.Equal(t, "COMPLETED", eval[string](b, `document.querySelector("h1 [data-workflow-id]").dataset.status`))
	sum := sha256.Sum256([]byte("ada@example.com"))
	require.Contains(t, eval[string](b, `document.body.textContent`), hex.EncodeToString(sum[:]), "the task's output is on the page")
	b.open("/plugins")
	require.Contains(t, eval[string](b, `document.querySelector("[data-plugin=hash]").textContent`), "hashing v1", "the plugin lists where it is used")
}
