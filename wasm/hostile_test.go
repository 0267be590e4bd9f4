package wasm

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// Plugins that try to outlive their deadline or to take host memory past
// their cap, each stopped by the host.

// runWithin runs a task on p and returns its result, failing the test if
// Run has not returned within limit: a bound far above the plugin's
// deadline, there to turn "runs for minutes" into a failure rather than a
// hung test binary.
func runWithin(t *testing.T, p *Plugin, limit time.Duration) *workflow.TaskResult {
	t.Helper()
	done := make(chan *workflow.TaskResult, 1)
	go func() { done <- p.Run(context.Background(), task(nil), Env{}) }()
	select {
	case res := <-done:
		return res
	case <-time.After(limit):
		t.Fatalf("Run did not return within %v, far past the plugin's deadline", limit)
		return nil
	}
}

// TestSleepEndsAtDeadline: a guest sleeping an hour in WASI's poll_oneoff
// is woken at its call's deadline and fails with it.
func TestSleepEndsAtDeadline(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	tyPoll := uint32(len(abiTypes))
	// One clock subscription at 1024 (its timeout at 1048: one hour), the
	// event at 2048, the count at 4096.
	m := abiModule([]importFunc{{wasiModule, "poll_oneoff", tyPoll}},
		cat(i32c(1048), i64c(int64(time.Hour)), []byte{0x37, 3, 0},
			i32c(1024), i32c(2048), i32c(1), i32c(4096), call(0), drop, i64c(at(okJSON, 0))))
	m.types = append(append([]funcType{}, abiTypes...), funcType{params: []byte{i32, i32, i32, i32}, results: []byte{i32}})
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 100 }))
	res := runWithin(t, p, 30*time.Second)
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "plugin exceeded its deadline of 100ms", res.ReasonForIncompletion)
}

// TestBulkLoopStopsAtDeadline: a loop whose body is one large memory.fill
// stops at the first iteration after its deadline. Were the interrupt flag
// read only at the exits to Go, every ChecksPerYield iterations, it would
// run 10,000 fills of 16 MiB (seconds to minutes) past it.
func TestBulkLoopStopsAtDeadline(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	fill := cat(loopVoid, i32c(0), i32c(1), i32c(16<<20), []byte{0xfc, 11, 0}, br(0), end)
	m := abiModule(nil, cat(i32c(255), memGrow, drop, fill, i64c(at(okJSON, 0))))
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 100; m.Limits.MemoryMiB = 16 }))
	res := runWithin(t, p, 10*time.Second)
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "plugin exceeded its deadline of 100ms", res.ReasonForIncompletion)
}

// TestTableGrowBounded: table.grow past MaxTableEntries returns -1, as
// wasm specifies for a table at its maximum, instead of allocating host
// memory outside the memory cap; growing up to the bound works.
func TestTableGrowBounded(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	grow := func(n int32, want int32) []byte {
		return cat([]byte{0xd0, 0x70}, i32c(n), []byte{0xfc, 15, 0}, i32c(want), i32Eq)
	}
	i32And := []byte{0x71}
	m := abiModule(nil, cat(
		grow(1<<26, -1),
		grow(MaxTableEntries-1, 1), i32And, // from 1 entry to the bound
		grow(1, -1), i32And,
		[]byte{opIf, i64}, i64c(at(okJSON, 0)), elseOp, i64c(at(badJSON, 0)), end))
	m.table = 1
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.MemoryMiB = 2 }))
	res := p.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, "a grow past the bound returned -1, one to it succeeded: %s", res.ReasonForIncompletion)
}

// TestTableMinimumRefused: a table starting over MaxTableEntries is refused
// at upload, with the bound.
func TestTableMinimumRefused(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	m := okModule()
	m.table = 1 << 20
	_, err := h.Load(context.Background(), m.encode(), manifest(t, nil))
	require.ErrorContains(t, err, "the module's tables start with 1048576 entries; at most 262144 are allowed")
}

// bigJSON returns a module's data, asmData then prefix, and the code that
// completes it in memory into prefix + n bytes of 'x' + `"}`, a JSON object
// of total bytes at offset at.
func bigJSON(prefix string, n int32) (data []byte, code []byte, at, total int32) {
	at = int32(len(asmData))
	end := at + int32(len(prefix)) + n
	pages := end/65536 + 1
	code = cat(i32c(pages), memGrow, drop,
		i32c(end-n), i32c('x'), i32c(n), []byte{0xfc, 11, 0},
		i32c(end), i32c('"'), []byte{0x3a, 0, 0},
		i32c(end+1), i32c('}'), []byte{0x3a, 0, 0})
	return []byte(asmData + prefix), code, at, end + 2 - at
}

// okIf returns okJSON if the i32 on the stack equals want, else badJSON
// (a task failure).
func okIf(want int32) []byte {
	return cat(i32c(want), i32Eq, []byte{opIf, i64}, i64c(at(okJSON, 0)), elseOp, i64c(at(badJSON, 0)), end)
}

// TestProgressBounded: progress refuses more than 64 KiB.
func TestProgressBounded(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	data, code, at, total := bigJSON(`{"a":"`, maxProgressBytes)
	m := abiModule([]importFunc{{importModule, "progress", tyHandleI3}}, cat(code, i32c(at), i32c(total), call(0), okIf(retFailed)))
	m.data = data
	p := load(t, h, m.encode(), manifest(t, nil))
	var calls atomic.Int32
	res := p.Run(context.Background(), task(nil), Env{Progress: func(context.Context, []byte) error { calls.Add(1); return nil }})
	require.Equal(t, workflow.TaskCompleted, res.Status, "progress returned -2: %s", res.ReasonForIncompletion)
	require.Zero(t, calls.Load(), "the engine never saw the oversized progress")
}

// TestFetchRequestBounded: http_fetch refuses a request JSON over 4 MiB
// before parsing it.
func TestFetchRequestBounded(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	h := newHost(t, HostConfig{AllowNetworks: loopback})
	data, code, at, total := bigJSON(`{"url":"`+srv.URL+`/","body":"`, maxFetchRequest)
	m := abiModule([]importFunc{{importModule, "http_fetch", tyHandleI3}}, cat(code, i32c(at), i32c(total), call(0), okIf(retFailed)))
	m.data = data
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) {
		m.AllowedHosts = []string{strings.TrimPrefix(srv.URL, "http://")}
		m.Limits.MemoryMiB = 16
	}))
	res := p.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, "http_fetch returned -2: %s", res.ReasonForIncompletion)
	require.Zero(t, hits.Load(), "the request was not sent")
}

// TestLogFullCostsNothing: once the log is full, a log call does not copy
// the guest's message (it used to make a string of it whole, 4 MiB a call).
func TestLogFullCostsNothing(t *testing.T) {
	h := newHost(t, HostConfig{})
	const calls, size = 16, 4 << 20
	logs := cat(i32c(64), memGrow, drop, i32c(0), localSet(2),
		loopVoid, i32c(1), i32c(0), i32c(size), call(0),
		localGet(2), i32c(1), i32Add, localTee(2), i32c(calls), i32LtU, brIf(0), end,
		i64c(at(okJSON, 0)))
	m := abiModule([]importFunc{{importModule, "log", tyLog}}, logs)
	m.funcs[2].locals = []byte{i32}
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.MemoryMiB = 8 }))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := p.Run(context.Background(), task(nil), Env{})
	runtime.ReadMemStats(&after)
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, "log truncated", res.Logs[len(res.Logs)-1].Log)
	allocated := after.TotalAlloc - before.TotalAlloc
	require.Less(t, allocated, uint64(size), "%d log calls of %d bytes allocated %d bytes", calls, size, allocated)
}

// TestStdoutBufferBounded: a guest writing one huge line to stdout leaves
// no buffer over the log cap in its instance, and logs within the cap.
func TestStdoutBufferBounded(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	tyW := uint32(len(abiTypes))
	const size = 4 << 20
	// iovec at 1024: {0, size}; fd_write(1, 1024, 1, 1040); the last byte
	// written is a newline.
	body := cat(i32c(64), memGrow, drop,
		i32c(1028), i32c(size), []byte{0x36, 2, 0},
		i32c(size-1), i32c('\n'), []byte{0x3a, 0, 0},
		i32c(1), i32c(1024), i32c(1), i32c(1040), call(0), drop, i64c(at(okJSON, 0)))
	m := abiModule([]importFunc{{wasiModule, "fd_write", tyW}}, body)
	m.types = append(append([]funcType{}, abiTypes...), funcType{params: []byte{i32, i32, i32, i32}, results: []byte{i32}})
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.MemoryMiB = 8; m.Limits.Concurrency = 1; m.Limits.Warm = 1 }))
	res := p.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	logged := 0
	for _, l := range res.Logs {
		logged += len(l.Log)
	}
	require.LessOrEqual(t, logged, maxLogBytes)
	p.mu.Lock()
	require.Len(t, p.idle, 1)
	in := p.idle[0]
	p.mu.Unlock()
	require.LessOrEqual(t, cap(in.stdout.partial), maxLogBytes, "the instance keeps no buffer over the log cap")
}

// TestStagedClearedBetweenTasks: what a task staged (a config value here)
// is gone when the next task on the same instance calls result_read.
func TestStagedClearedBetweenTasks(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{})
	// n := result_read(0, 0); config_get(errMsg) stages "secret"; ok if n == 0.
	m := abiModule([]importFunc{{importModule, "result_read", tyHandleI3}, {importModule, "config_get", tyHandleI3}},
		cat(i32c(0), i32c(0), call(0),
			i32c(int32(strings.Index(asmData, errMsg))), i32c(int32(len(errMsg))), call(1), drop,
			okIf(0)))
	p := load(t, h, m.encode(), manifest(t, func(m *Manifest) {
		m.Config = map[string]string{errMsg: "secret"}
		m.Limits.Concurrency, m.Limits.Warm = 1, 1
	}))
	for range 2 {
		res := p.Run(context.Background(), task(nil), Env{})
		require.Equal(t, workflow.TaskCompleted, res.Status, "result_read found the previous task's bytes: %s", res.ReasonForIncompletion)
	}
}
