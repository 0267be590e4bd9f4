package engine

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// The change feed (DESIGN.md §2 point 5): after each commit, applied
// publishes one Change, numbered by a process-wide sequence, to the
// subscribers whose filter it matches (the websocket live view, the Connect
// watch streams). A ring of recent changes lets a subscriber that lost its
// connection resume from the last sequence number it saw; when the ring no
// longer holds it, or the engine was restarted (a new epoch), the
// subscriber must take a fresh snapshot.
//
// Publishing never blocks the commit path: each subscriber has a bounded
// buffer, and one whose buffer is full is dropped (its channel closed, Err
// saying why) rather than waited for. While nobody subscribes, and for
// feedWarm after the last subscriber left (so that a reconnecting browser
// can still resume), a commit costs the feed a counter increment under a
// mutex and builds nothing.

// Feed limits.
const (
	// DefaultFeedRing is the default of Config.FeedRing.
	DefaultFeedRing = 4096
	// feedRingBytes bounds the bytes of the ring of recent changes.
	feedRingBytes = 8 << 20
	// feedWarm is how long the ring keeps recording after the last
	// subscriber left.
	feedWarm = time.Minute
	// DefaultSubscribeBuffer is the default of SubscribeRequest.Buffer.
	DefaultSubscribeBuffer = 256
)

// ErrSubscriberSlow ends a subscription whose buffer was full when a change
// was published. The subscriber may subscribe again from the last sequence
// number it handled.
var ErrSubscriberSlow = errorf(Unavailable, "the subscriber fell behind the change feed and was dropped: subscribe again from the last sequence number it handled")

// errFeedStopped ends the subscriptions when the engine stops.
var errFeedStopped = errorf(Unavailable, "the server is stopping: subscribe again once it is back (its feed will have a new epoch)")

// Position is a place in the change feed: the changes up to and including
// Seq of the engine run named by Epoch.
type Position struct {
	// Epoch is random per engine start: sequence numbers of another epoch
	// mean nothing to this one.
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
}

// Change is one committed change of one execution. It is shared by every
// subscriber: never modify it.
type Change struct {
	Seq uint64 `json:"seq"`
	// Version is the execution's stored version after the commit; a
	// snapshot read at version V already holds every change up to V.
	Version uint64 `json:"version"`
	// Workflow is the execution's summary after the commit.
	Workflow WorkflowSummary `json:"workflow"`
	// Tasks are the task attempts the commit changed or added.
	Tasks []TaskSummary `json:"tasks,omitempty"`
	// RemovedTasks are the ids of task attempts the commit removed (a
	// restart or a rerun removes the attempts it replaces).
	RemovedTasks []string `json:"removedTasks,omitempty"`
	// Deleted is set when the execution was removed from the store.
	Deleted bool `json:"deleted,omitempty"`

	// Published is when the change was published (for latency figures).
	Published time.Time       `json:"-"`
	prev      workflow.Status // status before the commit, for filters
	size      int             // estimate of the bytes it holds
}

// WorkflowSummary is what the feed says about an execution: no input,
// output or variables (a page that shows them reads the execution).
type WorkflowSummary struct {
	WorkflowID            string          `json:"workflowId"`
	WorkflowName          string          `json:"workflowName"`
	WorkflowVersion       int             `json:"workflowVersion"`
	Status                workflow.Status `json:"status"`
	CorrelationID         string          `json:"correlationId,omitempty"`
	ParentWorkflowID      string          `json:"parentWorkflowId,omitempty"`
	ReasonForIncompletion string          `json:"reasonForIncompletion,omitempty"`
	CreateTime            int64           `json:"createTime"`
	UpdateTime            int64           `json:"updateTime,omitempty"`
	EndTime               int64           `json:"endTime,omitempty"`
}

// TaskSummary is what the feed says about a task attempt: no input or
// output.
type TaskSummary struct {
	TaskID                string              `json:"taskId"`
	ReferenceTaskName     string              `json:"referenceTaskName"`
	TaskType              string              `json:"taskType"`
	Status                workflow.TaskStatus `json:"status"`
	Seq                   int                 `json:"seq"`
	RetryCount            int                 `json:"retryCount"`
	PollCount             int                 `json:"pollCount"`
	Iteration             int                 `json:"iteration,omitempty"`
	WorkerID              string              `json:"workerId,omitempty"`
	ReasonForIncompletion string              `json:"reasonForIncompletion,omitempty"`
	ScheduledTime         int64               `json:"scheduledTime,omitempty"`
	StartTime             int64               `json:"startTime,omitempty"`
	EndTime               int64               `json:"endTime,omitempty"`
}

// Summarize returns the feed's summary of an execution.
func Summarize(w *workflow.Workflow) WorkflowSummary {
	return WorkflowSummary{
		WorkflowID: w.WorkflowID, WorkflowName: w.WorkflowName, WorkflowVersion: w.WorkflowVersion,
		Status: w.Status, CorrelationID: w.CorrelationID, ParentWorkflowID: w.ParentWorkflowID,
		ReasonForIncompletion: w.ReasonForIncompletion,
		CreateTime:            w.CreateTime, UpdateTime: w.UpdateTime, EndTime: w.EndTime,
	}
}

// SummarizeTask returns the feed's summary of a task attempt.
func SummarizeTask(t *workflow.Task) TaskSummary {
	return TaskSummary{
		TaskID: t.TaskID, ReferenceTaskName: t.ReferenceTaskName, TaskType: t.TaskType, Status: t.Status,
		Seq: t.Seq, RetryCount: t.RetryCount, PollCount: t.PollCount, Iteration: t.Iteration,
		WorkerID: t.WorkerID, ReasonForIncompletion: t.ReasonForIncompletion,
		ScheduledTime: t.ScheduledTime, StartTime: t.StartTime, EndTime: t.EndTime,
	}
}

// Filter selects the changes a subscriber receives. The zero Filter
// selects every change.
type Filter struct {
	// WorkflowID selects the changes of one execution; the other fields
	// are then ignored.
	WorkflowID string
	// Names selects executions of these workflow names.
	Names []string
	// Statuses selects executions that have, or had before the change,
	// one of these statuses: a subscriber sees an execution leave the set.
	Statuses []workflow.Status
	// CorrelationID selects executions with this correlation id.
	CorrelationID string
}

// Bounds of a Filter and of the feed's subscribers.
const (
	MaxFilterNames = 50
	MaxSubscribers = 10000
)

// check refuses a filter the feed will not match on every commit: too
// many names, or an empty one; repeated names are dropped.
func (f *Filter) check() error {
	if len(f.Names) > MaxFilterNames {
		return errorf(InvalidArgument, "the filter names %d workflows: at most %d", len(f.Names), MaxFilterNames)
	}
	if slices.Contains(f.Names, "") {
		return errorf(InvalidArgument, "the filter names an empty workflow name")
	}
	f.Names = slices.Compact(slices.Sorted(slices.Values(f.Names)))
	return nil
}

func (f *Filter) match(c *Change) bool {
	w := &c.Workflow
	if f.WorkflowID != "" {
		return w.WorkflowID == f.WorkflowID
	}
	if len(f.Names) > 0 && !slices.Contains(f.Names, w.WorkflowName) {
		return false
	}
	if f.CorrelationID != "" && w.CorrelationID != f.CorrelationID {
		return false
	}
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, w.Status) && !slices.Contains(f.Statuses, c.prev) {
		return false
	}
	return true
}

// SubscribeRequest asks for a subscription to the change feed.
type SubscribeRequest struct {
	Filter Filter
	// From resumes after a position the subscriber saw; nil starts now.
	From *Position
	// Buffer is how many changes may wait for the subscriber before it is
	// dropped. Default: DefaultSubscribeBuffer.
	Buffer int
}

// Subscription receives the changes that match its filter, in sequence
// order, from Start on.
type Subscription struct {
	f      *feed
	filter Filter
	ch     chan *Change

	// Start is where the subscription begins: it receives the changes
	// after Start.Seq.
	Start Position
	// Resumed reports that From was honoured: Backlog and then Changes
	// carry every matching change after it. When false, the subscriber
	// must read a snapshot (after subscribing, so that it misses nothing)
	// and apply the changes after Start on top of it.
	Resumed bool
	// Backlog holds the matching changes between From and Start, oldest
	// first.
	Backlog []*Change

	registered bool // under f.mu

	// mu orders the close of ch after any send: an execution's
	// subscribers are sent to outside f.mu (see publish).
	mu     sync.Mutex
	closed bool  // under mu
	err    error // why it ended; set under mu before ch is closed
}

// Changes returns the channel of changes. It is closed when the
// subscription ends: Close, a subscriber too slow (Err), the engine's stop.
func (s *Subscription) Changes() <-chan *Change { return s.ch }

// Err says why the subscription ended, once Changes is closed; nil after
// Close.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription and frees it. It may be called more than
// once.
func (s *Subscription) Close() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.end(s, nil)
}

// feed is the engine's change feed.
type feed struct {
	epoch string
	now   func() time.Time
	// n counts the subscribers; warmUntil (Unix ns) is when the ring
	// stops recording after the last one left. Both are read without the
	// lock by publishers deciding whether to build a Change.
	n         atomic.Int64
	warmUntil atomic.Int64

	mu      sync.Mutex
	seq     uint64
	ring    changeRing
	stopped bool
	// byID holds the subscribers of each execution; a slice is replaced,
	// never changed, so a publisher may use it after releasing mu.
	byID   map[string][]*Subscription
	others map[*Subscription]struct{}
}

func newFeed(now func() time.Time, ringSize int) *feed {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return &feed{
		epoch:  hex.EncodeToString(b[:]),
		now:    now,
		ring:   changeRing{max: ringSize, maxBytes: feedRingBytes},
		byID:   map[string][]*Subscription{},
		others: map[*Subscription]struct{}{},
	}
}

// recording reports whether publishers build changes: while anybody
// subscribes, and for feedWarm after.
func (f *feed) recording() bool {
	return f.n.Load() > 0 || f.now().UnixNano() < f.warmUntil.Load()
}

// publish numbers a change and hands it to the ring and the matching
// subscribers. build is called only when someone may want the change.
//
// The caller holds the execution's lock, so the changes of one execution
// are published in commit order. That order is all a subscriber to one
// execution needs, so it is sent to after mu is released: waking hundreds
// of watchers of a busy execution then delays that execution's next
// commit, not every other's. A subscriber to a query may see every
// execution: it is sent to under mu, in sequence order.
func (f *feed) publish(build func() *Change) {
	if !f.recording() {
		f.mu.Lock()
		// Subscribers change only under mu: with none now, nobody is owed
		// this change (one resuming later finds a gap).
		if f.n.Load() == 0 {
			f.seq++
			f.ring.clear()
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
	}
	c := build()
	c.Published = time.Now()
	c.size = changeSize(c)
	f.mu.Lock()
	f.seq++
	c.Seq = f.seq
	f.ring.push(c)
	for s := range f.others {
		if s.filter.match(c) && !s.offer(c) {
			f.end(s, ErrSubscriberSlow)
		}
	}
	watchers := f.byID[c.Workflow.WorkflowID]
	f.mu.Unlock()
	var slow []*Subscription
	for _, s := range watchers {
		if !s.offer(c) {
			slow = append(slow, s)
		}
	}
	if len(slow) > 0 {
		f.mu.Lock()
		for _, s := range slow {
			f.end(s, ErrSubscriberSlow)
		}
		f.mu.Unlock()
	}
}

// offer hands a change to a subscriber without waiting; false when its
// buffer is full. A subscription that ended takes nothing.
func (s *Subscription) offer(c *Change) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	select {
	case s.ch <- c:
		return true
	default:
		return false
	}
}

// end removes a subscription and closes its channel. The caller holds f.mu.
func (f *feed) end(s *Subscription, err error) {
	if !s.registered {
		return
	}
	s.registered = false
	if id := s.filter.WorkflowID; id != "" {
		rest := slices.DeleteFunc(slices.Clone(f.byID[id]), func(o *Subscription) bool { return o == s })
		if len(rest) == 0 {
			delete(f.byID, id)
		} else {
			f.byID[id] = rest
		}
	} else {
		delete(f.others, s)
	}
	s.mu.Lock()
	s.closed, s.err = true, err
	close(s.ch)
	s.mu.Unlock()
	if f.n.Add(-1) == 0 {
		f.warmUntil.Store(f.now().Add(feedWarm).UnixNano())
	}
}

// subscribe registers a subscription.
func (f *feed) subscribe(req SubscribeRequest) (*Subscription, error) {
	if req.Buffer <= 0 {
		req.Buffer = DefaultSubscribeBuffer
	}
	if err := req.Filter.check(); err != nil {
		return nil, err
	}
	s := &Subscription{f: f, filter: req.Filter, ch: make(chan *Change, req.Buffer)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return nil, errFeedStopped
	}
	// Every commit walks the subscribers that filter by query: their
	// number is bounded so that watchers cannot slow every commit down.
	if f.n.Load() >= MaxSubscribers {
		return nil, errorf(Unavailable, "the change feed has %d subscribers, its most: try again later", MaxSubscribers)
	}
	s.Start = Position{Epoch: f.epoch, Seq: f.seq}
	if from := req.From; from != nil && from.Epoch == f.epoch {
		if backlog, ok := f.ring.since(from.Seq, f.seq); ok {
			s.Resumed = true
			for _, c := range backlog {
				if s.filter.match(c) {
					s.Backlog = append(s.Backlog, c)
				}
			}
		}
	}
	// Counted before the lock is released: a publisher that misses the
	// count numbered its change before Start, and committed it before
	// that, so a snapshot read now holds it.
	f.n.Add(1)
	s.registered = true
	if id := s.filter.WorkflowID; id != "" {
		f.byID[id] = append(slices.Clone(f.byID[id]), s)
	} else {
		f.others[s] = struct{}{}
	}
	return s, nil
}

// stop ends every subscription; later subscriptions are refused.
func (f *feed) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	for _, subs := range f.byID {
		for _, s := range subs {
			f.end(s, errFeedStopped)
		}
	}
	for s := range f.others {
		f.end(s, errFeedStopped)
	}
}

// subscribers counts the live subscriptions.
func (f *feed) subscribers() int { return int(f.n.Load()) }

// changeRing keeps the most recent changes, with consecutive sequence numbers,
// bounded by count and by an estimate of their bytes.
type changeRing struct {
	max, maxBytes int
	buf           []*Change // circular, grown up to max
	head, n       int       // oldest entry, number of entries
	bytes         int
}

func (r *changeRing) push(c *Change) {
	if r.n > 0 && r.at(r.n-1).Seq != c.Seq-1 {
		r.clear() // a change was not recorded: what came before is no longer whole
	}
	if len(r.buf) < r.max && r.n == len(r.buf) {
		// Grow; the entries are in order from head.
		grown := make([]*Change, 0, min(max(2*len(r.buf), 64), r.max))
		for i := range r.n {
			grown = append(grown, r.at(i))
		}
		r.buf, r.head = grown[:cap(grown)], 0
	}
	for r.n > 0 && (r.n == len(r.buf) || r.bytes+c.size > r.maxBytes) {
		r.bytes -= r.buf[r.head].size
		r.buf[r.head] = nil
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
	r.buf[(r.head+r.n)%len(r.buf)] = c
	r.n++
	r.bytes += c.size
}

func (r *changeRing) at(i int) *Change { return r.buf[(r.head+i)%len(r.buf)] }

func (r *changeRing) clear() {
	for r.n > 0 {
		r.buf[r.head] = nil
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
	r.bytes = 0
}

// since returns the changes after seq up to last (the latest published),
// and whether the ring holds all of them.
func (r *changeRing) since(seq, last uint64) ([]*Change, bool) {
	switch {
	case seq == last:
		return nil, true
	case seq > last || r.n == 0:
		return nil, false
	}
	oldest := r.at(0).Seq
	if seq+1 < oldest || r.at(r.n-1).Seq != last {
		return nil, false
	}
	out := make([]*Change, 0, int(last-seq))
	for i := int(seq + 1 - oldest); i < r.n; i++ {
		out = append(out, r.at(i))
	}
	return out, true
}

// changeSize estimates the memory a change holds.
func changeSize(c *Change) int {
	const fixed = 160
	w := &c.Workflow
	n := fixed + len(w.WorkflowID) + len(w.WorkflowName) + len(w.CorrelationID) + len(w.ParentWorkflowID) + len(w.ReasonForIncompletion)
	for i := range c.Tasks {
		t := &c.Tasks[i]
		n += fixed + len(t.TaskID) + len(t.ReferenceTaskName) + len(t.TaskType) + len(t.WorkerID) + len(t.ReasonForIncompletion)
	}
	for _, id := range c.RemovedTasks {
		n += 16 + len(id)
	}
	return n
}

// Subscribe subscribes to the change feed. A subscriber that is not
// resumed (Subscription.Resumed) reads its snapshot after this returns.
func (e *Engine) Subscribe(req SubscribeRequest) (*Subscription, error) {
	return e.feed.subscribe(req)
}

// FeedPosition is the feed's latest position. A page rendered from the
// store after reading it may subscribe from it and miss nothing.
func (e *Engine) FeedPosition() Position {
	e.feed.mu.Lock()
	defer e.feed.mu.Unlock()
	return Position{Epoch: e.feed.epoch, Seq: e.feed.seq}
}

// Subscribers counts the live subscriptions to the change feed.
func (e *Engine) Subscribers() int { return e.feed.subscribers() }

// publishChange publishes a committed change; the caller holds the
// execution's lock.
func (e *Engine) publishChange(c *change) {
	e.feed.publish(func() *Change {
		r := c.res
		out := &Change{
			Version:  c.version + 1,
			Workflow: Summarize(r.Workflow),
			prev:     c.status,
		}
		if len(r.Changed) > 0 {
			out.Tasks = make([]TaskSummary, len(r.Changed))
			for i, t := range r.Changed {
				out.Tasks[i] = SummarizeTask(t)
			}
		}
		for _, t := range r.Removed {
			out.RemovedTasks = append(out.RemovedTasks, t.TaskID)
		}
		return out
	})
}

// publishRemoved publishes the removal of an execution; the caller holds
// its lock.
func (e *Engine) publishRemoved(w *workflow.Workflow, version uint64) {
	e.feed.publish(func() *Change {
		return &Change{Version: version + 1, Workflow: Summarize(w), prev: w.Status, Deleted: true}
	})
}

// Snapshot returns an execution with its tasks and its stored version,
// for a subscriber that starts from a snapshot: the changes it receives
// with a version not above this one add nothing to it.
func (e *Engine) Snapshot(ctx context.Context, id string) (*workflow.Workflow, uint64, error) {
	ex, err := e.store.ExecutionGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, errorf(NotFound, "workflow %s does not exist", id)
	}
	if err != nil {
		return nil, 0, classify(err, "read workflow "+id)
	}
	return ex.Workflow, ex.Version, nil
}

// SnapshotQuery returns the newest executions, at most limit (at most
// store.MaxSearchLimit), that match a filter without a WorkflowID, without
// their tasks: the snapshot of a subscriber to that filter.
func (e *Engine) SnapshotQuery(ctx context.Context, f Filter, limit int) ([]*workflow.Workflow, error) {
	if f.WorkflowID != "" {
		return nil, errorf(InvalidArgument, "a snapshot of a query takes no workflow id: read the execution instead")
	}
	if limit <= 0 || limit > store.MaxSearchLimit {
		return nil, errorf(InvalidArgument, "the snapshot's limit must be between 1 and %d, got %d", store.MaxSearchLimit, limit)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	names := f.Names
	if len(names) == 0 {
		names = []string{""} // any name
	}
	var out []*workflow.Workflow
	for _, name := range names {
		page, err := e.SearchWorkflows(ctx, SearchRequest{Query: store.ExecutionQuery{
			Name: name, Statuses: f.Statuses, CorrelationID: f.CorrelationID, Limit: limit, SortBy: store.SortCreateTime,
		}})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Executions...)
	}
	// Newest first across the names, as each search returned its own.
	slices.SortStableFunc(out, func(a, b *workflow.Workflow) int {
		if a.CreateTime != b.CreateTime {
			return cmp.Compare(b.CreateTime, a.CreateTime)
		}
		return strings.Compare(b.WorkflowID, a.WorkflowID)
	})
	return out[:min(len(out), limit)], nil
}
