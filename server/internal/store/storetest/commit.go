package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

func testCommit(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// snapshot is everything a failed commit must leave untouched.
	type snapshot struct {
		exec    *store.Execution
		history []store.Event
		logs    []workflow.TaskExecLog
		active  []string
		due     []store.Wake
	}
	takeSnapshot := func(t *testing.T, b *testBundle, wfID, taskID string) snapshot {
		t.Helper()
		var s snapshot
		var err error
		s.exec, err = b.store.ExecutionGet(b.ctx, wfID)
		require.NoError(t, err)
		s.history, err = b.store.HistoryList(b.ctx, wfID)
		require.NoError(t, err)
		s.logs, err = b.store.TaskLogList(b.ctx, taskID)
		require.NoError(t, err)
		s.active = activeTaskIDs(t, b)
		s.due, err = b.store.DueWorkflows(b.ctx, baseTime.Add(24*time.Hour), 100)
		require.NoError(t, err)
		return s
	}
	// rejected returns a transition from version that changes every kind
	// of record: the workflow, an existing task, a new task, the wake-up
	// time, history and logs.
	rejected := func(tr *store.Transition, version uint64, existing *workflow.Task) (*store.Transition, *workflow.Task) {
		next := update(tr, version)
		next.Workflow.Status = workflow.StatusFailed
		next.WakeAt = baseTime.Add(-time.Hour)
		done := *existing
		done.Status = workflow.TaskCompleted
		added := newTask(tr.Workflow.WorkflowID, 99)
		next.Tasks = []*workflow.Task{&done, added}
		next.History = []store.Event{{Time: 1, Type: "REJECTED"}}
		next.Logs = []workflow.TaskExecLog{{TaskID: existing.TaskID, Log: "rejected"}, {TaskID: added.TaskID, Log: "rejected"}}
		return next, added
	}

	t.Run("CreateExists", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		tr := create(t, b, baseTime, task)

		again := &store.Transition{Workflow: newWorkflow(tr.Workflow.WorkflowID), History: []store.Event{{Type: "AGAIN"}}}
		again.Workflow.Status = workflow.StatusPaused
		require.ErrorIs(t, b.store.Commit(b.ctx, again), store.ErrExists)

		requireExecution(t, b, tr.Workflow, 1, baseTime, task)
		history, err := b.store.HistoryList(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, tr.History, history)
	})

	t.Run("UpdateBumpsVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := create(t, b, time.Time{})
		for v := uint64(1); v <= 3; v++ {
			next := update(tr, v)
			require.NoError(t, b.store.Commit(b.ctx, next))
			requireExecution(t, b, next.Workflow, v+1, time.Time{})
		}
	})

	t.Run("UpdateMissing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := &store.Transition{Workflow: newWorkflow(newID("wf")), Version: 3}
		require.ErrorIs(t, b.store.Commit(b.ctx, tr), store.ErrNotFound)
		_, err := b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("StaleVersionWritesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		tr := create(t, b, baseTime.Add(time.Hour), task)
		tr.Logs = []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "kept"}}
		require.NoError(t, b.store.TaskLogAppend(b.ctx, tr.Logs))
		require.NoError(t, b.store.Commit(b.ctx, update(tr, 1)))
		before := takeSnapshot(t, b, tr.Workflow.WorkflowID, task.TaskID)

		for _, stale := range []uint64{1, 3} {
			next, added := rejected(tr, stale, task)
			require.ErrorIs(t, b.store.Commit(b.ctx, next), store.ErrConflict)

			require.Equal(t, before, takeSnapshot(t, b, tr.Workflow.WorkflowID, task.TaskID))
			_, err := b.store.TaskGet(b.ctx, added.TaskID)
			require.ErrorIs(t, err, store.ErrNotFound)
			logs, err := b.store.TaskLogList(b.ctx, added.TaskID)
			require.NoError(t, err)
			require.Empty(t, logs)
		}

		// The right version still goes through.
		next, _ := rejected(tr, 2, task)
		require.NoError(t, b.store.Commit(b.ctx, next))
		exec, err := b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, uint64(3), exec.Version)
		require.Equal(t, workflow.StatusFailed, exec.Workflow.Status)
	})

	t.Run("MultiTransitionAllOrNone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		taskA, taskB := newTask("", 1), newTask("", 1)
		trA := create(t, b, time.Time{}, taskA)
		trB := create(t, b, time.Time{}, taskB)
		beforeA := takeSnapshot(t, b, trA.Workflow.WorkflowID, taskA.TaskID)
		beforeB := takeSnapshot(t, b, trB.Workflow.WorkflowID, taskB.TaskID)

		// A good update of A, a new execution C, and a stale update of B: the
		// bad guard comes last, so the good ones were looked at first.
		goodA, addedA := rejected(trA, 1, taskA)
		trC := &store.Transition{Workflow: newWorkflow(newID("wf")), Tasks: []*workflow.Task{newTask("", 1)}, WakeAt: baseTime}
		staleB, _ := rejected(trB, 7, taskB)
		require.ErrorIs(t, b.store.Commit(b.ctx, goodA, trC, staleB), store.ErrConflict)

		require.Equal(t, beforeA, takeSnapshot(t, b, trA.Workflow.WorkflowID, taskA.TaskID))
		require.Equal(t, beforeB, takeSnapshot(t, b, trB.Workflow.WorkflowID, taskB.TaskID))
		_, err := b.store.TaskGet(b.ctx, addedA.TaskID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.store.ExecutionGet(b.ctx, trC.Workflow.WorkflowID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.store.TaskGet(b.ctx, trC.Tasks[0].TaskID)
		require.ErrorIs(t, err, store.ErrNotFound)

		// A create of an existing execution fails the whole call too.
		dup := &store.Transition{Workflow: newWorkflow(trB.Workflow.WorkflowID)}
		require.ErrorIs(t, b.store.Commit(b.ctx, goodA, dup), store.ErrExists)
		require.Equal(t, beforeA, takeSnapshot(t, b, trA.Workflow.WorkflowID, taskA.TaskID))

		// All good: all written.
		goodB, _ := rejected(trB, 1, taskB)
		require.NoError(t, b.store.Commit(b.ctx, goodA, trC, goodB))
		for _, id := range []string{trA.Workflow.WorkflowID, trB.Workflow.WorkflowID} {
			exec, err := b.store.ExecutionGet(b.ctx, id)
			require.NoError(t, err)
			require.Equal(t, uint64(2), exec.Version)
			require.Len(t, exec.Workflow.Tasks, 2)
		}
		exec, err := b.store.ExecutionGet(b.ctx, trC.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, uint64(1), exec.Version)
	})

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.Commit(b.ctx))
	})

	t.Run("ContextCanceled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		ctx, cancel := context.WithCancel(b.ctx)
		cancel()
		tr := &store.Transition{Workflow: newWorkflow(newID("wf")), Tasks: []*workflow.Task{newTask("", 1)}, WakeAt: baseTime}
		require.ErrorIs(t, b.store.Commit(ctx, tr), context.Canceled)

		_, err := b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.Empty(t, activeTaskIDs(t, b))
		_, ok, err := b.store.NextWake(b.ctx)
		require.NoError(t, err)
		require.False(t, ok)
	})

	t.Run("ConcurrentChains", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		const executions, steps = 64, 20
		var wg sync.WaitGroup
		errs := make(chan error, executions)
		ids := make([]string, executions)
		for i := range executions {
			ids[i] = newID("wf")
			wg.Go(func() {
				tr := &store.Transition{Workflow: newWorkflow(ids[i])}
				for v := range uint64(steps) {
					next := update(tr, v)
					next.Tasks = []*workflow.Task{newTask(ids[i], int(v)+1)}
					next.History = []store.Event{{Time: int64(v), Type: "STEP"}}
					if err := b.store.Commit(b.ctx, next); err != nil {
						errs <- fmt.Errorf("execution %d, version %d: %w", i, v, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		for _, id := range ids {
			exec, err := b.store.ExecutionGet(b.ctx, id)
			require.NoError(t, err)
			require.Equal(t, uint64(steps), exec.Version)
			require.Len(t, exec.Workflow.Tasks, steps)
			history, err := b.store.HistoryList(b.ctx, id)
			require.NoError(t, err)
			require.Len(t, history, steps)
			for i, e := range history {
				require.Equal(t, int64(i), e.Time)
			}
		}
	})

	t.Run("ConcurrentSameVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		const racers = 16
		tr := create(t, b, time.Time{})
		start := make(chan struct{})
		results := make(chan error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				next := update(tr, 1)
				next.Tasks = []*workflow.Task{newTask(tr.Workflow.WorkflowID, i+1)}
				next.History = []store.Event{{Type: "RACE", Detail: fmt.Sprint(i)}}
				<-start
				results <- b.store.Commit(b.ctx, next)
			})
		}
		close(start)
		wg.Wait()
		close(results)

		var won int
		for err := range results {
			if err == nil {
				won++
				continue
			}
			require.ErrorIs(t, err, store.ErrConflict)
		}
		require.Equal(t, 1, won)

		exec, err := b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, uint64(2), exec.Version)
		require.Len(t, exec.Workflow.Tasks, 1)
		history, err := b.store.HistoryList(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Len(t, history, 2)
		require.Len(t, activeTaskIDs(t, b), 1)
	})
}
