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
	"github.com/batonhq/baton/server/internal/scheduler"
)

// schedulerService implements batonv1connect.SchedulerServiceHandler.
type schedulerService struct {
	s    *scheduler.Scheduler // nil: every call is Unavailable
	errs *errorMapper
}

var _ batonv1connect.SchedulerServiceHandler = (*schedulerService)(nil)

func (s *schedulerService) fail(ctx context.Context, req connect.AnyRequest, err error) error {
	return s.errs.connectError(ctx, req.Spec().Procedure, err)
}

// ready returns the error of a server with no scheduler.
func (s *schedulerService) ready() error {
	if s.s == nil {
		return &engine.Error{Code: engine.Unavailable, Msg: "this server runs no workflow scheduler"}
	}
	return nil
}

func scheduleText(sc *workflow.Schedule) (string, error) {
	b, err := json.Marshal(sc)
	if err != nil {
		return "", fmt.Errorf("encode schedule: %w", err)
	}
	return string(b), nil
}

func (s *schedulerService) SaveSchedule(ctx context.Context, req *connect.Request[batonv1.SaveScheduleRequest]) (*connect.Response[batonv1.SaveScheduleResponse], error) {
	if err := s.ready(); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	in := new(workflow.Schedule)
	if err := decodeJSON("schedule_json", []byte(req.Msg.GetScheduleJson()), in); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	out, err := s.s.Save(ctx, in, "")
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	text, err := scheduleText(out)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.SaveScheduleResponse{ScheduleJson: text}), nil
}

func (s *schedulerService) GetSchedule(ctx context.Context, req *connect.Request[batonv1.GetScheduleRequest]) (*connect.Response[batonv1.GetScheduleResponse], error) {
	if err := s.ready(); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	out, err := s.s.Get(ctx, req.Msg.GetName())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	text, err := scheduleText(out)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.GetScheduleResponse{ScheduleJson: text}), nil
}

func (s *schedulerService) ListSchedules(ctx context.Context, req *connect.Request[batonv1.ListSchedulesRequest]) (*connect.Response[batonv1.ListSchedulesResponse], error) {
	if err := s.ready(); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	list, err := s.s.List(ctx, req.Msg.GetWorkflowName())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	texts, err := marshalAll(list)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ListSchedulesResponse{ScheduleJson: texts}), nil
}

func (s *schedulerService) DeleteSchedule(ctx context.Context, req *connect.Request[batonv1.DeleteScheduleRequest]) (*connect.Response[batonv1.DeleteScheduleResponse], error) {
	if err := s.ready(); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if err := s.s.Delete(ctx, req.Msg.GetName()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.DeleteScheduleResponse{}), nil
}

func (s *schedulerService) PauseSchedule(ctx context.Context, req *connect.Request[batonv1.PauseScheduleRequest]) (*connect.Response[batonv1.PauseScheduleResponse], error) {
	if err := s.ready(); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if err := s.s.Pause(ctx, req.Msg.GetName(), req.Msg.GetReason(), ""); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.PauseScheduleResponse{}), nil
}

func (s *schedulerService) ResumeSchedule(ctx context.Context, req *connect.Request[batonv1.ResumeScheduleRequest]) (*connect.Response[batonv1.ResumeScheduleResponse], error) {
	if err := s.ready(); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	if err := s.s.Resume(ctx, req.Msg.GetName(), ""); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ResumeScheduleResponse{}), nil
}

func (s *schedulerService) NextScheduleTimes(ctx context.Context, req *connect.Request[batonv1.NextScheduleTimesRequest]) (*connect.Response[batonv1.NextScheduleTimesResponse], error) {
	if err := s.ready(); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	m := req.Msg
	limit := int(m.GetLimit())
	if limit == 0 {
		limit = 5
	}
	times, err := s.s.NextRuns(m.GetCronExpression(), m.GetZoneId(), m.GetScheduleStartTime(), m.GetScheduleEndTime(), limit)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.NextScheduleTimesResponse{Times: times}), nil
}
