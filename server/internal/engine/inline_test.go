package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// inlineManifest is sdkManifest's plugin run inline.
const inlineManifest = `{"name":"sdk","taskTypes":["SDK_OP"],"inline":true,"limits":{"timeoutMs":300}}`

func sdkOp(ref string, input map[string]any) *workflow.WorkflowTask {
	return &workflow.WorkflowTask{Name: "op", TaskReferenceName: ref, Type: "SDK_OP", InputParameters: input}
}

// TestInlinePluginTasksRunInTheStartCommit: a workflow of three tasks of an
// inline plugin has ended when its start returns, in one commit, with each
// task's output and log.
func TestInlinePluginTasksRunInTheStartCommit(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	_, _, err := b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(inlineManifest))
	require.NoError(t, err)
	b.register(t, "three",
		sdkOp("a", map[string]any{"op": "echo", "x": "${workflow.input.x}"}),
		sdkOp("b", map[string]any{"op": "log"}),
		sdkOp("op", map[string]any{"op": "echo", "x": "${a.output.x}"}))
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "three", Input: map[string]any{"x": "in"}})
	require.NoError(t, err)

	ex, err := b.store.ExecutionGet(b.ctx, id)
	require.NoError(t, err)
	require.EqualValues(t, 1, ex.Version, "the start and the three tasks are one commit")
	w := ex.Workflow
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	require.Equal(t, map[string]any{"echo": "in"}, w.Output)
	require.Len(t, w.Tasks, 3)
	for _, task := range w.Tasks {
		require.Equal(t, workflow.TaskCompleted, task.Status, task.ReferenceTaskName)
		require.Equal(t, "baton-plugin:sdk@1", task.WorkerID)
		require.Equal(t, 1, task.PollCount)
	}
	lines, err := b.e.TaskLogs(b.ctx, w.Tasks[1].TaskID)
	require.NoError(t, err)
	require.NotEmpty(t, lines)
	require.Zero(t, b.e.InProgress("SDK_OP"), "the in-progress count is back where it was")
}

// TestInlinePluginFailuresRetryInline: a failed attempt is retried by the
// task's rules, in the same commit when the retry is due at once.
func TestInlinePluginFailuresRetryInline(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	_, _, err := b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(inlineManifest))
	require.NoError(t, err)
	task := sdkOp("op", map[string]any{"op": "fail"})
	task.TaskDefinition = &workflow.TaskDef{Name: "op", RetryCount: ptr(2), RetryDelaySeconds: ptr(int64(0))}
	b.register(t, "failing", task)
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "failing"})
	require.NoError(t, err)
	ex, err := b.store.ExecutionGet(b.ctx, id)
	require.NoError(t, err)
	require.EqualValues(t, 1, ex.Version)
	require.Equal(t, workflow.StatusFailed, ex.Workflow.Status)
	require.Len(t, ex.Workflow.Tasks, 3, "two retries")
	for _, task := range ex.Workflow.Tasks {
		require.Equal(t, "it went wrong", task.ReasonForIncompletion)
	}
}

// TestInlinePluginLoopGoesOnInTheQueue: a change runs at most 16 tasks
// inline; the loop's later iterations wait in the queue, where the plugin's
// pollers run them.
func TestInlinePluginLoopGoesOnInTheQueue(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	_, _, err := b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(inlineManifest))
	require.NoError(t, err)
	b.register(t, "loop", &workflow.WorkflowTask{Name: "loop", TaskReferenceName: "loop", Type: workflow.TypeDoWhile,
		LoopCondition: "$.loop.iteration < 20", LoopOver: []*workflow.WorkflowTask{sdkOp("op", map[string]any{"op": "echo", "x": 1})}})
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "loop"})
	require.NoError(t, err)
	ex, err := b.store.ExecutionGet(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, ex.Workflow.Status)
	done := 0
	for _, task := range ex.Workflow.Tasks {
		if task.TaskType == "SDK_OP" && task.Status == workflow.TaskCompleted {
			done++
		}
	}
	require.Equal(t, 16, done, "tasks run in the start's commit")
	w := b.endOf(t, id)
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	require.Equal(t, 20, w.Tasks[0].Iteration)
}

// TestInlinePluginTaskWithADomainIsQueued: a task routed to a domain the
// plugin does not serve is for the workers of that domain, not run inline;
// one routed to a domain of the plugin's manifest runs inline.
func TestInlinePluginTaskWithADomainIsQueued(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	_, _, err := b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(`{"name":"sdk","taskTypes":["SDK_OP"],"inline":true,"domains":["green"],"limits":{"timeoutMs":300}}`))
	require.NoError(t, err)
	b.register(t, "one", sdkOp("op", map[string]any{"op": "echo", "x": 1}))
	// A task goes to a domain that a worker polls.
	_, err = b.e.Poll(b.ctx, engine.PollRequest{TaskType: "SDK_OP", Domain: "blue", WorkerID: "outside"})
	require.NoError(t, err)
	for domain, want := range map[string]workflow.TaskStatus{"blue": workflow.TaskScheduled, "green": workflow.TaskCompleted} {
		id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "one", TaskToDomain: map[string]string{"op": domain}})
		require.NoError(t, err)
		ex, err := b.store.ExecutionGet(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, want, ex.Workflow.Tasks[0].Status, domain)
		require.Equal(t, domain, ex.Workflow.Tasks[0].Domain)
		if want == workflow.TaskCompleted {
			require.EqualValues(t, 1, ex.Version, "run in the start's commit, not by a poller")
		}
	}
}

// TestInlinePluginTaskDoesNotJumpTheQueue: a task that waits in its queue
// behind a rate limit is not overtaken by a newer task run inline once the
// limit has room again.
func TestInlinePluginTaskDoesNotJumpTheQueue(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	require.NoError(t, b.e.RegisterTaskDefs(b.ctx, []*workflow.TaskDef{{Name: "SDK_OP", RetryCount: ptr(0),
		RateLimitPerFrequency: ptr(1), RateLimitFrequencyInSeconds: ptr(60)}}))
	_, _, err := b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(inlineManifest))
	require.NoError(t, err)
	b.register(t, "one", sdkOp("op", map[string]any{"op": "echo", "x": 1}))
	status := func(id string) workflow.TaskStatus {
		ex, err := b.store.ExecutionGet(b.ctx, id)
		require.NoError(t, err)
		return ex.Workflow.Tasks[0].Status
	}
	start := func() string {
		id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "one"})
		require.NoError(t, err)
		return id
	}
	require.Equal(t, workflow.TaskCompleted, status(start()), "the window's one task runs inline")
	older := start()
	require.Equal(t, workflow.TaskScheduled, status(older), "the limit holds the second")
	b.clock.Add(time.Minute)
	newer := start()
	require.NotEqual(t, workflow.TaskCompleted, status(newer), "the newer task went ahead of the older one")
	require.Equal(t, workflow.StatusCompleted, b.endOf(t, older).Status)
}
