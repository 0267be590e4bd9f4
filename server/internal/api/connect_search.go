package api

import (
	"context"
	"strings"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// The Connect searches page by cursor only: they have no offset and no
// count of the matches (see rest_search.go on totalHits).

func (s *workflowService) SearchWorkflows(ctx context.Context, req *connect.Request[batonv1.SearchWorkflowsRequest]) (*connect.Response[batonv1.SearchWorkflowsResponse], error) {
	q, err := executionQueryFromProto(req.Msg)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	page, err := s.e.SearchWorkflows(ctx, engine.SearchRequest{Query: q})
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	out := &batonv1.SearchWorkflowsResponse{NextCursor: page.Next, Workflows: make([]*batonv1.Workflow, 0, len(page.Executions))}
	for _, w := range page.Executions {
		pw, err := workflowToProto(w)
		if err != nil {
			return nil, s.fail(ctx, req, err)
		}
		out.Workflows = append(out.Workflows, pw)
	}
	return connect.NewResponse(out), nil
}

func (s *workflowService) SearchTasks(ctx context.Context, req *connect.Request[batonv1.SearchTasksRequest]) (*connect.Response[batonv1.SearchTasksResponse], error) {
	q, err := taskQueryFromProto(req.Msg)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	page, err := s.e.SearchTasks(ctx, engine.TaskSearchRequest{Query: q})
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	tasks, err := tasksToProto(page.Tasks)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.SearchTasksResponse{Tasks: tasks, NextCursor: page.Next}), nil
}

func executionQueryFromProto(m *batonv1.SearchWorkflowsRequest) (store.ExecutionQuery, error) {
	q := store.ExecutionQuery{
		Name:           m.GetName(),
		Version:        int(m.GetVersion()),
		CorrelationID:  m.GetCorrelationId(),
		IdempotencyKey: m.GetIdempotencyKey(),
		StartFrom:      m.GetStartTimeFrom(),
		StartTo:        m.GetStartTimeTo(),
		EndFrom:        m.GetEndTimeFrom(),
		EndTo:          m.GetEndTimeTo(),
		FreeText:       m.GetFreeText(),
		Ascending:      m.GetAscending(),
		Limit:          int(m.GetLimit()),
		Cursor:         m.GetCursor(),
	}
	for _, st := range m.GetStatuses() {
		name, ok := batonv1.WorkflowStatus_name[int32(st)]
		if !ok || st == batonv1.WorkflowStatus_WORKFLOW_STATUS_UNSPECIFIED {
			return q, invalid("statuses: %d is not a workflow status", int32(st))
		}
		q.Statuses = append(q.Statuses, workflow.Status(strings.TrimPrefix(name, workflowStatusPrefix)))
	}
	switch m.GetSortBy() {
	case batonv1.WorkflowSortField_WORKFLOW_SORT_FIELD_UNSPECIFIED, batonv1.WorkflowSortField_WORKFLOW_SORT_FIELD_CREATE_TIME:
		q.SortBy = store.SortCreateTime
	case batonv1.WorkflowSortField_WORKFLOW_SORT_FIELD_END_TIME:
		q.SortBy = store.SortEndTime
	case batonv1.WorkflowSortField_WORKFLOW_SORT_FIELD_UPDATE_TIME:
		q.SortBy = store.SortUpdateTime
	default:
		return q, invalid("sort_by %d is not a WorkflowSortField", int32(m.GetSortBy()))
	}
	return q, nil
}

func taskQueryFromProto(m *batonv1.SearchTasksRequest) (store.TaskQuery, error) {
	q := store.TaskQuery{
		TaskType:      m.GetTaskType(),
		WorkflowName:  m.GetWorkflowName(),
		WorkflowID:    m.GetWorkflowId(),
		ScheduledFrom: m.GetScheduledTimeFrom(),
		ScheduledTo:   m.GetScheduledTimeTo(),
		StartFrom:     m.GetStartTimeFrom(),
		StartTo:       m.GetStartTimeTo(),
		EndFrom:       m.GetEndTimeFrom(),
		EndTo:         m.GetEndTimeTo(),
		UpdateFrom:    m.GetUpdateTimeFrom(),
		UpdateTo:      m.GetUpdateTimeTo(),
		FreeText:      m.GetFreeText(),
		Ascending:     m.GetAscending(),
		Limit:         int(m.GetLimit()),
		Cursor:        m.GetCursor(),
	}
	for _, st := range m.GetStatuses() {
		ts, err := taskStatusFromProto("statuses", st)
		if err != nil {
			return q, err
		}
		if ts == "" {
			return q, invalid("statuses: TASK_STATUS_UNSPECIFIED is not a task status")
		}
		q.Statuses = append(q.Statuses, ts)
	}
	return q, nil
}
