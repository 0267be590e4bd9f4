package engine_test

import (
	"fmt"
	"os"
	"testing"
)

// pluginCache is the compilation cache the engines of the tests share, so
// that a plugin's module is compiled once per test binary, not per test.
var pluginCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "engine-test-wasm-cache")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pluginCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
