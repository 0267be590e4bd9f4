package engine

import (
	"context"
	"sync"
	"time"

	"github.com/batonhq/baton/server/internal/decider"
)

// dueBatch is how many due executions the timer takes from the store at a
// time, and timerWorkers how many it decides in parallel.
const (
	dueBatch     = 256
	timerWorkers = 8
)

// timer sleeps until the earliest WakeAt in the store, then ticks every due
// execution. Commits that set an earlier WakeAt wake it through notify. It
// is the only periodic part of the engine and it is not on the hot path: a
// completion never waits for it.
type timer struct {
	e    *Engine
	mu   sync.Mutex
	at   time.Time // when the loop will next look; zero while it is working
	kick chan struct{}
}

func newTimer(e *Engine) *timer { return &timer{e: e, kick: make(chan struct{}, 1)} }

// notify tells the timer about a new WakeAt.
func (t *timer) notify(at time.Time) {
	t.mu.Lock()
	earlier := !t.at.IsZero() && at.Before(t.at)
	t.mu.Unlock()
	if earlier {
		select {
		case t.kick <- struct{}{}:
		default:
		}
	}
}

func (t *timer) run() {
	e := t.e
	ctx := context.Background()
	for {
		t.mu.Lock()
		t.at = time.Time{}
		t.mu.Unlock()
		// After a failure, look again in a second rather than spin.
		at := e.now().Add(time.Second)
		if t.fireDue(ctx) {
			next, ok, err := e.store.NextWake(ctx)
			switch {
			case err != nil:
				e.log.Error("read next wake-up", "err", err)
			case ok:
				at = next
			default:
				at = e.now().Add(time.Hour)
			}
		}
		t.mu.Lock()
		t.at = at
		t.mu.Unlock()
		sleep := time.NewTimer(max(at.Sub(e.now()), 0))
		select {
		case <-sleep.C:
		case <-t.kick:
			sleep.Stop()
		case <-e.stop:
			sleep.Stop()
			return
		}
	}
}

// fireDue ticks every execution whose WakeAt has passed. It reports false
// if anything failed.
func (t *timer) fireDue(ctx context.Context) bool {
	e := t.e
	for {
		due, err := e.store.DueWorkflows(ctx, e.now(), dueBatch)
		if err != nil {
			e.log.Error("read due workflows", "err", err)
			return false
		}
		sem := make(chan struct{}, timerWorkers)
		var wg sync.WaitGroup
		failed := false
		var mu sync.Mutex
		for _, w := range due {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := e.transact(ctx, w.WorkflowID, decider.Tick{}); err != nil {
					e.log.Error("workflow timer", "workflow", w.WorkflowID, "err", err)
					mu.Lock()
					failed = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(due) < dueBatch || failed {
			return !failed
		}
	}
}
