package client

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
)

// FeedPosition is a place in the server's change feed. Pass the Position
// of the last event handled to a new watch to resume after it.
type FeedPosition struct {
	// Epoch names the server run; a position of another run is not
	// resumed (the watch starts with a snapshot).
	Epoch string
	Seq   uint64
}

// WatchEvent is one message of a watch: a snapshot or a delta.
type WatchEvent struct {
	// Position is where the event brings the watcher.
	Position FeedPosition
	// Snapshot is the execution with its tasks (WatchWorkflow), set on
	// the first event unless the watch resumed: it replaces whatever the
	// watcher held. Version is its stored version.
	Snapshot *workflow.Workflow
	Version  uint64
	// Workflows is the snapshot page of WatchWorkflows (newest first,
	// without tasks); Snapshot is nil then.
	Workflows []*workflow.Workflow
	// Delta is a committed change; nil for a snapshot.
	Delta *Delta
}

// IsSnapshot reports whether the event replaces what the watcher held.
func (e *WatchEvent) IsSnapshot() bool { return e.Delta == nil }

// Delta is one committed change of one execution.
type Delta struct {
	// Workflow is the execution after the change, without its input,
	// output, variables and tasks.
	Workflow *workflow.Workflow
	// Tasks are the task attempts the change added or changed, without
	// their input and output; empty in WatchWorkflows.
	Tasks []*workflow.Task
	// RemovedTaskIDs are the attempts the change removed.
	RemovedTaskIDs []string
	// Deleted is set when the execution was removed.
	Deleted bool
	// Version is the execution's stored version after the change.
	Version uint64
}

// WatchQuery selects the executions of WatchWorkflows; the zero value
// selects every execution.
type WatchQuery struct {
	Names []string
	// Statuses selects executions with one of them; an execution that
	// leaves the set is sent once more, with its new status.
	Statuses      []workflow.Status
	CorrelationID string
	// Limit is the size of the snapshot page: 100 when 0, at most 1000.
	Limit int
}

// WatchWorkflow watches an execution: a snapshot, then a delta per commit,
// for as long as the caller iterates (break, or cancel ctx, to stop). With
// from set, it resumes after that position when the server still holds
// what followed, and starts with a snapshot otherwise. An error ends the
// sequence; watch again from the last Position to go on.
//
//	for ev, err := range c.WatchWorkflow(ctx, id, nil) {
//		if err != nil { ... }
//		if ev.IsSnapshot() { ... } else { ... ev.Delta.Tasks ... }
//	}
func (c *Client) WatchWorkflow(ctx context.Context, id string, from *FeedPosition) iter.Seq2[*WatchEvent, error] {
	return func(yield func(*WatchEvent, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.watcher.WatchWorkflow(ctx, connect.NewRequest(&batonv1.WatchWorkflowRequest{WorkflowId: id, From: positionToProto(from)}))
		if err != nil {
			yield(nil, err)
			return
		}
		defer stream.Close()
		for stream.Receive() {
			m := stream.Msg()
			ev := &WatchEvent{Position: positionFromProto(m.GetPosition())}
			switch {
			case m.GetSnapshot() != nil:
				ev.Version = m.GetSnapshot().GetVersion()
				ev.Snapshot, err = workflowFromProto(m.GetSnapshot().GetWorkflow())
			case m.GetDelta() != nil:
				ev.Delta, err = deltaFromProto(m.GetDelta())
			default:
				err = errors.New("watch workflow: the server sent neither a snapshot nor a delta")
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
		if err := stream.Err(); err != nil && ctx.Err() == nil {
			yield(nil, err)
		}
	}
}

// WatchWorkflows watches the executions that match q: a snapshot page,
// then a delta (a summary, without tasks) per commit of a matching
// execution. It is iterated as WatchWorkflow is.
func (c *Client) WatchWorkflows(ctx context.Context, q WatchQuery, from *FeedPosition) iter.Seq2[*WatchEvent, error] {
	return func(yield func(*WatchEvent, error) bool) {
		req := &batonv1.WatchWorkflowsRequest{Names: q.Names, CorrelationId: q.CorrelationID, Limit: int32(q.Limit), From: positionToProto(from)}
		for _, s := range q.Statuses {
			v, ok := batonv1.WorkflowStatus_value["WORKFLOW_STATUS_"+string(s)]
			if !ok {
				yield(nil, fmt.Errorf("watch workflows: %q is not a workflow status", s))
				return
			}
			req.Statuses = append(req.Statuses, batonv1.WorkflowStatus(v))
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.watcher.WatchWorkflows(ctx, connect.NewRequest(req))
		if err != nil {
			yield(nil, err)
			return
		}
		defer stream.Close()
		for stream.Receive() {
			m := stream.Msg()
			ev := &WatchEvent{Position: positionFromProto(m.GetPosition())}
			switch {
			case m.GetSnapshot() != nil:
				ev.Workflows = []*workflow.Workflow{}
				for _, pw := range m.GetSnapshot().GetWorkflows() {
					w, err := workflowFromProto(pw)
					if err != nil {
						yield(nil, err)
						return
					}
					ev.Workflows = append(ev.Workflows, w)
				}
			case m.GetDelta() != nil:
				if ev.Delta, err = deltaFromProto(m.GetDelta()); err != nil {
					yield(nil, err)
					return
				}
			default:
				yield(nil, errors.New("watch workflows: the server sent neither a snapshot nor a delta"))
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
		if err := stream.Err(); err != nil && ctx.Err() == nil {
			yield(nil, err)
		}
	}
}

func deltaFromProto(p *batonv1.WorkflowDelta) (*Delta, error) {
	w, err := workflowFromProto(p.GetWorkflow())
	if err != nil {
		return nil, err
	}
	tasks, err := tasksFromProto(p.GetTasks())
	if err != nil {
		return nil, err
	}
	return &Delta{Workflow: w, Tasks: tasks, RemovedTaskIDs: p.GetRemovedTaskIds(), Deleted: p.GetDeleted(), Version: p.GetVersion()}, nil
}

func positionToProto(p *FeedPosition) *batonv1.FeedPosition {
	if p == nil {
		return nil
	}
	return &batonv1.FeedPosition{Epoch: p.Epoch, Seq: p.Seq}
}

func positionFromProto(p *batonv1.FeedPosition) FeedPosition {
	return FeedPosition{Epoch: p.GetEpoch(), Seq: p.GetSeq()}
}
