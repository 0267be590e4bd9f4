package wasm

import (
	"context"
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
