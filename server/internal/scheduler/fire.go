package scheduler

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// slotSpace is the namespace of SlotID's name-based UUIDs.
var slotSpace = uuid.MustParse("6f0d3c1e-3b7a-4d35-9a57-0b1f9d6a2c41")

// SlotID is the id of the execution that the slot at of the named schedule
// starts: the same for the same schedule name and instant, whenever and
// however often it is computed.
func SlotID(schedule string, at time.Time) string {
	return uuid.NewSHA1(slotSpace, []byte(schedule+"\x00"+strconv.FormatInt(at.UnixMilli(), 10))).String()
}

// fireDue fires the due slots of one schedule and returns when the
// schedule next needs looking at; zero for never.
func (s *Scheduler) fireDue(ctx context.Context, name string, now time.Time) time.Time {
	r, err := s.store.ScheduleGet(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return time.Time{}
	}
	if err != nil {
		s.log.Error("scheduler: read schedule", "schedule", name, "err", err)
		return now.Add(s.cfg.RetryDelay)
	}
	sc := r.Schedule
	if sc.Paused {
		return time.Time{}
	}
	p, err := compile(sc)
	if err != nil {
		s.log.Error("scheduler: schedule cannot run", "schedule", name, "err", err)
		return time.Time{}
	}
	slots, upTo := p.due(time.UnixMilli(r.Done), now, s.cfg.CatchUpBatch)
	if len(slots) == 0 {
		return p.next(time.UnixMilli(r.Done))
	}
	retry := false
	for _, slot := range slots {
		id, err := s.fire(ctx, sc, p, slot)
		switch code := engine.CodeOf(err); {
		case err == nil || code == engine.AlreadyExists:
			// Started now, or before a crash that came before the record
			// below was written.
			sc.LastScheduledTime, sc.LastWorkflowID, sc.LastError, sc.LastErrorTime = slot.UnixMilli(), id, "", 0
		case code == engine.Internal || code == engine.Unavailable || ctx.Err() != nil:
			s.log.Warn("scheduler: could not start the workflow of a slot; trying again later",
				"schedule", name, "slot", slot, "err", err)
			retry = true
		default:
			// It would fail again: the slot is dealt with, the error kept.
			s.log.Warn("scheduler: the workflow of a slot cannot start", "schedule", name, "slot", slot, "err", err)
			sc.LastError, sc.LastErrorTime = err.Error(), now.UnixMilli()
		}
		if retry {
			break
		}
		r.Done = slot.UnixMilli()
	}
	if !retry {
		r.Done = upTo.UnixMilli()
	}
	// The slots fired are recorded even when the scheduler is stopping.
	if _, err := s.store.SchedulePut(context.WithoutCancel(ctx), r); err != nil {
		switch {
		case errors.Is(err, store.ErrNotFound):
			return time.Time{}
		case errors.Is(err, store.ErrConflict):
			// Changed meanwhile: look again at once. The slots fired will
			// not fire again (their ids are taken).
			return now
		}
		s.log.Error("scheduler: record the slots fired", "schedule", name, "err", err)
		return now.Add(s.cfg.RetryDelay)
	}
	if retry {
		return now.Add(s.cfg.RetryDelay)
	}
	next := p.next(upTo)
	if !next.IsZero() && next.Before(now) {
		// More to catch up: behind the schedules already due, so that one
		// long backlog does not hold the others up.
		next = now
	}
	return next
}

// fire starts the workflow of one slot and returns the execution's id,
// also when the start failed.
func (s *Scheduler) fire(ctx context.Context, sc *workflow.Schedule, p *plan, slot time.Time) (string, error) {
	if sc.StartWorkflowRequest == nil {
		return "", &engine.Error{Code: engine.InvalidArgument, Msg: "the schedule has no startWorkflowRequest"}
	}
	id := SlotID(sc.Name, slot)
	req := *sc.StartWorkflowRequest
	req.Input = make(map[string]any, len(sc.StartWorkflowRequest.Input)+5)
	maps.Copy(req.Input, sc.StartWorkflowRequest.Input)
	req.Input["_startedByScheduler"] = sc.Name
	req.Input["_scheduledTime"] = slot.UnixMilli()
	req.Input["_executedTime"] = s.cfg.Clock().UnixMilli()
	req.Input["_executionId"] = id
	req.Input["_schedulerCron"] = p.cron()
	if req.CreatedBy == "" {
		req.CreatedBy = sc.CreatedBy
	}
	_, err := s.cfg.Engine.StartWorkflowWithID(ctx, &req, id)
	return id, err
}
