package decider

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// durationPart is one "<number> <unit>" of a WAIT duration.
var durationPart = regexp.MustCompile(`^\s*(\d+)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b\s*,?`)

// parseDuration reads a WAIT duration such as "10m20s", "2 hours 30
// minutes" or "1d", in milliseconds.
func parseDuration(s string) (int64, error) {
	rest := strings.ToLower(strings.TrimSpace(s))
	var total int64
	for rest != "" {
		m := durationPart.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("%q is not a duration; write it like 30s, 10m20s or \"2 hours 30 minutes\" (units d, h, m, s)", s)
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > 1e9 {
			return 0, fmt.Errorf("%q: %s is too large", s, m[1])
		}
		var unit int64
		switch m[2][0] {
		case 'd':
			unit = 24 * 3600
		case 'h':
			unit = 3600
		case 'm':
			unit = 60
		default:
			unit = 1
		}
		total += n * unit * 1000
		rest = strings.TrimSpace(rest[len(m[0]):])
	}
	if total == 0 && strings.TrimSpace(s) == "" {
		return 0, fmt.Errorf("the duration is empty")
	}
	return total, nil
}

// untilLayouts are the WAIT until formats, as Conductor's yyyy-MM-dd HH:mm z,
// yyyy-MM-dd HH:mm and yyyy-MM-dd, plus RFC 3339.
var untilLayouts = []string{
	time.RFC3339,
	"2006-01-02 15:04 -0700",
	"2006-01-02 15:04 -07:00",
	"2006-01-02 15:04 MST",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseUntil reads a WAIT until time. A zone may be an offset, UTC/GMT
// (with an offset, as GMT+04:00) or an IANA name; without one, UTC.
func parseUntil(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range untilLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == "2006-01-02 15:04 MST" && !strings.HasSuffix(s, "UTC") && !strings.HasSuffix(s, "GMT") {
				break // an abbreviation Go cannot place: try the zone below
			}
			return t, nil
		}
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		local, zone := s[:i], s[i+1:]
		if loc := zoneOf(zone); loc != nil {
			for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
				if t, err := time.ParseInLocation(layout, local, loc); err == nil {
					return t, nil
				}
			}
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time; write it like \"2026-12-25 09:00 UTC\", \"2026-12-25 09:00 Europe/Paris\", \"2026-12-25 09:00 +0100\" or RFC 3339", s)
}

// zoneOf reads GMT+hh:mm, UTC-h, or an IANA zone name.
func zoneOf(z string) *time.Location {
	for _, p := range []string{"GMT", "UTC"} {
		if rest, ok := strings.CutPrefix(z, p); ok && rest != "" {
			sign := 1
			switch rest[0] {
			case '+':
			case '-':
				sign = -1
			default:
				return nil
			}
			h, m, _ := strings.Cut(rest[1:], ":")
			hh, err1 := strconv.Atoi(h)
			mm := 0
			var err2 error
			if m != "" {
				mm, err2 = strconv.Atoi(m)
			}
			if err1 != nil || err2 != nil || hh > 14 || mm > 59 {
				return nil
			}
			return time.FixedZone(z, sign*(hh*3600+mm*60))
		}
	}
	if !strings.Contains(z, "/") {
		return nil
	}
	loc, err := time.LoadLocation(z)
	if err != nil {
		return nil
	}
	return loc
}
