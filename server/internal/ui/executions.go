package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// workflowStatuses are the statuses the search form offers.
var workflowStatuses = []workflow.Status{
	workflow.StatusRunning, workflow.StatusPaused, workflow.StatusCompleted,
	workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusTerminated,
}

// searchForm is the executions page's query, read from and written to the
// URL so that a search can be bookmarked and shared.
type searchForm struct {
	Name, CorrelationID, IdempotencyKey, FreeText string
	Statuses                                      []string
	// From and To bound the start time; datetime-local values in UTC.
	From, To string
	Sort     string
	Oldest   bool
	Limit    int
	Cursor   string
}

const timeForm = "2006-01-02T15:04"

// parseSearch reads a searchForm from a URL query, refusing what the
// engine would not understand.
func parseSearch(q url.Values) (searchForm, error) {
	f := searchForm{
		Name:           strings.TrimSpace(q.Get("name")),
		CorrelationID:  strings.TrimSpace(q.Get("correlationId")),
		IdempotencyKey: strings.TrimSpace(q.Get("idempotencyKey")),
		FreeText:       strings.TrimSpace(q.Get("q")),
		From:           q.Get("from"),
		To:             q.Get("to"),
		Sort:           q.Get("sort"),
		Oldest:         q.Get("order") == "asc",
		Cursor:         q.Get("cursor"),
		Limit:          25,
	}
	for _, s := range q["status"] {
		if !slices.Contains(workflowStatuses, workflow.Status(s)) {
			return f, badRequest(fmt.Sprintf("unknown status %q: use one of %v", s, workflowStatuses))
		}
		f.Statuses = append(f.Statuses, s)
	}
	switch f.Sort {
	case "", string(store.SortCreateTime), string(store.SortEndTime), string(store.SortUpdateTime):
	default:
		return f, badRequest(fmt.Sprintf("unknown sort %q: use createTime, updateTime or endTime", f.Sort))
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 500 {
			return f, badRequest(fmt.Sprintf("limit %q: a page holds 1 to 500 executions", l))
		}
		f.Limit = n
	}
	for _, t := range []struct{ name, v string }{{"from", f.From}, {"to", f.To}} {
		if t.v == "" {
			continue
		}
		if _, err := time.Parse(timeForm, t.v); err != nil {
			return f, badRequest(fmt.Sprintf("%s %q: want a time like 2026-11-23T14:05 (UTC)", t.name, t.v))
		}
	}
	return f, nil
}

// query turns the form into the engine's search.
func (f searchForm) query() store.ExecutionQuery {
	q := store.ExecutionQuery{
		Name:           f.Name,
		CorrelationID:  f.CorrelationID,
		IdempotencyKey: f.IdempotencyKey,
		FreeText:       f.FreeText,
		SortBy:         store.SortField(f.Sort),
		Ascending:      f.Oldest,
		Limit:          f.Limit,
		Cursor:         f.Cursor,
	}
	for _, s := range f.Statuses {
		q.Statuses = append(q.Statuses, workflow.Status(s))
	}
	if t, err := time.Parse(timeForm, f.From); err == nil {
		q.StartFrom = t.UnixMilli()
	}
	if t, err := time.Parse(timeForm, f.To); err == nil {
		q.StartTo = t.UnixMilli()
	}
	return q
}

// values is the form as a URL query, without the cursor.
func (f searchForm) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("name", f.Name)
	set("correlationId", f.CorrelationID)
	set("idempotencyKey", f.IdempotencyKey)
	set("q", f.FreeText)
	set("from", f.From)
	set("to", f.To)
	set("sort", f.Sort)
	if f.Oldest {
		v.Set("order", "asc")
	}
	if f.Limit != 25 {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	for _, s := range f.Statuses {
		v.Add("status", s)
	}
	return v
}

// pageURL is the URL of the page of this search at a cursor.
func (f searchForm) pageURL(cursor string) string {
	v := f.values()
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return "/executions"
	}
	return "/executions?" + v.Encode()
}

func (c *console) executions(w http.ResponseWriter, r *http.Request) {
	f, err := parseSearch(r.URL.Query())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	res, err := c.e.SearchWorkflows(r.Context(), engine.SearchRequest{Query: f.query()})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	names, err := c.workflowNames(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, executionsPage(f, names, res))
}

// workflowNames lists the names of the registered workflows, for the
// search form's suggestions.
func (c *console) workflowNames(r *http.Request) ([]string, error) {
	defs, err := c.e.WorkflowDefs(r.Context())
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range defs {
		if !slices.Contains(names, d.Name) {
			names = append(names, d.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// maxBulk bounds the executions one bulk action may name, as the API does.
const maxBulk = 1000

// bulk applies one action to the selected executions and reports each
// outcome.
func (c *console) bulk(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, c.opts.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, badRequest("reading the form: "+err.Error()))
		return
	}
	action := r.PostForm.Get("action")
	ids := r.PostForm["id"]
	switch {
	case len(ids) == 0:
		c.fail(w, r, badRequest("select at least one execution"))
		return
	case len(ids) > maxBulk:
		c.fail(w, r, badRequest(fmt.Sprintf("%d executions selected: at most %d at a time", len(ids), maxBulk)))
		return
	}
	if !slices.Contains(workflowActions, action) {
		c.fail(w, r, unknownAction(action))
		return
	}
	var failed []string
	for _, id := range ids {
		if err := c.workflowAction(r, id, action); err != nil {
			failed = append(failed, id+": "+err.Error())
		}
	}
	msg := fmt.Sprintf("%s: %d of %d done", action, len(ids)-len(failed), len(ids))
	if len(failed) > 0 {
		msg += "; " + strings.Join(failed, "; ")
	}
	c.respond(w, r, len(failed) == 0, msg, r.Referer())
}

// respond reports the result of an action: a notice for htmx, otherwise a
// redirect back (Post/Redirect/Get) to where the form was.
func (c *console) respond(w http.ResponseWriter, r *http.Request, ok bool, msg, back string) {
	if isHTMX(r) {
		if ok {
			// Parts of the page that depend on what changed refresh
			// themselves on this event (hx-trigger="baton-changed from:body").
			w.Header().Set("HX-Trigger", "baton-changed")
		}
		c.render(w, r, http.StatusOK, notice(ok, msg))
		return
	}
	if !ok || back == "" {
		c.render(w, r, http.StatusOK, resultPage(ok, msg, back))
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// workflowAction runs one of the actions an execution page and the bulk
// form offer. Its options come from the form.
func (c *console) workflowAction(r *http.Request, id, action string) error {
	ctx := r.Context()
	switch action {
	case "pause":
		return c.e.PauseWorkflow(ctx, id)
	case "resume":
		return c.e.ResumeWorkflow(ctx, id)
	case "terminate":
		reason := strings.TrimSpace(r.PostForm.Get("reason"))
		if reason == "" {
			reason = "terminated from the console"
		}
		return c.e.TerminateWorkflow(ctx, id, reason)
	case "retry":
		return c.e.RetryWorkflow(ctx, id, r.PostForm.Get("resumeSubworkflowTasks") == "on")
	case "restart":
		return c.e.RestartWorkflow(ctx, id, r.PostForm.Get("useLatestDefinitions") == "on")
	}
	return unknownAction(action)
}

// workflowActions are the actions workflowAction takes.
var workflowActions = []string{"pause", "resume", "terminate", "retry", "restart"}

func unknownAction(action string) error {
	return badRequest(fmt.Sprintf("unknown action %q: use one of %s", action, strings.Join(workflowActions, ", ")))
}

// formatTime formats a Unix-millisecond time for tables.
func formatTime(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

// duration formats the time between two Unix-millisecond times; a running
// one is measured up to now.
func duration(start, end int64) string {
	if start <= 0 {
		return ""
	}
	if end <= 0 {
		end = time.Now().UnixMilli()
	}
	d := time.Duration(end-start) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// liveQuery is the search as the live view's executions subscription
// takes it (live.ts Query): the filters the change feed can match.
func (f searchForm) liveQuery() string {
	q := struct {
		Names         []string `json:"names,omitempty"`
		Statuses      []string `json:"statuses,omitempty"`
		CorrelationID string   `json:"correlationId,omitempty"`
	}{Statuses: f.Statuses, CorrelationID: f.CorrelationID}
	if f.Name != "" {
		q.Names = []string{f.Name}
	}
	b, _ := json.Marshal(q)
	return string(b)
}

// liveReload says whether the live view reloads the rows when executions
// start or end: only on a search's first page, newest first, the page new
// executions land on; other pages are only patched.
func (f searchForm) liveReload() bool {
	return f.Cursor == "" && !f.Oldest && f.FreeText == "" && f.IdempotencyKey == "" && f.From == "" && f.To == ""
}
