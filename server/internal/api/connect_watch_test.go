package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
	"github.com/batonhq/baton/server/internal/engine"
)

// completeNext leases the fixture's next task and completes it.
func completeNext(t *testing.T, e *engine.Engine) *workflow.Task {
	t.Helper()
	tasks, err := e.Poll(t.Context(), engine.PollRequest{TaskType: taskType, WorkerID: "watcher-test"})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.NoError(t, e.UpdateTask(t.Context(), &workflow.TaskResult{
		TaskID: tasks[0].TaskID, Status: workflow.TaskCompleted, OutputData: map[string]any{"y": 1},
	}))
	return tasks[0]
}

// TestConnectWatchWorkflow watches an execution with the generated Connect
// client in the Connect and gRPC protocols: a snapshot, then the deltas of
// each commit in order; a resumed stream gets what it missed; cancelling
// the stream frees its subscription.
func TestConnectWatchWorkflow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		h2c  bool
		opts []connect.ClientOption
	}{
		{name: "Connect JSON over HTTP/1.1", opts: []connect.ClientOption{connect.WithProtoJSON()}},
		{name: "gRPC over HTTP/2", h2c: true, opts: []connect.ClientOption{connect.WithGRPC()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := setup(t, api.Options{})
			hc := env.h1
			if tc.h2c {
				hc = env.h2c
			}
			watch := batonv1connect.NewWatchServiceClient(hc, env.url, tc.opts...)
			fx := newFixture(t, env.engine)

			ctx, cancel := context.WithCancel(testContext(t))
			stream, err := watch.WatchWorkflow(ctx, connect.NewRequest(&batonv1.WatchWorkflowRequest{WorkflowId: fx.workflowID}))
			require.NoError(t, err)
			require.True(t, stream.Receive(), "%v", stream.Err())
			first := stream.Msg()
			snap := first.GetSnapshot()
			require.NotNil(t, snap, "the stream starts with a snapshot")
			require.Len(t, snap.GetWorkflow().GetTasks(), 2)
			require.NotEmpty(t, snap.GetWorkflow().GetTasks()[0].GetOutputJson(), "the snapshot is the execution as GetWorkflow returns it")
			require.Equal(t, 1, env.engine.Subscribers())

			b := completeNext(t, env.engine)
			var deltas []*batonv1.WatchWorkflowResponse
			for len(deltas) < 2 {
				require.True(t, stream.Receive(), "%v", stream.Err())
				deltas = append(deltas, stream.Msg())
			}
			lease, done := deltas[0], deltas[1]
			require.Equal(t, first.GetPosition().GetEpoch(), lease.GetPosition().GetEpoch())
			require.Greater(t, lease.GetPosition().GetSeq(), first.GetPosition().GetSeq())
			require.Greater(t, done.GetPosition().GetSeq(), lease.GetPosition().GetSeq())
			require.Greater(t, lease.GetDelta().GetVersion(), snap.GetVersion())
			require.Len(t, lease.GetDelta().GetTasks(), 1)
			require.Equal(t, b.TaskID, lease.GetDelta().GetTasks()[0].GetTaskId())
			require.Equal(t, batonv1.TaskStatus_TASK_STATUS_IN_PROGRESS, lease.GetDelta().GetTasks()[0].GetStatus())
			require.Equal(t, "watcher-test", lease.GetDelta().GetTasks()[0].GetWorkerId())
			statuses := map[string]batonv1.TaskStatus{}
			for _, task := range done.GetDelta().GetTasks() {
				require.Empty(t, task.GetInputJson(), "deltas carry no input or output")
				statuses[task.GetReferenceTaskName()] = task.GetStatus()
			}
			require.Equal(t, map[string]batonv1.TaskStatus{"b": batonv1.TaskStatus_TASK_STATUS_COMPLETED, "c": batonv1.TaskStatus_TASK_STATUS_SCHEDULED}, statuses)

			cancel()
			require.False(t, stream.Receive())
			require.NoError(t, stream.Close())
			require.Eventually(t, func() bool { return env.engine.Subscribers() == 0 }, 10*time.Second, 10*time.Millisecond,
				"a cancelled stream frees its subscription")

			// The last task runs while nobody watches; a stream resumed
			// from the last position gets exactly what it missed.
			completeNext(t, env.engine)
			resumed, err := watch.WatchWorkflow(testContext(t), connect.NewRequest(&batonv1.WatchWorkflowRequest{
				WorkflowId: fx.workflowID, From: done.GetPosition(),
			}))
			require.NoError(t, err)
			defer resumed.Close()
			var missed []*batonv1.WatchWorkflowResponse
			for len(missed) < 2 {
				require.True(t, resumed.Receive(), "%v", resumed.Err())
				missed = append(missed, resumed.Msg())
			}
			require.Nil(t, missed[0].GetSnapshot(), "resumed: no snapshot")
			require.Equal(t, done.GetPosition().GetSeq()+1, missed[0].GetPosition().GetSeq())
			require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_COMPLETED, missed[1].GetDelta().GetWorkflow().GetStatus())

			// A position of another epoch (a restarted server) gets a snapshot.
			other, err := watch.WatchWorkflow(testContext(t), connect.NewRequest(&batonv1.WatchWorkflowRequest{
				WorkflowId: fx.workflowID, From: &batonv1.FeedPosition{Epoch: "an-earlier-run", Seq: done.GetPosition().GetSeq()},
			}))
			require.NoError(t, err)
			defer other.Close()
			require.True(t, other.Receive(), "%v", other.Err())
			require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_COMPLETED, other.Msg().GetSnapshot().GetWorkflow().GetStatus())
		})
	}
}

// TestGRPCWatchWorkflow watches with a grpc-go client.
func TestGRPCWatchWorkflow(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	conn := dialGRPC(t, env)
	fx := newFixture(t, env.engine)
	ctx, cancel := context.WithCancel(testContext(t))
	desc := &grpc.StreamDesc{StreamName: "WatchWorkflow", ServerStreams: true}
	stream, err := conn.NewStream(ctx, desc, "/baton.v1.WatchService/WatchWorkflow")
	require.NoError(t, err)
	require.NoError(t, stream.SendMsg(&batonv1.WatchWorkflowRequest{WorkflowId: fx.workflowID}))
	require.NoError(t, stream.CloseSend())
	var first batonv1.WatchWorkflowResponse
	require.NoError(t, stream.RecvMsg(&first))
	require.Equal(t, fx.workflowID, first.GetSnapshot().GetWorkflow().GetWorkflowId())

	completeNext(t, env.engine)
	var lease, done batonv1.WatchWorkflowResponse
	require.NoError(t, stream.RecvMsg(&lease))
	require.NoError(t, stream.RecvMsg(&done))
	require.Equal(t, batonv1.TaskStatus_TASK_STATUS_IN_PROGRESS, lease.GetDelta().GetTasks()[0].GetStatus())
	require.Len(t, done.GetDelta().GetTasks(), 2)
	cancel()
	require.Eventually(t, func() bool { return env.engine.Subscribers() == 0 }, 10*time.Second, 10*time.Millisecond)

	// An unknown execution is NOT_FOUND.
	missing, err := conn.NewStream(testContext(t), desc, "/baton.v1.WatchService/WatchWorkflow")
	require.NoError(t, err)
	require.NoError(t, missing.SendMsg(&batonv1.WatchWorkflowRequest{WorkflowId: "no-such-workflow"}))
	require.NoError(t, missing.CloseSend())
	err = missing.RecvMsg(new(batonv1.WatchWorkflowResponse))
	require.ErrorContains(t, err, "workflow no-such-workflow does not exist")
	require.Equal(t, 0, env.engine.Subscribers())
}

// TestConnectWatchWorkflows watches a query: a snapshot page, then a delta
// for each commit of a matching execution, including the one that takes
// it out of the statuses asked for.
func TestConnectWatchWorkflows(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	watch := batonv1connect.NewWatchServiceClient(env.h1, env.url)
	fx := newFixture(t, env.engine)

	bad, err := watch.WatchWorkflows(testContext(t), connect.NewRequest(&batonv1.WatchWorkflowsRequest{Limit: 5000}))
	require.NoError(t, err, "the error comes with the stream")
	require.False(t, bad.Receive())
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(bad.Err()))
	require.ErrorContains(t, bad.Err(), "limit must be between 0")

	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	stream, err := watch.WatchWorkflows(ctx, connect.NewRequest(&batonv1.WatchWorkflowsRequest{
		Names: []string{flowName, "another"}, Statuses: []batonv1.WorkflowStatus{batonv1.WorkflowStatus_WORKFLOW_STATUS_RUNNING},
	}))
	require.NoError(t, err)
	require.True(t, stream.Receive(), "%v", stream.Err())
	list := stream.Msg().GetSnapshot().GetWorkflows()
	require.Len(t, list, 1)
	require.Equal(t, fx.workflowID, list[0].GetWorkflowId())
	require.Empty(t, list[0].GetTasks())

	require.NoError(t, env.engine.TerminateWorkflow(t.Context(), fx.workflowID, "enough"))
	require.True(t, stream.Receive(), "%v", stream.Err())
	d := stream.Msg().GetDelta()
	require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_TERMINATED, d.GetWorkflow().GetStatus())
	require.Equal(t, "enough", d.GetWorkflow().GetReasonForIncompletion())
	require.Empty(t, d.GetTasks(), "a query's deltas are summaries")
}
