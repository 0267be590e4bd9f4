package engine

import (
	"strconv"
	"testing"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
)

// BenchmarkQueuePushClaim measures the queue's hot path: a task entry
// pushed, then claimed by a poll.
func BenchmarkQueuePushClaim(b *testing.B) {
	qs := newQueues()
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = "task-" + strconv.Itoa(i)
	}
	allow := func(string) bool { return true }
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := int64(1_700_000_000_000 + i)
		qs.push(item{taskID: ids[i%len(ids)], workflowID: "wf", queue: "q", taskType: "q", visible: now}, now)
		qs.claim("q", 1, now, allow, "w", nil)
	}
}

// BenchmarkPolled measures what a poll records about its worker.
func BenchmarkPolled(b *testing.B) {
	p := newPollers()
	workers := make([]string, 64)
	for i := range workers {
		workers[i] = "worker-" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p.polled("q", "", workers[i%len(workers)], int64(1_700_000_000_000+i))
	}
}

// BenchmarkObserve measures what a commit that leases a task adds to the
// figures of its queue (applied's call of observe).
func BenchmarkObserve(b *testing.B) {
	e := &Engine{flows: newFlows(), overview: newOverview()}
	task := &workflow.Task{TaskID: "t", TaskType: "q", Status: workflow.TaskInProgress}
	c := &change{
		version:    3,
		inProgress: map[string]bool{},
		status:     workflow.StatusRunning,
		res:        &decider.Result{Workflow: &workflow.Workflow{Status: workflow.StatusRunning}, Changed: []*workflow.Task{task}},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.observe(c, int64(1_700_000_000_000+i))
	}
}

// BenchmarkBacklogs measures reading the figures of a queue of 100,000
// ready tasks, which holds the queues' lock for the scan of the oldest.
func BenchmarkBacklogs(b *testing.B) {
	qs := newQueues()
	const now = int64(1_700_000_000_000)
	for i := range 100_000 {
		qs.push(item{taskID: "task-" + strconv.Itoa(i), workflowID: "wf", queue: "q", taskType: "q", priority: i % 3, visible: now - int64(i)}, now)
	}
	b.ReportAllocs()
	for b.Loop() {
		if qs.backlogs(now)[queueKey{taskType: "q"}].depth != 100_000 {
			b.Fatal("wrong depth")
		}
	}
}
