package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// ExecutionGet implements store.Store.
func (s *Store) ExecutionGet(ctx context.Context, id string) (*store.Execution, error) {
	var exec *store.Execution
	err := s.view(ctx, func(txn *badger.Txn) error {
		h, err := getHead(txn, id)
		if err != nil {
			return err
		}
		if h == nil {
			return store.ErrNotFound
		}
		var w workflow.Workflow
		if ok, err := getJSON(txn, workflowKey(id), &w); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("the record of workflow %s is missing", id))
		}
		if _, err := getJSON(txn, inputKey(id), &w.Input); err != nil {
			return err
		}
		def, err := getSnapshot(txn, id)
		if err != nil {
			return err
		}
		w.WorkflowDefinition = def
		defTasks := definitionTasks(def)
		w.Tasks = []*workflow.Task{}
		err = scan(ctx, txn, scope(prefixTask, id), func(_ []byte, v []byte) error {
			var t workflow.Task
			if err := workflow.Decode(v, &t); err != nil {
				return err
			}
			attachWorkflowTask(&t, defTasks)
			w.Tasks = append(w.Tasks, &t)
			return nil
		})
		if err != nil {
			return err
		}
		exec = &store.Execution{Workflow: &w, Version: h.Version, WakeAt: fromNanos(h.WakeAt)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get workflow %s: %w", id, err)
	}
	return exec, nil
}

// TaskGet implements store.Store.
func (s *Store) TaskGet(ctx context.Context, taskID string) (*workflow.Task, error) {
	var t workflow.Task
	err := s.view(ctx, func(txn *badger.Txn) error {
		ref, err := getRef(txn, taskID)
		if err != nil {
			return err
		}
		if ref == nil {
			return store.ErrNotFound
		}
		if removing, err := isRemoving(txn, ref.WorkflowID); err != nil || removing {
			return errors.Join(err, store.ErrNotFound)
		}
		if ok, err := getJSON(txn, taskKey(ref.WorkflowID, ref.Seq, taskID), &t); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("the record of task %s is missing", taskID))
		}
		if t.WorkflowTask == nil {
			def, err := getSnapshot(txn, ref.WorkflowID)
			if err != nil {
				return err
			}
			attachWorkflowTask(&t, definitionTasks(def))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", taskID, err)
	}
	return &t, nil
}

// HistoryList implements store.Store.
func (s *Store) HistoryList(ctx context.Context, workflowID string) ([]store.Event, error) {
	events := []store.Event{}
	err := s.view(ctx, func(txn *badger.Txn) error {
		if removing, err := isRemoving(txn, workflowID); err != nil || removing {
			return err
		}
		return scan(ctx, txn, scope(prefixHistory, workflowID), func(_ []byte, v []byte) error {
			var es []store.Event
			if err := workflow.Decode(v, &es); err != nil {
				return err
			}
			events = append(events, es...)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list history of workflow %s: %w", workflowID, err)
	}
	return events, nil
}

// TaskLogList implements store.Store.
func (s *Store) TaskLogList(ctx context.Context, taskID string) ([]workflow.TaskExecLog, error) {
	logs := []workflow.TaskExecLog{}
	err := s.view(ctx, func(txn *badger.Txn) error {
		if removed, err := taskRemoving(txn, taskID); err != nil || removed {
			return err
		}
		return scan(ctx, txn, scope(prefixLog, taskID), func(_ []byte, v []byte) error {
			var l workflow.TaskExecLog
			if err := workflow.Decode(v, &l); err != nil {
				return err
			}
			logs = append(logs, l)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list logs of task %s: %w", taskID, err)
	}
	return logs, nil
}

// ActiveTasks implements store.Store. It reads one snapshot; fn's error is
// returned as it is.
func (s *Store) ActiveTasks(ctx context.Context, fn func(*workflow.Task) error) error {
	var (
		fnErr error
		// The index is ordered by workflow: the snapshot and the removal
		// mark of the last one serve its next tasks.
		snapshotOf string
		defTasks   map[string]*workflow.WorkflowTask
		checkedOf  string
		removing   bool
	)
	err := s.view(ctx, func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues = []byte(prefixActive), false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			// The task key is the index key under the task prefix.
			k := it.Item().Key()
			tk := append([]byte(prefixTask), k[len(prefixActive):]...)
			var t workflow.Task
			ok, err := getJSON(txn, tk, &t)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("active task index entry %q has no task record", k)
			}
			if t.WorkflowInstanceID != checkedOf {
				if removing, err = isRemoving(txn, t.WorkflowInstanceID); err != nil {
					return err
				}
				checkedOf = t.WorkflowInstanceID
			}
			if removing {
				continue
			}
			if t.WorkflowTask == nil {
				if t.WorkflowInstanceID != snapshotOf {
					def, err := getSnapshot(txn, t.WorkflowInstanceID)
					if err != nil {
						return err
					}
					snapshotOf, defTasks = t.WorkflowInstanceID, definitionTasks(def)
				}
				attachWorkflowTask(&t, defTasks)
			}
			if err := fn(&t); err != nil {
				fnErr = err
				return err
			}
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("list active tasks: %w", err)
	}
	return nil
}

// DueWorkflows implements store.Store. A limit below 1 returns nothing.
func (s *Store) DueWorkflows(ctx context.Context, now time.Time, limit int) ([]store.Wake, error) {
	wakes := []store.Wake{}
	if limit <= 0 {
		return wakes, nil
	}
	end := now.UnixNano()
	err := s.view(ctx, func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues = []byte(prefixWake), false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid() && len(wakes) < limit; it.Next() {
			at, id, ok := parseWakeKey(it.Item().Key())
			if !ok {
				return fmt.Errorf("bad wake index key %q", it.Item().Key())
			}
			if at.UnixNano() > end {
				break
			}
			wakes = append(wakes, store.Wake{WorkflowID: id, At: at})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list due workflows: %w", err)
	}
	return wakes, nil
}

// NextWake implements store.Store.
func (s *Store) NextWake(ctx context.Context) (at time.Time, ok bool, err error) {
	err = s.view(ctx, func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues = []byte(prefixWake), false
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Rewind()
		if !it.Valid() {
			return nil
		}
		if at, _, ok = parseWakeKey(it.Item().Key()); !ok {
			return fmt.Errorf("bad wake index key %q", it.Item().Key())
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("find next wake-up: %w", err)
	}
	return at, ok, nil
}

// taskRemoving reports whether the task is of an execution being removed
// (see remove.go).
func taskRemoving(txn *badger.Txn, taskID string) (bool, error) {
	ref, err := getRef(txn, taskID)
	if err != nil || ref == nil {
		return false, err
	}
	return isRemoving(txn, ref.WorkflowID)
}
