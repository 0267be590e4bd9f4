package api_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
)

// A second definition, so that searches by name have something to tell
// apart.
const singleFlowJSON = `{"name": "single", "version": 1, "ownerEmail": "dev@example.com",
	"tasks": [{"name": "double", "taskReferenceName": "a", "type": "SIMPLE", "inputParameters": {"x": "${workflow.input.n}"}}]}`

// searchEnv is a server with both definitions registered.
func searchEnv(t *testing.T) *env {
	t.Helper()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: singleFlowJSON})
	return env
}

// startREST starts an execution through POST /api/workflow.
func (e *env) startREST(t *testing.T, name, correlationID string, input map[string]any) string {
	t.Helper()
	body := jsonText(t, map[string]any{"name": name, "correlationId": correlationID, "input": input})
	r := e.mustREST(t, restCall{method: "POST", path: "/api/workflow", body: body})
	return string(r.body)
}

type summaryPage struct {
	TotalHits  int64            `json:"totalHits"`
	Results    []map[string]any `json:"results"`
	NextCursor string           `json:"nextCursor"`
}

func (e *env) searchREST(t *testing.T, path string, params url.Values) summaryPage {
	t.Helper()
	var page summaryPage
	e.mustREST(t, restCall{method: "GET", path: path + "?" + params.Encode()}).json(t, &page)
	return page
}

func resultIDs(page summaryPage, key string) []string {
	out := []string{}
	for _, r := range page.Results {
		out = append(out, r[key].(string))
	}
	return out
}

// TestRESTSearch runs Conductor's search endpoints: the query language,
// the summary and full shapes, offsets, cursors and totalHits, task
// searches, and the refusals.
func TestRESTSearch(t *testing.T) {
	t.Parallel()
	env := searchEnv(t)
	ctx := testContext(t)
	a := env.startREST(t, flowName, "corr-1", map[string]any{"n": 1, "note": "Rush delivery"})
	b := env.startREST(t, flowName, "corr-2", map[string]any{"n": 2})
	c := env.startREST(t, "single", "corr-1", map[string]any{"n": 3, "note": "gift wrap"})
	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + b + "?reason=" + url.QueryEscape("customer cancelled")})
	wa, err := env.engine.Workflow(ctx, a, false)
	require.NoError(t, err)

	// Every execution, newest first; the summary in Conductor's shape.
	all := env.searchREST(t, "/api/workflow/search", url.Values{"freeText": {"*"}})
	require.Equal(t, []string{c, b, a}, resultIDs(all, "workflowId"))
	require.EqualValues(t, 3, all.TotalHits)
	require.Empty(t, all.NextCursor)
	sa := all.Results[2]
	require.Equal(t, flowName, sa["workflowType"])
	require.Equal(t, json.Number("1"), sa["version"])
	require.Equal(t, "RUNNING", sa["status"])
	require.Equal(t, "corr-1", sa["correlationId"])
	require.Equal(t, time.UnixMilli(wa.CreateTime).UTC().Format("2006-01-02T15:04:05.000Z"), sa["startTime"])
	require.JSONEq(t, `{"n":1,"note":"Rush delivery"}`, sa["input"].(string))
	require.Equal(t, "", sa["failedReferenceTaskNames"])
	require.NotContains(t, sa, "endTime")
	sb := all.Results[1]
	require.Equal(t, "TERMINATED", sb["status"])
	require.Equal(t, "customer cancelled", sb["reasonForIncompletion"])
	require.NotEmpty(t, sb["endTime"])

	for _, c2 := range []struct {
		name   string
		params url.Values
		want   []string
	}{
		{"Type", url.Values{"query": {"workflowType = 'triple_double'"}}, []string{b, a}},
		{"TypeInOne", url.Values{"query": {"workflowType IN (single)"}}, []string{c}},
		{"Status", url.Values{"query": {`status IN (FAILED, TERMINATED)`}}, []string{b}},
		{"TypeStatusVersion", url.Values{"query": {`workflowType = "triple_double" AND status = RUNNING AND version = 1`}}, []string{a}},
		{"Correlation", url.Values{"query": {"correlationId = 'corr-1'"}, "sort": {"startTime:ASC"}}, []string{a, c}},
		{"StartTime", url.Values{"query": {fmt.Sprintf("startTime >= %d AND startTime < %d", wa.CreateTime, time.Now().Add(time.Hour).UnixMilli())}}, []string{c, b, a}},
		{"Ended", url.Values{"query": {"endTime > 0"}}, []string{b}},
		{"FreeText", url.Values{"freeText": {"rush"}}, []string{a}},
		{"FreeTextReason", url.Values{"freeText": {"Cancelled"}}, []string{b}},
		{"SortEnd", url.Values{"sort": {"endTime:DESC"}}, []string{b, c, a}},
	} {
		got := env.searchREST(t, "/api/workflow/search", c2.params)
		require.Equal(t, c2.want, resultIDs(got, "workflowId"), c2.name)
	}

	// search-v2: whole executions without their tasks.
	var full struct {
		TotalHits int64                `json:"totalHits"`
		Results   []*workflow.Workflow `json:"results"`
	}
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/search-v2?query=" + url.QueryEscape("correlationId = 'corr-1'")}).json(t, &full)
	require.Len(t, full.Results, 2)
	require.Equal(t, c, full.Results[0].WorkflowID)
	require.Equal(t, "gift wrap", full.Results[0].Input["note"])
	require.Empty(t, full.Results[0].Tasks)

	// Offsets: totalHits counts what the pages so far prove, plus one
	// while another page follows.
	p1 := env.searchREST(t, "/api/workflow/search", url.Values{"size": {"2"}})
	require.Equal(t, []string{c, b}, resultIDs(p1, "workflowId"))
	require.EqualValues(t, 3, p1.TotalHits)
	require.NotEmpty(t, p1.NextCursor)
	p2 := env.searchREST(t, "/api/workflow/search", url.Values{"size": {"2"}, "start": {"2"}})
	require.Equal(t, []string{a}, resultIDs(p2, "workflowId"))
	require.EqualValues(t, 3, p2.TotalHits)
	p3 := env.searchREST(t, "/api/workflow/search", url.Values{"size": {"2"}, "start": {"5"}})
	require.Empty(t, p3.Results)
	// The cursor continues where the first page ended.
	pc := env.searchREST(t, "/api/workflow/search", url.Values{"size": {"2"}, "cursor": {p1.NextCursor}})
	require.Equal(t, []string{a}, resultIDs(pc, "workflowId"))
	require.Empty(t, pc.NextCursor)

	// Tasks: the first task of each execution, b's cancelled.
	tasks := env.searchREST(t, "/api/tasks/search", url.Values{"query": {"taskType = 'double' AND status = SCHEDULED"}, "sort": {"scheduledTime:ASC"}})
	require.Len(t, tasks.Results, 2)
	require.Equal(t, []string{a, c}, resultIDs(tasks, "workflowId"))
	require.Equal(t, "double", tasks.Results[0]["taskDefName"])
	require.NotEmpty(t, tasks.Results[0]["scheduledTime"])
	byWorkflow := env.searchREST(t, "/api/tasks/search", url.Values{"query": {"workflowId = '" + b + "'"}})
	require.Len(t, byWorkflow.Results, 1)
	require.Equal(t, "CANCELED", byWorkflow.Results[0]["status"])
	var fullTasks struct {
		Results []*workflow.Task `json:"results"`
	}
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/search-v2?query=" + url.QueryEscape("workflowType = 'single'")}).json(t, &fullTasks)
	require.Len(t, fullTasks.Results, 1)
	require.Equal(t, c, fullTasks.Results[0].WorkflowInstanceID)
	require.Equal(t, "a", fullTasks.Results[0].ReferenceTaskName)

	// Refusals say what is wrong.
	for _, bad := range []struct {
		path, params, says string
	}{
		{"/api/workflow/search", "query=" + url.QueryEscape("workflowId = 'x'"), `the clause "workflowId = x" is not supported`},
		{"/api/workflow/search", "query=" + url.QueryEscape("status = RUNNING OR status = FAILED"), "joined by AND"},
		{"/api/workflow/search", "query=" + url.QueryEscape("workflowType IN (a, b)"), "more than one name"},
		{"/api/workflow/search", "query=" + url.QueryEscape("status = DONE"), `"DONE" is not a workflow status`},
		{"/api/workflow/search", "query=" + url.QueryEscape("version > 1"), "version supports only ="},
		{"/api/workflow/search", "query=" + url.QueryEscape("startTime > yesterday"), "Unix milliseconds or RFC 3339"},
		{"/api/workflow/search", "query=" + url.QueryEscape("correlationId = 'open"), "not closed"},
		{"/api/workflow/search", "sort=workflowId:ASC", "cannot sort workflows"},
		{"/api/workflow/search", "sort=startTime:UP", "ASC or DESC"},
		{"/api/workflow/search", "start=9990&size=20", "over the limit of 10000"},
		{"/api/workflow/search", "start=-1", "must not be negative"},
		{"/api/workflow/search", "size=5000", "over the maximum of 1000"},
		{"/api/workflow/search", "start=2&cursor=" + p1.NextCursor, "either an offset"},
		{"/api/workflow/search", "cursor=garbage", "malformed"},
		{"/api/workflow/search", "freeText=" + url.QueryEscape("!!"), "no word"},
		{"/api/tasks/search", "sort=startTime:ASC", "sorted by scheduledTime"},
		{"/api/tasks/search", "query=" + url.QueryEscape("taskRefName = 'a'"), "is not supported"},
	} {
		r := env.rest(t, restCall{method: "GET", path: bad.path + "?" + bad.params})
		body := requireErrorResponse(t, r, http.StatusBadRequest, "INVALID_INPUT")
		require.Contains(t, body["message"], bad.says, bad.params)
	}
}

// TestConnectSearch searches over Connect, gRPC-Web and gRPC with the
// generated clients, and over gRPC with grpc-go.
func TestConnectSearch(t *testing.T) {
	t.Parallel()
	env := searchEnv(t)
	ctx := testContext(t)
	a := env.startREST(t, flowName, "corr-1", map[string]any{"n": 1, "note": "Rush delivery"})
	b := env.startREST(t, "single", "corr-2", map[string]any{"n": 2})
	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + b + "?reason=late"})

	for _, tc := range []struct {
		name string
		c    *clients
	}{
		{"Connect JSON", newClients(env.h1, env.url, connect.WithProtoJSON())},
		{"gRPC-Web", newClients(env.h1, env.url, connect.WithGRPCWeb())},
		{"gRPC", newClients(env.h2c, env.url, connect.WithGRPC())},
	} {
		res, err := tc.c.flows.SearchWorkflows(ctx, connect.NewRequest(&batonv1.SearchWorkflowsRequest{
			Statuses: []batonv1.WorkflowStatus{batonv1.WorkflowStatus_WORKFLOW_STATUS_RUNNING}, FreeText: "rush",
		}))
		require.NoError(t, err, tc.name)
		require.Len(t, res.Msg.GetWorkflows(), 1, tc.name)
		require.Equal(t, a, res.Msg.GetWorkflows()[0].GetWorkflowId())
		require.Empty(t, res.Msg.GetWorkflows()[0].GetTasks())
		require.JSONEq(t, `{"n":1,"note":"Rush delivery"}`, res.Msg.GetWorkflows()[0].GetInputJson())

		page, err := tc.c.flows.SearchWorkflows(ctx, connect.NewRequest(&batonv1.SearchWorkflowsRequest{
			Limit: 1, Ascending: true, SortBy: batonv1.WorkflowSortField_WORKFLOW_SORT_FIELD_CREATE_TIME,
		}))
		require.NoError(t, err)
		require.Equal(t, a, page.Msg.GetWorkflows()[0].GetWorkflowId())
		next, err := tc.c.flows.SearchWorkflows(ctx, connect.NewRequest(&batonv1.SearchWorkflowsRequest{
			Limit: 1, Ascending: true, Cursor: page.Msg.GetNextCursor(),
		}))
		require.NoError(t, err)
		require.Equal(t, b, next.Msg.GetWorkflows()[0].GetWorkflowId())
		require.Empty(t, next.Msg.GetNextCursor())

		tasks, err := tc.c.flows.SearchTasks(ctx, connect.NewRequest(&batonv1.SearchTasksRequest{
			TaskType: taskType, Statuses: []batonv1.TaskStatus{batonv1.TaskStatus_TASK_STATUS_CANCELED},
		}))
		require.NoError(t, err)
		require.Len(t, tasks.Msg.GetTasks(), 1)
		require.Equal(t, b, tasks.Msg.GetTasks()[0].GetWorkflowInstanceId())

		_, err = tc.c.flows.SearchWorkflows(ctx, connect.NewRequest(&batonv1.SearchWorkflowsRequest{Version: 2}))
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
		require.Contains(t, err.Error(), "without a workflow name")
		_, err = tc.c.flows.SearchTasks(ctx, connect.NewRequest(&batonv1.SearchTasksRequest{Limit: 5000}))
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
	}

	conn := dialGRPC(t, env)
	res, err := invoke[batonv1.SearchWorkflowsResponse](ctx, conn, "/baton.v1.WorkflowService/SearchWorkflows",
		&batonv1.SearchWorkflowsRequest{Name: "single"})
	require.NoError(t, err)
	require.Len(t, res.GetWorkflows(), 1)
	require.Equal(t, b, res.GetWorkflows()[0].GetWorkflowId())
	tasks, err := invoke[batonv1.SearchTasksResponse](ctx, conn, "/baton.v1.WorkflowService/SearchTasks",
		&batonv1.SearchTasksRequest{WorkflowId: a})
	require.NoError(t, err)
	require.Len(t, tasks.GetTasks(), 1)
	_, err = invoke[batonv1.SearchWorkflowsResponse](ctx, conn, "/baton.v1.WorkflowService/SearchWorkflows",
		&batonv1.SearchWorkflowsRequest{Cursor: "nope"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

// TestRESTSearchProperty starts random executions through the REST API,
// terminates and pauses some, then checks that random searches through
// GET /api/workflow/search (the query language, freeText, sort, offsets
// and cursors) find exactly what a brute-force filter over the executions
// read back with GET /api/workflow/{id} finds, in the same order.
func TestRESTSearchProperty(t *testing.T) {
	t.Parallel()
	env := searchEnv(t)
	rng := rand.New(rand.NewPCG(7, 11))
	words := []string{"alpha", "beta", "gamma", "delta", "Epsilon"}
	pick := func(list []string) string { return list[rng.IntN(len(list))] }

	var ids []string
	for i := range 60 {
		input := map[string]any{"n": i}
		if rng.IntN(2) == 0 {
			input["note"] = pick(words) + " " + pick(words)
		}
		ids = append(ids, env.startREST(t, pick([]string{flowName, "single"}), fmt.Sprint("c", rng.IntN(4)), input))
	}
	for _, id := range ids {
		switch rng.IntN(4) {
		case 0:
			env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "?reason=" + url.QueryEscape(pick(words))})
		case 1:
			env.mustREST(t, restCall{method: "PUT", path: "/api/workflow/" + id + "/pause"})
		}
	}
	var execs []*workflow.Workflow
	for _, id := range ids {
		var w workflow.Workflow
		env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id + "?includeTasks=false"}).json(t, &w)
		execs = append(execs, &w)
	}
	var created, ended []int64
	for _, w := range execs {
		created = append(created, w.CreateTime)
		if w.EndTime > 0 {
			ended = append(ended, w.EndTime)
		}
	}

	for i := range 60 {
		var clauses []string
		var match []func(*workflow.Workflow) bool
		if rng.IntN(2) == 0 {
			name := pick([]string{flowName, "single"})
			clauses = append(clauses, fmt.Sprintf("workflowType = '%s'", name))
			match = append(match, func(w *workflow.Workflow) bool { return w.WorkflowName == name })
		}
		if rng.IntN(2) == 0 {
			sts := []workflow.Status{}
			for range 1 + rng.IntN(2) {
				sts = append(sts, []workflow.Status{workflow.StatusRunning, workflow.StatusPaused, workflow.StatusTerminated}[rng.IntN(3)])
			}
			names := make([]string, len(sts))
			for j, s := range sts {
				names[j] = string(s)
			}
			clauses = append(clauses, "status IN ("+strings.Join(names, ", ")+")")
			match = append(match, func(w *workflow.Workflow) bool { return slices.Contains(sts, w.Status) })
		}
		if rng.IntN(4) == 0 {
			corr := fmt.Sprint("c", rng.IntN(5))
			clauses = append(clauses, "correlationId = \""+corr+"\"")
			match = append(match, func(w *workflow.Workflow) bool { return w.CorrelationID == corr })
		}
		// Time clauses on the times the executions have, with every
		// operator, so that a bound off by one shows.
		timeClause := func(field string, pool []int64, value func(*workflow.Workflow) int64) {
			v := pool[rng.IntN(len(pool))]
			op := pick([]string{">", ">=", "<", "<="})
			clauses = append(clauses, fmt.Sprintf("%s %s %d", field, op, v))
			match = append(match, func(w *workflow.Workflow) bool {
				x := value(w)
				if field == "endTime" && x == 0 {
					return false
				}
				switch op {
				case ">":
					return x > v
				case ">=":
					return x >= v
				case "<":
					return x < v
				}
				return x <= v
			})
		}
		if rng.IntN(2) == 0 {
			timeClause("startTime", created, func(w *workflow.Workflow) int64 { return w.CreateTime })
		}
		if rng.IntN(3) == 0 && len(ended) > 0 {
			timeClause("endTime", ended, func(w *workflow.Workflow) int64 { return w.EndTime })
		}
		params := url.Values{"query": {strings.Join(clauses, " AND ")}}
		if rng.IntN(3) == 0 {
			word := pick(words)
			params.Set("freeText", strings.ToUpper(word))
			match = append(match, func(w *workflow.Workflow) bool {
				note, _ := w.Input["note"].(string)
				return slices.Contains(strings.Fields(strings.ToLower(note+" "+w.ReasonForIncompletion)), strings.ToLower(word))
			})
		}
		sortField := pick([]string{"startTime", "endTime", "updateTime"})
		asc := rng.IntN(2) == 0
		params.Set("sort", sortField+map[bool]string{true: ":ASC", false: ":DESC"}[asc])

		var want []string
		for _, w := range execs {
			if !slices.ContainsFunc(match, func(m func(*workflow.Workflow) bool) bool { return !m(w) }) {
				want = append(want, w.WorkflowID)
			}
		}
		key := func(id string) [2]int64 {
			w := execs[slices.Index(ids, id)]
			switch sortField {
			case "endTime":
				return [2]int64{w.EndTime, w.CreateTime}
			case "updateTime":
				return [2]int64{w.UpdateTime}
			}
			return [2]int64{w.CreateTime}
		}
		slices.SortFunc(want, func(x, y string) int {
			c := cmp.Or(cmp.Compare(key(x)[0], key(y)[0]), cmp.Compare(key(x)[1], key(y)[1]), strings.Compare(x, y))
			if !asc {
				c = -c
			}
			return c
		})
		want = append([]string{}, want...)

		// Pages by offset and by cursor must both list them.
		size := 1 + rng.IntN(7)
		params.Set("size", fmt.Sprint(size))
		byOffset, byCursor := []string{}, []string{}
		for start := 0; ; start += size {
			params.Set("start", fmt.Sprint(start))
			page := env.searchREST(t, "/api/workflow/search", params)
			byOffset = append(byOffset, resultIDs(page, "workflowId")...)
			if int64(start+size) >= page.TotalHits {
				break
			}
		}
		params.Del("start")
		for {
			page := env.searchREST(t, "/api/workflow/search", params)
			byCursor = append(byCursor, resultIDs(page, "workflowId")...)
			if page.NextCursor == "" {
				break
			}
			params.Set("cursor", page.NextCursor)
		}
		require.Equal(t, want, byOffset, "query %d by offset: %v", i, params)
		require.Equal(t, want, byCursor, "query %d by cursor: %v", i, params)
	}
}
