package badgerstore

import (
	"context"
	"encoding/binary"
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
	err := s.update(ctx, func(txn *badger.Txn) error {
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
		rec.Version = r.Version + 1
		if r.Version == 0 {
			// Count on from a deleted schedule of the name, so that a
			// write computed from it cannot pass for one of this.
			ended, err := txn.Get(scheduleEndKey(name))
			switch {
			case err == nil:
				if err := ended.Value(func(v []byte) error {
					if len(v) != 8 {
						return fmt.Errorf("bad end version of schedule %s", name)
					}
					rec.Version = binary.BigEndian.Uint64(v) + 1
					return nil
				}); err != nil {
					return err
				}
				if err := txn.Delete(scheduleEndKey(name)); err != nil {
					return err
				}
			case !errors.Is(err, badger.ErrKeyNotFound):
				return err
			}
		}
		data, err := json.Marshal(&rec)
		if err != nil {
			return err
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
		var old store.ScheduleRecord
		found, err := getJSON(txn, scheduleKey(name), &old)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		if err := txn.Set(scheduleEndKey(name), binary.BigEndian.AppendUint64(nil, old.Version)); err != nil {
			return err
		}
		return txn.Delete(scheduleKey(name))
	})
	if err != nil {
		return fmt.Errorf("delete schedule %s: %w", name, err)
	}
	return nil
}
