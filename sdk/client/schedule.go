package client

import (
	"context"
	"fmt"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
)

func decodeSchedule(text string) (*workflow.Schedule, error) {
	var sc workflow.Schedule
	if err := workflow.Decode([]byte(text), &sc); err != nil {
		return nil, fmt.Errorf("decode server JSON: %w", err)
	}
	return &sc, nil
}

// SaveSchedule creates or replaces a workflow schedule (by name) and
// returns it as stored, with its next run time.
func (c *Client) SaveSchedule(ctx context.Context, sc *workflow.Schedule) (*workflow.Schedule, error) {
	text, err := marshal(sc)
	if err != nil {
		return nil, err
	}
	res, err := c.sched.SaveSchedule(ctx, connect.NewRequest(&batonv1.SaveScheduleRequest{ScheduleJson: text}))
	if err != nil {
		return nil, err
	}
	return decodeSchedule(res.Msg.GetScheduleJson())
}

// Schedule returns a workflow schedule by name.
func (c *Client) Schedule(ctx context.Context, name string) (*workflow.Schedule, error) {
	res, err := c.sched.GetSchedule(ctx, connect.NewRequest(&batonv1.GetScheduleRequest{Name: name}))
	if err != nil {
		return nil, err
	}
	return decodeSchedule(res.Msg.GetScheduleJson())
}

// Schedules returns the schedules sorted by name: all of them, or those
// that start workflowName when it is not empty.
func (c *Client) Schedules(ctx context.Context, workflowName string) ([]*workflow.Schedule, error) {
	res, err := c.sched.ListSchedules(ctx, connect.NewRequest(&batonv1.ListSchedulesRequest{WorkflowName: workflowName}))
	if err != nil {
		return nil, err
	}
	out := make([]*workflow.Schedule, 0, len(res.Msg.GetScheduleJson()))
	for _, text := range res.Msg.GetScheduleJson() {
		sc, err := decodeSchedule(text)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// DeleteSchedule removes a schedule; the executions it started stay.
func (c *Client) DeleteSchedule(ctx context.Context, name string) error {
	_, err := c.sched.DeleteSchedule(ctx, connect.NewRequest(&batonv1.DeleteScheduleRequest{Name: name}))
	return err
}

// PauseSchedule stops a schedule from firing; reason may be empty.
func (c *Client) PauseSchedule(ctx context.Context, name, reason string) error {
	_, err := c.sched.PauseSchedule(ctx, connect.NewRequest(&batonv1.PauseScheduleRequest{Name: name, Reason: reason}))
	return err
}

// ResumeSchedule lets a paused schedule fire again from the first instant
// after now.
func (c *Client) ResumeSchedule(ctx context.Context, name string) error {
	_, err := c.sched.ResumeSchedule(ctx, connect.NewRequest(&batonv1.ResumeScheduleRequest{Name: name}))
	return err
}

// NextScheduleTimes returns the next n instants (Unix milliseconds) at
// which cronExpr fires in zone (UTC when empty), within [start, end] when
// they are not 0.
func (c *Client) NextScheduleTimes(ctx context.Context, cronExpr, zone string, start, end int64, n int) ([]int64, error) {
	res, err := c.sched.NextScheduleTimes(ctx, connect.NewRequest(&batonv1.NextScheduleTimesRequest{
		CronExpression: cronExpr, ZoneId: zone, ScheduleStartTime: start, ScheduleEndTime: end, Limit: int32(n),
	}))
	if err != nil {
		return nil, err
	}
	return res.Msg.GetTimes(), nil
}
