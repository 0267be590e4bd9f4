package decider

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// TestLargeForkIsCreatedInChunks: a dynamic fork of 2,500 branches creates
// them forkChunk per commit, waking itself at once in between, and
// schedules its JOIN only when all are there.
func TestLargeForkIsCreatedInChunks(t *testing.T) {
	b := fanOut(t, 2500)
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
			// A worker's poll that is not the first event of its commit
			// creates no branches, and the fork still asks to be woken
			// at once; the first event of the next commit goes on.
			var branch *workflow.Task
			for _, task := range b.w.Tasks {
				if task.TaskType == "work" && task.Status == workflow.TaskScheduled {
					branch = task
					break
				}
			}
			leased := b.more(0, Lease{TaskID: branch.TaskID})
			require.Equal(t, want, count("work"))
			require.Equal(t, t0, leased.WakeAt)
			if want == 1000 {
				res = b.must(0, Tick{})
			} else {
				res = b.must(0, Update{Result: &workflow.TaskResult{TaskID: branch.TaskID, Status: workflow.TaskCompleted}})
			}
		}
	}
	require.Equal(t, workflow.TaskCompleted, b.task("fan").Status)
	require.Equal(t, 1, count(workflow.TypeJoin))
	require.Len(t, b.task("join").InputData["joinOn"], 2500)
}

// fanOut sets up a FORK_JOIN_DYNAMIC of n "work" tasks and its JOIN.
func fanOut(t *testing.T, n int, taskDefs ...*workflow.TaskDef) *bundle {
	inputs := make([]any, n)
	for i := range inputs {
		inputs[i] = map[string]any{"i": i}
	}
	return setup(t, &workflow.WorkflowDef{Name: "fan", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "fan", TaskReferenceName: "fan", Type: workflow.TypeForkJoinDynamic,
			InputParameters: map[string]any{"forkTaskName": "work", "forkTaskInputs": inputs}},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
	}}, taskDefs...)
}
