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
	b.completeAll(t, func(task *workflow.Task) map[string]any { return map[string]any{"i": task.InputData["i"]} })

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

// The workflow that ExecuteWorkflow returns when the execution ends is the
// one the ending commit handed over, not a read of the store: it must be
// the stored one, field for field.
func TestExecuteWorkflowReturnsTheStoredExecution(t *testing.T) {
	t.Parallel()
	b := setup(t, 3, work())
	b.completeAll(t, func(task *workflow.Task) map[string]any {
		return map[string]any{"i": task.InputData["i"], "n": 7, "list": []any{1.5, "x", map[string]any{"deep": true}}}
	})
	for range 5 {
		res, err := b.e.ExecuteWorkflow(b.ctx, &engine.ExecuteRequest{
			Start: &workflow.StartRequest{Name: "chain", Input: map[string]any{"x": "in", "n": 3}, CorrelationID: "c"}, Wait: time.Minute,
		})
		require.NoError(t, err)
		require.True(t, res.Reached)
		require.Equal(t, workflow.StatusCompleted, res.Workflow.Status)
		b.requireStored(t, res.Workflow)
	}
}

// An execution of system tasks only ends in its start decision: the start
// hands it over to ExecuteWorkflow, which watched it from before. A second
// start with the same idempotency key waits for, and returns, the first.
func TestExecuteWorkflowOfSystemTasksAndAnIdempotentRepeat(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	def := &workflow.WorkflowDef{Name: "sets", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "a", TaskReferenceName: "a", Type: workflow.TypeSetVariable, InputParameters: map[string]any{"x": "${workflow.input.x}"}},
		{Name: "b", TaskReferenceName: "b", Type: workflow.TypeSetVariable, InputParameters: map[string]any{"y": 2}},
	}}
	_, err := b.e.RegisterWorkflowDef(b.ctx, def, true, false)
	require.NoError(t, err)
	start := &workflow.StartRequest{Name: "sets", Input: map[string]any{"x": "in"}, IdempotencyKey: "k", IdempotencyStrategy: engine.IdempotencyReturnExisting}
	res, err := b.e.ExecuteWorkflow(b.ctx, &engine.ExecuteRequest{Start: start, Wait: time.Minute})
	require.NoError(t, err)
	require.True(t, res.Reached)
	require.Equal(t, workflow.StatusCompleted, res.Workflow.Status)
	require.Equal(t, map[string]any{"x": "in", "y": json.Number("2")}, res.Workflow.Variables)
	b.requireStored(t, res.Workflow)

	again, err := b.e.ExecuteWorkflow(b.ctx, &engine.ExecuteRequest{Start: start, Wait: time.Minute})
	require.NoError(t, err)
	require.True(t, again.Reached)
	require.Equal(t, res.Workflow.WorkflowID, again.Workflow.WorkflowID)
	require.Equal(t, workflow.StatusCompleted, again.Workflow.Status)
}

// completeAll runs a worker until the test ends: it completes every "work"
// task it gets with the output that output gives.
func (b *testBundle) completeAll(t *testing.T, output func(*workflow.Task) map[string]any) {
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
				b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskCompleted, OutputData: output(task)})
			}
		}
	}()
}

// requireStored checks that w is the stored execution, field for field.
func (b *testBundle) requireStored(t *testing.T, w *workflow.Workflow) {
	t.Helper()
	stored, err := b.e.Workflow(b.ctx, w.WorkflowID, true)
	require.NoError(t, err)
	got, err := json.Marshal(w)
	require.NoError(t, err)
	want, err := json.Marshal(stored)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))
}
