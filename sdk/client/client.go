// Package client is the Go client of Baton's Connect API: register
// definitions, start workflows, read them, pause, resume and terminate them,
// and the task calls that workers make.
//
//	c := client.New("http://127.0.0.1:8080")
//	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "greet", Input: map[string]any{"name": "Ada"}})
//
// The client speaks the Connect protocol with protobuf over HTTP/1.1 by
// default; WithGRPC switches to gRPC (which needs HTTP/2).
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/sdk/workflow"
)

// Client calls one Baton server. It is safe for concurrent use.
type Client struct {
	meta  batonv1connect.MetadataServiceClient
	flows batonv1connect.WorkflowServiceClient
	tasks batonv1connect.TaskServiceClient
	sched batonv1connect.SchedulerServiceClient
	// listeners: listener.go
	listeners batonv1connect.ListenerServiceClient
	// plugins: plugin.go
	plugins batonv1connect.PluginServiceClient
	// queues: queue.go
	queues batonv1connect.QueueServiceClient
	// watcher: watch.go
	watcher batonv1connect.WatchServiceClient
}

type options struct {
	http    connect.HTTPClient
	connect []connect.ClientOption
}

// Option configures a Client.
type Option func(*options)

// WithHTTPClient sets the HTTP client. The default keeps up to 256 idle
// connections to the server, so that many concurrent long-polls do not
// open and close connections.
func WithHTTPClient(c connect.HTTPClient) Option { return func(o *options) { o.http = c } }

// WithGRPC makes the client speak gRPC; the HTTP client must support HTTP/2.
func WithGRPC() Option {
	return func(o *options) { o.connect = append(o.connect, connect.WithGRPC()) }
}

// WithConnectOptions adds connect-go client options.
func WithConnectOptions(opts ...connect.ClientOption) Option {
	return func(o *options) { o.connect = append(o.connect, opts...) }
}

// New returns a client of the server at baseURL, such as
// "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) *Client {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 256
		o.http = &http.Client{Transport: t}
	}
	baseURL = strings.TrimRight(baseURL, "/")
	return &Client{
		meta:  batonv1connect.NewMetadataServiceClient(o.http, baseURL, o.connect...),
		flows: batonv1connect.NewWorkflowServiceClient(o.http, baseURL, o.connect...),
		tasks: batonv1connect.NewTaskServiceClient(o.http, baseURL, o.connect...),
		sched: batonv1connect.NewSchedulerServiceClient(o.http, baseURL, o.connect...),

		listeners: batonv1connect.NewListenerServiceClient(o.http, baseURL, o.connect...),
		plugins:   batonv1connect.NewPluginServiceClient(o.http, baseURL, o.connect...),
		queues:    batonv1connect.NewQueueServiceClient(o.http, baseURL, o.connect...),
		watcher:   batonv1connect.NewWatchServiceClient(o.http, baseURL, o.connect...),
	}
}

// IsNotFound reports whether err says the named thing does not exist. The
// other codes come from connect.CodeOf(err).
func IsNotFound(err error) bool { return connect.CodeOf(err) == connect.CodeNotFound }

func marshal(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func unmarshalMap(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]any
	if err := workflow.Decode([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("decode server JSON: %w", err)
	}
	return m, nil
}

// RegisterTaskDefs registers (or replaces) task definitions, all or none.
func (c *Client) RegisterTaskDefs(ctx context.Context, defs ...*workflow.TaskDef) error {
	req := &batonv1.RegisterTaskDefsRequest{}
	for _, d := range defs {
		s, err := marshal(d)
		if err != nil {
			return err
		}
		req.TaskDefJson = append(req.TaskDefJson, s)
	}
	_, err := c.meta.RegisterTaskDefs(ctx, connect.NewRequest(req))
	return err
}

// TaskDef returns a registered task definition.
func (c *Client) TaskDef(ctx context.Context, name string) (*workflow.TaskDef, error) {
	res, err := c.meta.GetTaskDef(ctx, connect.NewRequest(&batonv1.GetTaskDefRequest{Name: name}))
	if err != nil {
		return nil, err
	}
	var d workflow.TaskDef
	return &d, workflow.Decode([]byte(res.Msg.GetTaskDefJson()), &d)
}

// RegisterWorkflowDef registers a workflow definition and returns its
// version. overwrite replaces an existing version; newVersion registers it
// as one past the latest.
func (c *Client) RegisterWorkflowDef(ctx context.Context, def *workflow.WorkflowDef, overwrite, newVersion bool) (int, error) {
	s, err := marshal(def)
	if err != nil {
		return 0, err
	}
	res, err := c.meta.RegisterWorkflowDef(ctx, connect.NewRequest(&batonv1.RegisterWorkflowDefRequest{
		WorkflowDefJson: s, Overwrite: overwrite, NewVersion: newVersion,
	}))
	if err != nil {
		return 0, err
	}
	return int(res.Msg.GetVersion()), nil
}

// WorkflowDef returns a version of a workflow definition, the latest for 0.
func (c *Client) WorkflowDef(ctx context.Context, name string, version int) (*workflow.WorkflowDef, error) {
	res, err := c.meta.GetWorkflowDef(ctx, connect.NewRequest(&batonv1.GetWorkflowDefRequest{Name: name, Version: int32(version)}))
	if err != nil {
		return nil, err
	}
	var d workflow.WorkflowDef
	return &d, workflow.Decode([]byte(res.Msg.GetWorkflowDefJson()), &d)
}

// ValidateWorkflowDef returns every problem the server finds in a
// definition; none means it is valid.
func (c *Client) ValidateWorkflowDef(ctx context.Context, def *workflow.WorkflowDef) (workflow.Diagnostics, error) {
	s, err := marshal(def)
	if err != nil {
		return nil, err
	}
	res, err := c.meta.ValidateWorkflowDef(ctx, connect.NewRequest(&batonv1.ValidateWorkflowDefRequest{WorkflowDefJson: s}))
	if err != nil {
		return nil, err
	}
	var out workflow.Diagnostics
	for _, d := range res.Msg.GetDiagnostics() {
		out = append(out, workflow.Diagnostic{Pointer: d.GetPointer(), Message: d.GetMessage()})
	}
	return out, nil
}

// DryRunWorkflow runs a definition on the server in memory, without
// workers, each task that needs outside work ending with its mock (keyed by
// task reference name; a task without one completes with an empty output),
// and returns the path the decider took and the workflow's end. Nothing is
// stored. An invalid definition is refused with its diagnostics.
func (c *Client) DryRunWorkflow(ctx context.Context, req *workflow.DryRunRequest) (*workflow.DryRunResult, error) {
	if req == nil || req.WorkflowDef == nil {
		return nil, errors.New("dry run: no workflow definition given")
	}
	def, err := marshal(req.WorkflowDef)
	if err != nil {
		return nil, err
	}
	msg := &batonv1.DryRunWorkflowRequest{WorkflowDefJson: def, MaxSteps: int32(req.MaxSteps)}
	if req.Input != nil {
		if msg.InputJson, err = marshal(req.Input); err != nil {
			return nil, err
		}
	}
	if req.Mocks != nil {
		if msg.MocksJson, err = marshal(req.Mocks); err != nil {
			return nil, err
		}
	}
	res, err := c.meta.DryRunWorkflow(ctx, connect.NewRequest(msg))
	if err != nil {
		return nil, err
	}
	out := new(workflow.DryRunResult)
	if err := workflow.Decode([]byte(res.Msg.GetResultJson()), out); err != nil {
		return nil, fmt.Errorf("dry run: decode the result: %w", err)
	}
	return out, nil
}

// StartWorkflow starts a workflow and returns its id once the start is
// durable.
func (c *Client) StartWorkflow(ctx context.Context, req *workflow.StartRequest) (string, error) {
	start, err := startToProto(req)
	if err != nil {
		return "", err
	}
	res, err := c.flows.StartWorkflow(ctx, connect.NewRequest(start))
	if err != nil {
		return "", err
	}
	return res.Msg.GetWorkflowId(), nil
}

func startToProto(req *workflow.StartRequest) (*batonv1.StartWorkflowRequest, error) {
	if req.WorkflowDef != nil {
		return nil, errors.New("start with an inline definition is not offered by the Connect API; register the definition first")
	}
	input, err := marshal(req.Input)
	if err != nil {
		return nil, err
	}
	return &batonv1.StartWorkflowRequest{
		Name:                req.Name,
		Version:             int32(req.Version),
		CorrelationId:       req.CorrelationID,
		InputJson:           input,
		TaskToDomain:        req.TaskToDomain,
		Priority:            int32(req.Priority),
		IdempotencyKey:      req.IdempotencyKey,
		IdempotencyStrategy: req.IdempotencyStrategy,
	}, nil
}

// ExecuteWorkflow starts an execution and waits, up to wait (10 s when
// 0), until it ends, until a task with one of the reference names
// completes, or until it waits on a signal. It returns the execution as it
// was then, and whether one of those happened before the wait ran out.
func (c *Client) ExecuteWorkflow(ctx context.Context, req *workflow.StartRequest, waitUntilTaskRefs []string, wait time.Duration) (*workflow.Workflow, bool, error) {
	start, err := startToProto(req)
	if err != nil {
		return nil, false, err
	}
	res, err := c.flows.ExecuteWorkflow(ctx, connect.NewRequest(&batonv1.ExecuteWorkflowRequest{
		Start:             start,
		WaitUntilTaskRefs: waitUntilTaskRefs,
		WaitSeconds:       int32(wait / time.Second),
	}))
	if err != nil {
		return nil, false, err
	}
	w, err := workflowFromProto(res.Msg.GetWorkflow())
	if err != nil {
		return nil, false, err
	}
	return w, res.Msg.GetReached(), nil
}

// Workflow returns an execution, with its tasks when includeTasks.
func (c *Client) Workflow(ctx context.Context, id string, includeTasks bool) (*workflow.Workflow, error) {
	res, err := c.flows.GetWorkflow(ctx, connect.NewRequest(&batonv1.GetWorkflowRequest{WorkflowId: id, IncludeTasks: includeTasks}))
	if err != nil {
		return nil, err
	}
	return workflowFromProto(res.Msg.GetWorkflow())
}

// PauseWorkflow pauses an execution.
func (c *Client) PauseWorkflow(ctx context.Context, id string) error {
	_, err := c.flows.PauseWorkflow(ctx, connect.NewRequest(&batonv1.PauseWorkflowRequest{WorkflowId: id}))
	return err
}

// ResumeWorkflow resumes a paused execution.
func (c *Client) ResumeWorkflow(ctx context.Context, id string) error {
	_, err := c.flows.ResumeWorkflow(ctx, connect.NewRequest(&batonv1.ResumeWorkflowRequest{WorkflowId: id}))
	return err
}

// TerminateWorkflow ends an execution as TERMINATED.
func (c *Client) TerminateWorkflow(ctx context.Context, id, reason string) error {
	_, err := c.flows.TerminateWorkflow(ctx, connect.NewRequest(&batonv1.TerminateWorkflowRequest{WorkflowId: id, Reason: reason}))
	return err
}

// RetryWorkflow resumes an ended execution from its failed, timed out and
// cancelled tasks; with resumeSubworkflowTasks a failed SUB_WORKFLOW task
// retries its child.
func (c *Client) RetryWorkflow(ctx context.Context, id string, resumeSubworkflowTasks bool) error {
	_, err := c.flows.RetryWorkflow(ctx, connect.NewRequest(&batonv1.RetryWorkflowRequest{WorkflowId: id, ResumeSubworkflowTasks: resumeSubworkflowTasks}))
	return err
}

// RestartWorkflow runs an ended execution again from the start, on the
// latest definition when useLatestDefinitions.
func (c *Client) RestartWorkflow(ctx context.Context, id string, useLatestDefinitions bool) error {
	_, err := c.flows.RestartWorkflow(ctx, connect.NewRequest(&batonv1.RestartWorkflowRequest{WorkflowId: id, UseLatestDefinitions: useLatestDefinitions}))
	return err
}

// RerunWorkflow runs an ended execution again from the start or from
// req.ReRunFromTaskID, with the new inputs and correlation id req gives.
func (c *Client) RerunWorkflow(ctx context.Context, id string, req *workflow.RerunRequest) error {
	msg := &batonv1.RerunWorkflowRequest{WorkflowId: id, RerunFromTaskId: req.ReRunFromTaskID, CorrelationId: req.CorrelationID}
	var err error
	if msg.WorkflowInputJson, err = objectText(req.WorkflowInput); err != nil {
		return err
	}
	if msg.TaskInputJson, err = objectText(req.TaskInput); err != nil {
		return err
	}
	_, err = c.flows.RerunWorkflow(ctx, connect.NewRequest(msg))
	return err
}

// SkipTask marks a task not scheduled yet as SKIPPED, with the input and
// output req gives.
func (c *Client) SkipTask(ctx context.Context, id, ref string, req *workflow.SkipTaskRequest) error {
	msg := &batonv1.SkipTaskRequest{WorkflowId: id, TaskReferenceName: ref}
	var err error
	if msg.TaskInputJson, err = objectText(req.TaskInput); err != nil {
		return err
	}
	if msg.TaskOutputJson, err = objectText(req.TaskOutput); err != nil {
		return err
	}
	_, err = c.flows.SkipTask(ctx, connect.NewRequest(msg))
	return err
}

// SetWorkflowVariables merges variables into a running or paused
// execution's.
func (c *Client) SetWorkflowVariables(ctx context.Context, id string, vars map[string]any) error {
	text, err := objectText(vars)
	if err != nil {
		return err
	}
	_, err = c.flows.SetWorkflowVariables(ctx, connect.NewRequest(&batonv1.SetWorkflowVariablesRequest{WorkflowId: id, VariablesJson: text}))
	return err
}

// objectText encodes an optional object for a proto string field: nil is "".
func objectText(m map[string]any) (string, error) {
	if m == nil {
		return "", nil
	}
	return marshal(m)
}

// PollTasks leases up to count tasks of a type, waiting up to wait for the
// first.
func (c *Client) PollTasks(ctx context.Context, taskType, workerID, domain string, count int, wait time.Duration) ([]*workflow.Task, error) {
	res, err := c.tasks.PollTasks(ctx, connect.NewRequest(&batonv1.PollTasksRequest{
		TaskType: taskType, WorkerId: workerID, Domain: domain, Count: int32(count), WaitMs: int32(wait.Milliseconds()),
	}))
	if err != nil {
		return nil, err
	}
	return tasksFromProto(res.Msg.GetTasks())
}

// UpdateTask reports a task's result. A non-zero r.PollCount fences the
// update to the lease of that poll.
func (c *Client) UpdateTask(ctx context.Context, r *workflow.TaskResult) error {
	pr, err := resultToProto(r)
	if err != nil {
		return err
	}
	_, err = c.tasks.UpdateTask(ctx, connect.NewRequest(&batonv1.UpdateTaskRequest{Result: pr}))
	return err
}

// UpdateTaskAndPoll reports a task's result and, in the same call, leases
// up to count tasks of taskType (without waiting) to r.WorkerID: a worker
// that finished a task gets its next one without a separate poll.
func (c *Client) UpdateTaskAndPoll(ctx context.Context, r *workflow.TaskResult, taskType, domain string, count int) ([]*workflow.Task, error) {
	pr, err := resultToProto(r)
	if err != nil {
		return nil, err
	}
	res, err := c.tasks.UpdateTask(ctx, connect.NewRequest(&batonv1.UpdateTaskRequest{
		Result: pr, NextCount: int32(count), NextTaskType: taskType, NextDomain: domain,
	}))
	if err != nil {
		return nil, err
	}
	return tasksFromProto(res.Msg.GetNextTasks())
}

func resultToProto(r *workflow.TaskResult) (*batonv1.TaskResult, error) {
	output, err := marshal(r.OutputData)
	if err != nil {
		return nil, err
	}
	// An unknown status would go out as UNSPECIFIED and be refused as "";
	// refuse it here, by the name the caller gave.
	status, ok := batonv1.TaskStatus_value["TASK_STATUS_"+string(r.Status)]
	if !ok && r.Status != "" {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf(
			"unknown task status %q; a worker reports IN_PROGRESS, COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or CANCELED", r.Status))
	}
	pr := &batonv1.TaskResult{
		TaskId:                r.TaskID,
		WorkflowInstanceId:    r.WorkflowInstanceID,
		Status:                batonv1.TaskStatus(status),
		OutputJson:            output,
		ReasonForIncompletion: r.ReasonForIncompletion,
		CallbackAfterSeconds:  r.CallbackAfterSeconds,
		WorkerId:              r.WorkerID,
		ExtendLease:           r.ExtendLease,
		PollCount:             int32(r.PollCount),
	}
	for _, l := range r.Logs {
		pr.Logs = append(pr.Logs, l.Log)
	}
	return pr, nil
}

// Heartbeat extends the lease of an IN_PROGRESS task.
func (c *Client) Heartbeat(ctx context.Context, taskID string, pollCount int, workerID string) error {
	_, err := c.tasks.Heartbeat(ctx, connect.NewRequest(&batonv1.HeartbeatRequest{TaskId: taskID, PollCount: int32(pollCount), WorkerId: workerID}))
	return err
}

// AddTaskLogs appends lines to a task's execution log.
func (c *Client) AddTaskLogs(ctx context.Context, taskID string, lines ...string) error {
	_, err := c.tasks.AddTaskLogs(ctx, connect.NewRequest(&batonv1.AddTaskLogsRequest{TaskId: taskID, Lines: lines}))
	return err
}

// TaskLogs returns a task's execution log.
func (c *Client) TaskLogs(ctx context.Context, taskID string) ([]workflow.TaskExecLog, error) {
	res, err := c.tasks.GetTaskLogs(ctx, connect.NewRequest(&batonv1.GetTaskLogsRequest{TaskId: taskID}))
	if err != nil {
		return nil, err
	}
	var out []workflow.TaskExecLog
	for _, l := range res.Msg.GetLogs() {
		out = append(out, workflow.TaskExecLog{Log: l.GetLog(), TaskID: taskID, CreatedTime: l.GetCreatedTime()})
	}
	return out, nil
}

// QueueSizes returns how many tasks wait in the queues of the given types.
func (c *Client) QueueSizes(ctx context.Context, taskTypes ...string) (map[string]int64, error) {
	res, err := c.tasks.GetQueueSizes(ctx, connect.NewRequest(&batonv1.GetQueueSizesRequest{TaskTypes: taskTypes}))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetSizes(), nil
}

func workflowFromProto(p *batonv1.Workflow) (*workflow.Workflow, error) {
	if p == nil {
		return nil, errors.New("server sent no workflow")
	}
	w := &workflow.Workflow{
		WorkflowID:               p.GetWorkflowId(),
		WorkflowName:             p.GetName(),
		WorkflowVersion:          int(p.GetVersion()),
		Status:                   workflow.Status(strings.TrimPrefix(p.GetStatus().String(), "WORKFLOW_STATUS_")),
		CorrelationID:            p.GetCorrelationId(),
		Priority:                 int(p.GetPriority()),
		ReasonForIncompletion:    p.GetReasonForIncompletion(),
		FailedReferenceTaskNames: p.GetFailedReferenceTaskNames(),
		ParentWorkflowID:         p.GetParentWorkflowId(),
		ParentWorkflowTaskID:     p.GetParentWorkflowTaskId(),
		CreateTime:               p.GetCreateTime(),
		StartTime:                p.GetCreateTime(),
		UpdateTime:               p.GetUpdateTime(),
		EndTime:                  p.GetEndTime(),
		TaskToDomain:             p.GetTaskToDomain(),
		IdempotencyKey:           p.GetIdempotencyKey(),
		Tasks:                    []*workflow.Task{},
	}
	var err error
	if w.Input, err = unmarshalMap(p.GetInputJson()); err != nil {
		return nil, err
	}
	if w.Output, err = unmarshalMap(p.GetOutputJson()); err != nil {
		return nil, err
	}
	if w.Variables, err = unmarshalMap(p.GetVariablesJson()); err != nil {
		return nil, err
	}
	for _, pt := range p.GetTasks() {
		t, err := taskFromProto(pt)
		if err != nil {
			return nil, err
		}
		w.Tasks = append(w.Tasks, t)
	}
	return w, nil
}

func tasksFromProto(ps []*batonv1.Task) ([]*workflow.Task, error) {
	out := make([]*workflow.Task, 0, len(ps))
	for _, p := range ps {
		t, err := taskFromProto(p)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func taskFromProto(p *batonv1.Task) (*workflow.Task, error) {
	t := &workflow.Task{
		TaskID:                 p.GetTaskId(),
		TaskType:               p.GetTaskType(),
		TaskDefName:            p.GetTaskDefName(),
		ReferenceTaskName:      p.GetReferenceTaskName(),
		Status:                 workflow.TaskStatus(strings.TrimPrefix(p.GetStatus().String(), "TASK_STATUS_")),
		WorkflowInstanceID:     p.GetWorkflowInstanceId(),
		WorkflowType:           p.GetWorkflowType(),
		CorrelationID:          p.GetCorrelationId(),
		WorkflowPriority:       int(p.GetWorkflowPriority()),
		ReasonForIncompletion:  p.GetReasonForIncompletion(),
		Seq:                    int(p.GetSeq()),
		RetryCount:             int(p.GetRetryCount()),
		PollCount:              int(p.GetPollCount()),
		RetriedTaskID:          p.GetRetriedTaskId(),
		WorkerID:               p.GetWorkerId(),
		Domain:                 p.GetDomain(),
		ScheduledTime:          p.GetScheduledTime(),
		StartTime:              p.GetStartTime(),
		EndTime:                p.GetEndTime(),
		UpdateTime:             p.GetUpdateTime(),
		CallbackAfterSeconds:   p.GetCallbackAfterSeconds(),
		ResponseTimeoutSeconds: p.GetResponseTimeoutSeconds(),
		Iteration:              int(p.GetIteration()),
		SubWorkflowID:          p.GetSubWorkflowId(),
	}
	var err error
	if t.InputData, err = unmarshalMap(p.GetInputJson()); err != nil {
		return nil, err
	}
	if t.OutputData, err = unmarshalMap(p.GetOutputJson()); err != nil {
		return nil, err
	}
	return t, nil
}

// SignalTask completes or fails a waiting task (WAIT, HUMAN) by reference
// name, or, with ref empty, the one that blocks the execution or one of
// its sub-workflows. It returns the execution that held the task.
func (c *Client) SignalTask(ctx context.Context, workflowID, ref string, r *workflow.TaskResult) (string, error) {
	output, err := marshal(r.OutputData)
	if err != nil {
		return "", err
	}
	status, ok := batonv1.TaskStatus_value["TASK_STATUS_"+string(r.Status)]
	if !ok {
		return "", fmt.Errorf("status %q is not a task status", r.Status)
	}
	res, err := c.flows.SignalTask(ctx, connect.NewRequest(&batonv1.SignalTaskRequest{
		WorkflowId: workflowID, TaskReferenceName: ref, Status: batonv1.TaskStatus(status),
		OutputJson: output, ReasonForIncompletion: r.ReasonForIncompletion,
	}))
	if err != nil {
		return "", err
	}
	return res.Msg.GetWorkflowId(), nil
}
