package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testRecovery covers what the engine rebuilds its queues and timer from:
// the active tasks and the wake-up index.
func testRecovery(t *testing.T, h Harness) {
	setup := setupFunc(h)

	wakeIDs := func(wakes []store.Wake) []string {
		ids := []string{}
		for _, w := range wakes {
			ids = append(ids, w.WorkflowID)
		}
		return ids
	}
	requireNextWake := func(t *testing.T, b *testBundle, want time.Time) {
		t.Helper()
		at, ok, err := b.store.NextWake(b.ctx)
		require.NoError(t, err)
		require.Equal(t, !want.IsZero(), ok)
		requireTime(t, want, at)
	}

	t.Run("ActiveTasks", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.Empty(t, activeTaskIDs(t, b))

		scheduled, running := newTask("", 1), newTask("", 2)
		running.Status = workflow.TaskInProgress
		done := newTask("", 3)
		done.Status = workflow.TaskCompleted
		trA := create(t, b, time.Time{}, scheduled, running, done)
		other := newTask("", 1)
		trB := create(t, b, time.Time{}, other)

		got := map[string]*workflow.Task{}
		require.NoError(t, b.store.ActiveTasks(b.ctx, func(task *workflow.Task) error {
			got[task.TaskID] = task
			return nil
		}))
		require.Equal(t, map[string]*workflow.Task{
			scheduled.TaskID: scheduled, running.TaskID: running, other.TaskID: other,
		}, got)

		runningNow := clone(t, scheduled)
		runningNow.Status = workflow.TaskInProgress
		finished := clone(t, running)
		finished.Status = workflow.TaskFailed
		retry := newTask(trA.Workflow.WorkflowID, 4)
		next := update(trA, 1)
		next.Tasks = []*workflow.Task{runningNow, finished, retry}
		require.NoError(t, b.store.Commit(b.ctx, next))

		ids := activeTaskIDs(t, b)
		slices.Sort(ids)
		want := []string{scheduled.TaskID, retry.TaskID, other.TaskID}
		slices.Sort(want)
		require.Equal(t, want, ids)

		// The index gives the current task, not the one first indexed.
		require.NoError(t, b.store.ActiveTasks(b.ctx, func(task *workflow.Task) error {
			if task.TaskID == scheduled.TaskID {
				require.Equal(t, workflow.TaskInProgress, task.Status)
			}
			return nil
		}))

		// Cancelling the other execution's task empties it of active tasks.
		closed := clone(t, other)
		closed.Status = workflow.TaskCanceled
		nextB := update(trB, 1)
		nextB.Tasks = []*workflow.Task{closed}
		require.NoError(t, b.store.Commit(b.ctx, nextB))
		require.NotContains(t, activeTaskIDs(t, b), other.TaskID)
	})

	t.Run("TerminalLeavesActive", func(t *testing.T) {
		t.Parallel()

		for _, status := range []workflow.TaskStatus{
			workflow.TaskCompleted, workflow.TaskCompletedWithErrors, workflow.TaskFailed,
			workflow.TaskFailedWithTerminalError, workflow.TaskTimedOut, workflow.TaskCanceled, workflow.TaskSkipped,
		} {
			t.Run(string(status), func(t *testing.T) {
				t.Parallel()
				b := setup(t)

				task := newTask("", 1)
				tr := create(t, b, time.Time{}, task)
				require.Equal(t, []string{task.TaskID}, activeTaskIDs(t, b))

				changed := clone(t, task)
				changed.Status = status
				next := update(tr, 1)
				next.Tasks = []*workflow.Task{changed}
				require.NoError(t, b.store.Commit(b.ctx, next))
				require.Empty(t, activeTaskIDs(t, b))

				// A new attempt is active again.
				retry := newTask(tr.Workflow.WorkflowID, 2)
				next = update(tr, 2)
				next.Tasks = []*workflow.Task{retry}
				require.NoError(t, b.store.Commit(b.ctx, next))
				require.Equal(t, []string{retry.TaskID}, activeTaskIDs(t, b))
			})
		}
	})

	t.Run("ActiveTasksStopsOnError", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		create(t, b, time.Time{}, newTask("", 1), newTask("", 2), newTask("", 3))
		stop := errors.New("stop")
		var calls int
		err := b.store.ActiveTasks(b.ctx, func(*workflow.Task) error {
			calls++
			return stop
		})
		require.ErrorIs(t, err, stop)
		require.Equal(t, 1, calls)
	})

	t.Run("DueWorkflows", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		now := baseTime
		due, err := b.store.DueWorkflows(b.ctx, now, 10)
		require.NoError(t, err)
		require.Empty(t, due)

		// Created out of order; one is due exactly now.
		second := create(t, b, now.Add(-time.Second))
		later := create(t, b, now.Add(time.Hour))
		first := create(t, b, now.Add(-3*time.Second))
		exact := create(t, b, now)
		create(t, b, time.Time{})

		due, err = b.store.DueWorkflows(b.ctx, now, 10)
		require.NoError(t, err)
		require.Equal(t, []string{first.Workflow.WorkflowID, second.Workflow.WorkflowID, exact.Workflow.WorkflowID}, wakeIDs(due))
		requireTime(t, first.WakeAt, due[0].At)
		requireTime(t, second.WakeAt, due[1].At)
		requireTime(t, now, due[2].At)

		due, err = b.store.DueWorkflows(b.ctx, now, 2)
		require.NoError(t, err)
		require.Equal(t, []string{first.Workflow.WorkflowID, second.Workflow.WorkflowID}, wakeIDs(due))

		due, err = b.store.DueWorkflows(b.ctx, now.Add(-2*time.Second), 10)
		require.NoError(t, err)
		require.Equal(t, []string{first.Workflow.WorkflowID}, wakeIDs(due))

		due, err = b.store.DueWorkflows(b.ctx, now.Add(2*time.Hour), 10)
		require.NoError(t, err)
		require.Equal(t, []string{
			first.Workflow.WorkflowID, second.Workflow.WorkflowID, exact.Workflow.WorkflowID, later.Workflow.WorkflowID,
		}, wakeIDs(due))
	})

	t.Run("DueWorkflowsSameTime", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		a := create(t, b, baseTime)
		c := create(t, b, baseTime)
		due, err := b.store.DueWorkflows(b.ctx, baseTime, 10)
		require.NoError(t, err)
		require.ElementsMatch(t, []string{a.Workflow.WorkflowID, c.Workflow.WorkflowID}, wakeIDs(due))
	})

	t.Run("WakeAtMovedAndCleared", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		now := baseTime
		a := create(t, b, now.Add(-3*time.Second))
		c := create(t, b, now.Add(-time.Second))
		d := create(t, b, now.Add(time.Hour))
		requireNextWake(t, b, a.WakeAt)

		// Moving A later takes it out of the due list and puts it back at its
		// new place.
		next := update(a, 1)
		next.WakeAt = now.Add(2 * time.Hour)
		require.NoError(t, b.store.Commit(b.ctx, next))
		due, err := b.store.DueWorkflows(b.ctx, now, 10)
		require.NoError(t, err)
		require.Equal(t, []string{c.Workflow.WorkflowID}, wakeIDs(due))
		requireNextWake(t, b, c.WakeAt)
		due, err = b.store.DueWorkflows(b.ctx, now.Add(3*time.Hour), 10)
		require.NoError(t, err)
		require.Equal(t, []string{c.Workflow.WorkflowID, d.Workflow.WorkflowID, a.Workflow.WorkflowID}, wakeIDs(due))
		requireTime(t, next.WakeAt, due[2].At)

		// Clearing C removes it.
		nextC := update(c, 1)
		nextC.WakeAt = time.Time{}
		require.NoError(t, b.store.Commit(b.ctx, nextC))
		due, err = b.store.DueWorkflows(b.ctx, now, 10)
		require.NoError(t, err)
		require.Empty(t, due)
		requireNextWake(t, b, d.WakeAt)
		requireExecution(t, b, nextC.Workflow, 2, time.Time{})

		// Keeping the same time keeps one entry; moving earlier works too.
		nextD := update(d, 1)
		require.NoError(t, b.store.Commit(b.ctx, nextD))
		nextD = update(d, 2)
		nextD.WakeAt = now.Add(-time.Minute)
		require.NoError(t, b.store.Commit(b.ctx, nextD))
		due, err = b.store.DueWorkflows(b.ctx, now.Add(3*time.Hour), 10)
		require.NoError(t, err)
		require.Equal(t, []string{d.Workflow.WorkflowID, a.Workflow.WorkflowID}, wakeIDs(due))
		requireNextWake(t, b, nextD.WakeAt)
		requireExecution(t, b, nextD.Workflow, 3, nextD.WakeAt)

		// Clearing them all leaves nothing.
		for _, tr := range []*store.Transition{update(a, 2), update(d, 3)} {
			tr.WakeAt = time.Time{}
			require.NoError(t, b.store.Commit(b.ctx, tr))
		}
		requireNextWake(t, b, time.Time{})
	})

	t.Run("NextWakeEmpty", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		requireNextWake(t, b, time.Time{})
		create(t, b, time.Time{})
		requireNextWake(t, b, time.Time{})
	})
}
