package cron

import (
	"math/bits"
	"time"
)

// horizonYears is how far ahead Next looks: the Gregorian calendar repeats
// every 400 years, so a date the expression matches, if any, comes within
// 400 years of any start.
const horizonYears = 400

// Expr is a parsed cron expression. It is immutable and safe for concurrent
// use.
type Expr struct {
	text string
	// Bit v of each set is on when the field matches value v.
	second, minute, hour uint64
	month                uint16 // bits 1-12
	dom                  domSet
	dow                  dowSet
}

// domSet is a day-of-month field.
type domSet struct {
	days        uint32 // plain days, bits 1-31
	last        bool   // L
	lastWeekday bool   // LW
	beforeLast  uint32 // L-n: bit n, 1-30
	nearest     uint32 // nW: bit n, 1-31
}

// dowSet is a day-of-week field. Weekdays are numbered as time.Weekday,
// Sunday 0 to Saturday 6.
type dowSet struct {
	days uint8    // plain weekdays, bits 0-6
	last uint8    // dL: bit d
	nth  [7]uint8 // d#k: bit k of nth[d], 1-5
}

// String returns the expression as given to Parse, without surrounding
// spaces.
func (e *Expr) String() string { return e.text }

// Next returns the first fire time strictly after t, in t's location, or
// the zero Time if there is none within the search horizon of 400 years:
// "0 0 0 30 2 *" never fires. t's fraction of a second is dropped first. See
// the package documentation for daylight saving transitions.
func (e *Expr) Next(t time.Time) time.Time {
	loc := t.Location()
	u := t.Truncate(time.Second).Add(time.Second)
	limit := u.Year() + horizonYears
	// Within one zone period the offset is constant, so wall clock and
	// instant move together and the search can run on the wall clock. When
	// the first match lies beyond the period, it may not exist or mean
	// another instant there, so the search starts again at the next period.
	for u.Year() <= limit {
		_, offset := u.Zone()
		end := periodEnd(u)
		wall := time.Unix(u.Unix()+int64(offset), 0).UTC()
		match, ok := e.nextWall(wall, limit)
		if !ok {
			return time.Time{}
		}
		next := time.Unix(match.Unix()-int64(offset), 0).In(loc)
		if end.IsZero() || next.Before(end) {
			return next
		}
		u = end
	}
	return time.Time{}
}

// NextN returns the next n fire times after t: Next(t), then Next of that,
// and so on. It stops at the first zero Time, so the result is shorter than
// n if the expression stops firing within the horizon.
func (e *Expr) NextN(t time.Time, n int) []time.Time {
	var times []time.Time
	for range n {
		t = e.Next(t)
		if t.IsZero() {
			break
		}
		times = append(times, t)
	}
	return times
}

// periodEnd returns an instant after u up to which u's offset from UTC
// holds, or the zero Time if it never changes again. That is the end of the
// zone period holding u, except where Time.ZoneBounds returns an end that is
// not after u (golang/go#81583: the last UTC day of leap years beyond a
// zone's explicit transitions); then periodEnd looks an hour ahead, as real
// zones do not change their offset twice within an hour.
func periodEnd(u time.Time) time.Time {
	_, end := u.ZoneBounds()
	if end.IsZero() || end.After(u) {
		return end
	}
	_, offset := u.Zone()
	lo, hi := u, u.Add(time.Hour)
	if _, o := hi.Zone(); o == offset {
		return hi
	}
	for hi.Sub(lo) > time.Second { // the change is at a whole second in (lo, hi]
		mid := lo.Add((hi.Sub(lo) / 2).Truncate(time.Second))
		if _, o := mid.Zone(); o == offset {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// nextWall returns the first wall-clock time at or after w that matches e,
// looking no further than the end of year limit. Wall-clock times are
// represented as times in UTC.
func (e *Expr) nextWall(w time.Time, limit int) (time.Time, bool) {
	y, mo, d := w.Date()
	h, mi, s := w.Clock()
	nextMonth := func() {
		if mo == time.December {
			y, mo = y+1, time.January
		} else {
			mo++
		}
		d, h, mi, s = 1, 0, 0, 0
	}
	for y <= limit {
		if e.month&(1<<mo) == 0 {
			if m := nextBit(uint64(e.month), int(mo)); m > 0 {
				mo = time.Month(m)
			} else {
				y, mo = y+1, time.Month(nextBit(uint64(e.month), 1))
			}
			d, h, mi, s = 1, 0, 0, 0
			continue
		}
		days := e.days(y, mo) >> d << d // days from d on
		if days == 0 {
			nextMonth()
			continue
		}
		if day := bits.TrailingZeros32(days); day != d {
			d, h, mi, s = day, 0, 0, 0
		}
		if ch, cm, cs, ok := e.nextClock(h, mi, s); ok {
			return time.Date(y, mo, d, ch, cm, cs, 0, time.UTC), true
		}
		d, h, mi, s = d+1, 0, 0, 0
	}
	return time.Time{}, false
}

// nextClock returns the first time of day at or after h:m:s that matches
// e, if the day has one.
func (e *Expr) nextClock(h, m, s int) (int, int, int, bool) {
	for {
		nh := nextBit(e.hour, h)
		if nh < 0 {
			return 0, 0, 0, false
		}
		if nh != h {
			h, m, s = nh, 0, 0
		}
		nm := nextBit(e.minute, m)
		if nm < 0 {
			h, m, s = h+1, 0, 0
			continue
		}
		if nm != m {
			m, s = nm, 0
		}
		ns := nextBit(e.second, s)
		if ns < 0 {
			m, s = m+1, 0
			continue
		}
		return h, m, ns, true
	}
}

// nextBit returns the lowest set bit of set at or above from, or -1.
func nextBit(set uint64, from int) int {
	if from >= 64 {
		return -1
	}
	rest := set >> from << from
	if rest == 0 {
		return -1
	}
	return bits.TrailingZeros64(rest)
}

// days returns the days of the month that match both day-of-month and
// day-of-week, as bits 1-31.
func (e *Expr) days(y int, mo time.Month) uint32 {
	n := daysIn(y, mo)
	first := int(time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC).Weekday())
	month := uint32(1)<<(n+1) - 2 // bits 1-n
	return e.dom.match(n, first) & e.dow.match(n, first) & month
}

// match returns the days of a month of n days whose 1st is weekday first
// that the field matches. Days past n may be set.
func (s *domSet) match(n, first int) uint32 {
	days := s.days
	if s.last {
		days |= 1 << n
	}
	for b := s.beforeLast; b != 0; b &= b - 1 {
		if d := n - bits.TrailingZeros32(b); d >= 1 {
			days |= 1 << d
		}
	}
	if s.lastWeekday {
		switch weekdayOf(n, first) {
		case time.Saturday:
			days |= 1 << (n - 1)
		case time.Sunday:
			days |= 1 << (n - 2)
		default:
			days |= 1 << n
		}
	}
	for b := s.nearest; b != 0; b &= b - 1 {
		d := bits.TrailingZeros32(b)
		if d > n {
			continue
		}
		switch weekdayOf(d, first) {
		case time.Saturday:
			if d == 1 {
				days |= 1 << 3 // 1W never leaves the month: Monday the 3rd
			} else {
				days |= 1 << (d - 1)
			}
		case time.Sunday:
			// Monday d+1; none if that is in the next month (as Spring).
			days |= 1 << (d + 1)
		default:
			days |= 1 << d
		}
	}
	return days
}

// weekly has a bit every seven days from day 0.
const weekly = 1 | 1<<7 | 1<<14 | 1<<21 | 1<<28

// match returns the days of a month of n days whose 1st is weekday first
// that the field matches. Days past n may be set.
func (s *dowSet) match(n, first int) uint32 {
	var days uint32
	for w := range 7 {
		f := 1 + (w-first+7)%7 // the first day that is weekday w
		if s.days&(1<<w) != 0 {
			days |= weekly << f
		}
		if s.last&(1<<w) != 0 {
			days |= 1 << (f + (n-f)/7*7)
		}
		for b := s.nth[w]; b != 0; b &= b - 1 {
			days |= 1 << (f + 7*(bits.TrailingZeros8(b)-1))
		}
	}
	return days
}

// weekdayOf returns the weekday of day d of a month whose 1st is weekday
// first.
func weekdayOf(d, first int) time.Weekday {
	return time.Weekday((first + d - 1) % 7)
}

func daysIn(y int, mo time.Month) int {
	switch mo {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
