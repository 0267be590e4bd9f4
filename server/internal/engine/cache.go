package engine

import (
	"context"
	"errors"
	"sync"

	"github.com/batonhq/baton/server/internal/store"
)

// cacheSize bounds how many executions the engine keeps decoded in memory.
const cacheSize = 20000

// cache keeps the executions the engine worked on last, decoded, so that the
// next decision about a running workflow reads and decodes nothing. The
// engine is the only writer of its store, so a cached execution is the
// stored one: after each commit the engine updates its entry, and after a
// failed commit it drops it. An entry is used only under its execution's
// lock.
type cache struct {
	mu sync.Mutex
	m  map[string]*store.Execution
}

func newCache() *cache { return &cache{m: map[string]*store.Execution{}} }

func (c *cache) get(id string) *store.Execution {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[id]
}

func (c *cache) put(id string, ex *store.Execution) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; !ok && len(c.m) >= cacheSize {
		for k := range c.m { // evict an arbitrary entry
			delete(c.m, k)
			break
		}
	}
	c.m[id] = ex
}

func (c *cache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// load returns an execution for a decision; the caller holds its lock.
func (e *Engine) load(ctx context.Context, id string) (*store.Execution, error) {
	if ex := e.cache.get(id); ex != nil {
		return ex, nil
	}
	ex, err := e.store.ExecutionGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(NotFound, "workflow %s does not exist", id)
	}
	if err != nil {
		return nil, classify(err, "load workflow "+id)
	}
	e.cache.put(id, ex)
	return ex, nil
}

// committed records in the cache that a change of ex was committed, or
// drops ex if the commit failed (its in-memory state is then ahead of the
// store).
func (e *Engine) committed(ex *store.Execution, c *change, err error) {
	id := ex.Workflow.WorkflowID
	if err != nil {
		e.cache.drop(id)
		return
	}
	ex.Version = c.version + 1
	ex.WakeAt = c.res.WakeAt
	if ex.Workflow.Status.Terminal() && ex.WakeAt.IsZero() {
		// Ended for good; one with tasks left to cancel (a wake-up set)
		// stays for the decisions that cancel them.
		e.cache.drop(id)
		return
	}
	e.cache.put(id, ex)
}
