package storetest

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

func testExecution(t *testing.T, h Harness) {
	setup := setupFunc(h)

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := b.store.ExecutionGet(b.ctx, "missing")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		wakeAt := baseTime.Add(time.Minute)
		task := newTask("", 1)
		tr := create(t, b, wakeAt, task)
		requireExecution(t, b, tr.Workflow, 1, wakeAt, task)
	})

	t.Run("SnapshotAndInputKeptFromCreate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := create(t, b, time.Time{})
		wantDef, wantInput := tr.Workflow.WorkflowDefinition, tr.Workflow.Input
		next := update(tr, 1)
		next.Workflow.WorkflowDefinition = &workflow.WorkflowDef{Name: "other", Version: 9}
		next.Workflow.Input = map[string]any{"other": "input"}
		require.NoError(t, b.store.Commit(b.ctx, next))
		require.NoError(t, b.store.Commit(b.ctx, update(tr, 2)))
		got, err := b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, wantDef, got.Workflow.WorkflowDefinition, "the snapshot is the one the execution started with")
		require.Equal(t, wantInput, got.Workflow.Input, "the input is the one the execution started with")
		require.Equal(t, uint64(3), got.Version)
	})

	t.Run("InputChanged", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := create(t, b, time.Time{})
		wantDef := tr.Workflow.WorkflowDefinition
		next := update(tr, 1)
		next.Workflow.Input = map[string]any{"rerun": "with new input", "n": json.Number("9007199254740993")}
		next.Workflow.WorkflowDefinition = &workflow.WorkflowDef{Name: "other", Version: 9}
		next.InputChanged = true
		require.NoError(t, b.store.Commit(b.ctx, next))
		got, err := b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, next.Workflow.Input, got.Workflow.Input, "the new input is stored")
		require.Equal(t, wantDef, got.Workflow.WorkflowDefinition, "the snapshot is still the one the execution started with")

		// Later transitions keep it.
		later := update(tr, 2)
		later.Workflow.Input = map[string]any{"ignored": true}
		require.NoError(t, b.store.Commit(b.ctx, later))
		got, err = b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, next.Workflow.Input, got.Workflow.Input)

		// A transition without a workflow has no input to change.
		require.Error(t, b.store.Commit(b.ctx, &store.Transition{InputChanged: true, Ack: []string{"m"}}))
	})

	t.Run("DefinitionChanged", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := create(t, b, time.Time{})
		wantInput := tr.Workflow.Input
		next := update(tr, 1)
		newDef := &workflow.WorkflowDef{Name: tr.Workflow.WorkflowName, Version: 2, Tasks: []*workflow.WorkflowTask{
			{Name: "t", TaskReferenceName: "latest", Type: "SIMPLE"},
		}}
		next.Workflow.WorkflowDefinition = newDef
		next.Workflow.WorkflowVersion = 2
		next.DefinitionChanged = true
		task := newTask(tr.Workflow.WorkflowID, 1)
		task.ReferenceTaskName = "latest"
		task.WorkflowTask = newDef.Tasks[0]
		next.Tasks = []*workflow.Task{task}
		require.NoError(t, b.store.Commit(b.ctx, next))
		got, err := b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, newDef, got.Workflow.WorkflowDefinition, "the new snapshot is stored")
		require.Equal(t, wantInput, got.Workflow.Input, "the input is kept")
		require.Equal(t, newDef.Tasks[0], got.Workflow.Tasks[0].WorkflowTask, "a task of the new snapshot reads back with its workflow task")

		// Later transitions keep it.
		later := update(tr, 2)
		later.Workflow.WorkflowDefinition = &workflow.WorkflowDef{Name: "ignored", Version: 7}
		require.NoError(t, b.store.Commit(b.ctx, later))
		got, err = b.store.ExecutionGet(b.ctx, tr.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, newDef, got.Workflow.WorkflowDefinition)

		bad := update(tr, 3)
		bad.Workflow.WorkflowDefinition = nil
		bad.DefinitionChanged = true
		require.Error(t, b.store.Commit(b.ctx, bad), "a changed definition must be given")
		require.Error(t, b.store.Commit(b.ctx, &store.Transition{DefinitionChanged: true, Ack: []string{"m"}}))
	})

	t.Run("TaskOfTheDefinitionReadBack", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		id := newID("wf")
		w := newWorkflow(id)
		task := newTask(id, 1)
		// The task's workflow task is the snapshot's own, as the engine
		// schedules it; a store may keep it once.
		task.WorkflowTask = w.WorkflowDefinition.Tasks[0]
		task.ReferenceTaskName = task.WorkflowTask.TaskReferenceName
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Workflow: w, Tasks: []*workflow.Task{task}}))

		got, err := b.store.ExecutionGet(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, task, got.Workflow.Tasks[0])
		one, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Equal(t, task, one)
		var active []*workflow.Task
		require.NoError(t, b.store.ActiveTasks(b.ctx, func(t *workflow.Task) error { active = append(active, t); return nil }))
		require.Equal(t, []*workflow.Task{task}, active)
	})

	t.Run("LoopIterationReadBack", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// The tasks of a DO_WHILE's body run once per iteration, named
		// ref__N (ref__N__M in a nested loop), with the workflow task of the
		// snapshot named ref.
		id := newID("wf")
		w := newWorkflow(id)
		def := w.WorkflowDefinition
		leaf := &workflow.WorkflowTask{Name: "leaf", TaskReferenceName: "leaf_ref", Type: workflow.TypeSimple,
			InputParameters: map[string]any{"i": "${inner_ref.output.iteration}"}}
		inner := &workflow.WorkflowTask{Name: "inner", TaskReferenceName: "inner_ref", Type: workflow.TypeDoWhile,
			LoopCondition: "false", LoopOver: []*workflow.WorkflowTask{leaf}}
		body := &workflow.WorkflowTask{Name: "body", TaskReferenceName: "body_ref", Type: workflow.TypeSimple,
			InputParameters: map[string]any{"n": json.Number("9007199254740993")}}
		loop := &workflow.WorkflowTask{Name: "loop", TaskReferenceName: "loop_ref", Type: workflow.TypeDoWhile,
			LoopCondition: "false", LoopOver: []*workflow.WorkflowTask{body, inner}}
		def.Tasks = append(def.Tasks, loop)

		runs := func(seq int, ref string, wt *workflow.WorkflowTask) *workflow.Task {
			task := newTask(id, seq)
			task.ReferenceTaskName, task.TaskDefName, task.WorkflowTask = ref, wt.Name, wt
			return task
		}
		// A task named like an iteration whose workflow task is its own,
		// not the snapshot's, keeps its own.
		ownWT := *def.Tasks[0]
		ownWT.InputParameters = map[string]any{"limit": "changed at run time"}
		tasks := []*workflow.Task{
			runs(1, "loop_ref", loop),
			runs(2, "body_ref__1", body),
			runs(3, "inner_ref__1", inner),
			runs(4, "leaf_ref__1__1", leaf),
			runs(5, "body_ref__2", body),
			runs(6, "leaf_ref__2__3", leaf),
			runs(7, "charge_ref__2", &ownWT),
		}
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Workflow: w, Tasks: tasks}))

		got, err := b.store.ExecutionGet(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, tasks, got.Workflow.Tasks)
		for _, task := range tasks {
			one, err := b.store.TaskGet(b.ctx, task.TaskID)
			require.NoError(t, err)
			require.Equal(t, task, one)
		}
		var active []*workflow.Task
		require.NoError(t, b.store.ActiveTasks(b.ctx, func(t *workflow.Task) error { active = append(active, t); return nil }))
		require.Equal(t, tasks, active)
	})

	t.Run("CreateWithoutTasks", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := create(t, b, time.Time{})
		requireExecution(t, b, tr.Workflow, 1, time.Time{})
	})

	t.Run("WorkflowTasksFieldIgnored", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		id := newID("wf")
		w := newWorkflow(id)
		w.Tasks = []*workflow.Task{newTask(id, 7)}
		task := newTask(id, 1)
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Workflow: w, Tasks: []*workflow.Task{task}}))

		got, err := b.store.ExecutionGet(b.ctx, id)
		require.NoError(t, err)
		require.Equal(t, []*workflow.Task{task}, got.Workflow.Tasks)
		_, err = b.store.TaskGet(b.ctx, w.Tasks[0].TaskID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("TasksSortedBySeq", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// Written out of order and across commits; 10 must follow 9.
		t3, t1, t10 := newTask("", 3), newTask("", 1), newTask("", 10)
		tr := create(t, b, time.Time{}, t3, t10, t1)
		t9, t2 := newTask(tr.Workflow.WorkflowID, 9), newTask(tr.Workflow.WorkflowID, 2)
		next := update(tr, 1)
		next.Tasks = []*workflow.Task{t9, t2}
		require.NoError(t, b.store.Commit(b.ctx, next))

		requireExecution(t, b, next.Workflow, 2, time.Time{}, t1, t2, t3, t9, t10)
	})

	t.Run("TaskFieldsIntact", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		task.Status = workflow.TaskInProgress
		task.OutputData = map[string]any{"big": "x", "deep": map[string]any{"list": []any{[]any{}, map[string]any{}}}}
		task.ReasonForIncompletion = "because"
		task.Retried, task.Executed, task.CallbackFromWorker = true, true, true
		task.WorkerID, task.Domain, task.IsolationGroupID = "worker-1", "blue", "iso"
		task.StartTime, task.EndTime, task.UpdateTime = math.MaxInt64, math.MinInt64, 1
		task.CallbackAfterSeconds = 1 << 62
		task.RateLimitPerFrequency, task.RateLimitFrequencyInSeconds = 10, 60
		task.Iteration, task.SubWorkflowID, task.ParentTaskID = 4, "sub", "parent"
		task.RetriedTaskID, task.TimeoutAlerted = "prev", true
		retries := 0
		task.TaskDefinition = &workflow.TaskDef{Name: "charge", RetryCount: &retries}
		want := clone(t, task)

		tr := create(t, b, time.Time{}, task)
		want.WorkflowInstanceID = tr.Workflow.WorkflowID
		requireExecution(t, b, tr.Workflow, 1, time.Time{}, want)
		got, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("TaskUpdateReplaces", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		tr := create(t, b, time.Time{}, task)

		changed := clone(t, task)
		changed.Status = workflow.TaskCompleted
		changed.OutputData = map[string]any{"receipt": "r-1"}
		next := update(tr, 1)
		next.Tasks = []*workflow.Task{changed}
		require.NoError(t, b.store.Commit(b.ctx, next))

		requireExecution(t, b, next.Workflow, 2, time.Time{}, changed)
		got, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Equal(t, changed, got)
	})

	t.Run("TaskGetAcrossExecutions", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		a1, a2 := newTask("", 1), newTask("", 2)
		b1 := newTask("", 1)
		trA := create(t, b, time.Time{}, a1, a2)
		trB := create(t, b, time.Time{}, b1)

		for _, c := range []struct {
			task *workflow.Task
			wfID string
		}{{a1, trA.Workflow.WorkflowID}, {a2, trA.Workflow.WorkflowID}, {b1, trB.Workflow.WorkflowID}} {
			got, err := b.store.TaskGet(b.ctx, c.task.TaskID)
			require.NoError(t, err)
			require.Equal(t, c.task, got)
			require.Equal(t, c.wfID, got.WorkflowInstanceID)
		}

		_, err := b.store.TaskGet(b.ctx, "missing")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("TaskIDTakenByOtherExecution", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		create(t, b, time.Time{}, task)

		stolen := clone(t, task)
		stolen.WorkflowInstanceID = ""
		other := &store.Transition{Workflow: newWorkflow(newID("wf")), Tasks: []*workflow.Task{stolen}}
		require.ErrorIs(t, b.store.Commit(b.ctx, other), store.ErrExists)
		_, err := b.store.ExecutionGet(b.ctx, other.Workflow.WorkflowID)
		require.ErrorIs(t, err, store.ErrNotFound)
		got, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Equal(t, task, got)
	})

	t.Run("TaskSeqChanged", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// A task is one record per id, wherever its Seq puts it.
		task, other := newTask("", 1), newTask("", 2)
		tr := create(t, b, time.Time{}, task, other)
		moved := clone(t, task)
		moved.Seq = 3
		next := update(tr, 1)
		next.Tasks = []*workflow.Task{moved}
		require.NoError(t, b.store.Commit(b.ctx, next))

		requireExecution(t, b, next.Workflow, 2, time.Time{}, other, moved)
		got, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Equal(t, moved, got)
		require.ElementsMatch(t, []string{task.TaskID, other.TaskID}, activeTaskIDs(t, b))
	})

	t.Run("WorkflowFieldsUpdated", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		tr := create(t, b, time.Time{})
		w := *tr.Workflow
		w.Status = workflow.StatusCompleted
		w.Output = map[string]any{"total": "9007199254740993"}
		w.EndTime = baseTime.UnixMilli() + 1000
		w.ReasonForIncompletion = ""
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Workflow: &w, Version: 1}))

		requireExecution(t, b, &w, 2, time.Time{})
	})
}
