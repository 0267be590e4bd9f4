package client

import (
	"context"
	"time"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
)

// Queue is the figures of one task queue (a task type in a domain, or in
// none): what an autoscaler scales workers on. Rates are averages over the
// last minute, kept in memory by the server since it started.
type Queue struct {
	TaskType string `json:"taskType"`
	// Domain is empty for none.
	Domain string `json:"domain,omitempty"`
	// Internal is set for a queue of tasks the server runs itself (HTTP).
	Internal bool `json:"internal,omitempty"`
	// Depth counts the tasks ready to be handed out now, Delayed those
	// queued for later, InFlight those handed out and not finished.
	Depth    int `json:"depth"`
	Delayed  int `json:"delayed"`
	InFlight int `json:"inFlight"`
	// OldestWaitingMs is how long the task that has waited longest has
	// been ready, in milliseconds (as the REST API reports it); 0 when none
	// is.
	OldestWaitingMs int64 `json:"oldestWaitingMs"`
	// Polls, tasks handed out, completed, and failed or timed out, per
	// second.
	PollsPerSecond     float64 `json:"pollsPerSecond"`
	HandedOutPerSecond float64 `json:"handedOutPerSecond"`
	CompletedPerSecond float64 `json:"completedPerSecond"`
	FailedPerSecond    float64 `json:"failedPerSecond"`
	// LastPoll is when a worker last polled the queue; zero for never
	// since the server started.
	LastPoll time.Time `json:"lastPoll,omitzero"`
	// Workers counts the workers that polled in the last minute.
	Workers int `json:"workers"`
}

// QueueWorker is the polls of one worker on one queue.
type QueueWorker struct {
	WorkerID string    `json:"workerId"`
	Domain   string    `json:"domain,omitempty"`
	LastPoll time.Time `json:"lastPoll"`
	// PollsLastMinute counts its polls in the last minute.
	PollsLastMinute int `json:"pollsLastMinute"`
}

// Throughput is what happened to executions in one second or minute.
type Throughput struct {
	// Time is the start of the second or minute.
	Time time.Time `json:"time"`
	// Started executions; Completed, Failed (FAILED or TIMED_OUT) and
	// Terminated ones that ended so.
	Started    int `json:"started"`
	Completed  int `json:"completed"`
	Failed     int `json:"failed"`
	Terminated int `json:"terminated"`
	// FailureRate is Failed / (Completed + Failed); 0 when neither.
	FailureRate float64 `json:"failureRate"`
}

// Overview is the server at a glance.
type Overview struct {
	// Counts are the executions in each status, every status present.
	Counts map[workflow.Status]int `json:"counts"`
	// PerSecond covers each second of the last minute, PerMinute each
	// minute of the last hour, oldest first, the last being the current
	// one. They are kept in memory since Since, when the server started.
	PerSecond []Throughput `json:"perSecond"`
	PerMinute []Throughput `json:"perMinute"`
	Since     time.Time    `json:"since"`
	// BusiestByDepth are the queues with the most tasks ready, and
	// BusiestByAge those whose oldest ready task has waited longest.
	BusiestByDepth []*Queue `json:"busiestByDepth"`
	BusiestByAge   []*Queue `json:"busiestByAge"`
}

// Queues returns the figures of every queue the server knows (of one task
// type, unless taskType is empty), by task type then domain.
func (c *Client) Queues(ctx context.Context, taskType string) ([]*Queue, error) {
	res, err := c.queues.ListQueues(ctx, connect.NewRequest(&batonv1.ListQueuesRequest{TaskType: taskType}))
	if err != nil {
		return nil, err
	}
	return queuesFromProto(res.Msg.GetQueues()), nil
}

// Queue returns the figures of the queue of a task type in a domain (""
// for none), and its workers by id.
func (c *Client) Queue(ctx context.Context, taskType, domain string) (*Queue, []*QueueWorker, error) {
	res, err := c.queues.GetQueue(ctx, connect.NewRequest(&batonv1.GetQueueRequest{TaskType: taskType, Domain: domain}))
	if err != nil {
		return nil, nil, err
	}
	workers := make([]*QueueWorker, len(res.Msg.GetWorkers()))
	for i, w := range res.Msg.GetWorkers() {
		workers[i] = &QueueWorker{
			WorkerID: w.GetWorkerId(), Domain: w.GetDomain(), LastPoll: time.UnixMilli(w.GetLastPollTime()),
			PollsLastMinute: int(w.GetPollsLastMinute()),
		}
	}
	return queueFromProto(res.Msg.GetQueue()), workers, nil
}

// Overview returns the counts of executions, the throughput of the last
// minute and hour, and up to busiest of the busiest queues of each kind
// (10 when 0, at most 100).
func (c *Client) Overview(ctx context.Context, busiest int) (*Overview, error) {
	res, err := c.queues.GetOverview(ctx, connect.NewRequest(&batonv1.GetOverviewRequest{Busiest: int32(busiest)}))
	if err != nil {
		return nil, err
	}
	m := res.Msg
	n := m.GetCounts()
	return &Overview{
		Counts: map[workflow.Status]int{
			workflow.StatusRunning: int(n.GetRunning()), workflow.StatusPaused: int(n.GetPaused()),
			workflow.StatusCompleted: int(n.GetCompleted()), workflow.StatusFailed: int(n.GetFailed()),
			workflow.StatusTimedOut: int(n.GetTimedOut()), workflow.StatusTerminated: int(n.GetTerminated()),
		},
		PerSecond:      throughputFromProto(m.GetPerSecond()),
		PerMinute:      throughputFromProto(m.GetPerMinute()),
		Since:          time.UnixMilli(m.GetSince()),
		BusiestByDepth: queuesFromProto(m.GetBusiestByDepth()),
		BusiestByAge:   queuesFromProto(m.GetBusiestByAge()),
	}, nil
}

func queueFromProto(q *batonv1.Queue) *Queue {
	out := &Queue{
		TaskType: q.GetTaskType(), Domain: q.GetDomain(), Internal: q.GetInternal(),
		Depth: int(q.GetDepth()), Delayed: int(q.GetDelayed()), InFlight: int(q.GetInFlight()),
		OldestWaitingMs: q.GetOldestWaitingMs(),
		PollsPerSecond:  q.GetPollsPerSecond(), HandedOutPerSecond: q.GetHandedOutPerSecond(),
		CompletedPerSecond: q.GetCompletedPerSecond(), FailedPerSecond: q.GetFailedPerSecond(),
		Workers: int(q.GetWorkers()),
	}
	if q.GetLastPollTime() != 0 {
		out.LastPoll = time.UnixMilli(q.GetLastPollTime())
	}
	return out
}

func queuesFromProto(qs []*batonv1.Queue) []*Queue {
	out := make([]*Queue, len(qs))
	for i, q := range qs {
		out[i] = queueFromProto(q)
	}
	return out
}

func throughputFromProto(ts []*batonv1.Throughput) []Throughput {
	out := make([]Throughput, len(ts))
	for i, t := range ts {
		out[i] = Throughput{
			Time: time.UnixMilli(t.GetTime()), Started: int(t.GetStarted()), Completed: int(t.GetCompleted()),
			Failed: int(t.GetFailed()), Terminated: int(t.GetTerminated()), FailureRate: t.GetFailureRate(),
		}
	}
	return out
}
