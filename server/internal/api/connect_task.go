package api

import (
	"context"
	"time"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/server/internal/engine"
)

// Limits of TaskService.PollTasks.
const (
	maxPollCount  = 1000
	maxPollWaitMs = 30000
)

// taskService implements batonv1connect.TaskServiceHandler.
type taskService struct {
	e    *engine.Engine
	errs *errorMapper
}

var _ batonv1connect.TaskServiceHandler = (*taskService)(nil)

func (s *taskService) PollTasks(ctx context.Context, req *connect.Request[batonv1.PollTasksRequest]) (*connect.Response[batonv1.PollTasksResponse], error) {
	m := req.Msg
	count := int(m.GetCount())
	switch {
	case count < 0 || count > maxPollCount:
		return nil, s.fail(ctx, req, invalid("count must be between 0 and %d, got %d", maxPollCount, count))
	case count == 0:
		count = 1
	}
	if w := m.GetWaitMs(); w < 0 || w > maxPollWaitMs {
		return nil, s.fail(ctx, req, invalid("wait_ms must be between 0 and %d, got %d; poll again to wait longer", maxPollWaitMs, w))
	}
	tasks, err := s.e.Poll(ctx, engine.PollRequest{
		TaskType: m.GetTaskType(),
		Domain:   m.GetDomain(),
		WorkerID: m.GetWorkerId(),
		Count:    count,
		Wait:     time.Duration(m.GetWaitMs()) * time.Millisecond,
	})
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	pts, err := tasksToProto(tasks)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.PollTasksResponse{Tasks: pts}), nil
}

func (s *taskService) UpdateTask(ctx context.Context, req *connect.Request[batonv1.UpdateTaskRequest]) (*connect.Response[batonv1.UpdateTaskResponse], error) {
	res, err := taskResultFromProto(req.Msg.GetResult())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	m := req.Msg
	if m.GetNextCount() == 0 {
		if err := s.e.UpdateTask(ctx, res); err != nil {
			return nil, s.fail(ctx, req, err)
		}
		return connect.NewResponse(&batonv1.UpdateTaskResponse{}), nil
	}
	switch {
	case m.GetNextCount() < 0 || m.GetNextCount() > maxPollCount:
		return nil, s.fail(ctx, req, invalid("next_count must be between 0 and %d, got %d", maxPollCount, m.GetNextCount()))
	case m.GetNextTaskType() == "":
		return nil, s.fail(ctx, req, invalid("next_task_type is required with next_count"))
	}
	next, err := s.e.UpdateTaskAndPoll(ctx, res, engine.PollRequest{
		TaskType: m.GetNextTaskType(),
		Domain:   m.GetNextDomain(),
		WorkerID: res.WorkerID,
		Count:    int(m.GetNextCount()),
	})
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	pts, err := tasksToProto(next)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.UpdateTaskResponse{NextTasks: pts}), nil
}

func (s *taskService) Heartbeat(ctx context.Context, req *connect.Request[batonv1.HeartbeatRequest]) (*connect.Response[batonv1.HeartbeatResponse], error) {
	m := req.Msg
	if err := s.e.Heartbeat(ctx, m.GetTaskId(), int(m.GetPollCount()), m.GetWorkerId()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.HeartbeatResponse{}), nil
}

func (s *taskService) AddTaskLogs(ctx context.Context, req *connect.Request[batonv1.AddTaskLogsRequest]) (*connect.Response[batonv1.AddTaskLogsResponse], error) {
	if err := s.e.AddTaskLogs(ctx, req.Msg.GetTaskId(), req.Msg.GetLines()); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.AddTaskLogsResponse{}), nil
}

func (s *taskService) GetTaskLogs(ctx context.Context, req *connect.Request[batonv1.GetTaskLogsRequest]) (*connect.Response[batonv1.GetTaskLogsResponse], error) {
	logs, err := s.e.TaskLogs(ctx, req.Msg.GetTaskId())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	resp := &batonv1.GetTaskLogsResponse{Logs: make([]*batonv1.TaskLog, len(logs))}
	for i, l := range logs {
		resp.Logs[i] = &batonv1.TaskLog{Log: l.Log, CreatedTime: l.CreatedTime}
	}
	return connect.NewResponse(resp), nil
}

func (s *taskService) GetTask(ctx context.Context, req *connect.Request[batonv1.GetTaskRequest]) (*connect.Response[batonv1.GetTaskResponse], error) {
	t, err := s.e.Task(ctx, req.Msg.GetTaskId())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	pt, err := taskToProto(t)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.GetTaskResponse{Task: pt}), nil
}

func (s *taskService) GetQueueSizes(ctx context.Context, req *connect.Request[batonv1.GetQueueSizesRequest]) (*connect.Response[batonv1.GetQueueSizesResponse], error) {
	sizes := make(map[string]int64, len(req.Msg.GetTaskTypes()))
	for _, t := range req.Msg.GetTaskTypes() {
		sizes[t] = int64(s.e.QueueSize(t))
	}
	return connect.NewResponse(&batonv1.GetQueueSizesResponse{Sizes: sizes}), nil
}

func (s *taskService) fail(ctx context.Context, req connect.AnyRequest, err error) error {
	return s.errs.connectError(ctx, req.Spec().Procedure, err)
}
