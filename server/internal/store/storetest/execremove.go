package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testExecutionRemove covers ExecutionRemove: an execution deleted with
// everything of it, and nothing of the others.
func testExecutionRemove(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// requireRemoved checks that nothing of the execution committed by tr
	// can be found.
	requireRemoved := func(t *testing.T, b *testBundle, tr *store.Transition, tasks ...*workflow.Task) {
		t.Helper()
		id := tr.Workflow.WorkflowID
		_, err := b.store.ExecutionGet(b.ctx, id)
		require.ErrorIs(t, err, store.ErrNotFound)
		history, err := b.store.HistoryList(b.ctx, id)
		require.NoError(t, err)
		require.Empty(t, history)
		for _, task := range tasks {
			_, err := b.store.TaskGet(b.ctx, task.TaskID)
			require.ErrorIs(t, err, store.ErrNotFound)
			logs, err := b.store.TaskLogList(b.ctx, task.TaskID)
			require.NoError(t, err)
			require.Empty(t, logs)
			require.NotContains(t, activeTaskIDs(t, b), task.TaskID)
		}
		due, err := b.store.DueWorkflows(b.ctx, baseTime.Add(24*time.Hour), 100)
		require.NoError(t, err)
		for _, d := range due {
			require.NotEqual(t, id, d.WorkflowID)
		}
		for _, q := range []store.ExecutionQuery{
			{}, {Name: tr.Workflow.WorkflowName}, {CorrelationID: tr.Workflow.CorrelationID},
			{Statuses: []workflow.Status{tr.Workflow.Status}}, {FreeText: "9007199254740993"},
			{SortBy: store.SortEndTime}, {SortBy: store.SortUpdateTime},
		} {
			page, err := b.store.ExecutionSearch(b.ctx, q)
			require.NoError(t, err)
			require.NotContains(t, ids(page.Executions), id, "query %+v", q)
		}
	}

	t.Run("EverythingGone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		active, done := newTask("", 1), newTask("", 2)
		done.Status = workflow.TaskCompleted
		tr := create(t, b, baseTime.Add(time.Minute), active, done)
		other := newTask("", 1)
		trOther := create(t, b, baseTime.Add(time.Minute), other)
		require.NoError(t, b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{
			{TaskID: active.TaskID, Log: "one"}, {TaskID: done.TaskID, Log: "two"}, {TaskID: other.TaskID, Log: "kept"}}))
		// More history and an ended state, so that every index has entries.
		next := update(tr, 1)
		next.Workflow.Status, next.Workflow.EndTime = workflow.StatusFailed, baseTime.UnixMilli()+5
		next.Workflow.ReasonForIncompletion = "boom"
		next.History = []store.Event{{Type: "WORKFLOW_FAILED"}}
		next.Logs = []workflow.TaskExecLog{{TaskID: done.TaskID, Log: "three"}}
		require.NoError(t, b.store.Commit(b.ctx, next))

		require.NoError(t, b.store.ExecutionRemove(b.ctx, tr.Workflow.WorkflowID))
		requireRemoved(t, b, next, active, done)

		// The other execution is untouched.
		requireExecution(t, b, trOther.Workflow, 1, baseTime.Add(time.Minute), other)
		require.Equal(t, []string{other.TaskID}, activeTaskIDs(t, b))
		logs, err := b.store.TaskLogList(b.ctx, other.TaskID)
		require.NoError(t, err)
		require.Len(t, logs, 1)
		history, err := b.store.HistoryList(b.ctx, trOther.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Len(t, history, 1)
		due, err := b.store.DueWorkflows(b.ctx, baseTime.Add(time.Hour), 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		page, err := b.store.ExecutionSearch(b.ctx, store.ExecutionQuery{})
		require.NoError(t, err)
		require.Equal(t, []string{trOther.Workflow.WorkflowID}, ids(page.Executions))
		page, err = b.store.ExecutionSearch(b.ctx, store.ExecutionQuery{FreeText: "9007199254740993"})
		require.NoError(t, err)
		require.Equal(t, []string{trOther.Workflow.WorkflowID}, ids(page.Executions))

		// Removed again: not found.
		require.ErrorIs(t, b.store.ExecutionRemove(b.ctx, tr.Workflow.WorkflowID), store.ErrNotFound)
		require.ErrorIs(t, b.store.ExecutionRemove(b.ctx, "missing"), store.ErrNotFound)

		// Across a restart, too.
		b.restart(t)
		requireRemoved(t, b, next, active, done)
		requireExecution(t, b, trOther.Workflow, 1, baseTime.Add(time.Minute), other)
	})

	t.Run("CommitAfterRemove", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		tr := create(t, b, time.Time{}, task)
		require.NoError(t, b.store.ExecutionRemove(b.ctx, tr.Workflow.WorkflowID))

		// A transition computed before the removal finds nothing to update.
		next := update(tr, 1)
		next.Tasks = []*workflow.Task{task}
		require.ErrorIs(t, b.store.Commit(b.ctx, next), store.ErrNotFound)
		requireRemoved(t, b, tr, task)

		// Creating it again makes a new execution, with none of the old.
		again := &store.Transition{Workflow: newWorkflow(tr.Workflow.WorkflowID)}
		require.NoError(t, b.store.Commit(b.ctx, again))
		requireExecution(t, b, again.Workflow, 1, time.Time{})
		history, err := b.store.HistoryList(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Empty(t, history)
		page, err := b.store.ExecutionSearch(b.ctx, store.ExecutionQuery{Name: "order"})
		require.NoError(t, err)
		require.Equal(t, []string{tr.Workflow.WorkflowID}, ids(page.Executions))
	})

	t.Run("ConcurrentCommits", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// Commits racing a removal: each either comes before it (and is
		// removed with the execution) or after it (and fails with
		// ErrNotFound); none leaves anything behind.
		tr := create(t, b, baseTime.Add(time.Minute))
		var wg sync.WaitGroup
		results := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				next := update(tr, 1)
				next.Workflow = cloneWorkflow(t, next.Workflow)
				next.Workflow.UpdateTime += int64(i)
				next.Tasks = []*workflow.Task{newTask(tr.Workflow.WorkflowID, i+1)}
				next.History = []store.Event{{Type: "TICK"}}
				results <- b.store.Commit(b.ctx, next)
			}()
		}
		require.NoError(t, b.store.ExecutionRemove(b.ctx, tr.Workflow.WorkflowID))
		wg.Wait()
		close(results)
		for err := range results {
			if err != nil {
				require.True(t, isAny(err, store.ErrNotFound, store.ErrConflict), "got %v", err)
			}
		}
		requireRemoved(t, b, tr)
		require.Empty(t, activeTaskIDs(t, b))
	})
}

func isAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
