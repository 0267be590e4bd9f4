package cron_test

import (
	"encoding/binary"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, also where the system has none

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/cron"
)

func loadLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	if name == newYearDST {
		loc, err := time.LoadLocationFromTZData(name, tzif(0, "XST0XDT-1,J365/20,J1/1"))
		require.NoError(t, err)
		return loc
	}
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// newYearDST is a made-up zone on UTC that keeps daylight saving time
// (UTC+1) from 20:00 on 31 December to 00:00 UTC on 1 January. Its clocks
// change where Time.ZoneBounds goes wrong (golang/go#81583): late on 31
// December (UTC) of leap years past a zone's explicit transitions.
const newYearDST = "Test/NewYearDST"

// tzif returns time zone data (RFC 8536) with no transitions, one zone
// offset seconds east of UTC, and a POSIX TZ footer rule.
func tzif(offset int32, footer string) []byte {
	var b []byte
	for range 2 { // version 1 data, then version 2 data
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []uint32{0, 0, 0, 0, 1, 4} { // isut, isstd, leap, time, type, char counts
			b = binary.BigEndian.AppendUint32(b, n)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(offset))
		b = append(b, 0, 0) // not DST, abbreviation at 0
		b = append(b, "XST\x00"...)
	}
	return append(append(append(b, '\n'), footer...), '\n')
}

// TestNextDST pins what happens at daylight saving transitions. In 2026
// New York springs forward on 8 March (02:00 EST -> 03:00 EDT) and falls
// back on 1 November (02:00 EDT -> 01:00 EST); Berlin springs forward on 29
// March (02:00 CET -> 03:00 CEST) and falls back on 25 October (03:00 CEST
// -> 02:00 CET). Lord Howe Island moves by half an hour. The Amsterdam and
// Paris cases are Spring's own.
func TestNextDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		zone string
		expr string
		from string   // RFC 3339
		want []string // RFC 3339, in the zone
	}{
		{"gap: 02:30 does not happen on the 8th", "America/New_York", "0 30 2 * * *", "2026-03-07T00:00:00-05:00",
			[]string{"2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"}},
		{"gap: from just before it", "America/New_York", "0 30 2 * * *", "2026-03-08T01:59:59-05:00",
			[]string{"2026-03-09T02:30:00-04:00"}},
		{"gap: 02:00 does not happen either", "America/New_York", "0 0 2 * * *", "2026-03-08T00:00:00-05:00",
			[]string{"2026-03-09T02:00:00-04:00"}},
		{"gap: the second before it does", "America/New_York", "59 59 1 * * *", "2026-03-07T02:00:00-05:00",
			[]string{"2026-03-08T01:59:59-05:00", "2026-03-09T01:59:59-04:00"}},
		{"gap: hourly goes on at 03:00", "America/New_York", "0 0 * * * *", "2026-03-08T00:30:00-05:00",
			[]string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"}},
		{"gap: every 15 minutes", "America/New_York", "0 */15 * * * *", "2026-03-08T01:45:00-05:00",
			[]string{"2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"}},
		{"gap: every second", "America/New_York", "* * * * * *", "2026-03-08T01:59:59-05:00",
			[]string{"2026-03-08T03:00:00-04:00"}},
		{"overlap: 01:30 fires in both passes", "America/New_York", "0 30 1 * * *", "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", "2026-11-02T01:30:00-05:00"}},
		{"overlap: from between the passes", "America/New_York", "0 30 1 * * *", "2026-11-01T01:45:00-04:00",
			[]string{"2026-11-01T01:30:00-05:00"}},
		{"overlap: from early in the second pass", "America/New_York", "0 30 1 * * *", "2026-11-01T01:10:00-05:00",
			[]string{"2026-11-01T01:30:00-05:00"}},
		{"overlap: from the second firing", "America/New_York", "0 30 1 * * *", "2026-11-01T01:30:00-05:00",
			[]string{"2026-11-02T01:30:00-05:00"}},
		{"overlap: 02:30 is not repeated", "America/New_York", "0 30 2 * * *", "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"}},
		{"overlap: hourly fires at both 01:00", "America/New_York", "0 0 * * * *", "2026-11-01T00:00:00-04:00",
			[]string{"2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"}},
		{"overlap: every 20 minutes", "America/New_York", "0 */20 * * * *", "2026-11-01T01:40:00-04:00",
			[]string{"2026-11-01T01:00:00-05:00", "2026-11-01T01:20:00-05:00"}},
		{"overlap: every second", "America/New_York", "* * * * * *", "2026-11-01T01:59:59-04:00",
			[]string{"2026-11-01T01:00:00-05:00"}},
		{"overlap: midnight once", "America/New_York", "@daily", "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T00:00:00-04:00", "2026-11-02T00:00:00-05:00"}},

		{"berlin gap", "Europe/Berlin", "0 30 2 * * *", "2026-03-28T03:00:00+01:00",
			[]string{"2026-03-30T02:30:00+02:00"}},
		{"berlin overlap", "Europe/Berlin", "0 30 2 * * *", "2026-10-24T12:00:00+02:00",
			[]string{"2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-26T02:30:00+01:00"}},
		{"berlin midnight", "Europe/Berlin", "0 0 0 * * *", "2026-10-24T12:00:00+02:00",
			[]string{"2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"}},
		{"berlin every 30 minutes in the overlap", "Europe/Berlin", "0 0/30 2 * * *", "2026-10-25T01:59:00+02:00",
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T02:00:00+01:00", "2026-10-25T02:30:00+01:00", "2026-10-26T02:00:00+01:00"}},

		{"lord howe half-hour gap", "Australia/Lord_Howe", "0 15 2 * * *", "2026-10-03T12:00:00+10:30",
			[]string{"2026-10-05T02:15:00+11:00"}},
		{"lord howe half-hour overlap", "Australia/Lord_Howe", "0 45 1 * * *", "2026-04-04T12:00:00+11:00",
			[]string{"2026-04-05T01:45:00+11:00", "2026-04-05T01:45:00+10:30", "2026-04-06T01:45:00+10:30"}},

		{"golang/go#81583: hourly across a change late on 31 December", newYearDST, "0 30 * * * *", "2040-12-31T22:45:00Z",
			[]string{"2041-01-01T00:30:00+01:00", "2041-01-01T00:30:00Z", "2041-01-01T01:30:00Z"}},
		{"golang/go#81583: 01:00 is skipped in the first pass", newYearDST, "0 0 1 * * *", "2040-12-31T23:30:00Z",
			[]string{"2041-01-01T01:00:00Z"}},
		{"golang/go#81583: last second of the first pass", newYearDST, "59 59 0 * * *", "2040-12-31T23:00:00Z",
			[]string{"2041-01-01T00:59:59+01:00", "2041-01-01T00:59:59Z"}},
		{"golang/go#81583: the repeated hour after new year", newYearDST, "0 15 0 * * *", "2040-12-31T21:00:00Z",
			[]string{"2041-01-01T00:15:00+01:00", "2041-01-01T00:15:00Z", "2041-01-02T00:15:00Z"}},
		{"golang/go#81583: new york on 31 December 2040", "America/New_York", "0 0 */6 * * *", "2040-12-31T12:00:00-05:00",
			[]string{"2040-12-31T18:00:00-05:00", "2041-01-01T00:00:00-05:00", "2041-01-01T06:00:00-05:00"}},

		{"spring: daily across spring forward", "Europe/Amsterdam", "0 0 9 * * *", "2021-03-27T09:00:00+01:00",
			[]string{"2021-03-28T09:00:00+02:00"}},
		{"spring: daily across fall back", "Europe/Amsterdam", "0 0 9 * * *", "2021-10-30T09:00:00+02:00",
			[]string{"2021-10-31T09:00:00+01:00"}},
		{"spring: 02:10 skipped", "Europe/Amsterdam", "0 10 2 * * *", "2013-03-31T01:09:00+01:00",
			[]string{"2013-04-01T02:10:00+02:00"}},
		{"spring: 00:05 on the day of the gap", "Europe/Amsterdam", "0 5 0 * * *", "2021-03-28T01:00:00+01:00",
			[]string{"2021-03-29T00:05:00+02:00"}},
		{"spring: 00:05 on the day of the overlap", "Europe/Paris", "0 5 0 * * *", "2019-10-27T01:05:00+02:00",
			[]string{"2019-10-28T00:05:00+01:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc := loadLocation(t, tt.zone)
			e, err := cron.Parse(tt.expr)
			require.NoError(t, err)
			from, err := time.Parse(time.RFC3339, tt.from)
			require.NoError(t, err)
			var got []string
			for _, next := range e.NextN(from.In(loc), len(tt.want)) {
				require.Same(t, loc, next.Location())
				got = append(got, next.Format(time.RFC3339))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// TestNextMidnightGap covers a zone whose clocks jump at midnight: in 2026
// Santiago goes from 00:00 to 01:00 on 6 September, so that day has no
// midnight (Spring once skipped the whole day after such a gap).
func TestNextMidnightGap(t *testing.T) {
	t.Parallel()
	loc := loadLocation(t, "America/Santiago")
	jump := time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC)
	if jump.In(loc).Format(time.RFC3339) != "2026-09-06T01:00:00-03:00" || jump.Add(-time.Second).In(loc).Format(time.RFC3339) != "2026-09-05T23:59:59-04:00" {
		t.Skip("this machine's time zone data has other rules for America/Santiago in 2026")
	}
	tests := []struct {
		expr string
		from string
		want []string
	}{
		{"0 0 0 * * *", "2026-09-05T12:00:00-04:00", []string{"2026-09-07T00:00:00-03:00"}},
		{"0 0 */2 * * ?", "2026-09-05T21:10:20-04:00", []string{"2026-09-05T22:00:00-04:00", "2026-09-06T02:00:00-03:00", "2026-09-06T04:00:00-03:00"}},
		{"0 30 * * * *", "2026-09-05T23:00:00-04:00", []string{"2026-09-05T23:30:00-04:00", "2026-09-06T01:30:00-03:00"}},
	}
	for _, tt := range tests {
		e, err := cron.Parse(tt.expr)
		require.NoError(t, err)
		from, err := time.Parse(time.RFC3339, tt.from)
		require.NoError(t, err)
		var got []string
		for _, next := range e.NextN(from.In(loc), len(tt.want)) {
			got = append(got, next.Format(time.RFC3339))
		}
		require.Equal(t, tt.want, got, tt.expr)
	}
}

// TestNextDailyOverYear walks a year of a daily expression and counts the
// fire times on each local date: one, except none on the day its time is
// skipped and two on the day it is repeated.
func TestNextDailyOverYear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone, expr string
		except     map[string]int // local date: fire times that day
	}{
		{"America/New_York", "0 30 1 * * *", map[string]int{"2026-11-01": 2}},
		{"America/New_York", "0 30 2 * * *", map[string]int{"2026-03-08": 0}},
		{"America/New_York", "0 0 12 * * *", nil},
		{"Europe/Berlin", "0 30 2 * * *", map[string]int{"2026-03-29": 0, "2026-10-25": 2}},
		{"Europe/Berlin", "0 59 1 * * *", nil},
		{"Europe/Berlin", "0 0 3 * * *", nil},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.expr, func(t *testing.T) {
			t.Parallel()
			loc := loadLocation(t, tt.zone)
			e, err := cron.Parse(tt.expr)
			require.NoError(t, err)
			count := map[string]int{}
			last := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
			for {
				next := e.Next(last)
				require.True(t, next.After(last), "Next(%s) = %s", last, next)
				if next.Year() > 2026 {
					break
				}
				count[next.Format(time.DateOnly)]++
				last = next
			}
			for d := time.Date(2026, 1, 1, 12, 0, 0, 0, loc); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
				day := d.Format(time.DateOnly)
				want, ok := tt.except[day]
				if !ok {
					want = 1
				}
				require.Equal(t, want, count[day], day)
			}
		})
	}
}
