package api

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// watchService implements batonv1connect.WatchServiceHandler over the
// engine's change feed.
type watchService struct {
	e    *engine.Engine
	errs *errorMapper
}

var _ batonv1connect.WatchServiceHandler = (*watchService)(nil)

// defaultWatchLimit is the snapshot page of WatchWorkflows when the request
// sets none.
const defaultWatchLimit = 100

// errBehind ends one subscription of a stream whose client fell behind:
// the stream subscribes again from the last position it sent.
var errBehind = errors.New("the client fell behind the feed")

func (s *watchService) WatchWorkflow(ctx context.Context, req *connect.Request[batonv1.WatchWorkflowRequest], stream *connect.ServerStream[batonv1.WatchWorkflowResponse]) error {
	id := req.Msg.GetWorkflowId()
	if id == "" {
		return s.errs.connectError(ctx, req.Spec().Procedure, invalid("workflow_id is required: the id of the execution to watch"))
	}
	from := positionFromProto(req.Msg.GetFrom())
	for {
		err := s.watchWorkflow(ctx, id, &from, stream)
		if !errors.Is(err, errBehind) {
			return s.errs.connectError(ctx, req.Spec().Procedure, err)
		}
	}
}

// watchWorkflow runs one subscription of a WatchWorkflow stream; from
// follows what was sent. It returns nil when the execution was removed,
// errBehind when the client fell behind.
func (s *watchService) watchWorkflow(ctx context.Context, id string, from **engine.Position, stream *connect.ServerStream[batonv1.WatchWorkflowResponse]) error {
	sub, err := s.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{WorkflowID: id}, From: *from})
	if err != nil {
		return err
	}
	defer sub.Close()
	var version uint64 // of the snapshot sent
	if sub.Resumed {
		for _, c := range sub.Backlog {
			if err := stream.Send(&batonv1.WatchWorkflowResponse{Position: positionToProto(sub.Start.Epoch, c.Seq), Event: &batonv1.WatchWorkflowResponse_Delta{Delta: deltaToProto(c, true)}}); err != nil {
				return err
			}
			if c.Deleted {
				return nil // the execution is gone: nothing follows
			}
		}
	} else {
		w, v, err := s.e.Snapshot(ctx, id)
		if err != nil {
			return err
		}
		pw, err := workflowToProto(w)
		if err != nil {
			return err
		}
		version = v
		snap := &batonv1.WorkflowSnapshot{Workflow: pw, Version: v}
		if err := stream.Send(&batonv1.WatchWorkflowResponse{Position: positionToProto(sub.Start.Epoch, sub.Start.Seq), Event: &batonv1.WatchWorkflowResponse_Snapshot{Snapshot: snap}}); err != nil {
			return err
		}
	}
	*from = &sub.Start
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c, ok := <-sub.Changes():
			if !ok {
				return subscriptionEnd(sub)
			}
			*from = &engine.Position{Epoch: sub.Start.Epoch, Seq: c.Seq}
			if c.Version <= version {
				continue // the snapshot holds it already
			}
			if err := stream.Send(&batonv1.WatchWorkflowResponse{Position: positionToProto(sub.Start.Epoch, c.Seq), Event: &batonv1.WatchWorkflowResponse_Delta{Delta: deltaToProto(c, true)}}); err != nil {
				return err
			}
			if c.Deleted {
				return nil
			}
		}
	}
}

func (s *watchService) WatchWorkflows(ctx context.Context, req *connect.Request[batonv1.WatchWorkflowsRequest], stream *connect.ServerStream[batonv1.WatchWorkflowsResponse]) error {
	fail := func(err error) error { return s.errs.connectError(ctx, req.Spec().Procedure, err) }
	m := req.Msg
	filter := engine.Filter{Names: m.GetNames(), CorrelationID: m.GetCorrelationId()}
	q, err := executionQueryFromProto(&batonv1.SearchWorkflowsRequest{Statuses: m.GetStatuses()})
	if err != nil {
		return fail(err)
	}
	filter.Statuses = q.Statuses
	limit := int(m.GetLimit())
	switch {
	case limit == 0:
		limit = defaultWatchLimit
	case limit < 0 || limit > store.MaxSearchLimit:
		return fail(invalid("limit must be between 0 (for %d) and %d, got %d", defaultWatchLimit, store.MaxSearchLimit, limit))
	}
	from := positionFromProto(m.GetFrom())
	for {
		err := s.watchWorkflows(ctx, filter, limit, &from, stream)
		if !errors.Is(err, errBehind) {
			return fail(err)
		}
	}
}

// watchWorkflows runs one subscription of a WatchWorkflows stream, as
// watchWorkflow does.
func (s *watchService) watchWorkflows(ctx context.Context, filter engine.Filter, limit int, from **engine.Position, stream *connect.ServerStream[batonv1.WatchWorkflowsResponse]) error {
	sub, err := s.e.Subscribe(engine.SubscribeRequest{Filter: filter, From: *from})
	if err != nil {
		return err
	}
	defer sub.Close()
	send := func(c *engine.Change) error {
		return stream.Send(&batonv1.WatchWorkflowsResponse{Position: positionToProto(sub.Start.Epoch, c.Seq), Event: &batonv1.WatchWorkflowsResponse_Delta{Delta: deltaToProto(c, false)}})
	}
	if sub.Resumed {
		for _, c := range sub.Backlog {
			if err := send(c); err != nil {
				return err
			}
		}
	} else {
		list, err := s.e.SnapshotQuery(ctx, filter, limit)
		if err != nil {
			return err
		}
		snap := &batonv1.WorkflowsSnapshot{Workflows: make([]*batonv1.Workflow, 0, len(list))}
		for _, w := range list {
			pw, err := workflowToProto(w)
			if err != nil {
				return err
			}
			snap.Workflows = append(snap.Workflows, pw)
		}
		if err := stream.Send(&batonv1.WatchWorkflowsResponse{Position: positionToProto(sub.Start.Epoch, sub.Start.Seq), Event: &batonv1.WatchWorkflowsResponse_Snapshot{Snapshot: snap}}); err != nil {
			return err
		}
	}
	*from = &sub.Start
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c, ok := <-sub.Changes():
			if !ok {
				return subscriptionEnd(sub)
			}
			*from = &engine.Position{Epoch: sub.Start.Epoch, Seq: c.Seq}
			if err := send(c); err != nil {
				return err
			}
		}
	}
}

// subscriptionEnd is what a stream does when its subscription ended:
// start again if the client fell behind, end otherwise.
func subscriptionEnd(sub *engine.Subscription) error {
	err := sub.Err()
	if errors.Is(err, engine.ErrSubscriberSlow) {
		return errBehind
	}
	return err
}

func positionFromProto(p *batonv1.FeedPosition) *engine.Position {
	if p == nil {
		return nil
	}
	return &engine.Position{Epoch: p.GetEpoch(), Seq: p.GetSeq()}
}

func positionToProto(epoch string, seq uint64) *batonv1.FeedPosition {
	return &batonv1.FeedPosition{Epoch: epoch, Seq: seq}
}

// deltaToProto converts a change; the tasks only withTasks.
func deltaToProto(c *engine.Change, withTasks bool) *batonv1.WorkflowDelta {
	w := &c.Workflow
	d := &batonv1.WorkflowDelta{
		Workflow: &batonv1.Workflow{
			WorkflowId:            w.WorkflowID,
			Name:                  w.WorkflowName,
			Version:               int32(w.WorkflowVersion),
			Status:                workflowStatusToProto(w.Status),
			CorrelationId:         w.CorrelationID,
			ReasonForIncompletion: w.ReasonForIncompletion,
			ParentWorkflowId:      w.ParentWorkflowID,
			CreateTime:            w.CreateTime,
			UpdateTime:            w.UpdateTime,
			EndTime:               w.EndTime,
		},
		Deleted: c.Deleted,
		Version: c.Version,
	}
	if !withTasks {
		return d
	}
	d.RemovedTaskIds = c.RemovedTasks
	for i := range c.Tasks {
		t := &c.Tasks[i]
		d.Tasks = append(d.Tasks, &batonv1.Task{
			TaskId:                t.TaskID,
			TaskType:              t.TaskType,
			ReferenceTaskName:     t.ReferenceTaskName,
			WorkflowInstanceId:    w.WorkflowID,
			Status:                taskStatusToProto(t.Status),
			ReasonForIncompletion: t.ReasonForIncompletion,
			Seq:                   int32(t.Seq),
			RetryCount:            int32(t.RetryCount),
			PollCount:             int32(t.PollCount),
			WorkerId:              t.WorkerID,
			ScheduledTime:         t.ScheduledTime,
			StartTime:             t.StartTime,
			EndTime:               t.EndTime,
			Iteration:             int32(t.Iteration),
		})
	}
	return d
}
