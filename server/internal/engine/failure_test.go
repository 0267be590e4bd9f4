package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
)

// TestFailureWorkflow: an execution that fails or times out starts its
// definition's failureWorkflow with Conductor's input and names it in its
// output; one terminated by hand starts none.
func TestFailureWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	require.NoError(t, b.e.RegisterTaskDefs(b.ctx, []*workflow.TaskDef{{Name: "work", RetryCount: ptr(0)}}))
	register := func(def *workflow.WorkflowDef) {
		t.Helper()
		_, err := b.e.RegisterWorkflowDef(b.ctx, def, true, false)
		require.NoError(t, err)
	}
	register(&workflow.WorkflowDef{Name: "cleanup", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "cleanup", TaskReferenceName: "note", Type: "SET_VARIABLE", InputParameters: map[string]any{"of": "${workflow.input.workflowId}"}},
	}})
	register(&workflow.WorkflowDef{
		Name: "fragile", Version: 1, FailureWorkflow: "${workflow.input.handler}", TimeoutSeconds: 60, TimeoutPolicy: "TIME_OUT_WF",
		Tasks: []*workflow.WorkflowTask{{Name: "work", TaskReferenceName: "w", Type: "SIMPLE"}},
	})
	begin := func(handler string) string {
		t.Helper()
		id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{
			Name: "fragile", CorrelationID: "order-9", Input: map[string]any{"handler": handler},
		})
		require.NoError(t, err)
		return id
	}
	get := func(id string) *workflow.Workflow {
		t.Helper()
		w, err := b.e.Workflow(b.ctx, id, true)
		require.NoError(t, err)
		return w
	}

	// A task fails: the failure workflow starts.
	id := begin("cleanup")
	task := b.poll(t, 1)[0]
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{
		TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskFailedWithTerminalError, ReasonForIncompletion: "card declined",
	}))
	failed := get(id)
	require.Equal(t, workflow.StatusFailed, failed.Status)
	handlerID, ok := failed.Output[decider.FailureWorkflowOutput].(string)
	require.True(t, ok, "output: %v", failed.Output)
	var handler *workflow.Workflow
	require.Eventually(t, func() bool {
		h, err := b.e.Workflow(b.ctx, handlerID, true)
		handler = h
		return err == nil && h.Status == workflow.StatusCompleted
	}, 10*time.Second, time.Millisecond)
	require.Equal(t, "cleanup", handler.WorkflowName)
	require.Equal(t, "order-9", handler.CorrelationID)
	require.Empty(t, handler.ParentWorkflowID, "a failure workflow is not a child")
	in := handler.Input
	require.Equal(t, id, in["workflowId"])
	require.Equal(t, "FAILED", in["failureStatus"])
	require.Equal(t, task.TaskID, in["failureTaskId"])
	require.Contains(t, in["reason"], "card declined")
	fw := in["failedWorkflow"].(map[string]any)
	require.Equal(t, id, fw["workflowId"])
	require.Len(t, fw["tasks"], 1)
	require.Equal(t, map[string]any{"of": id}, handler.Variables)

	// The workflow times out: it starts too.
	id = begin("cleanup")
	b.clock.Add(61 * time.Second)
	require.True(t, b.e.FireDue(b.ctx))
	timedOut := get(id)
	require.Equal(t, workflow.StatusTimedOut, timedOut.Status)
	require.NotEmpty(t, timedOut.Output[decider.FailureWorkflowOutput])

	// Terminated by hand: none starts.
	id = begin("cleanup")
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "not needed"))
	require.NotContains(t, get(id).Output, decider.FailureWorkflowOutput)

	// A failure workflow that cannot start: the output says why.
	id = begin("no_such_workflow")
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "")) // a terminate starts nothing...
	require.NoError(t, b.e.RetryWorkflow(b.ctx, id, false))
	task = b.poll(t, 1)[0]
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{
		TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskFailedWithTerminalError,
	}))
	require.Eventually(t, func() bool {
		out, _ := get(id).Output[decider.FailureWorkflowOutput].(string)
		return out != "" && out[0] == 'E'
	}, 10*time.Second, time.Millisecond)
	out := get(id).Output[decider.FailureWorkflowOutput].(string)
	require.Contains(t, out, "Error workflow ${workflow.input.handler} failed to start. reason: ")
	require.Contains(t, out, "no_such_workflow")
}
