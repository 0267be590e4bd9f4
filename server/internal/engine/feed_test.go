package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
	"github.com/batonhq/baton/wasm"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// next receives the next change of a subscription, failing if it ended.
func next(t *testing.T, s *engine.Subscription) *engine.Change {
	t.Helper()
	c, ok := <-s.Changes()
	require.True(t, ok, "the subscription ended: %v", s.Err())
	return c
}

// pending drains what a subscription holds now.
func pending(s *engine.Subscription) []*engine.Change {
	var out []*engine.Change
	for {
		select {
		case c, ok := <-s.Changes():
			if !ok {
				return out
			}
			out = append(out, c)
		default:
			return out
		}
	}
}

func TestFeedPublishesEachCommitInOrder(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, work())
	id := b.startWF(t, 0)
	sub, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{WorkflowID: id}})
	require.NoError(t, err)
	defer sub.Close()
	require.False(t, sub.Resumed, "no position given: the subscriber reads a snapshot")
	require.Equal(t, b.e.FeedPosition(), sub.Start)

	// Another execution's changes are not this subscriber's.
	other := b.startWF(t, 0)
	_ = other
	task := b.poll(t, 1)[0]
	require.Equal(t, id, task.WorkflowInstanceID, "the older execution's task comes first")
	leased := next(t, sub)
	require.Equal(t, id, leased.Workflow.WorkflowID)
	require.Greater(t, leased.Seq, sub.Start.Seq+1, "the other execution's start took a sequence number in between")
	require.Len(t, leased.Tasks, 1)
	require.Equal(t, workflow.TaskInProgress, leased.Tasks[0].Status)
	require.Equal(t, "w", leased.Tasks[0].WorkerID)
	require.Equal(t, "s1", leased.Tasks[0].ReferenceTaskName)

	b.complete(t, task)
	done := next(t, sub)
	require.Greater(t, done.Seq, leased.Seq)
	require.Equal(t, leased.Version+1, done.Version)
	statuses := map[string]workflow.TaskStatus{}
	for _, ts := range done.Tasks {
		statuses[ts.ReferenceTaskName] = ts.Status
	}
	require.Equal(t, map[string]workflow.TaskStatus{"s1": workflow.TaskCompleted, "s2": workflow.TaskScheduled}, statuses,
		"the completion and the task it scheduled are one commit, one change")
	require.Equal(t, workflow.StatusRunning, done.Workflow.Status)

	// The snapshot a subscriber reads holds every change up to its version.
	ex, err := b.store.ExecutionGet(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, done.Version, ex.Version)
	require.Empty(t, pending(sub))
}

func TestFeedResumesFromASequenceNumber(t *testing.T) {
	t.Parallel()
	b := setup(t, 3, work())
	id := b.startWF(t, 0)
	sub, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{WorkflowID: id}})
	require.NoError(t, err)
	b.complete(t, b.poll(t, 1)[0])
	first := next(t, sub)
	sub.Close()
	for range sub.Changes() { // what it held before Close, then the end
	}
	require.NoError(t, sub.Err(), "a closed subscription ended for no fault")
	require.Equal(t, 0, b.e.Subscribers())

	// Missed while disconnected: the rest of the chain.
	b.complete(t, b.poll(t, 1)[0])
	b.complete(t, b.poll(t, 1)[0])
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))

	again, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{WorkflowID: id}, From: &engine.Position{Epoch: sub.Start.Epoch, Seq: first.Seq}})
	require.NoError(t, err)
	defer again.Close()
	require.True(t, again.Resumed)
	var seqs []uint64
	var last *engine.Change
	for _, c := range again.Backlog {
		seqs = append(seqs, c.Seq)
		last = c
	}
	require.Len(t, again.Backlog, 5, "complete s1 (after the lease seen), lease and complete s2, lease and complete s3")
	require.IsIncreasing(t, seqs)
	require.Greater(t, seqs[0], first.Seq)
	require.Equal(t, workflow.StatusCompleted, last.Workflow.Status)
	require.Equal(t, last.Seq, again.Start.Seq)
}

func TestFeedRefusesToResumeAcrossAGapOrAnotherEpoch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	require.NoError(t, err)
	defer st.Close()
	newEngine := func() *engine.Engine {
		e, err := engine.New(engine.Config{Store: st, FeedRing: 4, Plugins: wasm.HostConfig{CacheDir: wasmtest.CacheDir()}})
		require.NoError(t, err)
		require.NoError(t, e.Start(context.Background()))
		return e
	}
	ctx := context.Background()
	e := newEngine()
	require.NoError(t, e.RegisterTaskDefs(ctx, []*workflow.TaskDef{work()}))
	_, err = e.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "one", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "work", TaskReferenceName: "a", Type: "SIMPLE"},
	}}, true, false)
	require.NoError(t, err)

	watch, err := e.Subscribe(engine.SubscribeRequest{})
	require.NoError(t, err)
	from := watch.Start
	for range 6 {
		_, err := e.StartWorkflow(ctx, &workflow.StartRequest{Name: "one"})
		require.NoError(t, err)
	}
	require.Len(t, pending(watch), 6)
	watch.Close()

	gone, err := e.Subscribe(engine.SubscribeRequest{From: &from})
	require.NoError(t, err)
	require.False(t, gone.Resumed, "six changes later, a ring of four no longer holds the seventh-last")
	require.Empty(t, gone.Backlog)
	require.Equal(t, from.Seq+6, gone.Start.Seq)
	gone.Close()

	held := engine.Position{Epoch: from.Epoch, Seq: from.Seq + 3}
	kept, err := e.Subscribe(engine.SubscribeRequest{From: &held})
	require.NoError(t, err)
	require.True(t, kept.Resumed)
	require.Len(t, kept.Backlog, 3)
	kept.Close()

	future := engine.Position{Epoch: from.Epoch, Seq: from.Seq + 100}
	ahead, err := e.Subscribe(engine.SubscribeRequest{From: &future})
	require.NoError(t, err)
	require.False(t, ahead.Resumed, "a position the feed has not reached is not resumed")
	ahead.Close()

	// A restart: the same store, a new engine, a new epoch.
	e.Stop()
	e2 := newEngine()
	defer e2.Stop()
	now := e2.FeedPosition()
	require.NotEqual(t, from.Epoch, now.Epoch)
	latest := engine.Position{Epoch: from.Epoch, Seq: now.Seq}
	restarted, err := e2.Subscribe(engine.SubscribeRequest{From: &latest})
	require.NoError(t, err)
	defer restarted.Close()
	require.False(t, restarted.Resumed, "a position of the engine's previous run is not resumed")
}

func TestFeedDropsASlowSubscriberOnly(t *testing.T) {
	t.Parallel()
	b := setup(t, 5, work())
	id := b.startWF(t, 0)
	slow, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{WorkflowID: id}, Buffer: 2})
	require.NoError(t, err)
	fast, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{WorkflowID: id}})
	require.NoError(t, err)
	defer fast.Close()
	require.Equal(t, 2, b.e.Subscribers())
	for range 5 {
		b.complete(t, b.poll(t, 1)[0])
	}
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))

	got := pending(fast)
	require.Len(t, got, 10, "a lease and a completion for each of five tasks")
	require.Len(t, pending(slow), 2, "the slow subscriber kept what its buffer held")
	require.ErrorIs(t, slow.Err(), engine.ErrSubscriberSlow)
	require.Equal(t, engine.Unavailable, engine.CodeOf(slow.Err()))
	require.Equal(t, 1, b.e.Subscribers(), "the dropped subscriber is freed")
	slow.Close() // harmless
}

func TestFeedFiltersByQuery(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	running, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{Names: []string{"chain"}, Statuses: []workflow.Status{workflow.StatusRunning}}})
	require.NoError(t, err)
	defer running.Close()
	byCorrelation, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{CorrelationID: "order-7"}})
	require.NoError(t, err)
	defer byCorrelation.Close()
	otherName, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{Names: []string{"other"}}})
	require.NoError(t, err)
	defer otherName.Close()

	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "chain", CorrelationID: "order-7"})
	require.NoError(t, err)
	b.complete(t, b.poll(t, 1)[0])
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))
	b.startWF(t, 0) // no correlation id

	got := pending(running)
	require.Len(t, got, 4, "start, lease, the end (it leaves the RUNNING set), the second start")
	require.Equal(t, workflow.StatusCompleted, got[2].Workflow.Status)
	require.Len(t, pending(byCorrelation), 3)
	require.Empty(t, pending(otherName))

	// Removal is published too.
	require.NoError(t, b.e.RemoveWorkflow(b.ctx, id, false))
	removed := next(t, byCorrelation)
	require.True(t, removed.Deleted)
	require.Equal(t, id, removed.Workflow.WorkflowID)
}

func TestFeedStopEndsSubscriptions(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	sub, err := b.e.Subscribe(engine.SubscribeRequest{})
	require.NoError(t, err)
	b.e.Stop()
	_, open := <-sub.Changes()
	require.False(t, open)
	require.Equal(t, engine.Unavailable, engine.CodeOf(sub.Err()))
	_, err = b.e.Subscribe(engine.SubscribeRequest{})
	require.Equal(t, engine.Unavailable, engine.CodeOf(err))
	require.Equal(t, 0, b.e.Subscribers())
}

// TestFeedUnderConcurrency commits to several executions at once while
// subscribers come and go: each sees its changes in sequence order, and
// none is left registered.
func TestFeedUnderConcurrency(t *testing.T) {
	t.Parallel()
	b := setup(t, 3, work())
	const flows = 6
	ids := make([]string, flows)
	for i := range ids {
		ids[i] = b.startWF(t, 0)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", WorkerID: fmt.Sprint(w), Count: 2})
				if err != nil || len(tasks) == 0 {
					return
				}
				for _, task := range tasks {
					_ = b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskCompleted})
				}
			}
		}()
	}
	var subs sync.WaitGroup
	for i := range 8 {
		subs.Add(1)
		go func() {
			defer subs.Done()
			filter := engine.Filter{WorkflowID: ids[i%flows]}
			if i%2 == 1 {
				filter = engine.Filter{Names: []string{"chain"}}
			}
			for {
				s, err := b.e.Subscribe(engine.SubscribeRequest{Filter: filter, Buffer: 4})
				if err != nil {
					return
				}
				last := s.Start.Seq
			receive:
				for range 3 {
					select {
					case c, ok := <-s.Changes():
						if !ok {
							break receive // dropped: too slow
						}
						if c.Seq <= last {
							t.Errorf("seq %d after %d", c.Seq, last)
						}
						last = c.Seq
					case <-done:
						s.Close()
						return
					}
				}
				s.Close()
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, workflow.StatusCompleted, b.status(t, id))
	}
	close(done)
	subs.Wait()
	require.Equal(t, 0, b.e.Subscribers())
}

// TestFeedRefusesOversizedFilters: a query subscription names at most
// MaxFilterNames workflows, none of them empty; repeats count once.
func TestFeedRefusesOversizedFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	many := make([]string, engine.MaxFilterNames+1)
	for i := range many {
		many[i] = fmt.Sprintf("w%d", i)
	}
	for _, names := range [][]string{many, {"a", ""}} {
		_, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{Names: names}})
		require.Equal(t, engine.InvalidArgument, engine.CodeOf(err), "%v", err)
		_, err = b.e.SnapshotQuery(t.Context(), engine.Filter{Names: names}, 10)
		require.Equal(t, engine.InvalidArgument, engine.CodeOf(err), "%v", err)
	}
	s, err := b.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{Names: []string{"a", "a", "b"}}})
	require.NoError(t, err)
	s.Close()
}
