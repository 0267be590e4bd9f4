package engine_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// startMany starts n executions of "chain" with one idempotency key at
// once, and returns the ids answered and the errors.
func startMany(t *testing.T, b *testBundle, n int, key, strategy string) ([]string, []error) {
	t.Helper()
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ids[i], errs[i] = b.e.StartWorkflow(b.ctx, &workflow.StartRequest{
				Name: "chain", IdempotencyKey: key, IdempotencyStrategy: strategy,
			})
		})
	}
	wg.Wait()
	return ids, errs
}

// withKey returns the executions of "chain" that have the key.
func withKey(t *testing.T, b *testBundle, key string) []*workflow.Workflow {
	t.Helper()
	page, err := b.store.ExecutionSearch(b.ctx, store.ExecutionQuery{Name: "chain", IdempotencyKey: key})
	require.NoError(t, err)
	return page.Executions
}

func TestConcurrentStartsWithOneKeyGiveOneExecution(t *testing.T) {
	t.Parallel()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir(), Sync: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	b := start(t, st, 1, &workflow.TaskDef{Name: "work"})

	ids, errs := startMany(t, b, 50, "order-1", engine.IdempotencyFail)
	var winner string
	for i, err := range errs {
		if err == nil {
			require.Empty(t, winner, "two starts with one key succeeded")
			winner = ids[i]
		}
	}
	require.NotEmpty(t, winner, "no start succeeded")
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *engine.Error
		require.True(t, errors.As(err, &e), "%v", err)
		require.Equal(t, engine.AlreadyExists, e.Code)
		require.Equal(t, engine.IdempotencyConflict{WorkflowID: winner}, e.Details)
		require.Contains(t, e.Msg, `idempotency key "order-1"`)
		require.Contains(t, e.Msg, winner)
	}
	require.Len(t, withKey(t, b, "order-1"), 1)

	// A client retrying a start whose answer it lost gets the same execution.
	ids, errs = startMany(t, b, 50, "order-1", engine.IdempotencyReturnExisting)
	for i := range ids {
		require.NoError(t, errs[i])
		require.Equal(t, winner, ids[i])
	}
	// RETURN_EXISTING starts one when the key is new, and only one.
	ids, errs = startMany(t, b, 50, "order-2", engine.IdempotencyReturnExisting)
	for i := range ids {
		require.NoError(t, errs[i])
		require.Equal(t, ids[0], ids[i])
	}
	require.Len(t, withKey(t, b, "order-2"), 1)
}

func TestIdempotencyStrategies(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, &workflow.TaskDef{Name: "work"})
	begin := func(key, strategy string) (string, error) {
		return b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "chain", IdempotencyKey: key, IdempotencyStrategy: strategy})
	}
	first, err := begin("k", "")
	require.NoError(t, err)

	// FAIL, the default, refuses the key whatever the status.
	_, err = begin("k", "")
	require.Equal(t, engine.AlreadyExists, engine.CodeOf(err))
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, first, "done"))
	_, err = begin("k", engine.IdempotencyFail)
	require.Equal(t, engine.AlreadyExists, engine.CodeOf(err))
	require.ErrorContains(t, err, "TERMINATED")

	// FAIL_ON_RUNNING lets a new execution start once the holder ended...
	second, err := begin("k", engine.IdempotencyFailOnRunning)
	require.NoError(t, err)
	require.NotEqual(t, first, second)
	// ...and refuses while one is running or paused.
	require.NoError(t, b.e.PauseWorkflow(b.ctx, second))
	_, err = begin("k", engine.IdempotencyFailOnRunning)
	require.Equal(t, engine.AlreadyExists, engine.CodeOf(err))
	require.ErrorContains(t, err, "still PAUSED")

	// RETURN_EXISTING answers with the newest holder.
	got, err := begin("k", engine.IdempotencyReturnExisting)
	require.NoError(t, err)
	require.Equal(t, second, got)

	// A key is scoped to a workflow name.
	other := &workflow.WorkflowDef{Name: "other", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "work", TaskReferenceName: "w", Type: "SIMPLE"},
	}}
	_, err = b.e.RegisterWorkflowDef(b.ctx, other, true, false)
	require.NoError(t, err)
	_, err = b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "other", IdempotencyKey: "k"})
	require.NoError(t, err)

	_, err = begin("k", "SOMETIMES")
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
	require.ErrorContains(t, err, `unknown idempotencyStrategy "SOMETIMES"`)
}

func TestStartWorkflowTaskAppliesTheKey(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, &workflow.TaskDef{Name: "work"})
	launcher := &workflow.WorkflowDef{Name: "launcher", Version: 1, Tasks: []*workflow.WorkflowTask{{
		Name: "launch", TaskReferenceName: "launch", Type: "START_WORKFLOW",
		InputParameters: map[string]any{"startWorkflow": map[string]any{
			"name": "chain", "idempotencyKey": "${workflow.input.key}", "idempotencyStrategy": "${workflow.input.strategy}",
		}},
	}}}
	_, err := b.e.RegisterWorkflowDef(b.ctx, launcher, true, false)
	require.NoError(t, err)
	launch := func(strategy string) *workflow.Task {
		id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "launcher", Input: map[string]any{"key": "k", "strategy": strategy}})
		require.NoError(t, err)
		var task *workflow.Task
		require.Eventually(t, func() bool {
			w, err := b.e.Workflow(b.ctx, id, true)
			require.NoError(t, err)
			task = w.Tasks[0]
			return task.Status.Terminal()
		}, 10*time.Second, time.Millisecond)
		return task
	}
	first := launch(engine.IdempotencyReturnExisting)
	require.Equal(t, workflow.TaskCompleted, first.Status)
	again := launch(engine.IdempotencyReturnExisting)
	require.Equal(t, workflow.TaskCompleted, again.Status)
	require.Equal(t, first.OutputData["workflowId"], again.OutputData["workflowId"])
	require.Len(t, withKey(t, b, "k"), 1)

	refused := launch(engine.IdempotencyFail)
	require.Equal(t, workflow.TaskFailedWithTerminalError, refused.Status)
	require.Contains(t, refused.ReasonForIncompletion, `already has idempotency key "k"`)
	require.NotContains(t, refused.OutputData, "workflowId")
}
