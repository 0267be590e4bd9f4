// Command template is a Baton plugin that renders a Go text/template
// (https://pkg.go.dev/text/template) with the task's data.
//
// Input: template (else the manifest's config "template"), data (the value
// of "." in the template), missingKey ("default" or "error"). Output:
// {"text": "..."}. A template that does not parse or fails to render fails
// the task (FAILED_WITH_TERMINAL_ERROR) with a reason naming the line, such
// as: template line 3 ("{{if .b}}unclosed"): unexpected EOF. Besides the
// builtins, templates may call upper, lower, trim, replace, contains,
// hasPrefix, hasSuffix, split, join, default and json (see funcs.go).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o template.wasm .
package main

import "github.com/batonhq/baton/sdk/plugin"

func init() { plugin.HandleFunc(handle) }

func main() {}

func handle(t *plugin.Task) (map[string]any, error) {
	req, err := plugin.Input[request](t)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	configTemplate, _ := plugin.Config("template")
	text, err := render(&req, configTemplate)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	return map[string]any{"text": text}, nil
}
