// Command reshape is a Baton plugin that reshapes a JSON document: it picks
// and renames fields, fills defaults, drops nulls and flattens, by a small
// spec.
//
// Input: data (the document), mapping ({"out.path": "in.path"}; without it
// the output starts as a copy of data), defaults ({"out.path": value} for
// output paths missing or null), dropNulls, flatten and separator. mapping
// and defaults may instead be set in the manifest's config, as JSON texts.
// The output document is the task's output. Paths: see
// plugins/internal/docpath ("a.b", "items[0]", "items[*].sku", `["a.b"]`).
// A bad spec fails the task with FAILED_WITH_TERMINAL_ERROR.
//
// Example: data {"customer":{"id":7,"first":"Ada"},"items":[{"sku":"A"}]},
// mapping {"id":"customer.id","name":"customer.first","skus":"items[*].sku"},
// defaults {"tier":"basic"} → {"id":7,"name":"Ada","skus":["A"],"tier":"basic"}.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o reshape.wasm .
package main

import "github.com/batonhq/baton/sdk/plugin"

func init() { plugin.HandleFunc(handle) }

func main() {}

func handle(t *plugin.Task) (map[string]any, error) {
	req, err := plugin.Input[request](t)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	if err := req.withConfig(plugin.Config); err != nil {
		return nil, plugin.Terminal(err)
	}
	out, err := reshape(&req)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	return out, nil
}
