package engine

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// The overview figures: how many executions are in each status, and how
// many started, completed and failed lately. The counts are read from the
// store at start-up (store.ExecutionCounts) and then follow every commit
// and removal; the throughput series are in memory since the engine
// started, and start empty after a restart.

// workflowTally counts what happened to executions in one unit of time.
type workflowTally struct {
	started, completed, failed, terminated uint32
}

// overview keeps the counts and the throughput series.
type overview struct {
	mu     sync.Mutex
	counts map[workflow.Status]int64
	// perSecond covers the last minute, perMinute the last hour.
	perSecond, perMinute ring[workflowTally]
	since                int64 // when the engine started, Unix ms
}

func newOverview() *overview { return &overview{counts: map[workflow.Status]int64{}} }

// loadCounts reads the counts from the store; Start calls it before
// anything commits.
func (e *Engine) loadCounts(ctx context.Context) error {
	counts, err := e.store.ExecutionCounts(ctx)
	if err != nil {
		return classify(err, "count executions")
	}
	e.overview.mu.Lock()
	defer e.overview.mu.Unlock()
	e.overview.counts = counts
	e.overview.since = e.now().UnixMilli()
	return nil
}

// observe updates the figures after a change was committed: the counts
// and throughput of executions, and the task flows of the queues. It is
// the one call applied makes for them.
func (e *Engine) observe(c *change, now int64) {
	e.flows.observe(c, now)
	w := c.res.Workflow
	created := c.version == 0
	if !created && w.Status == c.status {
		return // most commits: nothing to count
	}
	o := e.overview
	o.mu.Lock()
	defer o.mu.Unlock()
	if !created {
		o.counts[c.status]--
	}
	o.counts[w.Status]++
	count := func(t *workflowTally) {
		switch {
		case created:
			t.started++
		case w.Status == workflow.StatusCompleted:
			t.completed++
		case w.Status == workflow.StatusFailed || w.Status == workflow.StatusTimedOut:
			t.failed++
		case w.Status == workflow.StatusTerminated:
			t.terminated++
		}
	}
	if t := o.perSecond.at(now / 1000); t != nil {
		count(t)
	}
	if t := o.perMinute.at(now / 60_000); t != nil {
		count(t)
	}
}

// removed uncounts a removed execution.
func (o *overview) removed(status workflow.Status) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.counts[status]--
}

// Throughput is what happened to executions in one second or minute.
type Throughput struct {
	// Time is the start of the second or minute, Unix ms.
	Time int64 `json:"time"`
	// Started counts executions started; Completed, Failed (FAILED or
	// TIMED_OUT) and Terminated those that ended so.
	Started    int64 `json:"started"`
	Completed  int64 `json:"completed"`
	Failed     int64 `json:"failed"`
	Terminated int64 `json:"terminated"`
	// FailureRate is Failed / (Completed + Failed); 0 when neither.
	FailureRate float64 `json:"failureRate"`
}

// Overview is the state of the whole server at a glance.
type Overview struct {
	// Counts are the executions in each status, every status present.
	Counts map[workflow.Status]int64 `json:"counts"`
	// PerSecond is the throughput of each second of the last minute, and
	// PerMinute of each minute of the last hour, oldest first, the last
	// being the current (unfinished) second or minute. They are kept in
	// memory since Since: earlier seconds and minutes are zero.
	PerSecond []Throughput `json:"perSecond"`
	PerMinute []Throughput `json:"perMinute"`
	// Since is when the engine started, Unix ms.
	Since int64 `json:"since"`
	// BusiestByDepth are the queues with the most tasks ready, and
	// BusiestByAge those whose oldest ready task has waited longest, most
	// first; only queues with tasks ready.
	BusiestByDepth []QueueStats `json:"busiestByDepth"`
	BusiestByAge   []QueueStats `json:"busiestByAge"`
}

// DefaultBusiest is how many busiest queues Overview lists by default.
const DefaultBusiest = 10

// Overview returns the counts of executions, the throughput series and the
// busiest queues (up to busiest of each kind; DefaultBusiest when 0 or
// less).
func (e *Engine) Overview(busiest int) Overview {
	if busiest <= 0 {
		busiest = DefaultBusiest
	}
	now := e.now()
	ms := now.UnixMilli()
	o := e.overview
	o.mu.Lock()
	out := Overview{Counts: map[workflow.Status]int64{}, Since: o.since}
	for _, st := range []workflow.Status{workflow.StatusRunning, workflow.StatusPaused, workflow.StatusCompleted,
		workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusTerminated} {
		out.Counts[st] = max(o.counts[st], 0)
	}
	secs, mins := o.perSecond.series(ms/1000), o.perMinute.series(ms/60_000)
	o.mu.Unlock()
	out.PerSecond = throughput(secs, ms/1000, time.Second)
	out.PerMinute = throughput(mins, ms/60_000, time.Minute)

	var ready []QueueStats
	for _, q := range e.Queues("") {
		if q.Depth > 0 {
			ready = append(ready, q)
		}
	}
	out.BusiestByDepth = busiestBy(ready, busiest, func(q QueueStats) int64 { return int64(q.Depth) })
	out.BusiestByAge = busiestBy(ready, busiest, func(q QueueStats) int64 { return q.OldestWaitingMs })
	return out
}

// throughput turns a ring's series, whose last unit is last, into points.
func throughput(series []workflowTally, last int64, unit time.Duration) []Throughput {
	out := make([]Throughput, len(series))
	first := last - int64(len(series)) + 1
	for i, t := range series {
		p := Throughput{
			Time:    (first + int64(i)) * unit.Milliseconds(),
			Started: int64(t.started), Completed: int64(t.completed), Failed: int64(t.failed), Terminated: int64(t.terminated),
		}
		if ended := p.Completed + p.Failed; ended > 0 {
			p.FailureRate = float64(p.Failed) / float64(ended)
		}
		out[i] = p
	}
	return out
}

// busiestBy returns up to n queues, highest by first, then by task type
// and domain.
func busiestBy(queues []QueueStats, n int, by func(QueueStats) int64) []QueueStats {
	sorted := slices.Clone(queues)
	slices.SortStableFunc(sorted, func(a, b QueueStats) int { return cmp.Compare(by(b), by(a)) })
	if len(sorted) > n {
		sorted = sorted[:n]
	}
	if sorted == nil {
		sorted = []QueueStats{}
	}
	return sorted
}
