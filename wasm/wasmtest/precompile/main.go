// Command precompile compiles plugins into a wazero compilation cache, for
// tests: wasmtest runs it with `go run`, which builds it without the race
// detector, so that a test binary built with -race loads a Go plugin from
// the cache in a second instead of compiling it for a minute or two.
//
//	go run ./wasm/wasmtest/precompile -cache DIR FILE.wasm...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/batonhq/baton/wasm"
)

func main() {
	cache := flag.String("cache", "", "the compilation cache directory (required)")
	flag.Parse()
	if *cache == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: precompile -cache DIR FILE.wasm...")
		os.Exit(2)
	}
	if err := run(*cache, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "precompile:", err)
		os.Exit(1)
	}
}

func run(cache string, files []string) error {
	ctx := context.Background()
	h, err := wasm.NewHost(ctx, wasm.HostConfig{CacheDir: cache})
	if err != nil {
		return err
	}
	defer h.Close(ctx)
	m, err := wasm.ParseManifest([]byte(`{"name":"precompile","taskTypes":["PRECOMPILE"],"limits":{"memoryMiB":4096}}`))
	if err != nil {
		return err
	}
	for _, f := range files {
		bin, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		p, err := h.Load(ctx, bin, m)
		if err != nil {
			// Tests build modules that must be refused, too: there is
			// nothing to cache, and the test sees the refusal itself.
			fmt.Fprintf(os.Stderr, "precompile: %s not cached: %v\n", f, err)
			continue
		}
		p.Close(ctx)
	}
	return nil
}
