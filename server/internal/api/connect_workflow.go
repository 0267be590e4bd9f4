package api

import (
	"context"
	"time"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// workflowService implements batonv1connect.WorkflowServiceHandler.
type workflowService struct {
	e    *engine.Engine
	errs *errorMapper
}

var _ batonv1connect.WorkflowServiceHandler = (*workflowService)(nil)

func (s *workflowService) StartWorkflow(ctx context.Context, req *connect.Request[batonv1.StartWorkflowRequest]) (*connect.Response[batonv1.StartWorkflowResponse], error) {
	start, err := startRequestFromProto(req.Msg)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	id, err := s.e.StartWorkflow(ctx, start)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.StartWorkflowResponse{WorkflowId: id}), nil
}

func (s *workflowService) ExecuteWorkflow(ctx context.Context, req *connect.Request[batonv1.ExecuteWorkflowRequest]) (*connect.Response[batonv1.ExecuteWorkflowResponse], error) {
	if req.Msg.GetStart() == nil {
		return nil, s.fail(ctx, req, invalid("start is required: the StartWorkflowRequest to execute"))
	}
	start, err := startRequestFromProto(req.Msg.GetStart())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	wait := time.Duration(req.Msg.GetWaitSeconds()) * time.Second
	if wait == 0 {
		wait = 10 * time.Second
	}
	res, err := s.e.ExecuteWorkflow(ctx, &engine.ExecuteRequest{Start: start, WaitUntilTaskRefs: req.Msg.GetWaitUntilTaskRefs(), Wait: wait})
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	pw, err := workflowToProto(res.Workflow)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ExecuteWorkflowResponse{Workflow: pw, Reached: res.Reached}), nil
}

func (s *workflowService) GetWorkflow(ctx context.Context, req *connect.Request[batonv1.GetWorkflowRequest]) (*connect.Response[batonv1.GetWorkflowResponse], error) {
	w, err := s.e.Workflow(ctx, req.Msg.GetWorkflowId(), req.Msg.GetIncludeTasks())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	pw, err := workflowToProto(w)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.GetWorkflowResponse{Workflow: pw}), nil
}

func (s *workflowService) PauseWorkflow(ctx context.Context, req *connect.Request[batonv1.PauseWorkflowRequest]) (*connect.Response[batonv1.PauseWorkflowResponse], error) {
	if err := s.e.PauseWorkflow(ctx, req.Msg.GetWorkflowId()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.PauseWorkflowResponse{}), nil
}

func (s *workflowService) ResumeWorkflow(ctx context.Context, req *connect.Request[batonv1.ResumeWorkflowRequest]) (*connect.Response[batonv1.ResumeWorkflowResponse], error) {
	if err := s.e.ResumeWorkflow(ctx, req.Msg.GetWorkflowId()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ResumeWorkflowResponse{}), nil
}

func (s *workflowService) TerminateWorkflow(ctx context.Context, req *connect.Request[batonv1.TerminateWorkflowRequest]) (*connect.Response[batonv1.TerminateWorkflowResponse], error) {
	if err := s.e.TerminateWorkflow(ctx, req.Msg.GetWorkflowId(), req.Msg.GetReason()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.TerminateWorkflowResponse{}), nil
}

func (s *workflowService) fail(ctx context.Context, req connect.AnyRequest, err error) error {
	return s.errs.connectError(ctx, req.Spec().Procedure, err)
}

func (s *workflowService) RetryWorkflow(ctx context.Context, req *connect.Request[batonv1.RetryWorkflowRequest]) (*connect.Response[batonv1.RetryWorkflowResponse], error) {
	if err := s.e.RetryWorkflow(ctx, req.Msg.GetWorkflowId(), req.Msg.GetResumeSubworkflowTasks()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.RetryWorkflowResponse{}), nil
}

func (s *workflowService) RestartWorkflow(ctx context.Context, req *connect.Request[batonv1.RestartWorkflowRequest]) (*connect.Response[batonv1.RestartWorkflowResponse], error) {
	if err := s.e.RestartWorkflow(ctx, req.Msg.GetWorkflowId(), req.Msg.GetUseLatestDefinitions()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.RestartWorkflowResponse{}), nil
}

func (s *workflowService) RerunWorkflow(ctx context.Context, req *connect.Request[batonv1.RerunWorkflowRequest]) (*connect.Response[batonv1.RerunWorkflowResponse], error) {
	rerun := &workflow.RerunRequest{ReRunFromTaskID: req.Msg.GetRerunFromTaskId(), CorrelationID: req.Msg.GetCorrelationId()}
	var err error
	if rerun.WorkflowInput, err = decodeObject("workflow_input_json", req.Msg.GetWorkflowInputJson()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if rerun.TaskInput, err = decodeObject("task_input_json", req.Msg.GetTaskInputJson()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if err := s.e.RerunWorkflow(ctx, req.Msg.GetWorkflowId(), rerun); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.RerunWorkflowResponse{}), nil
}

func (s *workflowService) SkipTask(ctx context.Context, req *connect.Request[batonv1.SkipTaskRequest]) (*connect.Response[batonv1.SkipTaskResponse], error) {
	skip := &workflow.SkipTaskRequest{}
	var err error
	if skip.TaskInput, err = decodeObject("task_input_json", req.Msg.GetTaskInputJson()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if skip.TaskOutput, err = decodeObject("task_output_json", req.Msg.GetTaskOutputJson()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if err := s.e.SkipTask(ctx, req.Msg.GetWorkflowId(), req.Msg.GetTaskReferenceName(), skip); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.SkipTaskResponse{}), nil
}

func (s *workflowService) SetWorkflowVariables(ctx context.Context, req *connect.Request[batonv1.SetWorkflowVariablesRequest]) (*connect.Response[batonv1.SetWorkflowVariablesResponse], error) {
	vars, err := decodeObject("variables_json", req.Msg.GetVariablesJson())
	if err == nil && vars == nil {
		err = invalid("variables_json must be a JSON object of the variables to set")
	}
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if err := s.e.SetVariables(ctx, req.Msg.GetWorkflowId(), vars); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.SetWorkflowVariablesResponse{}), nil
}

func (s *workflowService) SignalTask(ctx context.Context, req *connect.Request[batonv1.SignalTaskRequest]) (*connect.Response[batonv1.SignalTaskResponse], error) {
	m := req.Msg
	status, err := taskStatusFromProto("status", m.GetStatus())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if status == "" {
		return nil, s.fail(ctx, req, invalid("status is required: COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS"))
	}
	output, err := decodeObject("output_json", m.GetOutputJson())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	res := &workflow.TaskResult{Status: status, OutputData: output, ReasonForIncompletion: m.GetReasonForIncompletion()}
	held := m.GetWorkflowId()
	if ref := m.GetTaskReferenceName(); ref != "" {
		err = s.e.UpdateTaskByRef(ctx, held, ref, res)
	} else {
		held, err = s.e.SignalWorkflow(ctx, held, res)
	}
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.SignalTaskResponse{WorkflowId: held}), nil
}
