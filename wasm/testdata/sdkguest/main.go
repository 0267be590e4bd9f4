// Command sdkguest is the plugin the host tests run, built with sdk/plugin:
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared. inputData.op picks
// what it does.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/plugin"
	"github.com/batonhq/baton/sdk/plugin/pluginhttp"
)

// corrupted is set just before a panic: a reused instance would show it.
var corrupted bool

var calls int

// hoard keeps allocations alive for op "hog".
var hoard [][]byte

func init() {
	plugin.Handle(func(t *plugin.Task) (*plugin.Result, error) {
		calls++
		op, _ := t.InputData["op"].(string)
		switch op {
		case "echo":
			return &plugin.Result{Status: plugin.Completed, Output: t.InputData}, nil
		case "parse": // BenchmarkGoGuest: the input decoded, no output
			return nil, nil
		case "fail":
			return nil, errors.New("it went wrong")
		case "terminal":
			return nil, plugin.Terminal(errors.New("never again"))
		case "progress":
			if err := plugin.Progress(map[string]any{"done": 3, "of": 10}); err != nil {
				return nil, err
			}
			return &plugin.Result{Status: plugin.InProgress, CallbackAfterSeconds: 30}, nil
		case "log":
			plugin.Debug("a debug line")
			plugin.Log("hello %s", "world")
			plugin.Warn("careful")
			plugin.Error("bad")
			fmt.Println("to stdout")
			fmt.Fprint(os.Stderr, "to stderr\nno newline")
			return nil, nil
		case "biglog":
			for i := range 2000 {
				plugin.Log("line %d %s", i, strings.Repeat("x", 100))
			}
			return nil, nil
		case "config":
			v, ok := plugin.Config(str(t, "key"))
			return out("value", v, "ok", ok), nil
		case "secret":
			v, ok, err := plugin.Secret(str(t, "key"))
			if err != nil {
				return nil, err
			}
			return out("value", v, "ok", ok), nil
		case "http":
			resp, err := pluginhttp.Client.Get(str(t, "url"))
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return nil, err
			}
			return out("status", resp.StatusCode, "body", string(b), "header", resp.Header.Get("X-Test")), nil
		case "kv":
			key := str(t, "key")
			if err := plugin.KVPut(key, []byte(str(t, "value"))); err != nil {
				return nil, err
			}
			v, ok, err := plugin.KVGet(key)
			if err != nil {
				return nil, err
			}
			if err := plugin.KVDelete(key); err != nil {
				return nil, err
			}
			_, after, err := plugin.KVGet(key)
			if err != nil {
				return nil, err
			}
			return out("value", string(v), "ok", ok, "after", after), nil
		case "kvput": // kept, unlike op "kv"'s
			if err := plugin.KVPut(str(t, "key"), []byte(str(t, "value"))); err != nil {
				return nil, err
			}
			return nil, nil
		case "panic":
			corrupted = true
			panic("boom")
		case "state":
			return out("corrupted", corrupted, "calls", calls), nil
		case "spin":
			for {
				calls++
			}
		case "bigout":
			n, _ := plugin.Input[struct{ N int }](t)
			return out("data", strings.Repeat("x", n.N)), nil
		case "sandbox":
			// Real clocks and randomness, no files, no environment.
			start := time.Now()
			time.Sleep(20 * time.Millisecond)
			buf := make([]byte, 16)
			_, _ = rand.Read(buf)
			_, ferr := os.ReadFile("/etc/passwd")
			return out("sleptMs", time.Since(start).Milliseconds(), "unixMs", time.Now().UnixMilli(),
				"random", hex.EncodeToString(buf), "env", len(os.Environ()), "fileErr", fmt.Sprint(ferr)), nil
		case "hog":
			for {
				hoard = append(hoard, make([]byte, 1<<20))
			}
		case "grow":
			// Keep n MiB alive: the instance's memory passes 3/4 of a cap.
			n, _ := plugin.Input[struct{ N int }](t)
			for range n.N {
				hoard = append(hoard, make([]byte, 1<<20))
			}
			return nil, nil
		}
		return nil, fmt.Errorf("unknown op %q", op)
	})
}

func str(t *plugin.Task, k string) string { s, _ := t.InputData[k].(string); return s }

func out(kv ...any) *plugin.Result {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return &plugin.Result{Status: plugin.Completed, Output: m}
}

func main() {}
