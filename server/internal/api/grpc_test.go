package api_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/server/internal/api"
)

// dialGRPC connects a grpc-go client over cleartext HTTP/2.
func dialGRPC(t *testing.T, env *env) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(env.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// invoke makes a unary gRPC call with the generated messages; grpc-go
// needs no stubs for that.
func invoke[Res any, P interface {
	*Res
	proto.Message
}](ctx context.Context, conn *grpc.ClientConn, method string, req proto.Message) (P, error) {
	resp := P(new(Res))
	err := conn.Invoke(ctx, method, req, resp)
	return resp, err
}

// TestGRPCEndToEnd runs the three-task workflow with a grpc-go client.
func TestGRPCEndToEnd(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	conn := dialGRPC(t, env)
	ctx := testContext(t)

	_, err := invoke[batonv1.RegisterTaskDefsResponse](ctx, conn, "/baton.v1.MetadataService/RegisterTaskDefs",
		&batonv1.RegisterTaskDefsRequest{TaskDefJson: []string{taskDefJSON}})
	require.NoError(t, err)
	reg, err := invoke[batonv1.RegisterWorkflowDefResponse](ctx, conn, "/baton.v1.MetadataService/RegisterWorkflowDef",
		&batonv1.RegisterWorkflowDefRequest{WorkflowDefJson: flowDefJSON})
	require.NoError(t, err)
	require.EqualValues(t, 1, reg.GetVersion())
	start, err := invoke[batonv1.StartWorkflowResponse](ctx, conn, "/baton.v1.WorkflowService/StartWorkflow",
		&batonv1.StartWorkflowRequest{Name: flowName, Version: 1, InputJson: flowInputJSON})
	require.NoError(t, err)
	id := start.GetWorkflowId()

	done := 0
	for done < 3 {
		polled, err := invoke[batonv1.PollTasksResponse](ctx, conn, "/baton.v1.TaskService/PollTasks",
			&batonv1.PollTasksRequest{TaskType: taskType, WorkerId: "grpc-worker", Count: 3, WaitMs: 5000})
		require.NoError(t, err)
		for _, task := range polled.GetTasks() {
			_, err := invoke[batonv1.UpdateTaskResponse](ctx, conn, "/baton.v1.TaskService/UpdateTask",
				&batonv1.UpdateTaskRequest{Result: &batonv1.TaskResult{
					TaskId:             task.GetTaskId(),
					WorkflowInstanceId: task.GetWorkflowInstanceId(),
					Status:             batonv1.TaskStatus_TASK_STATUS_COMPLETED,
					OutputJson:         jsonText(t, double(t, decodeNumbers(t, task.GetInputJson()))),
					WorkerId:           "grpc-worker",
					PollCount:          task.GetPollCount(),
				}})
			require.NoError(t, err)
			done++
		}
	}

	wf, err := invoke[batonv1.GetWorkflowResponse](ctx, conn, "/baton.v1.WorkflowService/GetWorkflow",
		&batonv1.GetWorkflowRequest{WorkflowId: id, IncludeTasks: true})
	require.NoError(t, err)
	require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_COMPLETED, wf.GetWorkflow().GetStatus())
	require.JSONEq(t, flowOutputJSON, wf.GetWorkflow().GetOutputJson())
	require.Contains(t, wf.GetWorkflow().GetOutputJson(), bigNumber)
	require.Len(t, wf.GetWorkflow().GetTasks(), 3)
}

// TestGRPCErrors checks that gRPC clients get status codes and the
// diagnostics as google.rpc.BadRequest details.
func TestGRPCErrors(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	env := setup(t, api.Options{MaxBodyBytes: limit})
	f := newFixture(t, env.engine)
	conn := dialGRPC(t, env)
	ctx := testContext(t)
	before := snapshot(t, env.engine, f.workflowID)

	_, err := invoke[batonv1.GetWorkflowResponse](ctx, conn, "/baton.v1.WorkflowService/GetWorkflow",
		&batonv1.GetWorkflowRequest{WorkflowId: "no-such-id"})
	require.Equal(t, codes.NotFound, status.Code(err))

	_, err = invoke[batonv1.RegisterWorkflowDefResponse](ctx, conn, "/baton.v1.MetadataService/RegisterWorkflowDef",
		&batonv1.RegisterWorkflowDefRequest{WorkflowDefJson: invalidFlowJSON})
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code())
	var pointers []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				pointers = append(pointers, v.GetField())
			}
		}
	}
	require.ElementsMatch(t, invalidFlowPointers, pointers)

	_, err = invoke[batonv1.RegisterWorkflowDefResponse](ctx, conn, "/baton.v1.MetadataService/RegisterWorkflowDef",
		&batonv1.RegisterWorkflowDefRequest{WorkflowDefJson: bigFlowJSON(limit)})
	require.Equal(t, codes.ResourceExhausted, status.Code(err))

	_, err = invoke[batonv1.UpdateTaskResponse](ctx, conn, "/baton.v1.TaskService/UpdateTask",
		&batonv1.UpdateTaskRequest{Result: &batonv1.TaskResult{TaskId: f.doneTask.TaskID, Status: batonv1.TaskStatus_TASK_STATUS_COMPLETED}})
	require.Equal(t, codes.FailedPrecondition, status.Code(err))

	require.Equal(t, before, snapshot(t, env.engine, f.workflowID))
}

// TestGRPCReflection lists the services through both reflection versions,
// as grpcurl does.
func TestGRPCReflection(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	conn := dialGRPC(t, env)
	want := []string{"baton.v1.MetadataService", "baton.v1.WorkflowService", "baton.v1.TaskService", "baton.v1.PluginService", "baton.v1.QueueService", "baton.v1.WatchService"}

	t.Run("v1", func(t *testing.T) {
		t.Parallel()
		stream, err := reflectionv1.NewServerReflectionClient(conn).ServerReflectionInfo(testContext(t))
		require.NoError(t, err)
		require.NoError(t, stream.Send(&reflectionv1.ServerReflectionRequest{
			MessageRequest: &reflectionv1.ServerReflectionRequest_ListServices{ListServices: "*"},
		}))
		resp, err := stream.Recv()
		require.NoError(t, err)
		var names []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		require.Subset(t, names, want)

		require.NoError(t, stream.Send(&reflectionv1.ServerReflectionRequest{
			MessageRequest: &reflectionv1.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "baton.v1.TaskService"},
		}))
		resp, err = stream.Recv()
		require.NoError(t, err)
		require.NotEmpty(t, resp.GetFileDescriptorResponse().GetFileDescriptorProto())
		require.NoError(t, stream.CloseSend())
	})
	t.Run("v1alpha", func(t *testing.T) {
		t.Parallel()
		stream, err := reflectionv1alpha.NewServerReflectionClient(conn).ServerReflectionInfo(testContext(t))
		require.NoError(t, err)
		require.NoError(t, stream.Send(&reflectionv1alpha.ServerReflectionRequest{
			MessageRequest: &reflectionv1alpha.ServerReflectionRequest_ListServices{ListServices: "*"},
		}))
		resp, err := stream.Recv()
		require.NoError(t, err)
		var names []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			names = append(names, s.GetName())
		}
		require.Subset(t, names, want)
		require.NoError(t, stream.CloseSend())
	})
}
