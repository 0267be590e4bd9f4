package cron_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/cron"
)

var seed = flag.Uint64("cron.seed", 1, "seed for TestNextMatchesBruteForce")

// TestNextMatchesBruteForce generates random expressions from the grammar,
// each with a model of what it means written from the documented rules, and
// checks Next against a search that walks forward through time asking the
// model whether each time matches.
func TestNextMatchesBruteForce(t *testing.T) {
	t.Parallel()
	zones := []*time.Location{time.UTC}
	for _, name := range []string{
		"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago",
		"Asia/Kolkata", "Pacific/Chatham", "Africa/Cairo", "America/St_Johns", "Pacific/Apia", newYearDST,
	} {
		zones = append(zones, loadLocation(t, name))
	}
	r := rand.New(rand.NewPCG(*seed, 0))
	const (
		exprs = 5000
		steps = 4 // successive fire times checked for each
	)
	for range exprs {
		text, m := genExpr(r)
		e, err := cron.Parse(text)
		require.NoError(t, err, text)
		loc := zones[r.IntN(len(zones))]
		from := genStart(r, loc)
		for range steps {
			limit := from.AddDate(8, 0, 0)
			want := bruteNext(m, from, limit)
			got := e.Next(from)
			msg := fmt.Sprintf("Next(%s) of %q in %s (seed %d)", from.Format(time.RFC3339Nano), text, loc, *seed)
			if want.IsZero() {
				require.True(t, got.IsZero() || !got.Before(limit), "%s = %s, want none before %s", msg, got, limit)
				break
			}
			require.True(t, want.Equal(got), "%s = %s, want %s", msg, got, want)
			require.Same(t, loc, got.Location(), msg)
			from = got
		}
	}
}

// bruteNext returns the first time after t, and before limit, that m
// matches. It steps through time a second at a time, but skips to the next
// minute, hour or day when the current one cannot match; within one zone
// period the wall clock moves with the instant, so it never skips past the
// end of the period.
func bruteNext(m *model, t, limit time.Time) time.Time {
	u := t.Truncate(time.Second).Add(time.Second)
	for u.Before(limit) {
		y, mo, d := u.Date()
		h, mi, s := u.Clock()
		var skip int // seconds
		switch {
		case !m.month[mo] || !m.dom.matches(y, mo, d) || !m.dow.matches(y, mo, d):
			skip = 86400 - (h*3600 + mi*60 + s)
		case !m.hour[h]:
			skip = 3600 - (mi*60 + s)
		case !m.minute[mi]:
			skip = 60 - s
		case !m.second[s]:
			skip = 1
		default:
			return u
		}
		next := u.Add(time.Duration(skip) * time.Second)
		switch _, end := u.ZoneBounds(); {
		case !end.IsZero() && !end.After(u):
			// golang/go#81583: no bound known. Real zones do not change
			// their offset twice in a day, so an unchanged offset means
			// no change in between.
			if _, o := u.Zone(); o != offsetOf(next) {
				next = u.Add(time.Second)
			}
		case !end.IsZero() && end.Before(next):
			next = end
		}
		u = next
	}
	return time.Time{}
}

func offsetOf(t time.Time) int {
	_, offset := t.Zone()
	return offset
}

// model is what an expression means, built alongside its text.
type model struct {
	second, minute, hour [60]bool
	month                [13]bool
	dom                  domModel
	dow                  dowModel
}

type domModel struct {
	days        [32]bool
	last        bool  // L
	lastWeekday bool  // LW
	beforeLast  []int // L-n
	nearest     []int // nW
}

func (m *domModel) matches(y int, mo time.Month, d int) bool {
	n := time.Date(y, mo+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if m.days[d] || m.last && d == n {
		return true
	}
	for _, k := range m.beforeLast {
		if d == n-k {
			return true
		}
	}
	if m.lastWeekday {
		lw := n
		for weekend(y, mo, lw) {
			lw--
		}
		if d == lw {
			return true
		}
	}
	for _, k := range m.nearest {
		if k > n {
			continue
		}
		target := k
		switch time.Date(y, mo, k, 0, 0, 0, 0, time.UTC).Weekday() {
		case time.Saturday:
			target = k - 1
			if k == 1 {
				target = 3
			}
		case time.Sunday:
			target = k + 1 // none when past the end of the month
		}
		if d == target {
			return true
		}
	}
	return false
}

func weekend(y int, mo time.Month, d int) bool {
	w := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Weekday()
	return w == time.Saturday || w == time.Sunday
}

type dowModel struct {
	days [7]bool    // by time.Weekday
	last [7]bool    // dL
	nth  [7][6]bool // d#k
}

func (m *dowModel) matches(y int, mo time.Month, d int) bool {
	date := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	w := date.Weekday()
	lastOfItsKind := date.AddDate(0, 0, 7).Month() != mo
	return m.days[w] || m.last[w] && lastOfItsKind || m.nth[w][(d-1)/7+1]
}

var (
	monthNames = []string{"", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"} // Spring's numbers 1-7
)

// plainField describes a field for genPlain.
type plainField struct {
	min, max int
	starMin  int      // where a stepped * starts
	names    []string // by value; "" for none
	weekdays bool     // 7 is Sunday; a range from 7 starts at 0
}

// genExpr returns a random valid expression and its model.
func genExpr(r *rand.Rand) (string, *model) {
	m := &model{}
	if r.IntN(20) == 0 {
		macros := []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
		spelled := map[string]string{
			"@yearly": "0 0 0 1 1 *", "@annually": "0 0 0 1 1 *", "@monthly": "0 0 0 1 * *",
			"@weekly": "0 0 0 * * 0", "@daily": "0 0 0 * * *", "@midnight": "0 0 0 * * *", "@hourly": "0 0 * * * *",
		}
		name := macros[r.IntN(len(macros))]
		return randomCase(r, name), modelOf(spelled[name]) // see TestModelOfMacros
	}
	var fields []string
	fiveFields := r.IntN(10) == 0
	if fiveFields {
		m.second[0] = true
	} else {
		fields = append(fields, genPlain(r, plainField{min: 0, max: 59}, m.second[:]))
	}
	fields = append(fields,
		genPlain(r, plainField{min: 0, max: 59}, m.minute[:]),
		genPlain(r, plainField{min: 0, max: 23}, m.hour[:]),
		genDayOfMonth(r, &m.dom),
		genPlain(r, plainField{min: 1, max: 12, starMin: 1, names: monthNames}, m.month[:]),
		genDayOfWeek(r, &m.dow),
	)
	return strings.Join(fields, " "), m
}

// modelOf builds the model of a six-field expression made of numbers and *
// only.
func modelOf(text string) *model {
	m := &model{}
	f := strings.Fields(text)
	plain := func(s string, set []bool, lo, hi int) {
		if s == "*" {
			for v := lo; v <= hi; v++ {
				set[v] = true
			}
			return
		}
		v, _ := strconv.Atoi(s)
		set[v] = true
	}
	plain(f[0], m.second[:], 0, 59)
	plain(f[1], m.minute[:], 0, 59)
	plain(f[2], m.hour[:], 0, 23)
	plain(f[3], m.dom.days[:], 1, 31)
	plain(f[4], m.month[:], 1, 12)
	var dow [8]bool
	plain(f[5], dow[:], 0, 7)
	for v, ok := range dow {
		m.dow.days[v%7] = m.dow.days[v%7] || ok
	}
	return m
}

// genPlain returns a random list of plain elements (*, a, a-b, */n, a/n,
// a-b/n) for field f and marks the values it matches in set.
func genPlain(r *rand.Rand, f plainField, set []bool) string {
	mark := func(lo, hi, step int) {
		for v := lo; v <= hi; v += step {
			if f.weekdays {
				set[v%7] = true
			} else {
				set[v] = true
			}
		}
	}
	value := func(v int) string {
		if f.names != nil && v < len(f.names) && f.names[v] != "" && r.IntN(2) == 0 {
			return randomCase(r, f.names[v])
		}
		if r.IntN(10) == 0 {
			return fmt.Sprintf("%02d", v)
		}
		return strconv.Itoa(v)
	}
	pick := func() int { return f.min + r.IntN(f.max-f.min+1) }
	pair := func() (int, int) {
		a, b := pick(), pick()
		return min(a, b), max(a, b)
	}
	step := func() int {
		if r.IntN(4) == 0 {
			return 1 + r.IntN(f.max+5) // may exceed the field
		}
		return 1 + r.IntN(max(1, (f.max-f.min)/3))
	}
	var elems []string
	for range 1 + r.IntN(3)*r.IntN(2) {
		switch r.IntN(8) {
		case 0:
			elems = append(elems, "*")
			mark(f.min, f.max, 1)
		case 1:
			n := step()
			elems = append(elems, "*/"+strconv.Itoa(n))
			mark(f.starMin, f.max, n)
		case 2:
			a, n := pick(), step()
			elems = append(elems, value(a)+"/"+strconv.Itoa(n))
			mark(a, f.max, n)
		case 3:
			a, b := pair()
			n := step()
			lo := a
			if f.weekdays && a == 0 && b < 7 && r.IntN(2) == 0 {
				a = 7 // Spring reads 7-b as 0-b
			}
			elems = append(elems, value(a)+"-"+value(b)+"/"+strconv.Itoa(n))
			mark(lo, b, n)
		case 4:
			a, b := pair()
			lo := a
			if f.weekdays && a == 0 && b < 7 && r.IntN(2) == 0 {
				a = 7
			}
			elems = append(elems, value(a)+"-"+value(b))
			mark(lo, b, 1)
		default:
			v := pick()
			elems = append(elems, value(v))
			mark(v, v, 1)
		}
	}
	return strings.Join(elems, ",")
}

func genDayOfMonth(r *rand.Rand, m *domModel) string {
	if r.IntN(3) == 0 {
		for d := 1; d <= 31; d++ {
			m.days[d] = true
		}
		return []string{"*", "?"}[r.IntN(2)]
	}
	var elems []string
	for range 1 + r.IntN(2) {
		switch r.IntN(7) {
		case 0:
			elems = append(elems, randomCase(r, "L"))
			m.last = true
		case 1:
			k := 1 + r.IntN(30)
			elems = append(elems, randomCase(r, "L")+"-"+strconv.Itoa(k))
			m.beforeLast = append(m.beforeLast, k)
		case 2:
			elems = append(elems, randomCase(r, "LW"))
			m.lastWeekday = true
		case 3:
			k := 1 + r.IntN(31)
			if r.IntN(2) == 0 {
				k = []int{1, 2, 15, 28, 29, 30, 31}[r.IntN(7)]
			}
			elems = append(elems, strconv.Itoa(k)+randomCase(r, "W"))
			m.nearest = append(m.nearest, k)
		default:
			elems = append(elems, genPlain(r, plainField{min: 1, max: 31, starMin: 1}, m.days[:]))
		}
	}
	return strings.Join(elems, ",")
}

func genDayOfWeek(r *rand.Rand, m *dowModel) string {
	if r.IntN(3) == 0 {
		m.days = [7]bool{true, true, true, true, true, true, true}
		return []string{"*", "?"}[r.IntN(2)]
	}
	day := func() (string, time.Weekday) {
		v := r.IntN(8)
		if v > 0 && r.IntN(2) == 0 {
			return randomCase(r, dayNames[v]), time.Weekday(v % 7)
		}
		return strconv.Itoa(v), time.Weekday(v % 7)
	}
	var elems []string
	for range 1 + r.IntN(2) {
		switch r.IntN(5) {
		case 0:
			s, w := day()
			elems = append(elems, s+randomCase(r, "L"))
			m.last[w] = true
		case 1:
			s, w := day()
			k := 1 + r.IntN(5)
			elems = append(elems, s+"#"+strconv.Itoa(k))
			m.nth[w][k] = true
		default:
			var days [7]bool
			elems = append(elems, genPlain(r, plainField{min: 0, max: 7, starMin: 1, names: dayNames, weekdays: true}, days[:]))
			for w, ok := range days {
				m.days[w] = m.days[w] || ok
			}
		}
	}
	return strings.Join(elems, ",")
}

func randomCase(r *rand.Rand, s string) string {
	switch r.IntN(3) {
	case 0:
		return strings.ToLower(s)
	case 1:
		return s
	}
	b := []byte(s)
	for i := range b {
		if r.IntN(2) == 0 {
			b[i] = strings.ToLower(string(b[i]))[0]
		}
	}
	return string(b)
}

// genStart returns a random time in loc: mostly anywhere from 2010 to 2035,
// often within a few hours of a change of the zone's offset.
func genStart(r *rand.Rand, loc *time.Location) time.Time {
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	t := base.Add(time.Duration(r.Int64N(int64(25 * 365 * 24 * time.Hour)))).In(loc)
	if r.IntN(2) == 0 {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end.Add(time.Duration(r.Int64N(int64(6*time.Hour))) - 3*time.Hour)
		}
	}
	if r.IntN(20) == 0 {
		// The last days of leap years past the zones' explicit transitions,
		// where Time.ZoneBounds goes wrong (golang/go#81583).
		year := []int{2040, 2044}[r.IntN(2)]
		t = time.Date(year, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).In(loc)
	}
	if r.IntN(3) == 0 {
		t = t.Truncate(time.Minute) // often exactly on a minute
	}
	return t
}

// TestModelOfMacros checks the generator's model of the macros against
// fire times worked out by hand, so that the model cannot drift with the
// code under test.
func TestModelOfMacros(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC) // a Thursday
	limit := from.AddDate(2, 0, 0)
	require.Equal(t, "2027-01-01T00:00:00Z", bruteNext(modelOf("0 0 0 1 1 *"), from, limit).Format(time.RFC3339))
	require.Equal(t, "2026-02-01T00:00:00Z", bruteNext(modelOf("0 0 0 1 * *"), from, limit).Format(time.RFC3339))
	require.Equal(t, "2026-01-04T00:00:00Z", bruteNext(modelOf("0 0 0 * * 0"), from, limit).Format(time.RFC3339))
	require.Equal(t, "2026-01-02T00:00:00Z", bruteNext(modelOf("0 0 0 * * *"), from, limit).Format(time.RFC3339))
	require.Equal(t, "2026-01-01T11:00:00Z", bruteNext(modelOf("0 0 * * * *"), from, limit).Format(time.RFC3339))
}
