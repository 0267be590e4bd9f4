package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTWorkflowDefVersions: GET /api/metadata/workflow/{name}/versions
// lists one definition's versions, oldest first, without the others'; an
// unknown name is a 404; names-and-versions lists them all by name.
func TestRESTWorkflowDefVersions(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	for range 3 {
		env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow?newVersion=true", body: flowDefJSON})
	}
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: `{"name": "other", "tasks": [{"name": "w", "taskReferenceName": "w", "type": "WAIT"}]}`})
	env.mustREST(t, restCall{method: "DELETE", path: "/api/metadata/workflow/" + flowName + "/2"})

	var got []struct {
		Name       string `json:"name"`
		Version    int    `json:"version"`
		CreateTime int64  `json:"createTime"`
	}
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/workflow/" + flowName + "/versions"}).json(t, &got)
	require.Len(t, got, 2)
	require.Equal(t, flowName, got[0].Name)
	require.Equal(t, []int{1, 3}, []int{got[0].Version, got[1].Version})
	require.Positive(t, got[0].CreateTime)

	var all map[string][]struct {
		Name    string `json:"name"`
		Version int    `json:"version"`
	}
	env.mustREST(t, restCall{method: "GET", path: "/api/metadata/workflow/names-and-versions"}).json(t, &all)
	require.Len(t, all, 2)
	require.Len(t, all[flowName], 2)
	require.Equal(t, 3, all[flowName][1].Version)
	require.Equal(t, "other", all["other"][0].Name)

	r := env.rest(t, restCall{method: "GET", path: "/api/metadata/workflow/missing/versions"})
	require.Equal(t, http.StatusNotFound, r.status, string(r.body))
	require.Contains(t, string(r.body), `workflow definition \"missing\" is not registered`)
}
