package workflow_test

import (
	"fmt"

	"github.com/batonhq/baton/sdk/workflow"
)

func ExampleEvaluate() {
	var input map[string]any
	_ = workflow.Decode([]byte(`{"orderId": "o-42", "items": [{"sku": "a", "price": 5}, {"sku": "b", "price": 15}]}`), &input)
	ctx := &workflow.Context{Workflow: &workflow.Workflow{WorkflowID: "wf-1", Input: input}}

	out, err := workflow.Evaluate(map[string]any{
		"url":       "https://shop.example.com/orders/${workflow.input.orderId}",
		"expensive": "${workflow.input.items[?(@.price > 10)].sku}",
		"first":     "${workflow.input.items[0]}",
		"literal":   "$${workflow.input.orderId}",
	}, ctx)
	if err != nil {
		panic(err)
	}
	m := out.(map[string]any)
	fmt.Println(m["url"])
	fmt.Println(m["expensive"])
	fmt.Println(m["first"])
	fmt.Println(m["literal"])
	// Output:
	// https://shop.example.com/orders/o-42
	// [b]
	// map[price:5 sku:a]
	// ${workflow.input.orderId}
}

func ExampleValidateWorkflowDef() {
	var def workflow.WorkflowDef
	_ = workflow.Decode([]byte(`{
		"name": "greet",
		"tasks": [
			{"name": "hello", "taskReferenceName": "hello_ref", "inputParameters": {"who": "${workflow.input.name"}},
			{"name": "bye", "taskReferenceName": "hello_ref", "type": "SIMPEL"}
		]
	}`), &def)
	for _, d := range workflow.ValidateWorkflowDef(&def, workflow.ValidateOptions{}) {
		fmt.Println(d.Pointer)
	}
	// Output:
	// /tasks/0/inputParameters/who
	// /tasks/1/taskReferenceName
	// /tasks/1/type
}
