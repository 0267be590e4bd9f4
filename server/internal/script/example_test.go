package script_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/batonhq/baton/server/internal/script"
)

// decode reads a task's input the way the engine does.
func decode(doc string) map[string]any {
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

func ExampleEvaluator_JS() {
	e := script.New(script.Limits{})
	input := decode(`{"order": {"amount": 250, "items": [{"sku": "a"}, {"sku": "b"}]}}`)

	v, err := e.JS(`
		function route(order) {
			return {queue: order.amount > 100 ? 'review' : 'approve', skus: order.items.map(function (i) { return i.sku; })};
		}
		route($.order);`, input)
	fmt.Println(v, err)
	// Output: map[queue:review skus:[a b]] <nil>
}

func ExampleEvaluator_JQ() {
	e := script.New(script.Limits{})
	input := decode(`{"items": [{"price": 2.5}, {"price": 10}]}`)

	v, err := e.JQ(`.items[] | .price * 2`, input)
	fmt.Println(v, err)
	// Output: [5 20] <nil>
}

func ExampleError() {
	e := script.New(script.Limits{})
	_, err := e.JS(`throw new Error('no customer ' + $.id)`, decode(`{"id": 7}`))

	var failure *script.Error
	if errors.As(err, &failure) {
		fmt.Println(failure.Kind, "-", failure.Msg)
	}
	// Output: runtime - Error: no customer 7 (line 1, column 7)
}
