package cron

import (
	"fmt"
	"strconv"
	"strings"
)

// macros maps each macro to the expression it stands for (Spring's list).
var macros = map[string]string{
	"@yearly":   "0 0 0 1 1 *",
	"@annually": "0 0 0 1 1 *",
	"@monthly":  "0 0 0 1 * *",
	"@weekly":   "0 0 0 * * 0",
	"@daily":    "0 0 0 * * *",
	"@midnight": "0 0 0 * * *",
	"@hourly":   "0 0 * * * *",
}

// field describes one of the six fields for parsing.
type field struct {
	name     string
	min, max int
	// wildMin is where * starts when it is stepped; it differs from min only
	// for day-of-week, where Spring's * is 1-7 (Monday to Sunday).
	wildMin int
	// names maps three-letter names to values; nil if the field has none.
	names map[string]int
	// want says what a value may be, for error messages.
	want string
	// weekdays marks day-of-week, where 7 is Sunday like 0.
	weekdays bool
}

var (
	secondField = field{name: "second", min: 0, max: 59, wildMin: 0, want: "a number 0-59"}
	minuteField = field{name: "minute", min: 0, max: 59, wildMin: 0, want: "a number 0-59"}
	hourField   = field{name: "hour", min: 0, max: 23, wildMin: 0, want: "a number 0-23"}
	domField    = field{name: "day-of-month", min: 1, max: 31, wildMin: 1, want: "a number 1-31"}
	monthField  = field{name: "month", min: 1, max: 12, wildMin: 1, want: "1-12 or JAN-DEC", names: map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}}
	// Spring numbers the days as java.time does, Monday 1 to Sunday 7, and
	// also accepts 0 for Sunday.
	dowField = field{name: "day-of-week", min: 0, max: 7, wildMin: 1, want: "0-7 or SUN-SAT", weekdays: true, names: map[string]int{
		"MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6, "SUN": 7,
	}}
)

// errorf returns an error about the field; Parse adds the expression.
func (f *field) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s", f.name, fmt.Sprintf(format, args...))
}

// Parse parses a cron expression: six fields "second minute hour
// day-of-month month day-of-week", five fields "minute hour day-of-month
// month day-of-week" (the second is then 0), or a macro such as @daily. See
// the package documentation for the syntax. Surrounding spaces are ignored.
func Parse(expr string) (*Expr, error) {
	text := strings.TrimSpace(expr)
	e, err := parse(text)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w", text, err)
	}
	e.text = text
	return e, nil
}

func parse(text string) (*Expr, error) {
	if text == "" {
		return nil, fmt.Errorf("empty expression; want six fields (second minute hour day-of-month month day-of-week), five fields, or a macro such as @daily")
	}
	if strings.HasPrefix(text, "@") {
		resolved, ok := macros[strings.ToLower(text)]
		if !ok {
			return nil, fmt.Errorf("unknown macro; want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly")
		}
		text = resolved
	}
	fields := strings.Fields(text)
	switch len(fields) {
	case 6:
	case 5:
		fields = append([]string{"0"}, fields...)
	default:
		return nil, fmt.Errorf("%d fields; want 6 (second minute hour day-of-month month day-of-week) or 5 (minute hour day-of-month month day-of-week)", len(fields))
	}

	var e Expr
	var err error
	if e.second, err = secondField.parseBits(fields[0]); err != nil {
		return nil, err
	}
	if e.minute, err = minuteField.parseBits(fields[1]); err != nil {
		return nil, err
	}
	if e.hour, err = hourField.parseBits(fields[2]); err != nil {
		return nil, err
	}
	if e.dom, err = parseDayOfMonth(fields[3]); err != nil {
		return nil, err
	}
	month, err := monthField.parseBits(fields[4])
	if err != nil {
		return nil, err
	}
	e.month = uint16(month)
	if e.dow, err = parseDayOfWeek(fields[5]); err != nil {
		return nil, err
	}
	return &e, nil
}

// parseBits parses a field made of plain elements (no L, W or #) into a
// bit set: bit v is set when the field matches value v.
func (f *field) parseBits(s string) (uint64, error) {
	if s == "?" {
		return 0, f.errorf(`"?" is allowed only in day-of-month and day-of-week`)
	}
	var bits uint64
	for _, elem := range strings.Split(s, ",") {
		b, err := f.parseElement(elem, s)
		if err != nil {
			return 0, err
		}
		bits |= b
	}
	return bits, nil
}

// parseElement parses one plain element of list: *, a, a-b, */n, a/n or
// a-b/n.
func (f *field) parseElement(elem, list string) (uint64, error) {
	switch {
	case elem == "":
		return 0, f.errorf("empty element in list %q", list)
	case elem == "?":
		return 0, f.errorf(`"?" must be the whole field, not part of %q`, list)
	}
	rng, stepText, stepped := strings.Cut(elem, "/")
	var lo, hi int
	switch low, high, isRange := strings.Cut(rng, "-"); {
	case rng == "*":
		lo, hi = f.min, f.max
		if stepped {
			lo = f.wildMin
		}
	case isRange:
		if low == "" || high == "" || strings.Contains(high, "-") {
			return 0, f.errorf("%q is not a range; want low-high", rng)
		}
		var err error
		if lo, err = f.value(low); err != nil {
			return 0, err
		}
		if hi, err = f.value(high); err != nil {
			return 0, err
		}
		if f.weekdays && lo == 7 && hi < 7 {
			lo = 0 // Spring: a range from Sunday starts at 0
		}
		if lo > hi {
			last := f.max
			if f.weekdays {
				last = 6 // 7 would repeat Sunday
			}
			wrap := fmt.Sprintf("%d-%d,%d-%d", lo, last, f.min, hi)
			return 0, f.errorf("range %q is reversed; ranges do not wrap, use a list such as %q", rng, wrap)
		}
	default:
		v, err := f.value(rng)
		if err != nil {
			return 0, err
		}
		lo, hi = v, v
		if stepped {
			hi = f.max
		}
	}
	step := 1
	if stepped {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 || !isDigits(stepText) {
			return 0, f.errorf("step in %q must be a whole number of at least 1", elem)
		}
		step = min(n, f.max+1) // larger steps mean the same, and could overflow v below
	}
	var bits uint64
	for v := lo; v <= hi; v += step {
		bits |= 1 << v
	}
	if f.weekdays && bits&(1<<7) != 0 {
		bits = bits&^(1<<7) | 1 // 7 is Sunday, which is 0 from here on
	}
	return bits, nil
}

// value parses a single number or name and checks its range.
func (f *field) value(s string) (int, error) {
	if v, ok := f.names[upperASCII(s)]; ok {
		return v, nil
	}
	if !isDigits(s) {
		return 0, f.errorf("%q is not a value; want %s", s, f.want)
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		return 0, f.errorf("%s is out of range %d-%d", s, f.min, f.max)
	}
	return v, nil
}

// upperASCII returns s with ASCII letters in upper case. Unlike
// strings.ToUpper it keeps byte offsets, so parts of the result name the
// same parts of s.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseDayOfMonth parses the day-of-month field: plain elements plus L,
// L-n, LW and nW.
func parseDayOfMonth(s string) (domSet, error) {
	f := &domField
	var set domSet
	if s == "?" {
		s = "*"
	}
	for _, elem := range strings.Split(s, ",") {
		switch up := upperASCII(elem); {
		case up == "L":
			set.last = true
		case up == "LW":
			set.lastWeekday = true
		case strings.HasPrefix(up, "L-"):
			n, err := strconv.Atoi(elem[2:])
			if err != nil || n < 1 || n > 30 || !isDigits(elem[2:]) {
				return domSet{}, f.errorf("offset in %q must be 1-30", elem)
			}
			set.beforeLast |= 1 << n
		case strings.HasPrefix(up, "L"):
			return domSet{}, f.errorf("%q is not valid; want L, L-n or LW", elem)
		case strings.HasSuffix(up, "W"):
			day := elem[:len(elem)-1]
			if day == "" {
				return domSet{}, f.errorf("%q needs a day before it, as in 15W", elem)
			}
			if !isDigits(day) {
				return domSet{}, f.errorf("%q is not valid; W follows a single day, as in 15W", elem)
			}
			n, err := f.value(day)
			if err != nil {
				return domSet{}, err
			}
			set.nearest |= 1 << n
		default:
			b, err := f.parseElement(elem, s)
			if err != nil {
				return domSet{}, err
			}
			set.days |= uint32(b)
		}
	}
	return set, nil
}

// parseDayOfWeek parses the day-of-week field: plain elements plus dL and
// d#k.
func parseDayOfWeek(s string) (dowSet, error) {
	f := &dowField
	var set dowSet
	if s == "?" {
		s = "*"
	}
	for _, elem := range strings.Split(s, ",") {
		up := upperASCII(elem)
		switch day, ordinal, isNth := strings.Cut(elem, "#"); {
		case up == "L":
			return dowSet{}, f.errorf("%q needs a day before it, as in 5L or FRIL", elem)
		case strings.HasSuffix(up, "L"):
			w, err := f.weekday(elem[:len(elem)-1], elem)
			if err != nil {
				return dowSet{}, err
			}
			set.last |= 1 << w
		case isNth:
			if day == "" {
				return dowSet{}, f.errorf("%q needs a day before #, as in MON#2", elem)
			}
			w, err := f.weekday(day, elem)
			if err != nil {
				return dowSet{}, err
			}
			k, err := strconv.Atoi(ordinal)
			if err != nil || k < 1 || k > 5 || !isDigits(ordinal) {
				return dowSet{}, f.errorf("ordinal in %q must be 1-5", elem)
			}
			set.nth[w] |= 1 << k
		default:
			b, err := f.parseElement(elem, s)
			if err != nil {
				return dowSet{}, err
			}
			set.days |= uint8(b)
		}
	}
	return set, nil
}

// weekday parses the day before L or # in elem: a number 0-7 or a name. It
// returns 0 for Sunday.
func (f *field) weekday(s, elem string) (int, error) {
	if _, ok := f.names[upperASCII(s)]; !ok && !isDigits(s) {
		return 0, f.errorf("%q is not valid; L and # follow a single day, as in 5L or MON#2", elem)
	}
	v, err := f.value(s)
	if err != nil {
		return 0, err
	}
	return v % 7, nil
}
