package cron_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/cron"
)

func TestNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		from string   // RFC 3339
		want []string // the next fire times, RFC 3339; none if empty
	}{
		// Seconds, minutes, hours.
		{"every second", "* * * * * *", "2026-01-01T00:00:00Z", []string{"2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"}},
		{"fraction of a second dropped", "* * * * * *", "2026-01-01T00:00:00.999Z", []string{"2026-01-01T00:00:01Z"}},
		{"strictly after the truncated time", "0 * * * * *", "2026-01-01T00:00:00.5Z", []string{"2026-01-01T00:01:00Z"}},
		{"second rolls over to next minute", "10 * * * * *", "2026-01-01T00:00:11Z", []string{"2026-01-01T00:01:10Z"}},
		{"second step", "*/15 * * * * *", "2026-01-01T00:00:14Z", []string{"2026-01-01T00:00:15Z", "2026-01-01T00:00:30Z", "2026-01-01T00:00:45Z", "2026-01-01T00:01:00Z"}},
		{"range with step", "0 5-20/5 * * * *", "2026-01-01T00:20:00Z", []string{"2026-01-01T01:05:00Z", "2026-01-01T01:10:00Z"}},
		{"a/n runs to the end of the field", "0 50/4 * * * *", "2026-01-01T00:00:00Z", []string{"2026-01-01T00:50:00Z", "2026-01-01T00:54:00Z", "2026-01-01T00:58:00Z", "2026-01-01T01:50:00Z"}},
		{"step larger than the field", "0 0 5/100 * * *", "2026-01-01T05:00:00Z", []string{"2026-01-02T05:00:00Z"}},
		{"largest step", "0 0 5/9223372036854775807 * * *", "2026-01-01T05:00:00Z", []string{"2026-01-02T05:00:00Z"}},
		{"hour list", "0 0 6,19 * * *", "2026-01-01T07:00:00Z", []string{"2026-01-01T19:00:00Z", "2026-01-02T06:00:00Z"}},
		{"half hours in a range of hours", "0 0/30 8-10 * * *", "2026-01-01T10:00:00Z", []string{"2026-01-01T10:30:00Z", "2026-01-02T08:00:00Z"}},
		{"weekdays nine to five", "0 0 9-17 * * MON-FRI", "2026-01-02T17:00:00Z", []string{"2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z"}},
		{"fixed offset kept", "0 0 9 * * *", "2026-01-01T09:00:00+05:30", []string{"2026-01-02T09:00:00+05:30"}},

		// Days, months, years.
		{"christmas", "0 0 0 25 12 ?", "2026-12-25T00:00:00Z", []string{"2027-12-25T00:00:00Z"}},
		{"last second of the year", "59 59 23 31 12 *", "2026-06-01T00:00:00Z", []string{"2026-12-31T23:59:59Z", "2027-12-31T23:59:59Z"}},
		{"into the new year", "* * * * * *", "2026-12-31T23:59:59Z", []string{"2027-01-01T00:00:00Z"}},
		{"leap day", "0 0 0 29 2 *", "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"leap day skips 2100", "0 0 0 29 2 *", "2096-03-01T00:00:00Z", []string{"2104-02-29T00:00:00Z"}},
		{"31st skips short months", "0 0 0 31 * *", "2026-02-01T00:00:00Z", []string{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"}},
		{"never: 30 February", "0 0 0 30 2 *", "2026-01-01T00:00:00Z", nil},
		{"never: 31st of 30-day months", "0 0 0 31 4,6,9,11 *", "2026-01-01T00:00:00Z", nil},
		{"month names", "0 0 12 * JAN,jul SUN", "2026-01-25T12:00:00Z", []string{"2026-07-05T12:00:00Z", "2026-07-12T12:00:00Z"}},
		{"month names with step", "0 0 12 ? mar-may/2 *", "2026-05-31T12:00:00Z", []string{"2027-03-01T12:00:00Z"}},
		{"sunday is 0", "0 0 0 * * 0", "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z"}},
		{"sunday is 7", "0 0 0 * * 7", "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z"}},
		{"sunday to friday", "0 0 0 ? * SUN-FRI", "2021-02-25T15:00:00Z", []string{"2021-02-26T00:00:00Z", "2021-02-28T00:00:00Z"}},
		{"range from 7 starts at sunday", "0 0 0 ? * 7-1", "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-11T00:00:00Z"}},
		{"weekday */2 is mon wed fri sun", "0 0 0 ? * */2", "2026-01-02T00:00:00Z", []string{"2026-01-04T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z"}},
		{"weekday 0/2 is sun tue thu sat", "0 0 0 ? * 0/2", "2026-01-01T00:00:00Z", []string{"2026-01-03T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-06T00:00:00Z"}},
		{"friday the 13th: both days must match", "0 0 0 13 * FRI", "2026-01-01T00:00:00Z", []string{"2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z"}},
		{"1st that is a monday", "0 0 0 1 * MON", "2026-01-01T00:00:00Z", []string{"2026-06-01T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"}},
		{"29 february that is a monday", "0 0 0 29 2 MON", "2026-01-01T00:00:00Z", []string{"2044-02-29T00:00:00Z", "2072-02-29T00:00:00Z"}},
		{"29 february as fifth monday", "0 0 0 29 2 MON#5", "2026-01-01T00:00:00Z", []string{"2044-02-29T00:00:00Z"}},
		{"spring: various", "3-57 13-28 17,18 1,15 3-12 6#1", "2022-09-15T17:44:11Z", []string{"2022-10-01T17:13:03Z"}},
		{"spring: various 2", "*/28 56 22 */6 * *", "2022-02-27T08:00:42Z", []string{"2022-03-01T22:56:00Z"}},
		{"spring: every ten days", "0 15 12 */10 1-8 5", "2021-04-30T12:14:59Z", []string{"2021-05-21T12:15:00Z", "2021-06-11T12:15:00Z", "2022-01-21T12:15:00Z"}},

		// L, W and #.
		{"L", "0 0 0 L * *", "2026-01-31T00:00:00Z", []string{"2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"}},
		{"L in a leap year", "0 0 0 L * *", "2028-02-01T00:00:00Z", []string{"2028-02-29T00:00:00Z"}},
		{"L every hour", "0 0 * L * *", "2021-01-30T00:01:00Z", []string{"2021-01-31T00:00:00Z", "2021-01-31T01:00:00Z"}},
		{"L-3", "0 0 0 L-3 * *", "2026-02-01T00:00:00Z", []string{"2026-02-25T00:00:00Z", "2026-03-28T00:00:00Z"}},
		{"L-30 skips months shorter than 31", "0 0 0 L-30 * *", "2026-01-01T00:00:00Z", []string{"2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"}},
		{"LW", "0 0 0 LW * *", "2026-01-01T00:00:00Z", []string{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z"}},
		{"LW when the 31st is a sunday", "0 0 0 LW * *", "2026-05-01T00:00:00Z", []string{"2026-05-29T00:00:00Z"}},
		{"1W on saturday the 1st is monday the 3rd", "0 0 0 1W * *", "2026-07-31T00:00:00Z", []string{"2026-08-03T00:00:00Z"}},
		{"1W on sunday the 1st is monday the 2nd", "0 0 0 1W * *", "2026-01-31T00:00:00Z", []string{"2026-02-02T00:00:00Z"}},
		{"1W", "0 0 0 1W * ?", "2019-12-31T00:00:00Z", []string{"2020-01-01T00:00:00Z", "2020-02-03T00:00:00Z", "2020-03-02T00:00:00Z", "2020-04-01T00:00:00Z"}},
		{"15W on a saturday is friday", "0 0 0 15W * *", "2026-08-01T00:00:00Z", []string{"2026-08-14T00:00:00Z"}},
		{"15W on a sunday is monday", "0 0 0 15W * *", "2026-02-01T00:00:00Z", []string{"2026-02-16T00:00:00Z"}},
		{"31W on sunday the 31st skips the month", "0 0 0 31W * *", "2026-05-01T00:00:00Z", []string{"2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z", "2026-10-30T00:00:00Z"}},
		{"1W, 15 and LW", "0 0 0 1W,15,LW * ?", "2019-12-30T00:00:00Z", []string{"2019-12-31T00:00:00Z", "2020-01-01T00:00:00Z", "2020-01-15T00:00:00Z", "2020-01-31T00:00:00Z"}},
		{"5L", "0 0 0 * * 5L", "2026-01-01T00:00:00Z", []string{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z"}},
		{"FRIL", "0 0 0 ? * fril", "2026-01-01T00:00:00Z", []string{"2026-01-30T00:00:00Z"}},
		{"0L and 7L are sunday", "0 0 0 ? * 0L,7L", "2026-01-01T00:00:00Z", []string{"2026-01-25T00:00:00Z"}},
		{"5#2", "0 0 0 ? * 5#2", "2026-01-01T00:00:00Z", []string{"2026-01-09T00:00:00Z", "2026-02-13T00:00:00Z"}},
		{"MON#1", "0 0 0 ? * MON#1", "2026-01-01T00:00:00Z", []string{"2026-01-05T00:00:00Z"}},
		{"MON#5 skips months without a fifth monday", "0 0 0 ? * MON#5", "2026-01-01T00:00:00Z", []string{"2026-03-30T00:00:00Z", "2026-06-29T00:00:00Z"}},
		{"THU#1,THU#3,THU#5", "0 0 0 ? * THU#1,THU#3,THU#5", "2019-12-31T00:00:00Z", []string{"2020-01-02T00:00:00Z", "2020-01-16T00:00:00Z", "2020-01-30T00:00:00Z"}},

		// Macros and five fields.
		{"@yearly", "@yearly", "2026-05-05T00:00:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"@annually", "@annually", "2026-05-05T00:00:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"@monthly", "@monthly", "2026-01-31T12:00:00Z", []string{"2026-02-01T00:00:00Z"}},
		{"@weekly", "@weekly", "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"}},
		{"@daily", "@Daily", "2026-01-01T00:00:00Z", []string{"2026-01-02T00:00:00Z"}},
		{"@midnight", "@midnight", "2026-01-01T00:00:00Z", []string{"2026-01-02T00:00:00Z"}},
		{"@hourly", "@hourly", "2026-01-01T10:59:59Z", []string{"2026-01-01T11:00:00Z"}},
		{"five fields", "30 2 * * *", "2026-01-01T00:00:00Z", []string{"2026-01-01T02:30:00Z"}},
		{"five fields with step", "*/5 * * * *", "2026-01-01T00:03:10Z", []string{"2026-01-01T00:05:00Z", "2026-01-01T00:10:00Z"}},
		{"five fields: days must both match", "0 0 13 * 5", "2026-01-01T00:00:00Z", []string{"2026-02-13T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := cron.Parse(tt.expr)
			require.NoError(t, err)
			from, err := time.Parse(time.RFC3339Nano, tt.from)
			require.NoError(t, err)
			if len(tt.want) == 0 {
				require.True(t, e.Next(from).IsZero(), "Next = %s, want none", e.Next(from))
				return
			}
			var got []string
			for _, next := range e.NextN(from, len(tt.want)) {
				got = append(got, next.Format(time.RFC3339Nano))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNextN(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	e, err := cron.Parse("0 0 0 29 2 *")
	require.NoError(t, err)
	require.Empty(t, e.NextN(from, 0))
	require.Len(t, e.NextN(from, 3), 3)

	never, err := cron.Parse("0 0 0 30 2 *")
	require.NoError(t, err)
	require.Empty(t, never.NextN(from, 3))
}

func TestNextKeepsLocation(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("X", -3*3600)
	e, err := cron.Parse("0 0 12 * * *")
	require.NoError(t, err)
	next := e.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, loc))
	require.Same(t, loc, next.Location())
	require.Equal(t, time.Date(2026, 1, 1, 15, 0, 0, 0, time.UTC), next.UTC())
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct{ expr, want string }{
		{"0 0 * * * *", "0 0 * * * *"},
		{"  0  0 * * * *\t", "0  0 * * * *"},
		{"@Daily", "@Daily"},
		{"*/5 * * * *", "*/5 * * * *"},
	}
	for _, tt := range tests {
		e, err := cron.Parse(tt.expr)
		require.NoError(t, err)
		require.Equal(t, tt.want, e.String())
	}
}

// TestEquivalent checks that spellings Spring treats alike fire alike.
func TestEquivalent(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b string }{
		{"@yearly", "0 0 0 1 1 *"},
		{"@monthly", "0 0 0 1 * *"},
		{"@weekly", "0 0 0 * * SUN"},
		{"@daily", "0 0 0 * * ?"},
		{"@hourly", "0 0 * * * *"},
		{"0 0 0 ? * *", "0 0 0 * * ?"},
		{"0 0 0 * jan-mar *", "0 0 0 * 1-3 *"},
		{"0 0 0 * * mon-fri", "0 0 0 * * 1-5"},
		{"0 0 0 * * SUN", "0 0 0 * * 0"},
		{"0 0 0 * * 0-7", "0 0 0 * * *"},
		{"0 0 0 * * SUN-SAT", "0 0 0 * * *"},
		{"0 0 0 * * 1-7", "0 0 0 * * *"},
		{"0 0 0 * * */1", "0 0 0 * * *"},
		{"0 0 0 * * 0#2", "0 0 0 * * 7#2"},
		{"0 0 0 * * sun#2", "0 0 0 * * 0#2"},
		{"0 0 0 1-31 * *", "0 0 0 * * *"},
		{"00 05 003 * * *", "0 5 3 * * *"},
		{"1 2 3 4 5", "0 1 2 3 4 5"},
		{"0 0 0 lw * *", "0 0 0 LW * *"},
		{"0 0 0 15w * *", "0 0 0 15W * *"},
		{"0 0 0 l-2 * *", "0 0 0 L-2 * *"},
		{"0 0 0 * * fril", "0 0 0 * * 5L"},
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		a, err := cron.Parse(tt.a)
		require.NoError(t, err)
		b, err := cron.Parse(tt.b)
		require.NoError(t, err)
		require.Equal(t, b.NextN(from, 30), a.NextN(from, 30), "%q and %q", tt.a, tt.b)
	}
}
