package server_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/scheduler"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// TestScheduleKill9 runs a schedule that fires every second with catch-up
// on, kills the server with SIGKILL again and again (at random moments and
// within milliseconds of slot boundaries), restarts it on the same data
// directory each time, and checks that every slot from the first to the
// last fired exactly once: one execution per slot, none missing, none
// twice, each under the id of its slot.
func TestScheduleKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("the schedule kill -9 test takes about half a minute")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	srv := &child{t: t, addr: addr, dir: t.TempDir()}
	srv.start()
	defer func() { srv.kill() }()

	ctx := context.Background()
	c := client.New("http://"+addr, client.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	_, err = c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "tick", Version: 1, Tasks: []*workflow.WorkflowTask{{
		Name: "wait", TaskReferenceName: "wait", Type: workflow.TypeWait,
	}}}, true, false)
	require.NoError(t, err)
	saved, err := c.SaveSchedule(ctx, &workflow.Schedule{
		Name: "every_second", CronExpression: "* * * * * *", RunCatchupScheduleInstances: true,
		StartWorkflowRequest: &workflow.StartRequest{Name: "tick"},
	})
	require.NoError(t, err)
	savedAt := saved.UpdatedTime

	const kills = 14
	for i := range kills {
		// Half of the kills land within 15 ms of a slot boundary (before or
		// after it), the others anywhere in a second; the server is down
		// for up to a second and a half, so that slots are missed.
		now := time.Now()
		wait := time.Duration(300+rand.IntN(1200)) * time.Millisecond
		if i%2 == 0 {
			boundary := now.Add(wait).Truncate(time.Second).Add(time.Second)
			wait = boundary.Sub(now) + time.Duration(rand.IntN(31)-15)*time.Millisecond
		}
		time.Sleep(wait)
		srv.kill()
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
		srv.start()
	}

	// Let the last restart catch up, then stop for good.
	restartedAt := time.Now()
	require.Eventually(t, func() bool {
		sc, err := c.Schedule(ctx, "every_second")
		return err == nil && sc.LastScheduledTime >= restartedAt.Add(time.Second).UnixMilli()
	}, 20*time.Second, 20*time.Millisecond)
	srv.kill()

	st, err := badgerstore.Open(badgerstore.Options{Dir: srv.dir})
	require.NoError(t, err)
	defer st.Close()
	page, err := st.ExecutionSearch(ctx, store.ExecutionQuery{Name: "tick", Ascending: true, Limit: store.MaxSearchLimit})
	require.NoError(t, err)
	require.Empty(t, page.Next)

	slots := map[int64]int{}
	first, last := int64(-1), int64(-1)
	for _, w := range page.Executions {
		require.Equal(t, "every_second", w.Input["_startedByScheduler"])
		n, err := w.Input["_scheduledTime"].(json.Number).Int64()
		require.NoError(t, err)
		require.Equal(t, scheduler.SlotID("every_second", time.UnixMilli(n)), w.WorkflowID)
		slots[n]++
		if first < 0 || n < first {
			first = n
		}
		last = max(last, n)
	}
	require.NotEmpty(t, slots)
	require.LessOrEqual(t, first, savedAt+1000, "the first slot after the save fired")
	require.Greater(t, first, savedAt-1000)
	for s := first; s <= last; s += 1000 {
		require.Equal(t, 1, slots[s], "slot %s fired %d times", time.UnixMilli(s).UTC().Format(time.RFC3339), slots[s])
	}
	require.Len(t, page.Executions, int((last-first)/1000)+1, "no execution outside the whole seconds")
	t.Logf("%d kills, %d slots from %s to %s, each fired once", kills, len(slots),
		time.UnixMilli(first).UTC().Format(time.TimeOnly), time.UnixMilli(last).UTC().Format(time.TimeOnly))
}
