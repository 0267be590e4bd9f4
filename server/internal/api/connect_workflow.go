package api

import (
	"context"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
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
