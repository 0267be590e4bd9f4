package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testRemoval covers Transition.Removed: tasks deleted from an execution
// with their logs, as a DO_WHILE drops its old iterations.
func testRemoval(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// stub is what the engine passes for a removed task.
	stub := func(task *workflow.Task) *workflow.Task {
		return &workflow.Task{TaskID: task.TaskID, Seq: task.Seq}
	}
	requireGone := func(t *testing.T, b *testBundle, task *workflow.Task) {
		t.Helper()
		_, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.ErrorIs(t, err, store.ErrNotFound)
		logs, err := b.store.TaskLogList(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Empty(t, logs)
		require.NotContains(t, activeTaskIDs(t, b), task.TaskID)
	}
	requireLogs := func(t *testing.T, b *testBundle, taskID string, want ...string) {
		t.Helper()
		logs, err := b.store.TaskLogList(b.ctx, taskID)
		require.NoError(t, err)
		got := []string{}
		for _, l := range logs {
			got = append(got, l.Log)
		}
		require.Equal(t, append([]string{}, want...), got)
	}

	t.Run("TasksAndLogsGone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		kept, active, done := newTask("", 1), newTask("", 2), newTask("", 3)
		done.Status = workflow.TaskCompleted
		tr := create(t, b, time.Time{}, kept, active, done)
		other := newTask("", 1)
		trOther := create(t, b, time.Time{}, other)
		var logs []workflow.TaskExecLog
		for _, task := range []*workflow.Task{kept, active, done, other} {
			logs = append(logs,
				workflow.TaskExecLog{TaskID: task.TaskID, Log: "one"},
				workflow.TaskExecLog{TaskID: task.TaskID, Log: "two"})
		}
		require.NoError(t, b.store.TaskLogAppend(b.ctx, logs))

		next := update(tr, 1)
		next.Removed = []*workflow.Task{stub(active), stub(done)}
		next.History = []store.Event{{Type: "ITERATION_DROPPED"}}
		require.NoError(t, b.store.Commit(b.ctx, next))

		requireExecution(t, b, next.Workflow, 2, time.Time{}, kept)
		requireGone(t, b, active)
		requireGone(t, b, done)
		require.ElementsMatch(t, []string{kept.TaskID, other.TaskID}, activeTaskIDs(t, b))
		requireLogs(t, b, kept.TaskID, "one", "two")
		requireLogs(t, b, other.TaskID, "one", "two")
		requireExecution(t, b, trOther.Workflow, 1, time.Time{}, other)
		history, err := b.store.HistoryList(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Len(t, history, 2)

		// Logs appended to the id afterwards start a new list.
		require.NoError(t, b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{{TaskID: active.TaskID, Log: "late"}}))
		requireLogs(t, b, active.TaskID, "late")
	})

	t.Run("Idempotent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		kept, removed := newTask("", 1), newTask("", 2)
		tr := create(t, b, time.Time{}, kept, removed)
		next := update(tr, 1)
		next.Removed = []*workflow.Task{stub(removed)}
		require.NoError(t, b.store.Commit(b.ctx, next))

		// Removed again, with a task that never was: not an error.
		next = update(tr, 2)
		next.Removed = []*workflow.Task{stub(removed), {TaskID: newID("task"), Seq: 7}}
		require.NoError(t, b.store.Commit(b.ctx, next))
		requireExecution(t, b, next.Workflow, 3, time.Time{}, kept)
		requireGone(t, b, removed)
	})

	t.Run("IDFreeAgain", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// Once removed, the id belongs to no execution: another one may use
		// it (the engine does not, but the index must be gone).
		task := newTask("", 1)
		tr := create(t, b, time.Time{}, task)
		next := update(tr, 1)
		next.Removed = []*workflow.Task{stub(task)}
		require.NoError(t, b.store.Commit(b.ctx, next))

		reused := clone(t, task)
		reused.WorkflowInstanceID = ""
		reused.Seq = 4
		other := create(t, b, time.Time{}, reused)
		got, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Equal(t, other.Workflow.WorkflowID, got.WorkflowInstanceID)
		require.Equal(t, 4, got.Seq)
		requireExecution(t, b, next.Workflow, 2, time.Time{})
	})

	t.Run("RemovedWinsOverWritten", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		kept, task := newTask("", 1), newTask("", 2)
		tr := create(t, b, time.Time{}, kept, task)
		require.NoError(t, b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "before"}}))

		changed := clone(t, task)
		changed.Status = workflow.TaskCanceled
		next := update(tr, 1)
		next.Tasks = []*workflow.Task{changed}
		next.Removed = []*workflow.Task{stub(task)}
		next.Logs = []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "with it"}, {TaskID: kept.TaskID, Log: "kept"}}
		require.NoError(t, b.store.Commit(b.ctx, next))

		requireExecution(t, b, next.Workflow, 2, time.Time{}, kept)
		requireGone(t, b, task)
		requireLogs(t, b, kept.TaskID, "kept")

		// A task new in the transition that removes it is never stored.
		added := newTask(tr.Workflow.WorkflowID, 3)
		next = update(tr, 2)
		next.Tasks = []*workflow.Task{added}
		next.Removed = []*workflow.Task{stub(added)}
		require.NoError(t, b.store.Commit(b.ctx, next))
		requireExecution(t, b, next.Workflow, 3, time.Time{}, kept)
		requireGone(t, b, added)
	})

	t.Run("WrittenThenRemovedInOneCall", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		kept := newTask("", 1)
		tr := create(t, b, time.Time{}, kept)
		added := newTask(tr.Workflow.WorkflowID, 2)
		first := update(tr, 1)
		first.Tasks = []*workflow.Task{added}
		first.Logs = []workflow.TaskExecLog{{TaskID: added.TaskID, Log: "first"}}
		second := update(tr, 2)
		second.Removed = []*workflow.Task{stub(added)}
		third := update(tr, 3)
		third.Logs = []workflow.TaskExecLog{{TaskID: added.TaskID, Log: "after"}}
		require.NoError(t, b.store.Commit(b.ctx, first, second, third))

		requireExecution(t, b, third.Workflow, 4, time.Time{}, kept)
		_, err := b.store.TaskGet(b.ctx, added.TaskID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.Equal(t, []string{kept.TaskID}, activeTaskIDs(t, b))
		requireLogs(t, b, added.TaskID, "after")
	})

	t.Run("TaskOfOtherExecution", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		trA := create(t, b, time.Time{}, task)
		require.NoError(t, b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "mine"}}))
		trB := create(t, b, time.Time{})

		// The stub names no execution; the store knows whose the task is.
		next := update(trB, 1)
		next.Removed = []*workflow.Task{stub(task)}
		next.History = []store.Event{{Type: "STOLEN"}}
		err := b.store.Commit(b.ctx, next)
		require.Error(t, err)
		require.ErrorContains(t, err, task.TaskID)

		requireExecution(t, b, trA.Workflow, 1, time.Time{}, task)
		requireExecution(t, b, trB.Workflow, 1, time.Time{})
		requireLogs(t, b, task.TaskID, "mine")
		require.Equal(t, []string{task.TaskID}, activeTaskIDs(t, b))

		// Nor may the removed task say it is another execution's.
		named := stub(task)
		named.WorkflowInstanceID = trA.Workflow.WorkflowID
		next.Removed = []*workflow.Task{named}
		require.Error(t, b.store.Commit(b.ctx, next))
		requireExecution(t, b, trA.Workflow, 1, time.Time{}, task)
	})

	t.Run("StaleVersionRemovesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		tr := create(t, b, time.Time{}, task)
		require.NoError(t, b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "kept"}}))
		require.NoError(t, b.store.Commit(b.ctx, update(tr, 1)))

		stale := update(tr, 1)
		stale.Removed = []*workflow.Task{stub(task)}
		require.ErrorIs(t, b.store.Commit(b.ctx, stale), store.ErrConflict)
		requireExecution(t, b, update(tr, 1).Workflow, 2, time.Time{}, task)
		requireLogs(t, b, task.TaskID, "kept")
		require.Equal(t, []string{task.TaskID}, activeTaskIDs(t, b))
	})
}
