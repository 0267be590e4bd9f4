// Package plugin is the Go SDK for Baton plugins: WebAssembly modules that
// implement custom system task types or work as lightweight workers inside
// the Baton server (the ABI, version 1, is described in package
// github.com/batonhq/baton/wasm). It holds the module's exports; a plugin is
// a package main that registers its handler in init:
//
//	package main
//
//	import (
//		"errors"
//		"io"
//		"strings"
//
//		"github.com/batonhq/baton/sdk/plugin"
//		"github.com/batonhq/baton/sdk/plugin/pluginhttp"
//	)
//
//	type input struct {
//		Text string `json:"text"`
//		URL  string `json:"url"`
//	}
//
//	func init() {
//		plugin.HandleFunc(func(t *plugin.Task) (map[string]any, error) {
//			in, err := plugin.Input[input](t)
//			if err != nil {
//				return nil, plugin.Terminal(err) // bad input: retrying will not help
//			}
//			if in.Text == "" {
//				return nil, plugin.Terminal(errors.New("input text is required"))
//			}
//			prefix, _ := plugin.Config("prefix") // the manifest's config
//			plugin.Log("shouting %d bytes", len(in.Text))
//			out := map[string]any{"shout": prefix + strings.ToUpper(in.Text)}
//			if in.URL != "" { // only to the manifest's allowedHosts
//				resp, err := pluginhttp.Client.Get(in.URL)
//				if err != nil {
//					return nil, err // FAILED: retried per the task definition
//				}
//				defer resp.Body.Close()
//				b, err := io.ReadAll(resp.Body)
//				if err != nil {
//					return nil, err
//				}
//				out["fetched"] = len(b)
//			}
//			return out, nil
//		})
//	}
//
//	func main() {}
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o shout.wasm .
//
// and upload it with a manifest naming the task types it implements (or the
// SIMPLE tasks it works), its config, secrets, allowed hosts and limits.
//
// HTTP requests go through package pluginhttp (its Client), kept out of this
// package so that a plugin that does not fetch does not link net/http: such
// a plugin is half the size and compiles twice as fast on upload.
//
// Handle gives full control of the result (IN_PROGRESS with a callback delay
// for long work, with Progress to report on it). A handler's error fails the
// task with the error's text; Terminal makes the failure final. A panic fails
// the task with "plugin panicked: <value>", and the host discards the
// instance, whose state the panic may have left half-changed; otherwise an
// instance runs many tasks in turn, so package variables persist between
// tasks (a cache may live there, a task's state may not).
//
// HandleJSON is the fast way for a plugin whose work is reading and writing
// JSON. Go compiled to wasm pays some ten times what native code pays for
// each allocation, and an input of 1 KB built as maps is some two hundred
// of them; a HandleJSON handler instead reads its input in place through
// Task.In (a Value: Get, Index, Members, Elements, Str, Int, Float, Bool,
// JSON, Any) and writes its output as it goes with a Writer (Key, then a
// value: String, Int, Float, Bool, Null, Value, Any, or BeginObject ...
// EndObject and BeginArray ... EndArray). A misuse of the Writer fails the
// task with what was wrong. Values are valid until the handler returns.
//
//	plugin.HandleJSON(func(t *plugin.Task, out *plugin.Writer) (*plugin.Result, error) {
//		order := t.In().Get("order")
//		out.Key("id")
//		out.Value(order.Get("id")) // copied as it is
//		out.Key("skus")
//		out.BeginArray()
//		for _, item := range order.Get("items").Elements() {
//			sku, ok := item.Get("sku").Str()
//			if !ok {
//				return nil, plugin.Terminal(errors.New("every item needs a sku string"))
//			}
//			out.String(strings.ToUpper(sku))
//		}
//		out.EndArray()
//		return nil, nil // COMPLETED with what out holds
//	})
//
// Outside wasm the package builds too, so that a plugin's logic can be tested
// natively, but every host function fails there.
package plugin
