package decider

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// BenchmarkFanOutJoin measures the decision that follows the completion of
// one branch of a FORK_JOIN_DYNAMIC of N worker tasks followed by a JOIN:
// the decide step that looks at the JOIN. It should grow linearly with N
// (the JOIN checks its N branches once), not quadratically.
func BenchmarkFanOutJoin(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("branches=%d", n), func(b *testing.B) {
			inputs := make([]any, n)
			for i := range inputs {
				inputs[i] = map[string]any{"i": i}
			}
			def := &workflow.WorkflowDef{Name: "fan", Version: 1, Tasks: []*workflow.WorkflowTask{
				{Name: "fan", TaskReferenceName: "fan", Type: workflow.TypeForkJoinDynamic,
					InputParameters: map[string]any{"forkTaskName": "work", "forkTaskInputs": inputs}},
				{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
			}}
			var w *workflow.Workflow
			ids := 0
			input := func(ev Event) Input {
				return Input{Now: t0, Workflow: w, NewID: func() string { ids++; return fmt.Sprint(ids) }, Event: ev}
			}
			fresh := func() {
				w = &workflow.Workflow{WorkflowID: "wf", WorkflowName: "fan", WorkflowDefinition: def, Input: map[string]any{}}
				if _, err := Decide(input(Start{})); err != nil {
					b.Fatal(err)
				}
			}
			fresh()
			next := 2 // tasks[0] is the fork, tasks[1] the JOIN... found below
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if next >= len(w.Tasks) {
					b.StopTimer()
					fresh()
					next = 2
					b.StartTimer()
				}
				t := w.Tasks[next]
				next++
				if t.TaskType != "work" {
					continue
				}
				_, err := Decide(input(Update{Result: &workflow.TaskResult{TaskID: t.TaskID, Status: workflow.TaskCompleted}}))
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestLargeForkIsCreatedInChunks: a dynamic fork of 2,500 branches creates
// them forkChunk per decision, waking itself at once in between, and
// schedules its JOIN only when all are there.
func TestLargeForkIsCreatedInChunks(t *testing.T) {
	inputs := make([]any, 2500)
	for i := range inputs {
		inputs[i] = map[string]any{"i": i}
	}
	b := setup(t, &workflow.WorkflowDef{Name: "fan", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "fan", TaskReferenceName: "fan", Type: workflow.TypeForkJoinDynamic,
			InputParameters: map[string]any{"forkTaskName": "work", "forkTaskInputs": inputs}},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
	}})
	res := b.must(0, Start{})
	count := func(typ string) int {
		n := 0
		for _, task := range b.w.Tasks {
			if task.TaskType == typ {
				n++
			}
		}
		return n
	}
	for _, want := range []int{1000, 2000, 2500} {
		require.Equal(t, want, count("work"))
		fork := b.task("fan")
		if want < 2500 {
			require.Equal(t, workflow.TaskInProgress, fork.Status)
			require.Equal(t, t0, res.WakeAt, "the decision asks to go on at once")
			require.Zero(t, count(workflow.TypeJoin))
			// A worker's poll between chunks creates no branches, and
			// the fork still asks to be woken at once.
			var branch *workflow.Task
			for _, task := range b.w.Tasks {
				if task.TaskType == "work" && task.Status == workflow.TaskScheduled {
					branch = task
					break
				}
			}
			leased := b.must(0, Lease{TaskID: branch.TaskID})
			require.Equal(t, want, count("work"))
			require.Equal(t, t0, leased.WakeAt)
			res = b.must(0, Tick{})
		}
	}
	require.Equal(t, workflow.TaskCompleted, b.task("fan").Status)
	require.Equal(t, 1, count(workflow.TypeJoin))
	require.Len(t, b.task("join").InputData["joinOn"], 2500)
}
