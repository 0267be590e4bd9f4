package decider

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

func simple(ref string, in map[string]any) *workflow.WorkflowTask {
	return &workflow.WorkflowTask{Name: "work", TaskReferenceName: ref, Type: workflow.TypeSimple, InputParameters: in}
}

func fork(ref string, branches ...[]*workflow.WorkflowTask) []*workflow.WorkflowTask {
	return []*workflow.WorkflowTask{
		{Name: "fork", TaskReferenceName: ref, Type: workflow.TypeForkJoin, ForkTasks: branches},
		{Name: "join", TaskReferenceName: ref + "_join", Type: workflow.TypeJoin},
	}
}

func loop(ref string, items []any, body ...*workflow.WorkflowTask) *workflow.WorkflowTask {
	return &workflow.WorkflowTask{Name: "loop", TaskReferenceName: ref, Type: workflow.TypeDoWhile, Items: items, LoopOver: body}
}

func flow(out map[string]any, tasks ...*workflow.WorkflowTask) *workflow.WorkflowDef {
	return &workflow.WorkflowDef{Name: "nested", Version: 1, Tasks: tasks, OutputParameters: out}
}

func concat(lists ...[]*workflow.WorkflowTask) []*workflow.WorkflowTask {
	var out []*workflow.WorkflowTask
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// drive completes the scheduled tasks, first scheduled first, each with
// output v = "<ref> again", until the workflow ends, and returns the
// references it completed. A RUNNING workflow with no task to hand out
// (nothing would ever move it) fails the test.
func (b *bundle) drive(at time.Duration) []string {
	b.t.Helper()
	var ran []string
	for n := 0; b.w.Status == workflow.StatusRunning; n++ {
		require.Less(b.t, n, 100, "the workflow does not end")
		var next *workflow.Task
		for _, t := range b.w.Tasks {
			if t.Status == workflow.TaskScheduled {
				next = t
				break
			}
		}
		require.NotNil(b.t, next, "RUNNING with no task to run: %v", b.statuses())
		b.finishTask(at, next.ReferenceTaskName, workflow.TaskCompleted, map[string]any{"v": next.ReferenceTaskName + " again"})
		ran = append(ran, next.ReferenceTaskName)
	}
	return ran
}

func out(ref string) map[string]any { return map[string]any{"v": ref} }

func TestRerunFromANestedTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		def  *workflow.WorkflowDef
		// prepare runs the execution to its end and returns the task to
		// rerun from.
		prepare   func(b *bundle) *workflow.Task
		taskInput map[string]any
		// wantRerun is every task right after the rerun.
		wantRerun []string
		// wantRan are the tasks completed, in order, to end the workflow.
		wantRan    []string
		wantOutput map[string]any
		check      func(t *testing.T, b *bundle, before map[string]*workflow.Task)
	}{
		{
			name: "a task in a fork branch, the other branch completed",
			def: flow(map[string]any{"a2": "${a2.output.v}", "b": "${b.output.v}", "after": "${after.output.v}"},
				concat(fork("fork", []*workflow.WorkflowTask{simple("a1", nil), simple("a2", nil)}, []*workflow.WorkflowTask{simple("b", nil)}),
					[]*workflow.WorkflowTask{simple("after", nil)})...),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				b.finishTask(0, "b", workflow.TaskCompleted, out("b"))
				b.finishTask(0, "a1", workflow.TaskCompleted, out("a1"))
				b.finishTask(0, "a2", workflow.TaskFailed, nil)
				return b.task("a1") // seq 2: b, seq 3, comes after it by seq, not by the flow
			},
			taskInput:  map[string]any{"x": "fixed"},
			wantRerun:  []string{"fork:COMPLETED", "b:COMPLETED", "fork_join:IN_PROGRESS", "a1:SCHEDULED"},
			wantRan:    []string{"a1", "a2", "after"},
			wantOutput: map[string]any{"a2": "a2 again", "b": "b", "after": "after again"},
			check: func(t *testing.T, b *bundle, before map[string]*workflow.Task) {
				require.Same(t, before["b"], b.task("b"), "the other branch is kept")
				require.Same(t, before["fork_join"], b.task("fork_join"), "the JOIN waited again")
				require.Equal(t, map[string]any{"a2": map[string]any{"v": "a2 again"}, "b": map[string]any{"v": "b"}}, b.task("fork_join").OutputData)
			},
		},
		{
			name: "a task in a fork branch, the other branch cancelled by the end",
			def: flow(nil, concat(fork("fork", []*workflow.WorkflowTask{simple("a1", nil), simple("a2", nil)}, []*workflow.WorkflowTask{simple("b", nil)}),
				[]*workflow.WorkflowTask{simple("after", nil)})...),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				b.must(0, Lease{TaskID: b.task("b").TaskID, WorkerID: "w1"})
				b.finishTask(0, "a1", workflow.TaskCompleted, out("a1"))
				b.finishTask(0, "a2", workflow.TaskFailed, nil)
				require.Equal(b.t, workflow.TaskCanceled, b.task("b").Status)
				return b.task("a2")
			},
			wantRerun: []string{"fork:COMPLETED", "a1:COMPLETED", "b:CANCELED", "fork_join:IN_PROGRESS", "b:SCHEDULED", "a2:SCHEDULED"},
			wantRan:   []string{"b", "a2", "after"},
			check: func(t *testing.T, b *bundle, before map[string]*workflow.Task) {
				require.Same(t, before["a1"], b.task("a1"))
				require.Equal(t, before["b"].TaskID, b.task("b").RetriedTaskID, "a new attempt of the cancelled task")
			},
		},
		{
			name: "a task in a switch case, after the workflow completed",
			def: flow(map[string]any{"case": "${sw.output.selectedCase}", "x2": "${x2.output.v}"},
				simple("s0", nil),
				&workflow.WorkflowTask{Name: "sw", TaskReferenceName: "sw", Type: workflow.TypeSwitch, EvaluatorType: "value-param", Expression: "c",
					InputParameters: map[string]any{"c": "x"},
					DecisionCases:   map[string][]*workflow.WorkflowTask{"x": {simple("x1", nil), simple("x2", nil)}},
					DefaultCase:     []*workflow.WorkflowTask{simple("d1", nil)}},
				simple("end", nil)),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				for _, ref := range []string{"s0", "x1", "x2", "end"} {
					b.finishTask(0, ref, workflow.TaskCompleted, out(ref))
				}
				require.Equal(b.t, workflow.StatusCompleted, b.w.Status)
				return b.task("x2")
			},
			taskInput:  map[string]any{"x": "fixed"},
			wantRerun:  []string{"s0:COMPLETED", "sw:IN_PROGRESS", "x1:COMPLETED", "x2:SCHEDULED"},
			wantRan:    []string{"x2", "end"},
			wantOutput: map[string]any{"case": "x", "x2": "x2 again"},
			check: func(t *testing.T, b *bundle, before map[string]*workflow.Task) {
				require.Same(t, before["sw"], b.task("sw"))
				require.Equal(t, workflow.TaskCompleted, b.task("sw").Status)
			},
		},
		{
			name: "a task in the middle iteration of three",
			def: flow(map[string]any{"iterations": "${loop.output.iteration}", "second": "${loop.output.2.l2.v}", "first": "${loop.output.1.l2.v}"},
				loop("loop", []any{"i1", "i2", "i3"},
					simple("l1", map[string]any{"item": "${loop.output.loopItem}"}),
					simple("l2", nil)),
				simple("end", nil)),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				for _, ref := range []string{"l1__1", "l2__1", "l1__2", "l2__2", "l1__3"} {
					b.finishTask(0, ref, workflow.TaskCompleted, out(ref))
				}
				b.finishTask(0, "l2__3", workflow.TaskFailed, nil)
				return b.task("l1__2")
			},
			wantRerun:  []string{"loop:IN_PROGRESS", "l1__1:COMPLETED", "l2__1:COMPLETED", "l1__2:SCHEDULED"},
			wantRan:    []string{"l1__2", "l2__2", "l1__3", "l2__3", "end"},
			wantOutput: map[string]any{"iterations": num(3), "second": "l2__2 again", "first": "l2__1"},
			check: func(t *testing.T, b *bundle, before map[string]*workflow.Task) {
				require.Same(t, before["l1__1"], b.task("l1__1"))
				require.Equal(t, "i3", b.task("l1__3").InputData["item"], "the loop went on from iteration 2")
			},
		},
		{
			name: "a task in a fork nested in a loop",
			def: flow(map[string]any{"iterations": "${loop.output.iteration}", "b2": "${loop.output.2.b.v}"},
				loop("loop", []any{1, 2, 3}, concat(
					fork("fork", []*workflow.WorkflowTask{simple("a", nil)}, []*workflow.WorkflowTask{simple("b", nil)}),
					[]*workflow.WorkflowTask{simple("c", nil)})...),
				simple("end", nil)),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				for _, ref := range []string{"a__1", "b__1", "c__1", "b__2"} {
					b.finishTask(0, ref, workflow.TaskCompleted, out(ref))
				}
				b.finishTask(0, "a__2", workflow.TaskFailed, nil)
				return b.task("a__2")
			},
			wantRerun: []string{
				"loop:IN_PROGRESS", "fork__1:COMPLETED", "a__1:COMPLETED", "b__1:COMPLETED", "fork_join__1:COMPLETED", "c__1:COMPLETED",
				"fork__2:COMPLETED", "b__2:COMPLETED", "fork_join__2:IN_PROGRESS", "a__2:SCHEDULED",
			},
			wantRan:    []string{"a__2", "c__2", "a__3", "b__3", "c__3", "end"},
			wantOutput: map[string]any{"iterations": num(3), "b2": "b__2"},
		},
		{
			name: "a task in a switch in a fork branch",
			def: flow(map[string]any{"x2": "${x2.output.v}", "b": "${b.output.v}"},
				concat(fork("fork",
					[]*workflow.WorkflowTask{
						{Name: "sw", TaskReferenceName: "sw", Type: workflow.TypeSwitch, EvaluatorType: "value-param", Expression: "c",
							InputParameters: map[string]any{"c": "x"},
							DecisionCases:   map[string][]*workflow.WorkflowTask{"x": {simple("x1", nil), simple("x2", nil)}}},
						simple("a3", nil),
					},
					[]*workflow.WorkflowTask{simple("b", nil)}),
					[]*workflow.WorkflowTask{simple("after", nil)})...),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				for _, ref := range []string{"x1", "b", "x2"} {
					b.finishTask(0, ref, workflow.TaskCompleted, out(ref))
				}
				b.finishTask(0, "a3", workflow.TaskFailed, nil)
				return b.task("x2")
			},
			wantRerun:  []string{"fork:COMPLETED", "sw:IN_PROGRESS", "x1:COMPLETED", "b:COMPLETED", "fork_join:IN_PROGRESS", "x2:SCHEDULED"},
			wantRan:    []string{"x2", "a3", "after"},
			wantOutput: map[string]any{"x2": "x2 again", "b": "b"},
		},
		{
			name: "a task in a loop in a loop",
			def: flow(map[string]any{"outer": "${outer.output.iteration}", "n11": "${n__1__1.output.v}"},
				loop("outer", []any{1, 2}, loop("inner", []any{"x", "y"}, simple("n", nil))),
				simple("end", nil)),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				for _, ref := range []string{"n__1__1", "n__1__2", "n__2__1", "n__2__2"} {
					b.finishTask(0, ref, workflow.TaskCompleted, out(ref))
				}
				b.finishTask(0, "end", workflow.TaskFailed, nil)
				return b.task("n__1__2")
			},
			wantRerun:  []string{"outer:IN_PROGRESS", "inner__1:IN_PROGRESS", "n__1__1:COMPLETED", "n__1__2:SCHEDULED"},
			wantRan:    []string{"n__1__2", "n__2__1", "n__2__2", "end"},
			wantOutput: map[string]any{"outer": num(2), "n11": "n__1__1"},
			check: func(t *testing.T, b *bundle, before map[string]*workflow.Task) {
				require.Equal(t, 2, b.task("inner__1").Iteration)
				require.NotSame(t, before["inner__2"], b.task("inner__2"), "the second outer iteration ran again")
			},
		},
		{
			name: "a top-level JOIN keeps every branch, whatever their seq",
			def: flow(nil, concat(fork("fork", []*workflow.WorkflowTask{simple("a1", nil), simple("a2", nil)}, []*workflow.WorkflowTask{simple("b", nil)}),
				[]*workflow.WorkflowTask{simple("after", nil)})...),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				for _, ref := range []string{"a1", "a2", "b"} { // a2 comes after the JOIN by seq
					b.finishTask(0, ref, workflow.TaskCompleted, out(ref))
				}
				b.finishTask(0, "after", workflow.TaskFailed, nil)
				return b.task("fork_join")
			},
			// The JOIN runs again and completes at once: its branches are done.
			wantRerun: []string{"fork:COMPLETED", "a1:COMPLETED", "b:COMPLETED", "a2:COMPLETED", "fork_join:COMPLETED", "after:SCHEDULED"},
			wantRan:   []string{"after"},
			check: func(t *testing.T, b *bundle, before map[string]*workflow.Task) {
				require.Same(t, before["a2"], b.task("a2"))
			},
		},
		{
			name: "a branch of a dynamic fork",
			def: flow(map[string]any{"after": "${after.output.v}"},
				&workflow.WorkflowTask{Name: "fan", TaskReferenceName: "fan", Type: workflow.TypeForkJoinDynamic,
					InputParameters: map[string]any{"forkTaskName": "work", "forkTaskInputs": []any{map[string]any{"i": 0}, map[string]any{"i": 1}}}},
				&workflow.WorkflowTask{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
				simple("after", nil)),
			prepare: func(b *bundle) *workflow.Task {
				b.must(0, Start{})
				b.finishTask(0, "work_1", workflow.TaskCompleted, out("work_1"))
				b.finishTask(0, "work_0", workflow.TaskCompleted, out("work_0"))
				b.finishTask(0, "after", workflow.TaskFailed, nil)
				return b.task("work_0")
			},
			wantRerun:  []string{"fan:COMPLETED", "work_1:COMPLETED", "join:IN_PROGRESS", "work_0:SCHEDULED"},
			wantRan:    []string{"work_0", "after"},
			wantOutput: map[string]any{"after": "after again"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.def, work(nil))
			from := tt.prepare(b)
			require.True(t, b.w.Status.Terminal())
			before := map[string]*workflow.Task{}
			for _, task := range b.w.Tasks {
				before[task.ReferenceTaskName] = task
			}
			res := b.must(time.Minute, Rerun{TaskID: from.TaskID, TaskInput: tt.taskInput})
			require.Equal(t, workflow.StatusRunning, b.w.Status)
			require.True(t, res.Revived)
			require.Equal(t, tt.wantRerun, b.statuses())
			again := b.task(from.ReferenceTaskName)
			require.NotEqual(t, from.TaskID, again.TaskID)
			if tt.taskInput != nil {
				require.Equal(t, tt.taskInput, again.InputData)
			}
			for _, removed := range res.Removed {
				require.Nil(t, b.w.TaskByID(removed.TaskID), "a removed task is gone: %s", removed.ReferenceTaskName)
			}

			require.Equal(t, tt.wantRan, b.drive(2*time.Minute))
			require.Equal(t, workflow.StatusCompleted, b.w.Status, b.w.ReasonForIncompletion)
			if tt.wantOutput != nil {
				require.Equal(t, tt.wantOutput, b.w.Output)
			}
			if tt.check != nil {
				tt.check(t, b, before)
			}
		})
	}
}

// TestRerunOfATimedOutWorkflow: the workflow's timeout counts from the
// rerun, so that a workflow that timed out runs again.
func TestRerunOfATimedOutWorkflow(t *testing.T) {
	t.Parallel()
	def := chain(2, nil)
	def.TimeoutSeconds = 10
	def.TimeoutPolicy = workflow.TimeoutWorkflow
	b := setup(t, def, work(nil))
	b.must(0, Start{})
	b.finishTask(0, "s1", workflow.TaskCompleted, nil)
	b.must(11*time.Second, Tick{})
	require.Equal(t, workflow.StatusTimedOut, b.w.Status)

	res := b.must(time.Minute, Rerun{TaskID: b.task("s2").TaskID})
	require.Equal(t, workflow.StatusRunning, b.w.Status)
	require.Equal(t, t0.Add(time.Minute+10*time.Second), res.WakeAt, "the timeout counts from the rerun")
	b.finishTask(time.Minute+9*time.Second, "s2", workflow.TaskCompleted, nil)
	require.Equal(t, workflow.StatusCompleted, b.w.Status)
}
