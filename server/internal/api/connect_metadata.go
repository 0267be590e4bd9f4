package api

import (
	"context"
	"encoding/json"
	"fmt"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// metadataService implements batonv1connect.MetadataServiceHandler.
type metadataService struct {
	e    *engine.Engine
	errs *errorMapper
}

var _ batonv1connect.MetadataServiceHandler = (*metadataService)(nil)

func (s *metadataService) RegisterTaskDefs(ctx context.Context, req *connect.Request[batonv1.RegisterTaskDefsRequest]) (*connect.Response[batonv1.RegisterTaskDefsResponse], error) {
	texts := req.Msg.GetTaskDefJson()
	defs := make([]*workflow.TaskDef, len(texts))
	for i, text := range texts {
		defs[i] = new(workflow.TaskDef)
		if err := decodeJSON(fmt.Sprintf("task_def_json[%d]", i), []byte(text), defs[i]); err != nil {
			return nil, s.fail(ctx, req, err)
		}
	}
	if err := s.e.RegisterTaskDefs(ctx, defs); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.RegisterTaskDefsResponse{}), nil
}

func (s *metadataService) GetTaskDef(ctx context.Context, req *connect.Request[batonv1.GetTaskDefRequest]) (*connect.Response[batonv1.GetTaskDefResponse], error) {
	def, err := s.e.TaskDef(ctx, req.Msg.GetName())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	text, err := json.Marshal(def)
	if err != nil {
		return nil, s.fail(ctx, req, fmt.Errorf("encode task definition: %w", err))
	}
	return connect.NewResponse(&batonv1.GetTaskDefResponse{TaskDefJson: string(text)}), nil
}

func (s *metadataService) ListTaskDefs(ctx context.Context, req *connect.Request[batonv1.ListTaskDefsRequest]) (*connect.Response[batonv1.ListTaskDefsResponse], error) {
	defs, err := s.e.TaskDefs(ctx)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	texts, err := marshalAll(defs)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ListTaskDefsResponse{TaskDefJson: texts}), nil
}

func (s *metadataService) DeleteTaskDef(ctx context.Context, req *connect.Request[batonv1.DeleteTaskDefRequest]) (*connect.Response[batonv1.DeleteTaskDefResponse], error) {
	if err := s.e.DeleteTaskDef(ctx, req.Msg.GetName()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.DeleteTaskDefResponse{}), nil
}

func (s *metadataService) RegisterWorkflowDef(ctx context.Context, req *connect.Request[batonv1.RegisterWorkflowDefRequest]) (*connect.Response[batonv1.RegisterWorkflowDefResponse], error) {
	def := new(workflow.WorkflowDef)
	if err := decodeJSON("workflow_def_json", []byte(req.Msg.GetWorkflowDefJson()), def); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	stored, err := s.e.RegisterWorkflowDef(ctx, def, req.Msg.GetOverwrite(), req.Msg.GetNewVersion())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.RegisterWorkflowDefResponse{Name: stored.Name, Version: int32(stored.Version)}), nil
}

func (s *metadataService) GetWorkflowDef(ctx context.Context, req *connect.Request[batonv1.GetWorkflowDefRequest]) (*connect.Response[batonv1.GetWorkflowDefResponse], error) {
	def, err := s.e.WorkflowDef(ctx, req.Msg.GetName(), int(req.Msg.GetVersion()))
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	text, err := json.Marshal(def)
	if err != nil {
		return nil, s.fail(ctx, req, fmt.Errorf("encode workflow definition: %w", err))
	}
	return connect.NewResponse(&batonv1.GetWorkflowDefResponse{WorkflowDefJson: string(text)}), nil
}

func (s *metadataService) ListWorkflowDefs(ctx context.Context, req *connect.Request[batonv1.ListWorkflowDefsRequest]) (*connect.Response[batonv1.ListWorkflowDefsResponse], error) {
	defs, err := s.e.WorkflowDefs(ctx)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	texts, err := marshalAll(defs)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ListWorkflowDefsResponse{WorkflowDefJson: texts}), nil
}

func (s *metadataService) DeleteWorkflowDef(ctx context.Context, req *connect.Request[batonv1.DeleteWorkflowDefRequest]) (*connect.Response[batonv1.DeleteWorkflowDefResponse], error) {
	if err := s.e.DeleteWorkflowDef(ctx, req.Msg.GetName(), int(req.Msg.GetVersion())); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.DeleteWorkflowDefResponse{}), nil
}

func (s *metadataService) ValidateWorkflowDef(ctx context.Context, req *connect.Request[batonv1.ValidateWorkflowDefRequest]) (*connect.Response[batonv1.ValidateWorkflowDefResponse], error) {
	def := new(workflow.WorkflowDef)
	if err := decodeJSON("workflow_def_json", []byte(req.Msg.GetWorkflowDefJson()), def); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	resp := &batonv1.ValidateWorkflowDefResponse{}
	for _, d := range s.e.ValidateWorkflowDef(def) {
		resp.Diagnostics = append(resp.Diagnostics, &batonv1.Diagnostic{Pointer: d.Pointer, Message: d.Message})
	}
	return connect.NewResponse(resp), nil
}

func (s *metadataService) DryRunWorkflow(ctx context.Context, req *connect.Request[batonv1.DryRunWorkflowRequest]) (*connect.Response[batonv1.DryRunWorkflowResponse], error) {
	run := &workflow.DryRunRequest{MaxSteps: int(req.Msg.GetMaxSteps())}
	if err := decodeJSON("workflow_def_json", []byte(req.Msg.GetWorkflowDefJson()), &run.WorkflowDef); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	input, err := decodeObject("input_json", req.Msg.GetInputJson())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	run.Input = input
	if text := req.Msg.GetMocksJson(); text != "" {
		if err := decodeJSON("mocks_json", []byte(text), &run.Mocks); err != nil {
			return nil, s.fail(ctx, req, err)
		}
	}
	res, err := s.e.DryRun(ctx, run)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	text, err := json.Marshal(res)
	if err != nil {
		return nil, s.fail(ctx, req, fmt.Errorf("encode dry run result: %w", err))
	}
	return connect.NewResponse(&batonv1.DryRunWorkflowResponse{ResultJson: string(text)}), nil
}

func (s *metadataService) fail(ctx context.Context, req connect.AnyRequest, err error) error {
	return s.errs.connectError(ctx, req.Spec().Procedure, err)
}

// marshalAll encodes each value as JSON text.
func marshalAll[T any](vs []T) ([]string, error) {
	out := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode JSON: %w", err)
		}
		out[i] = string(b)
	}
	return out, nil
}
