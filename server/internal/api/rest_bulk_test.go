package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTBulk: Conductor's bulk endpoints answer a BulkResponse with a
// result per id.
func TestRESTBulk(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})
	var ids []string
	for range 3 {
		ids = append(ids, string(env.mustREST(t, restCall{method: "POST", path: "/api/workflow/" + flowName, body: `{"n": 1}`}).body))
	}
	type bulkResponse struct {
		BulkErrorResults      map[string]string `json:"bulkErrorResults"`
		BulkSuccessfulResults []string          `json:"bulkSuccessfulResults"`
	}
	bulk := func(method, path string, ids ...string) bulkResponse {
		t.Helper()
		body, err := json.Marshal(ids)
		require.NoError(t, err)
		var out bulkResponse
		env.mustREST(t, restCall{method: method, path: path, body: string(body)}).json(t, &out)
		return out
	}
	status := func(id string) string {
		var wf map[string]any
		env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id + "?includeTasks=false"}).json(t, &wf)
		return wf["status"].(string)
	}

	got := bulk("PUT", "/api/workflow/bulk/pause", ids[0], ids[1], "missing")
	require.Equal(t, []string{ids[0], ids[1]}, got.BulkSuccessfulResults)
	require.Len(t, got.BulkErrorResults, 1)
	require.Contains(t, got.BulkErrorResults["missing"], "does not exist")
	require.Equal(t, "PAUSED", status(ids[1]))

	got = bulk("PUT", "/api/workflow/bulk/resume", ids...)
	require.Equal(t, []string{ids[0], ids[1]}, got.BulkSuccessfulResults)
	require.Contains(t, got.BulkErrorResults, ids[2], "a running workflow is not resumed")

	got = bulk("POST", "/api/workflow/bulk/terminate?reason=cleanup", ids...)
	require.Equal(t, ids, got.BulkSuccessfulResults)
	require.Empty(t, got.BulkErrorResults)

	got = bulk("POST", "/api/workflow/bulk/retry", ids[0])
	require.Equal(t, []string{ids[0]}, got.BulkSuccessfulResults)
	got = bulk("POST", "/api/workflow/bulk/restart?useLatestDefinitions=true", ids[1], ids[2])
	require.Equal(t, []string{ids[1], ids[2]}, got.BulkSuccessfulResults)
	for _, id := range ids {
		require.Equal(t, "RUNNING", status(id))
	}

	// Remove: the running one is refused; terminate-remove takes it.
	require.Equal(t, []string{ids[0]}, bulk("POST", "/api/workflow/bulk/terminate?reason=x", ids[0]).BulkSuccessfulResults)
	got = bulk("DELETE", "/api/workflow/bulk/remove", ids[0], ids[1])
	require.Equal(t, []string{ids[0]}, got.BulkSuccessfulResults)
	require.Contains(t, got.BulkErrorResults[ids[1]], "terminate it first")
	got = bulk("DELETE", "/api/workflow/bulk/terminate-remove?reason=done", ids[1], ids[2])
	require.Equal(t, []string{ids[1], ids[2]}, got.BulkSuccessfulResults)
	for _, id := range ids {
		requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/workflow/" + id}), http.StatusNotFound, "NOT_FOUND")
	}
	r := env.rest(t, restCall{method: "DELETE", path: "/api/workflow/bulk/remove?archiveWorkflow=true", body: `["x"]`})
	requireErrorResponse(t, r, http.StatusConflict, "CONFLICT")

	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("%q", fmt.Sprint("id-", i))
	}
	r = env.rest(t, restCall{method: "PUT", path: "/api/workflow/bulk/pause", body: "[" + strings.Join(many, ",") + "]"})
	body := requireErrorResponse(t, r, http.StatusBadRequest, "INVALID_INPUT")
	require.Contains(t, body["message"], "at most 1000")
	requireErrorResponse(t, env.rest(t, restCall{method: "PUT", path: "/api/workflow/bulk/pause", body: "[]"}), http.StatusBadRequest, "INVALID_INPUT")
	requireErrorResponse(t, env.rest(t, restCall{method: "PUT", path: "/api/workflow/bulk/pause", body: `{"ids": []}`}), http.StatusBadRequest, "INVALID_INPUT")
	requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/workflow/bulk/restart?useLatestDefinitions=maybe", body: `["x"]`}), http.StatusBadRequest, "INVALID_INPUT")
}
