package script

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The tests in this file read the process's heap, so none of them calls
// t.Parallel: Go runs the parallel tests only after these have finished.

func TestTimeout(t *testing.T) {
	limits := Limits{Timeout: 200 * time.Millisecond}
	e := New(limits)
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"JS loop", func() error { _, err := e.JS(`while (true) {}`, nil); return err }},
		{"JS loop that catches everything", func() error {
			_, err := e.JS(`while (true) { try { while (true) {} } catch (e) {} finally { continue; } }`, nil)
			return err
		}},
		{"JS getter of the result", func() error {
			_, err := e.JS(`({get x() { while (true) {} }})`, nil)
			return err
		}},
		{"jq recursion", func() error { _, err := e.JQ(`def f: f; f`, nil); return err }},
		{"jq loop", func() error { _, err := e.JQ(`last(repeat(1))`, nil); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := tc.call()
			elapsed := time.Since(start)
			require.ErrorContains(t, requireKind(t, err, Timeout), "the script ran longer than 200ms and was stopped")
			// Loose on purpose: the point is that the runaway stops, not
			// how fast a loaded machine under -race gets there.
			require.Less(t, elapsed, limits.Timeout+2*time.Second)
		})
	}
}

func TestMemory(t *testing.T) {
	e := New(Limits{Timeout: 20 * time.Second, MaxMemory: 32 << 20})
	for _, tc := range []struct {
		name  string
		call  func() error
		kinds []Kind
	}{
		{"JS arrays kept", func() error {
			_, err := e.JS(`var a = []; while (true) a.push(new Array(1e5).fill(1));`, nil)
			return err
		}, []Kind{Memory}},
		{"JS string doubling", func() error { _, err := e.JS(`var s = 'x'; while (true) s += s;`, nil); return err }, []Kind{Memory, Runtime}},
		{"JS repeat", func() error { _, err := e.JS(`'x'.repeat(2e9)`, nil); return err }, []Kind{Memory}},
		{"JS repeat caught", func() error {
			_, err := e.JS(`try { 'x'.repeat(2e9) } catch (e) {} 'went on'`, nil)
			return err
		}, []Kind{Memory}},
		{"JS fill", func() error { _, err := e.JS(`new Array(1e9).fill(0)`, nil); return err }, []Kind{Memory}},
		{"JS fill on an array-like", func() error {
			_, err := e.JS(`Array.prototype.fill.call({length: 1e9}, 0)`, nil)
			return err
		}, []Kind{Memory}},
		{"JS join", func() error { _, err := e.JS(`new Array(1e6).join('abcdefgh')`, nil); return err }, []Kind{Memory}},
		{"JS padStart", func() error { _, err := e.JS(`'x'.padStart(1e9, 'ab')`, nil); return err }, []Kind{Memory}},
		{"JS repeat built by eval", func() error { _, err := e.JS(`eval("'x'.re" + "peat(2e9)")`, nil); return err }, []Kind{Memory}},
		{"JS repeat built by Function", func() error {
			_, err := e.JS(`[].constructor.constructor("return 'x'.re" + "peat(2e9)")()`, nil)
			return err
		}, []Kind{Memory}},
		{"JS Array.from", func() error { _, err := e.JS(`Array.from({length: 1e9}, (_, i) => i)`, nil); return err }, []Kind{Memory}},
		{"jq collecting", func() error { _, err := e.JQ(`[range(1e9)]`, nil); return err }, []Kind{Memory, Timeout}},
		{"jq recursion that grows", func() error { _, err := e.JQ(`def f: [f]; f`, nil); return err }, []Kind{Memory, Timeout}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The garbage of the case before would hide this one's
			// growth until a collection freed it (see exceeded).
			runtime.GC()
			var err error
			start := time.Now()
			allocated := allocatedDuring(func() { err = tc.call() })
			t.Logf("stopped after %s and %d MiB allocated: %v", time.Since(start).Round(time.Millisecond), allocated>>20, err)
			var serr *Error
			require.ErrorAs(t, err, &serr)
			require.True(t, slices.Contains(tc.kinds, serr.Kind), "kind %s: %s", serr.Kind, serr.Msg)
			require.Less(t, allocated, uint64(1<<30), "the failing call allocated %d MiB", allocated>>20)
		})
	}
}

// Garbage is not counted: a script may allocate many times its limit as
// long as little of it stays live.
func TestMemoryGarbageIsFree(t *testing.T) {
	e := New(Limits{Timeout: 20 * time.Second, MaxMemory: 8 << 20})
	for _, tc := range []struct {
		name string
		call func() (any, error)
		want any
	}{
		{"JS", func() (any, error) {
			return e.JS(`var n = 0; for (var i = 0; i < 1000; i++) { n += ('x' + i).repeat(25000).length; } n`, nil)
		}, json.Number("97250000")},
		{"jq", func() (any, error) {
			return e.JQ(`reduce range(1000) as $i (0; . + ("x\($i)" * 25000 | length))`, nil)
		}, []any{json.Number("97250000")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			var err error
			allocated := allocatedDuring(func() { got, err = tc.call() })
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Greater(t, allocated, uint64(32<<20), "the script allocated only %d MiB", allocated>>20)
		})
	}
}

func allocatedDuring(f func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	f()
	metrics.Read(s)
	return s[0].Value.Uint64() - before
}

// sink keeps allocations from being optimised away.
var sink []byte

func TestHeapBudget(t *testing.T) {
	// With the collector off, garbage stays in the heap until the budget
	// collects it, so every case below takes the budget's slow path.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()

	t.Run("live growth exceeds it", func(t *testing.T) {
		b := newHeapBudget(16<<20, &collector{})
		require.False(t, decide(t, b))
		var kept [][]byte
		for range 32 {
			kept = append(kept, make([]byte, 1<<20))
		}
		require.True(t, decide(t, b))
		runtime.KeepAlive(kept)
	})

	t.Run("garbage does not", func(t *testing.T) {
		runtime.GC()
		b := newHeapBudget(16<<20, &collector{})
		before := readHeap().cycles
		for range 40 {
			sink = make([]byte, 1<<20)
		}
		require.False(t, decide(t, b))
		require.Greater(t, readHeap().cycles, before, "the budget collected to find out")

		// What stayed live still counts after it counted on.
		var kept [][]byte
		for range 24 {
			kept = append(kept, make([]byte, 1<<20))
		}
		require.True(t, decide(t, b))
		runtime.KeepAlive(kept)
	})

	t.Run("garbage at the start does not hide growth", func(t *testing.T) {
		runtime.GC()
		for range 64 {
			sink = make([]byte, 1<<20)
		}
		b := newHeapBudget(16<<20, &collector{})
		runtime.GC() // frees what the budget started with
		require.False(t, decide(t, b))
		var kept [][]byte
		for range 24 {
			kept = append(kept, make([]byte, 1<<20))
		}
		require.True(t, decide(t, b))
		runtime.KeepAlive(kept)
	})

	t.Run("growth past the hard limit exceeds it at once", func(t *testing.T) {
		runtime.GC()
		b := newHeapBudget(4<<20, &collector{})
		for range 20 {
			sink = make([]byte, 1<<20)
		}
		require.True(t, b.exceeded())
		require.Nil(t, b.pending, "no collection was waited for")
	})
}

// decide calls exceeded until it has an answer that waits on no collection.
func decide(t *testing.T, b *heapBudget) bool {
	t.Helper()
	var over bool
	require.Eventually(t, func() bool {
		over = b.exceeded()
		return over || b.pending == nil
	}, 10*time.Second, time.Millisecond)
	return over
}

func TestReadHeap(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	before := readHeap()
	sink = make([]byte, 8<<20)
	after := readHeap()
	require.GreaterOrEqual(t, after.objects, before.objects+8<<20)
	runtime.GC()
	require.Greater(t, readHeap().cycles, after.cycles)
	require.Positive(t, readHeap().live)
}
