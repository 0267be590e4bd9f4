package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTExecute: Conductor's synchronous execution, answered when the
// workflow ends (200) or when the wait runs out (206).
func TestRESTExecute(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: `{
		"name": "quick", "version": 1,
		"tasks": [{"name": "set", "taskReferenceName": "set", "type": "SET_VARIABLE", "inputParameters": {"greeting": "${workflow.input.who}"}}],
		"outputParameters": {"said": "${workflow.variables.greeting}"}
	}`})

	var run map[string]any
	env.mustREST(t, restCall{method: "POST", path: "/api/workflow/execute/quick/1?requestId=r-1", body: `{"input": {"who": "Ada"}, "correlationId": "c"}`}).json(t, &run)
	require.Equal(t, "COMPLETED", run["status"])
	require.Equal(t, map[string]any{"said": "Ada"}, run["output"])
	require.Equal(t, "r-1", run["requestId"])
	require.Equal(t, "c", run["correlationId"])
	require.Len(t, run["tasks"], 1)

	r := env.rest(t, restCall{method: "POST", path: "/api/workflow/execute/" + flowName + "/1?waitForSeconds=1", body: `{"input": {"n": 1}}`})
	require.Equal(t, http.StatusPartialContent, r.status, string(r.body))
	r.json(t, &run)
	require.Equal(t, "RUNNING", run["status"])
	require.NotEmpty(t, run["workflowId"])

	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/execute/quick/x"}), http.StatusBadRequest, "INVALID_INPUT")
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/execute/quick/1?waitForSeconds=0"}), http.StatusBadRequest, "INVALID_INPUT")
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/execute/nope/1"}), http.StatusNotFound, "NOT_FOUND")
}
