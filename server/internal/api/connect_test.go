package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/server/internal/api"
)

// clients are the three generated Connect clients over one transport.
type clients struct {
	meta  batonv1connect.MetadataServiceClient
	flows batonv1connect.WorkflowServiceClient
	tasks batonv1connect.TaskServiceClient
}

func newClients(hc connect.HTTPClient, url string, opts ...connect.ClientOption) *clients {
	return &clients{
		meta:  batonv1connect.NewMetadataServiceClient(hc, url, opts...),
		flows: batonv1connect.NewWorkflowServiceClient(hc, url, opts...),
		tasks: batonv1connect.NewTaskServiceClient(hc, url, opts...),
	}
}

// TestConnectEndToEnd runs the three-task workflow with the generated
// Connect clients, in each protocol and transport the handler serves.
func TestConnectEndToEnd(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		h2c  bool
		opts []connect.ClientOption
	}{
		{name: "Connect JSON over HTTP/1.1", opts: []connect.ClientOption{connect.WithProtoJSON()}},
		{name: "Connect protobuf over HTTP/2", h2c: true},
		{name: "gRPC-Web over HTTP/1.1", opts: []connect.ClientOption{connect.WithGRPCWeb()}},
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
			runConnectWorkflow(t, newClients(hc, env.url, tc.opts...))
		})
	}
}

func runConnectWorkflow(t *testing.T, c *clients) {
	ctx := testContext(t)

	_, err := c.meta.RegisterTaskDefs(ctx, connect.NewRequest(&batonv1.RegisterTaskDefsRequest{TaskDefJson: []string{taskDefJSON}}))
	require.NoError(t, err)
	got, err := c.meta.GetTaskDef(ctx, connect.NewRequest(&batonv1.GetTaskDefRequest{Name: taskType}))
	require.NoError(t, err)
	require.Contains(t, got.Msg.GetTaskDefJson(), `"ownerEmail":"dev@example.com"`)

	valid, err := c.meta.ValidateWorkflowDef(ctx, connect.NewRequest(&batonv1.ValidateWorkflowDefRequest{WorkflowDefJson: flowDefJSON}))
	require.NoError(t, err)
	require.Empty(t, valid.Msg.GetDiagnostics())
	reg, err := c.meta.RegisterWorkflowDef(ctx, connect.NewRequest(&batonv1.RegisterWorkflowDefRequest{WorkflowDefJson: flowDefJSON}))
	require.NoError(t, err)
	require.Equal(t, flowName, reg.Msg.GetName())
	require.EqualValues(t, 1, reg.Msg.GetVersion())
	list, err := c.meta.ListWorkflowDefs(ctx, connect.NewRequest(&batonv1.ListWorkflowDefsRequest{}))
	require.NoError(t, err)
	require.Len(t, list.Msg.GetWorkflowDefJson(), 1)

	start, err := c.flows.StartWorkflow(ctx, connect.NewRequest(&batonv1.StartWorkflowRequest{
		Name:          flowName,
		InputJson:     flowInputJSON,
		CorrelationId: "order-1",
		Priority:      7,
	}))
	require.NoError(t, err)
	id := start.Msg.GetWorkflowId()
	require.NotEmpty(t, id)

	sizes, err := c.tasks.GetQueueSizes(ctx, connect.NewRequest(&batonv1.GetQueueSizesRequest{TaskTypes: []string{taskType}}))
	require.NoError(t, err)
	require.Equal(t, map[string]int64{taskType: 1}, sizes.Msg.GetSizes())

	// The worker: long-poll, heartbeat, log, complete with the lease fence.
	var taskIDs []string
	for len(taskIDs) < 3 {
		polled, err := c.tasks.PollTasks(ctx, connect.NewRequest(&batonv1.PollTasksRequest{
			TaskType: taskType, WorkerId: "worker-1", Count: 5, WaitMs: 5000,
		}))
		require.NoError(t, err)
		for _, task := range polled.Msg.GetTasks() {
			require.Equal(t, batonv1.TaskStatus_TASK_STATUS_IN_PROGRESS, task.GetStatus())
			require.Equal(t, id, task.GetWorkflowInstanceId())
			require.EqualValues(t, 7, task.GetWorkflowPriority())
			_, err := c.tasks.Heartbeat(ctx, connect.NewRequest(&batonv1.HeartbeatRequest{
				TaskId: task.GetTaskId(), PollCount: task.GetPollCount(), WorkerId: "worker-1",
			}))
			require.NoError(t, err)
			_, err = c.tasks.AddTaskLogs(ctx, connect.NewRequest(&batonv1.AddTaskLogsRequest{
				TaskId: task.GetTaskId(), Lines: []string{"doubling " + task.GetReferenceTaskName()},
			}))
			require.NoError(t, err)
			output := jsonText(t, double(t, decodeNumbers(t, task.GetInputJson())))
			_, err = c.tasks.UpdateTask(ctx, connect.NewRequest(&batonv1.UpdateTaskRequest{Result: &batonv1.TaskResult{
				TaskId:             task.GetTaskId(),
				WorkflowInstanceId: task.GetWorkflowInstanceId(),
				Status:             batonv1.TaskStatus_TASK_STATUS_COMPLETED,
				OutputJson:         output,
				WorkerId:           "worker-1",
				PollCount:          task.GetPollCount(),
				Logs:               []string{"done"},
			}}))
			require.NoError(t, err)
			taskIDs = append(taskIDs, task.GetTaskId())
		}
	}

	wf, err := c.flows.GetWorkflow(ctx, connect.NewRequest(&batonv1.GetWorkflowRequest{WorkflowId: id, IncludeTasks: true}))
	require.NoError(t, err)
	w := wf.Msg.GetWorkflow()
	require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_COMPLETED, w.GetStatus())
	require.JSONEq(t, flowOutputJSON, w.GetOutputJson())
	require.Contains(t, w.GetOutputJson(), bigNumber, "large integers keep every digit")
	require.Equal(t, "order-1", w.GetCorrelationId())
	require.Len(t, w.GetTasks(), 3)
	for i, task := range w.GetTasks() {
		require.Equal(t, batonv1.TaskStatus_TASK_STATUS_COMPLETED, task.GetStatus())
		require.Equal(t, taskIDs[i], task.GetTaskId())
	}

	logs, err := c.tasks.GetTaskLogs(ctx, connect.NewRequest(&batonv1.GetTaskLogsRequest{TaskId: taskIDs[2]}))
	require.NoError(t, err)
	var lines []string
	for _, l := range logs.Msg.GetLogs() {
		lines = append(lines, l.GetLog())
		require.NotZero(t, l.GetCreatedTime())
	}
	require.Equal(t, []string{"doubling c", "done"}, lines)

	task, err := c.tasks.GetTask(ctx, connect.NewRequest(&batonv1.GetTaskRequest{TaskId: taskIDs[0]}))
	require.NoError(t, err)
	require.JSONEq(t, `{"y": 6}`, task.Msg.GetTask().GetOutputJson())

	// A completed workflow cannot be terminated.
	_, err = c.flows.TerminateWorkflow(ctx, connect.NewRequest(&batonv1.TerminateWorkflowRequest{WorkflowId: id, Reason: "late"}))
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err))
}

// TestConnectPauseResumeTerminate walks an execution through the workflow
// controls.
func TestConnectPauseResumeTerminate(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	f := newFixture(t, env.engine)
	c := newClients(env.h1, env.url, connect.WithProtoJSON())
	ctx := testContext(t)

	status := func() batonv1.WorkflowStatus {
		resp, err := c.flows.GetWorkflow(ctx, connect.NewRequest(&batonv1.GetWorkflowRequest{WorkflowId: f.workflowID}))
		require.NoError(t, err)
		require.Empty(t, resp.Msg.GetWorkflow().GetTasks(), "tasks only when asked")
		return resp.Msg.GetWorkflow().GetStatus()
	}
	_, err := c.flows.PauseWorkflow(ctx, connect.NewRequest(&batonv1.PauseWorkflowRequest{WorkflowId: f.workflowID}))
	require.NoError(t, err)
	require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_PAUSED, status())
	polled, err := c.tasks.PollTasks(ctx, connect.NewRequest(&batonv1.PollTasksRequest{TaskType: taskType}))
	require.NoError(t, err)
	require.Empty(t, polled.Msg.GetTasks(), "a paused workflow hands out no task")

	_, err = c.flows.ResumeWorkflow(ctx, connect.NewRequest(&batonv1.ResumeWorkflowRequest{WorkflowId: f.workflowID}))
	require.NoError(t, err)
	require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_RUNNING, status())

	_, err = c.flows.TerminateWorkflow(ctx, connect.NewRequest(&batonv1.TerminateWorkflowRequest{WorkflowId: f.workflowID, Reason: "no longer needed"}))
	require.NoError(t, err)
	require.Equal(t, batonv1.WorkflowStatus_WORKFLOW_STATUS_TERMINATED, status())
	task, err := c.tasks.GetTask(ctx, connect.NewRequest(&batonv1.GetTaskRequest{TaskId: f.nextTask.TaskID}))
	require.NoError(t, err)
	require.Equal(t, batonv1.TaskStatus_TASK_STATUS_CANCELED, task.Msg.GetTask().GetStatus())
}

// TestConnectBadInput sends requests that must be refused, and checks each
// is refused with the right code and changes nothing.
func TestConnectBadInput(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	env := setup(t, api.Options{MaxBodyBytes: limit})
	f := newFixture(t, env.engine)
	c := newClients(env.h1, env.url, connect.WithProtoJSON())
	before := snapshot(t, env.engine, f.workflowID)

	cases := []struct {
		name     string
		call     func(ctx context.Context) error
		code     connect.Code
		contains string
		check    func(t *testing.T, err *connect.Error)
	}{
		{
			name: "malformed task definition JSON",
			call: func(ctx context.Context) error {
				_, err := c.meta.RegisterTaskDefs(ctx, connect.NewRequest(&batonv1.RegisterTaskDefsRequest{
					TaskDefJson: []string{`{"name":"other"}`, `{"name": "x",}`},
				}))
				return err
			},
			code:     connect.CodeInvalidArgument,
			contains: "task_def_json[1] is not valid: malformed JSON at line 1, column",
		},
		{
			name: "malformed output JSON",
			call: func(ctx context.Context) error {
				_, err := c.tasks.UpdateTask(ctx, connect.NewRequest(&batonv1.UpdateTaskRequest{Result: &batonv1.TaskResult{
					TaskId: f.nextTask.TaskID, Status: batonv1.TaskStatus_TASK_STATUS_COMPLETED, OutputJson: `{"y": `,
				}}))
				return err
			},
			code:     connect.CodeInvalidArgument,
			contains: "result.output_json",
		},
		{
			name: "output that is not an object",
			call: func(ctx context.Context) error {
				_, err := c.tasks.UpdateTask(ctx, connect.NewRequest(&batonv1.UpdateTaskRequest{Result: &batonv1.TaskResult{
					TaskId: f.nextTask.TaskID, Status: batonv1.TaskStatus_TASK_STATUS_COMPLETED, OutputJson: `[1, 2]`,
				}}))
				return err
			},
			code:     connect.CodeInvalidArgument,
			contains: "result.output_json is not valid: expected a JSON object, got a JSON array",
		},
		{
			name: "invalid workflow definition",
			call: func(ctx context.Context) error {
				_, err := c.meta.RegisterWorkflowDef(ctx, connect.NewRequest(&batonv1.RegisterWorkflowDefRequest{WorkflowDefJson: invalidFlowJSON}))
				return err
			},
			code:     connect.CodeInvalidArgument,
			contains: "/tasks/0/taskReferenceName",
			check: func(t *testing.T, err *connect.Error) {
				require.Contains(t, err.Message(), "/tasks/1/name")
				var pointers []string
				for _, d := range err.Details() {
					v, derr := d.Value()
					require.NoError(t, derr)
					if br, ok := v.(*errdetails.BadRequest); ok {
						for _, fv := range br.GetFieldViolations() {
							pointers = append(pointers, fv.GetField())
						}
					}
				}
				require.ElementsMatch(t, invalidFlowPointers, pointers)
			},
		},
		{
			name: "unknown workflow name",
			call: func(ctx context.Context) error {
				_, err := c.flows.StartWorkflow(ctx, connect.NewRequest(&batonv1.StartWorkflowRequest{Name: "no_such_flow"}))
				return err
			},
			code:     connect.CodeNotFound,
			contains: "no_such_flow",
		},
		{
			name: "unknown workflow id",
			call: func(ctx context.Context) error {
				_, err := c.flows.PauseWorkflow(ctx, connect.NewRequest(&batonv1.PauseWorkflowRequest{WorkflowId: "no-such-id"}))
				return err
			},
			code:     connect.CodeNotFound,
			contains: "no-such-id",
		},
		{
			name: "unknown task id",
			call: func(ctx context.Context) error {
				_, err := c.tasks.UpdateTask(ctx, connect.NewRequest(&batonv1.UpdateTaskRequest{Result: &batonv1.TaskResult{
					TaskId: "no-such-task", Status: batonv1.TaskStatus_TASK_STATUS_COMPLETED,
				}}))
				return err
			},
			code:     connect.CodeNotFound,
			contains: "no-such-task",
		},
		{
			name: "oversized message",
			call: func(ctx context.Context) error {
				_, err := c.meta.RegisterWorkflowDef(ctx, connect.NewRequest(&batonv1.RegisterWorkflowDefRequest{WorkflowDefJson: bigFlowJSON(limit)}))
				return err
			},
			code: connect.CodeResourceExhausted,
		},
		{
			name: "duplicate completion",
			call: func(ctx context.Context) error {
				_, err := c.tasks.UpdateTask(ctx, connect.NewRequest(&batonv1.UpdateTaskRequest{Result: &batonv1.TaskResult{
					TaskId: f.doneTask.TaskID, WorkflowInstanceId: f.workflowID, Status: batonv1.TaskStatus_TASK_STATUS_COMPLETED,
				}}))
				return err
			},
			code:     connect.CodeFailedPrecondition,
			contains: "already COMPLETED",
		},
		{
			name: "poll count over the limit",
			call: func(ctx context.Context) error {
				_, err := c.tasks.PollTasks(ctx, connect.NewRequest(&batonv1.PollTasksRequest{TaskType: taskType, Count: 1001}))
				return err
			},
			code:     connect.CodeInvalidArgument,
			contains: "1000",
		},
		{
			name: "poll wait over the limit",
			call: func(ctx context.Context) error {
				_, err := c.tasks.PollTasks(ctx, connect.NewRequest(&batonv1.PollTasksRequest{TaskType: taskType, WaitMs: 30001}))
				return err
			},
			code:     connect.CodeInvalidArgument,
			contains: "30000",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.call(testContext(t))
			var ce *connect.Error
			require.True(t, errors.As(err, &ce), "want a Connect error, got %v", err)
			require.Equal(t, tc.code, ce.Code(), ce.Message())
			require.Contains(t, ce.Message(), tc.contains)
			if tc.check != nil {
				tc.check(t, ce)
			}
			require.Equal(t, before, snapshot(t, env.engine, f.workflowID), "a refused request changed nothing")
		})
	}

	t.Run("validate reports every diagnostic", func(t *testing.T) {
		t.Parallel()
		resp, err := c.meta.ValidateWorkflowDef(testContext(t), connect.NewRequest(&batonv1.ValidateWorkflowDefRequest{WorkflowDefJson: invalidFlowJSON}))
		require.NoError(t, err)
		var pointers []string
		for _, d := range resp.Msg.GetDiagnostics() {
			pointers = append(pointers, d.GetPointer())
			require.NotEmpty(t, d.GetMessage())
		}
		require.ElementsMatch(t, invalidFlowPointers, pointers)
		require.Equal(t, before, snapshot(t, env.engine, f.workflowID))
	})

	t.Run("raw malformed Connect request", func(t *testing.T) {
		t.Parallel()
		resp, err := env.h1.Post(env.url+batonv1connect.WorkflowServiceStartWorkflowProcedure, "application/json", strings.NewReader(`{"name": `))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, before, snapshot(t, env.engine, f.workflowID))
	})
}
