package client_test

import (
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// TestSearch searches executions and tasks with the client, over Connect
// and over gRPC.
func TestSearch(t *testing.T) {
	t.Parallel()
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	for _, tc := range []struct {
		name      string
		protocols *http.Protocols
		opts      []client.Option
	}{
		{name: "Connect"},
		{name: "gRPC", protocols: &h2c, opts: []client.Option{client.WithGRPC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := batontest.New(t)
			c := client.New(srv.URL(), append(tc.opts, client.WithHTTPClient(&http.Client{Transport: transport(t, tc.protocols)}))...)
			ctx := t.Context()
			register(t, c)
			before := time.Now().Add(-time.Minute)
			var ids []string
			for i, note := range []string{"express delivery", "standard", "express pickup"} {
				id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, CorrelationID: "order-7",
					Input: map[string]any{"amount": i, "note": note}})
				require.NoError(t, err)
				ids = append(ids, id)
			}
			require.NoError(t, c.TerminateWorkflow(ctx, ids[2], "out of stock"))

			page, err := c.SearchWorkflows(ctx, client.WorkflowQuery{Text: "express", Statuses: []workflow.Status{workflow.StatusRunning}})
			require.NoError(t, err)
			require.Len(t, page.Workflows, 1)
			require.Equal(t, ids[0], page.Workflows[0].WorkflowID)
			require.Equal(t, "express delivery", page.Workflows[0].Input["note"])
			require.Empty(t, page.Next)

			// Pages, oldest first.
			var got []string
			q := client.WorkflowQuery{Name: flowName, CorrelationID: "order-7", StartedAfter: before, Ascending: true, Limit: 2}
			for {
				page, err := c.SearchWorkflows(ctx, q)
				require.NoError(t, err)
				for _, w := range page.Workflows {
					got = append(got, w.WorkflowID)
				}
				if page.Next == "" {
					break
				}
				q.Cursor = page.Next
			}
			require.Equal(t, ids, got)

			page, err = c.SearchWorkflows(ctx, client.WorkflowQuery{SortBy: client.SortEndTime, EndedAfter: before})
			require.NoError(t, err)
			require.Len(t, page.Workflows, 1)
			require.Equal(t, ids[2], page.Workflows[0].WorkflowID)

			tasks, err := c.SearchTasks(ctx, client.TaskQuery{TaskType: taskType, Statuses: []workflow.TaskStatus{workflow.TaskScheduled},
				ScheduledAfter: before, Ascending: true})
			require.NoError(t, err)
			require.Len(t, tasks.Tasks, 2)
			require.Equal(t, ids[0], tasks.Tasks[0].WorkflowInstanceID)
			require.Equal(t, "first", tasks.Tasks[0].ReferenceTaskName)
			tasks, err = c.SearchTasks(ctx, client.TaskQuery{WorkflowID: ids[2]})
			require.NoError(t, err)
			require.Len(t, tasks.Tasks, 1)
			require.Equal(t, workflow.TaskCanceled, tasks.Tasks[0].Status)

			_, err = c.SearchWorkflows(ctx, client.WorkflowQuery{Version: 3})
			require.ErrorContains(t, err, "without a workflow name")
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
			_, err = c.SearchWorkflows(ctx, client.WorkflowQuery{Statuses: []workflow.Status{"DONE"}})
			require.ErrorContains(t, err, `"DONE" is not a workflow status`)
			_, err = c.SearchTasks(ctx, client.TaskQuery{Cursor: "x"})
			require.ErrorContains(t, err, "malformed")
		})
	}
}
