package ui_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/batonhq/baton/sdk/batontest"
)

// BenchmarkDesignerOpen measures how soon the designer is ready on a
// definition of 500 tasks: from the start of the navigation to the canvas
// drawn, the editor holding the text, the palette's built-in types listed
// and the inspector shown (the page's data-ready, performance.now()); the
// palette's task definitions and plugins arrive after, from the API. It
// also reports when the browser has rendered that (the page's
// data-painted: the ready page laid out and painted) and logs the page's
// phases (openPhases) of the first open and the median of each.
func BenchmarkDesignerOpen(b *testing.B) {
	srv := batontest.New(b)
	registerRaw(b, srv.URL(), wideDef(500))
	br := newBrowser(b, srv.URL())
	// A browser already running (the console open), the designer's script
	// not yet in its cache: the first iteration is a person's first open.
	br.open("/")
	var ready, response, interactive, painted []float64
	phases := map[string][]float64{}
	for b.Loop() {
		br.open("/designer/wide/1")
		br.waitFor(`document.querySelector("[data-designer]")?.dataset.ready`, 30*time.Second)
		ready = append(ready, eval[float64](br, `Number(document.querySelector("[data-designer]").dataset.ready)`))
		response = append(response, eval[float64](br, `performance.getEntriesByType("navigation")[0].responseEnd`))
		interactive = append(interactive, eval[float64](br, `performance.getEntriesByType("navigation")[0].domInteractive`))
		br.waitFor(`document.querySelector("[data-designer]")?.dataset.painted`, 30*time.Second)
		painted = append(painted, eval[float64](br, `Number(document.querySelector("[data-designer]").dataset.painted)`))
		for k, v := range eval[map[string]float64](br, openPhases) {
			phases[k] = append(phases[k], v)
		}
	}
	nodes := eval[int](br, `document.querySelectorAll("[data-canvas] g.node[data-path]").length`)
	// The first open fetches and compiles the designer's script; later ones
	// find it in the cache, as a person opening a second workflow does.
	b.ReportMetric(ready[0], "ms-ready-first")
	b.ReportMetric(percentile(ready, 0.5), "ms-ready-p50")
	b.ReportMetric(painted[0], "ms-painted-first")
	b.ReportMetric(percentile(painted, 0.5), "ms-painted-p50")
	b.Logf("%d tasks on the canvas; first open ready at %.0f ms; median: response received %.0f ms, DOM interactive %.0f ms, ready %.0f ms after the navigation started",
		nodes, ready[0], percentile(response, 0.5), percentile(interactive, 0.5), percentile(ready, 0.5))
	phase := func(i int) string {
		at := func(k string) float64 {
			if i < 0 {
				return percentile(phases[k], 0.5)
			}
			return phases[k][i]
		}
		return fmt.Sprintf("page received %.0f, script received %.0f, script's main %.0f, editor made %.0f, text parsed and laid out %.0f, modules set up %.0f",
			at("page"), at("script"), at("main"), at("editor"), at("parsed"), at("modules"))
	}
	b.Logf("first open (ms): %s, ready %.0f, painted %.0f", phase(0), ready[0], painted[0])
	b.Logf("median (ms): %s, ready %.0f, painted %.0f", phase(-1), percentile(ready, 0.5), percentile(painted, 0.5))
}

// openPhases are when (ms from the navigation's start) the page's phases
// ended: the page and the designer's script received (resource timing),
// and the designer's performance marks (designer.ts's main).
const openPhases = `(() => {
	const mark = (n) => performance.getEntriesByName(n, "mark")[0]?.startTime ?? 0;
	const script = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/static/dist/designer.js"));
	return {page: performance.getEntriesByType("navigation")[0].responseEnd, script: script ? script.responseEnd : 0,
		main: mark("designer:main"), editor: mark("designer:editor"), parsed: mark("designer:parsed"), modules: mark("designer:modules")};
})()`

// wideDef is a definition of n tasks: a sequence of blocks, each a SWITCH of
// two cases around two tasks and a task after it.
func wideDef(n int) string {
	var tasks []map[string]any
	task := func(ref string) map[string]any {
		return map[string]any{"name": ref, "taskReferenceName": ref, "type": "SET_VARIABLE", "inputParameters": map[string]any{"v": ref}}
	}
	for i := 0; len(tasks)*2 < n; i++ {
		tasks = append(tasks, map[string]any{
			"name": fmt.Sprintf("s%d", i), "taskReferenceName": fmt.Sprintf("s%d", i), "type": "SWITCH",
			"evaluatorType": "value-param", "expression": "k", "inputParameters": map[string]any{"k": "${workflow.input.k}"},
			"decisionCases": map[string]any{"a": []any{task(fmt.Sprintf("a%d", i))}},
			"defaultCase":   []any{task(fmt.Sprintf("d%d", i))},
		}, task(fmt.Sprintf("t%d", i)))
	}
	b, _ := json.MarshalIndent(map[string]any{"name": "wide", "version": 1, "schemaVersion": 2, "tasks": tasks}, "", "  ")
	return string(b)
}

// BenchmarkDesignerDrag drags a task across a 200-task workflow with the
// mouse, 120 pointer moves, and measures in the page the time between
// animation frames during the drag and the time the page's pointermove
// handlers take; a frame over 16 ms is a dropped frame.
func BenchmarkDesignerDrag(b *testing.B) {
	srv := batontest.New(b)
	registerRaw(b, srv.URL(), wideDef(200))
	br := newBrowser(b, srv.URL())
	var frames, handlers, idle []float64
	for b.Loop() {
		br.open("/designer/wide/1")
		br.waitFor(`document.querySelector("[data-designer]")?.dataset.ready`, 30*time.Second)
		// The same time with the page idle: what the machine alone drops.
		still, err := chromedp.Run(br.ctx, chromedp.Evaluate[[]float64](`new Promise((done) => { const out = []; let last = 0, end = performance.now() + 2000;
			const tick = (t) => { if (last) out.push(t - last); last = t; if (t < end) requestAnimationFrame(tick); else done(out); };
			requestAnimationFrame(tick); })`, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		idle = append(idle, still...)
		// Start the recorders: every animation frame's time since the last,
		// and each pointermove's handler time (capture at the window to
		// the end of its bubbling there).
		br.do(chromedp.Evaluate[chromedp.Void](`(() => {
			const rec = window.batonDragRec = {frames: [], handlers: [], on: true};
			let last = 0;
			const tick = (t) => { if (last) rec.frames.push(t - last); last = t; if (rec.on) requestAnimationFrame(tick); };
			requestAnimationFrame(tick);
			let start = 0;
			window.addEventListener("pointermove", () => { start = performance.now(); }, true);
			window.addEventListener("pointermove", () => { rec.handlers.push(performance.now() - start); });
		})()`))
		from := eval[[]float64](br, `(() => { const c = document.querySelector("[data-canvas]"); c.scrollTop = 0; const r = document.querySelector('[data-canvas] g.node[data-path="/tasks/1"] rect').getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
		to := eval[[]float64](br, `(() => { const r = document.querySelector("[data-canvas]").getBoundingClientRect(); return [r.x + r.width / 2, r.bottom - 20]; })()`)
		br.do(chromedp.MouseEvent(chromedp.MousePressed, from[0], from[1], chromedp.ButtonLeft))
		const steps = 120
		for i := 1; i <= steps; i++ {
			x := from[0] + (to[0]-from[0])*float64(i)/steps
			y := from[1] + (to[1]-from[1])*float64(i)/steps
			br.do(chromedp.MouseEvent(chromedp.MouseMoved, x, y, chromedp.ButtonLeft))
		}
		moving := eval[bool](br, `document.querySelector("[data-canvas]").classList.contains("moving-task")`)
		br.do(chromedp.MouseEvent(chromedp.MouseReleased, to[0], to[1], chromedp.ButtonLeft))
		if !moving {
			b.Fatal("the drag did not lift the task")
		}
		frames = append(frames, eval[[]float64](br, `(window.batonDragRec.on = false, window.batonDragRec.frames)`)...)
		handlers = append(handlers, eval[[]float64](br, `window.batonDragRec.handlers`)...)
	}
	nodes := eval[int](br, `document.querySelectorAll("[data-canvas] g.node[data-path]").length`)
	// A frame beyond one at 60 Hz (and its jitter) means one was dropped.
	dropped := func(fs []float64) (n int) {
		for _, f := range fs {
			if f > 17.5 {
				n++
			}
		}
		return n
	}
	over := dropped(frames)
	b.ReportMetric(percentile(frames, 0.5), "ms-frame-p50")
	b.ReportMetric(percentile(frames, 0.99), "ms-frame-p99")
	b.ReportMetric(percentile(frames, 1), "ms-frame-max")
	b.ReportMetric(percentile(handlers, 0.99), "ms-handler-p99")
	b.Logf("%d tasks on the canvas; %d frames: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d dropped (over 17.5 ms); %d pointermoves: handler p50 %.2f ms, p99 %.2f ms",
		nodes, len(frames), percentile(frames, 0.5), percentile(frames, 0.99), percentile(frames, 1), over,
		len(handlers), percentile(handlers, 0.5), percentile(handlers, 0.99))
	b.Logf("idle page on this machine: %d frames: p99 %.1f ms, max %.1f ms, %d dropped", len(idle), percentile(idle, 0.99), percentile(idle, 1), dropped(idle))
}
