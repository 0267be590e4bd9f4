package wasm

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// The lent slot (sched). Its tests raise GOMAXPROCS so that their own
// goroutines and the scheduler's ticker run promptly beside two spinning
// guests (Go preempts guest code only every 10 ms or more); so they do not
// run in parallel with other tests.

// lendingHost returns a host with a lent slot, GOMAXPROCS raised for the
// test if it leaves no P beyond the slots and the lent slot.
func lendingHost(t *testing.T, cfg HostConfig) *Host {
	t.Helper()
	if n := cfg.GuestSlots + 2; runtime.GOMAXPROCS(0) < n {
		prev := runtime.GOMAXPROCS(n)
		t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
	h := newHost(t, cfg)
	require.True(t, h.sched.lending)
	return h
}

// TestQuietCallIsLentTheSlot: with one CPU slot, a plugin spinning in it
// (its deadline a minute away, an hour of slot time charged) does not hold
// up another plugin's call: that call runs at once on the lent slot and
// completes while the spinner still runs, without making it yield.
func TestQuietCallIsLentTheSlot(t *testing.T) {
	h := lendingHost(t, HostConfig{GuestSlots: 1})
	spin, ok, done, cancel := spinning(t, h)
	charge(h, spin.group, time.Hour) // as if it had spun for that long

	warmed(t, ok) // an instance's start cannot yield, so it is never lent the slot
	res := ok.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, int64(1), h.Stats().Lends, "the call ran on the lent slot")
	require.Zero(t, h.Stats().Yields, "the spinner kept its slot")
	select {
	case res := <-done:
		t.Fatalf("the spinner ended: %+v", res)
	default:
	}
	cancel()
	require.Contains(t, waitResult(t, done).ReasonForIncompletion, "context canceled")
}

// TestLentSliceEnds: a call on the lent slot runs one slice there (a
// second here); then it gives the lent slot back, waits its turn for a
// slot, here held by a spinner charged more, and its plugin is barred from
// the lent slot. The lent slot rests a slice: a quiet call arriving
// meanwhile asks for a slot as before the lent slot existed, and one
// arriving after is lent it.
func TestLentSliceEnds(t *testing.T) {
	h := lendingHost(t, HostConfig{GuestSlots: 1, Slice: time.Second})
	spin, ok, done, cancel := spinning(t, h)
	charge(h, spin.group, 10*time.Hour) // as if it had spun for that long
	warmed(t, ok)
	other, otherDone, cancelOther := startSpinner(t, h, "other")
	var rested time.Time
	require.Eventually(t, func() bool {
		h.sched.mu.Lock()
		defer h.sched.mu.Unlock()
		rested = h.sched.lendAt
		return !h.sched.lent && !rested.IsZero()
	}, 10*time.Second, time.Millisecond, "the lent call takes its turn after its slice")
	require.Equal(t, int64(1), h.Stats().Lends)
	charge(h, other.group, 11*time.Hour) // quiet calls are lent the slot again

	res := ok.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	if time.Now().Before(rested) {
		require.Equal(t, int64(1), h.Stats().Lends, "not lent while the slot rests")
	}
	time.Sleep(time.Until(rested))
	res = ok.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, int64(2), h.Stats().Lends, "lent once the slot has rested")
	h.sched.mu.Lock()
	barred := other.group.noLend
	h.sched.mu.Unlock()
	require.True(t, barred.After(time.Now().Add(lendBan/2)), "the plugin whose call ran its slice on the lent slot is barred from it")
	cancelOther()
	require.Contains(t, waitResult(t, otherDone).ReasonForIncompletion, "context canceled")
	cancel()
	require.Contains(t, waitResult(t, done).ReasonForIncompletion, "context canceled")
}

// lentSince returns when the call on the lent slot got it, zero if none.
func lentSince(s *sched) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ex := range s.active {
		if ex.lent {
			return ex.since
		}
	}
	return time.Time{}
}

// TestLentSliceIsOneSlice: a call on the lent slot is asked to yield at the
// end of its slice, not at the ticker's next idle poll (30 s away here,
// while nothing waits): lending wakes the ticker.
func TestLentSliceIsOneSlice(t *testing.T) {
	h := lendingHost(t, HostConfig{GuestSlots: 1}) // DefaultSlice
	spin, ok, done, cancel := spinning(t, h)
	defer func() { cancel(); waitResult(t, done) }()
	charge(h, spin.group, 10*time.Hour)
	other := load(t, h, spinModule(), manifest(t, func(m *Manifest) { m.Name = "other"; m.Limits.TimeoutMs = 60_000 }))
	// Instances' starts, queued for the slot, wake the ticker too.
	warmed(t, ok)
	warmed(t, other)
	h.sched.mu.Lock()
	h.sched.idlePoll = 30 * time.Second // under the calls' deadlines (a minute), which wake the ticker themselves
	h.sched.mu.Unlock()
	h.sched.poke() // the ticker looks now; its next look is 30 s away
	time.Sleep(time.Millisecond)
	ctx, cancelOther := context.WithCancel(context.Background())
	otherDone := running(ctx, other, Env{})
	defer func() { cancelOther(); waitResult(t, otherDone) }()
	var since, rested time.Time
	require.Eventually(t, func() bool {
		if s := lentSince(h.sched); !s.IsZero() {
			since = s
		}
		h.sched.mu.Lock()
		defer h.sched.mu.Unlock()
		rested = h.sched.lendAt
		return !rested.IsZero()
	}, 10*time.Second, 100*time.Microsecond)
	require.False(t, since.IsZero())
	held := rested.Sub(since) / 2 // the lent slot rests as long as it was held
	t.Logf("held the lent slot %v", held)
	// A slice (2 ms) and the ticker's lateness; without the wake-up, 30 s.
	require.Less(t, held, time.Second, "held the lent slot %v, slice %v", held, h.sched.slice)
}

// twoSpinners loads a spinner that runs two calls at once into h and waits
// for its two instances.
func twoSpinners(t *testing.T, h *Host) *Plugin {
	p := load(t, h, spinModule(), manifest(t, func(m *Manifest) {
		m.Limits.TimeoutMs = 60_000
		m.Limits.Concurrency, m.Limits.Warm = 2, 2
	}))
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.idle) == 2
	}, 10*time.Second, time.Millisecond)
	return p
}

// TestNoLendBesideOwnCall: a plugin is not "charged a slice less" than
// itself: its second call is not lent the slot beside its own first call,
// which has run for a few slices (not yet charged, as nothing waited).
func TestNoLendBesideOwnCall(t *testing.T) {
	h := lendingHost(t, HostConfig{GuestSlots: 1})
	p := twoSpinners(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := running(ctx, p, Env{})
	defer func() { cancel(); waitResult(t, a) }()
	require.Eventually(t, func() bool { return schedState(h.sched) == execRunning }, 10*time.Second, time.Millisecond)
	time.Sleep(5 * h.sched.slice)
	b := running(ctx, p, Env{})
	defer func() { cancel(); waitResult(t, b) }()
	require.Eventually(t, func() bool {
		h.sched.mu.Lock()
		defer h.sched.mu.Unlock()
		return len(h.sched.active) == 2
	}, 10*time.Second, time.Millisecond)
	require.Zero(t, h.Stats().Lends, "a spinning plugin's own second call ran beside it")
}

// TestLentAtMemoryMaximum: a call that grows its memory to its declared
// maximum once lent could no longer be asked to yield; it gives the lent
// slot back at that grow rather than keep it (the engine's core) until its
// deadline.
func TestLentAtMemoryMaximum(t *testing.T) {
	h := lendingHost(t, HostConfig{GuestSlots: 1})
	spin, _, done, cancel := spinning(t, h)
	defer func() { cancel(); waitResult(t, done) }()
	charge(h, spin.group, 10*time.Hour)
	m := abiModule(nil, cat(i32c(1), memGrow, drop, loopVoid, br(0), end, i64c(0)))
	m.memory = &limits{min: 1, max: ptr(uint32(2))}
	hog := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Name = "hog"; m.Limits.TimeoutMs = 60_000 }))
	ctx, cancelHog := context.WithCancel(context.Background())
	hogDone := running(ctx, hog, Env{})
	defer func() { cancelHog(); waitResult(t, hogDone) }()
	require.Eventually(t, func() bool { return h.Stats().Lends == 1 }, 10*time.Second, time.Millisecond)
	time.Sleep(50 * h.sched.slice)
	require.True(t, lentSince(h.sched).IsZero(), "the lent slot is still held after 50 slices")
}

// TestShortLentCallsRest: calls of a quiet plugin that each end before
// their slice still rest the lent slot as long as they held it: back to
// back, they run on it at most about half of the time.
func TestShortLentCallsRest(t *testing.T) {
	h := lendingHost(t, HostConfig{GuestSlots: 1, Slice: 100 * time.Millisecond})
	spin, _, done, cancel := spinning(t, h)
	defer func() { cancel(); waitResult(t, done) }()
	charge(h, spin.group, 10*time.Hour)
	q := load(t, h, countModule(5_000_000, limits{min: 1}), manifest(t, func(m *Manifest) { m.Name = "quiet"; m.Limits.TimeoutMs = 60_000 }))
	calls := 0
	for end := time.Now().Add(500 * time.Millisecond); time.Now().Before(end); calls++ {
		res := q.Run(context.Background(), task(nil), Env{})
		require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	}
	lends := h.Stats().Lends
	t.Logf("%d calls of about 7 ms (slice 100 ms), %d on the lent slot", calls, lends)
	require.LessOrEqual(t, float64(lends), 0.6*float64(calls)+1, "calls run on the lent slot, back to back")
}

// TestLentNotAVictim: a call on the lent slot holds none of the slots, so
// a waiting call gains nothing by making it yield, and enqueue does not
// pick it (here the only slot's holder is of the waiting call's own plugin,
// has not yielded, and has run an hour uncharged).
func TestLentNotAVictim(t *testing.T) {
	h := lendingHost(t, HostConfig{GuestSlots: 1, Slice: time.Second})
	p := twoSpinners(t, h)
	l := load(t, h, spinModule(), manifest(t, func(m *Manifest) { m.Name = "lent"; m.Limits.TimeoutMs = 60_000 }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := running(ctx, p, Env{})
	defer func() { cancel(); waitResult(t, a) }()
	require.Eventually(t, func() bool { return schedState(h.sched) == execRunning }, 10*time.Second, time.Millisecond)
	h.sched.mu.Lock()
	p.group.vtime = time.Hour
	h.sched.active[0].since = time.Now().Add(-time.Hour) // run alone an hour: charged 2h, vtime 1h
	l.group.vtime = time.Hour + 30*time.Minute
	h.sched.mu.Unlock()
	ld := running(ctx, l, Env{})
	defer func() { cancel(); waitResult(t, ld) }()
	require.Eventually(t, func() bool { return h.Stats().Lends == 1 }, 10*time.Second, time.Millisecond)
	b := running(ctx, p, Env{}) // fresh call of the slot holder's plugin
	defer func() { cancel(); waitResult(t, b) }()
	time.Sleep(100 * time.Millisecond)
	h.sched.mu.Lock()
	rested := h.sched.lendAt
	h.sched.mu.Unlock()
	require.True(t, rested.IsZero(), "the lent call yielded a slice early, freeing no slot")
}
