package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// TestSignal completes waiting tasks from the command line: one by
// reference name, then the one that blocks a parent through its child.
func TestSignal(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	url := srv.URL()
	defs := `[
		{"name": "approval", "version": 1, "tasks": [{"name": "ok", "taskReferenceName": "ok", "type": "HUMAN"}],
		 "outputParameters": {"by": "${ok.output.by}"}},
		{"name": "outer", "version": 1, "tasks": [{"name": "child", "taskReferenceName": "child", "type": "SUB_WORKFLOW",
		 "subWorkflowParam": {"name": "approval", "version": 1}}], "outputParameters": {"by": "${child.output.by}"}}
	]`
	require.NoError(t, baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defs)).err)
	c := client.New(url)
	get := func(id string) *workflow.Workflow {
		w, err := c.Workflow(t.Context(), id, true)
		require.NoError(t, err)
		return w
	}

	r := baton(t, "start", "approval", "--server", url)
	require.NoError(t, r.err)
	id := strings.TrimSpace(r.stdout)
	r = baton(t, "signal", id, "ok", "--output", `{"by": "ada"}`, "--server", url)
	require.NoError(t, r.err)
	require.Equal(t, id+"\n", r.stdout)
	require.Equal(t, workflow.StatusCompleted, get(id).Status)
	require.Equal(t, map[string]any{"by": "ada"}, get(id).Output)

	r = baton(t, "start", "outer", "--server", url)
	require.NoError(t, r.err)
	outer := strings.TrimSpace(r.stdout)
	require.Eventually(t, func() bool {
		tasks := get(outer).Tasks
		if len(tasks) != 1 || tasks[0].SubWorkflowID == "" {
			return false
		}
		w, err := c.Workflow(t.Context(), tasks[0].SubWorkflowID, true)
		return err == nil && len(w.Tasks) == 1
	}, 10*time.Second, time.Millisecond)
	child := get(outer).Tasks[0].SubWorkflowID
	r = baton(t, "signal", outer, "--status", "failed", "--reason", "no", "--server", url)
	require.NoError(t, r.err)
	require.Equal(t, child+"\n", r.stdout, "the child held the blocking task")
	require.Eventually(t, func() bool { return get(outer).Status == workflow.StatusFailed }, 10*time.Second, time.Millisecond)

	r = baton(t, "signal", outer, "--server", url)
	require.ErrorContains(t, r.err, "waits on no WAIT or HUMAN task")
	require.ErrorContains(t, baton(t, "signal", "--server", url).err, "give a workflow id")
	require.ErrorContains(t, baton(t, "signal", id, "--status", "DONE", "--server", url).err, `--status "DONE" is not a task status`)
	require.ErrorContains(t, baton(t, "signal", id, "--output", "[1]", "--server", url).err, "--output is not a JSON object")
}
