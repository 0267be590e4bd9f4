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

// backfillOps bounds the writes of one backfill transaction, far below
// what a Badger transaction holds: an execution or a task may write
// hundreds of index entries (one per word), so the bound is on writes, not
// on items.
const backfillOps = 20000

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
		var n int
		err := s.db.Update(func(txn *badger.Txn) (err error) {
			n, err = indexExecutions(txn, ids)
			return err
		})
		if err != nil {
			return fmt.Errorf("index executions committed before search indexes: %w", err)
		}
		s.logger.Info("indexed executions committed before search indexes", "count", n)
		ids = ids[n:]
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(indexedKey, []byte{indexFormat}) })
}

// indexExecutions writes the index entries of executions whose heads have
// no index fields, and the fields, from the first of ids until about
// backfillOps writes; it returns how many of ids it dealt with.
func indexExecutions(txn *badger.Txn, ids []string) (int, error) {
	p := newPlanner(txn)
	n := 0
	for ; n < len(ids) && len(p.ops) < backfillOps; n++ {
		id := ids[n]
		h, err := getHead(txn, id)
		if err != nil {
			return 0, err
		}
		if h == nil || h.Index != nil {
			continue
		}
		var w workflow.Workflow
		if ok, err := getJSON(txn, workflowKey(id), &w); err != nil || !ok {
			return 0, errors.Join(err, fmt.Errorf("the record of workflow %s is missing", id))
		}
		if _, err := getJSON(txn, inputKey(id), &w.Input); err != nil {
			return 0, err
		}
		ix, err := p.index(id, h, prepareIndex(&w, true))
		if err != nil {
			return 0, err
		}
		indexed := *h
		indexed.Index = ix
		p.ops = append(p.ops, set(headKey(id), indexed.encode()))
	}
	return n, apply(txn, p.ops)
}
