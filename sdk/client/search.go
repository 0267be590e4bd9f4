package client

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
)

// SortField is what SearchWorkflows orders executions by.
type SortField string

// The orders of SearchWorkflows.
const (
	// SortCreateTime orders by start (create) time; the default.
	SortCreateTime SortField = "createTime"
	// SortEndTime orders by end time, then create time.
	SortEndTime SortField = "endTime"
	// SortUpdateTime orders by the time of the last change.
	SortUpdateTime SortField = "updateTime"
)

// WorkflowQuery selects executions for SearchWorkflows. The zero value
// matches every execution, newest first; an execution matches when it
// matches every field that is set. A zero time leaves that end of a range
// open; a range is [From, To).
type WorkflowQuery struct {
	Name           string
	Version        int // needs Name
	Statuses       []workflow.Status
	CorrelationID  string
	IdempotencyKey string
	// StartedAfter and StartedBefore bound the create (start) time.
	StartedAfter, StartedBefore time.Time
	// EndedAfter and EndedBefore bound the end time; either matches only
	// executions that have ended.
	EndedAfter, EndedBefore time.Time
	// Text: words that must all occur in the input, output, variables or
	// reason for incompletion (whole words, case ignored).
	Text      string
	SortBy    SortField
	Ascending bool
	// Limit is the page size: 100 when 0, at most 1000.
	Limit int
	// Cursor is the Next of the previous page.
	Cursor string
}

// WorkflowPage is one page of SearchWorkflows.
type WorkflowPage struct {
	// Workflows are the executions of the page, without their tasks.
	Workflows []*workflow.Workflow
	// Next continues the search (WorkflowQuery.Cursor); empty on the last
	// page.
	Next string
}

// SearchWorkflows returns one page of the executions that match q.
func (c *Client) SearchWorkflows(ctx context.Context, q WorkflowQuery) (*WorkflowPage, error) {
	req := &batonv1.SearchWorkflowsRequest{
		Name: q.Name, Version: int32(q.Version), CorrelationId: q.CorrelationID, IdempotencyKey: q.IdempotencyKey,
		StartTimeFrom: millis(q.StartedAfter), StartTimeTo: millis(q.StartedBefore),
		EndTimeFrom: millis(q.EndedAfter), EndTimeTo: millis(q.EndedBefore),
		FreeText: q.Text, Ascending: q.Ascending, Limit: int32(q.Limit), Cursor: q.Cursor,
	}
	for _, s := range q.Statuses {
		v, ok := batonv1.WorkflowStatus_value["WORKFLOW_STATUS_"+string(s)]
		if !ok {
			return nil, fmt.Errorf("search workflows: %q is not a workflow status", s)
		}
		req.Statuses = append(req.Statuses, batonv1.WorkflowStatus(v))
	}
	switch q.SortBy {
	case "", SortCreateTime:
	case SortEndTime:
		req.SortBy = batonv1.WorkflowSortField_WORKFLOW_SORT_FIELD_END_TIME
	case SortUpdateTime:
		req.SortBy = batonv1.WorkflowSortField_WORKFLOW_SORT_FIELD_UPDATE_TIME
	default:
		return nil, fmt.Errorf("search workflows: cannot sort by %q: sort by %s, %s or %s", q.SortBy, SortCreateTime, SortEndTime, SortUpdateTime)
	}
	res, err := c.flows.SearchWorkflows(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	page := &WorkflowPage{Next: res.Msg.GetNextCursor(), Workflows: make([]*workflow.Workflow, 0, len(res.Msg.GetWorkflows()))}
	for _, pw := range res.Msg.GetWorkflows() {
		w, err := workflowFromProto(pw)
		if err != nil {
			return nil, err
		}
		page.Workflows = append(page.Workflows, w)
	}
	return page, nil
}

// TaskQuery selects task attempts for SearchTasks, ordered by scheduled
// time, newest first unless Ascending. The zero value matches every task;
// a task matches when it matches every field that is set. A zero time
// leaves that end of a range open; a range is [From, To), and a start or
// end range matches only tasks that have started or ended.
type TaskQuery struct {
	TaskType     string
	Statuses     []workflow.TaskStatus
	WorkflowName string
	WorkflowID   string

	ScheduledAfter, ScheduledBefore time.Time
	StartedAfter, StartedBefore     time.Time
	EndedAfter, EndedBefore         time.Time
	UpdatedAfter, UpdatedBefore     time.Time
	// Text: words that must all occur in the reason for incompletion.
	Text      string
	Ascending bool
	// Limit is the page size: 100 when 0, at most 1000.
	Limit int
	// Cursor is the Next of the previous page.
	Cursor string
}

// TaskPage is one page of SearchTasks.
type TaskPage struct {
	Tasks []*workflow.Task
	// Next continues the search (TaskQuery.Cursor); empty on the last page.
	Next string
}

// SearchTasks returns one page of the task attempts that match q.
func (c *Client) SearchTasks(ctx context.Context, q TaskQuery) (*TaskPage, error) {
	req := &batonv1.SearchTasksRequest{
		TaskType: q.TaskType, WorkflowName: q.WorkflowName, WorkflowId: q.WorkflowID,
		ScheduledTimeFrom: millis(q.ScheduledAfter), ScheduledTimeTo: millis(q.ScheduledBefore),
		StartTimeFrom: millis(q.StartedAfter), StartTimeTo: millis(q.StartedBefore),
		EndTimeFrom: millis(q.EndedAfter), EndTimeTo: millis(q.EndedBefore),
		UpdateTimeFrom: millis(q.UpdatedAfter), UpdateTimeTo: millis(q.UpdatedBefore),
		FreeText: q.Text, Ascending: q.Ascending, Limit: int32(q.Limit), Cursor: q.Cursor,
	}
	for _, s := range q.Statuses {
		v, ok := batonv1.TaskStatus_value["TASK_STATUS_"+string(s)]
		if !ok {
			return nil, fmt.Errorf("search tasks: %q is not a task status", s)
		}
		req.Statuses = append(req.Statuses, batonv1.TaskStatus(v))
	}
	res, err := c.flows.SearchTasks(ctx, connect.NewRequest(req))
	if err != nil {
		return nil, err
	}
	tasks, err := tasksFromProto(res.Msg.GetTasks())
	if err != nil {
		return nil, err
	}
	return &TaskPage{Tasks: tasks, Next: res.Msg.GetNextCursor()}, nil
}

// millis is t in Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
