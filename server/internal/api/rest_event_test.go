package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTEventHandlersAndSignals manages an event handler through
// Conductor's /api/event endpoints, lets an EVENT task trigger it to start a
// workflow, and completes a HUMAN task by reference name.
func TestRESTEventHandlersAndSignals(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	handler := `{"name": "on_ping", "event": "conductor:pinger:ping", "active": true, "condition": "$.n > 1",
		"actions": [{"action": "start_workflow", "start_workflow": {"name": "ponger", "input": {"n": "${n}", "from": "${workflowInstanceId}"}}}],
		"owner": "kept"}`
	env.mustREST(t, restCall{method: "POST", path: "/api/event", body: handler})
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/event", body: handler}), http.StatusConflict, "CONFLICT")
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/event", body: `{"name": "x", "event": "nocolon", "actions": []}`}), http.StatusBadRequest, "INVALID_INPUT")
	bad := requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/event", body: `{"name": "a/b\u0000", "event": "conductor:a:b", "actions": [{"action": "complete_task", "complete_task": {"taskId": "t"}}]}`}), http.StatusBadRequest, "INVALID_INPUT")
	require.Contains(t, bad["message"], "may not contain /")
	requireErrorResponse(t, env.rest(t, restCall{method: "PUT", path: "/api/event", body: `{"name": "ghost", "event": "conductor:a:b", "actions": [{"action": "complete_task", "complete_task": {"taskId": "t"}}]}`}), http.StatusNotFound, "NOT_FOUND")

	var listed []*workflow.EventHandler
	env.mustREST(t, restCall{method: "GET", path: "/api/event/conductor:pinger:ping"}).json(t, &listed)
	require.Len(t, listed, 1)
	require.Equal(t, "on_ping", listed[0].Name)
	require.Contains(t, listed[0].Extra, "owner", "unknown fields are kept")

	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: `[{"name": "pong_work", "retryCount": 0}]`})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: `{"name": "ponger", "version": 1,
		"tasks": [{"name": "pong_work", "taskReferenceName": "work"}, {"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"}],
		"outputParameters": {"n": "${workflow.input.n}", "approvedBy": "${approve.output.by}"}}`})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: `{"name": "pinger", "version": 1,
		"tasks": [{"name": "ping", "taskReferenceName": "ping", "type": "EVENT", "sink": "conductor", "inputParameters": {"n": "${workflow.input.n}"}}]}`})
	pinger := string(env.mustREST(t, restCall{method: "POST", path: "/api/workflow/pinger", body: `{"n": 2}`}).body)

	// The handler started a ponger; its first task shows where.
	var polled []*workflow.Task
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/poll/batch/pong_work?timeout=5000"}).json(t, &polled)
	require.Len(t, polled, 1)
	var ponger workflow.Workflow
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + polled[0].WorkflowInstanceID}).json(t, &ponger)
	require.Equal(t, "ponger", ponger.WorkflowName)
	require.Equal(t, pinger, ponger.Input["from"])
	require.Equal(t, json.Number("2"), ponger.Input["n"])
	env.mustREST(t, restCall{method: "POST", path: "/api/tasks", body: `{"taskId": "` + polled[0].TaskID + `", "status": "COMPLETED"}`})

	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/tasks/" + ponger.WorkflowID + "/nope/COMPLETED", body: `{}`}), http.StatusNotFound, "NOT_FOUND")
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/tasks/" + ponger.WorkflowID + "/approve/DONE", body: `{}`}), http.StatusBadRequest, "INVALID_INPUT")
	env.mustREST(t, restCall{method: "POST", path: "/api/tasks/" + ponger.WorkflowID + "/approve/COMPLETED?workerid=alice", body: `{"by": "alice"}`})
	var done workflow.Workflow
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + ponger.WorkflowID}).json(t, &done)
	require.Equal(t, workflow.StatusCompleted, done.Status)
	require.Equal(t, "alice", done.Output["approvedBy"])

	env.mustREST(t, restCall{method: "DELETE", path: "/api/event/on_ping"})
	requireErrorResponse(t, env.rest(t, restCall{method: "DELETE", path: "/api/event/on_ping"}), http.StatusNotFound, "NOT_FOUND")
	env.mustREST(t, restCall{method: "GET", path: "/api/event"}).json(t, &listed)
	require.Empty(t, listed)
}
