package ui

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/batonhq/baton/server/internal/engine"
)

func (c *console) overview(w http.ResponseWriter, r *http.Request) {
	o := c.e.Overview(engine.DefaultBusiest)
	if r.URL.Query().Get("fragment") == "figures" {
		c.render(w, r, http.StatusOK, overviewFigures(o))
		return
	}
	c.render(w, r, http.StatusOK, overviewPage(o))
}

// chart is a small line chart of throughput, rendered on the server as SVG
// polylines (one per series) in a 0..100 × 0..40 box.
type chart struct {
	Started, Completed, Failed string // polyline points
	Max                        int64
}

// throughputChart draws a series of throughput buckets.
func throughputChart(series []engine.Throughput) chart {
	var top int64 = 1
	for _, t := range series {
		top = max(top, t.Started, t.Completed, t.Failed)
	}
	line := func(v func(engine.Throughput) int64) string {
		var b strings.Builder
		n := max(len(series)-1, 1)
		for i, t := range series {
			fmt.Fprintf(&b, "%.2f,%.2f ", float64(i)*100/float64(n), 40-float64(v(t))*38/float64(top))
		}
		return b.String()
	}
	return chart{
		Started:   line(func(t engine.Throughput) int64 { return t.Started }),
		Completed: line(func(t engine.Throughput) int64 { return t.Completed }),
		Failed:    line(func(t engine.Throughput) int64 { return t.Failed }),
		Max:       top,
	}
}

// totals sums a series, for the charts' text summary.
func totals(series []engine.Throughput) (t engine.Throughput) {
	for _, s := range series {
		t.Started += s.Started
		t.Completed += s.Completed
		t.Failed += s.Failed
		t.Terminated += s.Terminated
	}
	if t.Completed+t.Failed > 0 {
		t.FailureRate = float64(t.Failed) / float64(t.Completed+t.Failed)
	}
	return t
}
