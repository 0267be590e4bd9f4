package batontest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/worker"
	"github.com/batonhq/baton/sdk/workflow"
)

// A workflow of one SIMPLE task, run by a Go worker against an in-process
// server.
func Example() {
	srv, err := batontest.Start(batontest.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client()

	must(c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: "greet"}))
	_, err = c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{
		Name: "hello",
		Tasks: []*workflow.WorkflowTask{{
			Name: "greet", TaskReferenceName: "greet", Type: "SIMPLE",
			InputParameters: map[string]any{"name": "${workflow.input.name}"},
		}},
		OutputParameters: map[string]any{"greeting": "${greet.output.greeting}"},
	}, true, false)
	must(err)

	w := worker.New(worker.Options{Client: c})
	w.Handle("greet", func(ctx context.Context, t *workflow.Task) (map[string]any, error) {
		return map[string]any{"greeting": fmt.Sprintf("Hello, %v!", t.InputData["name"])}, nil
	})
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	go w.Run(wctx)

	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "hello", Input: map[string]any{"name": "Ada"}})
	must(err)
	for {
		wf, err := c.Workflow(ctx, id, false)
		must(err)
		if wf.Status.Terminal() {
			fmt.Println(wf.Status, wf.Output["greeting"])
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Output: COMPLETED Hello, Ada!
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
