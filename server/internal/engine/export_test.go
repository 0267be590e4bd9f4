package engine

import "context"

// FireDue runs the timer's work once, for tests that move a fake clock.
func (e *Engine) FireDue(ctx context.Context) bool { return e.timer.fireDue(ctx) }
