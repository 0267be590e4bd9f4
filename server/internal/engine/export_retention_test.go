package engine

import "context"

// Pass runs one retention pass, for tests that move a fake clock.
func (r *Retention) Pass(ctx context.Context) (int, error) { return r.pass(ctx) }
