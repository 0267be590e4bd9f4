package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTSignal: Conductor's signal endpoints complete the task that
// blocks a workflow, by reference name or not, answering the workflow id
// or, with /sync, the workflow.
func TestRESTSignal(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: `{
		"name": "two_steps", "version": 1,
		"tasks": [{"name": "a", "taskReferenceName": "a", "type": "HUMAN"}, {"name": "b", "taskReferenceName": "b", "type": "WAIT"}],
		"outputParameters": {"a": "${a.output.v}", "b": "${b.output.v}"}
	}`})
	id := string(env.mustREST(t, restCall{method: "POST", path: "/api/workflow/two_steps", body: `{}`}).body)

	var wf map[string]any
	env.mustREST(t, restCall{method: "POST", path: "/api/tasks/" + id + "/a/COMPLETED/sync", body: `{"v": 1}`}).json(t, &wf)
	require.Equal(t, "RUNNING", wf["status"])
	require.Len(t, wf["tasks"], 2)

	require.Equal(t, id, string(env.mustREST(t, restCall{method: "POST", path: "/api/tasks/" + id + "/COMPLETED/signal", body: `{"v": 2}`}).body))
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id}).json(t, &wf)
	require.Equal(t, "COMPLETED", wf["status"])
	require.Equal(t, map[string]any{"a": json.Number("1"), "b": json.Number("2")}, wf["output"])

	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/tasks/" + id + "/COMPLETED/signal/sync"}), http.StatusConflict, "CONFLICT")
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/tasks/" + id + "/DONE/signal"}), http.StatusBadRequest, "INVALID_INPUT")
}
