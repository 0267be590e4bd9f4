package engine

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// The idempotency strategies of a start with an idempotency key, as in
// Orkes Conductor. A key is scoped to a workflow name.
const (
	// IdempotencyFail refuses the start if any execution of the workflow
	// has the key, whatever its status. It is the default.
	IdempotencyFail = "FAIL"
	// IdempotencyReturnExisting answers with the id of the newest execution
	// that has the key, and starts nothing.
	IdempotencyReturnExisting = "RETURN_EXISTING"
	// IdempotencyFailOnRunning refuses the start only while an execution
	// with the key is RUNNING or PAUSED.
	IdempotencyFailOnRunning = "FAIL_ON_RUNNING"
)

// IdempotencyConflict is the Details of the AlreadyExists error of a start
// refused by its idempotency key.
type IdempotencyConflict struct {
	// WorkflowID is the execution that holds the key.
	WorkflowID string
}

// keyLocks serialize the starts that carry the same idempotency key, so
// that looking for an execution with the key and committing a new one are
// one step: of concurrent starts with one key, one commits and the others
// see it. They are apart from the execution locks because a start may run
// under one of those (a message delivered to an execution).
type keyLocks struct {
	seed  maphash.Seed
	locks [256]sync.Mutex
}

func (k *keyLocks) lock(name, key string) func() {
	var h maphash.Hash
	h.SetSeed(k.seed)
	h.WriteString(name)
	h.WriteByte(0)
	h.WriteString(key)
	m := &k.locks[h.Sum64()%uint64(len(k.locks))]
	m.Lock()
	return m.Unlock
}

// idempotent applies a start request's idempotency key, under its lock. It
// returns the id of the execution to answer with instead of starting one
// (RETURN_EXISTING), or an AlreadyExists error carrying
// IdempotencyConflict, or neither when the start may go ahead.
func (e *Engine) idempotent(ctx context.Context, name string, req *workflow.StartRequest) (string, error) {
	strategy := req.IdempotencyStrategy
	q := store.ExecutionQuery{Name: name, IdempotencyKey: req.IdempotencyKey, Limit: 1}
	switch strategy {
	case "", IdempotencyFail, IdempotencyReturnExisting:
	case IdempotencyFailOnRunning:
		q.Statuses = []workflow.Status{workflow.StatusRunning, workflow.StatusPaused}
	default:
		return "", errorf(InvalidArgument, "unknown idempotencyStrategy %q: use %s (the default), %s or %s",
			strategy, IdempotencyFail, IdempotencyReturnExisting, IdempotencyFailOnRunning)
	}
	page, err := e.store.ExecutionSearch(ctx, q)
	if err != nil {
		return "", classify(err, "look up idempotency key")
	}
	if len(page.Executions) == 0 {
		return "", nil
	}
	held := page.Executions[0]
	if strategy == IdempotencyReturnExisting {
		return held.WorkflowID, nil
	}
	msg := "workflow %s already has idempotency key %q: execution %s is %s; " +
		"start with another key, or with idempotencyStrategy RETURN_EXISTING to get that execution's id"
	if strategy == IdempotencyFailOnRunning {
		msg = "workflow %s has idempotency key %q on execution %s, which is still %s; " +
			"wait for it to end, or start with idempotencyStrategy RETURN_EXISTING to get its id"
	}
	return "", &Error{
		Code:    AlreadyExists,
		Msg:     fmt.Sprintf(msg, name, req.IdempotencyKey, held.WorkflowID, held.Status),
		Details: IdempotencyConflict{WorkflowID: held.WorkflowID},
	}
}
