package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// Messages are written and deleted by the committer, in the transitions
// that send and acknowledge them (planner.passMessages in commit.go).

// Messages implements store.Store. Keys sort by id, which is the order asked
// for. It reads one snapshot; fn's error is returned as it is.
func (s *Store) Messages(ctx context.Context, fn func(*store.Message) error) error {
	var fnErr error
	err := s.view(ctx, func(txn *badger.Txn) error {
		return scan(ctx, txn, []byte(prefixMessage), func(_ []byte, v []byte) error {
			var m store.Message
			if err := workflow.Decode(v, &m); err != nil {
				return err
			}
			if err := fn(&m); err != nil {
				fnErr = err
				return err
			}
			return nil
		})
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("list messages: %w", err)
	}
	return nil
}
