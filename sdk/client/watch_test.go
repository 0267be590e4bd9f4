package client_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// TestWatchWorkflow drives a workflow from inside the watch loop: each
// event shows the commit of the step before, until the end; a watch
// resumed from a position gets the rest; WatchWorkflows sees the end.
func TestWatchWorkflow(t *testing.T) {
	t.Parallel()
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	cases := []struct {
		name      string
		protocols *http.Protocols
		opts      []client.Option
	}{
		{name: "Connect"},
		{name: "gRPC", protocols: &h2c, opts: []client.Option{client.WithGRPC()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := batontest.New(t)
			c := client.New(srv.URL(), append(tc.opts, client.WithHTTPClient(&http.Client{Transport: transport(t, tc.protocols)}))...)
			register(t, c)
			ctx := t.Context()
			id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, Input: map[string]any{"amount": 5}})
			require.NoError(t, err)

			statuses := map[string]workflow.TaskStatus{}
			var last client.FeedPosition
			step := func() {
				tasks, err := c.PollTasks(ctx, taskType, "watcher", "", 1, 0)
				require.NoError(t, err)
				require.Len(t, tasks, 1)
				require.NoError(t, c.UpdateTask(ctx, &workflow.TaskResult{
					TaskID: tasks[0].TaskID, WorkflowInstanceID: id, Status: workflow.TaskCompleted, OutputData: map[string]any{"amount": 5},
				}))
			}
			for ev, err := range c.WatchWorkflow(ctx, id, nil) {
				require.NoError(t, err)
				if last == (client.FeedPosition{}) {
					require.True(t, ev.IsSnapshot())
					require.Len(t, ev.Snapshot.Tasks, 1)
					require.NotEmpty(t, ev.Snapshot.Tasks[0].InputData, "the snapshot has the tasks' input")
					last = ev.Position
					step() // the deltas that follow show it
					continue
				}
				require.False(t, ev.IsSnapshot())
				require.Greater(t, ev.Position.Seq, last.Seq)
				last = ev.Position
				for _, task := range ev.Delta.Tasks {
					require.Empty(t, task.InputData)
					statuses[task.ReferenceTaskName] = task.Status
				}
				if statuses["first"] == workflow.TaskCompleted {
					break // stops the stream
				}
			}
			require.Equal(t, map[string]workflow.TaskStatus{"first": workflow.TaskCompleted, "second": workflow.TaskScheduled}, statuses)

			step() // while nobody watches
			for ev, err := range c.WatchWorkflow(ctx, id, &last) {
				require.NoError(t, err)
				require.False(t, ev.IsSnapshot(), "resumed: no snapshot")
				require.Greater(t, ev.Position.Seq, last.Seq)
				last = ev.Position
				for _, task := range ev.Delta.Tasks {
					statuses[task.ReferenceTaskName] = task.Status
				}
				if ev.Delta.Workflow.Status == workflow.StatusCompleted {
					break
				}
			}
			require.Equal(t, map[string]workflow.TaskStatus{"first": workflow.TaskCompleted, "second": workflow.TaskCompleted}, statuses)

			for ev, err := range c.WatchWorkflows(ctx, client.WatchQuery{Names: []string{flowName}}, nil) {
				require.NoError(t, err)
				require.Len(t, ev.Workflows, 1)
				require.Equal(t, workflow.StatusCompleted, ev.Workflows[0].Status)
				break
			}
		})
	}
}

func TestWatchMissingWorkflow(t *testing.T) {
	t.Parallel()
	c := setup(t)
	var errs []error
	for ev, err := range c.WatchWorkflow(t.Context(), "missing", nil) {
		require.Nil(t, ev)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1, "an error ends the sequence")
	require.True(t, client.IsNotFound(errs[0]), "err: %v", errs[0])

	for _, err := range c.WatchWorkflows(t.Context(), client.WatchQuery{Statuses: []workflow.Status{"DONE"}}, nil) {
		require.ErrorContains(t, err, `"DONE" is not a workflow status`)
	}
}
