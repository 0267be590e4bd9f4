package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// TestRerunFromATaskInAForkBranch: a rerun from the first task of a fork's
// branch, on disk, survives a restart of the engine: the branch's tasks run
// again from it (with the new task input), the other branch's completed
// task is kept and not handed out again, the JOIN waits for the branch and
// the tasks after it run once more.
func TestRerunFromATaskInAForkBranch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir, Sync: true})
	require.NoError(t, err)
	b := start(t, st, 1, work())
	task := func(ref string) *workflow.WorkflowTask {
		return &workflow.WorkflowTask{Name: "work", TaskReferenceName: ref, Type: "SIMPLE", InputParameters: map[string]any{"i": ref}}
	}
	def := &workflow.WorkflowDef{Name: "forked", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "fork", TaskReferenceName: "fork", Type: workflow.TypeForkJoin, ForkTasks: [][]*workflow.WorkflowTask{
			{task("a1"), task("a2")}, {task("b")},
		}},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin, JoinOn: []string{"a2", "b"}},
		task("after"),
	}, OutputParameters: map[string]any{"a2": "${a2.output.i}", "b": "${b.output.i}", "after": "${after.output.i}"}}
	_, err = b.e.RegisterWorkflowDef(b.ctx, def, true, false)
	require.NoError(t, err)
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "forked"})
	require.NoError(t, err)

	polled := map[string]*workflow.Task{}
	for _, x := range b.poll(t, 10) {
		polled[x.ReferenceTaskName] = x
	}
	require.Len(t, polled, 2)
	b.complete(t, polled["b"])
	b.complete(t, polled["a1"])
	a2 := b.poll(t, 10)
	require.Len(t, a2, 1)
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: a2[0].TaskID, PollCount: a2[0].PollCount, Status: workflow.TaskFailedWithTerminalError}))
	require.Equal(t, workflow.StatusFailed, waitEnd(t, b.e, id).Status)

	require.NoError(t, b.e.RerunWorkflow(b.ctx, id, &workflow.RerunRequest{ReRunFromTaskID: polled["a1"].TaskID, TaskInput: map[string]any{"i": "a1 fixed"}}))
	b.e.Stop()
	require.NoError(t, st.Close())

	st2, err := badgerstore.Open(badgerstore.Options{Dir: dir, Sync: true})
	require.NoError(t, err)
	t.Cleanup(func() { st2.Close() })
	b = start(t, st2, 0, nil)
	w, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, w.Status)
	var refs []string
	for _, x := range w.Tasks {
		refs = append(refs, x.ReferenceTaskName+":"+string(x.Status))
	}
	require.Equal(t, []string{"fork:COMPLETED", "b:COMPLETED", "join:IN_PROGRESS", "a1:SCHEDULED"}, refs)
	require.Equal(t, polled["b"].TaskID, w.Tasks[1].TaskID, "the other branch's task is kept")

	for _, want := range []string{"a1 fixed", "a2", "after"} {
		got := b.poll(t, 10)
		require.Len(t, got, 1, "one task at a time, and never b")
		require.Equal(t, want, got[0].InputData["i"])
		b.complete(t, got[0])
	}
	w = waitEnd(t, b.e, id)
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	require.Equal(t, map[string]any{"a2": "a2", "b": "b", "after": "after"}, w.Output)
	require.Empty(t, b.poll(t, 10))
	history, err := b.store.HistoryList(b.ctx, id)
	require.NoError(t, err)
	var types []string
	for _, h := range history {
		types = append(types, h.Type)
	}
	require.Contains(t, types, "WORKFLOW_RERUN")
}
