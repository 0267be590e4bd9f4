package badgerstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// Definitions are written in their own Badger transactions, not through the
// committer: they are rare, touch no key the committer reads, and Badger's
// conflict detection guards their read-then-write.

// TaskDefPut implements store.Store.
func (s *Store) TaskDefPut(ctx context.Context, defs []*workflow.TaskDef) error {
	type entry struct{ key, value []byte }
	entries := make([]entry, 0, len(defs))
	for _, d := range defs {
		if d == nil {
			return errors.New("put task definitions: nil definition")
		}
		if err := checkName("task definition name", d.Name); err != nil {
			return fmt.Errorf("put task definitions: %w", err)
		}
		data, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("put task definition %s: %w", d.Name, err)
		}
		entries = append(entries, entry{taskDefKey(d.Name), data})
	}
	err := s.update(ctx, func(txn *badger.Txn) error {
		for _, e := range entries {
			if err := txn.Set(e.key, e.value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put task definitions: %w", err)
	}
	return nil
}

// TaskDefGet implements store.Store.
func (s *Store) TaskDefGet(ctx context.Context, name string) (*workflow.TaskDef, error) {
	d, err := getNamed[workflow.TaskDef](ctx, s, taskDefKey(name))
	if err != nil {
		return nil, fmt.Errorf("get task definition %s: %w", name, err)
	}
	return d, nil
}

// TaskDefList implements store.Store.
func (s *Store) TaskDefList(ctx context.Context) ([]*workflow.TaskDef, error) {
	defs, err := listRecords[workflow.TaskDef](ctx, s, prefixTaskDef)
	if err != nil {
		return nil, fmt.Errorf("list task definitions: %w", err)
	}
	return defs, nil
}

// TaskDefDelete implements store.Store.
func (s *Store) TaskDefDelete(ctx context.Context, name string) error {
	err := s.update(ctx, func(txn *badger.Txn) error {
		return deleteExisting(txn, taskDefKey(name))
	})
	if err != nil {
		return fmt.Errorf("delete task definition %s: %w", name, err)
	}
	return nil
}

// WorkflowDefPut implements store.Store.
func (s *Store) WorkflowDefPut(ctx context.Context, p *store.WorkflowDefPutParams) error {
	if p == nil || p.Def == nil {
		return errors.New("put workflow definition: no definition")
	}
	d := p.Def
	if err := checkName("workflow definition name", d.Name); err != nil {
		return fmt.Errorf("put workflow definition: %w", err)
	}
	if d.Version < 1 {
		return fmt.Errorf("put workflow definition %s: version is %d, must be at least 1", d.Name, d.Version)
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("put workflow definition %s version %d: %w", d.Name, d.Version, err)
	}
	k := workflowDefKey(d.Name, d.Version)
	err = s.update(ctx, func(txn *badger.Txn) error {
		if !p.Overwrite {
			_, err := txn.Get(k)
			if err == nil {
				return store.ErrExists
			}
			if !errors.Is(err, badger.ErrKeyNotFound) {
				return err
			}
		}
		return txn.Set(k, data)
	})
	if err != nil {
		return fmt.Errorf("put workflow definition %s version %d: %w", d.Name, d.Version, err)
	}
	return nil
}

// WorkflowDefGet implements store.Store.
func (s *Store) WorkflowDefGet(ctx context.Context, name string, version int) (*workflow.WorkflowDef, error) {
	var d workflow.WorkflowDef
	err := s.view(ctx, func(txn *badger.Txn) error {
		if version != 0 {
			ok, err := getJSON(txn, workflowDefKey(name, version), &d)
			if err == nil && !ok {
				err = store.ErrNotFound
			}
			return err
		}
		// The latest version is the last key under the name.
		prefix := scope(prefixWorkflowDef, name)
		opts := badger.DefaultIteratorOptions
		opts.Reverse, opts.Prefix, opts.PrefetchValues = true, prefix, false
		it := txn.NewIterator(opts)
		defer it.Close()
		it.Seek(append(prefix, 0xff))
		if !it.ValidForPrefix(prefix) {
			return store.ErrNotFound
		}
		return it.Item().Value(func(v []byte) error { return workflow.Decode(v, &d) })
	})
	if err != nil {
		return nil, fmt.Errorf("get workflow definition %s version %d: %w", name, version, err)
	}
	return &d, nil
}

// WorkflowDefList implements store.Store. Keys sort by name, then by
// big-endian version, which is the order asked for.
func (s *Store) WorkflowDefList(ctx context.Context) ([]*workflow.WorkflowDef, error) {
	defs, err := listRecords[workflow.WorkflowDef](ctx, s, prefixWorkflowDef)
	if err != nil {
		return nil, fmt.Errorf("list workflow definitions: %w", err)
	}
	return defs, nil
}

// WorkflowDefDelete implements store.Store.
func (s *Store) WorkflowDefDelete(ctx context.Context, name string, version int) error {
	err := s.update(ctx, func(txn *badger.Txn) error {
		if version < 1 {
			return store.ErrNotFound
		}
		return deleteExisting(txn, workflowDefKey(name, version))
	})
	if err != nil {
		return fmt.Errorf("delete workflow definition %s version %d: %w", name, version, err)
	}
	return nil
}

// deleteExisting deletes key, or returns store.ErrNotFound.
func deleteExisting(txn *badger.Txn, key []byte) error {
	if _, err := txn.Get(key); errors.Is(err, badger.ErrKeyNotFound) {
		return store.ErrNotFound
	} else if err != nil {
		return err
	}
	return txn.Delete(key)
}

// update runs fn in a read-write transaction, again when Badger reports a
// conflict with a concurrent one.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	const attempts = 10
	for i := 0; ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.db.Update(fn)
		if !errors.Is(err, badger.ErrConflict) || i == attempts-1 {
			return err
		}
	}
}

// view runs fn in a read-only transaction.
func (s *Store) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// scan calls fn with the key and value of every key under prefix, in order.
// Both are valid only during the call.
// getNamed reads one JSON record, or store.ErrNotFound.
func getNamed[T any](ctx context.Context, s *Store, key []byte) (*T, error) {
	var v T
	err := s.view(ctx, func(txn *badger.Txn) error {
		ok, err := getJSON(txn, key, &v)
		if err == nil && !ok {
			err = store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// listRecords reads every JSON record under a prefix, in key order.
func listRecords[T any](ctx context.Context, s *Store, prefix string) ([]*T, error) {
	out := []*T{}
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(ctx, txn, []byte(prefix), func(_ []byte, value []byte) error {
			var v T
			if err := workflow.Decode(value, &v); err != nil {
				return err
			}
			out = append(out, &v)
			return nil
		})
	})
	return out, err
}

func scan(ctx context.Context, txn *badger.Txn, prefix []byte, fn func(key, value []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		item := it.Item()
		if err := item.Value(func(v []byte) error { return fn(item.Key(), v) }); err != nil {
			return err
		}
	}
	return nil
}
