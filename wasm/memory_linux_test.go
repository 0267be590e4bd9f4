package wasm

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// TestMemoryOutsideGoHeap: an instance's linear memory is reserved at its
// cap outside the Go heap, so that instances of a plugin with a large cap
// that use a few pages cost the server a few pages each, and not their cap
// in the garbage collector's heap. Not parallel: it reads the process's
// heap.
func TestMemoryOutsideGoHeap(t *testing.T) {
	ctx := context.Background()
	h := newHost(t, HostConfig{})
	const capMiB, n = 256, 16
	p := load(t, h, okModule().encode(), manifest(t, func(m *Manifest) {
		m.Limits.MemoryMiB = capMiB
		m.Limits.Concurrency = n
	}))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		in, err := p.newInstance(ctx)
		require.NoError(t, err)
		defer in.Close(ctx)
	}
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapSys) - int64(before.HeapSys)
	require.Less(t, grown, int64(64<<20), "%d instances of a %d MiB cap took %d MiB of Go heap", n, capMiB, grown>>20)
}

// TestMemoryReturnedAtClose: the pages a guest touched go back to the
// system when its instance is discarded, not at some later collection.
// Not parallel: it reads the process's RSS.
func TestMemoryReturnedAtClose(t *testing.T) {
	h := newHost(t, HostConfig{})
	const capMiB = 64
	// Grow to the cap, write every byte, then trap: the instance is
	// discarded.
	fill := cat(i32c(capMiB*16-1), memGrow, drop, i32c(0), i32c(1), i32c(capMiB<<20), []byte{0xfc, 11, 0}, []byte{opUnreachable}, i64c(0))
	p := load(t, h, abiModule(nil, fill).encode(), manifest(t, func(m *Manifest) { m.Limits.MemoryMiB = capMiB }))
	p.fills.Wait()
	before := vmRSS(t)
	res := p.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "unreachable")
	after := vmRSS(t)
	require.Less(t, after-before, int64(16<<20), "RSS %d MiB before the task, %d MiB after its instance was discarded", before>>20, after>>20)
}

// vmRSS reads the process's resident memory from /proc/self/status.
func vmRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}
