package badgerstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/server/internal/store"
)

// Schedules are written like definitions (defs.go), each in its own Badger
// transaction, not through the committer: the scheduler's exactly-once
// guarantee rests on the execution ids it chooses, not on these records
// (see the scheduler package).

var _ store.ScheduleStore = (*Store)(nil)

// SchedulePut implements store.ScheduleStore.
func (s *Store) SchedulePut(ctx context.Context, r *store.ScheduleRecord) (uint64, error) {
	if r == nil || r.Schedule == nil {
		return 0, errors.New("put schedule: no schedule")
	}
	name := r.Schedule.Name
	if err := checkName("schedule name", name); err != nil {
		return 0, fmt.Errorf("put schedule: %w", err)
	}
	rec := *r
	rec.Version = r.Version + 1
	data, err := json.Marshal(&rec)
	if err != nil {
		return 0, fmt.Errorf("put schedule %s: %w", name, err)
	}
	err = s.update(ctx, func(txn *badger.Txn) error {
		var old store.ScheduleRecord
		found, err := getJSON(txn, scheduleKey(name), &old)
		switch {
		case err != nil:
			return err
		case r.Version == 0 && found:
			return store.ErrExists
		case r.Version != 0 && !found:
			return store.ErrNotFound
		case r.Version != 0 && old.Version != r.Version:
			return store.ErrConflict
		}
		return txn.Set(scheduleKey(name), data)
	})
	if err != nil {
		return 0, fmt.Errorf("put schedule %s: %w", name, err)
	}
	return rec.Version, nil
}

// ScheduleGet implements store.ScheduleStore.
func (s *Store) ScheduleGet(ctx context.Context, name string) (*store.ScheduleRecord, error) {
	r, err := getNamed[store.ScheduleRecord](ctx, s, scheduleKey(name))
	if err != nil {
		return nil, fmt.Errorf("get schedule %s: %w", name, err)
	}
	return r, nil
}

// ScheduleList implements store.ScheduleStore. Keys sort by name.
func (s *Store) ScheduleList(ctx context.Context) ([]*store.ScheduleRecord, error) {
	list, err := listRecords[store.ScheduleRecord](ctx, s, prefixSchedule)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	return list, nil
}

// ScheduleDelete implements store.ScheduleStore.
func (s *Store) ScheduleDelete(ctx context.Context, name string) error {
	err := s.update(ctx, func(txn *badger.Txn) error {
		return deleteExisting(txn, scheduleKey(name))
	})
	if err != nil {
		return fmt.Errorf("delete schedule %s: %w", name, err)
	}
	return nil
}
