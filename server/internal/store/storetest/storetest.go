// Package storetest is the conformance suite of the storage seam: every
// implementation of store.Store runs Run and must pass all of it.
//
// The suite checks what the engine relies on: definitions and their
// versions, event handlers, guarded and atomic commits (a failed guard writes
// nothing), the indexes derived from each commit (active tasks, wake-up
// times), tasks removed with their logs, messages sent and acknowledged once,
// messages moved to and from the dead-letter list once, history and task
// logs kept in order, what survives a restart, and group
// commit under concurrency, executions removed with everything of them,
// plugins (versions, modules kept once per digest, key-value data), and
// searches of executions and of tasks served by indexes that follow every
// change (checked against brute-force filters over random executions and
// tasks; SeedEnv sets their seed), and the count of executions in each
// status. Each
// case gets a fresh store and runs in parallel with the others; nothing
// sleeps.
package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// Harness opens the stores the suite runs against.
type Harness struct {
	// NewStore returns a new, empty store for one case and arranges (with
	// t.Cleanup) for it to be closed; it is called from parallel subtests.
	// Required.
	NewStore func(t *testing.T) store.Store
	// Reopen closes s, a store NewStore returned, and opens its data again
	// as a restart of the server would; it arranges for the new store to be
	// closed. The cleanup of NewStore then closes s a second time, which
	// must do nothing. Nil for a store that keeps nothing across a restart
	// (in memory): the cases that need it are skipped.
	Reopen func(t *testing.T, s store.Store) store.Store
}

// areas are the parts of the suite, by name.
var areas = []struct {
	name string
	run  func(t *testing.T, h Harness)
}{
	{"Commit", testCommit},
	{"Counts", testCounts},
	{"DeadLetters", testDeadLetters},
	{"Definitions", testDefs},
	{"EventHandlers", testEventHandlers},
	{"Execution", testExecution},
	{"ExecutionRemove", testExecutionRemove},
	{"Logs", testLogs},
	{"Messages", testMessages},
	{"Plugins", testPlugins},
	{"Recovery", testRecovery},
	{"Removal", testRemoval},
	{"Schedules", testSchedules},
	{"Search", testSearch},
	{"TaskSearch", testTaskSearch},
}

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	t.Helper()
	require.NotNil(t, h.NewStore, "Harness.NewStore is required")
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			a.run(t, h)
		})
	}
}

// RunArea runs one part of the suite, named as in Run's subtests, such as
// "Search": for a store that runs it again with settings of its own (a
// store whose plans depend on the size of its data, with bounds that reach
// every plan).
func RunArea(t *testing.T, h Harness, name string) {
	t.Helper()
	require.NotNil(t, h.NewStore, "Harness.NewStore is required")
	for _, a := range areas {
		if a.name == name {
			a.run(t, h)
			return
		}
	}
	t.Fatalf("the suite has no area %q", name)
}

// testBundle is what every case starts from.
type testBundle struct {
	ctx    context.Context
	store  store.Store
	reopen func(t *testing.T, s store.Store) store.Store
}

func setupFunc(h Harness) func(t *testing.T) *testBundle {
	return func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{ctx: t.Context(), store: h.NewStore(t), reopen: h.Reopen}
	}
}

// restart closes the store and opens its data again, or skips the rest of
// the case when the store keeps nothing across a restart.
func (b *testBundle) restart(t *testing.T) {
	t.Helper()
	if b.reopen == nil {
		t.Skip("the store keeps nothing across a restart")
	}
	b.store = b.reopen(t, b.store)
}

// baseTime is a fixed instant with millisecond precision, which every store
// keeps exactly (PostgreSQL keeps microseconds).
var baseTime = time.UnixMilli(1_760_000_000_000)

// newID returns a unique execution or task id.
func newID(prefix string) string { return prefix + "-" + uuid.NewString() }

// newWorkflow returns a RUNNING execution record with free-form values that
// must survive a round trip.
func newWorkflow(id string) *workflow.Workflow {
	return &workflow.Workflow{
		WorkflowID:      id,
		WorkflowName:    "order",
		WorkflowVersion: 2,
		Status:          workflow.StatusRunning,
		CorrelationID:   "corr-" + id,
		Priority:        5,
		Input: map[string]any{
			"orderId": json.Number("9007199254740993"), // 2^53+1: lost through float64
			"items":   []any{"a", json.Number("2.5"), map[string]any{"sku": "x"}},
		},
		Output:       map[string]any{},
		Variables:    map[string]any{"count": json.Number("1")},
		TaskToDomain: map[string]string{"*": "blue"},
		CreateTime:   baseTime.UnixMilli(),
		StartTime:    baseTime.UnixMilli(),
		WorkflowDefinition: &workflow.WorkflowDef{
			Name:    "order",
			Version: 2,
			Tasks: []*workflow.WorkflowTask{{
				Name: "charge", TaskReferenceName: "charge_ref", Type: workflow.TypeSimple,
				InputParameters: map[string]any{"limit": json.Number("9007199254740993")},
			}},
			OutputParameters: map[string]any{"paid": "${charge_ref.output.paid}"},
		},
	}
}

// newTask returns a SCHEDULED task of execution wfID with every kind of
// field set.
func newTask(wfID string, seq int) *workflow.Task {
	retries := 2
	return &workflow.Task{
		TaskID:             newID("task"),
		TaskType:           workflow.TypeSimple,
		TaskDefName:        "charge",
		ReferenceTaskName:  "charge_ref",
		Status:             workflow.TaskScheduled,
		WorkflowInstanceID: wfID,
		WorkflowType:       "order",
		WorkflowPriority:   5,
		InputData: map[string]any{
			"amount": json.Number("12345678901234567890"), // beyond int64
			"nested": map[string]any{"ok": true, "ratio": json.Number("0.1"), "none": nil},
			"list":   []any{json.Number("1"), "two"},
		},
		OutputData:             map[string]any{},
		Seq:                    seq,
		RetryCount:             1,
		PollCount:              3,
		ScheduledTime:          baseTime.UnixMilli(),
		StartDelayInSeconds:    0,
		ResponseTimeoutSeconds: 3600,
		QueueWaitTime:          1<<53 + 1,
		FirstScheduledTime:     baseTime.UnixMilli() - 1,
		WorkflowTask: &workflow.WorkflowTask{
			Name:              "charge",
			TaskReferenceName: "charge_ref",
			Type:              workflow.TypeSimple,
			InputParameters:   map[string]any{"amount": "${workflow.input.amount}"},
			RetryCount:        &retries,
		},
	}
}

// create commits a new execution with tasks and returns what was committed.
func create(t *testing.T, b *testBundle, wakeAt time.Time, tasks ...*workflow.Task) *store.Transition {
	t.Helper()
	id := newID("wf")
	for _, task := range tasks {
		task.WorkflowInstanceID = id
	}
	tr := &store.Transition{
		Workflow: newWorkflow(id),
		WakeAt:   wakeAt,
		Tasks:    tasks,
		History:  []store.Event{{Time: baseTime.UnixMilli(), Type: "WORKFLOW_STARTED"}},
	}
	require.NoError(t, b.store.Commit(b.ctx, tr))
	return tr
}

// update returns a transition of the execution from version, changing only
// its update time.
func update(tr *store.Transition, version uint64) *store.Transition {
	w := *tr.Workflow
	w.UpdateTime = baseTime.UnixMilli() + int64(version)
	return &store.Transition{Workflow: &w, Version: version, WakeAt: tr.WakeAt}
}

// requireExecution checks that the stored execution is the committed
// workflow with these tasks, at this version and wake-up time.
func requireExecution(t *testing.T, b *testBundle, w *workflow.Workflow, version uint64, wakeAt time.Time, tasks ...*workflow.Task) {
	t.Helper()
	got, err := b.store.ExecutionGet(b.ctx, w.WorkflowID)
	require.NoError(t, err)
	want := *w
	want.Tasks = tasks
	if want.Tasks == nil {
		want.Tasks = []*workflow.Task{}
	}
	gotW := *got.Workflow
	if gotW.Tasks == nil {
		gotW.Tasks = []*workflow.Task{}
	}
	require.Equal(t, &want, &gotW)
	require.Equal(t, version, got.Version)
	requireTime(t, wakeAt, got.WakeAt)
}

// requireTime checks two instants are the same, zero included.
func requireTime(t *testing.T, want, got time.Time) {
	t.Helper()
	if want.IsZero() {
		require.True(t, got.IsZero(), "want no time, got %v", got)
		return
	}
	require.True(t, want.Equal(got), "want %v, got %v", want, got)
}

// clone returns a deep copy of a task, through JSON as a store would.
func clone(t *testing.T, task *workflow.Task) *workflow.Task {
	t.Helper()
	data, err := json.Marshal(task)
	require.NoError(t, err)
	var c workflow.Task
	require.NoError(t, workflow.Decode(data, &c))
	return &c
}

func activeTaskIDs(t *testing.T, b *testBundle) []string {
	t.Helper()
	var ids []string
	require.NoError(t, b.store.ActiveTasks(b.ctx, func(task *workflow.Task) error {
		ids = append(ids, task.TaskID)
		return nil
	}))
	return ids
}
