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
)

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

// BenchmarkRun measures one task through the Go guest parsing and
// re-serialising 1 KB of JSON, at each layer, with
// go test ./wasm -run '^$' -bench Run -benchtime 3s:
//
//   - plain: the module as uploaded (no checks), wazero's api.Function
//     called directly: baton_alloc, write, baton_handle, read. The floor.
//   - instance: the instrumented module through Instance.call under a
//     deadline (context.WithTimeout + AfterFunc): the limit mechanism.
//   - run: Plugin.Run: the pool, the task encoded as JSON, the result
//     decoded and checked, the task log. What the engine pays.
//   - run-noop: Plugin.Run of a task with no input the guest barely
//     handles: the fixed cost of a call.
//   - hostjson: the host's JSON work of run alone (encode the task,
//     decode the output), natively.
//
// p50-µs is the median of the per-call times.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	h := newHost(b, HostConfig{})
	bin := sdkGuestWasm(b)
	p := load(b, h, bin, manifest(b, func(m *Manifest) { m.Limits.Concurrency = 1 }))
	tk := task(benchInput())
	input, err := appendInput(nil, tk)
	if err != nil {
		b.Fatal(err)
	}
	var output []byte
	{
		res := p.Run(ctx, tk, Env{})
		if res.Status != workflow.TaskCompleted {
			b.Fatal(res.ReasonForIncompletion)
		}
		output, _ = json.Marshal(guestResult{Status: res.Status, OutputData: res.OutputData})
		b.Logf("input %d bytes, output %d bytes", len(input), len(output))
	}

	b.Run("plain", func(b *testing.B) {
		cm, err := h.rt.rt.CompileModule(ctx, bin)
		if err != nil {
			b.Fatal(err)
		}
		in := &instance{}
		c := &callState{p: p, in: in}
		cctx := context.WithValue(ctx, callKey{}, c)
		mod, err := h.rt.rt.InstantiateModule(cctx, cm, h.modConfig.WithName("").WithStartFunctions("_initialize"))
		if err != nil {
			b.Fatal(err)
		}
		defer mod.Close(ctx)
		alloc, handle, mem := mod.ExportedFunction(exportAlloc), mod.ExportedFunction(exportHandle), mod.Memory()
		var stack [2]uint64
		timed(b, func() {
			stack[0] = uint64(len(input))
			if err := alloc.CallWithStack(cctx, stack[:]); err != nil {
				b.Fatal(err)
			}
			ptr := api.DecodeU32(stack[0])
			mem.Write(ptr, input)
			stack[0], stack[1] = uint64(ptr), uint64(len(input))
			if err := handle.CallWithStack(cctx, stack[:]); err != nil {
				b.Fatal(err)
			}
			out, _ := mem.Read(uint32(stack[0]>>32), uint32(stack[0]))
			if len(out) < 100 {
				b.Fatalf("output %q", out)
			}
		})
	})
	b.Run("instance", func(b *testing.B) {
		in, err := p.newInstance(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close(ctx)
		c := &callState{p: p, in: in}
		timed(b, func() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			cctx = context.WithValue(cctx, callKey{}, c)
			in.stack[0] = uint64(len(input))
			if err := in.call(cctx, exportAlloc, in.alloc, in.stack[:]); err != nil {
				b.Fatal(err)
			}
			ptr := api.DecodeU32(in.stack[0])
			in.mem.Write(ptr, input)
			in.stack[0], in.stack[1] = uint64(ptr), uint64(len(input))
			if err := in.call(cctx, exportHandle, in.handle, in.stack[:]); err != nil {
				b.Fatal(err)
			}
			out, _ := in.mem.Read(uint32(in.stack[0]>>32), uint32(in.stack[0]))
			if len(out) < 100 {
				b.Fatalf("output %q", out)
			}
			cancel()
		})
	})
	b.Run("run", func(b *testing.B) {
		p.maxCalls = 1 << 30 // measure calls, not instance starts
		timed(b, func() {
			if res := p.Run(ctx, tk, Env{}); res.Status != workflow.TaskCompleted {
				b.Fatal(res.ReasonForIncompletion)
			}
		})
	})
	b.Run("run-noop", func(b *testing.B) {
		// A task with no input that the guest barely handles: the fixed
		// cost of a call.
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
		// What hostjson was with encoding/json: the whole task encoded
		// (definitions left out), the output decoded with json.Number.
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

// BenchmarkRunAsm is BenchmarkRun's layers for a hand-assembled plugin that
// returns a constant result: what the host adds to a guest that does
// nearly nothing (as a C or Rust plugin's small transformation would).
//
//	go test ./wasm -run '^$' -bench RunAsm
func BenchmarkRunAsm(b *testing.B) {
	ctx := context.Background()
	h := newHost(b, HostConfig{})
	p := load(b, h, okModule().encode(), manifest(b, func(m *Manifest) { m.Limits.Concurrency = 1 }))
	tk := task(map[string]any{"text": "hello"})
	input, err := appendInput(nil, tk)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("instance", func(b *testing.B) {
		in, err := p.newInstance(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close(ctx)
		timed(b, func() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			in.stack[0] = uint64(len(input))
			if err := in.call(cctx, exportAlloc, in.alloc, in.stack[:]); err != nil {
				b.Fatal(err)
			}
			ptr := api.DecodeU32(in.stack[0])
			in.mem.Write(ptr, input)
			in.stack[0], in.stack[1] = uint64(ptr), uint64(len(input))
			if err := in.call(cctx, exportHandle, in.handle, in.stack[:]); err != nil {
				b.Fatal(err)
			}
			cancel()
		})
	})
	b.Run("run", func(b *testing.B) {
		p.maxCalls = 1 << 30
		timed(b, func() {
			if res := p.Run(ctx, tk, Env{}); res.Status != workflow.TaskCompleted {
				b.Fatal(res.ReasonForIncompletion)
			}
		})
	})
}

// BenchmarkGoGuest splits the Go guest's share of BenchmarkRun/plain: the
// module as uploaded, called directly through wazero, export by export (the
// bench_* exports of testdata/sdkguest), with the guest's garbage collector
// on (GOGC 100) and off.
//
//	go test ./wasm -run '^$' -bench GoGuest
func BenchmarkGoGuest(b *testing.B) {
	ctx := context.Background()
	h := newHost(b, HostConfig{})
	bin := sdkGuestWasm(b)
	p := load(b, h, bin, manifest(b, nil))
	input, err := appendInput(nil, task(benchInput()))
	if err != nil {
		b.Fatal(err)
	}
	small, err := appendInput(nil, task(map[string]any{"op": "state"}))
	if err != nil {
		b.Fatal(err)
	}
	in := benchInput()
	in["op"] = "parse"
	parse, err := appendInput(nil, task(in))
	if err != nil {
		b.Fatal(err)
	}
	inputData, err := json.Marshal(benchInput())
	if err != nil {
		b.Fatal(err)
	}
	for _, gc := range []int32{100, -1} {
		for _, bc := range []struct {
			name, export string
			input        []byte
		}{
			{"fixed", "bench_fixed", input},
			{"map", "bench_map", inputData},
			{"sdk", exportHandle, input},
			{"sdk-small", exportHandle, small},
			{"sdk-parse", exportHandle, parse},
		} {
			b.Run(fmt.Sprintf("%s/gogc=%d", bc.name, gc), func(b *testing.B) {
				cm, err := h.rt.rt.CompileModule(ctx, bin)
				if err != nil {
					b.Fatal(err)
				}
				in := &instance{}
				cctx := context.WithValue(ctx, callKey{}, &callState{p: p, in: in})
				mod, err := h.rt.rt.InstantiateModule(cctx, cm, h.modConfig.WithName("").WithStartFunctions("_initialize"))
				if err != nil {
					b.Fatal(err)
				}
				defer mod.Close(ctx)
				alloc, fn, mem := mod.ExportedFunction(exportAlloc), mod.ExportedFunction(bc.export), mod.Memory()
				gcs, err := mod.ExportedFunction("bench_gc").Call(cctx, api.EncodeI32(gc))
				if err != nil {
					b.Fatal(err)
				}
				var stack [2]uint64
				timed(b, func() {
					stack[0] = uint64(len(bc.input))
					if err := alloc.CallWithStack(cctx, stack[:]); err != nil {
						b.Fatal(err)
					}
					ptr := api.DecodeU32(stack[0])
					mem.Write(ptr, bc.input)
					stack[0], stack[1] = uint64(ptr), uint64(len(bc.input))
					if err := fn.CallWithStack(cctx, stack[:]); err != nil {
						b.Fatal(err)
					}
					if out, _ := mem.Read(uint32(stack[0]>>32), uint32(stack[0])); len(out) < 20 {
						b.Fatalf("output %q", out)
					}
				})
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
