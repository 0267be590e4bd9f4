package ui_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
)

// BenchmarkDesignerOpen measures how soon the designer is ready on a
// definition of 500 tasks (designer/testdata/fixtures/large_500.json):
// from the start of the navigation to the canvas drawn, the editor holding
// the text and the palette listed (the page's data-ready, performance.now()).
func BenchmarkDesignerOpen(b *testing.B) {
	def, err := os.ReadFile("../../../designer/testdata/fixtures/large_500.json")
	if err != nil {
		b.Fatal(err)
	}
	var d workflow.WorkflowDef
	if err := json.Unmarshal(def, &d); err != nil {
		b.Fatal(err)
	}
	srv := batontest.New(b)
	registerRaw(b, srv.URL(), string(def))
	br := newBrowser(b, srv.URL())
	var ready float64
	for b.Loop() {
		br.open(fmt.Sprintf("/designer/%s/%d", d.Name, max(d.Version, 1)))
		br.waitFor(`document.querySelector("[data-designer]")?.dataset.ready`, 30*time.Second)
		ready += eval[float64](br, `Number(document.querySelector("[data-designer]").dataset.ready)`)
	}
	nodes := eval[int](br, `document.querySelectorAll("[data-canvas] g.node").length`)
	b.ReportMetric(ready/float64(b.N), "ms-ready")
	b.Logf("%d nodes on the canvas; ready %.0f ms after the navigation started", nodes, ready/float64(b.N))
}

// wideDef is a definition of n tasks: a sequence of blocks, each a SWITCH of
// two cases around two tasks and a task after it.
func wideDef(n int) string {
	var tasks []map[string]any
	task := func(ref string) map[string]any {
		return map[string]any{"name": ref, "taskReferenceName": ref, "type": "SET_VARIABLE", "inputParameters": map[string]any{"v": ref}}
	}
	for i := 0; len(tasks)*4 < n; i++ {
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
	var frames, handlers []float64
	for b.Loop() {
		br.open("/designer/wide/1")
		br.waitFor(`document.querySelector("[data-designer]")?.dataset.ready`, 30*time.Second)
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
	over := 0
	for _, f := range frames {
		if f > 16.7 {
			over++
		}
	}
	b.ReportMetric(percentile(frames, 0.5), "ms-frame-p50")
	b.ReportMetric(percentile(frames, 0.99), "ms-frame-p99")
	b.ReportMetric(percentile(frames, 1), "ms-frame-max")
	b.ReportMetric(percentile(handlers, 0.99), "ms-handler-p99")
	b.Logf("%d tasks on the canvas; %d frames: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d over 16.7 ms; %d pointermoves: handler p50 %.2f ms, p99 %.2f ms",
		nodes, len(frames), percentile(frames, 0.5), percentile(frames, 0.99), percentile(frames, 1), over,
		len(handlers), percentile(handlers, 0.5), percentile(handlers, 0.99))
}
