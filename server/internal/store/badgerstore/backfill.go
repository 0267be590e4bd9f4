package badgerstore

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
)

// indexedKey marks a data directory whose executions are all in the search
// indexes. Its value is the index format.
var indexedKey = []byte("xv/")

// backfillBatch is how many executions one backfill transaction indexes.
const backfillBatch = 200

// backfillIndexes indexes, once, the executions committed before the store
// kept search indexes (their heads have no index fields), so that a search
// finds them too. It runs in Open, before the committer starts, and marks
// the directory when done; an interrupted run is taken up again at the
// next Open.
func (s *Store) backfillIndexes() error {
	done := false
	var ids []string
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := txn.Get(indexedKey); err == nil {
			done = true
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		opts := badger.DefaultIteratorOptions
		opts.Prefix = []byte(prefixHead)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if it.Item().ValueSize() == 24 {
				ids = append(ids, string(it.Item().Key()[len(prefixHead):]))
			}
		}
		return nil
	})
	if err != nil || done {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), backfillBatch)
		if err := s.db.Update(func(txn *badger.Txn) error { return indexExecutions(txn, ids[:n]) }); err != nil {
			return fmt.Errorf("index executions committed before search indexes: %w", err)
		}
		s.logger.Info("indexed executions committed before search indexes", "count", n)
		ids = ids[n:]
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(indexedKey, []byte{indexFormat}) })
}

// indexExecutions writes the index entries of executions whose heads have
// no index fields, and the fields.
func indexExecutions(txn *badger.Txn, ids []string) error {
	p := newPlanner(txn)
	for _, id := range ids {
		h, err := getHead(txn, id)
		if err != nil {
			return err
		}
		if h == nil || h.Index != nil {
			continue
		}
		var w workflow.Workflow
		if ok, err := getJSON(txn, workflowKey(id), &w); err != nil || !ok {
			return errors.Join(err, fmt.Errorf("the record of workflow %s is missing", id))
		}
		if _, err := getJSON(txn, inputKey(id), &w.Input); err != nil {
			return err
		}
		ix, err := p.index(id, h, prepareIndex(&w, true))
		if err != nil {
			return err
		}
		indexed := *h
		indexed.Index = ix
		p.ops = append(p.ops, set(headKey(id), indexed.encode()))
	}
	return apply(txn, p.ops)
}
