package ui_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
)

// BenchmarkCommitToDOM measures, in Chromium, the time from a task's
// completion (its endTime, set in the commit) to its status changing in the task list
// on an open execution page, while workers complete 1,000 tasks a second
// of that execution. Run: go test ./server/internal/ui -run '^$' -bench
// CommitToDOM -benchtime 3x.
func BenchmarkCommitToDOM(b *testing.B) {
	const tasks, perSecond, workers = 1000, 1000, 8
	srv := batontest.New(b)
	c := srv.Client()
	br := newBrowser(b, srv.URL())
	var all []float64
	var rates []float64
	for b.Loop() {
		id := fanOut(b, c, tasks)
		br.open("/executions/" + id)
		br.waitFor(`document.querySelector("[data-live-indicator]").dataset.state === "live"`, 10*time.Second)
		// Record each task whose row shows its new status, when the live
		// view has patched it (baton:live is dispatched after patching).
		br.do(chromedp.Evaluate[chromedp.Void](`const rows = new Map([...document.querySelectorAll("#task-table .badge[data-task-id]")].map((r) => [r.dataset.taskId, r]));
		window.lat = []; document.addEventListener("baton:live", (ev) => {
			const now = Date.now();
			for (const t of ev.detail.tasks ?? []) {
				if (!t.endTime) continue;
				const row = rows.get(t.taskId);
				if (row && row.dataset.status === t.status) window.lat.push(now - t.endTime);
			}
		})`))
		polled, err := c.PollTasks(b.Context(), "work", "bench", "", tasks, 5*time.Second)
		require.NoError(b, err)
		for len(polled) < tasks {
			more, err := c.PollTasks(b.Context(), "work", "bench", "", tasks-len(polled), 5*time.Second)
			require.NoError(b, err)
			polled = append(polled, more...)
		}
		// The page shows them all in progress before the measured changes.
		br.waitFor(`[...document.querySelectorAll("#task-table .badge[data-task-id]")].every((r) => r.dataset.status !== "SCHEDULED")`, 30*time.Second)
		// Complete them at perSecond, spread over workers.
		begin := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(polled); i += workers {
					time.Sleep(time.Until(begin.Add(time.Duration(i) * time.Second / time.Duration(perSecond))))
					t := polled[i]
					require.NoError(b, c.UpdateTask(b.Context(), &workflow.TaskResult{
						WorkflowInstanceID: t.WorkflowInstanceID, TaskID: t.TaskID, Status: workflow.TaskCompleted, WorkerID: "bench",
					}))
				}
			})
		}
		wg.Wait()
		rates = append(rates, float64(tasks)/time.Since(begin).Seconds())
		// The rows shown are the first page of the task list: those are
		// measured.
		br.waitFor(`window.lat.length >= document.querySelectorAll("#task-table .badge[data-task-id]").length - 5`, 30*time.Second)
		all = append(all, eval[[]float64](br, `window.lat`)...)
	}
	p50, p99 := percentile(all, 0.50), percentile(all, 0.99)
	b.ReportMetric(p50, "ms-p50")
	b.ReportMetric(p99, "ms-p99")
	var rate float64
	for _, r := range rates {
		rate += r / float64(len(rates))
	}
	b.ReportMetric(rate, "changes/s")
	b.Logf("%d task changes measured: p50 %.0f ms, p99 %.0f ms, at %.0f completions/s", len(all), p50, p99, rate)
}

// BenchmarkExecutionPageInBrowser measures how soon Chromium can use the
// page of an execution of 1,000 and of 10,000 tasks: the navigation's
// domInteractive and its load event, from the start of the navigation.
func BenchmarkExecutionPageInBrowser(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			srv := batontest.New(b)
			id := fanOut(b, srv.Client(), n)
			br := newBrowser(b, srv.URL())
			var interactive, loaded float64
			for b.Loop() {
				br.open("/executions/" + id)
				br.waitFor(`performance.getEntriesByType("navigation")[0].loadEventEnd > 0`, 30*time.Second)
				interactive += eval[float64](br, `performance.getEntriesByType("navigation")[0].domInteractive`)
				loaded += eval[float64](br, `performance.getEntriesByType("navigation")[0].loadEventEnd`)
			}
			b.ReportMetric(interactive/float64(b.N), "ms-interactive")
			b.ReportMetric(loaded/float64(b.N), "ms-loaded")
		})
	}
}

// percentile is the q-th quantile of xs (nearest rank).
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}
