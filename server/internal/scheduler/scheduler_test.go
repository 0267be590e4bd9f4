package scheduler

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// clock is a settable time source; with a step, each reading moves it on.
type clock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now
	c.now = c.now.Add(c.step)
	return now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type testBundle struct {
	ctx   context.Context
	dir   string
	store *badgerstore.Store
	e     *engine.Engine
	s     *Scheduler
	clock *clock
}

// t0 is a whole minute; the tests' schedules fire every second from it.
var t0 = time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)

func setup(t *testing.T) *testBundle {
	t.Helper()
	b := &testBundle{ctx: t.Context(), dir: t.TempDir(), clock: &clock{now: t0}}
	b.open(t)
	def := &workflow.WorkflowDef{Name: "job", Version: 1, Tasks: []*workflow.WorkflowTask{{
		Name: "wait", TaskReferenceName: "wait", Type: workflow.TypeWait,
	}}}
	_, err := b.e.RegisterWorkflowDef(b.ctx, def, false, false)
	require.NoError(t, err)
	return b
}

// open opens the store, the engine and a scheduler (not started) over the
// data directory, as a restart of the server does.
func (b *testBundle) open(t *testing.T) {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{Dir: b.dir})
	require.NoError(t, err)
	e, err := engine.New(engine.Config{Store: st, Clock: b.clock.Now})
	require.NoError(t, err)
	require.NoError(t, e.Start(b.ctx))
	s, err := New(Config{Store: st, Engine: e, Clock: b.clock.Now, CatchUpBatch: 3})
	require.NoError(t, err)
	require.NoError(t, s.load(b.ctx))
	b.store, b.e, b.s = st, e, s
	t.Cleanup(b.close)
}

func (b *testBundle) close() {
	if b.store == nil {
		return
	}
	b.s.Stop()
	b.e.Stop()
	b.store.Close()
	b.store = nil
}

func (b *testBundle) restart(t *testing.T) {
	t.Helper()
	b.close()
	b.open(t)
}

// pass runs the scheduler at t0+d as its loop does: a pass, and at once
// another while one is due (a schedule catching up goes a batch a pass).
func (b *testBundle) pass(d time.Duration) time.Time {
	b.clock.Set(t0.Add(d))
	for range 1000 {
		next := b.s.pass(b.ctx, t0.Add(d))
		if next.IsZero() || next.After(t0.Add(d)) {
			return next
		}
	}
	panic("the scheduler keeps finding work due")
}

func (b *testBundle) save(t *testing.T, sc *workflow.Schedule) {
	t.Helper()
	_, err := b.s.Save(b.ctx, sc, "ann")
	require.NoError(t, err)
}

// perSecond is a schedule of workflow job firing every second.
func perSecond(name string, catchUp bool) *workflow.Schedule {
	return &workflow.Schedule{
		Name: name, CronExpression: "* * * * * *", RunCatchupScheduleInstances: catchUp,
		StartWorkflowRequest: &workflow.StartRequest{Name: "job", Input: map[string]any{"k": "v"}},
	}
}

// fired returns the slots (seconds after t0) of the executions the
// schedule started, in order, checking each once and its input.
func (b *testBundle) fired(t *testing.T, name string) []int {
	t.Helper()
	page, err := b.store.ExecutionSearch(b.ctx, store.ExecutionQuery{Name: "job", Limit: store.MaxSearchLimit})
	require.NoError(t, err)
	var out []int
	for _, w := range page.Executions {
		if w.Input["_startedByScheduler"] != name {
			continue
		}
		n, err := w.Input["_scheduledTime"].(json.Number).Int64()
		require.NoError(t, err)
		slot := time.UnixMilli(n)
		require.Equal(t, SlotID(name, slot), w.WorkflowID)
		require.Equal(t, w.WorkflowID, w.Input["_executionId"])
		require.Equal(t, "* * * * * * UTC", w.Input["_schedulerCron"])
		require.Equal(t, "v", w.Input["k"])
		_, ok := w.Input["_executedTime"].(json.Number)
		require.True(t, ok)
		out = append(out, int(slot.Sub(t0)/time.Second))
	}
	slices.Sort(out)
	return out
}

func seconds(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestFiresEachSlotOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("s", true))

	next := b.pass(500 * time.Millisecond)
	require.Equal(t, t0.Add(time.Second), next, "saving does not fire the slot at t0")
	require.Empty(t, b.fired(t, "s"))

	b.pass(2 * time.Second)
	require.Equal(t, []int{1, 2}, b.fired(t, "s"))
	b.pass(2 * time.Second)
	require.Equal(t, []int{1, 2}, b.fired(t, "s"), "a second pass at the same time fires nothing")

	got, err := b.s.Get(b.ctx, "s")
	require.NoError(t, err)
	require.Equal(t, t0.Add(2*time.Second).UnixMilli(), got.LastScheduledTime)
	require.Equal(t, SlotID("s", t0.Add(2*time.Second)), got.LastWorkflowID)
	require.Equal(t, t0.Add(3*time.Second).UnixMilli(), got.NextRunTime)
	require.Equal(t, "ann", got.CreatedBy)
}

func TestCatchUpFiresEveryMissedSlotInBatches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("s", true))
	// CatchUpBatch is 3: the pass goes on with further batches.
	next := b.pass(10*time.Second + 200*time.Millisecond)
	require.Equal(t, seconds(1, 10), b.fired(t, "s"))
	require.Equal(t, t0.Add(11*time.Second), next)
}

// A schedule with a long backlog fires it a batch at a time, letting a
// schedule due meanwhile run between its batches.
func TestCatchUpTakesTurns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("a", true))
	b.clock.Set(t0.Add(6 * time.Second))
	b.save(t, perSecond("b", true))
	b.clock.mu.Lock()
	b.clock.step = time.Millisecond // orders the executions by creation time
	b.clock.mu.Unlock()
	b.pass(9*time.Second + 500*time.Millisecond)
	require.Equal(t, seconds(1, 9), b.fired(t, "a"))
	require.Equal(t, seconds(7, 9), b.fired(t, "b"))

	page, err := b.store.ExecutionSearch(b.ctx, store.ExecutionQuery{Name: "job", Ascending: true, Limit: 100})
	require.NoError(t, err)
	var order string
	for _, w := range page.Executions {
		order += w.Input["_startedByScheduler"].(string)
	}
	require.Equal(t, "aaabbbaaaaaa", order, "b runs after a's first batch (CatchUpBatch is 3)")
}

func TestWithoutCatchUpMissedSlotsFireOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("s", false))
	b.pass(time.Second)
	require.Equal(t, []int{1}, b.fired(t, "s"))
	next := b.pass(10*time.Second + 200*time.Millisecond)
	require.Equal(t, []int{1, 2}, b.fired(t, "s"), "the oldest missed slot fires, once")
	require.Equal(t, t0.Add(11*time.Second), next)
	b.pass(11 * time.Second)
	require.Equal(t, []int{1, 2, 11}, b.fired(t, "s"))
}

// A crash between the start of a slot's execution and the write of the
// schedule's progress: the record says the slot is not done, yet it does
// not fire again.
func TestSlotStartedBeforeACrashDoesNotFireAgain(t *testing.T) {
	t.Parallel()
	for _, catchUp := range []bool{true, false} {
		b := setup(t)
		b.save(t, perSecond("s", catchUp))
		before, err := b.store.ScheduleGet(b.ctx, "s")
		require.NoError(t, err)
		b.pass(time.Second)
		require.Equal(t, []int{1}, b.fired(t, "s"))

		// Put the record back as it was before the pass: what a crash
		// right after the start's commit leaves.
		r, err := b.store.ScheduleGet(b.ctx, "s")
		require.NoError(t, err)
		before.Version = r.Version
		_, err = b.store.SchedulePut(b.ctx, before)
		require.NoError(t, err)
		b.restart(t)

		b.pass(time.Second + 100*time.Millisecond)
		require.Equal(t, []int{1}, b.fired(t, "s"))
		r, err = b.store.ScheduleGet(b.ctx, "s")
		require.NoError(t, err)
		require.GreaterOrEqual(t, r.Done, t0.Add(time.Second).UnixMilli())
		require.Equal(t, SlotID("s", t0.Add(time.Second)), r.Schedule.LastWorkflowID)
		b.pass(2 * time.Second)
		require.Equal(t, []int{1, 2}, b.fired(t, "s"))
	}
}

func TestRestartFiresWhatWasMissed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("on", true))
	b.save(t, perSecond("off", false))
	b.pass(time.Second)
	b.restart(t)
	next := b.pass(5*time.Second + 500*time.Millisecond)
	require.Equal(t, seconds(1, 5), b.fired(t, "on"))
	require.Equal(t, []int{1, 2}, b.fired(t, "off"))
	require.Equal(t, t0.Add(6*time.Second), next)
}

func TestPauseResume(t *testing.T) {
	t.Parallel()
	for _, catchUp := range []bool{true, false} {
		b := setup(t)
		b.save(t, perSecond("s", catchUp))
		b.pass(time.Second)
		require.NoError(t, b.s.Pause(b.ctx, "s", "maintenance", "bob"))
		got, err := b.s.Get(b.ctx, "s")
		require.NoError(t, err)
		require.True(t, got.Paused)
		require.Equal(t, "maintenance", got.PausedReason)
		require.Zero(t, got.NextRunTime)

		require.True(t, b.pass(5*time.Second).IsZero(), "a paused schedule is not on the heap")
		require.Equal(t, []int{1}, b.fired(t, "s"))

		b.clock.Set(t0.Add(5*time.Second + 500*time.Millisecond))
		require.NoError(t, b.s.Resume(b.ctx, "s", "bob"))
		require.NoError(t, b.s.Resume(b.ctx, "s", "bob"), "resuming a running schedule changes nothing")
		next := b.pass(5*time.Second + 600*time.Millisecond)
		require.Equal(t, t0.Add(6*time.Second), next)
		b.pass(6 * time.Second)
		b.pass(7 * time.Second)
		require.Equal(t, []int{1, 6, 7}, b.fired(t, "s"), "slots missed while paused never fire")
		got, err = b.s.Get(b.ctx, "s")
		require.NoError(t, err)
		require.False(t, got.Paused)
		require.Empty(t, got.PausedReason)
	}
}

func TestStartAndEndTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sc := perSecond("s", true)
	sc.ScheduleStartTime = t0.Add(3 * time.Second).UnixMilli()
	sc.ScheduleEndTime = t0.Add(5 * time.Second).UnixMilli()
	b.save(t, sc)
	got, err := b.s.Get(b.ctx, "s")
	require.NoError(t, err)
	require.Equal(t, sc.ScheduleStartTime, got.NextRunTime)

	require.Equal(t, t0.Add(3*time.Second), b.pass(2*time.Second))
	require.True(t, b.pass(9*time.Second).IsZero(), "no slot after the end")
	require.Equal(t, []int{3, 4, 5}, b.fired(t, "s"))
	got, err = b.s.Get(b.ctx, "s")
	require.NoError(t, err)
	require.Zero(t, got.NextRunTime)
}

func TestDeletedDefinitionDoesNotBlock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("s", true))
	require.NoError(t, b.e.DeleteWorkflowDef(b.ctx, "job", 1))

	next := b.pass(2 * time.Second)
	require.Equal(t, t0.Add(3*time.Second), next, "the failed slots are dealt with")
	got, err := b.s.Get(b.ctx, "s")
	require.NoError(t, err)
	require.Contains(t, got.LastError, "job")
	require.Equal(t, t0.Add(2*time.Second).UnixMilli(), got.LastErrorTime)
	require.Empty(t, b.fired(t, "s"))

	_, err = b.e.RegisterWorkflowDef(b.ctx, &workflow.WorkflowDef{Name: "job", Version: 1, Tasks: []*workflow.WorkflowTask{{
		Name: "wait", TaskReferenceName: "wait", Type: workflow.TypeWait,
	}}}, false, false)
	require.NoError(t, err)
	b.pass(3 * time.Second)
	require.Equal(t, []int{3}, b.fired(t, "s"))
	got, err = b.s.Get(b.ctx, "s")
	require.NoError(t, err)
	require.Empty(t, got.LastError, "a slot that starts clears the error")
}

func TestDSTZone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// 2026-03-08 02:30 does not exist in New York.
	b.clock.Set(time.Date(2026, 3, 7, 12, 0, 0, 0, ny))
	b.save(t, &workflow.Schedule{Name: "dst", CronExpression: "0 30 2 * * *", ZoneID: "America/New_York",
		StartWorkflowRequest: &workflow.StartRequest{Name: "job"}})
	got, err := b.s.Get(b.ctx, "dst")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 3, 9, 2, 30, 0, 0, ny).UnixMilli(), got.NextRunTime)
	b.s.pass(b.ctx, time.Date(2026, 3, 9, 2, 30, 0, 0, ny))
	w, err := b.e.Workflow(b.ctx, SlotID("dst", time.Date(2026, 3, 9, 2, 30, 0, 0, ny)), false)
	require.NoError(t, err)
	require.Equal(t, "0 30 2 * * * America/New_York", w.Input["_schedulerCron"])
}

func TestUpdateAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("s", true))
	b.pass(time.Second)

	// An update keeps the creation and the last run and starts from now.
	b.clock.Set(t0.Add(3*time.Second + 500*time.Millisecond))
	sc := perSecond("s", true)
	sc.Description = "changed"
	b.save(t, sc)
	got, err := b.s.Get(b.ctx, "s")
	require.NoError(t, err)
	require.Equal(t, t0.UnixMilli(), got.CreateTime)
	require.Equal(t, t0.Add(time.Second).UnixMilli(), got.LastScheduledTime)
	require.Equal(t, "changed", got.Description)
	b.pass(4 * time.Second)
	require.Equal(t, []int{1, 4}, b.fired(t, "s"))

	list, err := b.s.List(b.ctx, "job")
	require.NoError(t, err)
	require.Len(t, list, 1)
	list, err = b.s.List(b.ctx, "other")
	require.NoError(t, err)
	require.Empty(t, list)

	require.NoError(t, b.s.Delete(b.ctx, "s"))
	require.True(t, b.pass(9*time.Second).IsZero())
	require.Equal(t, []int{1, 4}, b.fired(t, "s"))
	_, err = b.s.Get(b.ctx, "s")
	require.Equal(t, engine.NotFound, engine.CodeOf(err))
	require.Equal(t, engine.NotFound, engine.CodeOf(b.s.Delete(b.ctx, "s")))
	require.Equal(t, engine.NotFound, engine.CodeOf(b.s.Pause(b.ctx, "s", "", "")))
}

func TestNextRuns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.clock.Set(t0.Add(30 * time.Second))
	got, err := b.s.NextRuns("0 * * * * *", "", 0, 0, 3)
	require.NoError(t, err)
	require.Equal(t, []int64{t0.Add(time.Minute).UnixMilli(), t0.Add(2 * time.Minute).UnixMilli(), t0.Add(3 * time.Minute).UnixMilli()}, got)

	got, err = b.s.NextRuns("0 * * * * *", "UTC", t0.Add(5*time.Minute).UnixMilli(), t0.Add(6*time.Minute).UnixMilli(), 5)
	require.NoError(t, err)
	require.Equal(t, []int64{t0.Add(5 * time.Minute).UnixMilli(), t0.Add(6 * time.Minute).UnixMilli()}, got)

	_, err = b.s.NextRuns("0 * * * * *", "Nowhere/City", 0, 0, 3)
	require.ErrorContains(t, err, `zoneId "Nowhere/City"`)
	_, err = b.s.NextRuns("nope", "", 0, 0, 3)
	require.ErrorContains(t, err, "cronExpression")
	_, err = b.s.NextRuns("0 * * * * *", "", 0, 0, 0)
	require.ErrorContains(t, err, "limit")
}

// The loop on the real clock: a per-second schedule fires without a pass
// being called, and a schedule saved while it sleeps wakes it.
func TestLoop(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.s.cfg.Clock = time.Now
	require.NoError(t, b.s.Start(b.ctx))
	_, err := b.s.Save(b.ctx, perSecond("live", true), "")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		got, err := b.s.Get(b.ctx, "live")
		return err == nil && got.LastScheduledTime > 0
	}, 10*time.Second, 20*time.Millisecond)
	b.s.Stop()
	got, err := b.s.Get(b.ctx, "live")
	require.NoError(t, err)
	_, err = b.e.Workflow(b.ctx, got.LastWorkflowID, false)
	require.NoError(t, err)
}

// Changes leave stale heap entries behind; they are dropped, and the
// schedule is still looked at once per slot.
func TestManyChangesKeepTheHeapSmall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.save(t, perSecond("s", true))
	for range 300 {
		require.NoError(t, b.s.Pause(b.ctx, "s", "", ""))
		require.NoError(t, b.s.Resume(b.ctx, "s", ""))
		require.Equal(t, t0.Add(time.Second), b.pass(0))
	}
	require.LessOrEqual(t, b.s.due.Len(), 2*len(b.s.live)+64)
	require.Len(t, b.s.live, 1)
	b.pass(time.Second)
	require.Equal(t, []int{1}, b.fired(t, "s"))
	require.Equal(t, t0.Add(2*time.Second), b.pass(time.Second))
}
