package api

import (
	"context"
	"strings"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// maxBusiest bounds how many busiest queues an overview lists.
const maxBusiest = 100

// queueService implements batonv1connect.QueueServiceHandler: the figures
// of task queues and the overview, as rest_queue.go serves them.
type queueService struct {
	e    *engine.Engine
	errs *errorMapper
}

var _ batonv1connect.QueueServiceHandler = (*queueService)(nil)

func (s *queueService) ListQueues(_ context.Context, req *connect.Request[batonv1.ListQueuesRequest]) (*connect.Response[batonv1.ListQueuesResponse], error) {
	queues := s.e.Queues(req.Msg.GetTaskType())
	out := make([]*batonv1.Queue, len(queues))
	for i, q := range queues {
		out[i] = queueToProto(q)
	}
	return connect.NewResponse(&batonv1.ListQueuesResponse{Queues: out}), nil
}

func (s *queueService) GetQueue(ctx context.Context, req *connect.Request[batonv1.GetQueueRequest]) (*connect.Response[batonv1.GetQueueResponse], error) {
	taskType, domain := req.Msg.GetTaskType(), req.Msg.GetDomain()
	if err := checkQueue(taskType, domain); err != nil {
		return nil, s.errs.connectError(ctx, req.Spec().Procedure, err)
	}
	d := s.e.Queue(taskType, domain)
	workers := make([]*batonv1.QueueWorker, len(d.WorkerStats))
	for i, w := range d.WorkerStats {
		workers[i] = &batonv1.QueueWorker{WorkerId: w.WorkerID, Domain: w.Domain, LastPollTime: w.LastPollTime, PollsLastMinute: w.PollsLastMinute}
	}
	return connect.NewResponse(&batonv1.GetQueueResponse{Queue: queueToProto(d.QueueStats), Workers: workers}), nil
}

func (s *queueService) GetOverview(ctx context.Context, req *connect.Request[batonv1.GetOverviewRequest]) (*connect.Response[batonv1.GetOverviewResponse], error) {
	busiest := int(req.Msg.GetBusiest())
	if err := checkBusiest(busiest); err != nil {
		return nil, s.errs.connectError(ctx, req.Spec().Procedure, err)
	}
	o := s.e.Overview(busiest)
	c := o.Counts
	return connect.NewResponse(&batonv1.GetOverviewResponse{
		Counts: &batonv1.ExecutionCounts{
			Running: c[workflow.StatusRunning], Paused: c[workflow.StatusPaused], Completed: c[workflow.StatusCompleted],
			Failed: c[workflow.StatusFailed], TimedOut: c[workflow.StatusTimedOut], Terminated: c[workflow.StatusTerminated],
		},
		PerSecond:      throughputToProto(o.PerSecond),
		PerMinute:      throughputToProto(o.PerMinute),
		Since:          o.Since,
		BusiestByDepth: queuesToProto(o.BusiestByDepth),
		BusiestByAge:   queuesToProto(o.BusiestByAge),
	}), nil
}

// checkQueue refuses a queue that cannot exist.
func checkQueue(taskType, domain string) error {
	switch {
	case taskType == "":
		return invalid("the task type of the queue is required")
	case strings.ContainsRune(taskType, 0) || strings.ContainsRune(domain, 0):
		return invalid("the task type and domain may not contain NUL bytes")
	}
	return nil
}

// checkBusiest refuses a number of busiest queues out of range (0 is the
// default).
func checkBusiest(n int) error {
	if n < 0 || n > maxBusiest {
		return invalid("busiest must be between 0 (the default, %d) and %d, got %d", engine.DefaultBusiest, maxBusiest, n)
	}
	return nil
}

func queueToProto(q engine.QueueStats) *batonv1.Queue {
	return &batonv1.Queue{
		TaskType: q.TaskType, Domain: q.Domain, Internal: q.Internal,
		Depth: int64(q.Depth), Delayed: int64(q.Delayed), InFlight: int64(q.InFlight), OldestWaitingMs: q.OldestWaitingMs,
		PollsPerSecond: q.PollsPerSecond, HandedOutPerSecond: q.HandedOutPerSecond,
		CompletedPerSecond: q.CompletedPerSecond, FailedPerSecond: q.FailedPerSecond,
		LastPollTime: q.LastPollTime, Workers: int64(q.Workers),
	}
}

func queuesToProto(qs []engine.QueueStats) []*batonv1.Queue {
	out := make([]*batonv1.Queue, len(qs))
	for i, q := range qs {
		out[i] = queueToProto(q)
	}
	return out
}

func throughputToProto(ts []engine.Throughput) []*batonv1.Throughput {
	out := make([]*batonv1.Throughput, len(ts))
	for i, t := range ts {
		out[i] = &batonv1.Throughput{
			Time: t.Time, Started: t.Started, Completed: t.Completed, Failed: t.Failed, Terminated: t.Terminated,
			FailureRate: t.FailureRate,
		}
	}
	return out
}
