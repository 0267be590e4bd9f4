package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
)

// ExecutionCounts implements store.Store. It counts the keys of the
// create-time index, without reading their values: every execution has one
// entry in the whole index and, unless COMPLETED (which has no partition),
// one in its status's; COMPLETED is what the whole index has beyond the
// other statuses. Counters kept by the committer would make the count
// O(statuses), but every batch would rewrite them, and a removal split over
// several transactions would have to say when it counts as gone; the
// engine counts once at start-up, so a key-only scan is the cheaper trade.
func (s *Store) ExecutionCounts(ctx context.Context) (map[workflow.Status]int64, error) {
	out := map[workflow.Status]int64{}
	err := s.view(ctx, func(txn *badger.Txn) error {
		count := func(prefix []byte) (int64, error) {
			opts := badger.DefaultIteratorOptions
			opts.Prefix, opts.PrefetchValues = prefix, false
			it := txn.NewIterator(opts)
			defer it.Close()
			var n int64
			for it.Rewind(); it.Valid(); it.Next() {
				if n%4096 == 0 {
					if err := ctx.Err(); err != nil {
						return 0, err
					}
				}
				n++
			}
			return n, nil
		}
		all, err := count(partitionPrefix(partAll, "", "", fieldCreate))
		if err != nil {
			return err
		}
		rest := all
		for _, st := range []workflow.Status{workflow.StatusRunning, workflow.StatusPaused, workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusTerminated} {
			n, err := count(partitionPrefix(partStatus, "", string(st), fieldCreate))
			if err != nil {
				return err
			}
			if n > 0 {
				out[st] = n
			}
			rest -= n
		}
		if rest > 0 {
			out[workflow.StatusCompleted] = rest
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count executions: %w", err)
	}
	return out, nil
}
