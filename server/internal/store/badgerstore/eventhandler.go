package badgerstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
)

// Event handlers are definitions: like task definitions (defs.go), each is
// written in its own Badger transaction, not through the committer.

// EventHandlerPut implements store.Store.
func (s *Store) EventHandlerPut(ctx context.Context, h *workflow.EventHandler) error {
	if h == nil {
		return errors.New("put event handler: no handler")
	}
	if err := checkName("event handler name", h.Name); err != nil {
		return fmt.Errorf("put event handler: %w", err)
	}
	data, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("put event handler %s: %w", h.Name, err)
	}
	err = s.update(ctx, func(txn *badger.Txn) error {
		return txn.Set(handlerKey(h.Name), data)
	})
	if err != nil {
		return fmt.Errorf("put event handler %s: %w", h.Name, err)
	}
	return nil
}

// EventHandlerGet implements store.Store.
func (s *Store) EventHandlerGet(ctx context.Context, name string) (*workflow.EventHandler, error) {
	h, err := getNamed[workflow.EventHandler](ctx, s, handlerKey(name))
	if err != nil {
		return nil, fmt.Errorf("get event handler %s: %w", name, err)
	}
	return h, nil
}

// EventHandlerList implements store.Store. Keys sort by name.
func (s *Store) EventHandlerList(ctx context.Context) ([]*workflow.EventHandler, error) {
	handlers, err := listRecords[workflow.EventHandler](ctx, s, prefixHandler)
	if err != nil {
		return nil, fmt.Errorf("list event handlers: %w", err)
	}
	return handlers, nil
}

// EventHandlerDelete implements store.Store.
func (s *Store) EventHandlerDelete(ctx context.Context, name string) error {
	err := s.update(ctx, func(txn *badger.Txn) error {
		return deleteExisting(txn, handlerKey(name))
	})
	if err != nil {
		return fmt.Errorf("delete event handler %s: %w", name, err)
	}
	return nil
}
