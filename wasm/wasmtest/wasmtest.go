// Package wasmtest builds plugins for tests: Go packages with the standard
// toolchain (GOOS=wasip1, -buildmode=c-shared) and C files with Debian's
// clang and wasi-libc. Each module is built once per test binary.
//
// Tests that need clang skip when it is missing, unless the environment
// sets BATON_REQUIRE_CLANG=1 (CI does), which turns the skip into a
// failure.
package wasmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Clang is the compiler BuildC runs.
const Clang = "clang-19"

var (
	mu     sync.Mutex
	builds = map[string]*build{}
)

type build struct {
	once sync.Once
	bin  []byte
	err  error
}

// BuildGo builds the Go package in dir (a path relative to the test's
// working directory, or absolute) as a wasip1 reactor and returns the
// module.
func BuildGo(t testing.TB, dir string) []byte {
	t.Helper()
	return cached(t, "go:"+dir, func(out string) *exec.Cmd {
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		return cmd
	})
}

// BuildC compiles C files, with -O2 unless flags say otherwise, into a
// wasm32-wasi reactor and returns the module. Without clang the test is
// skipped, or fails under BATON_REQUIRE_CLANG=1.
func BuildC(t testing.TB, flags []string, files ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(Clang); err != nil {
		if os.Getenv("BATON_REQUIRE_CLANG") == "1" {
			t.Fatalf("%s is not installed and BATON_REQUIRE_CLANG=1: apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32", Clang)
		}
		t.Skipf("%s is not installed (apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32)", Clang)
	}
	key := "c:" + strings.Join(flags, " ") + ":" + strings.Join(files, " ")
	return cached(t, key, func(out string) *exec.Cmd {
		args := []string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor", "-Wall", "-Werror"}
		args = append(args, flags...)
		args = append(args, "-Wl,--strip-all", "-o", out)
		args = append(args, files...)
		return exec.Command(Clang, args...)
	})
}

func cached(t testing.TB, key string, cmd func(out string) *exec.Cmd) []byte {
	t.Helper()
	mu.Lock()
	b := builds[key]
	if b == nil {
		b = &build{}
		builds[key] = b
	}
	mu.Unlock()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "wasmtest")
		if err != nil {
			b.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "module.wasm")
		c := cmd(out)
		if msg, err := c.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("%s: %v\n%s", strings.Join(c.Args, " "), err, msg)
			return
		}
		b.bin, b.err = os.ReadFile(out)
	})
	if b.err != nil {
		t.Fatalf("build %s: %v", key, b.err)
	}
	return b.bin
}
