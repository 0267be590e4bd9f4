package engine

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
)

// The figures of the task queues, what a console shows and an autoscaler
// scales workers on. Each comes from where the engine keeps it anyway, and
// is read when asked for rather than kept up to date on the hot path:
//
//   - depth, delayed and the oldest waiting entry from the queues (queue.go),
//     read under their lock when asked for;
//   - polls, per queue and per worker, from the pollers (polldata.go), each
//     poll adding one to a counter of the current second;
//   - tasks in flight, handed out, completed and failed from the committed
//     changes (flows, counted once per commit that moves a task in or out
//     of IN_PROGRESS).
//
// Rates are over the last minute, in memory since the engine started: after
// a restart they start from nothing, as the counts of polls do.

// queueKey names a queue in its figures. Internal queues (tasks run inside
// the server, such as HTTP) have no domain.
type queueKey struct {
	taskType, domain string
	internal         bool
}

// key is the key of the queue of an entry. The domain is what the queue's
// name ("[domain:]type", see QueueName) has before the type.
func (it *item) key() queueKey {
	if strings.HasPrefix(it.queue, "\x00") {
		return queueKey{taskType: it.taskType, internal: true}
	}
	var domain string
	if len(it.queue) > len(it.taskType) {
		domain = it.queue[:len(it.queue)-len(it.taskType)-1]
	}
	return queueKey{taskType: it.taskType, domain: domain}
}

func keyOf(t *workflow.Task) queueKey {
	if decider.KindOf(t) == decider.KindQueued {
		return queueKey{taskType: t.TaskType, internal: true}
	}
	return queueKey{taskType: t.TaskType, domain: t.Domain}
}

// ringSlots is the number of slots of a ring.
const ringSlots = 60

// ring counts events in ringSlots consecutive units of time (seconds or
// minutes), a slot each, the last being the unit of the latest event. An
// event costs an index and an increment; a unit with no event costs
// nothing until the next event clears the slots skipped.
type ring[T any] struct {
	last  int64 // the unit of the latest slot
	slots [ringSlots]T
}

// at returns the slot of unit u, moving the ring forward to it if needed,
// or nil when u is older than the ring holds (a clock set back).
func (w *ring[T]) at(u int64) *T {
	switch {
	case u > w.last:
		var zero T
		for i := w.last + 1; i <= u && i <= w.last+ringSlots; i++ {
			w.slots[i%ringSlots] = zero
		}
		w.last = u
	case u <= w.last-ringSlots:
		return nil
	}
	return &w.slots[u%ringSlots]
}

// series returns the slots of the ringSlots units up to and including u,
// oldest first; units the ring does not hold are zero.
func (w *ring[T]) series(u int64) []T {
	out := make([]T, ringSlots)
	for i := range out {
		if v := u - ringSlots + 1 + int64(i); v <= w.last && v > w.last-ringSlots {
			out[i] = w.slots[v%ringSlots]
		}
	}
	return out
}

// sum adds up the slots of the ringSlots units up to and including u.
func sum[T ~uint32](w *ring[T], u int64) int64 {
	var n int64
	for _, v := range w.series(u) {
		n += int64(v)
	}
	return n
}

// taskTally counts what happened to the tasks of a queue in one second.
type taskTally struct {
	handedOut, completed, failed uint32
}

// flow is what the committed changes say of one queue.
type flow struct {
	inFlight  int
	perSecond ring[taskTally]
}

// flows are the in-flight counts and task rates of every queue.
type flows struct {
	mu      sync.Mutex
	byQueue map[queueKey]*flow
}

func newFlows() *flows { return &flows{byQueue: map[queueKey]*flow{}} }

func (f *flows) get(k queueKey) *flow {
	fl := f.byQueue[k]
	if fl == nil {
		fl = &flow{}
		f.byQueue[k] = fl
	}
	return fl
}

// recovered counts a task found at start-up.
func (f *flows) recovered(t *workflow.Task) {
	if t.Status == workflow.TaskInProgress && queued(t) {
		f.mu.Lock()
		f.get(keyOf(t)).inFlight++
		f.mu.Unlock()
	}
}

// observe counts the tasks a committed change moved in or out of
// IN_PROGRESS. Most commits move one; the lock is taken only then.
func (f *flows) observe(c *change, now int64) {
	var removed map[string]bool
	if len(c.res.Removed) > 0 {
		removed = make(map[string]bool, len(c.res.Removed))
		for _, t := range c.res.Removed {
			removed[t.TaskID] = true
		}
	}
	locked := false
	lock := func() {
		if !locked {
			f.mu.Lock()
			locked = true
		}
	}
	for _, t := range c.res.Changed {
		was, is := c.inProgress[t.TaskID], t.Status == workflow.TaskInProgress
		if was == is || removed[t.TaskID] || !queued(t) {
			continue
		}
		lock()
		fl := f.get(keyOf(t))
		tally := fl.perSecond.at(now / 1000)
		if tally == nil {
			tally = &taskTally{} // a clock set back: counted nowhere
		}
		switch {
		case is:
			fl.inFlight++
			tally.handedOut++
		case t.Status == workflow.TaskCompleted || t.Status == workflow.TaskCompletedWithErrors:
			fl.inFlight--
			tally.completed++
		case t.Status == workflow.TaskFailed || t.Status == workflow.TaskFailedWithTerminalError || t.Status == workflow.TaskTimedOut:
			fl.inFlight--
			tally.failed++
		default: // back to its queue, cancelled or skipped
			fl.inFlight--
		}
	}
	for _, t := range c.res.Removed {
		if c.inProgress[t.TaskID] {
			lock()
			f.get(keyOf(t)).inFlight--
		}
	}
	if locked {
		f.mu.Unlock()
	}
}

// gone uncounts the tasks of a removed execution that were still in flight.
func (f *flows) gone(tasks []*workflow.Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range tasks {
		if t.Status == workflow.TaskInProgress && queued(t) {
			f.get(keyOf(t)).inFlight--
		}
	}
}

// QueueStats are the figures of one task queue: a task type, in a domain
// or none.
type QueueStats struct {
	// TaskType is the task type.
	TaskType string `json:"taskType"`
	// Domain is the queue's domain; empty for none.
	Domain string `json:"domain,omitempty"`
	// Internal is set for a queue of tasks the server runs itself (HTTP);
	// nothing outside polls it.
	Internal bool `json:"internal,omitempty"`
	// Depth is the number of tasks ready to be handed out now.
	Depth int `json:"depth"`
	// Delayed is the number of tasks queued for later (a retry delay, a
	// callbackAfterSeconds, a start delay).
	Delayed int `json:"delayed"`
	// InFlight is the number of tasks handed out and not finished
	// (IN_PROGRESS).
	InFlight int `json:"inFlight"`
	// OldestWaitingMs is how long the task that has waited longest has
	// been ready (since its scheduled time, or the end of its delay); 0
	// when none waits.
	OldestWaitingMs int64 `json:"oldestWaitingMs"`
	// PollsPerSecond, HandedOutPerSecond, CompletedPerSecond and
	// FailedPerSecond are averages over the last minute: polls of the
	// queue, tasks handed out, tasks completed, and tasks that failed or
	// timed out.
	PollsPerSecond     float64 `json:"pollsPerSecond"`
	HandedOutPerSecond float64 `json:"handedOutPerSecond"`
	CompletedPerSecond float64 `json:"completedPerSecond"`
	FailedPerSecond    float64 `json:"failedPerSecond"`
	// LastPollTime is when a worker last polled the queue, Unix ms; 0 for
	// never since the server started.
	LastPollTime int64 `json:"lastPollTime"`
	// Workers is the number of workers that polled the queue in the last
	// minute.
	Workers int `json:"workers"`
}

// WorkerStats are the polls of one worker on one queue.
type WorkerStats struct {
	// WorkerID is the id the worker polls with.
	WorkerID string `json:"workerId"`
	// Domain is the domain it polls; empty for none.
	Domain string `json:"domain,omitempty"`
	// LastPollTime is Unix ms.
	LastPollTime int64 `json:"lastPollTime"`
	// PollsLastMinute counts its polls in the last minute.
	PollsLastMinute int64 `json:"pollsLastMinute"`
}

// QueueDetail is one queue's figures with its workers.
type QueueDetail struct {
	QueueStats
	// Workers that polled the queue since the server started, by id.
	WorkerStats []WorkerStats `json:"workerStats"`
}

// backlog is what a queue holds now.
type backlog struct {
	depth, delayed int
	oldest         int64 // the earliest visible time of a ready entry; 0 if none
}

// backlogs reads what every queue holds. Entries whose delay has passed
// count as ready though claim has not moved them yet. The oldest entry is
// found by a scan, as the ready heap is ordered by priority first: this is
// read when asked for, not on the hot path.
func (qs *queues) backlogs(now int64) map[queueKey]backlog {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	out := make(map[queueKey]backlog, len(qs.byName))
	for _, q := range qs.byName {
		if q.ready.Len()+q.delayed.Len() == 0 {
			continue
		}
		out[q.key] = q.backlog(now)
	}
	return out
}

// backlogOf reads what one queue holds, scanning that queue alone.
func (qs *queues) backlogOf(k queueKey, now int64) backlog {
	name := QueueName(k.taskType, k.domain)
	if k.internal {
		name = internalQueue(k.taskType)
	}
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if q := qs.byName[name]; q != nil {
		return q.backlog(now)
	}
	return backlog{}
}

// backlog reads what the queue holds; the caller holds the queues' lock.
func (q *queue) backlog(now int64) backlog {
	b := backlog{}
	for _, it := range q.ready {
		if b.oldest == 0 || it.visible < b.oldest {
			b.oldest = it.visible
		}
	}
	due := q.delayed.due(0, now)
	b.depth, b.delayed = q.ready.Len()+due, q.delayed.Len()-due
	if due > 0 && (b.oldest == 0 || q.delayed[0].visible < b.oldest) {
		b.oldest = q.delayed[0].visible // the earliest of the delayed heap
	}
	return b
}

// due counts the entries visible at now in the subtree of the heap at i:
// a child is never visible before its parent, so the walk stops at the
// first entry that is not.
func (h delayedHeap) due(i int, now int64) int {
	if i >= len(h) || h[i].visible > now {
		return 0
	}
	return 1 + h.due(2*i+1, now) + h.due(2*i+2, now)
}

// pollSummary is what the pollers know of one queue.
type pollSummary struct {
	last, polls int64
	workers     int
}

// summaries reads the polls of every queue.
func (p *pollers) summaries(now int64) map[queueKey]pollSummary {
	sec := now / 1000
	since := now - ringSlots*1000
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[queueKey]pollSummary, len(p.byQueue))
	for k, q := range p.byQueue {
		out[queueKey{taskType: k[0], domain: k[1]}] = pollSummary{last: q.last, polls: sum(&q.perSecond, sec)}
	}
	for k, w := range p.last {
		if w.last > since {
			qk := queueKey{taskType: k.taskType, domain: k.domain}
			s := out[qk]
			s.workers++
			out[qk] = s
		}
	}
	return out
}

// workers returns the polls of each worker on one queue, by worker id.
func (p *pollers) workers(taskType, domain string, now int64) []WorkerStats {
	sec := now / 1000
	p.mu.Lock()
	out := []WorkerStats{}
	for k, w := range p.last {
		if k.taskType == taskType && k.domain == domain {
			out = append(out, WorkerStats{WorkerID: k.workerID, Domain: k.domain, LastPollTime: w.last, PollsLastMinute: sum(&w.perSecond, sec)})
		}
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b WorkerStats) int { return cmp.Compare(a.WorkerID, b.WorkerID) })
	return out
}

// flowSummary is what the committed changes say of one queue.
type flowSummary struct {
	inFlight                     int
	handedOut, completed, failed int64
}

func (f *flows) summaries(now int64) map[queueKey]flowSummary {
	sec := now / 1000
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[queueKey]flowSummary, len(f.byQueue))
	for k, fl := range f.byQueue {
		s := flowSummary{inFlight: max(fl.inFlight, 0)}
		for _, t := range fl.perSecond.series(sec) {
			s.handedOut += int64(t.handedOut)
			s.completed += int64(t.completed)
			s.failed += int64(t.failed)
		}
		out[k] = s
	}
	return out
}

// Queues returns the figures of every queue that holds or has held a task,
// or that a worker polled, since the server started, by task type, then
// domain (internal queues after the others of their type). With taskType
// set, only the queues of that type.
func (e *Engine) Queues(taskType string) []QueueStats {
	now := e.now().UnixMilli()
	backlogs := e.queues.backlogs(now)
	polls := e.pollers.summaries(now)
	flows := e.flows.summaries(now)
	keys := map[queueKey]bool{}
	for k := range backlogs {
		keys[k] = true
	}
	for k := range polls {
		keys[k] = true
	}
	for k := range flows {
		keys[k] = true
	}
	out := []QueueStats{}
	for k := range keys {
		if taskType == "" || k.taskType == taskType {
			out = append(out, queueStats(k, backlogs[k], polls[k], flows[k], now))
		}
	}
	slices.SortFunc(out, func(a, b QueueStats) int {
		return cmp.Or(cmp.Compare(a.TaskType, b.TaskType), cmp.Compare(a.Domain, b.Domain), compareBool(a.Internal, b.Internal))
	})
	return out
}

// Name is the queue's name as Conductor writes it: "[domain:]type".
func (q QueueStats) Name() string { return QueueName(q.TaskType, q.Domain) }

// Queue returns the figures of the queue of a task type in a domain (empty
// for none), with its workers. A queue nothing was ever queued in or
// polled from is empty: all its figures are zero.
func (e *Engine) Queue(taskType, domain string) QueueDetail {
	now := e.now().UnixMilli()
	k := queueKey{taskType: taskType, domain: domain}
	return QueueDetail{
		QueueStats:  queueStats(k, e.queues.backlogOf(k, now), e.pollers.summaries(now)[k], e.flows.summaries(now)[k], now),
		WorkerStats: e.pollers.workers(taskType, domain, now),
	}
}

func queueStats(k queueKey, b backlog, p pollSummary, f flowSummary, now int64) QueueStats {
	s := QueueStats{
		TaskType: k.taskType, Domain: k.domain, Internal: k.internal,
		Depth: b.depth, Delayed: b.delayed, InFlight: f.inFlight,
		PollsPerSecond:     perSecond(p.polls),
		HandedOutPerSecond: perSecond(f.handedOut),
		CompletedPerSecond: perSecond(f.completed),
		FailedPerSecond:    perSecond(f.failed),
		LastPollTime:       p.last,
		Workers:            p.workers,
	}
	if b.oldest != 0 {
		s.OldestWaitingMs = max(now-b.oldest, 0)
	}
	return s
}

// perSecond is the average rate of n events over the seconds of a ring.
func perSecond(n int64) float64 { return float64(n) / ringSlots }

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
