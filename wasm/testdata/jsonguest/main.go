// Command jsonguest is a plugin written with sdk/plugin's HandleJSON, which
// reads its input in place and writes its output as it goes:
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared. inputData.op picks
// what it does.
package main

import (
	"errors"

	"github.com/batonhq/baton/sdk/plugin"
)

func init() {
	plugin.HandleJSON(func(t *plugin.Task, out *plugin.Writer) (*plugin.Result, error) {
		in := t.In()
		op, _ := in.Get("op").Str()
		switch op {
		case "echo": // parse the input and write it back, value by value
			for k, v := range in.Members() {
				out.Key(k)
				echo(out, v)
			}
		case "copy": // parse the input and write each member back as it was
			for k, v := range in.Members() {
				out.Key(k)
				out.Value(v)
			}
		case "pick": // a few values, converted
			id, _ := in.Get("items").Index(1).Get("id").Int()
			name, _ := in.Get("items").Index(1).Get("name").Str()
			out.Key("id")
			out.Int(id)
			out.Key("name")
			out.String(name)
			out.Key("count")
			out.Int(int64(in.Get("items").Len()))
			out.Key("missing")
			out.Bool(!in.Get("nothing").Exists())
		case "misuse":
			out.Int(1) // no key
		case "output":
			return &plugin.Result{Output: map[string]any{"x": 1}}, nil
		case "progress":
			out.Key("done")
			out.Int(3)
			return &plugin.Result{Status: plugin.InProgress, CallbackAfterSeconds: 30}, nil
		case "fail":
			return nil, plugin.Terminal(errors.New("never again"))
		case "panic":
			panic("half way")
		default:
			return nil, errors.New("unknown op " + op)
		}
		return nil, nil
	})
}

// echo writes v through out, value by value.
func echo(out *plugin.Writer, v plugin.Value) {
	switch v.Kind() {
	case plugin.Object:
		out.BeginObject()
		for k, m := range v.Members() {
			out.Key(k)
			echo(out, m)
		}
		out.EndObject()
	case plugin.Array:
		out.BeginArray()
		for _, e := range v.Elements() {
			echo(out, e)
		}
		out.EndArray()
	case plugin.String:
		s, _ := v.Str()
		out.String(s)
	case plugin.Bool:
		b, _ := v.Bool()
		out.Bool(b)
	case plugin.Null:
		out.Null()
	default: // a number, as written
		out.Value(v)
	}
}

func main() {}
