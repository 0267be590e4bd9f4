package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/server"
)

// setupServer runs a whole server (in memory) with an archive in
// archiveDir unless it is empty, and returns its API as an env without an
// engine.
func setupServer(t *testing.T, archiveDir string) *env {
	t.Helper()
	s, err := server.New(server.Config{Addr: "127.0.0.1:0", InMemory: true, ArchiveDir: archiveDir})
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	var h2only http.Protocols
	h2only.SetUnencryptedHTTP2(true)
	h1 := &http.Client{Transport: &http.Transport{}}
	h2c := &http.Client{Transport: &http.Transport{Protocols: &h2only}}
	t.Cleanup(func() {
		h1.CloseIdleConnections()
		h2c.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, s.Stop(ctx))
	})
	e := &env{addr: s.Addr(), url: s.URL(), h1: h1, h2c: h2c}
	e.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	e.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})
	return e
}

func (e *env) startFlow(t *testing.T) string {
	t.Helper()
	return string(e.mustREST(t, restCall{method: "POST", path: "/api/workflow/" + flowName, body: flowInputJSON}).body)
}

// TestRESTRemove removes executions through Conductor's endpoints:
// running ones refused, ended ones removed, terminate-remove for running
// ones, archiving refused without an archive directory, 404 afterwards.
func TestRESTRemove(t *testing.T) {
	t.Parallel()
	env := setupServer(t, "")
	id := env.startFlow(t)

	r := env.rest(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "/remove"})
	require.Equal(t, http.StatusConflict, r.status)
	require.Contains(t, string(r.body), "terminate it first, or use terminate-remove")

	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "?reason=done"})
	r = env.rest(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "/remove?archiveWorkflow=true"})
	require.Equal(t, http.StatusConflict, r.status)
	require.Contains(t, string(r.body), "no archive directory")
	r = env.rest(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "/remove?archiveWorkflow=perhaps"})
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, string(r.body), "archiveWorkflow must be true or false")
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + id})

	// Without archiveWorkflow, a server without an archive just removes.
	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "/remove"})
	require.Equal(t, http.StatusNotFound, env.rest(t, restCall{method: "GET", path: "/api/workflow/" + id}).status)
	require.Equal(t, http.StatusNotFound, env.rest(t, restCall{method: "DELETE", path: "/api/workflow/" + id + "/remove"}).status)

	running := env.startFlow(t)
	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + running + "/terminate-remove?reason=cleanup&archiveWorkflow=false"})
	require.Equal(t, http.StatusNotFound, env.rest(t, restCall{method: "GET", path: "/api/workflow/" + running}).status)
	require.Equal(t, http.StatusNotFound, env.rest(t, restCall{method: "DELETE", path: "/api/workflow/missing/terminate-remove"}).status)
}

// TestRESTRemoveArchives removes with a server that has an archive: by
// default, the execution is archived first.
func TestRESTRemoveArchives(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := setupServer(t, dir)
	archived := env.startFlow(t)
	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + archived + "/terminate-remove"})
	plain := env.startFlow(t)
	env.mustREST(t, restCall{method: "DELETE", path: "/api/workflow/" + plain + "/terminate-remove?archiveWorkflow=false"})

	lines := archiveLines(t, dir)
	require.Len(t, lines, 1)
	require.Contains(t, lines[0], `"workflowId":"`+archived+`"`)
	require.Contains(t, lines[0], `"status":"TERMINATED"`)
	require.Contains(t, lines[0], `"taskReferenceName":"a"`, "with its tasks")
	require.Contains(t, lines[0], bigNumber, "its input, unrounded")
}

// TestConnectRemove removes executions with the Connect and gRPC clients.
func TestConnectRemove(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := setupServer(t, dir)
	for _, tc := range []struct {
		name string
		h2c  bool
		opts []connect.ClientOption
	}{
		{name: "Connect JSON", opts: []connect.ClientOption{connect.WithProtoJSON()}},
		{name: "gRPC", h2c: true, opts: []connect.ClientOption{connect.WithGRPC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := env.h1
			if tc.h2c {
				hc = env.h2c
			}
			c := newClients(hc, env.url, tc.opts...)
			ctx := testContext(t)
			id := env.startFlow(t)

			_, err := c.flows.RemoveWorkflow(ctx, connect.NewRequest(&batonv1.RemoveWorkflowRequest{WorkflowId: id}))
			require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "%v", err)
			require.ErrorContains(t, err, "terminate it first")

			res, err := c.flows.RemoveWorkflow(ctx, connect.NewRequest(&batonv1.RemoveWorkflowRequest{WorkflowId: id, Terminate: true, Reason: "cleanup"}))
			require.NoError(t, err)
			require.True(t, res.Msg.GetArchived(), "archived by default on a server with an archive")
			_, err = c.flows.GetWorkflow(ctx, connect.NewRequest(&batonv1.GetWorkflowRequest{WorkflowId: id}))
			require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))

			other := env.startFlow(t)
			res, err = c.flows.RemoveWorkflow(ctx, connect.NewRequest(&batonv1.RemoveWorkflowRequest{WorkflowId: other, Terminate: true, Archive: new(bool)}))
			require.NoError(t, err)
			require.False(t, res.Msg.GetArchived())
			_, err = c.flows.RemoveWorkflow(ctx, connect.NewRequest(&batonv1.RemoveWorkflowRequest{WorkflowId: other}))
			require.Equal(t, connect.CodeNotFound, connect.CodeOf(err))

			found := 0
			for _, l := range archiveLines(t, dir) {
				if strings.Contains(l, `"workflowId":"`+id+`"`) {
					found++
				}
				require.NotContains(t, l, `"workflowId":"`+other+`"`)
			}
			require.Equal(t, 1, found)
		})
	}
}

// archiveLines returns the lines of every archive file in dir.
func archiveLines(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var lines []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		lines = append(lines, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	return lines
}
