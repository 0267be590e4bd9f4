package layout

import (
	"fmt"
	"io"
	"testing"

	"github.com/batonhq/baton/sdk/workflow"
)

// fanOutRun is an execution of the dynamic_fork fixture with n branches,
// the first 90% completed and the rest in progress: n+4 tasks.
func fanOutRun(b *testing.B, n int) *ExecRun {
	def := &workflow.WorkflowDef{Name: "dynamic_fork", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "plan", TaskReferenceName: "plan"},
		{Name: "fanout", TaskReferenceName: "fanout", Type: workflow.TypeForkJoinDynamic},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
		{Name: "summarise", TaskReferenceName: "summarise"},
	}}
	r := NewExecRun(def, workflow.StatusRunning)
	r.Task("plan", "SIMPLE", workflow.TaskCompleted)
	fork := r.Task("fanout", "FORK_JOIN_DYNAMIC", workflow.TaskCompleted)
	refs := make([]any, n)
	for i := range refs {
		ref := fmt.Sprintf("branch_%d", i)
		refs[i] = ref
		st := workflow.TaskCompleted
		if i >= n*9/10 {
			st = workflow.TaskInProgress
		}
		r.Task(ref, "SIMPLE", st)
	}
	fork.InputData["forkedTasks"] = refs
	r.Task("join", "JOIN", workflow.TaskInProgress)
	return r
}

// loopRun is an execution of a loop of two tasks that ran n iterations:
// 2n+1 tasks.
func loopRun(n int) *ExecRun {
	def := &workflow.WorkflowDef{Name: "loop", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "loop", TaskReferenceName: "loop", Type: workflow.TypeDoWhile, LoopOver: []*workflow.WorkflowTask{
			{Name: "a", TaskReferenceName: "a"}, {Name: "b", TaskReferenceName: "b"}}},
	}}
	r := NewExecRun(def, workflow.StatusRunning)
	loop := r.Task("loop", "DO_WHILE", workflow.TaskInProgress)
	for i := 1; i <= n; i++ {
		r.Task(fmt.Sprintf("a__%d", i), "SIMPLE", workflow.TaskCompleted).Iteration = i
		r.Task(fmt.Sprintf("b__%d", i), "SIMPLE", workflow.TaskCompleted).Iteration = i
		loop.Iteration = i
	}
	return r
}

func benchRender(b *testing.B, r *ExecRun, v View) {
	b.ReportAllocs()
	for b.Loop() {
		g := LayoutExecution(nil, r.WF, v)
		if err := RenderSVG(io.Discard, g, RenderOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The server render of an execution: layout plus SVG, per request.
func BenchmarkExecution1000Stacked(b *testing.B) { benchRender(b, fanOutRun(b, 1000), View{}) }
func BenchmarkExecution1000Expanded(b *testing.B) {
	benchRender(b, fanOutRun(b, 1000), View{Expanded: map[string]bool{"fanout": true}})
}
func BenchmarkExecution1000Loop(b *testing.B)     { benchRender(b, loopRun(500), View{}) }
func BenchmarkExecution10000Stacked(b *testing.B) { benchRender(b, fanOutRun(b, 10000), View{}) }
func BenchmarkExecution10000Expanded(b *testing.B) {
	benchRender(b, fanOutRun(b, 10000), View{Expanded: map[string]bool{"fanout": true}})
}
func BenchmarkExecution10000Loop(b *testing.B) { benchRender(b, loopRun(5000), View{}) }

// The definition preview of the generated 500-task definition.
func BenchmarkDefinition500(b *testing.B) {
	def := largeDef(500)
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderSVG(io.Discard, Layout(def), RenderOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
