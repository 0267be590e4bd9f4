package script

import "sync"

// A workflow engine runs the same few scripts for every task, so compiling
// each once pays. The bounds keep a stream of distinct or huge scripts from
// growing the cache without end: at most maxCached entries, and sources
// longer than maxCachedSource are compiled on every call instead.
const (
	maxCached       = 1024
	maxCachedSource = 64 << 10
)

// cache keeps the compiled form of scripts by their source, failures
// included, since a script that does not compile never will.
type cache[T any] struct {
	mu      sync.Mutex
	entries map[string]compiled[T]
}

type compiled[T any] struct {
	code T
	err  *Error
}

// get returns the compiled form of src, compiling it with compile if it is
// not cached. Compilation runs outside the lock: two goroutines may compile
// the same new script at once, which wastes a little work but never blocks a
// call behind another's compilation.
func (c *cache[T]) get(src string, compile func(string) (T, *Error)) (T, *Error) {
	c.mu.Lock()
	entry, ok := c.entries[src]
	c.mu.Unlock()
	if !ok {
		entry.code, entry.err = safeCompile(src, compile)
		if len(src) <= maxCachedSource {
			c.put(src, entry)
		}
	}
	if entry.err != nil {
		// A copy, so that a caller that changes its error cannot change
		// what the next caller of the same script sees.
		err := *entry.err
		var zero T
		return zero, &err
	}
	return entry.code, nil
}

func (c *cache[T]) put(src string, entry compiled[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]compiled[T])
	}
	if len(c.entries) >= maxCached {
		// Drop an arbitrary entry (Go randomises map order). Scripts that
		// run often come straight back; nothing here needs to be fairer.
		for src := range c.entries {
			delete(c.entries, src)
			break
		}
	}
	c.entries[src] = entry
}

func (c *cache[T]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// safeCompile turns a panic of the compiler into an error.
func safeCompile[T any](src string, compile func(string) (T, *Error)) (code T, err *Error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			code, err = zero, errorf(Runtime, "the script could not be compiled: %v", p)
		}
	}()
	return compile(src)
}
