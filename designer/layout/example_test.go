package layout_test

import (
	"fmt"
	"strings"

	"github.com/batonhq/baton/designer/layout"
	"github.com/batonhq/baton/sdk/workflow"
)

func ExampleLayout() {
	def := &workflow.WorkflowDef{Name: "order", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "check", TaskReferenceName: "check", Type: workflow.TypeSwitch, EvaluatorType: "value-param", Expression: "ok",
			DecisionCases: map[string][]*workflow.WorkflowTask{"yes": {{Name: "ship", TaskReferenceName: "ship"}}}},
		{Name: "notify", TaskReferenceName: "notify"},
	}}
	g := layout.Layout(def)
	fmt.Println("graph", g.W, "x", g.H)
	for _, n := range g.Nodes {
		fmt.Printf("%-14s %-7s %-30s at %d,%d\n", n.ID, n.Kind, n.Path, n.X, n.Y)
	}
	for _, s := range g.Slots {
		fmt.Printf("slot %-7s %s\n", s.Kind, s.Path)
	}
	// Output:
	// graph 340 x 560
	// $start         start                                  at 126,16
	// check          switch  /tasks/0                       at 80,96
	// $merge:check   merge                                  at 162,352
	// ship           task    /tasks/0/decisionCases/yes/0   at 16,224
	// notify         task    /tasks/1                       at 80,416
	// $end           end                                    at 126,512
	// slot between /tasks/0
	// slot case    /tasks/0/decisionCases
	// slot between /tasks/0/decisionCases/yes/0
	// slot between /tasks/0/decisionCases/yes/1
	// slot empty   /tasks/0/defaultCase/0
	// slot between /tasks/1
	// slot between /tasks/2
}

func ExampleRenderSVG() {
	def := &workflow.WorkflowDef{Name: "hello", Tasks: []*workflow.WorkflowTask{{Name: "greet", TaskReferenceName: "greet"}}}
	var sb strings.Builder
	if err := layout.RenderSVG(&sb, layout.Layout(def), layout.RenderOptions{NoStyle: true}); err != nil {
		panic(err)
	}
	for _, line := range strings.Split(sb.String(), "\n") {
		if strings.Contains(line, `data-id="greet"`) {
			fmt.Println(line)
		}
	}
	// Output:
	// <g class="node k-task" data-id="greet" data-path="/tasks/0"><title>greet, SIMPLE</title><rect x="16" y="96" width="180" height="48" rx="6"/><text class="name" x="26" y="116">greet</text><text class="meta" x="26" y="134">greet · SIMPLE</text></g>
}
