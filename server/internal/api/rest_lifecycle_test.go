package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTRetryRestartRerun runs one execution through Conductor's
// lifecycle endpoints, each refusal with its status, over HTTP.
func TestRESTRetryRestartRerun(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})
	id := string(env.mustREST(t, restCall{method: "POST", path: "/api/workflow/" + flowName, body: `{"n": 1}`}).body)

	get := func() map[string]any {
		var wf map[string]any
		env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id}).json(t, &wf)
		return wf
	}
	statuses := func() []string {
		var out []string
		for _, task := range get()["tasks"].([]any) {
			task := task.(map[string]any)
			out = append(out, task["referenceTaskName"].(string)+":"+task["status"].(string))
		}
		return out
	}
	// finish polls the next task and reports status with output {y: 2x}.
	finish := func(status string) {
		var task map[string]any
		env.mustREST(t, restCall{method: "GET", path: "/api/tasks/poll/" + taskType + "?workerid=w"}).json(t, &task)
		x, err := task["inputData"].(map[string]any)["x"].(json.Number).Int64()
		require.NoError(t, err)
		result, err := json.Marshal(map[string]any{
			"workflowInstanceId": id, "taskId": task["taskId"], "status": status,
			"outputData": map[string]any{"y": 2 * x}, "reasonForIncompletion": "worker said " + status,
		})
		require.NoError(t, err)
		env.mustREST(t, restCall{method: "POST", path: "/api/tasks", body: string(result)})
	}

	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/retry"}), http.StatusConflict, "CONFLICT")
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/restart"}), http.StatusConflict, "CONFLICT")

	// Skip b ahead with its output, and set a variable, while a runs.
	env.mustREST(t, restCall{method: "PUT", path: "/api/workflow/" + id + "/skiptask/b", body: `{"taskOutput": {"y": 10}}`})
	requireErrorResponse(t, env.rest(t, restCall{method: "PUT", path: "/api/workflow/" + id + "/skiptask/a"}), http.StatusConflict, "CONFLICT")
	requireErrorResponse(t, env.rest(t, restCall{method: "PUT", path: "/api/workflow/" + id + "/skiptask/zz"}), http.StatusNotFound, "NOT_FOUND")
	env.mustREST(t, restCall{method: "POST", path: "/api/workflow/" + id + "/variables", body: `{"note": "hi"}`})
	require.Equal(t, map[string]any{"note": "hi"}, get()["variables"])
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/variables", body: `[1]`}), http.StatusBadRequest, "INVALID_INPUT")

	finish("COMPLETED") // a: y = 2
	finish("FAILED")    // c: x = 10 from the skipped b
	require.Equal(t, "FAILED", get()["status"])
	require.Equal(t, []string{"a:COMPLETED", "b:SKIPPED", "c:FAILED"}, statuses())

	// Retry: c runs again and the workflow completes.
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/retry?resumeSubworkflowTasks=maybe"}), http.StatusBadRequest, "INVALID_INPUT")
	r := env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/retry"})
	require.Equal(t, http.StatusNoContent, r.status, string(r.body))
	require.Equal(t, "RUNNING", get()["status"])
	finish("COMPLETED")
	wf := get()
	require.Equal(t, "COMPLETED", wf["status"])
	require.Equal(t, json.Number("20"), wf["output"].(map[string]any)["result"])
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/retry"}), http.StatusConflict, "CONFLICT")

	// Rerun from b with new input for it: a is kept.
	var tasks []map[string]any
	raw, err := json.Marshal(get()["tasks"])
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &tasks))
	body, err := json.Marshal(map[string]any{"reRunFromTaskId": tasks[1]["taskId"], "taskInput": map[string]any{"x": 100}})
	require.NoError(t, err)
	r = env.mustREST(t, restCall{method: "POST", path: "/api/workflow/" + id + "/rerun", body: string(body)})
	require.Equal(t, id, string(r.body))
	require.Equal(t, []string{"a:COMPLETED", "b:SCHEDULED"}, statuses())
	finish("COMPLETED") // b: y = 200
	finish("COMPLETED") // c: y = 400
	require.Equal(t, json.Number("400"), get()["output"].(map[string]any)["result"])
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/rerun", body: `{"reRunFromWorkflowId": "other"}`}), http.StatusBadRequest, "INVALID_INPUT")

	// Restart: everything runs again from a.
	r = env.rest(t, restCall{method: "POST", path: "/api/workflow/" + id + "/restart"})
	require.Equal(t, http.StatusNoContent, r.status, string(r.body))
	require.Equal(t, []string{"a:SCHEDULED"}, statuses())
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/nope/restart"}), http.StatusNotFound, "NOT_FOUND")
}
