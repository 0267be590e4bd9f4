package ui_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPaths are where Debian's chromium package puts the browser.
var chromiumPaths = []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium"}

// browser is a headless Chromium tab on a running server, for tests that
// drive the console as a person would.
type browser struct {
	t    testing.TB
	ctx  context.Context
	base string
}

// newBrowser starts Chromium with a tab open on nothing yet. Without
// Chromium the test is skipped, unless BATON_REQUIRE_CHROMIUM=1 (CI) makes
// that a failure. Confirmation dialogs are accepted.
func newBrowser(t testing.TB, base string) *browser {
	t.Helper()
	path := ""
	for _, p := range chromiumPaths {
		if _, err := exec.LookPath(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("BATON_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("Chromium is not installed (looked for %v) and BATON_REQUIRE_CHROMIUM=1", chromiumPaths)
		}
		t.Skip("Chromium is not installed: apt-get install chromium (set BATON_REQUIRE_CHROMIUM=1 to fail instead)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, base: strings.TrimSuffix(base, "/")}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

// do runs actions, failing the test on an error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shot("failed")
		b.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.shot("failed")
		b.t.Fatalf("browser: evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor waits until a JavaScript expression is true in the page. It
// evaluates it every 25 ms rather than with a page-side poll, so that it
// goes on across a navigation.
func (b *browser) waitFor(expr string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(25 * time.Millisecond)
	}
	b.shot("failed")
	b.t.Fatalf("browser: %s not true within %v (last error: %v)", expr, within, last)
}

// open navigates to a path of the server and waits for the page's body.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitReady("body"))
}

// shot saves a screenshot of the page as <test>-<name>.png under
// $BATON_SCREENSHOTS, or the system's temporary directory's
// baton-screenshots, so that a person can look at what the test saw.
func (b *browser) shot(name string) {
	dir := os.Getenv("BATON_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "baton-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Logf("screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", file)
}
