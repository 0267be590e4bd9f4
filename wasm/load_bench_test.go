package wasm

import (
	"context"
	"testing"

	"github.com/batonhq/baton/wasm/wasmtest"
)

// BenchmarkLoad measures what a new plugin version costs before its first
// task: checks, instrumentation, compilation and the first instance, for
// a Go plugin (plugins/hash) and a C one (plugins/cexample). cold compiles
// into an empty cache; warm loads from a compilation cache on disk, as a
// restarted server does.
func BenchmarkLoad(b *testing.B) {
	for _, pl := range []struct {
		name string
		bin  func() []byte
	}{
		{"go", func() []byte { return wasmtest.BuildGo(b, "../plugins/hash") }},
		{"c", func() []byte { return wasmtest.BuildC(b, nil, "../plugins/cexample/main.c") }},
	} {
		bin := pl.bin()
		m, err := ParseManifest([]byte(`{"name":"bench","taskTypes":["BENCH"]}`))
		if err != nil {
			b.Fatal(err)
		}
		load := func(b *testing.B, dir string) {
			ctx := context.Background()
			h, err := NewHost(ctx, HostConfig{CacheDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			p, err := h.Load(ctx, bin, m)
			if err != nil {
				b.Fatal(err)
			}
			p.Close(ctx)
			if err := h.Close(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(pl.name+"/cold", func(b *testing.B) {
			for b.Loop() {
				load(b, b.TempDir())
			}
		})
		b.Run(pl.name+"/warm", func(b *testing.B) {
			dir := b.TempDir()
			load(b, dir)
			for b.Loop() {
				load(b, dir)
			}
		})
	}
}
