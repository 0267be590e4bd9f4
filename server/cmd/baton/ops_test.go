package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// TestOperations runs the lifecycle commands on several executions of a
// real server, in table and JSON output, with a failing id among them.
func TestOperations(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	url := srv.URL()
	require.NoError(t, baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defsJSON)).err)
	var ids []string
	for range 2 {
		r := baton(t, "start", "hello", "--server", url, "--input", `{"name":"x"}`)
		require.NoError(t, r.err)
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	status := func(id string) workflow.Status {
		w, err := client.New(url).Workflow(t.Context(), id, false)
		require.NoError(t, err)
		return w.Status
	}

	r := baton(t, "pause", ids[0], ids[1], "--server", url)
	require.NoError(t, r.err)
	require.Equal(t, "WORKFLOW ID                           RESULT\n"+ids[0]+"  ok\n"+ids[1]+"  ok\n", r.stdout)
	require.Equal(t, workflow.StatusPaused, status(ids[1]))
	require.NoError(t, baton(t, "resume", ids[0], ids[1], "--server", url).err)

	r = baton(t, "terminate", "--reason", "done", ids[0], "missing", ids[1], "--server", url)
	require.ErrorContains(t, r.err, "terminate: 1 of 3 failed")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 4)
	require.Contains(t, lines[2], "missing")
	require.Contains(t, lines[2], "not_found")
	require.Equal(t, workflow.StatusTerminated, status(ids[1]))

	r = baton(t, "retry", ids[0], ids[1], "--output", "json", "--server", url)
	require.NoError(t, r.err)
	var results []opResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &results))
	require.Equal(t, []opResult{{WorkflowID: ids[0]}, {WorkflowID: ids[1]}}, results)
	require.Equal(t, workflow.StatusRunning, status(ids[0]))

	r = baton(t, "retry", ids[0], "--server", url, "--output", "json")
	require.Error(t, r.err)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &results))
	require.Contains(t, results[0].Error, "only an ended workflow can be retried")

	require.NoError(t, baton(t, "terminate", ids[0], "--server", url).err)
	require.NoError(t, baton(t, "rerun", ids[0], "--input", `{"name":"y"}`, "--correlation-id", "c2", "--server", url).err)
	w, err := client.New(url).Workflow(t.Context(), ids[0], true)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"name": "y"}, w.Input)
	require.Equal(t, "c2", w.CorrelationID)
	require.Equal(t, workflow.StatusRunning, w.Status)
	require.NoError(t, baton(t, "terminate", ids[0], "--server", url).err)
	require.NoError(t, baton(t, "restart", "--latest", ids[0], "--server", url).err)
	require.Equal(t, workflow.StatusRunning, status(ids[0]))
	require.NoError(t, baton(t, "terminate", ids[0], "--server", url).err)
	require.NoError(t, baton(t, "restart", ids[0], "--server", url).err)
	require.Equal(t, workflow.StatusRunning, status(ids[0]))

	require.ErrorContains(t, baton(t, "retry", "--server", url).err, "retry: give one or more workflow ids")
	require.ErrorContains(t, baton(t, "retry", ids[0], "--output", "yaml", "--server", url).err, "--output must be table or json")
	r = baton(t, "rerun", ids[0], "--input", "[1]", "--server", url)
	require.ErrorContains(t, r.err, "rerun: 1 of 1 failed")
	require.Contains(t, r.stdout, "--input is not a JSON object")
}
