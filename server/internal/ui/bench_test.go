package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// fanOut starts a workflow whose dynamic fork schedules n SIMPLE tasks
// (they wait for workers, so the execution stays RUNNING with n+2 tasks).
func fanOut(t testing.TB, c *client.Client, n int) string {
	t.Helper()
	def := &workflow.WorkflowDef{Name: "fanout", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{
		{
			Name: "fanout", TaskReferenceName: "fanout", Type: workflow.TypeForkJoinDynamic,
			DynamicForkTasksParam: "tasks", DynamicForkTasksInputParamName: "inputs",
			InputParameters: map[string]any{"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"},
		},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
	}}
	_, err := c.RegisterWorkflowDef(t.Context(), def, true, false)
	require.NoError(t, err)
	tasks := make([]any, n)
	inputs := map[string]any{}
	for i := range n {
		ref := fmt.Sprintf("work_%d", i)
		tasks[i] = map[string]any{"name": "work", "taskReferenceName": ref, "type": workflow.TypeSimple}
		inputs[ref] = map[string]any{"i": i}
	}
	id, err := c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: "fanout", Input: map[string]any{"tasks": tasks, "inputs": inputs}})
	require.NoError(t, err)
	return id
}

// BenchmarkExecutionPage measures the server's render of the page of an
// execution of 1,000 and of 10,000 tasks, through HTTP on loopback.
func BenchmarkExecutionPage(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			srv := batontest.New(b)
			id := fanOut(b, srv.Client(), n)
			var size int
			for b.Loop() {
				resp, err := http.Get(srv.URL() + "/executions/" + id)
				require.NoError(b, err)
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(b, err)
				require.Equal(b, http.StatusOK, resp.StatusCode)
				size = len(body)
			}
			b.ReportMetric(float64(size)/1024, "KiB/page")
		})
	}
}
