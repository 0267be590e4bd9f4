package badgerstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/server/internal/store"
)

// removeChunkKeys bounds the keys one removal call deletes. An execution
// with more (a fork of thousands of branches, a task with many log lines)
// is removed in several calls, so that no call outgrows a Badger
// transaction (ErrTxnTooBig) or holds the committer, and every commit
// waiting behind it, for long.
const removeChunkKeys = 2048

// ExecutionRemove implements store.Store. The removal goes through the
// committer, like a Commit: it deletes keys the committer writes, and the
// committer's order decides whether a concurrent Commit of the execution
// comes before it (and is removed with it) or after it (and fails with
// ErrNotFound, as for any execution that is not stored).
//
// The first call deletes the head, the record and the index entries, so
// that the execution is gone for every reader at once. When the execution
// has more keys than removeChunkKeys, that call also writes a tombstone
// (rm/), the rest is deleted in further calls of at most removeChunkKeys
// keys, and the last one deletes the tombstone. Readers that reach a
// leftover key through a task id or a workflow id (TaskGet, TaskLogList,
// HistoryList, ActiveTasks) treat the keys of a tombstoned execution as
// absent, and a crash between two calls is finished by Open.
func (s *Store) ExecutionRemove(ctx context.Context, id string) error {
	if err := checkName("workflow id", id); err != nil {
		return fmt.Errorf("remove workflow: %w", err)
	}
	c := &call{ctx: ctx, remove: id, size: removeChunkKeys * 64, done: make(chan error, 1)}
	if err := s.send(ctx, c); err != nil {
		return err
	}
	if c.more {
		// The execution is removed for every reader: what is left is
		// garbage, collected whatever the caller's context says. Should it
		// fail, the tombstone stays and Open finishes the work.
		if err := s.finishRemoval(context.WithoutCancel(ctx), id); err != nil {
			s.logger.Warn("finish removing a workflow; the next start finishes it", "workflow", id, "err", err)
		}
	}
	return nil
}

// finishRemoval deletes what the first call of a removal left, one chunk
// per committer call, until the tombstone is gone.
func (s *Store) finishRemoval(ctx context.Context, id string) error {
	for {
		c := &call{ctx: ctx, finish: id, size: removeChunkKeys * 64, done: make(chan error, 1)}
		if err := s.send(ctx, c); err != nil {
			return fmt.Errorf("remove workflow %s: %w", id, err)
		}
		if !c.more {
			return nil
		}
	}
}

// finishRemovals finishes the removals a crash interrupted (their
// tombstones are left). Open calls it once the committer runs.
func (s *Store) finishRemovals(ctx context.Context) error {
	var ids []string
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(ctx, txn, []byte(prefixRemoving), func(k, _ []byte) error {
			ids = append(ids, string(k[len(prefixRemoving):]))
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("find interrupted removals: %w", err)
	}
	for _, id := range ids {
		if err := s.finishRemoval(ctx, id); err != nil {
			return err
		}
		s.logger.Info("finished removing a workflow whose removal was interrupted", "workflow", id)
	}
	return nil
}

// removeExecution plans the first call of a removal: the head, record,
// snapshot, input, wake-up entry and search index entries, then as much of
// the rest (removeRest) as fits in removeChunkKeys, and a tombstone if
// anything is left, in which case it reports more. It fails with
// ErrNotFound when there is no such execution.
func (p *planner) removeExecution(wfID string) (more bool, err error) {
	h, err := p.head(wfID)
	if err != nil {
		return false, err
	}
	if h == nil {
		return false, fmt.Errorf("remove workflow %s: %w", wfID, store.ErrNotFound)
	}
	if err := p.unindex(wfID, h.Index); err != nil {
		return false, err
	}
	if h.WakeAt != 0 {
		p.ops = append(p.ops, del(wakeKey(h.WakeAt, wfID)))
	}
	p.ops = append(p.ops,
		del(headKey(wfID)), del(workflowKey(wfID)), del(snapshotKey(wfID)), del(inputKey(wfID)))
	p.heads[wfID] = nil
	if more, err = p.removeRest(wfID, removeChunkKeys, int(h.History)); err != nil {
		return false, err
	}
	if more {
		p.ops = append(p.ops, set(removingKey(wfID), []byte{}))
	}
	return more, nil
}

// finishRemoval plans one more chunk of a removal that left a tombstone,
// deleting the tombstone with the last chunk. A removal that is finished
// already plans nothing.
func (p *planner) finishRemoval(wfID string) (more bool, err error) {
	removing, err := p.removing(wfID)
	if err != nil || !removing {
		return false, err
	}
	if more, err = p.removeRest(wfID, removeChunkKeys, -1); err != nil {
		return false, err
	}
	if !more {
		p.ops = append(p.ops, del(removingKey(wfID)))
	}
	return more, nil
}

// removeRest plans the deletion of an execution's tasks (with their index
// entries and log lines) and history until the call holds about limit
// operations, and reports whether anything is left. A task's record goes
// in the same chunk as its last log lines, so that a task whose log lines
// took several chunks is still found by the next one. history is the
// number of history records when the head says it (the first call), -1
// when they must be found by a scan.
//
// Keys whose number is known (a task's log lines from its count, the
// history from the head) are deleted without a scan when they fit: a
// Badger iterator costs far more than a read, and most executions have a
// few tasks with few log lines.
func (p *planner) removeRest(wfID string, limit, history int) (more bool, err error) {
	tasks, more, err := p.firstKeys(scope(prefixTask, wfID), max(limit-len(p.ops), 0)/3+1)
	if err != nil {
		return false, err
	}
	for i, k := range tasks {
		suffix := k[len(prefixTask):]
		rest := suffix[len(wfID)+1:]
		if len(rest) < 8 {
			return false, fmt.Errorf("remove workflow %s: bad task key %q", wfID, k)
		}
		taskID := string(rest[8:])
		room := limit - len(p.ops) - 4
		if room <= 0 {
			return true, nil
		}
		n, err := p.logCount(taskID)
		if err != nil {
			return false, err
		}
		switch {
		case n == 0:
		case n <= uint64(room):
			// Lines deleted by an earlier chunk are deleted again, which
			// does no harm.
			for j := range n {
				p.ops = append(p.ops, del(logKey(taskID, j)))
			}
			p.ops = append(p.ops, del(logCountKey(taskID)))
		default:
			lines, linesLeft, err := p.firstKeys(scope(prefixLog, taskID), room)
			if err != nil {
				return false, err
			}
			for _, l := range lines {
				p.ops = append(p.ops, del(l))
			}
			if linesLeft {
				return true, nil
			}
			p.ops = append(p.ops, del(logCountKey(taskID)))
		}
		ref, err := p.ref(taskID)
		if err != nil {
			return false, err
		}
		if ref != nil {
			p.indexTask(taskID, ref.Index, nil)
		}
		p.ops = append(p.ops, del(k), del(append([]byte(prefixActive), suffix...)), del(taskIndexKey(taskID)))
		p.refs[taskID] = nil
		p.logCounts[taskID] = 0
		if len(p.ops) >= limit && (i < len(tasks)-1 || more) {
			return true, nil
		}
	}
	if more {
		return true, nil
	}
	if history >= 0 && history <= max(limit-len(p.ops), 1) {
		for j := range history {
			p.ops = append(p.ops, del(historyKey(wfID, uint64(j))))
		}
		return false, nil
	}
	keys, more, err := p.firstKeys(scope(prefixHistory, wfID), max(limit-len(p.ops), 1))
	if err != nil {
		return false, err
	}
	for _, k := range keys {
		p.ops = append(p.ops, del(k))
	}
	return more, nil
}

// firstKeys returns up to n keys under prefix, in order, as the
// transaction sees them, and whether there are more. The keys are copies.
func (p *planner) firstKeys(prefix []byte, n int) (keys [][]byte, more bool, err error) {
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.PrefetchValues = prefix, false
	it := p.txn.NewIterator(opts)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if len(keys) == n {
			return keys, true, nil
		}
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys, false, nil
}

// removing reports whether a removal of the execution left its tombstone,
// as this call sees it.
func (p *planner) removing(wfID string) (bool, error) {
	return isRemoving(p.txn, wfID)
}

// isRemoving reports whether the execution wfID is being removed: its head
// is gone, and whatever is left of it is garbage no reader may return.
func isRemoving(txn *badger.Txn, wfID string) (bool, error) {
	_, err := txn.Get(removingKey(wfID))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("read the removal mark of workflow %s: %w", wfID, err)
	}
}
