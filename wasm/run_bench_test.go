package wasm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// The cost of one task through Plugin.Run, layer by layer. p50-µs is the
// median of the per-call times (the mean, ns/op, includes the guest's
// garbage collections and the machine's hiccups).
//
//	go test ./wasm -run '^$' -bench 'Run|GoGuest' -benchtime 2s
//
// Each of BenchmarkRun (a Go guest echoing 1 KB of JSON), BenchmarkRunJSON
// (the same through HandleJSON), BenchmarkRunC (the
// C example upper-casing a string) and BenchmarkRunAsm (a hand-assembled
// guest returning a constant) has the layers:
//
//   - plain: the module as uploaded (no checks), wazero's api.Function
//     called directly: baton_alloc, write the input, baton_handle, read the
//     output. The floor.
//   - checks: the instrumented module, called directly: what the inserted
//     checks add.
//   - instance: the instrumented module under a deadline in a CPU slot, as
//     Plugin.Run calls it (the scheduler's begin and end,
//     Instance.callExec): what the rest of the limit mechanism adds.
//   - run: Plugin.Run: the pool, the task written as JSON, the output read
//     and checked, the task log. What the engine pays.
//   - interleaved: one call of each layer in turn, so that they share the
//     machine's load: compare these p50-<layer>-µs with each other.
//
// BenchmarkRunJSON is BenchmarkRun's work written with HandleJSON, and
// BenchmarkRunJSON/vs-reference puts its Plugin.Run beside the reference's
// bare call (BenchmarkGoGuest's map-small, which wasm-plugins.md measured at
// 25 µs where the issue asks for 40 µs through the pool): bound-µs is 40/25
// of the reference's median here and now. And
// BenchmarkRun also:
//
//   - run-noop: Plugin.Run of a task with no input the guest barely
//     handles: the fixed cost of a call.
//   - hostjson: the host's JSON of run alone (write the task, read the
//     output), natively; hostjson-std is the same with encoding/json.
//
// BenchmarkGoGuest splits the Go guest's plain time further.

// benchInput is about 1 KB of JSON input: the Go guest's "echo" parses it
// (with the task around it) and serialises it back as its output.
func benchInput() map[string]any {
	in := map[string]any{"op": "echo"}
	for i := range 12 {
		in[fmt.Sprintf("field%02d", i)] = map[string]any{
			"id": i * 1000003, "name": fmt.Sprintf("item number %d", i), "ok": i%2 == 0, "tags": []any{"a", "b"},
		}
	}
	return in
}

func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	h := newHost(b, HostConfig{})
	bin := sdkGuestWasm(b)
	p := load(b, h, bin, manifest(b, func(m *Manifest) { m.Limits.Concurrency = 1 }))
	tk := task(benchInput())
	res := p.Run(ctx, tk, Env{})
	if res.Status != workflow.TaskCompleted {
		b.Fatal(res.ReasonForIncompletion)
	}
	output, err := json.Marshal(guestResult{Status: res.Status, OutputData: res.OutputData})
	if err != nil {
		b.Fatal(err)
	}
	benchLayers(b, p, bin, tk)
	b.Run("run-noop", func(b *testing.B) {
		noop := task(map[string]any{"op": "state"})
		timed(b, func() {
			if res := p.Run(ctx, noop, Env{}); res.Status != workflow.TaskCompleted {
				b.Fatal(res.ReasonForIncompletion)
			}
		})
	})
	b.Run("hostjson", func(b *testing.B) {
		var buf []byte
		timed(b, func() {
			var err error
			if buf, err = appendInput(buf[:0], tk); err != nil {
				b.Fatal(err)
			}
			if _, err := decodeOutput(output); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("hostjson-std", func(b *testing.B) {
		timed(b, func() {
			tc := *tk
			tc.WorkflowTask, tc.TaskDefinition = nil, nil
			if _, err := json.Marshal(struct {
				Task *workflow.Task `json:"task"`
			}{&tc}); err != nil {
				b.Fatal(err)
			}
			var gr guestResult
			if err := workflow.Decode(output, &gr); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkRunJSON is the layers for a Go guest doing BenchmarkRun's work
// with sdk/plugin's HandleJSON (testdata/jsonguest), which parses the 1 KB
// input in place, building no map, in two forms:
//
//   - echo: every value of the parse read and written back one by one
//     (objects and arrays walked, strings unescaped and escaped again);
//   - copy: each member of the input written back from the parse as its
//     text, as a plugin that picks and moves values does.
func BenchmarkRunJSON(b *testing.B) {
	bin := jsonGuestWasm(b)
	p := load(b, newHost(b, HostConfig{}), bin, manifest(b, func(m *Manifest) { m.Limits.Concurrency = 1 }))
	tasks := map[string]*workflow.Task{}
	for _, op := range []string{"echo", "copy"} {
		in := benchInput()
		in["op"] = op
		tk := task(in)
		res := p.Run(context.Background(), tk, Env{})
		got, err := json.Marshal(res.OutputData)
		if err != nil {
			b.Fatal(err)
		}
		if want, _ := json.Marshal(in); res.Status != workflow.TaskCompleted || string(got) != string(want) {
			b.Fatalf("%s %s", res.ReasonForIncompletion, got)
		}
		tasks[op] = tk
		b.Run(op, func(b *testing.B) { benchLayers(b, p, bin, tk) })
	}
	b.Run("vs-reference", func(b *testing.B) {
		cctx, mod := plainInstance(b, p, sdkGuestWasm(b))
		p50s := interleaved(b, []string{"reference", "copy-run", "echo-run"}, []func(){
			exportCall(b, cctx, mod, "bench_map", referenceTask(b)), runLayer(b, p, tasks["copy"]), runLayer(b, p, tasks["echo"])})
		// The bound, 40 µs where the reference measured 25.
		b.ReportMetric(float64(p50s[0].Nanoseconds())/1e3*40/25, "bound-µs")
		b.ReportMetric(float64(p50s[1])/float64(p50s[0]), "copy-run/reference")
		b.ReportMetric(float64(p50s[2])/float64(p50s[0]), "echo-run/reference")
	})
}

// BenchmarkRunC is the layers for plugins/cexample, a C plugin that scans
// its input for inputData.text, logs a line and returns it upper-cased.
func BenchmarkRunC(b *testing.B) {
	bin := wasmtest.BuildC(b, nil, "../plugins/cexample/main.c")
	p := load(b, newHost(b, HostConfig{}), bin, manifest(b, func(m *Manifest) { m.Limits.Concurrency = 1 }))
	tk := task(map[string]any{"text": "hello, small transformation"})
	if res := p.Run(context.Background(), tk, Env{}); res.Status != workflow.TaskCompleted || res.OutputData["upper"] != "HELLO, SMALL TRANSFORMATION" {
		b.Fatalf("%s %v", res.ReasonForIncompletion, res.OutputData)
	}
	benchLayers(b, p, bin, tk)
}

// BenchmarkRunAsm is the layers for a hand-assembled plugin that returns a
// constant result: what the host adds to a guest that does nearly nothing.
func BenchmarkRunAsm(b *testing.B) {
	bin := okModule().encode()
	p := load(b, newHost(b, HostConfig{}), bin, manifest(b, func(m *Manifest) { m.Limits.Concurrency = 1 }))
	benchLayers(b, p, bin, task(map[string]any{"text": "hello"}))
}

// benchLayers runs the plain, checks, instance and run layers of tk on p,
// whose module as uploaded is bin, one sub-benchmark each, and then
// "interleaved": one call of each layer in turn, each layer's median
// reported as p50-<layer>-µs. The sub-benchmarks run one after the other,
// so on a shared machine a change of load between them can reorder the
// layers; interleaved, the layers share the load and their differences are
// what each adds.
func benchLayers(b *testing.B, p *Plugin, bin []byte, tk *workflow.Task) {
	input, err := appendInput(nil, tk)
	if err != nil {
		b.Fatal(err)
	}
	names := []string{"plain", "checks", "instance", "run"}
	layers := func(b *testing.B) []func() {
		return []func(){plainLayer(b, p, bin, input), checksLayer(b, p, input), instanceLayer(b, p, input), runLayer(b, p, tk)}
	}
	for i, name := range names {
		b.Run(name, func(b *testing.B) { timed(b, layers(b)[i]) })
	}
	b.Run("interleaved", func(b *testing.B) { interleaved(b, names, layers(b)) })
}

// interleaved runs one call of each fn in turn, b.N times, and reports
// and returns the median time of each, named p50-<name>-µs.
func interleaved(b *testing.B, names []string, fns []func()) []time.Duration {
	times := make([][]time.Duration, len(fns))
	b.ReportAllocs()
	for b.Loop() {
		for i, fn := range fns {
			start := time.Now()
			fn()
			times[i] = append(times[i], time.Since(start))
		}
	}
	p50s := make([]time.Duration, len(times))
	for i, t := range times {
		slices.Sort(t)
		p50s[i] = t[len(t)/2]
		b.ReportMetric(float64(p50s[i].Nanoseconds())/1e3, "p50-"+names[i]+"-µs")
	}
	return p50s
}

// plainLayer returns a call of bin as uploaded (no checks) through wazero:
// baton_alloc, write the input, baton_handle, read the output. The floor.
func plainLayer(b *testing.B, p *Plugin, bin, input []byte) func() {
	cctx, mod := plainInstance(b, p, bin)
	return exportCall(b, cctx, mod, exportHandle, input)
}

// exportCall returns a call of mod's export fn on input, as baton_handle
// is called: baton_alloc, write the input, fn, read the output.
func exportCall(b *testing.B, cctx context.Context, mod api.Module, fn string, input []byte) func() {
	alloc, call, mem := mod.ExportedFunction(exportAlloc), mod.ExportedFunction(fn), mod.Memory()
	var stack [2]uint64
	return func() {
		stack[0] = uint64(len(input))
		if err := alloc.CallWithStack(cctx, stack[:]); err != nil {
			b.Fatal(err)
		}
		ptr := api.DecodeU32(stack[0])
		mem.Write(ptr, input)
		stack[0], stack[1] = uint64(ptr), uint64(len(input))
		if err := call.CallWithStack(cctx, stack[:]); err != nil {
			b.Fatal(err)
		}
		if out, _ := mem.Read(uint32(stack[0]>>32), uint32(stack[0])); len(out) < 20 {
			b.Fatalf("output %q", out)
		}
	}
}

// layerInstance starts an instance of p for a layer, closed with b.
func layerInstance(b *testing.B, p *Plugin) (*instance, *callState) {
	ctx := context.Background()
	in, err := p.newInstance(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.Close(ctx) })
	c := &callState{p: p, in: in}
	in.cur = c
	return in, c
}

// checksLayer returns the same call on the instrumented module: what the
// inserted checks add.
func checksLayer(b *testing.B, p *Plugin, input []byte) func() {
	in, c := layerInstance(b, p)
	return func() {
		in.stack[0] = uint64(len(input))
		if err := in.alloc.CallWithStack(in.ctx, in.stack[:]); err != nil {
			b.Fatal(err)
		}
		ptr := api.DecodeU32(in.stack[0])
		in.mem.Write(ptr, input)
		in.stack[0], in.stack[1] = uint64(ptr), uint64(len(input))
		if err := in.handle.CallWithStack(in.ctx, in.stack[:]); err != nil {
			b.Fatal(err)
		}
		if out, _ := in.mem.Read(uint32(in.stack[0]>>32), uint32(in.stack[0])); len(out) < 20 {
			b.Fatalf("output %q", out)
		}
		c.logs = c.logs[:0]
	}
}

// instanceLayer returns the call under a deadline in a CPU slot, as
// Plugin.Run makes it (the scheduler's begin and end,
// Instance.callExec): what the rest of the limit mechanism adds.
func instanceLayer(b *testing.B, p *Plugin, input []byte) func() {
	ctx := context.Background()
	in, c := layerInstance(b, p)
	s := p.h.sched
	return func() {
		if err := s.begin(in.ex, ctx, time.Minute); err != nil {
			b.Fatal(err)
		}
		in.stack[0] = uint64(len(input))
		if err := in.callExec(in.ctx, in.ex, exportAlloc, in.alloc, in.stack[:]); err != nil {
			b.Fatal(err)
		}
		ptr := api.DecodeU32(in.stack[0])
		in.mem.Write(ptr, input)
		in.stack[0], in.stack[1] = uint64(ptr), uint64(len(input))
		if err := in.callExec(in.ctx, in.ex, exportHandle, in.handle, in.stack[:]); err != nil {
			b.Fatal(err)
		}
		if out, _ := in.mem.Read(uint32(in.stack[0]>>32), uint32(in.stack[0])); len(out) < 20 {
			b.Fatalf("output %q", out)
		}
		if err := s.end(in.ex); err != nil {
			b.Fatal(err)
		}
		c.logs = c.logs[:0]
	}
}

// runLayer returns Plugin.Run of tk: the pool, the task written as JSON,
// the output read and checked, the task log. What the engine pays.
func runLayer(b *testing.B, p *Plugin, tk *workflow.Task) func() {
	p.maxCalls = 1 << 30 // measure calls, not instance starts
	return func() {
		if res := p.Run(context.Background(), tk, Env{}); res.Status != workflow.TaskCompleted {
			b.Fatal(res.ReasonForIncompletion)
		}
	}
}

// plainInstance instantiates bin as uploaded (no checks) in p's runtime,
// initialised, with the context its host functions need.
func plainInstance(b *testing.B, p *Plugin, bin []byte) (context.Context, api.Module) {
	ctx := context.Background()
	cm, err := p.h.rt.rt.CompileModule(ctx, bin)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cm.Close(ctx) })
	in := &instance{}
	in.cur = &callState{p: p, in: in}
	cctx := context.WithValue(ctx, callKey{}, in)
	mod, err := p.h.rt.rt.InstantiateModule(cctx, cm, p.h.modConfig.WithName("").WithStartFunctions("_initialize"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = mod.Close(ctx) })
	return cctx, mod
}

// BenchmarkGoGuest splits the Go guest's share of BenchmarkRun/plain: the
// module as uploaded, called directly through wazero, export by export, with
// the guest's garbage collector on (GOGC 100) and off:
//
//   - fixed: bench_fixed, a constant output: entering and leaving the Go
//     runtime.
//   - map: bench_map, encoding/json's Unmarshal of inputData into a
//     map[string]any and Marshal back: the work done the usual way.
//   - map-small: the same with the input the reference measured its 25 µs
//     on (wasm-plugins.md §2.3): a task of 270 bytes whose inputData has
//     two fields, not 1 KB.
//
// and natively, in the test's process, map/native and map-small/native:
// what the same work costs outside wasm.
//   - sdk: baton_handle through sdk/plugin, op echo: the task decoded and
//     the result encoded (with internal/plainjson).
//   - sdk-parse: the same input, the output left empty: the decoding alone.
//   - sdk-small: a task with no input (op state).
func BenchmarkGoGuest(b *testing.B) {
	h := newHost(b, HostConfig{})
	bin := sdkGuestWasm(b)
	p := load(b, h, bin, manifest(b, nil))
	input := func(in map[string]any) []byte {
		b, err := appendInput(nil, task(in))
		if err != nil {
			panic(err)
		}
		return b
	}
	parse := benchInput()
	parse["op"] = "parse"
	inputData, err := json.Marshal(benchInput())
	if err != nil {
		b.Fatal(err)
	}
	small := referenceTask(b)
	for _, nc := range []struct {
		name  string
		input []byte
	}{{"map/native", inputData}, {"map-small/native", small}} {
		b.Run(nc.name, func(b *testing.B) {
			timed(b, func() {
				var v map[string]any
				if err := json.Unmarshal(nc.input, &v); err != nil {
					b.Fatal(err)
				}
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
	for _, gc := range []int32{100, -1} {
		for _, bc := range []struct {
			name, export string
			input        []byte
		}{
			{"fixed", "bench_fixed", input(benchInput())},
			{"map", "bench_map", inputData},
			{"map-small", "bench_map", small},
			{"sdk", exportHandle, input(benchInput())},
			{"sdk-parse", exportHandle, input(parse)},
			{"sdk-small", exportHandle, input(map[string]any{"op": "state"})},
		} {
			b.Run(fmt.Sprintf("%s/gogc=%d", bc.name, gc), func(b *testing.B) {
				cctx, mod := plainInstance(b, p, bin)
				gcs, err := mod.ExportedFunction("bench_gc").Call(cctx, api.EncodeI32(gc))
				if err != nil {
					b.Fatal(err)
				}
				timed(b, exportCall(b, cctx, mod, bc.export, bc.input))
				mem := mod.Memory()
				after, err := mod.ExportedFunction("bench_gc").Call(cctx, api.EncodeI32(gc))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(after[0]-gcs[0])/float64(b.N), "gcs/op")
				b.ReportMetric(float64(mem.Size())/(1<<20), "mem-MiB")
			})
		}
	}
}

// referenceTask is the input the reference measured its bare call of 25 µs
// on (wasm-plugins.md §2.3): a task of 270 bytes whose inputData has two
// fields.
func referenceTask(b *testing.B) []byte {
	small, err := json.Marshal(map[string]any{
		"task": map[string]any{
			"taskId": "0a6f1e1c-6c1b-4a3f-9a53-6f0a0d3f6c11", "taskType": "transform",
			"workflowInstanceId": "5b0f9e2a-1d4e-4c6b-8f3a-2e7d9c1b0a44", "retryCount": 0, "pollCount": 1,
			"inputData": map[string]any{"text": "hello, small transformation", "n": 42},
		},
		"limits": map[string]any{"deadlineUnixMs": 1795000000000},
	})
	if err != nil {
		b.Fatal(err)
	}
	return small
}

// timed runs fn b.N times and reports the median time of one run.
func timed(b *testing.B, fn func()) {
	b.ReportAllocs()
	var times []time.Duration
	for b.Loop() {
		start := time.Now()
		fn()
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1e3, "p50-µs")
}
