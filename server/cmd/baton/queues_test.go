package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
)

// TestQueuesAndOverview lists the queues of a real server with `baton
// queues`, one queue with its workers, and the overview, in table and JSON
// output: two workflows wait on a task type, one of them leased to a
// worker in a domain.
//
// It does not run in parallel: wazero v1.12 initializes a global (its
// version, read by the first runtime) without synchronization, so two
// servers created at once as the first of a process are a data race.
// Running alone, before the parallel tests, this test creates the first.
func TestQueuesAndOverview(t *testing.T) {
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", InMemory: true})
	require.NoError(t, err)
	require.NoError(t, srv.Start(t.Context()))
	t.Cleanup(func() { srv.Stop(context.Background()) })
	url := srv.URL()
	ctx := t.Context()
	c := client.New(url)
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: "encode"}))
	_, err = c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "video", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "encode", TaskReferenceName: "encode", Type: workflow.TypeSimple},
	}}, true, false)
	require.NoError(t, err)
	_, err = c.StartWorkflow(ctx, &workflow.StartRequest{Name: "video"})
	require.NoError(t, err)
	_, err = c.StartWorkflow(ctx, &workflow.StartRequest{Name: "video", TaskToDomain: map[string]string{"encode": "gpu"}})
	require.NoError(t, err)
	leased, err := c.PollTasks(ctx, "encode", "encoder-1", "gpu", 1, 0)
	require.NoError(t, err)
	require.Len(t, leased, 1)

	r := baton(t, "queues", "--output", "json", "--server", url)
	require.NoError(t, r.err, r.stderr)
	var queues []*client.Queue
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &queues))
	require.Len(t, queues, 2)
	require.Equal(t, []string{"", "gpu"}, []string{queues[0].Domain, queues[1].Domain})
	require.Equal(t, 1, queues[0].Depth)
	require.Zero(t, queues[0].InFlight)
	require.Zero(t, queues[1].Depth)
	require.Equal(t, 1, queues[1].InFlight)
	require.Equal(t, 1, queues[1].Workers)

	r = baton(t, "queues", "--server", url)
	require.NoError(t, r.err, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `^TYPE\s+DOMAIN\s+DEPTH\s+DELAYED\s+IN FLIGHT\s+OLDEST`, lines[0])
	require.Regexp(t, `^encode\s+-\s+1\s+0\s+0\s+`, lines[1])
	require.Regexp(t, `^encode\s+gpu\s+0\s+0\s+1\s+`, lines[2])

	r = baton(t, "queues", "encode", "--domain", "gpu", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Regexp(t, `(?m)^WORKER\s+DOMAIN\s+LAST POLL\s+POLLS/MIN$`, r.stdout)
	require.Regexp(t, `(?m)^encoder-1\s+gpu\s+\S+\s+1$`, r.stdout)
	r = baton(t, "queues", "encode", "--domain", "gpu", "--output", "json", "--server", url)
	require.NoError(t, r.err, r.stderr)
	var detail struct {
		Depth       int                   `json:"depth"`
		InFlight    int                   `json:"inFlight"`
		WorkerStats []*client.QueueWorker `json:"workerStats"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &detail))
	require.Equal(t, 1, detail.InFlight)
	require.Len(t, detail.WorkerStats, 1)
	require.Equal(t, "encoder-1", detail.WorkerStats[0].WorkerID)

	r = baton(t, "overview", "--output", "json", "--server", url)
	require.NoError(t, r.err, r.stderr)
	var o client.Overview
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &o))
	require.Equal(t, 2, o.Counts[workflow.StatusRunning])
	require.Len(t, o.BusiestByDepth, 1)
	require.Equal(t, "encode", o.BusiestByDepth[0].TaskType)
	r = baton(t, "overview", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Regexp(t, `(?m)^RUNNING\s+PAUSED\s+COMPLETED\s+FAILED\s+TIMED OUT\s+TERMINATED\n2\s+0\s+0\s+0\s+0\s+0$`, r.stdout)
	require.Regexp(t, `(?m)^hour\s+2\s+0\s+0\s+0\s+0\.00$`, r.stdout)

	// Mistakes are refused with what to do.
	r = baton(t, "queues", "--domain", "gpu", "--server", url)
	require.ErrorContains(t, r.err, "--domain needs a task type")
	r = baton(t, "queues", "a", "b", "--server", url)
	require.ErrorContains(t, r.err, "at most one task type")
	r = baton(t, "overview", "--busiest", "500", "--server", url)
	require.ErrorContains(t, r.err, "busiest must be between 0")
}
