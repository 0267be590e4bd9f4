// Command jsonschema is a Baton plugin that validates a JSON payload against
// a JSON Schema (a subset of draft 2020-12, see schema.go).
//
// Input: payload (the value to validate), schema (else the manifest's config
// "schema", a JSON text), failOnInvalid (else config "failOnInvalid";
// default false). Output: {"valid": true}, or {"valid": false, "errors":
// [{"path": "/a/0", "message": "..."}]}, where path is a JSON pointer into
// the payload ("" for the payload itself). With failOnInvalid, an invalid
// payload fails the task (FAILED_WITH_TERMINAL_ERROR) with the same output
// and the first errors as its reason. An unusable schema or input fails it
// the same way.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o jsonschema.wasm .
package main

import (
	"fmt"
	"strconv"

	"github.com/batonhq/baton/sdk/plugin"
)

func init() { plugin.Handle(handle) }

func main() {}

func handle(t *plugin.Task) (*plugin.Result, error) {
	req, err := plugin.Input[request](t)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	failOnInvalid := false
	if req.FailOnInvalid != nil {
		failOnInvalid = *req.FailOnInvalid
	} else if v, ok := plugin.Config("failOnInvalid"); ok {
		if failOnInvalid, err = strconv.ParseBool(v); err != nil {
			return nil, plugin.Terminal(fmt.Errorf("config failOnInvalid is %q; use true or false", v))
		}
	}
	configSchema, _ := plugin.Config("schema")
	r, err := check(&req, configSchema)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	if !r.Valid && failOnInvalid {
		return &plugin.Result{Status: plugin.FailedTerminal, Output: r.output(), Reason: r.reason()}, nil
	}
	return &plugin.Result{Status: plugin.Completed, Output: r.output()}, nil
}
