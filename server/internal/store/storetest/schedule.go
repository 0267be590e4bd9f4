package storetest

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

func testSchedules(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// record returns a schedule record with every field set.
	record := func(name string) *store.ScheduleRecord {
		return &store.ScheduleRecord{
			Schedule: &workflow.Schedule{
				Name:                        name,
				CronExpression:              "0 */5 * * * *",
				ZoneID:                      "Europe/Paris",
				RunCatchupScheduleInstances: true,
				Paused:                      true,
				PausedReason:                "maintenance",
				StartWorkflowRequest: &workflow.StartRequest{
					Name: "report", Version: 2, CorrelationID: "c",
					Input:        map[string]any{"n": json.Number("9007199254740993"), "list": []any{"a", nil}},
					TaskToDomain: map[string]string{"*": "blue"}, Priority: 3,
				},
				ScheduleStartTime: baseTime.UnixMilli(),
				ScheduleEndTime:   baseTime.UnixMilli() + 86_400_000,
				Description:       "every five minutes",
				CreateTime:        baseTime.UnixMilli(),
				UpdatedTime:       baseTime.UnixMilli() + 1,
				CreatedBy:         "ann",
				LastScheduledTime: baseTime.UnixMilli() - 300_000,
				LastWorkflowID:    "wf-1",
				LastError:         "workflow report does not exist",
				LastErrorTime:     baseTime.UnixMilli() - 1,
			},
			Done: baseTime.UnixMilli() - 300_000,
		}
	}
	put := func(t *testing.T, b *testBundle, r *store.ScheduleRecord) uint64 {
		t.Helper()
		v, err := b.store.SchedulePut(b.ctx, r)
		require.NoError(t, err)
		return v
	}
	names := func(t *testing.T, b *testBundle) []string {
		t.Helper()
		list, err := b.store.ScheduleList(b.ctx)
		require.NoError(t, err)
		out := []string{}
		for _, r := range list {
			out = append(out, r.Schedule.Name)
		}
		return out
	}

	t.Run("PutGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		require.Equal(t, uint64(1), put(t, b, record("nightly")))
		got, err := b.store.ScheduleGet(b.ctx, "nightly")
		require.NoError(t, err)
		want := record("nightly")
		want.Version = 1
		require.Equal(t, want, got)
	})

	t.Run("CreateExists", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, record("nightly"))
		other := record("nightly")
		other.Done = 1
		_, err := b.store.SchedulePut(b.ctx, other)
		require.ErrorIs(t, err, store.ErrExists)
		got, err := b.store.ScheduleGet(b.ctx, "nightly")
		require.NoError(t, err)
		require.Equal(t, record("nightly").Done, got.Done, "a refused put writes nothing")
	})

	t.Run("UpdateGuardedByVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, record("nightly"))
		r, err := b.store.ScheduleGet(b.ctx, "nightly")
		require.NoError(t, err)
		r.Done++
		require.Equal(t, uint64(2), put(t, b, r))

		stale := record("nightly")
		stale.Version = 1
		stale.Done = 7
		_, err = b.store.SchedulePut(b.ctx, stale)
		require.ErrorIs(t, err, store.ErrConflict)
		got, err := b.store.ScheduleGet(b.ctx, "nightly")
		require.NoError(t, err)
		require.Equal(t, r.Done, got.Done)
		require.Equal(t, uint64(2), got.Version)

		gone := record("gone")
		gone.Version = 3
		_, err = b.store.SchedulePut(b.ctx, gone)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ConcurrentUpdatesOneWins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, record("nightly"))
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				r := record("nightly")
				r.Version = 1
				r.Done = int64(i)
				_, errs[i] = b.store.SchedulePut(b.ctx, r)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else {
				require.ErrorIs(t, err, store.ErrConflict)
			}
		}
		require.Equal(t, 1, won)
	})

	t.Run("PutNeedsName", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.store.SchedulePut(b.ctx, record(""))
		require.Error(t, err)
		_, err = b.store.SchedulePut(b.ctx, &store.ScheduleRecord{})
		require.Error(t, err)
		require.Equal(t, []string{}, names(t, b))
	})

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.store.ScheduleGet(b.ctx, "never")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ListSortedDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, n := range []string{"b", "ab", "a"} {
			put(t, b, record(n))
		}
		require.Equal(t, []string{"a", "ab", "b"}, names(t, b))
		require.NoError(t, b.store.ScheduleDelete(b.ctx, "a"))
		require.ErrorIs(t, b.store.ScheduleDelete(b.ctx, "a"), store.ErrNotFound)
		require.Equal(t, []string{"ab", "b"}, names(t, b))
		// A name can be created again after a delete, with a version that
		// goes on from the deleted record's.
		require.Equal(t, uint64(2), put(t, b, record("a")))
	})

	t.Run("StalePutAfterDeleteAndCreate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, record("nightly"))
		stale, err := b.store.ScheduleGet(b.ctx, "nightly")
		require.NoError(t, err)
		require.NoError(t, b.store.ScheduleDelete(b.ctx, "nightly"))
		fresh := record("nightly")
		fresh.Schedule.Description = "created again"
		v, err := b.store.SchedulePut(b.ctx, fresh)
		require.NoError(t, err)
		require.Greater(t, v, stale.Version, "versions of a name never repeat")
		stale.Done = 99
		_, err = b.store.SchedulePut(b.ctx, stale)
		require.ErrorIs(t, err, store.ErrConflict, "a write computed from the deleted record")
		got, err := b.store.ScheduleGet(b.ctx, "nightly")
		require.NoError(t, err)
		require.Equal(t, "created again", got.Schedule.Description)
	})

	t.Run("SurviveRestart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, record("nightly"))
		put(t, b, record("gone"))
		require.NoError(t, b.store.ScheduleDelete(b.ctx, "gone"))
		b.restart(t)
		got, err := b.store.ScheduleGet(b.ctx, "nightly")
		require.NoError(t, err)
		want := record("nightly")
		want.Version = 1
		require.Equal(t, want, got)
		require.Equal(t, []string{"nightly"}, names(t, b))
	})
}
