package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testLogs covers what is only ever appended: execution history and task
// logs.
func testLogs(t *testing.T, h Harness) {
	setup := setupFunc(h)

	t.Run("HistoryAppendsInOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := create(t, b, time.Time{})
		want := append([]store.Event(nil), tr.History...)
		for v := uint64(1); v <= 12; v++ {
			next := update(tr, v)
			// Times go backwards on purpose: order is the order of commits.
			next.History = []store.Event{
				{Time: 100 - int64(v), Type: "TASK_SCHEDULED", TaskID: fmt.Sprint("t", v)},
				{Time: 100 - int64(v), Type: "TASK_COMPLETED", TaskID: fmt.Sprint("t", v), Detail: "ok"},
			}
			require.NoError(t, b.store.Commit(b.ctx, next))
			want = append(want, next.History...)
		}
		// A commit without history adds none.
		require.NoError(t, b.store.Commit(b.ctx, update(tr, 13)))

		got, err := b.store.HistoryList(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("HistoryPerExecution", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		a := create(t, b, time.Time{})
		c := create(t, b, time.Time{})
		nextA := update(a, 1)
		nextA.History = []store.Event{{Type: "A"}}
		nextC := update(c, 1)
		nextC.History = []store.Event{{Type: "C"}}
		require.NoError(t, b.store.Commit(b.ctx, nextA, nextC))

		got, err := b.store.HistoryList(b.ctx, a.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, append(a.History, nextA.History...), got)
		got, err = b.store.HistoryList(b.ctx, c.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, append(c.History, nextC.History...), got)

		got, err = b.store.HistoryList(b.ctx, "missing")
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("TaskLogAppendInOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task, other := newTask("", 1), newTask("", 2)
		tr := create(t, b, time.Time{}, task, other)

		var want, wantOther []workflow.TaskExecLog
		for i := range 12 {
			// Creation times go backwards on purpose: order is the order of
			// appends.
			line := workflow.TaskExecLog{TaskID: task.TaskID, Log: fmt.Sprint("line ", i), CreatedTime: int64(100 - i)}
			otherLine := workflow.TaskExecLog{TaskID: other.TaskID, Log: fmt.Sprint("other ", i)}
			require.NoError(t, b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{line, otherLine}))
			want, wantOther = append(want, line), append(wantOther, otherLine)
		}

		// Logs in a commit go after those before it.
		next := update(tr, 1)
		next.Logs = []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "committed 1"}, {TaskID: task.TaskID, Log: "committed 2"}}
		require.NoError(t, b.store.Commit(b.ctx, next))
		want = append(want, next.Logs...)
		last := workflow.TaskExecLog{TaskID: task.TaskID, Log: "last"}
		require.NoError(t, b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{last}))
		want = append(want, last)

		got, err := b.store.TaskLogList(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = b.store.TaskLogList(b.ctx, other.TaskID)
		require.NoError(t, err)
		require.Equal(t, wantOther, got)
	})

	t.Run("TaskLogListEmpty", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		got, err := b.store.TaskLogList(b.ctx, "missing")
		require.NoError(t, err)
		require.Empty(t, got)
		require.NoError(t, b.store.TaskLogAppend(b.ctx, nil))
	})

	t.Run("TaskLogAppendNeedsTaskID", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		create(t, b, time.Time{}, task)
		err := b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "a"}, {Log: "no task"}})
		require.Error(t, err)
		got, err := b.store.TaskLogList(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("TaskLogAppendConcurrent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		const writers, lines = 8, 25
		taskID := newID("task")
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for i := range lines {
					line := workflow.TaskExecLog{TaskID: taskID, Log: fmt.Sprint(w, " ", i)}
					if err := b.store.TaskLogAppend(b.ctx, []workflow.TaskExecLog{line}); err != nil {
						errs <- err
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

		got, err := b.store.TaskLogList(b.ctx, taskID)
		require.NoError(t, err)
		require.Len(t, got, writers*lines)
		// Each writer's lines keep their order.
		next := make([]int, writers)
		for _, line := range got {
			var w, i int
			_, err := fmt.Sscan(line.Log, &w, &i)
			require.NoError(t, err)
			require.Equal(t, next[w], i, "writer %d", w)
			next[w]++
		}
	})
}
