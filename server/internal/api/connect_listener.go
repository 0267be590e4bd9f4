package api

import (
	"context"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/server/internal/engine"
)

// listenerService implements batonv1connect.ListenerServiceHandler: the
// dead letters of status listeners, as rest_listener.go serves them.
type listenerService struct {
	e    *engine.Engine
	errs *errorMapper
}

var _ batonv1connect.ListenerServiceHandler = (*listenerService)(nil)

func (s *listenerService) ListDeadLetters(ctx context.Context, req *connect.Request[batonv1.ListDeadLettersRequest]) (*connect.Response[batonv1.ListDeadLettersResponse], error) {
	list, err := s.e.DeadLetters(ctx, req.Msg.GetAfter(), int(req.Msg.GetLimit()))
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	out := make([]*batonv1.DeadLetter, len(list))
	for i, d := range list {
		v := deadLetterView(d)
		out[i] = &batonv1.DeadLetter{
			Id: v.ID, WorkflowId: v.WorkflowID, Sink: v.Sink, Attempts: int32(v.Attempts),
			Error: v.Error, Time: v.Time, EventJson: string(v.Event),
		}
	}
	return connect.NewResponse(&batonv1.ListDeadLettersResponse{DeadLetters: out}), nil
}

func (s *listenerService) RedriveDeadLetters(ctx context.Context, req *connect.Request[batonv1.RedriveDeadLettersRequest]) (*connect.Response[batonv1.RedriveDeadLettersResponse], error) {
	ids, err := checkDeadLetterIDs(req.Msg.GetIds())
	if err == nil {
		err = s.e.RedriveDeadLetters(ctx, ids)
	}
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.RedriveDeadLettersResponse{}), nil
}

func (s *listenerService) DeleteDeadLetters(ctx context.Context, req *connect.Request[batonv1.DeleteDeadLettersRequest]) (*connect.Response[batonv1.DeleteDeadLettersResponse], error) {
	ids, err := checkDeadLetterIDs(req.Msg.GetIds())
	if err == nil {
		err = s.e.DeleteDeadLetters(ctx, ids)
	}
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.DeleteDeadLettersResponse{}), nil
}

func (s *listenerService) fail(ctx context.Context, req connect.AnyRequest, err error) error {
	return s.errs.connectError(ctx, req.Spec().Procedure, err)
}
