package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// Conductor's search endpoints (WorkflowResource.search, search-v2) take
// start, size, sort, freeText and query. Conductor hands query and
// freeText to Elasticsearch; Baton runs them on its own indexes, so it
// reads the useful subset of the query language (parseSearchQuery) and
// takes freeText as words (store.Words), all of which must occur.
//
// Paging: start is an offset, bounded like Elasticsearch's from+size
// (engine.MaxSearchWindow); Baton adds a cursor parameter and a
// nextCursor field, which page at any depth at the same cost.
//
// totalHits: Baton keeps no count of the matches of a query (counting
// would cost a walk over every match, which the indexes are there to
// avoid), so totalHits is what the pages so far prove: start plus the
// results of this page, plus one when another page follows. A client that
// pages while start+size < totalHits, as Conductor's UI does, therefore
// sees every page and no empty one.

// searchResult is Conductor's SearchResult.
type searchResult[T any] struct {
	TotalHits int64 `json:"totalHits"`
	Results   []T   `json:"results"`
	// NextCursor continues the search (the cursor parameter); empty on the
	// last page. Baton only.
	NextCursor string `json:"nextCursor,omitempty"`
}

// workflowSummary is Conductor's WorkflowSummary. Times are formatted as
// Conductor formats them (UTC, milliseconds); input and output are JSON
// text.
type workflowSummary struct {
	WorkflowType             string            `json:"workflowType"`
	Version                  int               `json:"version"`
	WorkflowID               string            `json:"workflowId"`
	CorrelationID            string            `json:"correlationId,omitempty"`
	StartTime                string            `json:"startTime,omitempty"`
	UpdateTime               string            `json:"updateTime,omitempty"`
	EndTime                  string            `json:"endTime,omitempty"`
	Status                   workflow.Status   `json:"status"`
	Input                    string            `json:"input,omitempty"`
	InputSize                int               `json:"inputSize"`
	Output                   string            `json:"output,omitempty"`
	OutputSize               int               `json:"outputSize"`
	ReasonForIncompletion    string            `json:"reasonForIncompletion,omitempty"`
	ExecutionTime            int64             `json:"executionTime"`
	Event                    string            `json:"event,omitempty"`
	FailedReferenceTaskNames string            `json:"failedReferenceTaskNames"`
	FailedTaskNames          []string          `json:"failedTaskNames"`
	Priority                 int               `json:"priority"`
	CreatedBy                string            `json:"createdBy,omitempty"`
	TaskToDomain             map[string]string `json:"taskToDomain,omitempty"`
	IdempotencyKey           string            `json:"idempotencyKey,omitempty"`
}

// conductorTime formats Unix milliseconds as Conductor's summaries do;
// "" for 0.
func conductorTime(ms int64) string {
	if ms <= 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// summaryJSON is a map as JSON text, "" when it is nil.
func summaryJSON(m map[string]any) string {
	if m == nil {
		return ""
	}
	data, err := json.Marshal(m)
	if err != nil {
		return ""
	}
	return string(data)
}

func summarizeWorkflow(w *workflow.Workflow) workflowSummary {
	s := workflowSummary{
		WorkflowType:             w.WorkflowName,
		Version:                  w.WorkflowVersion,
		WorkflowID:               w.WorkflowID,
		CorrelationID:            w.CorrelationID,
		StartTime:                conductorTime(w.CreateTime),
		UpdateTime:               conductorTime(w.UpdateTime),
		EndTime:                  conductorTime(w.EndTime),
		Status:                   w.Status,
		Input:                    summaryJSON(w.Input),
		Output:                   summaryJSON(w.Output),
		ReasonForIncompletion:    w.ReasonForIncompletion,
		Event:                    w.Event,
		FailedReferenceTaskNames: strings.Join(w.FailedReferenceTaskNames, ","),
		FailedTaskNames:          w.FailedTaskNames,
		Priority:                 w.Priority,
		CreatedBy:                w.CreatedBy,
		TaskToDomain:             w.TaskToDomain,
		IdempotencyKey:           w.IdempotencyKey,
	}
	s.InputSize, s.OutputSize = len(s.Input), len(s.Output)
	if s.FailedTaskNames == nil {
		s.FailedTaskNames = []string{}
	}
	if w.EndTime > 0 {
		start := w.StartTime
		if start == 0 {
			start = w.CreateTime
		}
		s.ExecutionTime = w.EndTime - start
	}
	return s
}

// GET /api/workflow/search
func (s *rest) searchWorkflows(w http.ResponseWriter, r *http.Request) error {
	page, offset, err := s.runWorkflowSearch(r)
	if err != nil {
		return err
	}
	out := make([]workflowSummary, len(page.Executions))
	for i, wf := range page.Executions {
		out[i] = summarizeWorkflow(wf)
	}
	writeJSON(w, http.StatusOK, newSearchResult(out, offset, page.Next))
	return nil
}

// GET /api/workflow/search-v2
func (s *rest) searchWorkflowsV2(w http.ResponseWriter, r *http.Request) error {
	page, offset, err := s.runWorkflowSearch(r)
	if err != nil {
		return err
	}
	for _, wf := range page.Executions {
		wf.Tasks = []*workflow.Task{}
	}
	writeJSON(w, http.StatusOK, newSearchResult(page.Executions, offset, page.Next))
	return nil
}

func newSearchResult[T any](results []T, offset int, next string) searchResult[T] {
	total := int64(offset + len(results))
	if next != "" {
		total++
	}
	return searchResult[T]{TotalHits: total, Results: results, NextCursor: next}
}

func (s *rest) runWorkflowSearch(r *http.Request) (*store.ExecutionPage, int, error) {
	req, err := workflowSearchRequest(r)
	if err != nil {
		return nil, 0, err
	}
	page, err := s.e.SearchWorkflows(r.Context(), req)
	return page, req.Offset, err
}

// workflowSearchRequest reads the parameters of a workflow search.
func workflowSearchRequest(r *http.Request) (engine.SearchRequest, error) {
	var req engine.SearchRequest
	p, err := readPaging(r)
	if err != nil {
		return req, err
	}
	req.Offset = p.start
	q := &req.Query
	q.Limit, q.Cursor, q.Ascending = p.size, p.cursor, p.ascending
	switch p.sortField {
	case "":
	case "startTime", "createTime":
		q.SortBy = store.SortCreateTime
	case "endTime":
		q.SortBy = store.SortEndTime
	case "updateTime":
		q.SortBy = store.SortUpdateTime
	default:
		return req, invalid("cannot sort workflows by %q: sort by startTime (or createTime), endTime or updateTime, as in sort=startTime:DESC", p.sortField)
	}
	q.FreeText = freeText(r)
	if err := parseSearchQuery(r.URL.Query().Get("query"), workflowQueryFields(q)); err != nil {
		return req, err
	}
	return req, nil
}

// paging is the paging and sorting parameters common to all searches.
type paging struct {
	start, size int
	cursor      string
	sortField   string
	ascending   bool
}

// readPaging reads start, size, cursor and sort (field:ASC or field:DESC,
// DESC when the direction is left out).
func readPaging(r *http.Request) (paging, error) {
	var p paging
	var err error
	if p.start, err = queryInt(r, "start", 0); err != nil {
		return p, err
	}
	if p.size, err = queryInt(r, "size", store.DefaultSearchLimit); err != nil {
		return p, err
	}
	if p.size <= 0 {
		return p, invalid("query parameter size must be at least 1, got %d", p.size)
	}
	p.cursor = r.URL.Query().Get("cursor")
	sort := strings.TrimSpace(r.URL.Query().Get("sort"))
	if sort == "" {
		return p, nil
	}
	if strings.ContainsAny(sort, ";|,") {
		return p, invalid("sort %q names more than one field; Baton sorts by one (ties are broken by workflow id)", sort)
	}
	field, dir, _ := strings.Cut(sort, ":")
	p.sortField = strings.TrimSpace(field)
	switch strings.ToUpper(strings.TrimSpace(dir)) {
	case "", "DESC":
	case "ASC":
		p.ascending = true
	default:
		return p, invalid("sort %q: the direction after the colon must be ASC or DESC", sort)
	}
	return p, nil
}

// freeText is the freeText parameter; "*" (Conductor's "everything") and
// blank match all.
func freeText(r *http.Request) string {
	t := strings.TrimSpace(r.URL.Query().Get("freeText"))
	if t == "*" {
		return ""
	}
	return t
}

// queryField applies one clause of a search query on a field: op is =, !=,
// <, <=, > or >=, or IN with one or more values. It returns an error that
// says what is not supported.
type queryField func(op string, values []string) error

// workflowQueryFields are the fields a workflow search query may use.
func workflowQueryFields(q *store.ExecutionQuery) map[string]queryField {
	return map[string]queryField{
		"workflowType": func(op string, vs []string) error {
			if op == "IN" && len(vs) > 1 {
				return fmt.Errorf("workflowType IN with more than one name is not supported: search once per name")
			}
			return setOnce(&q.Name, "workflowType", op, vs)
		},
		"version": func(op string, vs []string) error {
			if err := onlyEqual("version", op, vs); err != nil {
				return err
			}
			n, err := strconv.Atoi(vs[0])
			if err != nil || n <= 0 {
				return fmt.Errorf("version must be a positive integer, got %q", vs[0])
			}
			if q.Version != 0 {
				return fmt.Errorf("version is given twice")
			}
			q.Version = n
			return nil
		},
		"status": func(op string, vs []string) error {
			if op != "=" && op != "IN" {
				return fmt.Errorf("status supports = and IN, not %s", op)
			}
			if len(q.Statuses) > 0 {
				return fmt.Errorf("status is given twice; list every status in one IN (...)")
			}
			for _, v := range vs {
				st := workflow.Status(strings.ToUpper(v))
				if !st.Valid() {
					return fmt.Errorf("%q is not a workflow status (RUNNING, PAUSED, COMPLETED, FAILED, TIMED_OUT, TERMINATED)", v)
				}
				q.Statuses = append(q.Statuses, st)
			}
			return nil
		},
		"correlationId":  func(op string, vs []string) error { return setOnce(&q.CorrelationID, "correlationId", op, vs) },
		"idempotencyKey": func(op string, vs []string) error { return setOnce(&q.IdempotencyKey, "idempotencyKey", op, vs) },
		"startTime":      timeRange("startTime", &q.StartFrom, &q.StartTo),
		"createTime":     timeRange("createTime", &q.StartFrom, &q.StartTo),
		"endTime":        timeRange("endTime", &q.EndFrom, &q.EndTo),
	}
}

// onlyEqual refuses an operator other than = (or IN with one value).
func onlyEqual(field, op string, vs []string) error {
	if op == "=" || op == "IN" && len(vs) == 1 {
		return nil
	}
	return fmt.Errorf("%s supports only = (an exact match), not %s", field, op)
}

// setOnce sets an exact-match field.
func setOnce(dst *string, field, op string, vs []string) error {
	if err := onlyEqual(field, op, vs); err != nil {
		return err
	}
	if *dst != "" {
		return fmt.Errorf("%s is given twice", field)
	}
	if vs[0] == "" {
		return fmt.Errorf("%s is empty", field)
	}
	*dst = vs[0]
	return nil
}

// timeRange narrows a half-open range [from, to) of Unix milliseconds; a
// bound given twice keeps the narrower. Times are Unix milliseconds or
// RFC 3339.
func timeRange(field string, from, to *int64) queryField {
	return func(op string, vs []string) error {
		if op == "IN" || op == "=" || op == "!=" {
			return fmt.Errorf("%s supports <, <=, > and >=, not %s", field, op)
		}
		ms, err := parseMillis(vs[0])
		if err != nil {
			return fmt.Errorf("%s %s %q: %w", field, op, vs[0], err)
		}
		switch op {
		case ">":
			ms++
			fallthrough
		case ">=":
			if ms > *from {
				*from = ms
			}
		case "<=":
			ms++
			fallthrough
		case "<":
			if ms <= 0 {
				return fmt.Errorf("%s %s %s matches nothing: times are after 1970", field, op, vs[0])
			}
			if *to == 0 || ms < *to {
				*to = ms
			}
		}
		return nil
	}
}

// parseMillis reads Unix milliseconds or an RFC 3339 time.
func parseMillis(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("a time must not be negative")
		}
		return n, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("a time is Unix milliseconds or RFC 3339 (2006-01-02T15:04:05Z)")
	}
	return t.UnixMilli(), nil
}

// parseSearchQuery reads Conductor's search query language as far as
// Baton's indexes serve it: clauses `field op value` or `field IN (v1,
// v2)` joined by AND, values quoted ('x' or "x") or bare. A clause that is
// not supported fails the whole query with a message naming it.
func parseSearchQuery(text string, fields map[string]queryField) error {
	toks, err := lexQuery(text)
	if err != nil {
		return invalid("query %q: %v", text, err)
	}
	for i := 0; i < len(toks); {
		if i > 0 {
			if !toks[i].is("AND") {
				return invalid("query %q: clauses must be joined by AND (OR and parentheses are not supported); found %q", text, toks[i].text)
			}
			i++
		}
		start := i
		clause := func() string {
			end := min(i+1, len(toks))
			parts := make([]string, 0, end-start)
			for _, t := range toks[start:end] {
				parts = append(parts, t.text)
			}
			return strings.Join(parts, " ")
		}
		if i >= len(toks) || toks[i].kind != tokWord {
			return invalid("query %q: expected a field name after AND", text)
		}
		field := toks[i].text
		i++
		if i >= len(toks) || toks[i].kind != tokOp && !toks[i].is("IN") {
			return invalid("query %q: the clause %q needs an operator (=, !=, <, <=, >, >= or IN)", text, clause())
		}
		op := strings.ToUpper(toks[i].text)
		i++
		var values []string
		if op == "IN" {
			if i >= len(toks) || toks[i].text != "(" {
				return invalid("query %q: IN must be followed by a list in parentheses, as in status IN (FAILED, TIMED_OUT)", text)
			}
			for i++; ; i++ {
				if i >= len(toks) || toks[i].kind != tokValue && toks[i].kind != tokWord {
					return invalid("query %q: the clause %q has a malformed IN list", text, clause())
				}
				values = append(values, toks[i].text)
				i++
				if i < len(toks) && toks[i].text == ")" {
					i++
					break
				}
				if i >= len(toks) || toks[i].text != "," {
					return invalid("query %q: the clause %q has a malformed IN list (values are separated by commas)", text, clause())
				}
			}
		} else {
			if i >= len(toks) || toks[i].kind != tokValue && toks[i].kind != tokWord {
				return invalid("query %q: the clause %q needs a value", text, clause())
			}
			values = []string{toks[i].text}
			i++
		}
		apply, ok := fields[field]
		if !ok {
			return invalid("query %q: the clause %q is not supported: Baton searches by %s", text, clause(), fieldNames(fields))
		}
		if err := apply(op, values); err != nil {
			return invalid("query %q: the clause %q is not supported: %v", text, clause(), err)
		}
	}
	return nil
}

func fieldNames(fields map[string]queryField) string {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

type tokKind int

const (
	tokWord  tokKind = iota // a bare word: field, keyword, unquoted value
	tokValue                // a quoted string
	tokOp                   // = != < <= > >=
	tokPunct                // ( ) ,
)

type token struct {
	kind tokKind
	text string
}

func (t token) is(keyword string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, keyword)
}

// lexQuery splits a query into tokens.
func lexQuery(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, token{tokPunct, string(c)})
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, fmt.Errorf("'!' at offset %d must be followed by '='", i)
			}
			toks = append(toks, token{tokOp, op})
			i = j
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("the quote at offset %d is not closed", i)
			}
			toks = append(toks, token{tokValue, s[i+1 : i+1+j]})
			i += j + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r(),=<>!'\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{tokWord, s[i:j]})
			i = j
		}
	}
	return toks, nil
}

// taskSummary is Conductor's TaskSummary.
type taskSummary struct {
	WorkflowID            string              `json:"workflowId"`
	WorkflowType          string              `json:"workflowType"`
	CorrelationID         string              `json:"correlationId,omitempty"`
	ScheduledTime         string              `json:"scheduledTime,omitempty"`
	StartTime             string              `json:"startTime,omitempty"`
	UpdateTime            string              `json:"updateTime,omitempty"`
	EndTime               string              `json:"endTime,omitempty"`
	Status                workflow.TaskStatus `json:"status"`
	ReasonForIncompletion string              `json:"reasonForIncompletion,omitempty"`
	ExecutionTime         int64               `json:"executionTime"`
	QueueWaitTime         int64               `json:"queueWaitTime"`
	TaskDefName           string              `json:"taskDefName"`
	TaskType              string              `json:"taskType"`
	Input                 string              `json:"input,omitempty"`
	Output                string              `json:"output,omitempty"`
	TaskID                string              `json:"taskId"`
	WorkflowPriority      int                 `json:"workflowPriority"`
	Domain                string              `json:"domain,omitempty"`
}

func summarizeTask(t *workflow.Task) taskSummary {
	s := taskSummary{
		WorkflowID:            t.WorkflowInstanceID,
		WorkflowType:          t.WorkflowType,
		CorrelationID:         t.CorrelationID,
		ScheduledTime:         conductorTime(t.ScheduledTime),
		StartTime:             conductorTime(t.StartTime),
		UpdateTime:            conductorTime(t.UpdateTime),
		EndTime:               conductorTime(t.EndTime),
		Status:                t.Status,
		ReasonForIncompletion: t.ReasonForIncompletion,
		TaskDefName:           t.TaskDefName,
		TaskType:              t.TaskType,
		Input:                 summaryJSON(t.InputData),
		Output:                summaryJSON(t.OutputData),
		TaskID:                t.TaskID,
		WorkflowPriority:      t.WorkflowPriority,
		Domain:                t.Domain,
	}
	// As Conductor computes them.
	if t.EndTime > 0 && t.StartTime > 0 {
		s.ExecutionTime = t.EndTime - t.StartTime
	}
	if t.StartTime > 0 && t.ScheduledTime > 0 {
		s.QueueWaitTime = t.StartTime - t.ScheduledTime
	}
	return s
}

// GET /api/tasks/search
func (s *rest) searchTasks(w http.ResponseWriter, r *http.Request) error {
	page, offset, err := s.runTaskSearch(r)
	if err != nil {
		return err
	}
	out := make([]taskSummary, len(page.Tasks))
	for i, t := range page.Tasks {
		out[i] = summarizeTask(t)
	}
	writeJSON(w, http.StatusOK, newSearchResult(out, offset, page.Next))
	return nil
}

// GET /api/tasks/search-v2
func (s *rest) searchTasksV2(w http.ResponseWriter, r *http.Request) error {
	page, offset, err := s.runTaskSearch(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSearchResult(page.Tasks, offset, page.Next))
	return nil
}

func (s *rest) runTaskSearch(r *http.Request) (*store.TaskPage, int, error) {
	req, err := taskSearchRequest(r)
	if err != nil {
		return nil, 0, err
	}
	page, err := s.e.SearchTasks(r.Context(), req)
	return page, req.Offset, err
}

// taskSearchRequest reads the parameters of a task search. Tasks are
// ordered by scheduled time only; freeText searches the reason for
// incompletion.
func taskSearchRequest(r *http.Request) (engine.TaskSearchRequest, error) {
	var req engine.TaskSearchRequest
	p, err := readPaging(r)
	if err != nil {
		return req, err
	}
	req.Offset = p.start
	q := &req.Query
	q.Limit, q.Cursor, q.Ascending = p.size, p.cursor, p.ascending
	if p.sortField != "" && p.sortField != "scheduledTime" {
		return req, invalid("cannot sort tasks by %q: tasks are sorted by scheduledTime (sort=scheduledTime:ASC or :DESC)", p.sortField)
	}
	q.FreeText = freeText(r)
	if err := parseSearchQuery(r.URL.Query().Get("query"), taskQueryFields(q)); err != nil {
		return req, err
	}
	return req, nil
}

// taskQueryFields are the fields a task search query may use.
func taskQueryFields(q *store.TaskQuery) map[string]queryField {
	return map[string]queryField{
		"taskType":     func(op string, vs []string) error { return setOnce(&q.TaskType, "taskType", op, vs) },
		"workflowType": func(op string, vs []string) error { return setOnce(&q.WorkflowName, "workflowType", op, vs) },
		"workflowId":   func(op string, vs []string) error { return setOnce(&q.WorkflowID, "workflowId", op, vs) },
		"status": func(op string, vs []string) error {
			if op != "=" && op != "IN" {
				return fmt.Errorf("status supports = and IN, not %s", op)
			}
			if len(q.Statuses) > 0 {
				return fmt.Errorf("status is given twice; list every status in one IN (...)")
			}
			for _, v := range vs {
				st := workflow.TaskStatus(strings.ToUpper(v))
				if !st.Valid() {
					return fmt.Errorf("%q is not a task status (SCHEDULED, IN_PROGRESS, COMPLETED, FAILED, TIMED_OUT, CANCELED, ...)", v)
				}
				q.Statuses = append(q.Statuses, st)
			}
			return nil
		},
		"scheduledTime": timeRange("scheduledTime", &q.ScheduledFrom, &q.ScheduledTo),
		"startTime":     timeRange("startTime", &q.StartFrom, &q.StartTo),
		"endTime":       timeRange("endTime", &q.EndFrom, &q.EndTo),
		"updateTime":    timeRange("updateTime", &q.UpdateFrom, &q.UpdateTo),
	}
}
