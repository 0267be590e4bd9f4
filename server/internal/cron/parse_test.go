package cron_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/cron"
)

func TestParseError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string
	}{
		// The whole expression.
		{"", `cron "": empty expression; want six fields (second minute hour day-of-month month day-of-week), five fields, or a macro such as @daily`},
		{"   ", `cron "": empty expression; want six fields (second minute hour day-of-month month day-of-week), five fields, or a macro such as @daily`},
		{"* * *", `cron "* * *": 3 fields; want 6 (second minute hour day-of-month month day-of-week) or 5 (minute hour day-of-month month day-of-week)`},
		{"0 0 0 * * * 2026", `cron "0 0 0 * * * 2026": 7 fields; want 6 (second minute hour day-of-month month day-of-week) or 5 (minute hour day-of-month month day-of-week)`},
		{"@often", `cron "@often": unknown macro; want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly`},
		{"@daily 1", `cron "@daily 1": unknown macro; want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly`},

		// Values and ranges.
		{"0 61 * * * *", `cron "0 61 * * * *": minute: 61 is out of range 0-59`},
		{"60 * * * * *", `cron "60 * * * * *": second: 60 is out of range 0-59`},
		{"0 0 24 * * *", `cron "0 0 24 * * *": hour: 24 is out of range 0-23`},
		{"0 0 0 0 * *", `cron "0 0 0 0 * *": day-of-month: 0 is out of range 1-31`},
		{"0 0 0 32 * *", `cron "0 0 0 32 * *": day-of-month: 32 is out of range 1-31`},
		{"0 0 0 * 13 *", `cron "0 0 0 * 13 *": month: 13 is out of range 1-12`},
		{"0 0 0 * 0 *", `cron "0 0 0 * 0 *": month: 0 is out of range 1-12`},
		{"0 0 0 * * 8", `cron "0 0 0 * * 8": day-of-week: 8 is out of range 0-7`},
		{"0 0 1-99999999999999999999 * * *", `cron "0 0 1-99999999999999999999 * * *": hour: 99999999999999999999 is out of range 0-23`},
		{"0 x * * * *", `cron "0 x * * * *": minute: "x" is not a value; want a number 0-59`},
		{"0 +5 * * * *", `cron "0 +5 * * * *": minute: "+5" is not a value; want a number 0-59`},
		{"0 0 0 * FOO *", `cron "0 0 0 * FOO *": month: "FOO" is not a value; want 1-12 or JAN-DEC`},
		{"0 0 0 * MON *", `cron "0 0 0 * MON *": month: "MON" is not a value; want 1-12 or JAN-DEC`},
		{"0 0 0 * january *", `cron "0 0 0 * january *": month: "january" is not a value; want 1-12 or JAN-DEC`},
		{"0 0 0 * * FUN", `cron "0 0 0 * * FUN": day-of-week: "FUN" is not a value; want 0-7 or SUN-SAT`},
		{"0 0 0 * * JAN", `cron "0 0 0 * * JAN": day-of-week: "JAN" is not a value; want 0-7 or SUN-SAT`},
		{"0 0 0 MON * *", `cron "0 0 0 MON * *": day-of-month: "MON" is not a value; want a number 1-31`},
		{"0 0 22-2 * * *", `cron "0 0 22-2 * * *": hour: range "22-2" is reversed; ranges do not wrap, use a list such as "22-23,0-2"`},
		{"0 0 0 ? * fri-mon", `cron "0 0 0 ? * fri-mon": day-of-week: range "fri-mon" is reversed; ranges do not wrap, use a list such as "5-6,0-1"`},
		{"0 0 0 ? nov-feb *", `cron "0 0 0 ? nov-feb *": month: range "nov-feb" is reversed; ranges do not wrap, use a list such as "11-12,1-2"`},
		{"0 -5 * * * *", `cron "0 -5 * * * *": minute: "-5" is not a range; want low-high`},
		{"0 5- * * * *", `cron "0 5- * * * *": minute: "5-" is not a range; want low-high`},
		{"0 1-2-3 * * * *", `cron "0 1-2-3 * * * *": minute: "1-2-3" is not a range; want low-high`},
		{"0 *-5 * * * *", `cron "0 *-5 * * * *": minute: "*" is not a value; want a number 0-59`},

		// Lists and steps.
		{"1,,2 * * * * *", `cron "1,,2 * * * * *": second: empty element in list "1,,2"`},
		{"1, * * * * *", `cron "1, * * * * *": second: empty element in list "1,"`},
		{"*/0 * * * * *", `cron "*/0 * * * * *": second: step in "*/0" must be a whole number of at least 1`},
		{"0 5/ * * * *", `cron "0 5/ * * * *": minute: step in "5/" must be a whole number of at least 1`},
		{"0 1-5/-1 * * * *", `cron "0 1-5/-1 * * * *": minute: step in "1-5/-1" must be a whole number of at least 1`},
		{"0 1/2/3 * * * *", `cron "0 1/2/3 * * * *": minute: step in "1/2/3" must be a whole number of at least 1`},
		{"0 /5 * * * *", `cron "0 /5 * * * *": minute: "" is not a value; want a number 0-59`},

		// ?
		{"? * * * * *", `cron "? * * * * *": second: "?" is allowed only in day-of-month and day-of-week`},
		{"0 0 0 * ? *", `cron "0 0 0 * ? *": month: "?" is allowed only in day-of-month and day-of-week`},
		{"0 0 0 ?,1 * *", `cron "0 0 0 ?,1 * *": day-of-month: "?" must be the whole field, not part of "?,1"`},
		{"0 0 0 * * ?/2", `cron "0 0 0 * * ?/2": day-of-week: "?" is not a value; want 0-7 or SUN-SAT`},

		// L, W and #.
		{"0 0 0 L-0 * *", `cron "0 0 0 L-0 * *": day-of-month: offset in "L-0" must be 1-30`},
		{"0 0 0 L-31 * *", `cron "0 0 0 L-31 * *": day-of-month: offset in "L-31" must be 1-30`},
		{"0 0 0 L- * *", `cron "0 0 0 L- * *": day-of-month: offset in "L-" must be 1-30`},
		{"0 0 0 LX * *", `cron "0 0 0 LX * *": day-of-month: "LX" is not valid; want L, L-n or LW`},
		{"0 0 0 L/2 * *", `cron "0 0 0 L/2 * *": day-of-month: "L/2" is not valid; want L, L-n or LW`},
		{"0 0 0 W * *", `cron "0 0 0 W * *": day-of-month: "W" needs a day before it, as in 15W`},
		{"0 0 0 1-5W * *", `cron "0 0 0 1-5W * *": day-of-month: "1-5W" is not valid; W follows a single day, as in 15W`},
		{"0 0 0 32W * *", `cron "0 0 0 32W * *": day-of-month: 32 is out of range 1-31`},
		{"0 0 0 0W * *", `cron "0 0 0 0W * *": day-of-month: 0 is out of range 1-31`},
		{"0 0 0 5L * *", `cron "0 0 0 5L * *": day-of-month: "5L" is not a value; want a number 1-31`},
		{"0 0 * * * L", `cron "0 0 * * * L": day-of-week: "L" needs a day before it, as in 5L or FRIL`},
		{"0 0 * * * 8L", `cron "0 0 * * * 8L": day-of-week: 8 is out of range 0-7`},
		{"0 0 * * * 1-5L", `cron "0 0 * * * 1-5L": day-of-week: "1-5L" is not valid; L and # follow a single day, as in 5L or MON#2`},
		{"0 0 * * * LW", `cron "0 0 * * * LW": day-of-week: "LW" is not a value; want 0-7 or SUN-SAT`},
		{"0 0 * * * MON#6", `cron "0 0 * * * MON#6": day-of-week: ordinal in "MON#6" must be 1-5`},
		{"0 0 * * * MON#0", `cron "0 0 * * * MON#0": day-of-week: ordinal in "MON#0" must be 1-5`},
		{"0 0 * * * MON#", `cron "0 0 * * * MON#": day-of-week: ordinal in "MON#" must be 1-5`},
		{"0 0 * * * #2", `cron "0 0 * * * #2": day-of-week: "#2" needs a day before #, as in MON#2`},
		{"0 0 * * * 8#2", `cron "0 0 * * * 8#2": day-of-week: 8 is out of range 0-7`},
		{"0 0 * * * MON-FRI#2", `cron "0 0 * * * MON-FRI#2": day-of-week: "MON-FRI#2" is not valid; L and # follow a single day, as in 5L or MON#2`},
		{"0 0 * 1#2 * *", `cron "0 0 * 1#2 * *": day-of-month: "1#2" is not a value; want a number 1-31`},
		{"0 0 * * * 15W", `cron "0 0 * * * 15W": day-of-week: "15W" is not a value; want 0-7 or SUN-SAT`},
		{"0 L * * * *", `cron "0 L * * * *": minute: "L" is not a value; want a number 0-59`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			e, err := cron.Parse(tt.expr)
			require.EqualError(t, err, tt.want)
			require.Nil(t, e)
		})
	}
}

// FuzzParse checks that no input makes Parse or Next panic, and that Next
// of a valid expression is later than its argument and whole seconds.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"* * * * * *", "0 0/30 8-10 * * MON-FRI", "0 0 0 L-3,15W,LW * ?", "0 0 0 ? * 5L,MON#2",
		"@daily", "*/5 * * * *", "0 0 5/100 * JAN-MAR/2 SUN-TUE", "0 61 * * * *",
	} {
		f.Add(s)
	}
	from := time.Date(2026, 3, 8, 1, 59, 30, 500, loadLocation(f, "America/New_York"))
	f.Fuzz(func(t *testing.T, s string) {
		e, err := cron.Parse(s)
		if err != nil {
			return
		}
		next := e.Next(from)
		if !next.IsZero() && (!next.After(from) || next.Nanosecond() != 0) {
			t.Fatalf("Next(%s) of %q = %s", from, s, next)
		}
	})
}
