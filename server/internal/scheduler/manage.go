package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// MaxNextRuns is the most instants NextRuns returns.
const MaxNextRuns = 1000

// maxNameBytes bounds schedule names.
const maxNameBytes = 256

// writeAttempts bounds the retries of a change that raced with another.
const writeAttempts = 16

func invalid(format string, args ...any) error {
	return &engine.Error{Code: engine.InvalidArgument, Msg: fmt.Sprintf(format, args...)}
}

func notFound(name string) error {
	return &engine.Error{Code: engine.NotFound, Msg: fmt.Sprintf("schedule %q does not exist: list them with GET /api/scheduler/schedules or `baton schedule ls`", name)}
}

// check validates a schedule to save; the error names the field.
func check(sc *workflow.Schedule) error {
	if sc == nil {
		return invalid("no schedule given")
	}
	switch {
	case strings.TrimSpace(sc.Name) == "":
		return invalid("name is required")
	case len(sc.Name) > maxNameBytes:
		return invalid("name is %d bytes long; the limit is %d", len(sc.Name), maxNameBytes)
	case strings.ContainsAny(sc.Name, "\x00/"):
		return invalid("name %q may not contain a slash or a NUL byte", sc.Name)
	}
	if _, err := compile(sc); err != nil {
		return invalid("schedule %s: %v", sc.Name, err)
	}
	req := sc.StartWorkflowRequest
	switch {
	case req == nil:
		return invalid("schedule %s: startWorkflowRequest is required (the workflow each slot starts)", sc.Name)
	case req.Name == "" && (req.WorkflowDef == nil || req.WorkflowDef.Name == ""):
		return invalid("schedule %s: startWorkflowRequest.name is required", sc.Name)
	case req.Priority < 0 || req.Priority > 99:
		return invalid("schedule %s: startWorkflowRequest.priority must be between 0 and 99, got %d", sc.Name, req.Priority)
	case req.IdempotencyKey != "" || req.IdempotencyStrategy != "":
		return invalid("schedule %s: startWorkflowRequest may not set idempotencyKey or idempotencyStrategy: "+
			"one key would refuse every slot after the first, and each slot's start is idempotent already (its execution id is derived from the slot)", sc.Name)
	}
	return nil
}

// Save creates or replaces a schedule (by name) and returns it as stored.
// The first slot to fire is the first after now: saving never fires the
// slots that passed. user is recorded as its creator or last updater.
func (s *Scheduler) Save(ctx context.Context, sc *workflow.Schedule, user string) (*workflow.Schedule, error) {
	if err := check(sc); err != nil {
		return nil, err
	}
	var saved *store.ScheduleRecord
	err := s.write(ctx, sc.Name, true, func(r *store.ScheduleRecord, now time.Time) error {
		next := *sc
		next.CreateTime, next.CreatedBy = now.UnixMilli(), user
		if r.Schedule != nil {
			old := r.Schedule
			next.CreateTime, next.CreatedBy = old.CreateTime, old.CreatedBy
			next.LastScheduledTime, next.LastWorkflowID = old.LastScheduledTime, old.LastWorkflowID
			next.LastError, next.LastErrorTime = old.LastError, old.LastErrorTime
		} else {
			next.LastScheduledTime, next.LastWorkflowID, next.LastError, next.LastErrorTime = 0, "", "", 0
		}
		next.UpdatedTime, next.UpdatedBy = now.UnixMilli(), user
		next.NextRunTime = 0
		if !next.Paused {
			next.PausedReason = ""
		}
		r.Schedule = &next
		r.Done = now.UnixMilli()
		saved = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.view(saved), nil
}

// Get returns a schedule with its next run time.
func (s *Scheduler) Get(ctx context.Context, name string) (*workflow.Schedule, error) {
	r, err := s.store.ScheduleGet(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(name)
	}
	if err != nil {
		return nil, err
	}
	return s.view(r), nil
}

// List returns the schedules sorted by name; those of one workflow when
// workflowName is not empty.
func (s *Scheduler) List(ctx context.Context, workflowName string) ([]*workflow.Schedule, error) {
	recs, err := s.store.ScheduleList(ctx)
	if err != nil {
		return nil, err
	}
	out := []*workflow.Schedule{}
	for _, r := range recs {
		if workflowName != "" && (r.Schedule.StartWorkflowRequest == nil || r.Schedule.StartWorkflowRequest.Name != workflowName) {
			continue
		}
		out = append(out, s.view(r))
	}
	return out, nil
}

// Delete removes a schedule. The executions it started stay.
func (s *Scheduler) Delete(ctx context.Context, name string) error {
	err := s.store.ScheduleDelete(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(name)
	}
	if err != nil {
		return err
	}
	s.changed(name)
	return nil
}

// Pause stops a schedule from firing; reason is kept as pausedReason.
// Pausing a paused schedule replaces its reason.
func (s *Scheduler) Pause(ctx context.Context, name, reason, user string) error {
	return s.write(ctx, name, false, func(r *store.ScheduleRecord, now time.Time) error {
		r.Schedule.Paused, r.Schedule.PausedReason = true, reason
		r.Schedule.UpdatedTime, r.Schedule.UpdatedBy = now.UnixMilli(), user
		return nil
	})
}

// Resume lets a paused schedule fire again from the first slot after now:
// the slots that passed while it was paused never fire. Resuming a
// schedule that is not paused changes nothing.
func (s *Scheduler) Resume(ctx context.Context, name, user string) error {
	return s.write(ctx, name, false, func(r *store.ScheduleRecord, now time.Time) error {
		if !r.Schedule.Paused {
			return errUnchanged
		}
		r.Schedule.Paused, r.Schedule.PausedReason = false, ""
		r.Schedule.UpdatedTime, r.Schedule.UpdatedBy = now.UnixMilli(), user
		r.Done = now.UnixMilli()
		return nil
	})
}

// errUnchanged tells write that there is nothing to write.
var errUnchanged = errors.New("unchanged")

// write applies change to the stored record of a schedule (an empty record
// when create is set and it does not exist) and stores it, again if it
// changed meanwhile; then it tells the loop.
func (s *Scheduler) write(ctx context.Context, name string, create bool, change func(r *store.ScheduleRecord, now time.Time) error) error {
	for range writeAttempts {
		r, err := s.store.ScheduleGet(ctx, name)
		switch {
		case errors.Is(err, store.ErrNotFound) && create:
			r = &store.ScheduleRecord{}
		case errors.Is(err, store.ErrNotFound):
			return notFound(name)
		case err != nil:
			return err
		}
		if err := change(r, s.cfg.Clock()); errors.Is(err, errUnchanged) {
			return nil
		} else if err != nil {
			return err
		}
		_, err = s.store.SchedulePut(ctx, r)
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound) {
			continue // changed, created or deleted meanwhile: start again
		}
		if err != nil {
			return err
		}
		s.changed(name)
		return nil
	}
	return &engine.Error{Code: engine.Unavailable, Msg: fmt.Sprintf("schedule %s is being changed by other calls; try again", name)}
}

// view is a stored schedule as the API shows it.
func (s *Scheduler) view(r *store.ScheduleRecord) *workflow.Schedule {
	sc := *r.Schedule
	sc.NextRunTime = 0
	if next := s.nextOf(r); !next.IsZero() {
		sc.NextRunTime = next.UnixMilli()
	}
	return &sc
}

// NextRuns returns the next n instants, Unix milliseconds, at which a
// schedule with this expression, zone and bounds would fire, from now on.
// zone is "UTC" when empty; start and end are 0 when unbounded.
func (s *Scheduler) NextRuns(expr, zone string, start, end int64, n int) ([]int64, error) {
	if n < 1 || n > MaxNextRuns {
		return nil, invalid("limit must be between 1 and %d, got %d", MaxNextRuns, n)
	}
	p, err := compile(&workflow.Schedule{CronExpression: expr, ZoneID: zone, ScheduleStartTime: start, ScheduleEndTime: end})
	if err != nil {
		return nil, invalid("%v", err)
	}
	out := []int64{}
	for t := p.next(s.cfg.Clock()); !t.IsZero() && len(out) < n; t = p.next(t) {
		out = append(out, t.UnixMilli())
	}
	return out, nil
}
