package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// TestStartWorkflowWithID: a start under an id that is taken fails with
// AlreadyExists and leaves the execution as it was; the scheduler relies on
// it to fire a slot once.
func TestStartWorkflowWithID(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, &workflow.TaskDef{Name: "work", RetryCount: ptr(0)})
	id, err := b.e.StartWorkflowWithID(b.ctx, &workflow.StartRequest{Name: "chain", Input: map[string]any{"x": "first"}}, "slot-1")
	require.NoError(t, err)
	require.Equal(t, "slot-1", id)

	_, err = b.e.StartWorkflowWithID(b.ctx, &workflow.StartRequest{Name: "chain", Input: map[string]any{"x": "second"}}, "slot-1")
	require.Equal(t, engine.AlreadyExists, engine.CodeOf(err), "%v", err)
	w, err := b.e.Workflow(b.ctx, "slot-1", true)
	require.NoError(t, err)
	require.Equal(t, "first", w.Input["x"])
	require.Len(t, w.Tasks, 1)
	require.Equal(t, 1, b.e.QueueSize("work"), "the refused start queued nothing")

	_, err = b.e.StartWorkflowWithID(b.ctx, &workflow.StartRequest{Name: "chain"}, "")
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
}
