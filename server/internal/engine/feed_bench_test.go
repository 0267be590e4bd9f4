package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// BenchmarkFeedPublish measures what the feed adds to each commit: with
// nobody subscribed (the ring idle), with the ring recording for a
// reconnecting client, and with subscribers to the execution that
// changed (each drained by its own goroutine, as the hub does).
//
//	go test -run '^$' -bench FeedPublish ./server/internal/engine/
func BenchmarkFeedPublish(b *testing.B) {
	build := func() *Change {
		return &Change{
			Version:  7,
			Workflow: WorkflowSummary{WorkflowID: "0193a5b2-wf", WorkflowName: "checkout", Status: workflow.StatusRunning, CreateTime: 1},
			Tasks: []TaskSummary{
				{TaskID: "0193a5b2-t1", ReferenceTaskName: "charge", TaskType: "charge", Status: workflow.TaskCompleted},
				{TaskID: "0193a5b2-t2", ReferenceTaskName: "ship", TaskType: "ship", Status: workflow.TaskScheduled},
			},
		}
	}
	b.Run("idle", func(b *testing.B) {
		f := newFeed(time.Now, DefaultFeedRing)
		for b.Loop() {
			f.publish(build)
		}
	})
	b.Run("recording", func(b *testing.B) {
		f := newFeed(time.Now, DefaultFeedRing)
		f.warmUntil.Store(time.Now().Add(time.Hour).UnixNano())
		for b.Loop() {
			f.publish(build)
		}
	})
	for _, n := range []int{1, 500} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			f := newFeed(time.Now, DefaultFeedRing)
			for range n {
				s, err := f.subscribe(SubscribeRequest{Filter: Filter{WorkflowID: "0193a5b2-wf"}, Buffer: 1 << 14})
				if err != nil {
					b.Fatal(err)
				}
				go func() {
					for range s.Changes() {
					}
				}()
			}
			for b.Loop() {
				f.publish(build)
			}
			b.StopTimer()
			if dropped := n - f.subscribers(); dropped > 0 {
				b.ReportMetric(float64(dropped), "dropped")
			}
			f.stop()
		})
	}
}
