package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
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
