package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

func TestPlanDue(t *testing.T) {
	t.Parallel()
	utc := func(h, m, s int) time.Time { return time.Date(2026, 5, 6, h, m, s, 0, time.UTC) }
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	nyAt := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, ny) }

	tests := []struct {
		name      string
		schedule  workflow.Schedule
		done, now time.Time
		limit     int
		want      []time.Time
		wantUpTo  time.Time
		wantNext  time.Time // p.next(upTo)
	}{{
		name:     "catch-up fires every missed slot",
		schedule: workflow.Schedule{CronExpression: "0 * * * * *", RunCatchupScheduleInstances: true},
		done:     utc(10, 0, 30), now: utc(10, 3, 10), limit: 100,
		want:     []time.Time{utc(10, 1, 0), utc(10, 2, 0), utc(10, 3, 0)},
		wantUpTo: utc(10, 3, 0), wantNext: utc(10, 4, 0),
	}, {
		name:     "without catch-up the oldest missed slot fires once",
		schedule: workflow.Schedule{CronExpression: "0 * * * * *"},
		done:     utc(10, 0, 30), now: utc(10, 3, 10), limit: 100,
		want:     []time.Time{utc(10, 1, 0)},
		wantUpTo: utc(10, 3, 10), wantNext: utc(10, 4, 0),
	}, {
		name:     "catch-up is capped per pass",
		schedule: workflow.Schedule{CronExpression: "0 * * * * *", RunCatchupScheduleInstances: true},
		done:     utc(10, 0, 30), now: utc(10, 3, 10), limit: 2,
		want:     []time.Time{utc(10, 1, 0), utc(10, 2, 0)},
		wantUpTo: utc(10, 2, 0), wantNext: utc(10, 3, 0),
	}, {
		name:     "a slot at now is due",
		schedule: workflow.Schedule{CronExpression: "0 * * * * *"},
		done:     utc(10, 0, 30), now: utc(10, 1, 0), limit: 100,
		want:     []time.Time{utc(10, 1, 0)},
		wantUpTo: utc(10, 1, 0), wantNext: utc(10, 2, 0),
	}, {
		name:     "nothing due",
		schedule: workflow.Schedule{CronExpression: "0 * * * * *"},
		done:     utc(10, 0, 30), now: utc(10, 0, 59), limit: 100,
		wantUpTo: utc(10, 0, 30), wantNext: utc(10, 1, 0),
	}, {
		name: "start time bounds the first slot, inclusive",
		schedule: workflow.Schedule{CronExpression: "0 * * * * *", RunCatchupScheduleInstances: true,
			ScheduleStartTime: utc(10, 2, 0).UnixMilli()},
		done: utc(10, 0, 30), now: utc(10, 3, 10), limit: 100,
		want:     []time.Time{utc(10, 2, 0), utc(10, 3, 0)},
		wantUpTo: utc(10, 3, 0), wantNext: utc(10, 4, 0),
	}, {
		name: "start time within a second",
		schedule: workflow.Schedule{CronExpression: "* * * * * *", RunCatchupScheduleInstances: true,
			ScheduleStartTime: utc(10, 0, 1).UnixMilli() + 500},
		done: utc(10, 0, 0), now: utc(10, 0, 3), limit: 100,
		want:     []time.Time{utc(10, 0, 2), utc(10, 0, 3)},
		wantUpTo: utc(10, 0, 3), wantNext: utc(10, 0, 4),
	}, {
		name: "end time bounds the last slot, inclusive, then nothing",
		schedule: workflow.Schedule{CronExpression: "0 * * * * *", RunCatchupScheduleInstances: true,
			ScheduleEndTime: utc(10, 2, 0).UnixMilli()},
		done: utc(10, 0, 30), now: utc(10, 3, 10), limit: 100,
		want:     []time.Time{utc(10, 1, 0), utc(10, 2, 0)},
		wantUpTo: utc(10, 2, 0),
	}, {
		name:     "a time skipped by daylight saving does not fire",
		schedule: workflow.Schedule{CronExpression: "0 30 2 * * *", ZoneID: "America/New_York", RunCatchupScheduleInstances: true},
		done:     nyAt(3, 7, 12, 0), now: nyAt(3, 10, 0, 0), limit: 100,
		want:     []time.Time{nyAt(3, 9, 2, 30)},
		wantUpTo: nyAt(3, 9, 2, 30), wantNext: nyAt(3, 10, 2, 30),
	}, {
		name:     "a time repeated by daylight saving fires for each occurrence",
		schedule: workflow.Schedule{CronExpression: "0 30 1 * * *", ZoneID: "America/New_York", RunCatchupScheduleInstances: true},
		done:     nyAt(10, 31, 12, 0), now: nyAt(11, 1, 12, 0), limit: 100,
		want: []time.Time{
			time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), // 01:30 EDT
			time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), // 01:30 EST
		},
		wantUpTo: time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), wantNext: nyAt(11, 2, 1, 30),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := compile(&tt.schedule)
			require.NoError(t, err)
			got, upTo := p.due(tt.done, tt.now, tt.limit)
			require.Equal(t, len(tt.want), len(got), "slots %v", got)
			for i := range got {
				require.True(t, tt.want[i].Equal(got[i]), "slot %d: want %v, got %v", i, tt.want[i], got[i])
			}
			require.True(t, tt.wantUpTo.Equal(upTo), "up to: want %v, got %v", tt.wantUpTo, upTo)
			next := p.next(upTo)
			require.True(t, tt.wantNext.Equal(next), "next: want %v, got %v", tt.wantNext, next)
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	valid := func() *workflow.Schedule {
		return &workflow.Schedule{Name: "nightly", CronExpression: "0 0 2 * * *",
			StartWorkflowRequest: &workflow.StartRequest{Name: "report"}}
	}
	require.NoError(t, check(valid()))
	tests := []struct {
		name   string
		change func(s *workflow.Schedule)
		want   string
	}{
		{"no name", func(s *workflow.Schedule) { s.Name = " " }, "name is required"},
		{"slash in name", func(s *workflow.Schedule) { s.Name = "a/b" }, "may not contain a slash"},
		{"no cron", func(s *workflow.Schedule) { s.CronExpression = "" }, "cronExpression is required"},
		{"bad cron", func(s *workflow.Schedule) { s.CronExpression = "0 0 25 * * *" }, "cronExpression"},
		{"unknown zone", func(s *workflow.Schedule) { s.ZoneID = "Mars/Olympus" }, `zoneId "Mars/Olympus" is not a known IANA time zone`},
		{"local zone", func(s *workflow.Schedule) { s.ZoneID = "Local" }, `zoneId "Local" is not allowed`},
		{"end before start", func(s *workflow.Schedule) { s.ScheduleStartTime, s.ScheduleEndTime = 2000, 1000 }, "scheduleEndTime (1000) must be after scheduleStartTime (2000)"},
		{"negative time", func(s *workflow.Schedule) { s.ScheduleStartTime = -1 }, "cannot be negative"},
		{"several expressions", func(s *workflow.Schedule) {
			s.CronSchedules = []workflow.CronSchedule{{CronExpression: "0 0 * * * *"}}
		}, "cronSchedules is not supported"},
		{"no request", func(s *workflow.Schedule) { s.StartWorkflowRequest = nil }, "startWorkflowRequest is required"},
		{"no workflow name", func(s *workflow.Schedule) { s.StartWorkflowRequest.Name = "" }, "startWorkflowRequest.name is required"},
		{"priority", func(s *workflow.Schedule) { s.StartWorkflowRequest.Priority = 100 }, "startWorkflowRequest.priority"},
		{"idempotency key", func(s *workflow.Schedule) { s.StartWorkflowRequest.IdempotencyKey = "k" }, "may not set idempotencyKey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := valid()
			tt.change(s)
			err := check(s)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSlotID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	require.Equal(t, SlotID("a", at), SlotID("a", at.In(time.FixedZone("x", 3600))))
	require.NotEqual(t, SlotID("a", at), SlotID("a", at.Add(time.Second)))
	require.NotEqual(t, SlotID("a", at), SlotID("b", at))
}
