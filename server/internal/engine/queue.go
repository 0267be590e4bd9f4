package engine

import (
	"container/heap"
	"sync"

	"github.com/batonhq/baton/sdk/workflow"
)

// queues are the in-memory task queues, one per queue name ("[domain:]type").
// They are an index of the SCHEDULED worker tasks in the store, rebuilt from
// store.ActiveTasks at start-up, so they can never disagree with the state
// for long: an entry whose task is no longer SCHEDULED is dropped when a
// lease of it is refused.
type queues struct {
	mu     sync.Mutex
	byName map[string]*queue
	where  map[string]*item // task id -> its entry
	seq    uint64
}

// item is one queued task.
type item struct {
	taskID     string
	workflowID string
	queue      string
	taskType   string
	priority   int
	visible    int64 // Unix ms
	seq        uint64
	index      int // in its heap, -1 when popped
	delayed    bool
}

type queue struct {
	// key names the queue in its figures (queuestats.go); set by the
	// first push.
	key     queueKey
	ready   readyHeap
	delayed delayedHeap
	// waiters are the long-polls waiting for an entry, oldest first. A new
	// visible entry wakes one of them, not all: the others would only find
	// the queue empty again.
	waiters []*waiter
}

// waiter is a long-poll waiting on an empty queue.
type waiter struct {
	worker string
	// left is closed when the poll's caller has gone: such a poll is
	// handed nothing, as it would only hand the task back.
	left <-chan struct{}
	// wake receives once when an entry becomes visible.
	wake chan struct{}
	// handed receives once the task that the commit of a new task leased
	// to this poll (handOff), or nil if that commit failed.
	handed chan *workflow.Task
	taken  bool // by handOff; guarded by queues.mu
}

func newQueues() *queues {
	return &queues{byName: map[string]*queue{}, where: map[string]*item{}}
}

func (qs *queues) get(name string) *queue {
	q := qs.byName[name]
	if q == nil {
		q = &queue{}
		qs.byName[name] = q
	}
	return q
}

// push adds or moves a task entry.
func (qs *queues) push(it item, now int64) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if old := qs.where[it.taskID]; old != nil {
		if old.queue == it.queue && old.visible == it.visible && old.priority == it.priority {
			return
		}
		qs.removeLocked(old)
	}
	qs.seq++
	e := it
	e.seq = qs.seq
	q := qs.get(e.queue)
	if q.key.taskType == "" {
		q.key = e.key()
	}
	if e.visible > now {
		e.delayed = true
		heap.Push(&q.delayed, &e)
	} else {
		heap.Push(&q.ready, &e)
	}
	qs.where[e.taskID] = &e
	if !e.delayed {
		q.wakeOne()
	}
}

// wakeOne wakes the oldest waiting long-poll, if any.
func (q *queue) wakeOne() {
	if len(q.waiters) > 0 {
		w := q.waiters[0]
		q.waiters = q.waiters[1:]
		w.wake <- struct{}{} // buffered: never blocks
	}
}

// handOff takes the oldest long-poll waiting on a queue, for a task that
// the caller is about to schedule and lease to it in the same commit
// rather than queue it: nil if none waits. The caller must then send on
// the waiter's handed exactly once: the leased task once committed, or nil.
func (qs *queues) handOff(name string) *waiter {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q := qs.byName[name]
	if q == nil || q.ready.Len() > 0 {
		// Visible entries wait behind a concurrency or rate limit: a new
		// task must not jump ahead of them.
		return nil
	}
	for i, w := range q.waiters {
		select {
		case <-w.left:
			continue
		default:
		}
		q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
		w.taken = true
		return w
	}
	return nil
}

// waiting reports whether a long-poll waits on a queue, so that a task
// reserves a limit slot for a handoff only when there may be one.
func (qs *queues) waiting(name string) bool {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q := qs.byName[name]
	return q != nil && len(q.waiters) > 0
}

// backlog reports whether visible entries wait in a queue: a task of it
// that could run at once must not go ahead of them.
func (qs *queues) backlog(name string) bool {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q := qs.byName[name]
	return q != nil && q.ready.Len() > 0
}

// remove drops the entry of a task, if any.
func (qs *queues) remove(taskID string) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	if it := qs.where[taskID]; it != nil {
		qs.removeLocked(it)
	}
}

func (qs *queues) removeLocked(it *item) {
	q := qs.byName[it.queue]
	if it.index >= 0 {
		if it.delayed {
			heap.Remove(&q.delayed, it.index)
		} else {
			heap.Remove(&q.ready, it.index)
		}
	}
	delete(qs.where, it.taskID)
}

// claim takes up to n visible entries from a queue, highest priority first,
// then oldest. allow is asked before each one and may refuse (a rate or
// concurrency limit); it is called with the queues locked. The claimed
// entries leave the queue: put them back with push if their lease fails for
// a reason that does not end the task.
//
// When it claims nothing, claim registers a waiter for worker, whose
// caller is gone once left is closed, and returns it (see waiter), and the
// time the next delayed entry becomes visible (0 if none). A caller that
// stops waiting must call unwait.
func (qs *queues) claim(name string, n int, now int64, allow func(taskType string) bool, worker string, left <-chan struct{}) ([]item, *waiter, int64) {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q := qs.get(name)
	for q.delayed.Len() > 0 && q.delayed[0].visible <= now {
		it := heap.Pop(&q.delayed).(*item)
		it.delayed = false
		heap.Push(&q.ready, it)
	}
	var out []item
	for len(out) < n && q.ready.Len() > 0 {
		if !allow(q.ready[0].taskType) {
			break
		}
		it := heap.Pop(&q.ready).(*item)
		delete(qs.where, it.taskID)
		out = append(out, *it)
	}
	if len(out) > 0 {
		if q.ready.Len() > 0 {
			q.wakeOne() // more is left: let another poll take it
		}
		return out, nil, 0
	}
	var next int64
	if q.delayed.Len() > 0 {
		next = q.delayed[0].visible
	}
	w := &waiter{worker: worker, left: left, wake: make(chan struct{}, 1), handed: make(chan *workflow.Task, 1)}
	q.waiters = append(q.waiters, w)
	return nil, w, next
}

// unwait removes a waiter that stopped waiting. If it was woken meanwhile,
// the wake-up is passed on, so that no entry is left with a poll waiting.
// If handOff took it, unwait waits for the commit and returns the task
// leased to it (nil if the commit failed), which is then the caller's.
func (qs *queues) unwait(name string, w *waiter) *workflow.Task {
	qs.mu.Lock()
	q := qs.byName[name]
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			qs.mu.Unlock()
			return nil
		}
	}
	if w.taken {
		qs.mu.Unlock()
		return <-w.handed
	}
	defer qs.mu.Unlock()
	select {
	case <-w.wake:
		if q.ready.Len() > 0 {
			q.wakeOne()
		}
	default:
	}
	return nil
}

// size is the number of entries in a queue, visible or not.
func (qs *queues) size(name string) int {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	q := qs.byName[name]
	if q == nil {
		return 0
	}
	return q.ready.Len() + q.delayed.Len()
}

// readyHeap orders visible entries by priority (higher first), then age.
type readyHeap []*item

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	return h[i].seq < h[j].seq
}
func (h readyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *readyHeap) Push(x any)   { it := x.(*item); it.index = len(*h); *h = append(*h, it) }
func (h *readyHeap) Pop() any     { return popItem((*[]*item)(h)) }

// delayedHeap orders entries that are not visible yet by visibility time.
type delayedHeap []*item

func (h delayedHeap) Len() int { return len(h) }
func (h delayedHeap) Less(i, j int) bool {
	if h[i].visible != h[j].visible {
		return h[i].visible < h[j].visible
	}
	return h[i].seq < h[j].seq
}
func (h delayedHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *delayedHeap) Push(x any)   { it := x.(*item); it.index = len(*h); *h = append(*h, it) }
func (h *delayedHeap) Pop() any     { return popItem((*[]*item)(h)) }

func popItem(h *[]*item) any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	it.index = -1
	return it
}
