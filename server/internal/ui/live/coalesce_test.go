package live

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

func change(seq, version uint64, wf string, status workflow.Status, tasks ...engine.TaskSummary) *engine.Change {
	return &engine.Change{Seq: seq, Version: version, Workflow: engine.WorkflowSummary{WorkflowID: wf, Status: status}, Tasks: tasks}
}

func task(id string, status workflow.TaskStatus) engine.TaskSummary {
	return engine.TaskSummary{TaskID: id, Status: status}
}

func TestCoalesce(t *testing.T) {
	t.Parallel()
	running, done := workflow.StatusRunning, workflow.StatusCompleted
	t.Run("an execution's changes merge into one delta, the latest state of each task", func(t *testing.T) {
		s := &stream{execution: true, epoch: "e", version: 3}
		out := s.coalesce([]*engine.Change{
			change(10, 3, "w", running, task("a", workflow.TaskInProgress)), // the snapshot has it
			change(11, 4, "w", running, task("a", workflow.TaskCompleted), task("b", workflow.TaskScheduled)),
			change(12, 5, "w", running, task("b", workflow.TaskInProgress)),
			change(13, 6, "w", done, task("b", workflow.TaskCompleted)),
		})
		require.Len(t, out, 1)
		m := out[0]
		require.Equal(t, uint64(13), m.Seq)
		require.Equal(t, uint64(11), m.first)
		require.Equal(t, 3, m.Merged)
		require.Equal(t, uint64(6), m.Version)
		require.Equal(t, done, m.Workflow.Status)
		require.Equal(t, []engine.TaskSummary{task("a", workflow.TaskCompleted), task("b", workflow.TaskCompleted)}, m.Tasks)
	})
	t.Run("removed tasks leave the merged delta", func(t *testing.T) {
		s := &stream{execution: true}
		c := change(21, 2, "w", running, task("c", workflow.TaskScheduled))
		c.RemovedTasks = []string{"a"}
		out := s.coalesce([]*engine.Change{change(20, 1, "w", running, task("a", workflow.TaskScheduled), task("b", workflow.TaskScheduled)), c})
		require.Equal(t, []engine.TaskSummary{task("b", workflow.TaskScheduled), task("c", workflow.TaskScheduled)}, out[0].Tasks)
		require.Equal(t, []string{"a"}, out[0].RemovedTasks)
	})
	t.Run("summaries of several executions: one delta each, at its last change", func(t *testing.T) {
		s := &stream{}
		out := s.coalesce([]*engine.Change{
			change(1, 1, "x", running, task("a", workflow.TaskScheduled)),
			change(2, 1, "y", running),
			change(3, 2, "x", done),
			change(4, 2, "y", workflow.StatusFailed),
			change(5, 1, "z", running),
		})
		var seqs []uint64
		for _, m := range out {
			seqs = append(seqs, m.Seq)
			require.Empty(t, m.Tasks, "summaries only")
		}
		require.Equal(t, []uint64{3, 4, 5}, seqs, "sequence numbers still grow")
		require.Equal(t, done, out[0].Workflow.Status)
		require.Equal(t, 2, out[0].Merged)
		require.Equal(t, workflow.StatusFailed, out[1].Workflow.Status)
	})
	t.Run("changes the snapshot holds send nothing", func(t *testing.T) {
		s := &stream{execution: true, version: 9}
		require.Empty(t, s.coalesce([]*engine.Change{change(7, 8, "w", running), change(8, 9, "w", running)}))
	})
}
