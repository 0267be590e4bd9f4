package wasm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// Hand-assembled ABI v1 modules: a valid plugin whose baton_handle body a
// test chooses, and broken variants for the upload checks.

// Its memory starts with data: the output okJSON, then badJSON, then
// badStatus, then errMsg.
const (
	okJSON    = `{"status":"COMPLETED","outputData":{"x":1}}`
	badJSON   = `not json`
	badStatus = `{"status":"DONE"}`
	errMsg    = `custom failure`
)

var asmData = okJSON + badJSON + badStatus + errMsg

// at returns ptr<<32|len of the piece s of asmData, as baton_handle returns.
func at(s string, flags uint64) int64 {
	i := strings.Index(asmData, s)
	return int64(uint64(i)<<32 | uint64(len(s)) | flags)
}

var (
	tyVoidFn   = uint32(0) // () -> ()
	tyAlloc    = uint32(1) // (i32) -> i32
	tyHandle   = uint32(2) // (i32, i32) -> i64
	tyLog      = uint32(3) // (i32, i32, i32) -> ()
	tyHandleI3 = uint32(4) // (i32, i32) -> i32
	abiTypes   = []funcType{
		{},
		{params: []byte{i32}, results: []byte{i32}},
		{params: []byte{i32, i32}, results: []byte{i64}},
		{params: []byte{i32, i32, i32}},
		{params: []byte{i32, i32}, results: []byte{i32}},
	}
	i32Eq = []byte{0x46}
)

// abiModule is a valid plugin: baton_handle runs handle (which must leave
// an i64), with the imports given (function indexes of the module's own
// functions start after them: marker, alloc, handle, expo).
func abiModule(imports []importFunc, handle []byte) module {
	n := uint32(len(imports))
	expo := n + 3
	return module{
		types:   abiTypes,
		imports: imports,
		funcs: []function{
			{typ: tyVoidFn, code: nil},
			{typ: tyAlloc, code: i32c(4096)},
			{typ: tyHandle, code: handle},
			{typ: tyAlloc, code: cat( // expo(n) = expo(n-1) + expo(n-1), no loop
				localGet(0), i32Eqz, ifI32, i32c(1), elseOp,
				localGet(0), i32c(1), i32Sub, call(expo),
				localGet(0), i32c(1), i32Sub, call(expo), i32Add, end)},
		},
		memory: &limits{min: 1},
		exports: []export{
			{"memory", kindMemory, 0},
			{"baton_abi_v1", kindFunc, n},
			{"baton_alloc", kindFunc, n + 1},
			{"baton_handle", kindFunc, n + 2},
		},
		data: []byte(asmData),
	}
}

func okModule() module { return abiModule(nil, i64c(at(okJSON, 0))) }

func TestLoadChecks(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	withExport := func(m module, name string, kind byte, idx uint32) module {
		m.exports = append(m.exports, export{name, kind, idx})
		return m
	}
	for _, tc := range []struct {
		name string
		bin  func() []byte
		man  func(*Manifest)
		want string
	}{
		{"invalid binary", func() []byte { return []byte("MZ\x90\x00 not wasm at all") }, nil, "not a wasm module"},
		{"truncated", func() []byte { return okModule().encode()[:40] }, nil, "module"},
		{"no marker", func() []byte {
			m := okModule()
			m.exports = slicesDelete(m.exports, "baton_abi_v1")
			return m.encode()
		}, nil, "not a Baton plugin: it does not export baton_abi_v1"},
		{"no alloc", func() []byte {
			m := okModule()
			m.exports = slicesDelete(m.exports, "baton_alloc")
			return m.encode()
		}, nil, "does not export baton_alloc (i32) -> (i32)"},
		{"handle returns i32", func() []byte {
			m := okModule()
			m.funcs[2] = function{typ: tyHandleI3, code: i32c(0)}
			return m.encode()
		}, nil, "export baton_handle has type (i32, i32) -> (i32); ABI v1 requires (i32, i32) -> (i64)"},
		{"_start", func() []byte { return withExport(okModule(), "_start", kindFunc, 0).encode() }, nil,
			"exports _start: it is a command, and plugins are reactors; build Go with -buildmode=c-shared"},
		{"unknown baton import", func() []byte {
			return abiModule([]importFunc{{"baton", "foo", tyVoidFn}}, i64c(0)).encode()
		}, nil, "import baton.foo is not provided by ABI v1"},
		{"wrong import type", func() []byte {
			return abiModule([]importFunc{{"baton", "log", tyVoidFn}}, i64c(0)).encode()
		}, nil, "import baton.log has type () -> (); ABI v1 provides (i32, i32, i32) -> ()"},
		{"import from env", func() []byte {
			return abiModule([]importFunc{{"env", "x", tyVoidFn}}, i64c(0)).encode()
		}, nil, "import env.x: plugins may import only baton and wasi_snapshot_preview1"},
		{"imported memory", func() []byte {
			m := okModule()
			m.memory = nil
			m.memImport = &importFunc{"env", "memory", 1}
			return m.encode()
		}, nil, "imports its memory (env.memory)"},
		{"memory not exported", func() []byte {
			m := okModule()
			m.exports = slicesDelete(m.exports, "memory")
			return m.encode()
		}, nil, `does not export its memory as "memory"`},
		{"memory over cap", func() []byte {
			m := okModule()
			m.memory = &limits{min: 17 * 16} // 17 MiB
			return m.encode()
		}, func(m *Manifest) { m.Limits.MemoryMiB = 16 }, "memory starts at 272 pages (17 MiB), over its limit of 16 MiB (limits.memoryMiB)"},
		{"unknown WASI function", func() []byte {
			return abiModule([]importFunc{{"wasi_snapshot_preview1", "no_such_call", tyVoidFn}}, i64c(0)).encode()
		}, nil, "the plugin failed to start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.Load(context.Background(), tc.bin(), manifest(t, tc.man))
			require.ErrorContains(t, err, tc.want)
		})
	}
	require.Zero(t, h.Stats().Modules, "a refused module is not kept")
}

func slicesDelete(es []export, name string) []export {
	var out []export
	for _, e := range es {
		if e.name != name {
			out = append(out, e)
		}
	}
	return out
}

func TestCompileOncePerDigest(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	bin := okModule().encode()
	p1, err := h.Load(context.Background(), bin, manifest(t, nil))
	require.NoError(t, err)
	p2, err := h.Load(context.Background(), bin, manifest(t, func(m *Manifest) { m.Limits.MemoryMiB = 8 }))
	require.NoError(t, err)
	require.Equal(t, HostStats{Compiles: 1, Modules: 1}, h.Stats())
	require.Equal(t, Digest(bin), p2.Digest())
	for _, p := range []*Plugin{p1, p2} {
		res := p.Run(context.Background(), task(nil), Env{})
		require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
		require.Equal(t, map[string]any{"x": jsonNum("1")}, res.OutputData)
	}
	p1.Close(context.Background())
	require.Equal(t, 1, h.Stats().Modules, "p2 still holds the module")
	require.Equal(t, workflow.TaskCompleted, p2.Run(context.Background(), task(nil), Env{}).Status)
	p2.Close(context.Background())
	require.Equal(t, 0, h.Stats().Modules, "the last Close frees the module")
	p3 := load(t, h, bin, manifest(t, nil))
	require.Equal(t, int64(2), h.Stats().Compiles, "a module no Plugin holds is compiled again")
	require.Equal(t, workflow.TaskCompleted, p3.Run(context.Background(), task(nil), Env{}).Status)
	res := p1.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "the plugin is closed")
}

// TestHostileAsm runs each hand-assembled misbehaviour as a task: each
// fails its own task with a clear reason, and the next task on the same
// Plugin completes on a fresh instance.
func TestHostileAsm(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	const capMiB = 2
	loopVoidBody := func(body ...[]byte) []byte { return cat(loopVoid, cat(body...), end) }
	for _, tc := range []struct {
		name    string
		imports []importFunc
		handle  []byte
		want    string
		timed   bool // a runaway stopped by the deadline
	}{
		{name: "infinite loop", handle: cat(loopVoidBody(br(0)), i64c(0)), want: "plugin exceeded its deadline of 100ms", timed: true},
		{name: "loop-free exponential recursion", handle: cat(i32c(60), call(3), drop, i64c(0)),
			want: "plugin exceeded its deadline of 100ms", timed: true},
		{name: "memory.grow bomb", handle: cat(
			loopVoidBody(i32c(1), memGrow, i32c(-1), i32Ne, brIf(0)),
			// Stopped exactly at the cap: trap, so the task fails.
			memSize, i32c(capMiB*16), i32Eq, []byte{opIf, blockEmpty}, []byte{opUnreachable}, end,
			i64c(at(okJSON, 0))),
			want: "plugin trapped: wasm error: unreachable"},
		{name: "trap", handle: cat([]byte{opUnreachable}, i64c(0)), want: "plugin trapped: wasm error: unreachable"},
		{name: "output over cap", handle: i64c(2_000_000), want: "plugin output is 2000000 bytes; its limit is 1048576 (limits.maxOutputBytes)"},
		{name: "output out of bounds", handle: i64c(int64(0x7FFF0000)<<32 | 100), want: "out-of-bounds output"},
		{name: "invalid JSON", handle: i64c(at(badJSON, 0)), want: "plugin returned invalid JSON: invalid character 'o' in literal null"},
		{name: "unknown status", handle: i64c(at(badStatus, 0)), want: `plugin returned status "DONE"; ABI v1 allows COMPLETED`},
		{name: "error flag", handle: i64c(at(errMsg, errorFlag)), want: errMsg},
		{name: "pointer out of bounds", imports: []importFunc{{"baton", "log", tyLog}},
			handle: cat(i32c(1), i32c(-16), i32c(100), call(0), i64c(0)),
			want:   "plugin passed an out-of-bounds pointer to baton.log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := load(t, h, abiModule(tc.imports, tc.handle).encode(), manifest(t, func(m *Manifest) {
				m.Limits.TimeoutMs = 5000 // a loaded machine under -race is slow
				if tc.timed {
					m.Limits.TimeoutMs = 100
				}
				m.Limits.MemoryMiB = capMiB
			}))
			if tc.timed {
				requireRunStopped(t, p, nil)
			}
			res := p.Run(context.Background(), task(nil), Env{})
			require.Equal(t, workflow.TaskFailed, res.Status)
			require.Contains(t, res.ReasonForIncompletion, tc.want)
			// Only fresh instances are idle: the warm one started in the
			// background to replace the one that failed.
			p.fills.Wait()
			p.mu.Lock()
			idle := slices.Clone(p.idle)
			p.mu.Unlock()
			for _, in := range idle {
				require.Zero(t, in.calls, "the failed instance is not back in the pool")
			}
		})
	}
}

// requireRunStopped requires a Run of a runaway to return within the
// deadline+grace (the bound; retried up to 3 times as in
// requireStoppedInTime, since the machine is shared).
func requireRunStopped(t *testing.T, p *Plugin, input map[string]any) {
	t.Helper()
	var overs []time.Duration
	for range 3 {
		start := time.Now()
		res := p.Run(context.Background(), task(input), Env{})
		took := time.Since(start)
		require.Equal(t, workflow.TaskFailed, res.Status)
		overs = append(overs, took-deadline)
		if took <= deadline+grace {
			t.Logf("stopped %v after its deadline (runs: %v)", took-deadline, overs)
			return
		}
	}
	t.Fatalf("overran its %v deadline by %v in 3 runs, more than %v", deadline, overs, grace)
}

// TestFailureThenFreshInstance: after each failure the next task runs on a
// new instance and completes.
func TestFailureThenFreshInstance(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	// baton_handle traps when its input length is odd, else completes.
	m := abiModule(nil, cat(localGet(1), i32c(1), []byte{0x71}, []byte{opIf, blockEmpty}, []byte{opUnreachable}, end, i64c(at(okJSON, 0))))
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.Concurrency = 1; m.Limits.Warm = 1 }))
	first := p.idle[0]
	var odd, even *workflow.Task
	for i := 0; odd == nil || even == nil; i++ {
		tk := task(map[string]any{"pad": strings.Repeat("x", i)})
		if n := len(fmt.Sprintf(`{"task":%s}`, mustJSON(t, tk))); n%2 == 1 {
			odd = tk
		} else {
			even = tk
		}
	}
	require.Equal(t, workflow.TaskCompleted, p.Run(context.Background(), even, Env{}).Status)
	res := p.Run(context.Background(), odd, Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "plugin trapped")
	require.True(t, first.isClosed(), "the instance that trapped is closed")
	require.Equal(t, workflow.TaskCompleted, p.Run(context.Background(), even, Env{}).Status)
	p.mu.Lock()
	idle := slices.Clone(p.idle)
	p.mu.Unlock()
	require.Len(t, idle, 1)
	require.NotSame(t, first, idle[0])
}

// TestWarmPool: Load starts Warm instances, and a failure's replacement is
// started in the background.
func TestWarmPool(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	m := abiModule(nil, cat(localGet(1), i32c(1), []byte{0x71}, []byte{opIf, blockEmpty}, []byte{opUnreachable}, end, i64c(at(okJSON, 0))))
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.Concurrency = 3; m.Limits.Warm = 2 }))
	idle := func() (int, int) {
		p.fills.Wait()
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.idle), p.live
	}
	n, live := idle()
	require.Equal(t, 2, n)
	require.Equal(t, 2, live)
	odd := task(nil)
	for len(mustJSON(t, struct {
		Task *workflow.Task `json:"task"`
	}{odd}))%2 == 0 {
		odd.TaskID += "x"
	}
	require.Equal(t, workflow.TaskFailed, p.Run(context.Background(), odd, Env{}).Status)
	n, live = idle()
	require.Equal(t, 2, n, "the failed instance was replaced")
	require.Equal(t, 2, live)
	p.Close(context.Background())
	n, live = idle()
	require.Equal(t, 0, n)
	require.Equal(t, 0, live)
}

// TestTryRun: TryRun runs a task only in a free slot on an idle instance,
// calls prepare only then, and otherwise returns at once, warming the pool
// for the next call.
func TestTryRun(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	m := abiModule(nil, i64c(at(okJSON, 0)))
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.Concurrency = 2; m.Limits.Warm = 1 }))
	p.fills.Wait()
	prepared := 0
	prepare := func(tk *workflow.Task) func() *workflow.Task {
		return func() *workflow.Task { prepared++; return tk }
	}
	res := p.TryRun(context.Background(), Env{}, prepare(task(nil)))
	require.NotNil(t, res)
	require.Equal(t, workflow.TaskCompleted, res.Status)
	require.Nil(t, p.TryRun(context.Background(), Env{}, prepare(nil)), "prepare ran nothing")
	require.Equal(t, 2, prepared)
	require.Empty(t, p.slots, "the slots are given back")

	// No idle instance: none is started under the caller; the pool warms.
	p.mu.Lock()
	held := p.takeIdle()
	p.mu.Unlock()
	require.NotNil(t, held)
	require.Nil(t, p.TryRun(context.Background(), Env{}, prepare(task(nil))))
	require.Equal(t, 2, prepared, "prepare is not called")
	p.fills.Wait()
	p.mu.Lock()
	require.Len(t, p.idle, 1, "a new instance was started in the background, beyond warm")
	require.Equal(t, 2, p.live)
	p.mu.Unlock()
	p.put(held, true)

	// No free slot.
	p.slots <- struct{}{}
	p.slots <- struct{}{}
	require.Nil(t, p.TryRun(context.Background(), Env{}, prepare(task(nil))))
	require.Equal(t, 2, prepared)
	<-p.slots
	<-p.slots
	require.NotNil(t, p.TryRun(context.Background(), Env{}, prepare(task(nil))))
}
