package client_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
)

const (
	taskType = "charge"
	flowName = "checkout"
)

// setup starts a server and returns a client of it.
func setup(t *testing.T) *client.Client {
	t.Helper()
	srv := batontest.New(t)
	return client.New(srv.URL(), client.WithHTTPClient(&http.Client{Transport: transport(t, nil)}))
}

// transport returns an HTTP transport (of the protocols, or the default
// ones) whose idle connections are closed when the test ends, before the
// server stops: http.Server.Shutdown waits 5s for a connection that never
// sent a request, which a transport may keep when requests race.
func transport(t *testing.T, protocols *http.Protocols) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Protocols = protocols
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func ptr[T any](v T) *T { return &v }

// register registers the task definition and a workflow of two tasks of it.
func register(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: taskType, RetryCount: ptr(0), OwnerEmail: "dev@example.com"}))
	_, err := c.RegisterWorkflowDef(ctx, flowDef(), true, false)
	require.NoError(t, err)
}

func flowDef() *workflow.WorkflowDef {
	return &workflow.WorkflowDef{
		Name: flowName,
		Tasks: []*workflow.WorkflowTask{
			{Name: taskType, TaskReferenceName: "first", Type: workflow.TypeSimple, InputParameters: map[string]any{"amount": "${workflow.input.amount}"}},
			{Name: taskType, TaskReferenceName: "second", Type: workflow.TypeSimple, InputParameters: map[string]any{"amount": "${first.output.amount}"}},
		},
		OutputParameters: map[string]any{"amount": "${second.output.amount}"},
	}
}

func TestTaskDefs(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()

	require.NoError(t, c.RegisterTaskDefs(ctx,
		&workflow.TaskDef{Name: "a", RetryCount: ptr(2), ResponseTimeoutSeconds: ptr[int64](30), OwnerEmail: "a@example.com"},
		&workflow.TaskDef{Name: "b", Description: "first"},
	))
	a, err := c.TaskDef(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "a", a.Name)
	require.Equal(t, 2, a.Retries())
	require.EqualValues(t, 30, a.ResponseTimeout())
	require.Equal(t, "a@example.com", a.OwnerEmail)
	require.NotZero(t, a.CreateTime)

	// Registering again replaces the definition and keeps its creation time.
	b, err := c.TaskDef(ctx, "b")
	require.NoError(t, err)
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: "b", Description: "second"}))
	b2, err := c.TaskDef(ctx, "b")
	require.NoError(t, err)
	require.Equal(t, "second", b2.Description)
	require.Equal(t, b.CreateTime, b2.CreateTime)
	require.NotZero(t, b2.UpdateTime)

	_, err = c.TaskDef(ctx, "missing")
	require.True(t, client.IsNotFound(err), "err: %v", err)

	// All or none: one bad definition registers nothing.
	err = c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: "c"}, &workflow.TaskDef{Name: "d", RetryCount: ptr(-1)})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	require.ErrorContains(t, err, "retryCount is -1")
	_, err = c.TaskDef(ctx, "c")
	require.True(t, client.IsNotFound(err), "err: %v", err)
}

func TestWorkflowDefVersions(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: taskType}))

	def := flowDef()
	v, err := c.RegisterWorkflowDef(ctx, def, false, false)
	require.NoError(t, err)
	require.Equal(t, 1, v)

	_, err = c.RegisterWorkflowDef(ctx, def, false, false)
	require.Equal(t, connect.CodeAlreadyExists, connect.CodeOf(err), "err: %v", err)

	def.Description = "overwritten"
	v, err = c.RegisterWorkflowDef(ctx, def, true, false)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	got, err := c.WorkflowDef(ctx, flowName, 1)
	require.NoError(t, err)
	require.Equal(t, "overwritten", got.Description)
	require.Len(t, got.Tasks, 2)
	require.Equal(t, "second", got.Tasks[1].TaskReferenceName)

	def.Description = "v2"
	v, err = c.RegisterWorkflowDef(ctx, def, false, true)
	require.NoError(t, err)
	require.Equal(t, 2, v)
	latest, err := c.WorkflowDef(ctx, flowName, 0)
	require.NoError(t, err)
	require.Equal(t, 2, latest.Version)
	require.Equal(t, "v2", latest.Description)
	first, err := c.WorkflowDef(ctx, flowName, 1)
	require.NoError(t, err)
	require.Equal(t, "overwritten", first.Description)

	_, err = c.WorkflowDef(ctx, flowName, 9)
	require.True(t, client.IsNotFound(err), "err: %v", err)
	_, err = c.WorkflowDef(ctx, "missing", 0)
	require.True(t, client.IsNotFound(err), "err: %v", err)

	_, err = c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "empty"}, true, false)
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	require.ErrorContains(t, err, "tasks is empty")
}

func TestValidateWorkflowDef(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: taskType}))

	diags, err := c.ValidateWorkflowDef(ctx, flowDef())
	require.NoError(t, err)
	require.Empty(t, diags)

	diags, err = c.ValidateWorkflowDef(ctx, &workflow.WorkflowDef{
		Name:          "bad/name",
		SchemaVersion: 1,
		Tasks: []*workflow.WorkflowTask{
			{Name: "unregistered", TaskReferenceName: "a", Type: workflow.TypeSimple},
		},
	})
	require.NoError(t, err, "problems are diagnostics, not an error")
	pointers := make([]string, len(diags))
	for i, d := range diags {
		pointers[i] = d.Pointer
		require.NotEmpty(t, d.Message)
	}
	require.Subset(t, pointers, []string{"/name", "/schemaVersion", "/tasks/0/name"})
	i := slices.Index(pointers, "/tasks/0/name")
	require.Contains(t, diags[i].Message, `no task definition named "unregistered"`)
}

func TestStartAndReadWorkflow(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	register(t, c)

	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{
		Name:           flowName,
		Version:        1,
		Input:          map[string]any{"amount": json.Number("12345678901234567890"), "note": "x"},
		CorrelationID:  "order-7",
		Priority:       42,
		TaskToDomain:   map[string]string{"other": "blue"},
		IdempotencyKey: "key-1",
	})
	require.NoError(t, err)
	require.NotEmpty(t, id)

	wf, err := c.Workflow(ctx, id, false)
	require.NoError(t, err)
	require.Equal(t, id, wf.WorkflowID)
	require.Equal(t, flowName, wf.WorkflowName)
	require.Equal(t, 1, wf.WorkflowVersion)
	require.Equal(t, workflow.StatusRunning, wf.Status)
	require.Equal(t, "order-7", wf.CorrelationID)
	require.Equal(t, 42, wf.Priority)
	require.Equal(t, map[string]string{"other": "blue"}, wf.TaskToDomain)
	require.Equal(t, "key-1", wf.IdempotencyKey)
	require.Equal(t, json.Number("12345678901234567890"), wf.Input["amount"], "large numbers keep every digit")
	require.NotZero(t, wf.CreateTime)
	require.Empty(t, wf.Tasks, "no tasks unless asked")

	wf, err = c.Workflow(ctx, id, true)
	require.NoError(t, err)
	require.Len(t, wf.Tasks, 1)
	task := wf.Tasks[0]
	require.Equal(t, workflow.TaskScheduled, task.Status)
	require.Equal(t, taskType, task.TaskType)
	require.Equal(t, "first", task.ReferenceTaskName)
	require.Equal(t, id, task.WorkflowInstanceID)
	require.Equal(t, 42, task.WorkflowPriority)
	require.Equal(t, json.Number("12345678901234567890"), task.InputData["amount"])

	// Without input, the input is empty.
	id2, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName})
	require.NoError(t, err)
	wf, err = c.Workflow(ctx, id2, false)
	require.NoError(t, err)
	require.Empty(t, wf.Input)

	_, err = c.StartWorkflow(ctx, &workflow.StartRequest{Name: "missing"})
	require.True(t, client.IsNotFound(err), "err: %v", err)
	_, err = c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, Priority: 100})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	_, err = c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, WorkflowDef: flowDef()})
	require.ErrorContains(t, err, "register the definition first")
	_, err = c.Workflow(ctx, "no-such-id", true)
	require.True(t, client.IsNotFound(err), "err: %v", err)
}

func TestPauseResumeTerminate(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	register(t, c)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName})
	require.NoError(t, err)
	status := func() workflow.Status {
		t.Helper()
		wf, err := c.Workflow(ctx, id, false)
		require.NoError(t, err)
		return wf.Status
	}

	require.NoError(t, c.PauseWorkflow(ctx, id))
	require.Equal(t, workflow.StatusPaused, status())
	tasks, err := c.PollTasks(ctx, taskType, "w", "", 1, 0)
	require.NoError(t, err)
	require.Empty(t, tasks, "a paused workflow hands out no task")

	require.NoError(t, c.ResumeWorkflow(ctx, id))
	require.Equal(t, workflow.StatusRunning, status())
	err = c.ResumeWorkflow(ctx, id)
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "only a paused workflow resumes")

	require.NoError(t, c.TerminateWorkflow(ctx, id, "customer left"))
	wf, err := c.Workflow(ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusTerminated, wf.Status)
	require.Equal(t, "customer left", wf.ReasonForIncompletion)
	require.Equal(t, workflow.TaskCanceled, wf.Tasks[0].Status)
	require.NotZero(t, wf.EndTime)
	require.NoError(t, c.TerminateWorkflow(ctx, id, "again"), "terminating a terminated workflow does nothing")
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(c.PauseWorkflow(ctx, id)))

	require.True(t, client.IsNotFound(c.PauseWorkflow(ctx, "missing")))
	require.True(t, client.IsNotFound(c.ResumeWorkflow(ctx, "missing")))
	require.True(t, client.IsNotFound(c.TerminateWorkflow(ctx, "missing", "")))
}

// TestRetryRerunRestart: the lifecycle calls on a terminated execution,
// with what each changes and a refusal.
func TestRetryRerunRestart(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	register(t, c)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, Input: map[string]any{"n": 1}})
	require.NoError(t, err)
	refs := func() []string {
		t.Helper()
		wf, err := c.Workflow(ctx, id, true)
		require.NoError(t, err)
		var out []string
		for _, task := range wf.Tasks {
			out = append(out, task.ReferenceTaskName+":"+string(task.Status))
		}
		return out
	}
	require.NoError(t, c.SetWorkflowVariables(ctx, id, map[string]any{"k": "v"}))
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(c.RetryWorkflow(ctx, id, false)), "a running workflow is not retried")
	require.NoError(t, c.TerminateWorkflow(ctx, id, "stop"))
	first := refs()
	require.NoError(t, c.RetryWorkflow(ctx, id, false))
	require.Len(t, refs(), len(first)+1, "the cancelled task has a new attempt")

	require.NoError(t, c.TerminateWorkflow(ctx, id, "stop"))
	require.NoError(t, c.RerunWorkflow(ctx, id, &workflow.RerunRequest{CorrelationID: "again", WorkflowInput: map[string]any{"amount": 2}}))
	wf, err := c.Workflow(ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, wf.Status)
	require.Equal(t, "again", wf.CorrelationID)
	require.Equal(t, map[string]any{"amount": json.Number("2")}, wf.Input)
	require.Len(t, wf.Tasks, 1)
	require.Equal(t, json.Number("2"), wf.Tasks[0].InputData["amount"], "the first task reads the new input")

	// A restart on the latest definition runs version 2.
	require.NoError(t, c.TerminateWorkflow(ctx, id, "stop"))
	v2 := flowDef()
	v2.Tasks[0].TaskReferenceName = "v2first"
	v2.Tasks[1].InputParameters = map[string]any{"amount": "${v2first.output.amount}"}
	_, err = c.RegisterWorkflowDef(ctx, v2, false, true)
	require.NoError(t, err)
	require.NoError(t, c.RestartWorkflow(ctx, id, true))
	require.Equal(t, []string{"v2first:SCHEDULED"}, refs())
	wf, err = c.Workflow(ctx, id, false)
	require.NoError(t, err)
	require.Equal(t, 2, wf.WorkflowVersion)

	// And on its own definition again: still version 2, the one it now runs.
	require.NoError(t, c.TerminateWorkflow(ctx, id, "stop"))
	require.NoError(t, c.RestartWorkflow(ctx, id, false))
	require.Equal(t, []string{"v2first:SCHEDULED"}, refs())
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(c.SkipTask(ctx, id, "v2first", &workflow.SkipTaskRequest{})))
	require.True(t, client.IsNotFound(c.RestartWorkflow(ctx, "missing", false)))
}

// TestTaskCalls walks the task calls of a worker: poll, heartbeat, log,
// check in, complete; stale and duplicate updates are refused.
func TestTaskCalls(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	register(t, c)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, Input: map[string]any{"amount": 5}})
	require.NoError(t, err)

	sizes, err := c.QueueSizes(ctx, taskType, "other")
	require.NoError(t, err)
	require.Equal(t, map[string]int64{taskType: 1, "other": 0}, sizes)

	tasks, err := c.PollTasks(ctx, taskType, "w1", "", 10, 0)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	task := tasks[0]
	require.Equal(t, workflow.TaskInProgress, task.Status)
	require.Equal(t, "w1", task.WorkerID)
	require.Equal(t, 1, task.PollCount)
	require.Equal(t, "5", string(task.InputData["amount"].(json.Number)))
	require.EqualValues(t, workflow.DefaultResponseTimeoutSeconds, task.ResponseTimeoutSeconds)
	sizes, err = c.QueueSizes(ctx, taskType)
	require.NoError(t, err)
	require.Equal(t, map[string]int64{taskType: 0}, sizes)
	tasks, err = c.PollTasks(ctx, taskType, "w1", "", 10, 0)
	require.NoError(t, err)
	require.Empty(t, tasks)

	require.NoError(t, c.Heartbeat(ctx, task.TaskID, task.PollCount, "w1"))
	require.NoError(t, c.AddTaskLogs(ctx, task.TaskID, "charging", "card ok"))

	// Check the task in; its next lease has a new PollCount.
	require.NoError(t, c.UpdateTask(ctx, &workflow.TaskResult{
		TaskID: task.TaskID, WorkflowInstanceID: id, PollCount: task.PollCount, WorkerID: "w1",
		Status: workflow.TaskInProgress, OutputData: map[string]any{"step": 1},
	}))
	tasks, err = c.PollTasks(ctx, taskType, "w2", "", 1, 0)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	again := tasks[0]
	require.Equal(t, task.TaskID, again.TaskID)
	require.Equal(t, 2, again.PollCount)
	require.Equal(t, json.Number("1"), again.OutputData["step"], "a check-in keeps the output")

	// The first lease has ended: its holder can neither extend it nor
	// report a result.
	err = c.Heartbeat(ctx, task.TaskID, task.PollCount, "w1")
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "err: %v", err)
	err = c.UpdateTask(ctx, &workflow.TaskResult{
		TaskID: task.TaskID, WorkflowInstanceID: id, PollCount: task.PollCount,
		Status: workflow.TaskCompleted, OutputData: map[string]any{"amount": "stale"},
	})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "err: %v", err)
	require.ErrorContains(t, err, "lease")

	// The current one can, with logs in the same call; the workflow
	// goes on to the second task.
	require.NoError(t, c.UpdateTask(ctx, &workflow.TaskResult{
		TaskID: again.TaskID, WorkflowInstanceID: id, PollCount: again.PollCount, WorkerID: "w2",
		Status: workflow.TaskCompleted, OutputData: map[string]any{"amount": 6},
		Logs: []workflow.TaskExecLog{{Log: "charged"}},
	}))
	logs, err := c.TaskLogs(ctx, task.TaskID)
	require.NoError(t, err)
	lines := make([]string, len(logs))
	for i, l := range logs {
		lines[i] = l.Log
		require.Equal(t, task.TaskID, l.TaskID)
		require.NotZero(t, l.CreatedTime)
	}
	require.Equal(t, []string{"charging", "card ok", "charged"}, lines)

	err = c.UpdateTask(ctx, &workflow.TaskResult{TaskID: again.TaskID, WorkflowInstanceID: id, Status: workflow.TaskCompleted})
	require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "a duplicate completion is refused: %v", err)

	// The second task, completed without a workflow id or a fence, as a
	// Conductor worker would.
	tasks, err = c.PollTasks(ctx, taskType, "w3", "", 1, 0)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.Equal(t, "second", tasks[0].ReferenceTaskName)
	require.Equal(t, json.Number("6"), tasks[0].InputData["amount"])
	require.NoError(t, c.UpdateTask(ctx, &workflow.TaskResult{
		TaskID: tasks[0].TaskID, Status: workflow.TaskCompleted, OutputData: map[string]any{"amount": 7},
	}))
	wf, err := c.Workflow(ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, wf.Status)
	require.Equal(t, map[string]any{"amount": json.Number("7")}, wf.Output)
	require.Len(t, wf.Tasks, 2)

	// Unknown tasks.
	require.True(t, client.IsNotFound(c.Heartbeat(ctx, "missing", 0, "w")))
	require.True(t, client.IsNotFound(c.AddTaskLogs(ctx, "missing", "x")))
	_, err = c.TaskLogs(ctx, "missing")
	require.True(t, client.IsNotFound(err), "err: %v", err)
	require.True(t, client.IsNotFound(c.UpdateTask(ctx, &workflow.TaskResult{TaskID: "missing", Status: workflow.TaskCompleted})))
	err = c.UpdateTask(ctx, &workflow.TaskResult{TaskID: again.TaskID, WorkflowInstanceID: id, Status: workflow.TaskScheduled})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "a worker cannot report SCHEDULED: %v", err)
	err = c.UpdateTask(ctx, &workflow.TaskResult{TaskID: again.TaskID, WorkflowInstanceID: id, Status: "DONE"})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "err: %v", err)
	require.ErrorContains(t, err, `"DONE"`, "the error names the status given")
}

func TestCodes(t *testing.T) {
	t.Parallel()
	require.False(t, client.IsNotFound(nil))
	require.Equal(t, connect.CodeUnknown, connect.CodeOf(nil))
	notFound := connect.NewError(connect.CodeNotFound, nil)
	require.True(t, client.IsNotFound(notFound))
	require.Equal(t, connect.CodeNotFound, connect.CodeOf(notFound))
}

// recorder records the protocol of each request and response it carries.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []string // "HTTP/2.0 application/grpc+proto", ...
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.base.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		r.seen = append(r.seen, res.Proto+" "+req.Header.Get("Content-Type"))
		r.mu.Unlock()
	}
	return res, err
}

// TestProtocols runs a workflow and an error through every protocol the
// client speaks, checking each goes over the wire it should.
func TestProtocols(t *testing.T) {
	t.Parallel()
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	cases := []struct {
		name      string
		protocols *http.Protocols
		opts      []client.Option
		want      string
	}{
		{name: "Connect protobuf over HTTP/1.1", want: "HTTP/1.1 application/proto"},
		{name: "Connect JSON over HTTP/1.1", opts: []client.Option{client.WithConnectOptions(connect.WithProtoJSON())}, want: "HTTP/1.1 application/json"},
		{name: "gRPC over cleartext HTTP/2", protocols: &h2c, opts: []client.Option{client.WithGRPC()}, want: "HTTP/2.0 application/grpc"},
		{name: "gRPC-Web over HTTP/1.1", opts: []client.Option{client.WithConnectOptions(connect.WithGRPCWeb())}, want: "HTTP/1.1 application/grpc-web+proto"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := batontest.New(t)
			rec := &recorder{base: transport(t, tc.protocols)}
			c := client.New(srv.URL(), append(tc.opts, client.WithHTTPClient(&http.Client{Transport: rec}))...)
			runWorkflow(t, c)

			_, err := c.Workflow(t.Context(), "missing", false)
			require.True(t, client.IsNotFound(err), "err: %v", err)

			rec.mu.Lock()
			defer rec.mu.Unlock()
			require.NotEmpty(t, rec.seen)
			for _, s := range rec.seen {
				require.True(t, strings.HasPrefix(s, tc.want), "want %q, got %q", tc.want, s)
			}
		})
	}
}

// runWorkflow registers, starts and completes a workflow with c.
func runWorkflow(t *testing.T, c *client.Client) {
	t.Helper()
	ctx := t.Context()
	register(t, c)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, Input: map[string]any{"amount": 1}})
	require.NoError(t, err)
	for range 2 {
		tasks, err := c.PollTasks(ctx, taskType, "w", "", 1, 0)
		require.NoError(t, err)
		require.Len(t, tasks, 1)
		task := tasks[0]
		require.NoError(t, c.Heartbeat(ctx, task.TaskID, task.PollCount, "w"))
		require.NoError(t, c.UpdateTask(ctx, &workflow.TaskResult{
			TaskID: task.TaskID, WorkflowInstanceID: id, PollCount: task.PollCount,
			Status: workflow.TaskCompleted, OutputData: task.InputData,
		}))
	}
	wf, err := c.Workflow(ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, wf.Status)
	require.Equal(t, map[string]any{"amount": json.Number("1")}, wf.Output)
}

func TestUpdateTaskAndPoll(t *testing.T) {
	t.Parallel()
	c := setup(t)
	register(t, c)
	ctx := t.Context()
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowDef().Name})
	require.NoError(t, err)
	tasks, err := c.PollTasks(ctx, taskType, "w", "", 1, time.Second)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	for step := 1; ; step++ {
		next, err := c.UpdateTaskAndPoll(ctx, &workflow.TaskResult{
			TaskID: tasks[0].TaskID, PollCount: tasks[0].PollCount, WorkerID: "w", Status: workflow.TaskCompleted,
		}, taskType, "", 1)
		require.NoError(t, err)
		if len(next) == 0 {
			require.Equal(t, len(flowDef().Tasks), step, "each update but the last brought the next task")
			break
		}
		require.Equal(t, workflow.TaskInProgress, next[0].Status)
		tasks = next
	}
	w, err := c.Workflow(ctx, id, false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, w.Status)
}

// TestExecuteWorkflow: a synchronous start over Connect that ends when the
// wait runs out, then one that ends with the workflow.
func TestExecuteWorkflow(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	register(t, c)
	w, reached, err := c.ExecuteWorkflow(ctx, &workflow.StartRequest{Name: flowName, Input: map[string]any{"amount": 3}}, []string{"first"}, time.Second)
	require.NoError(t, err)
	require.False(t, reached, "no worker runs first")
	require.Equal(t, workflow.StatusRunning, w.Status)
	require.Equal(t, "first", w.Tasks[0].ReferenceTaskName)

	quick := &workflow.WorkflowDef{Name: "quick", Tasks: []*workflow.WorkflowTask{
		{Name: "noop", TaskReferenceName: "noop", Type: workflow.TypeNoop},
	}, OutputParameters: map[string]any{"amount": "${workflow.input.amount}"}}
	_, err = c.RegisterWorkflowDef(ctx, quick, true, false)
	require.NoError(t, err)
	w, reached, err = c.ExecuteWorkflow(ctx, &workflow.StartRequest{Name: "quick", Input: map[string]any{"amount": 3}}, nil, 0)
	require.NoError(t, err)
	require.True(t, reached)
	require.Equal(t, workflow.StatusCompleted, w.Status)
	require.Equal(t, map[string]any{"amount": json.Number("3")}, w.Output)

	_, _, err = c.ExecuteWorkflow(ctx, &workflow.StartRequest{Name: "quick"}, nil, time.Hour)
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
}

// TestBulkAction: one action over several executions, a result each.
func TestBulkAction(t *testing.T) {
	t.Parallel()
	c := setup(t)
	ctx := t.Context()
	register(t, c)
	var ids []string
	for range 3 {
		id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	res, err := c.BulkAction(ctx, batonv1.WorkflowAction_WORKFLOW_ACTION_TERMINATE, []string{ids[0], "missing", ids[1], ids[0]}, client.BulkOptions{Reason: "cleanup"})
	require.NoError(t, err)
	require.Len(t, res, 3, "a repeated id is acted on once")
	require.Equal(t, client.BulkResult{WorkflowID: ids[0]}, res[0])
	require.Equal(t, "missing", res[1].WorkflowID)
	require.Equal(t, "not_found", res[1].Code)
	require.Contains(t, res[1].Message, "missing")
	require.Equal(t, client.BulkResult{WorkflowID: ids[1]}, res[2])
	w, err := c.Workflow(ctx, ids[1], false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusTerminated, w.Status)
	require.Equal(t, "cleanup", w.ReasonForIncompletion)

	res, err = c.BulkAction(ctx, batonv1.WorkflowAction_WORKFLOW_ACTION_RETRY, ids, client.BulkOptions{})
	require.NoError(t, err)
	require.Empty(t, res[0].Code)
	require.Empty(t, res[1].Code)
	require.Equal(t, "failed_precondition", res[2].Code, "a running workflow is not retried")

	res, err = c.BulkAction(ctx, batonv1.WorkflowAction_WORKFLOW_ACTION_TERMINATE_REMOVE, ids, client.BulkOptions{Reason: "gone"})
	require.NoError(t, err)
	for i, r := range res {
		require.Equal(t, client.BulkResult{WorkflowID: ids[i]}, r)
		_, err := c.Workflow(ctx, ids[i], false)
		require.True(t, client.IsNotFound(err))
	}
	res, err = c.BulkAction(ctx, batonv1.WorkflowAction_WORKFLOW_ACTION_REMOVE, ids[:1], client.BulkOptions{})
	require.NoError(t, err)
	require.Equal(t, "not_found", res[0].Code)

	_, err = c.BulkAction(ctx, batonv1.WorkflowAction_WORKFLOW_ACTION_PAUSE, nil, client.BulkOptions{})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	_, err = c.BulkAction(ctx, batonv1.WorkflowAction_WORKFLOW_ACTION_UNSPECIFIED, ids, client.BulkOptions{})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("id-%d", i)
	}
	_, err = c.BulkAction(ctx, batonv1.WorkflowAction_WORKFLOW_ACTION_PAUSE, many, client.BulkOptions{})
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	require.ErrorContains(t, err, "at most 1000")
}
