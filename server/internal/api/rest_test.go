package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
)

// sdkTaskResult and sdkTaskExecLog are TaskResult and TaskExecLog as
// Conductor's Go SDK declares them (conductor-go sdk/model), so the bodies
// below are what its workers send.
type sdkTaskResult struct {
	WorkflowInstanceId               string           `json:"workflowInstanceId"`
	TaskId                           string           `json:"taskId"`
	ReasonForIncompletion            string           `json:"reasonForIncompletion,omitempty"`
	CallbackAfterSeconds             int64            `json:"callbackAfterSeconds,omitempty"`
	WorkerId                         string           `json:"workerId,omitempty"`
	Status                           string           `json:"status,omitempty"`
	OutputDataRaw                    any              `json:"outputData,omitempty"`
	Logs                             []sdkTaskExecLog `json:"logs,omitempty"`
	ExternalOutputPayloadStoragePath string           `json:"externalOutputPayloadStoragePath,omitempty"`
	SubWorkflowId                    string           `json:"subWorkflowId,omitempty"`
}

type sdkTaskExecLog struct {
	Log         string `json:"log,omitempty"`
	TaskId      string `json:"taskId,omitempty"`
	CreatedTime int64  `json:"createdTime,omitempty"`
}

// restCall is one plain net/http request to the REST layer.
type restCall struct {
	method, path string
	body         string
	contentType  string // default application/json when there is a body
}

type restResponse struct {
	status      int
	contentType string
	body        []byte
}

func (r restResponse) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, workflow.Decode(r.body, v), string(r.body))
}

func (e *env) rest(t *testing.T, c restCall) restResponse {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(testContext(t), c.method, e.url+c.path, body)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	if c.body != "" {
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	resp, err := e.h1.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return restResponse{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: b}
}

// mustREST makes a call that must answer 200.
func (e *env) mustREST(t *testing.T, c restCall) restResponse {
	t.Helper()
	r := e.rest(t, c)
	require.Equal(t, http.StatusOK, r.status, "%s %s: %s", c.method, c.path, r.body)
	return r
}

// TestRESTEndToEnd runs the three-task workflow the way Conductor's Go SDK
// worker and client talk to a Conductor server.
func TestRESTEndToEnd(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})

	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})
	var def workflow.WorkflowDef
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/workflow/" + flowName + "?version=1"}).json(t, &def)
	require.Equal(t, flowName, def.Name)
	require.Equal(t, 1, def.Version)
	require.Len(t, def.Tasks, 3)

	started := env.mustREST(t, restCall{method: "POST", path: "/api/workflow",
		body: `{"name":"triple_double","version":1,"correlationId":"order-9","priority":3,"input":` + flowInputJSON + `}`})
	require.True(t, strings.HasPrefix(started.contentType, "text/plain"), started.contentType)
	id := string(started.body)
	require.NotEmpty(t, id)

	var sizes map[string]int
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/sizes?taskType=" + taskType + "&taskType=other"}).json(t, &sizes)
	require.Equal(t, map[string]int{taskType: 1, "other": 0}, sizes)

	var taskIDs []string
	for len(taskIDs) < 3 {
		r := env.mustREST(t, restCall{method: "GET", path: "/api/tasks/poll/batch/" + taskType + "?count=4&timeout=1000&workerid=host-1"})
		var tasks []map[string]any
		r.json(t, &tasks)
		for _, task := range tasks {
			taskID := task["taskId"].(string)
			require.Equal(t, "IN_PROGRESS", task["status"])
			require.Equal(t, id, task["workflowInstanceId"])
			require.Equal(t, "host-1", task["workerId"])
			require.Equal(t, "order-9", task["correlationId"])
			// The SDK sends a log line as the raw string; other SDKs quote it.
			env.mustREST(t, restCall{method: "POST", path: "/api/tasks/" + taskID + "/log", body: "plain line", contentType: "text/plain; charset=utf-8"})
			env.mustREST(t, restCall{method: "POST", path: "/api/tasks/" + taskID + "/log", body: `"quoted \"line\""`})
			result := sdkTaskResult{
				WorkflowInstanceId: task["workflowInstanceId"].(string),
				TaskId:             taskID,
				WorkerId:           "host-1",
				Status:             "COMPLETED",
				OutputDataRaw:      double(t, task["inputData"].(map[string]any)),
				Logs:               []sdkTaskExecLog{{Log: "from the result", TaskId: taskID, CreatedTime: 1700000000000}},
			}
			updated := env.mustREST(t, restCall{method: "POST", path: "/api/tasks", body: jsonText(t, result)})
			require.Equal(t, taskID, string(updated.body))
			taskIDs = append(taskIDs, taskID)
		}
	}

	var polls []map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/polldata?taskType=" + taskType}).json(t, &polls)
	require.Len(t, polls, 1)
	require.Equal(t, taskType, polls[0]["queueName"])
	require.Equal(t, "host-1", polls[0]["workerId"])
	require.NotZero(t, polls[0]["lastPollTime"])
	var all []map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/queue/polldata/all"}).json(t, &all)
	require.Equal(t, polls, all)
	requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/tasks/queue/polldata"}), http.StatusBadRequest, "INVALID_INPUT")

	var wf map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id + "?includeTasks=true"}).json(t, &wf)
	require.Equal(t, "COMPLETED", wf["status"])
	require.Equal(t, id, wf["workflowId"])
	require.Equal(t, flowName, wf["workflowName"])
	require.JSONEq(t, flowOutputJSON, jsonText(t, wf["output"]))
	require.Contains(t, jsonText(t, wf["output"]), bigNumber)
	require.Len(t, wf["tasks"], 3)

	var task map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/" + taskIDs[1]}).json(t, &task)
	require.Equal(t, "COMPLETED", task["status"])
	require.Equal(t, "b", task["referenceTaskName"])
	require.JSONEq(t, `{"y": 12}`, jsonText(t, task["outputData"]))

	var logs []sdkTaskExecLog
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/" + taskIDs[1] + "/log"}).json(t, &logs)
	var lines []string
	for _, l := range logs {
		lines = append(lines, l.Log)
		require.Equal(t, taskIDs[1], l.TaskId)
	}
	require.Equal(t, []string{"plain line", `quoted "line"`, "from the result"}, lines)

	// Nothing is left: the batch poll answers [], the single poll 204.
	empty := env.mustREST(t, restCall{method: "GET", path: "/api/tasks/poll/batch/" + taskType + "?timeout=0"})
	require.JSONEq(t, `[]`, string(empty.body))
	require.Equal(t, http.StatusNoContent, env.rest(t, restCall{method: "GET", path: "/api/tasks/poll/" + taskType + "?workerid=host-1"}).status)

	// Terminating a COMPLETED workflow is a conflict and changes nothing.
	r := env.rest(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "?reason=late"})
	requireErrorResponse(t, r, http.StatusConflict, "CONFLICT")
	wf = nil
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id}).json(t, &wf)
	require.Equal(t, "COMPLETED", wf["status"])
	require.Len(t, wf["tasks"], 3, "includeTasks defaults to true, as in Conductor")
	wf = nil
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id + "?includeTasks=false"}).json(t, &wf)
	require.Empty(t, wf["tasks"])
}

// TestRESTLifecycle covers the other REST endpoints: start by name, pause,
// resume, single poll, terminate and the metadata upkeep.
func TestRESTLifecycle(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})

	started := env.mustREST(t, restCall{method: "POST", path: "/api/workflow/" + flowName + "?version=1&correlationId=by-name&priority=5", body: `{"n": 1}`})
	id := string(started.body)
	status := func() string {
		var wf map[string]any
		env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id}).json(t, &wf)
		require.Equal(t, "by-name", wf["correlationId"])
		require.Equal(t, json.Number("5"), wf["priority"])
		return wf["status"].(string)
	}
	require.Equal(t, "RUNNING", status())

	env.mustREST(t, restCall{method: "PUT", path: "/api/workflow/" + id + "/pause"})
	require.Equal(t, "PAUSED", status())
	require.Equal(t, http.StatusNoContent, env.rest(t, restCall{method: "GET", path: "/api/tasks/poll/" + taskType}).status)
	env.mustREST(t, restCall{method: "PUT", path: "/api/workflow/" + id + "/resume"})
	require.Equal(t, "RUNNING", status())

	var task map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/poll/" + taskType + "?workerid=solo"}).json(t, &task)
	require.Equal(t, "IN_PROGRESS", task["status"])
	require.Equal(t, "a", task["referenceTaskName"])
	require.Equal(t, json.Number("1"), task["inputData"].(map[string]any)["x"])

	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "?reason=" + url.QueryEscape("changed my mind")})
	var wf map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id + "?includeTasks=true"}).json(t, &wf)
	require.Equal(t, "TERMINATED", wf["status"])
	require.Equal(t, "changed my mind", wf["reasonForIncompletion"])
	require.Equal(t, "CANCELED", wf["tasks"].([]any)[0].(map[string]any)["status"])
	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + id}) // terminating twice is a no-op

	// Task definitions: update needs an existing one; list; delete.
	requireErrorResponse(t, env.rest(t, restCall{method: "PUT", path: "/api/metadata/taskdefs", body: `{"name":"unknown"}`}), http.StatusNotFound, "NOT_FOUND")
	env.mustREST(t, restCall{method: "PUT", path: "/api/metadata/taskdefs", body: `{"name":"double","description":"doubles x"}`})
	var td workflow.TaskDef
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/taskdefs/double"}).json(t, &td)
	require.Equal(t, "doubles x", td.Description)
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: `[{"name":"spare"}]`})
	var tds []workflow.TaskDef
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/taskdefs"}).json(t, &tds)
	require.Len(t, tds, 2)
	env.mustREST(t, restCall{method: "DELETE", path: "/api/metadata/taskdefs/spare"})
	requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/metadata/taskdefs/spare"}), http.StatusNotFound, "NOT_FOUND")

	// Workflow definitions: a bulk upsert reports each result.
	v2 := strings.Replace(flowDefJSON, `"version": 1`, `"version": 2`, 1)
	var bulk struct {
		BulkSuccessfulResults []string          `json:"bulkSuccessfulResults"`
		BulkErrorResults      map[string]string `json:"bulkErrorResults"`
	}
	env.mustREST(t, restCall{method: "PUT", path: "/api/metadata/workflow", body: "[" + v2 + "," + invalidFlowJSON + "]"}).json(t, &bulk)
	require.Equal(t, []string{flowName}, bulk.BulkSuccessfulResults)
	require.Contains(t, bulk.BulkErrorResults["broken"], "/tasks/0/taskReferenceName")
	var defs []workflow.WorkflowDef
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/workflow"}).json(t, &defs)
	require.Len(t, defs, 2)
	var latest workflow.WorkflowDef
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/workflow/" + flowName}).json(t, &latest)
	require.Equal(t, 2, latest.Version)
	// A second POST of the same version replaces it (overwrite defaults to
	// true) unless overwrite=false; newVersion=true stores version 3.
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: v2})
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/metadata/workflow?overwrite=false", body: v2}), http.StatusConflict, "CONFLICT")
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow?newVersion=true", body: v2})
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/workflow/" + flowName}).json(t, &latest)
	require.Equal(t, 3, latest.Version)
	env.mustREST(t, restCall{method: "DELETE", path: "/api/metadata/workflow/" + flowName + "/3"})
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/workflow/" + flowName}).json(t, &latest)
	require.Equal(t, 2, latest.Version)
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow/validate", body: flowDefJSON})
}

// requireErrorResponse checks a Conductor ErrorResponse.
func requireErrorResponse(t *testing.T, r restResponse, status int, code string) map[string]any {
	t.Helper()
	require.Equal(t, status, r.status, string(r.body))
	require.Equal(t, "application/json", r.contentType)
	var body map[string]any
	r.json(t, &body)
	require.Equal(t, json.Number(jsonText(t, status)), body["status"])
	require.Equal(t, code, body["code"])
	require.NotEmpty(t, body["message"])
	require.Equal(t, hostname(t), body["instance"])
	require.Contains(t, body, "retryable")
	return body
}

// TestRESTBadInput sends requests that must be refused, and checks each is
// refused with Conductor's status and ErrorResponse and changes nothing.
func TestRESTBadInput(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	env := setup(t, api.Options{MaxBodyBytes: limit})
	f := newFixture(t, env.engine)
	before := snapshot(t, env.engine, f.workflowID)

	cases := []struct {
		name     string
		call     restCall
		status   int
		code     string
		contains string
		check    func(t *testing.T, body map[string]any)
	}{
		{
			name:     "malformed JSON",
			call:     restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[\n  {\"name\": \"x\",}\n]"},
			status:   http.StatusBadRequest,
			code:     "INVALID_INPUT",
			contains: "malformed JSON at line 2, column",
		},
		{
			name:     "wrong JSON type",
			call:     restCall{method: "POST", path: "/api/tasks", body: `{"taskId": 42, "status": "COMPLETED"}`},
			status:   http.StatusBadRequest,
			code:     "INVALID_INPUT",
			contains: `member "taskId" must be a JSON string, got a JSON number`,
		},
		{
			name:     "empty body",
			call:     restCall{method: "POST", path: "/api/workflow"},
			status:   http.StatusBadRequest,
			code:     "INVALID_INPUT",
			contains: "is empty",
		},
		{
			name:     "invalid workflow definition",
			call:     restCall{method: "POST", path: "/api/metadata/workflow", body: invalidFlowJSON},
			status:   http.StatusBadRequest,
			code:     "INVALID_INPUT",
			contains: "/tasks/0/taskReferenceName",
			check:    requireInvalidFlowPointers,
		},
		{
			name:     "validate an invalid workflow definition",
			call:     restCall{method: "POST", path: "/api/metadata/workflow/validate", body: invalidFlowJSON},
			status:   http.StatusBadRequest,
			code:     "INVALID_INPUT",
			contains: "/tasks/1/name",
			check:    requireInvalidFlowPointers,
		},
		{
			name:     "unknown workflow name",
			call:     restCall{method: "POST", path: "/api/workflow", body: `{"name": "no_such_flow", "input": {}}`},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no_such_flow",
		},
		{
			name:     "unknown workflow name in the path",
			call:     restCall{method: "POST", path: "/api/workflow/no_such_flow?version=2", body: `{}`},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no_such_flow",
		},
		{
			name:     "unknown workflow id",
			call:     restCall{method: "GET", path: "/api/workflow/no-such-id"},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no-such-id",
		},
		{
			name:     "pause an unknown workflow",
			call:     restCall{method: "PUT", path: "/api/workflow/no-such-id/pause"},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no-such-id",
		},
		{
			name:     "unknown task id",
			call:     restCall{method: "GET", path: "/api/tasks/no-such-task"},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no-such-task",
		},
		{
			name:     "log of an unknown task",
			call:     restCall{method: "POST", path: "/api/tasks/no-such-task/log", body: "hello", contentType: "text/plain"},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no-such-task",
		},
		{
			name:     "update of an unknown task",
			call:     restCall{method: "POST", path: "/api/tasks", body: `{"taskId": "no-such-task", "status": "COMPLETED"}`},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no-such-task",
		},
		{
			name:     "oversized body",
			call:     restCall{method: "POST", path: "/api/metadata/workflow", body: bigFlowJSON(limit)},
			status:   http.StatusRequestEntityTooLarge,
			code:     "PAYLOAD_TOO_LARGE",
			contains: "larger than the limit of 65536 bytes",
		},
		{
			name: "duplicate completion",
			call: restCall{method: "POST", path: "/api/tasks", body: jsonText(t, sdkTaskResult{
				WorkflowInstanceId: f.workflowID, TaskId: f.doneTask.TaskID, Status: "COMPLETED", OutputDataRaw: map[string]any{"y": 0},
			})},
			status:   http.StatusConflict,
			code:     "CONFLICT",
			contains: "already COMPLETED",
		},
		{
			name:     "batch poll timeout over the limit",
			call:     restCall{method: "GET", path: "/api/tasks/poll/batch/" + taskType + "?timeout=5001"},
			status:   http.StatusBadRequest,
			code:     "INVALID_INPUT",
			contains: "5000",
		},
		{
			name:     "bad query parameter",
			call:     restCall{method: "GET", path: "/api/metadata/workflow/" + flowName + "?version=latest"},
			status:   http.StatusBadRequest,
			code:     "INVALID_INPUT",
			contains: `version must be an integer, got "latest"`,
		},
		{
			name:     "unknown endpoint",
			call:     restCall{method: "GET", path: "/api/no/such/thing"},
			status:   http.StatusNotFound,
			code:     "NOT_FOUND",
			contains: "no endpoint GET /api/no/such/thing",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := requireErrorResponse(t, env.rest(t, tc.call), tc.status, tc.code)
			require.Contains(t, body["message"], tc.contains)
			require.Equal(t, false, body["retryable"])
			if tc.check != nil {
				tc.check(t, body)
			}
			require.Equal(t, before, snapshot(t, env.engine, f.workflowID), "a refused request changed nothing")
		})
	}
}

func requireInvalidFlowPointers(t *testing.T, body map[string]any) {
	t.Helper()
	var pointers []string
	for _, v := range body["validationErrors"].([]any) {
		ve := v.(map[string]any)
		pointers = append(pointers, ve["path"].(string))
		require.NotEmpty(t, ve["message"])
	}
	require.ElementsMatch(t, invalidFlowPointers, pointers)
}

// TestRESTBodyLimitDefault checks the default limit of 4 MiB.
func TestRESTBodyLimitDefault(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	big := bytes.Repeat([]byte("x"), api.DefaultMaxBodyBytes+1)
	r := env.rest(t, restCall{method: "POST", path: "/api/tasks/some-task/log", body: string(big)})
	body := requireErrorResponse(t, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
	require.Contains(t, body["message"], "4194304 bytes")
}
