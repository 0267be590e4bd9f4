package engine_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

func TestExecuteWorkflow(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, work())
	execute := func(refs []string, wait time.Duration) (*engine.ExecuteResult, error) {
		return b.e.ExecuteWorkflow(b.ctx, &engine.ExecuteRequest{
			Start: &workflow.StartRequest{Name: "chain", Input: map[string]any{"x": "in"}}, WaitUntilTaskRefs: refs, Wait: wait,
		})
	}
	// A worker that completes every task it gets.
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", WorkerID: "w", Count: 4, Wait: 50 * time.Millisecond})
			if err != nil {
				return
			}
			for _, task := range tasks {
				b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskCompleted, OutputData: map[string]any{"i": task.InputData["i"]}})
			}
		}
	}()

	res, err := execute(nil, time.Minute)
	require.NoError(t, err)
	require.True(t, res.Reached)
	require.Equal(t, workflow.StatusCompleted, res.Workflow.Status)
	require.Equal(t, map[string]any{"last": json.Number("2")}, res.Workflow.Output)
	require.Len(t, res.Workflow.Tasks, 2)

	// Until s1 completes: the answer comes while s2 may still run.
	res, err = execute([]string{"s1"}, time.Minute)
	require.NoError(t, err)
	require.True(t, res.Reached)
	require.Equal(t, workflow.TaskCompleted, res.Workflow.Tasks[0].Status)

	_, err = execute(nil, 0)
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
	_, err = execute([]string{""}, time.Second)
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
	_, err = b.e.ExecuteWorkflow(b.ctx, &engine.ExecuteRequest{Start: &workflow.StartRequest{Name: "nope"}, Wait: time.Second})
	require.Equal(t, engine.NotFound, engine.CodeOf(err))
}

func TestExecuteWorkflowStopsAtASignalOrTheWait(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	signal := &workflow.WorkflowDef{Name: "approve", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "approval", TaskReferenceName: "approval", Type: "WAIT"},
	}}
	_, err := b.e.RegisterWorkflowDef(b.ctx, signal, true, false)
	require.NoError(t, err)
	res, err := b.e.ExecuteWorkflow(b.ctx, &engine.ExecuteRequest{Start: &workflow.StartRequest{Name: "approve"}, Wait: time.Minute})
	require.NoError(t, err)
	require.True(t, res.Reached, "a WAIT for a signal ends the wait")
	require.Equal(t, workflow.StatusRunning, res.Workflow.Status)
	require.Equal(t, workflow.TaskInProgress, res.Workflow.Tasks[0].Status)

	// Nobody works on "chain": the wait runs out, the execution goes on.
	res, err = b.e.ExecuteWorkflow(b.ctx, &engine.ExecuteRequest{Start: &workflow.StartRequest{Name: "chain"}, Wait: time.Second})
	require.NoError(t, err)
	require.False(t, res.Reached)
	require.Equal(t, workflow.StatusRunning, res.Workflow.Status)
	require.Equal(t, workflow.TaskScheduled, res.Workflow.Tasks[0].Status)
}
