package wasm

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// The host-wide scheduler of guest code: CPU slots, yields, blocking host
// calls and deadlines.

// spinModule is a plugin whose handler spins until its call is stopped.
func spinModule() []byte { return abiModule(nil, cat(loopVoid, br(0), end, i64c(0))).encode() }

// countModule is a plugin whose handler counts to n in a loop, then
// completes; mem is its memory's limits.
func countModule(n int32, mem limits) []byte {
	m := abiModule(nil, cat(
		loopVoid, localGet(2), i32c(1), i32Add, localTee(2), i32c(n), i32LtU, brIf(0), end,
		i64c(at(okJSON, 0))))
	m.funcs[2].locals = []byte{i32}
	m.memory = &mem
	return m.encode()
}

// running runs p's task in the background under ctx; the channel has its
// result.
func running(ctx context.Context, p *Plugin, env Env) <-chan *workflow.TaskResult {
	done := make(chan *workflow.TaskResult, 1)
	go func() { done <- p.Run(ctx, task(nil), env) }()
	return done
}

// schedState returns the state of the scheduler's only call begun, -1 if
// there is not exactly one.
func schedState(s *sched) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.active) != 1 {
		return -1
	}
	return s.active[0].state
}

// waitResult returns the result on done, failing the test if there is none
// in a bound far above what the test needs.
func waitResult(t *testing.T, done <-chan *workflow.TaskResult) *workflow.TaskResult {
	t.Helper()
	select {
	case res := <-done:
		return res
	case <-time.After(30 * time.Second):
		t.Fatal("the plugin call did not return")
		return nil
	}
}

// spinning loads a spinner (its deadline a minute away) and a plugin that
// completes at once into h, and starts the spinner's call, which the
// returned cancel ends (as the test does); done has its result.
func spinning(t *testing.T, h *Host) (spin, ok *Plugin, done <-chan *workflow.TaskResult, cancel context.CancelFunc) {
	spin = load(t, h, spinModule(), manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 60_000 }))
	ok = load(t, h, okModule().encode(), manifest(t, nil))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done = running(ctx, spin, Env{})
	require.Eventually(t, func() bool { return schedState(h.sched) == execRunning }, 10*time.Second, time.Millisecond)
	return spin, ok, done, cancel
}

// warmed waits until p has an instance idle in its pool.
func warmed(t *testing.T, p *Plugin) {
	t.Helper()
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.idle) > 0
	}, 10*time.Second, time.Millisecond, "an instance of %s starts", p.m.Name)
}

// startSpinner loads a spinner named name into h, waits for an instance of
// it, and starts its call (its deadline a minute away), which cancel ends;
// done has its result.
func startSpinner(t *testing.T, h *Host, name string) (p *Plugin, done <-chan *workflow.TaskResult, cancel context.CancelFunc) {
	p = load(t, h, spinModule(), manifest(t, func(m *Manifest) { m.Name = name; m.Limits.TimeoutMs = 60_000 }))
	warmed(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return p, running(ctx, p, Env{}), cancel
}

// charge sets g's charge, as if its calls had run for d.
func charge(h *Host, g *group, d time.Duration) {
	h.sched.mu.Lock()
	g.vtime = d
	h.sched.mu.Unlock()
}

// TestGuestSlotIsShared: with one CPU slot and no lent slot, a plugin
// spinning in it (its deadline a minute away, an hour of slot time charged)
// yields it to another plugin's call, which completes while the spinner
// still runs; the spinner then ends with its context.
func TestGuestSlotIsShared(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1})
	noLending(h)
	spin, ok, done, cancel := spinning(t, h)
	// The start of ok's instance makes the spinner yield once already.
	warmed(t, ok)
	charge(h, spin.group, time.Hour) // as if it had spun for that long

	yields := h.Stats().Yields
	res := ok.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Greater(t, h.Stats().Yields, yields, "the spinner gave its slot up")
	select {
	case res := <-done:
		t.Fatalf("the spinner ended: %+v", res)
	default:
	}
	cancel()
	res = waitResult(t, done)
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "context canceled")
}

// noLending takes h's lent slot away (it has one where GOMAXPROCS leaves a
// P for it): its calls wait for the slots.
func noLending(h *Host) {
	h.sched.mu.Lock()
	h.sched.lending = false
	h.sched.mu.Unlock()
}

// blockingKV is a KV whose Get waits for release, after closing entered.
type blockingKV struct {
	memKV
	entered, release chan struct{}
}

func (kv *blockingKV) Get(ctx context.Context, k string) ([]byte, bool, error) {
	close(kv.entered)
	<-kv.release
	return nil, false, nil
}

// TestSlotFreeDuringBlockingCall: a call waiting in kv_get holds no CPU
// slot: with one slot, another plugin's call completes meanwhile without a
// yield, and the first takes a slot again and completes after.
func TestSlotFreeDuringBlockingCall(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1})
	kvGet := abiModule([]importFunc{{"baton", "kv_get", tyHandleI3}}, cat(i32c(0), i32c(1), call(0), drop, i64c(at(okJSON, 0))))
	blocked := load(t, h, kvGet.encode(), manifest(t, nil))
	ok := load(t, h, okModule().encode(), manifest(t, nil))
	kv := &blockingKV{entered: make(chan struct{}), release: make(chan struct{})}
	done := running(context.Background(), blocked, Env{KV: kv})
	<-kv.entered
	require.Equal(t, execBlocked, schedState(h.sched))

	res := ok.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Zero(t, h.Stats().Yields)
	close(kv.release)
	res = waitResult(t, done)
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
}

// TestSlotFreeDuringSleep: a guest sleeping in WASI's poll_oneoff holds no
// CPU slot either, and its sleep ends with its call's context.
func TestSlotFreeDuringSleep(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1})
	tyPoll := uint32(len(abiTypes))
	m := abiModule([]importFunc{{wasiModule, "poll_oneoff", tyPoll}},
		cat(i32c(1048), i64c(int64(time.Hour)), []byte{0x37, 3, 0},
			i32c(1024), i32c(2048), i32c(1), i32c(4096), call(0), drop, i64c(at(okJSON, 0))))
	m.types = append(append([]funcType{}, abiTypes...), funcType{params: []byte{i32, i32, i32, i32}, results: []byte{i32}})
	sleeper := load(t, h, m.encode(), manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 60_000 }))
	ok := load(t, h, okModule().encode(), manifest(t, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := running(ctx, sleeper, Env{})
	require.Eventually(t, func() bool { return schedState(h.sched) == execBlocked }, 10*time.Second, time.Millisecond)

	res := ok.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Zero(t, h.Stats().Yields)
	cancel()
	res = waitResult(t, done)
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "context canceled")
}

// TestDeadlineHoldsWhileYielding: a runaway sharing the one slot with
// another is stopped at its deadline, wall time, though it spent part of it
// queued after its yields.
func TestDeadlineHoldsWhileYielding(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1})
	other := load(t, h, spinModule(), manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 60_000 }))
	// A deadline of many slices, so that even a loaded machine (CI, under
	// -race) makes them take turns before it.
	runaway := load(t, h, spinModule(), manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 1000 }))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := running(ctx, other, Env{})
	require.Eventually(t, func() bool { return schedState(h.sched) == execRunning }, 10*time.Second, time.Millisecond)

	res := waitResult(t, running(context.Background(), runaway, Env{}))
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "plugin exceeded its deadline of 1s", res.ReasonForIncompletion)
	require.GreaterOrEqual(t, h.Stats().Yields, int64(2), "both took turns")
	cancel()
	require.Equal(t, workflow.TaskFailed, waitResult(t, done).Status)
}

// TestYieldLeavesGuestIntact: a guest that yields many times (two
// counting loops sharing one slot in short slices) completes, and the grow
// its yields make leaves its memory as it was.
func TestYieldLeavesGuestIntact(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1, Slice: 100 * time.Microsecond})
	bin := countModule(200_000_000, limits{min: 1})
	a := load(t, h, bin, manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 60_000; m.Limits.Warm = 1 }))
	b := load(t, h, bin, manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 60_000 }))
	da, db := running(context.Background(), a, Env{}), running(context.Background(), b, Env{})
	for _, done := range []<-chan *workflow.TaskResult{da, db} {
		res := waitResult(t, done)
		require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	}
	require.GreaterOrEqual(t, h.Stats().Yields, int64(2))
	a.mu.Lock()
	defer a.mu.Unlock()
	require.Len(t, a.idle, 1)
	require.Equal(t, uint32(1), a.idle[0].Memory().Size()>>16, "the yields' grows failed")
	require.Equal(t, 1, a.idle[0].calls)
}

// TestNoYieldAtMemoryMaximum: a guest whose memory is at its declared
// maximum cannot take the grow a yield makes, so it is not asked to: it
// runs on to completion (rather than trap) while another call waits.
func TestNoYieldAtMemoryMaximum(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1, Slice: 100 * time.Microsecond})
	noLending(h) // ok waits for the slot the full guest holds
	full := load(t, h, countModule(100_000_000, limits{min: 1, max: ptr(uint32(1))}), manifest(t, func(m *Manifest) { m.Limits.TimeoutMs = 60_000 }))
	ok := load(t, h, okModule().encode(), manifest(t, nil))
	done := running(context.Background(), full, Env{})
	require.Eventually(t, func() bool { return schedState(h.sched) == execRunning }, 10*time.Second, time.Millisecond)
	res := ok.Run(context.Background(), task(nil), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	res = waitResult(t, done)
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Zero(t, h.Stats().Yields)
}

// TestFreshCallsGoFirst: a freed slot goes to a call that has not yielded
// before one that has, unless that one has waited ageWait.
func TestFreshCallsGoFirst(t *testing.T) {
	t.Parallel()
	for _, aged := range []bool{false, true} {
		s := newSched(1, time.Hour)
		if aged {
			s.ageWait = 0
		}
		g := &group{}
		holder, yielded, fresh := s.newExec(g), s.newExec(g), s.newExec(g)
		require.NoError(t, s.begin(holder, context.Background(), 0))
		s.mu.Lock()
		yielded.yielded = true
		s.enqueue(yielded)
		s.enqueue(fresh)
		s.mu.Unlock()
		require.NoError(t, s.end(holder))
		first, second := fresh, yielded
		if aged {
			first, second = yielded, fresh
		}
		require.Equal(t, execRunning, first.state, "aged %v", aged)
		require.Equal(t, execWaiting, second.state)
		<-first.grant
	}
}

// TestAgainDoesNotStarveFresh: once a call that has yielded got a slot
// because it had waited ageWait, the next freed slot goes to the fresh
// call, however long the other calls of again have waited (a plugin's
// spinning calls once kept a short call of the same plugin out until their
// deadlines).
func TestAgainDoesNotStarveFresh(t *testing.T) {
	t.Parallel()
	s := newSched(1, time.Hour)
	s.ageWait = time.Millisecond
	g := &group{}
	holder, fresh := s.newExec(g), s.newExec(g)
	again := []*exec{s.newExec(g), s.newExec(g), s.newExec(g)}
	require.NoError(t, s.begin(holder, context.Background(), 0))
	s.mu.Lock()
	for _, ex := range again {
		ex.yielded = true
		s.enqueue(ex)
		ex.queued = time.Now().Add(-time.Second) // all long aged
	}
	s.enqueue(fresh)
	s.mu.Unlock()
	require.NoError(t, s.end(holder))
	require.Equal(t, execRunning, again[0].state, "the aged head of again")
	<-again[0].grant
	require.NoError(t, s.end(again[0]))
	require.Equal(t, execRunning, fresh.state, "the fresh call, not the next of again")
	require.Equal(t, execWaiting, again[1].state)
	<-fresh.grant
}

// TestQuietPluginGoesFirst: a freed slot goes to the call of the plugin
// charged least, before calls of a busier plugin that queued earlier; and
// a plugin waking from idle starts at most ageWait behind the busy one,
// not with the credit of all the time it was idle.
func TestQuietPluginGoesFirst(t *testing.T) {
	t.Parallel()
	s := newSched(1, time.Hour)
	s.ageWait = time.Second
	busy, quiet := &group{}, &group{}
	busy.vtime = time.Minute
	holder, busy2, q := s.newExec(busy), s.newExec(busy), s.newExec(quiet)
	require.NoError(t, s.begin(holder, context.Background(), 0))
	s.mu.Lock()
	s.enqueue(busy2)
	s.wakeGroup(quiet)
	require.Equal(t, time.Minute-s.ageWait, quiet.vtime, "woken ageWait behind the busy plugin")
	s.enqueue(q)
	s.mu.Unlock()
	require.NoError(t, s.end(holder))
	require.Equal(t, execRunning, q.state, "the quiet plugin's call, queued last")
	require.Equal(t, execWaiting, busy2.state)
	<-q.grant
}

// TestIdleGroupBanksNoCredit: a plugin waking while nothing runs is
// measured against the plugin that ran before the pause: its charge moves
// up to ageWait behind that one's, rather than staying where it was when
// it last ran (or at zero for a new plugin).
func TestIdleGroupBanksNoCredit(t *testing.T) {
	t.Parallel()
	s := newSched(1, time.Hour)
	s.ageWait = 10 * time.Millisecond
	busy, idle := &group{}, &group{}
	bx, ix := s.newExec(busy), s.newExec(idle)
	require.NoError(t, s.begin(bx, context.Background(), 0))
	s.mu.Lock()
	busy.vtime = time.Minute // as if it had run alone for a minute
	s.mu.Unlock()
	require.NoError(t, s.end(bx))
	require.NoError(t, s.begin(ix, context.Background(), 0)) // nothing runs now
	s.mu.Lock()
	woke := idle.vtime
	s.mu.Unlock()
	require.GreaterOrEqual(t, woke, time.Minute-s.ageWait, "the waking plugin's charge")
	require.NoError(t, s.end(ix))
}

// TestQuietPluginPreempts: with no lent slot, a call of a plugin charged
// far less than the one in the only slot asks that one to yield at once,
// without waiting for its slice (an hour here) to end.
func TestQuietPluginPreempts(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1, Slice: time.Hour})
	noLending(h)
	spin, ok, done, cancel := spinning(t, h)
	// The start of ok's instance makes the spinner yield once already.
	warmed(t, ok)
	charge(h, spin.group, 10*time.Hour) // as if it had spun for that long

	yields := h.Stats().Yields
	res := waitResult(t, running(context.Background(), ok, Env{}))
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Greater(t, h.Stats().Yields, yields, "the spinner gave its slot up")
	cancel()
	res = waitResult(t, done)
	require.Contains(t, res.ReasonForIncompletion, "context canceled")
}

// TestQueueTimeNotCharged: a call's deadline starts when it gets its slot,
// not when it began to wait for one.
func TestQueueTimeNotCharged(t *testing.T) {
	t.Parallel()
	s := newSched(1, time.Hour)
	g := &group{}
	holder, waiter := s.newExec(g), s.newExec(g)
	require.NoError(t, s.begin(holder, context.Background(), 0))
	begun := make(chan error, 1)
	go func() { begun <- s.begin(waiter, context.Background(), time.Minute) }()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(g.fresh) == 1
	}, 10*time.Second, time.Millisecond)
	freed := time.Now()
	require.NoError(t, s.end(holder))
	require.NoError(t, <-begun)
	require.False(t, waiter.deadline.Before(freed.Add(time.Minute)), "deadline %v, slot freed at %v", waiter.deadline, freed)
	require.NoError(t, s.end(waiter))
}

// TestWaitEndsWithContext: a call waiting for a slot gives up when its
// context ends, and has not begun.
func TestWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	s := newSched(1, time.Hour)
	g := &group{}
	holder, waiter := s.newExec(g), s.newExec(g)
	require.NoError(t, s.begin(holder, context.Background(), 0))
	ctx, cancel := context.WithCancel(context.Background())
	begun := make(chan error, 1)
	go func() { begun <- s.begin(waiter, ctx, time.Minute) }()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(g.fresh) == 1
	}, 10*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-begun, context.Canceled)
	s.mu.Lock()
	require.Empty(t, g.fresh)
	require.Equal(t, 0, s.free)
	s.mu.Unlock()
	require.NoError(t, s.end(holder))
	require.Equal(t, 1, s.free, "the slot is free, not handed to the call that gave up")
}

// TestInstanceStartTakesSlot: starting an instance (a Go guest's
// _initialize is milliseconds of CPU) waits for a CPU slot like a call.
func TestInstanceStartTakesSlot(t *testing.T) {
	t.Parallel()
	h := newHost(t, HostConfig{GuestSlots: 1})
	p := load(t, h, okModule().encode(), manifest(t, nil))
	holder := h.sched.newExec(&group{})
	require.NoError(t, h.sched.begin(holder, context.Background(), 0))
	started := make(chan error, 1)
	go func() {
		in, err := p.newInstance(context.Background())
		if err == nil {
			in.Close(context.Background())
		}
		started <- err
	}()
	require.Eventually(t, func() bool {
		h.sched.mu.Lock()
		defer h.sched.mu.Unlock()
		return len(p.group.fresh) == 1
	}, 10*time.Second, time.Millisecond, "the start queues for the slot")
	require.NoError(t, h.sched.end(holder))
	require.NoError(t, <-started)
}
