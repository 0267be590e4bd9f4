package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// sdkGuest is the Go plugin of the wasm package's tests, built with
// sdk/plugin: inputData.op picks what it does.
func sdkGuest(t *testing.T) []byte {
	return wasmtest.BuildGo(t, "../../../wasm/testdata/sdkguest")
}

// sdkManifest provides the task type SDK_OP and serves the SIMPLE task
// "sdk_work".
const sdkManifest = `{"name":"sdk","taskTypes":["SDK_OP"],"workers":["sdk_work"],"limits":{"timeoutMs":300}}`

// endOf waits until an execution ends and returns it with its tasks.
func (b *testBundle) endOf(t *testing.T, id string) *workflow.Workflow {
	t.Helper()
	var w *workflow.Workflow
	require.Eventually(t, func() bool {
		var err error
		w, err = b.e.Workflow(b.ctx, id, true)
		require.NoError(t, err)
		return w.Status.Terminal()
	}, 20*time.Second, 5*time.Millisecond, "workflow %s did not end", id)
	return w
}

func (b *testBundle) register(t *testing.T, name string, tasks ...*workflow.WorkflowTask) {
	t.Helper()
	_, err := b.e.RegisterWorkflowDef(b.ctx, &workflow.WorkflowDef{Name: name, Version: 1, Tasks: tasks,
		OutputParameters: map[string]any{"echo": "${op.output.x}"}}, true, false)
	require.NoError(t, err)
}

func (b *testBundle) run(t *testing.T, name string, input map[string]any) *workflow.Workflow {
	t.Helper()
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: name, Input: input})
	require.NoError(t, err)
	return b.endOf(t, id)
}

func TestPluginRunsSystemTasksAndWorkerTasks(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	require.NoError(t, b.e.RegisterTaskDefs(b.ctx, []*workflow.TaskDef{{Name: "sdk_work", RetryCount: ptr(0)}}))
	op := &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP",
		InputParameters: map[string]any{"op": "echo", "x": "${workflow.input.x}"}}
	logs := &workflow.WorkflowTask{Name: "sdk_work", TaskReferenceName: "logs", Type: workflow.TypeSimple,
		InputParameters: map[string]any{"op": "log"}}
	_, err := b.e.RegisterWorkflowDef(b.ctx, &workflow.WorkflowDef{Name: "early", Version: 1, Tasks: []*workflow.WorkflowTask{op}}, true, false)
	requireCode(t, engine.InvalidArgument, err, `unknown task type "SDK_OP"`)

	_, _, err = b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(sdkManifest))
	require.NoError(t, err)
	b.register(t, "both", op, logs)
	w := b.run(t, "both", map[string]any{"x": "in"})
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	require.Equal(t, map[string]any{"echo": "in"}, w.Output)
	for _, task := range w.Tasks {
		require.Equal(t, "baton-plugin:sdk@1", task.WorkerID, task.ReferenceTaskName)
	}
	lines, err := b.e.TaskLogs(b.ctx, w.Tasks[1].TaskID)
	require.NoError(t, err)
	var text []string
	for _, l := range lines {
		text = append(text, l.Log)
	}
	require.Contains(t, strings.Join(text, "\n"), "hello world", "the plugin's log is the task's")

	// A failing attempt is retried as the task says, then fails the
	// workflow with the plugin's reason.
	retried := &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP",
		TaskDefinition:  &workflow.TaskDef{Name: "op", RetryCount: ptr(1), RetryDelaySeconds: ptr(int64(0))},
		InputParameters: map[string]any{"op": "fail"}}
	b.register(t, "failing", retried)
	w = b.run(t, "failing", nil)
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Len(t, w.Tasks, 2, "one retry")
	for _, task := range w.Tasks {
		require.Equal(t, workflow.TaskFailed, task.Status)
		require.Equal(t, "it went wrong", task.ReasonForIncompletion)
	}

	// A runaway is stopped at the manifest's deadline; the next task runs
	// on a fresh instance.
	spin := &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP", RetryCount: ptr(0),
		InputParameters: map[string]any{"op": "spin"}}
	b.register(t, "spinning", spin)
	w = b.run(t, "spinning", nil)
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Contains(t, w.Tasks[0].ReasonForIncompletion, "deadline")
	w = b.run(t, "both", map[string]any{"x": "again"})
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
}

func TestPluginHotLoad(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	bin := sdkGuest(t)
	_, _, err := b.e.PutPlugin(b.ctx, bin, []byte(sdkManifest))
	require.NoError(t, err)
	op := &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP",
		InputParameters: map[string]any{"op": "echo", "x": "${workflow.input.x}"}}
	b.register(t, "echo", op)
	require.Equal(t, workflow.StatusCompleted, b.run(t, "echo", map[string]any{"x": 1}).Status)

	// Disabled, the plugin polls nothing: its task waits for anyone who
	// polls the queue, here an external worker.
	_, err = b.e.DisablePlugin(b.ctx, "sdk")
	require.NoError(t, err)
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "echo", Input: map[string]any{"x": 2}})
	require.NoError(t, err)
	tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "SDK_OP", WorkerID: "outside", Count: 1, Wait: 5 * time.Second})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: tasks[0].TaskID, PollCount: tasks[0].PollCount,
		Status: workflow.TaskCompleted, OutputData: map[string]any{"x": "outside"}}))
	require.Equal(t, map[string]any{"echo": "outside"}, b.endOf(t, id).Output)

	// Enabled again, and then replaced by a new version: each change
	// takes effect without a restart.
	_, err = b.e.EnablePlugin(b.ctx, "sdk", 0)
	require.NoError(t, err)
	w := b.run(t, "echo", map[string]any{"x": 3})
	require.Equal(t, "baton-plugin:sdk@1", w.Tasks[0].WorkerID)
	_, _, err = b.e.PutPlugin(b.ctx, bin, []byte(strings.Replace(sdkManifest, `"timeoutMs":300`, `"timeoutMs":400`, 1)))
	require.NoError(t, err)
	w = b.run(t, "echo", map[string]any{"x": 4})
	require.Equal(t, "baton-plugin:sdk@2", w.Tasks[0].WorkerID)
	require.Equal(t, map[string]any{"echo": json.Number("4")}, w.Output)
}

// TestPluginTaskOfAStoppedServerIsHandedBack: a task a plugin ran when
// the engine stopped is not failed by the interruption; the next start
// hands it back at once instead of after its response timeout.
func TestPluginTaskOfAStoppedServerIsHandedBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	require.NoError(t, err)
	b := start(t, st, 0, nil)
	_, _, err = b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(strings.Replace(sdkManifest, `"timeoutMs":300`, `"timeoutMs":5000`, 1)))
	require.NoError(t, err)
	spin := &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP", RetryCount: ptr(0),
		InputParameters: map[string]any{"op": "spin"}}
	b.register(t, "spinning", spin)
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "spinning"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		w, err := b.e.Workflow(b.ctx, id, true)
		require.NoError(t, err)
		return w.Tasks[0].Status == workflow.TaskInProgress
	}, 20*time.Second, time.Millisecond)
	b.e.Stop()
	w, err := b.e.Workflow(context.Background(), id, true)
	require.NoError(t, err)
	// Not failed: still leased, or already handed back if its lease ran
	// out while a loaded machine (CI, under -race) was stopping the engine.
	require.Contains(t, []workflow.TaskStatus{workflow.TaskInProgress, workflow.TaskScheduled}, w.Tasks[0].Status,
		"the interruption is not a failure: %+v", w.Tasks[0])
	require.NoError(t, st.Close())

	st2, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { st2.Close() })
	b2 := start(t, st2, 0, nil)
	w = b2.endOf(t, id)
	require.Len(t, w.Tasks, 1, "handed back, not timed out and retried")
	require.Equal(t, 2, w.Tasks[0].PollCount, "polled again after the restart")
	require.Contains(t, w.Tasks[0].ReasonForIncompletion, "deadline")
}

// TestPluginStopInterruptsRetiredVersions: a version replaced while it runs
// a task finishes it in the background, but the engine's stop interrupts it
// too, waits for it, and leaves the task to be handed back: nothing is
// recorded after Stop returns.
func TestPluginStopInterruptsRetiredVersions(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	bin := sdkGuest(t)
	slow := strings.Replace(sdkManifest, `"timeoutMs":300`, `"timeoutMs":5000`, 1)
	_, _, err := b.e.PutPlugin(b.ctx, bin, []byte(slow))
	require.NoError(t, err)
	b.register(t, "spinning", &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP", RetryCount: ptr(0),
		InputParameters: map[string]any{"op": "spin"}})
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "spinning"})
	require.NoError(t, err)
	task := func() *workflow.Task {
		w, err := b.e.Workflow(context.Background(), id, true)
		require.NoError(t, err)
		return w.Tasks[0]
	}
	require.Eventually(t, func() bool { return task().Status == workflow.TaskInProgress }, 20*time.Second, time.Millisecond)
	_, _, err = b.e.PutPlugin(b.ctx, bin, []byte(sdkManifest)) // version 2 replaces the one running
	require.NoError(t, err)
	b.e.Stop()
	require.Equal(t, workflow.TaskInProgress, task().Status, "the runaway was interrupted, not failed")
	require.Never(t, func() bool { return task().Status != workflow.TaskInProgress }, 5500*time.Millisecond, 50*time.Millisecond,
		"a result recorded after Stop (the deadline is 5 s)")
	_, _, err = b.e.PutPlugin(b.ctx, bin, []byte(slow))
	requireCode(t, engine.Unavailable, err, "the server is stopping")
}

// TestPluginResultTooLargeToRecord: a result the store cannot hold (the
// in-memory store's records are under 1 MiB) fails the attempt with the
// reason, rather than leaving the task leased.
func TestPluginResultTooLargeToRecord(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	_, _, err := b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(`{"name":"sdk","taskTypes":["SDK_OP"],"limits":{"maxOutputBytes":4194304}}`))
	require.NoError(t, err)
	b.register(t, "big", &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP", RetryCount: ptr(0),
		InputParameters: map[string]any{"op": "bigout", "n": 2 << 20}})
	w := b.run(t, "big", nil)
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Contains(t, w.Tasks[0].ReasonForIncompletion, "the plugin's result could not be recorded")
}

// TestPluginServesItsDomains: the server's pollers of a plugin whose
// manifest lists domains serve tasks routed to them (taskToDomain) in both
// roles, and report those domains as polled; a task routed to a domain
// the plugin does not list waits for a worker of that domain.
func TestPluginServesItsDomains(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	require.NoError(t, b.e.RegisterTaskDefs(b.ctx, []*workflow.TaskDef{{Name: "sdk_work", RetryCount: ptr(0)}}))
	_, _, err := b.e.PutPlugin(b.ctx, sdkGuest(t), []byte(`{"name":"sdk","taskTypes":["SDK_OP"],"workers":["sdk_work"],"domains":["blue"],"limits":{"timeoutMs":300}}`))
	require.NoError(t, err)
	b.register(t, "routed",
		&workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP", InputParameters: map[string]any{"op": "echo", "x": "${workflow.input.x}"}},
		&workflow.WorkflowTask{Name: "sdk_work", TaskReferenceName: "work", Type: workflow.TypeSimple, InputParameters: map[string]any{"op": "echo"}})

	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "routed", Input: map[string]any{"x": "blue"},
		TaskToDomain: map[string]string{"*": "blue"}})
	require.NoError(t, err)
	w := b.endOf(t, id)
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	for _, task := range w.Tasks {
		require.Equal(t, "blue", task.Domain, task.ReferenceTaskName)
		require.Equal(t, "baton-plugin:sdk@1", task.WorkerID)
	}
	polled := map[string]bool{}
	for _, p := range b.e.PollData("sdk_work") {
		polled[p.Domain] = true
	}
	require.Equal(t, map[string]bool{"": true, "blue": true}, polled)

	id, err = b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "routed", TaskToDomain: map[string]string{"*": "green"}})
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // the pollers' chance to take it, were they wrong
	w, err = b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, w.Status)
	require.Equal(t, workflow.TaskScheduled, w.Tasks[0].Status, "no poller serves green")
}

// TestPluginKVQuota: a plugin's key-value data is bounded by the
// limits.kvBytes of its active version. A put past it fails the task with
// the reason and changes nothing; the plugin and the server go on.
func TestPluginKVQuota(t *testing.T) {
	t.Parallel()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	b := start(t, st, 0, nil)
	bin := sdkGuest(t)
	_, _, err = b.e.PutPlugin(b.ctx, bin, []byte(`{"name":"sdk","taskTypes":["SDK_OP"],"limits":{"timeoutMs":5000,"kvBytes":20}}`))
	require.NoError(t, err)
	b.register(t, "put", &workflow.WorkflowTask{Name: "op", TaskReferenceName: "op", Type: "SDK_OP", RetryCount: ptr(0),
		InputParameters: map[string]any{"op": "kvput", "key": "${workflow.input.key}", "value": "${workflow.input.value}"}})
	put := func(key, value string) *workflow.Workflow {
		t.Helper()
		return b.run(t, "put", map[string]any{"key": key, "value": value})
	}
	value := func(key string) string {
		t.Helper()
		v, err := st.PluginKVGet(b.ctx, "sdk", key)
		if errors.Is(err, store.ErrNotFound) {
			return "(none)"
		}
		require.NoError(t, err)
		return string(v)
	}

	w := put("k1", "0123456789") // 2+10 bytes of 20
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	w = put("k2", "0123456")
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Equal(t, workflow.TaskFailed, w.Tasks[0].Status)
	require.Equal(t, `kv_put "k2": the plugin's key-value data would be 21 bytes; limits.kvBytes is 20`, w.Tasks[0].ReasonForIncompletion)
	require.Equal(t, "(none)", value("k2"), "the refused put wrote nothing")
	w = put("k1", "0123456789abcdefghi")
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Equal(t, `kv_put "k1": the plugin's key-value data would be 21 bytes; limits.kvBytes is 20`, w.Tasks[0].ReasonForIncompletion)
	require.Equal(t, "0123456789", value("k1"), "the refused put kept the old value")

	// The plugin goes on: a put that fits, a replacement that shrinks.
	w = put("k2", "012345")
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	w = put("k1", "0")
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	require.Equal(t, "0", value("k1"))
	info, err := b.e.Plugin(b.ctx, "sdk", 0)
	require.NoError(t, err)
	require.Equal(t, int64(2+1+2+6), info.KVBytes, "what the plugin's info says it holds")

	// The active version's bound governs.
	_, _, err = b.e.PutPlugin(b.ctx, bin, []byte(`{"name":"sdk","taskTypes":["SDK_OP"],"limits":{"timeoutMs":5000,"kvBytes":40}}`))
	require.NoError(t, err)
	w = put("k3", "0123456789")
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	require.Equal(t, "baton-plugin:sdk@2", w.Tasks[0].WorkerID)
	w = put("k4", "0123456789abcdefgh") // 23 + 20
	require.Equal(t, `kv_put "k4": the plugin's key-value data would be 43 bytes; limits.kvBytes is 40`, w.Tasks[0].ReasonForIncompletion)
}
