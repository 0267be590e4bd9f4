package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// TestNewInputAndDefinitionAreStored: a rerun's new input and a restart's
// latest definition are what the execution holds after the store is
// reopened, not only in the engine's memory.
func TestNewInputAndDefinitionAreStored(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir, Sync: true})
	require.NoError(t, err)
	b := start(t, st, 1, work())
	id := b.startWF(t, 0)
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "stop"))
	require.NoError(t, b.e.RerunWorkflow(b.ctx, id, &workflow.RerunRequest{WorkflowInput: map[string]any{"x": "again"}}))
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "stop"))

	v2 := &workflow.WorkflowDef{Name: "chain", Version: 2, Tasks: []*workflow.WorkflowTask{
		{Name: "work", TaskReferenceName: "latest", Type: "SIMPLE", InputParameters: map[string]any{"x": "${workflow.input.x}"}},
	}}
	_, err = b.e.RegisterWorkflowDef(b.ctx, v2, false, false)
	require.NoError(t, err)
	require.NoError(t, b.e.RestartWorkflow(b.ctx, id, true))
	b.e.Stop()
	require.NoError(t, st.Close())

	st2, err := badgerstore.Open(badgerstore.Options{Dir: dir, Sync: true})
	require.NoError(t, err)
	t.Cleanup(func() { st2.Close() })
	b2 := start(t, st2, 0, nil)
	w, err := b2.e.Workflow(b2.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"x": "again"}, w.Input)
	require.Equal(t, 2, w.WorkflowVersion)
	require.Equal(t, "latest", w.WorkflowDefinition.Tasks[0].TaskReferenceName)
	require.Len(t, w.Tasks, 1)
	require.Equal(t, "latest", w.Tasks[0].ReferenceTaskName)
	require.Equal(t, "again", w.Tasks[0].InputData["x"])
	require.Equal(t, "latest", w.Tasks[0].WorkflowTask.TaskReferenceName)
}

// TestRerunFromATaskOfASubWorkflow: a rerun of a parent from a task of its
// child reruns the child from that task, and the parent waits for it again.
func TestRerunFromATaskOfASubWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, &workflow.TaskDef{Name: "work", RetryCount: ptr(0)})
	parent := &workflow.WorkflowDef{Name: "parent", Version: 1, Tasks: []*workflow.WorkflowTask{{
		Name: "child", TaskReferenceName: "child", Type: "SUB_WORKFLOW",
		SubWorkflowParam: &workflow.SubWorkflowParams{Name: "chain", Version: ptr(1)},
	}}}
	_, err := b.e.RegisterWorkflowDef(b.ctx, parent, true, false)
	require.NoError(t, err)
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "parent"})
	require.NoError(t, err)
	get := func(id string) *workflow.Workflow {
		t.Helper()
		w, err := b.e.Workflow(b.ctx, id, true)
		require.NoError(t, err)
		return w
	}
	var task *workflow.Task
	require.Eventually(t, func() bool {
		tasks := b.poll(t, 1)
		if len(tasks) == 1 {
			task = tasks[0]
		}
		return task != nil
	}, 10*time.Second, time.Millisecond)
	b.complete(t, task) // s1
	s2 := b.poll(t, 1)[0]
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: s2.TaskID, PollCount: s2.PollCount, Status: workflow.TaskFailedWithTerminalError}))
	require.Eventually(t, func() bool { return get(id).Status == workflow.StatusFailed }, 10*time.Second, time.Millisecond)
	childID := task.WorkflowInstanceID

	// Refusals: new workflow input for the child; a task of no relation.
	err = b.e.RerunWorkflow(b.ctx, id, &workflow.RerunRequest{ReRunFromTaskID: s2.TaskID, WorkflowInput: map[string]any{"x": 1}})
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
	other := b.startWF(t, 0)
	err = b.e.RerunWorkflow(b.ctx, other, &workflow.RerunRequest{ReRunFromTaskID: s2.TaskID})
	require.Equal(t, engine.NotFound, engine.CodeOf(err))
	require.ErrorContains(t, err, "not part of workflow "+other)
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, other, ""))

	require.NoError(t, b.e.RerunWorkflow(b.ctx, id, &workflow.RerunRequest{ReRunFromTaskID: s2.TaskID, TaskInput: map[string]any{"i": 42}}))
	require.Eventually(t, func() bool { return get(id).Status == workflow.StatusRunning }, 10*time.Second, time.Millisecond)
	require.Equal(t, workflow.TaskInProgress, get(id).Tasks[0].Status, "the SUB_WORKFLOW task waits for its child again")
	child := get(childID)
	require.Equal(t, workflow.StatusRunning, child.Status)
	require.Len(t, child.Tasks, 2, "s1 is kept, s2 runs again")
	require.Equal(t, workflow.TaskCompleted, child.Tasks[0].Status)

	again := b.poll(t, 1)[0]
	require.Equal(t, "s2", again.ReferenceTaskName)
	require.Equal(t, map[string]any{"i": 42}, again.InputData)
	b.complete(t, again)
	require.Eventually(t, func() bool { return get(id).Status == workflow.StatusCompleted }, 10*time.Second, time.Millisecond)
}
