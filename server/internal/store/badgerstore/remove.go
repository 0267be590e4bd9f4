package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/server/internal/store"
)

// ExecutionRemove implements store.Store. The removal goes through the
// committer, like a Commit: it deletes keys the committer writes, and the
// committer's order decides whether a concurrent Commit of the execution
// comes before it (and is removed with it) or after it (and fails with
// ErrNotFound, as for any execution that is not stored).
func (s *Store) ExecutionRemove(ctx context.Context, id string) error {
	if err := checkName("workflow id", id); err != nil {
		return fmt.Errorf("remove workflow: %w", err)
	}
	c := &call{ctx: ctx, remove: id, size: 4 << 10, done: make(chan error, 1)}
	return s.send(ctx, c)
}

// removeExecution plans the deletion of every key of an execution: head,
// record, snapshot, input, wake-up entry, history, tasks with their index
// entries and logs, and its search index entries. It fails with
// ErrNotFound when there is no such execution.
func (p *planner) removeExecution(wfID string) error {
	h, err := p.head(wfID)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("remove workflow %s: %w", wfID, store.ErrNotFound)
	}
	if err := p.unindex(wfID, h.Index); err != nil {
		return err
	}
	if h.WakeAt != 0 {
		p.ops = append(p.ops, del(wakeKey(h.WakeAt, wfID)))
	}
	for i := range h.History {
		p.ops = append(p.ops, del(historyKey(wfID, i)))
	}
	p.ops = append(p.ops,
		del(headKey(wfID)), del(workflowKey(wfID)), del(snapshotKey(wfID)), del(inputKey(wfID)))

	// The tasks: their keys say where their index entries are.
	var tasks []string
	err = p.keys(scope(prefixTask, wfID), func(k []byte) error {
		suffix := k[len(prefixTask):]
		rest := suffix[len(wfID)+1:]
		if len(rest) < 8 {
			return fmt.Errorf("bad task key %q", k)
		}
		taskID := string(rest[8:])
		ref, err := p.ref(taskID)
		if err != nil {
			return err
		}
		if ref != nil {
			p.indexTask(taskID, ref.Index, nil)
		}
		p.ops = append(p.ops, del(k), del(append([]byte(prefixActive), suffix...)), del(taskIndexKey(taskID)))
		tasks = append(tasks, taskID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove workflow %s: %w", wfID, err)
	}
	for _, taskID := range tasks {
		if err := p.forgetTask(taskID); err != nil {
			return err
		}
	}
	p.heads[wfID] = nil
	return nil
}

// keys calls fn with every key under prefix, in order, as the transaction
// sees them. The key is a copy fn may keep.
func (p *planner) keys(prefix []byte, fn func(k []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.PrefetchValues = prefix, false
	it := p.txn.NewIterator(opts)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if err := fn(it.Item().KeyCopy(nil)); err != nil {
			return err
		}
	}
	return nil
}
