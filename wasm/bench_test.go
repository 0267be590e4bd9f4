package wasm

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCall measures the per-call cost of the interrupt checks:
//
//	go test ./wasm -run '^$' -bench Call -benchtime 2s
//
// Each workload runs three ways: "plain" is the module as uploaded, with no
// way to stop a runaway; "checks" is Instrument's output called through
// Instance.Call under a deadline (the mechanism Baton uses); "closeondone"
// is the module as uploaded in a runtime WithCloseOnContextDone(true), called
// under a deadline (wazero's own mechanism, which exits to Go at every loop
// iteration and does not stop loop-free code).
func BenchmarkCall(b *testing.B) {
	kit := kitchen().encode()
	for _, w := range []struct {
		name string
		bin  func(testing.TB) []byte
		fn   string
		arg  uint64
		want uint64
	}{
		{"go-sumjson-4", goGuestWasm, "sumjson", 4, sumjson(4)},
		{"go-fib-20", goGuestWasm, "fib", 20, 6765},
		{"wasm-fib-20", func(testing.TB) []byte { return kit }, "fib", 20, 6765},
		{"wasm-count-1e6", func(testing.TB) []byte { return kit }, "count", 1e6, 1e6},
	} {
		b.Run(w.name+"/plain", func(b *testing.B) {
			fn := plain(b, w.bin(b), false).ExportedFunction(w.fn)
			benchCall(b, w.want, func(ctx context.Context) ([]uint64, error) { return fn.Call(ctx, w.arg) })
		})
		b.Run(w.name+"/checks", func(b *testing.B) {
			in := instantiate(b, compile(b, newRuntime(b, Config{}), w.bin(b)))
			benchCall(b, w.want, func(ctx context.Context) ([]uint64, error) { return in.Call(ctx, w.fn, w.arg) })
		})
		b.Run(w.name+"/closeondone", func(b *testing.B) {
			fn := plain(b, w.bin(b), true).ExportedFunction(w.fn)
			benchCall(b, w.want, func(ctx context.Context) ([]uint64, error) { return fn.Call(ctx, w.arg) })
		})
	}
}

func benchCall(b *testing.B, want uint64, call func(context.Context) ([]uint64, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		res, err := call(ctx)
		if err != nil || res[0] != want {
			b.Fatalf("got %v, %v; want %d", res, err, want)
		}
	}
}

// BenchmarkInstrument measures the upload-time rewrite of a real Go guest
// (about 3.3 MB):
//
//	go test ./wasm -run '^$' -bench Instrument
func BenchmarkInstrument(b *testing.B) {
	bin := goGuestWasm(b)
	b.SetBytes(int64(len(bin)))
	for b.Loop() {
		if _, _, err := Instrument(bin); err != nil {
			b.Fatal(err)
		}
	}
}
