package store

import (
	"context"

	"github.com/batonhq/baton/sdk/workflow"
)

// ScheduleStore keeps workflow schedules with the scheduler's progress
// through each. Records are written one at a time, guarded by version, so
// that the scheduler and API calls never overwrite each other's change
// unseen.
type ScheduleStore interface {
	// SchedulePut writes a schedule record guarded by r.Version: 0 creates
	// it (ErrExists if the name is taken), any other value must be the
	// stored version (ErrConflict otherwise, ErrNotFound if it is gone). It
	// returns the new version. The versions of a name never repeat, even
	// when it is deleted and created again, so that a write computed from
	// a deleted record cannot overwrite the new one.
	SchedulePut(ctx context.Context, r *ScheduleRecord) (uint64, error)
	// ScheduleGet returns a schedule record or ErrNotFound.
	ScheduleGet(ctx context.Context, name string) (*ScheduleRecord, error)
	// ScheduleList returns every schedule record sorted by name.
	ScheduleList(ctx context.Context) ([]*ScheduleRecord, error)
	// ScheduleDelete removes a schedule record or returns ErrNotFound.
	ScheduleDelete(ctx context.Context, name string) error
}

// ScheduleRecord is a stored schedule.
type ScheduleRecord struct {
	// Schedule is the schedule; Schedule.Name is the record's name.
	Schedule *workflow.Schedule `json:"schedule"`
	// Done is the instant, Unix milliseconds, up to which (inclusive) every
	// slot of the schedule has been dealt with: fired, or skipped because
	// the schedule was paused, saved or had catch-up off.
	Done int64 `json:"done"`
	// Version counts the writes of the record; pass it back to SchedulePut.
	Version uint64 `json:"version"`
}
