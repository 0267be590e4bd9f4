package ui

import (
	"fmt"
	"net/http"
	"time"
)

func (c *console) queues(w http.ResponseWriter, r *http.Request) {
	list := c.e.Queues("")
	if r.URL.Query().Get("fragment") == "table" {
		c.render(w, r, http.StatusOK, queueTable(list))
		return
	}
	c.render(w, r, http.StatusOK, queuesPage(list))
}

func (c *console) queue(w http.ResponseWriter, r *http.Request) {
	d := c.e.Queue(r.PathValue("type"), r.URL.Query().Get("domain"))
	c.render(w, r, http.StatusOK, queuePage(d))
}

// age formats a number of milliseconds waited.
func age(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return duration(0, ms)
}

// rate formats a per-second figure.
func rate(v float64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%.2f", v)
}

// since formats how long ago a Unix-millisecond time was.
func since(ms int64) string {
	if ms <= 0 {
		return "never"
	}
	return time.Since(time.UnixMilli(ms)).Round(time.Second).String() + " ago"
}
