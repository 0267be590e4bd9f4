package engine

import (
	"context"

	"github.com/batonhq/baton/sdk/workflow"
)

// FireDue runs the timer's work once, for tests that move a fake clock.
func (e *Engine) FireDue(ctx context.Context) bool { return e.timer.fireDue(ctx) }

// HandBack exposes handBack, which Poll uses when its caller has left.
func (e *Engine) HandBack(tasks []*workflow.Task) { e.handBack(tasks) }

// InProgress returns the number of IN_PROGRESS tasks of a type.
func (e *Engine) InProgress(taskType string) int { return e.limits.running(taskType) }

// Waiting returns the number of polls waiting on a queue.
func (e *Engine) Waiting(queue string) int {
	e.queues.mu.Lock()
	defer e.queues.mu.Unlock()
	if q := e.queues.byName[queue]; q != nil {
		return len(q.waiters)
	}
	return 0
}

// Forget drops an execution from the cache, so that the next use reads it
// from the store.
func (e *Engine) Forget(id string) { e.cache.drop(id) }
