package api_test

import (
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
)

// TestConnectRetryRestartRerun drives the lifecycle RPCs over Connect and
// gRPC: the refusals with their codes, then a failed execution retried,
// rerun from a task with new input, and restarted.
func TestConnectRetryRestartRerun(t *testing.T) {
	t.Parallel()
	for _, proto := range []struct {
		name string
		opts []connect.ClientOption
	}{{"connect", []connect.ClientOption{connect.WithProtoJSON()}}, {"grpc", []connect.ClientOption{connect.WithGRPC()}}} {
		t.Run(proto.name, func(t *testing.T) {
			t.Parallel()
			env := setup(t, api.Options{})
			f := newFixture(t, env.engine)
			c := newClients(env.h2c, env.url, proto.opts...)
			ctx := testContext(t)
			id := f.workflowID
			requireCode := func(err error, code connect.Code, text string) {
				t.Helper()
				require.Error(t, err)
				require.Equal(t, code, connect.CodeOf(err), err.Error())
				require.Contains(t, err.Error(), text)
			}
			tasks := func() []*batonv1.Task {
				resp, err := c.flows.GetWorkflow(ctx, connect.NewRequest(&batonv1.GetWorkflowRequest{WorkflowId: id, IncludeTasks: true}))
				require.NoError(t, err)
				return resp.Msg.GetWorkflow().GetTasks()
			}

			_, err := c.flows.RetryWorkflow(ctx, connect.NewRequest(&batonv1.RetryWorkflowRequest{WorkflowId: id}))
			requireCode(err, connect.CodeFailedPrecondition, "only an ended workflow can be retried")
			_, err = c.flows.SetWorkflowVariables(ctx, connect.NewRequest(&batonv1.SetWorkflowVariablesRequest{WorkflowId: id, VariablesJson: `[1]`}))
			requireCode(err, connect.CodeInvalidArgument, "variables_json")
			_, err = c.flows.SetWorkflowVariables(ctx, connect.NewRequest(&batonv1.SetWorkflowVariablesRequest{WorkflowId: id, VariablesJson: `{"k": 1}`}))
			require.NoError(t, err)
			_, err = c.flows.SkipTask(ctx, connect.NewRequest(&batonv1.SkipTaskRequest{WorkflowId: id, TaskReferenceName: "b"}))
			requireCode(err, connect.CodeFailedPrecondition, "already scheduled")
			_, err = c.flows.SkipTask(ctx, connect.NewRequest(&batonv1.SkipTaskRequest{WorkflowId: id, TaskReferenceName: "c", TaskOutputJson: `{"y": 5}`}))
			require.NoError(t, err)

			// b fails: the workflow fails; retry gives b a new attempt.
			require.NoError(t, env.engine.UpdateTask(ctx, &workflow.TaskResult{TaskID: f.nextTask.TaskID, Status: workflow.TaskFailed}))
			_, err = c.flows.RetryWorkflow(ctx, connect.NewRequest(&batonv1.RetryWorkflowRequest{WorkflowId: id}))
			require.NoError(t, err)
			got := tasks()
			require.Len(t, got, 4) // a, c skipped, b failed, b again
			require.Equal(t, batonv1.TaskStatus_TASK_STATUS_SCHEDULED, got[3].GetStatus())
			require.Equal(t, "b", got[3].GetReferenceTaskName())

			// Rerun needs an ended workflow; terminate, then rerun from b.
			_, err = c.flows.RerunWorkflow(ctx, connect.NewRequest(&batonv1.RerunWorkflowRequest{WorkflowId: id}))
			requireCode(err, connect.CodeFailedPrecondition, "only an ended workflow can be rerun")
			_, err = c.flows.TerminateWorkflow(ctx, connect.NewRequest(&batonv1.TerminateWorkflowRequest{WorkflowId: id}))
			require.NoError(t, err)
			_, err = c.flows.RerunWorkflow(ctx, connect.NewRequest(&batonv1.RerunWorkflowRequest{WorkflowId: id, RerunFromTaskId: got[3].GetTaskId(), TaskInputJson: `{"x": "{"}`}))
			require.NoError(t, err)
			_, err = c.flows.TerminateWorkflow(ctx, connect.NewRequest(&batonv1.TerminateWorkflowRequest{WorkflowId: id}))
			require.NoError(t, err)
			_, err = c.flows.RerunWorkflow(ctx, connect.NewRequest(&batonv1.RerunWorkflowRequest{WorkflowId: id, TaskInputJson: `{"x": `}))
			requireCode(err, connect.CodeInvalidArgument, "task_input_json")

			_, err = c.flows.RestartWorkflow(ctx, connect.NewRequest(&batonv1.RestartWorkflowRequest{WorkflowId: id}))
			require.NoError(t, err)
			got = tasks()
			require.Len(t, got, 1)
			require.Equal(t, "a", got[0].GetReferenceTaskName())
			_, err = c.flows.RestartWorkflow(ctx, connect.NewRequest(&batonv1.RestartWorkflowRequest{WorkflowId: "nope"}))
			requireCode(err, connect.CodeNotFound, "nope")
		})
	}
}
