// Package wasmtest builds plugins for tests: Go packages with the standard
// toolchain (GOOS=wasip1, -buildmode=c-shared) and C files with Debian's
// clang and wasi-libc. Each module is built once per test binary.
//
// Tests that need clang skip when it is missing, unless the environment
// sets BATON_REQUIRE_CLANG=1 (CI does), which turns the skip into a
// failure.
//
// Compiling a Go plugin takes wazero seconds, and a minute or two in a
// test binary built with -race. So every module built here is also
// compiled, once per machine, into a compilation cache that the tests'
// hosts share (CacheDir), by a helper built without the race detector.
package wasmtest

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
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
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
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

// CacheDir is the compilation cache the tests' plugin hosts share:
// $BATON_WASMTEST_CACHE, or baton-wasmtest-cache in the temporary
// directory. wazero keys its entries by the module's digest, the CPU and
// its own version, so sharing it between test binaries and runs is safe.
func CacheDir() string {
	if d := os.Getenv("BATON_WASMTEST_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "baton-wasmtest-cache")
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
		if b.bin, b.err = os.ReadFile(out); b.err != nil {
			return
		}
		b.err = precompile(out)
	})
	if b.err != nil {
		t.Fatalf("build %s: %v", key, b.err)
	}
	return b.bin
}

// precompile compiles a module into CacheDir with the precompile command,
// built without the race detector.
func precompile(file string) error {
	// wazero files its cache under its own version, read from the build
	// information; a test binary has no dependencies there, so its wazero
	// says "dev". The helper is told to say what this binary's says.
	// (Tests run in their package's directory, inside this module.)
	c := exec.Command("go", "run", "-ldflags=-X github.com/tetratelabs/wazero/internal/version.version="+wazeroVersion(),
		"github.com/batonhq/baton/wasm/wasmtest/precompile", "-cache", CacheDir(), file)
	c.Env = append(os.Environ(), "GOFLAGS=")
	if msg, err := c.CombinedOutput(); err != nil {
		return fmt.Errorf("precompile %s: %v\n%s", file, err, msg)
	}
	return nil
}

// wazeroVersion is the version wazero reads from this binary's build
// information, as its internal/version does.
func wazeroVersion() string {
	v := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if strings.Contains(dep.Path, "github.com/tetratelabs/wazero") {
				v = dep.Version
			}
		}
		if v == "" || v == "(devel)" {
			v = info.Main.Version
		}
	}
	if v == "" || v == "(devel)" {
		return "dev"
	}
	return v
}

// Waiting is a plugin whose bytes differ with tag and whose tasks check
// themselves back in for an hour, so that the workflows using it keep
// running: for tests of the management of plugins.
func Waiting(tag string) []byte {
	return minimal(`{"status":"IN_PROGRESS","callbackAfterSeconds":3600}`, tag)
}

// minimal assembles the smallest module that keeps ABI v1: it
// exports memory, baton_abi_v1, baton_alloc (always offset 1024) and
// baton_handle, which answers result (JSON) whatever the task. A custom
// section holding tag makes the bytes, and so the digest, differ.
func minimal(result, tag string) []byte {
	uleb := func(v uint64) []byte { return binary.AppendUvarint(nil, v) }
	sleb := func(v int64) []byte {
		var b []byte
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
				return append(b, c)
			}
			b = append(b, c|0x80)
		}
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	name := func(s string) []byte { return cat(uleb(uint64(len(s))), []byte(s)) }
	section := func(id byte, body []byte) []byte { return cat([]byte{id}, uleb(uint64(len(body))), body) }
	body := func(code ...byte) []byte { return cat(uleb(uint64(len(code)+1)), []byte{0}, code) }
	const out = 2048
	handle := cat([]byte{0x42}, sleb(int64(out)<<32|int64(len(result))), []byte{0x0b}) // i64.const; end
	return cat(
		[]byte("\x00asm\x01\x00\x00\x00"),
		section(1, []byte{3, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7e}),
		section(3, []byte{3, 0, 1, 2}),
		section(5, []byte{1, 0, 1}),
		section(7, cat([]byte{4},
			name("memory"), []byte{2, 0},
			name("baton_abi_v1"), []byte{0, 0},
			name("baton_alloc"), []byte{0, 1},
			name("baton_handle"), []byte{0, 2})),
		section(10, cat([]byte{3}, body(0x0b), body(0x41, 0x80, 0x08, 0x0b), body(handle...))),
		section(11, cat([]byte{1, 0, 0x41}, sleb(out), []byte{0x0b}, name(result))),
		section(0, cat(name("baton.test"), []byte(tag))),
	)
}
