package scheduler

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // every IANA zone, also where the system has none

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/cron"
)

// plan is a schedule's expression, zone and bounds, ready to compute slots.
type plan struct {
	expr    *cron.Expr
	loc     *time.Location
	zone    string
	start   time.Time // zero: unbounded
	end     time.Time // zero: unbounded
	catchUp bool
}

// compile reads the slot rules of a schedule; the error names the field
// that is wrong.
func compile(s *workflow.Schedule) (*plan, error) {
	if len(s.CronSchedules) > 0 {
		return nil, fmt.Errorf("cronSchedules is not supported: give one cronExpression and zoneId (save one schedule per expression)")
	}
	if strings.TrimSpace(s.CronExpression) == "" {
		return nil, fmt.Errorf(`cronExpression is required, such as "0 0 * * * *" (every hour)`)
	}
	expr, err := cron.Parse(s.CronExpression)
	if err != nil {
		return nil, fmt.Errorf("cronExpression: %w", err)
	}
	zone := s.ZoneID
	if zone == "" {
		zone = "UTC"
	}
	loc, err := loadZone(zone)
	if err != nil {
		return nil, err
	}
	if s.ScheduleStartTime < 0 || s.ScheduleEndTime < 0 {
		return nil, fmt.Errorf("scheduleStartTime and scheduleEndTime are Unix milliseconds and cannot be negative")
	}
	p := &plan{expr: expr, loc: loc, zone: zone, catchUp: s.RunCatchupScheduleInstances}
	if s.ScheduleStartTime > 0 {
		p.start = time.UnixMilli(s.ScheduleStartTime)
	}
	if s.ScheduleEndTime > 0 {
		p.end = time.UnixMilli(s.ScheduleEndTime)
		if !p.start.IsZero() && !p.end.After(p.start) {
			return nil, fmt.Errorf("scheduleEndTime (%d) must be after scheduleStartTime (%d)", s.ScheduleEndTime, s.ScheduleStartTime)
		}
	}
	return p, nil
}

// loadZone returns an IANA time zone, or an error naming the field.
func loadZone(zone string) (*time.Location, error) {
	// "Local" is the server's own zone, which a schedule must not depend on.
	if zone == "Local" {
		return nil, fmt.Errorf(`zoneId "Local" is not allowed: name an IANA time zone such as "UTC" or "Europe/Paris"`)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf(`zoneId %q is not a known IANA time zone: use a name such as "UTC", "America/New_York" or "Europe/Paris"`, zone)
	}
	return loc, nil
}

// next returns the first slot strictly after t within the bounds; zero
// when there is none.
func (p *plan) next(t time.Time) time.Time {
	if !p.start.IsZero() && t.Before(p.start) {
		// Next is strictly after its argument and drops fractions of a
		// second: one nanosecond before start makes start itself a slot.
		t = p.start.Add(-time.Nanosecond)
	}
	n := p.expr.Next(t.In(p.loc))
	if n.IsZero() || (!p.end.IsZero() && n.After(p.end)) {
		return time.Time{}
	}
	return n
}

// due returns the slots to fire at now when the slots up to done have been
// dealt with, oldest first, at most limit of them; and up to when the
// slots are dealt with once they have fired. Without catch-up only the
// oldest missed slot fires and the others are skipped.
func (p *plan) due(done, now time.Time, limit int) (slots []time.Time, upTo time.Time) {
	upTo = done
	for t := p.next(done); !t.IsZero() && !t.After(now); t = p.next(t) {
		slots = append(slots, t)
		upTo = t
		if !p.catchUp {
			return slots, now
		}
		if len(slots) == limit {
			break
		}
	}
	return slots, upTo
}

// cron is the expression with its zone, as Conductor's _schedulerCron
// input field gives it.
func (p *plan) cron() string { return p.expr.String() + " " + p.zone }
