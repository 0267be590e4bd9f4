package engine

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// activeWorkerWindow is how recently a worker must have polled a domain
// for the domain to count as active when a taskToDomain fallback list is
// resolved, as in Conductor (activeWorkerLastPollTimeout).
const activeWorkerWindow = 10 * time.Second

// PollData is when a worker last polled a queue, as Conductor reports it.
type PollData struct {
	// QueueName is the task type.
	QueueName string `json:"queueName"`
	// Domain is the domain polled; empty for none.
	Domain string `json:"domain,omitempty"`
	// WorkerID is the worker that polled.
	WorkerID string `json:"workerId"`
	// LastPollTime is Unix milliseconds.
	LastPollTime int64 `json:"lastPollTime"`
}

type pollKey struct{ taskType, domain, workerID string }

// polls are the polls of one worker, or of every worker, on one queue.
type polls struct {
	last int64 // Unix ms
	// perSecond counts them over the last minute (queuestats.go).
	perSecond ring[uint32]
}

func (p *polls) add(now int64) {
	p.last = now
	if n := p.perSecond.at(now / 1000); n != nil {
		*n++
	}
}

// pollers remembers the polls of each worker on each queue: the last one,
// and how many in the last minute. It is memory only: after a restart a
// domain is active again once its workers poll, which they do within
// their poll interval.
type pollers struct {
	mu   sync.Mutex
	last map[pollKey]*polls
	// byQueue are the polls of every worker per task type and domain.
	byQueue map[[2]string]*polls
}

func newPollers() *pollers {
	return &pollers{last: map[pollKey]*polls{}, byQueue: map[[2]string]*polls{}}
}

// maxPollers bounds what is remembered: workers that stopped polling are
// forgotten, oldest first, beyond it.
const maxPollers = 10000

func (p *pollers) polled(taskType, domain, workerID string, now int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := pollKey{taskType, domain, workerID}
	pollsOf(p.last, k).add(now)
	// The queues polled are named by the pollers too: bounded alike.
	pollsOf(p.byQueue, [2]string{taskType, domain}).add(now)
}

// pollsOf returns the polls of a key, made if need be; a full map first
// forgets the key polled longest ago.
func pollsOf[K comparable](m map[K]*polls, k K) *polls {
	w := m[k]
	if w == nil {
		if len(m) >= maxPollers {
			forgetOldest(m)
		}
		w = &polls{}
		m[k] = w
	}
	return w
}

func forgetOldest[K comparable](m map[K]*polls) {
	var oldest K
	at := int64(-1)
	for k, w := range m {
		if at < 0 || w.last < at {
			oldest, at = k, w.last
		}
	}
	delete(m, oldest)
}

// active reports whether a worker polled the domain of a task type since
// the time given.
func (p *pollers) active(taskType, domain string, since int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.byQueue[[2]string{taskType, domain}]
	return q != nil && q.last >= since
}

// list returns the poll data of one task type, or of all when taskType is
// empty, by task type, domain and worker.
func (p *pollers) list(taskType string) []PollData {
	p.mu.Lock()
	out := []PollData{}
	for k, w := range p.last {
		if taskType == "" || k.taskType == taskType {
			out = append(out, PollData{QueueName: k.taskType, Domain: k.domain, WorkerID: k.workerID, LastPollTime: w.last})
		}
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b PollData) int {
		return cmp.Or(cmp.Compare(a.QueueName, b.QueueName), cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.WorkerID, b.WorkerID))
	})
	return out
}

// PollData returns when each worker last polled each domain of a task
// type (all task types when taskType is empty).
func (e *Engine) PollData(taskType string) []PollData { return e.pollers.list(taskType) }

// activeDomain reports whether a worker polled the domain of a task type
// within the last activeWorkerWindow; the decider uses it to resolve
// taskToDomain fallback lists.
func (e *Engine) activeDomain(taskType, domain string) bool {
	return e.pollers.active(taskType, domain, e.now().Add(-activeWorkerWindow).UnixMilli())
}
