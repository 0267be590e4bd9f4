package decider

import (
	"fmt"
	"testing"
	"time"

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
			var (
				w       *workflow.Workflow
				decided bool
				wakeAt  time.Time
			)
			ids := 0
			// decide is one commit's decision, as the engine makes it.
			decide := func(ev Event) {
				res, err := Decide(Input{Now: t0, Workflow: w, NewID: func() string { ids++; return fmt.Sprint(ids) }, Event: ev,
					Continue: true, Decided: decided, WakeAt: wakeAt})
				if err != nil {
					b.Fatal(err)
				}
				decided, wakeAt = true, res.WakeAt
			}
			fresh := func() {
				w = &workflow.Workflow{WorkflowID: "wf", WorkflowName: "fan", WorkflowDefinition: def, Input: map[string]any{}}
				decided, wakeAt = false, time.Time{}
				decide(Start{})
				for w.Tasks[0].Status == workflow.TaskInProgress {
					decide(Tick{}) // the fork's next branches
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
				decide(Update{Result: &workflow.TaskResult{TaskID: t.TaskID, Status: workflow.TaskCompleted}})
			}
		})
	}
}
