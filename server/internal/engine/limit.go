package engine

import (
	"sync"

	"github.com/batonhq/baton/sdk/workflow"
)

// limits enforces concurrentExecLimit and rateLimitPerFrequency per task
// type when tasks are handed to workers. Counts live in memory: in-progress
// counts are rebuilt from the store at start-up; a rate window starts afresh
// after a restart.
type limits struct {
	mu         sync.Mutex
	inProgress map[string]int
	windows    map[string]*window
}

type window struct {
	start int64 // Unix ms
	count int
}

func newLimits() *limits {
	return &limits{inProgress: map[string]int{}, windows: map[string]*window{}}
}

// reserve counts one task of the type as handed out, if its limits allow.
func (l *limits) reserve(taskType string, td *workflow.TaskDef, now int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if td != nil && td.ConcurrentExecLimit != nil && *td.ConcurrentExecLimit > 0 && l.inProgress[taskType] >= *td.ConcurrentExecLimit {
		return false
	}
	var w *window
	if td != nil && td.RateLimitPerFrequency != nil && *td.RateLimitPerFrequency > 0 {
		period := int64(1000)
		if td.RateLimitFrequencyInSeconds != nil && *td.RateLimitFrequencyInSeconds > 0 {
			period = int64(*td.RateLimitFrequencyInSeconds) * 1000
		}
		w = l.windows[taskType]
		if w == nil || now >= w.start+period {
			w = &window{start: now - now%period}
			l.windows[taskType] = w
		}
		if w.count >= *td.RateLimitPerFrequency {
			return false
		}
		w.count++
	}
	l.inProgress[taskType]++
	return true
}

// release undoes a reservation whose lease did not happen.
func (l *limits) release(taskType string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inProgress[taskType]--
	if w := l.windows[taskType]; w != nil && w.count > 0 {
		w.count--
	}
}

// ended counts a task of the type that left IN_PROGRESS.
func (l *limits) ended(taskType string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inProgress[taskType] > 0 {
		l.inProgress[taskType]--
	}
}

// running returns the number of IN_PROGRESS tasks of a type.
func (l *limits) running(taskType string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inProgress[taskType]
}

// limited reports whether a task definition sets a concurrency or a rate
// limit.
func limited(td *workflow.TaskDef) bool {
	return td != nil && (td.ConcurrentExecLimit != nil && *td.ConcurrentExecLimit > 0 ||
		td.RateLimitPerFrequency != nil && *td.RateLimitPerFrequency > 0)
}
