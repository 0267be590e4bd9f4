package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// Config configures a Scheduler.
type Config struct {
	// Store keeps the schedules. Required.
	Store store.Store
	// Engine starts the workflows. Required.
	Engine *engine.Engine
	// Logger receives operational messages. Default: discard.
	Logger *slog.Logger
	// Clock is the time source. Default: time.Now.
	Clock func() time.Time
	// CatchUpBatch is the most slots of one schedule fired in one pass when
	// it catches up. Default: 100.
	CatchUpBatch int
	// RetryDelay is how long a slot whose start failed for a passing
	// reason (a store error) waits before it is tried again. Default: 5s.
	RetryDelay time.Duration
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("scheduler: Config.Store is required")
	}
	if c.Engine == nil {
		return errors.New("scheduler: Config.Engine is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.CatchUpBatch <= 0 {
		c.CatchUpBatch = 100
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = 5 * time.Second
	}
	return nil
}

// Scheduler fires the slots of the stored schedules. Create it with New,
// then Start it; its methods that change schedules work before Start too
// (their slots fire once it runs).
type Scheduler struct {
	cfg   Config
	store store.Store
	log   *slog.Logger

	mu    sync.Mutex
	dirty map[string]bool // schedules changed since the loop last looked
	wake  chan struct{}

	// The loop's own state.
	due  dueHeap
	live map[string]uint64 // the seq of the live heap entry of each schedule
	seq  uint64            // numbers heap entries, never twice

	stop context.CancelFunc
	done chan struct{}
}

// New returns a scheduler. It fires nothing until Start.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Scheduler{
		cfg:   cfg,
		store: cfg.Store,
		log:   cfg.Logger,
		dirty: map[string]bool{},
		wake:  make(chan struct{}, 1),
		live:  map[string]uint64{},
	}, nil
}

// Start loads the schedules and starts the goroutine that fires them; the
// slots missed while the server was down fire at once (see the package
// documentation). Start the engine first.
func (s *Scheduler) Start(ctx context.Context) error {
	if err := s.load(ctx); err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = cancel
	s.done = make(chan struct{})
	go s.loop(loopCtx)
	return nil
}

// Stop stops firing and waits for a start in progress to end. Stop it
// before the engine.
func (s *Scheduler) Stop() {
	if s.stop == nil {
		return
	}
	s.stop()
	<-s.done
	s.stop = nil
}

// load puts every stored schedule on the heap.
func (s *Scheduler) load(ctx context.Context) error {
	recs, err := s.store.ScheduleList(ctx)
	if err != nil {
		return fmt.Errorf("load schedules: %w", err)
	}
	for _, r := range recs {
		s.schedule(r.Schedule.Name, s.nextOf(r))
	}
	return nil
}

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := s.pass(ctx, s.cfg.Clock())
		if ctx.Err() != nil {
			return
		}
		var fire <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(next.Sub(s.cfg.Clock()), 0))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-fire:
		}
	}
}

// pass looks again at the schedules changed since the last pass, fires
// every slot due at now, and returns when the next one is due (zero for
// none).
func (s *Scheduler) pass(ctx context.Context, now time.Time) time.Time {
	s.mu.Lock()
	changed := s.dirty
	s.dirty = map[string]bool{}
	s.mu.Unlock()
	for name := range changed {
		r, err := s.store.ScheduleGet(ctx, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			s.schedule(name, time.Time{})
		case err != nil:
			s.log.Error("scheduler: read schedule", "schedule", name, "err", err)
			s.schedule(name, now.Add(s.cfg.RetryDelay))
		default:
			s.schedule(name, s.nextOf(r))
		}
	}
	// What this pass pushes from here on (a schedule catching up asks to
	// be looked at again at once) waits for the next pass, which comes at
	// once with a fresh clock and the schedules changed meanwhile: one
	// long backlog does not hold the others up.
	barrier := s.seq
	for s.due.Len() > 0 && !s.due[0].at.After(now) && s.due[0].seq <= barrier && ctx.Err() == nil {
		it := heap.Pop(&s.due).(dueItem)
		if s.live[it.name] != it.seq {
			continue // superseded by a later change of the schedule
		}
		delete(s.live, it.name)
		s.schedule(it.name, s.fireDue(ctx, it.name, now))
	}
	if s.due.Len() == 0 {
		return time.Time{}
	}
	return s.due[0].at
}

// schedule makes at the next time the loop looks at a schedule; zero takes
// it off the heap.
func (s *Scheduler) schedule(name string, at time.Time) {
	if at.IsZero() {
		delete(s.live, name)
		return
	}
	s.seq++
	s.live[name] = s.seq
	heap.Push(&s.due, dueItem{at: at, name: name, seq: s.seq})
	if len(s.due) > 2*len(s.live)+64 {
		// Schedules changed often leave stale entries behind; drop them so
		// that the heap stays proportional to the schedules.
		live := s.due[:0]
		for _, it := range s.due {
			if s.live[it.name] == it.seq {
				live = append(live, it)
			}
		}
		s.due = live
		heap.Init(&s.due)
	}
}

// changed tells the loop that a schedule was written or deleted.
func (s *Scheduler) changed(name string) {
	s.mu.Lock()
	s.dirty[name] = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// nextOf returns when a stored schedule next has a slot to fire; zero for
// never (paused, ended, or not valid any more).
func (s *Scheduler) nextOf(r *store.ScheduleRecord) time.Time {
	if r.Schedule.Paused {
		return time.Time{}
	}
	p, err := compile(r.Schedule)
	if err != nil {
		s.log.Error("scheduler: schedule cannot run", "schedule", r.Schedule.Name, "err", err)
		return time.Time{}
	}
	return p.next(time.UnixMilli(r.Done))
}

// dueItem is one entry of the heap: look at schedule name at at. An entry
// whose seq is not the schedule's live one is stale (superseded by a later
// change) and skipped. Entries of the same time come out in the order they
// went in, so that schedules catching up take turns.
type dueItem struct {
	at   time.Time
	name string
	seq  uint64
}

type dueHeap []dueItem

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
