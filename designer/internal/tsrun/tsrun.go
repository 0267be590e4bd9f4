// Package tsrun runs the designer's TypeScript in tests: it bundles an
// entry file with esbuild, as the console's scripts are built, into a
// script that sets one global, and runs it in a goja runtime. The
// designer's tests use it to check the TypeScript against the Go code
// (layout) and the server's validator (document operations).
package tsrun

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dop251/goja"
	"github.com/evanw/esbuild/pkg/api"
	"github.com/stretchr/testify/require"
)

var (
	mu      sync.Mutex
	bundles = map[string]func() (string, error){}
)

// Bundle bundles entry (a path relative to the test's directory) into an
// IIFE that sets the global name to the entry's exports. Each entry and
// name is bundled once per test binary.
func Bundle(entry, global string) (string, error) {
	key := filepath.Clean(entry) + "\x00" + global
	mu.Lock()
	f, ok := bundles[key]
	if !ok {
		f = sync.OnceValues(func() (string, error) { return build(entry, global) })
		bundles[key] = f
	}
	mu.Unlock()
	return f()
}

func build(entry, global string) (string, error) {
	r := api.Build(api.BuildOptions{
		EntryPoints: []string{entry},
		Bundle:      true,
		Write:       false,
		Target:      api.ES2020,
		Format:      api.FormatIIFE,
		GlobalName:  global,
		Platform:    api.PlatformBrowser,
		LogLevel:    api.LogLevelSilent,
	})
	if len(r.Errors) > 0 {
		var b strings.Builder
		for _, m := range r.Errors {
			if m.Location != nil {
				fmt.Fprintf(&b, "%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			fmt.Fprintln(&b, m.Text)
		}
		return "", fmt.Errorf("bundling %s:\n%s", entry, b.String())
	}
	if len(r.OutputFiles) != 1 {
		return "", fmt.Errorf("bundling %s: %d output files, want 1", entry, len(r.OutputFiles))
	}
	return string(r.OutputFiles[0].Contents), nil
}

// Script is an entry to load and the global its bundle sets.
type Script struct {
	Entry, Global string
}

// VM returns a new goja runtime that has run the bundles of the scripts, in
// order. A runtime must be used from one goroutine.
func VM(tb testing.TB, scripts ...Script) *goja.Runtime {
	tb.Helper()
	vm := goja.New()
	for _, s := range scripts {
		src, err := Bundle(s.Entry, s.Global)
		require.NoError(tb, err)
		_, err = vm.RunScript(filepath.Base(s.Entry)+".js", src)
		require.NoError(tb, err)
	}
	return vm
}

// Func returns the JavaScript function that code (an expression) evaluates
// to in vm.
func Func(tb testing.TB, vm *goja.Runtime, code string) goja.Callable {
	tb.Helper()
	v, err := vm.RunString(code)
	require.NoError(tb, err)
	fn, ok := goja.AssertFunction(v)
	require.True(tb, ok, "%s is not a function", code)
	return fn
}
