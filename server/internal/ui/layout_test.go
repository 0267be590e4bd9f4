package ui_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
)

// TestReadableOnAPhone: at a phone's width no page scrolls sideways as a
// whole (wide tables and diagrams scroll inside their own boxes).
func TestReadableOnAPhone(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	id := start(t, c, stepsDef(t, c, "phone", 0), "order-77", map[string]any{"customer": "ada"})
	b := newBrowser(t, srv.URL())
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
	for name, path := range map[string]string{
		"overview": "/", "executions": "/executions", "execution": "/executions/" + id,
		"definition": "/definitions/phone/1", "queues": "/queues", "plugins": "/plugins",
	} {
		b.open(path)
		overflow := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`)
		require.LessOrEqual(t, overflow, 1, "%s scrolls sideways by %d px", path, overflow)
		b.shot("phone-" + name)
	}
}

// TestKeyboard: the execution page works from the keyboard: a diagram
// node takes the focus with Tab and opens its task with Enter.
func TestKeyboard(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	id := start(t, c, stepsDef(t, c, "keys", 0), "", nil)
	b := newBrowser(t, srv.URL())
	b.open("/executions/" + id)
	tabs := 0
	for ; tabs < 60; tabs++ {
		b.do(chromedp.KeyEvent("\t"))
		if eval[bool](b, `!!document.activeElement.closest(".diagram [data-task-id]")`) {
			break
		}
	}
	require.Less(t, tabs, 60, "Tab never reached a diagram node")
	require.Equal(t, "one", eval[string](b, `document.activeElement.dataset.taskRef`))
	require.NotEmpty(t, eval[string](b, `document.activeElement.getAttribute("aria-label")`))
	b.do(chromedp.KeyEvent("\r"))
	b.waitFor(`document.querySelector("#task-panel h2")?.textContent === "one"`, 10*time.Second)
	b.shot("task-panel")
}
