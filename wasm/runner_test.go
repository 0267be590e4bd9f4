package wasm

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The bound: a runaway is stopped within its deadline + 50 ms.
const (
	deadline = 100 * time.Millisecond
	grace    = 50 * time.Millisecond
)

// requireStoppedInTime calls fn on fresh instances under a deadline and
// requires ErrDeadline within deadline+grace. It is the one timing assertion
// of the package, asked for by the issue; a run over the bound is retried
// (up to 3 runs) so that a scheduler hiccup on a loaded machine does not fail
// it, and the overshoots are logged.
func requireStoppedInTime(t *testing.T, m *Module, fn string, params ...uint64) {
	t.Helper()
	var overs []time.Duration
	for range 3 {
		in := instantiate(t, m)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		_, err := in.Call(ctx, fn, params...)
		took := time.Since(start)
		cancel()
		require.ErrorIs(t, err, ErrDeadline)
		require.Contains(t, err.Error(), "plugin exceeded its deadline")
		_, err = in.Call(context.Background(), fn, params...)
		require.ErrorIs(t, err, ErrClosed, "an interrupted instance is never reused")
		overs = append(overs, took-deadline)
		if took <= deadline+grace {
			t.Logf("%s stopped %v after its %v deadline (runs: %v)", fn, took-deadline, deadline, overs)
			return
		}
	}
	t.Fatalf("%s overran its %v deadline by %v in 3 runs, more than %v", fn, deadline, overs, grace)
}

func TestDeadlineStopsLoop(t *testing.T) {
	requireStoppedInTime(t, compile(t, newRuntime(t, Config{}), kitchen().encode()), "spin")
}

func TestDeadlineStopsLoopFreeRecursion(t *testing.T) {
	// expo(60) makes 2^61 calls and contains no loop opcode: wazero's own
	// context checks (loop headers only) would not stop it.
	requireStoppedInTime(t, compile(t, newRuntime(t, Config{}), kitchen().encode()), "expo", 60)
}

func TestCancelStopsCall(t *testing.T) {
	t.Parallel()
	in := instantiate(t, compile(t, newRuntime(t, Config{}), kitchen().encode()))
	ctx, cancel := context.WithCancel(context.Background())
	// Whether the cancel comes before or during the call, spin never returns
	// by itself, so the result is the same.
	time.AfterFunc(10*time.Millisecond, cancel)
	_, err := in.Call(ctx, "spin")
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrDeadline)
}

func TestTrapDiscardsInstance(t *testing.T) {
	t.Parallel()
	in := instantiate(t, compile(t, newRuntime(t, Config{}), kitchen().encode()))
	res, err := in.Call(context.Background(), "fib", 10)
	require.NoError(t, err)
	require.Equal(t, []uint64{55}, res)
	_, err = in.Call(context.Background(), "trap")
	require.ErrorContains(t, err, "plugin trapped")
	require.ErrorContains(t, err, "unreachable")
	_, err = in.Call(context.Background(), "fib", 10)
	require.ErrorIs(t, err, ErrClosed)
	_, err = in.Call(context.Background(), "nope")
	require.ErrorIs(t, err, ErrClosed)
}

func TestCallUnknownExport(t *testing.T) {
	t.Parallel()
	in := instantiate(t, compile(t, newRuntime(t, Config{}), kitchen().encode()))
	_, err := in.Call(context.Background(), "nope")
	require.ErrorContains(t, err, `exports no function "nope"`)
}

func TestMemoryBombStopsAtLimit(t *testing.T) {
	t.Parallel()
	const pages = 64 // 4 MiB
	in := instantiate(t, compile(t, newRuntime(t, Config{MemoryLimitPages: pages}), kitchen().encode()))
	// bomb grows a page at a time until memory.grow returns -1, then
	// returns memory.size: the cap is met, not passed, and nothing traps.
	res, err := in.Call(context.Background(), "bomb")
	require.NoError(t, err)
	require.Equal(t, []uint64{pages}, res)
	require.Equal(t, uint32(pages*65536), in.Memory().Size())
	res, err = in.Call(context.Background(), "fib", 7)
	require.NoError(t, err, "a failed memory.grow is not a trap; the instance stays usable")
	require.Equal(t, []uint64{13}, res)
}

func TestMemoryOverLimit(t *testing.T) {
	t.Parallel()
	r := newRuntime(t, Config{MemoryLimitPages: 64})
	m := kitchen()
	m.memory = &limits{min: 65}
	_, err := r.Compile(context.Background(), m.encode())
	require.ErrorContains(t, err, "min 65 pages (4 Mi) over limit of 64 pages")

	// A declared maximum over the cap is lowered to it.
	m.memory = &limits{min: 1, max: ptr(uint32(1000))}
	in := instantiate(t, compile(t, r, m.encode()))
	res, err := in.Call(context.Background(), "bomb")
	require.NoError(t, err)
	require.Equal(t, []uint64{64}, res)

	_, err = NewRuntime(context.Background(), Config{MemoryLimitPages: 65537})
	require.ErrorContains(t, err, "over wasm32's 65536")
}

// TestRunawayDoesNotStallGC: a goroutine running wasm code is never at a Go
// safe point, so a stop-the-world (a garbage collection) waits for it. The
// checks exit to Go every ChecksPerYield, so the collections below complete
// while the guest runs, and the interrupt, a goroutine too, can run. Without
// the exits this test hangs: the first collection waits for the guest and
// everything else waits for the collection.
func TestRunawayDoesNotStallGC(t *testing.T) {
	t.Parallel()
	m := compile(t, newRuntime(t, Config{}), kitchen().encode())
	for _, c := range []struct {
		fn     string
		params []uint64
	}{{"spin", nil}, {"expo", []uint64{60}}} {
		in := instantiate(t, m)
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			_, err := in.Call(ctx, c.fn, c.params...)
			done <- err
		}()
		gcs := 0
	wait:
		for {
			runtime.GC()
			gcs++
			select {
			case err := <-done:
				require.ErrorIs(t, err, ErrDeadline, c.fn)
				break wait
			default:
			}
		}
		took := time.Since(start)
		cancel()
		t.Logf("%s: %d collections while it ran, stopped after %v", c.fn, gcs, took)
		// A collection waits for the guest to reach an exit to Go: without
		// them the interrupt could not be set until the guest ended, far
		// past the deadline (25 s in a run without them). The bound is
		// loose, for a loaded machine and the race detector.
		require.Less(t, took, 5*time.Second, "%s: stopped near its deadline while collections ran", c.fn)
	}
}

// Closing an instance while a call runs stops the call: its deadline
// would find the instance closed and set nothing.
func TestCloseStopsCall(t *testing.T) {
	t.Parallel()
	in := instantiate(t, compile(t, newRuntime(t, Config{}), kitchen().encode()))
	done := make(chan error, 1)
	go func() {
		_, err := in.Call(context.Background(), "spin")
		done <- err
	}()
	time.Sleep(10 * time.Millisecond) // let the call start; either way it must end
	in.Close(context.Background())
	select {
	case err := <-done:
		require.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("a call goes on after its instance was closed")
	}
}

func TestStartFunctionIsInterruptible(t *testing.T) {
	t.Parallel()
	m := kitchen()
	m.start = ptr(uint32(fnSpin))
	mod := compile(t, newRuntime(t, Config{}), m.encode())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := mod.Instantiate(ctx)
	require.ErrorIs(t, err, ErrDeadline)
	require.ErrorContains(t, err, "call baton.start")
}

func TestGoGuest(t *testing.T) {
	t.Parallel()
	m := goGuestModule(t)
	require.Greater(t, m.Stats.Loops, 1000, "Go output has a loop in most functions")
	in := instantiate(t, m)
	ctx := context.Background()
	for _, n := range []uint64{0, 1, 3, 17, 100} {
		got, err := in.Call(ctx, "sumjson", n)
		require.NoError(t, err)
		require.Equal(t, []uint64{sumjson(n)}, got, "sumjson(%d) as native Go computes it", n)
	}
	got, err := in.Call(ctx, "fib", 20)
	require.NoError(t, err)
	require.Equal(t, []uint64{6765}, got)
}

func TestGoGuestSpinIsStopped(t *testing.T) {
	requireStoppedInTime(t, goGuestModule(t), "spin")
}

// sumjson is testdata/goguest's sumjson, run natively.
func sumjson(n uint64) uint64 {
	type item struct {
		ID   int      `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	items := make([]item, n)
	for i := range items {
		items[i] = item{ID: i * 7, Name: fmt.Sprint("item-", i), Tags: []string{"a", fmt.Sprint(i % 3)}}
	}
	b := must(json.Marshal(items))
	var sum uint64
	for i := range items {
		sum += uint64(items[i].ID)
	}
	return uint64(len(b))<<32 | sum
}
