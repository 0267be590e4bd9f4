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

// Dead letters move to and from the messages (ms/) through the committer,
// like the Commit that acknowledges a message: the committer is the only
// writer of ms/ keys, so a move and an acknowledgement of the same message
// are ordered, and exactly one of them finds it.

func deadLetterKey(id string) []byte { return key(prefixDeadLetter, id) }

// DeadLetterPut implements store.Store.
func (s *Store) DeadLetterPut(ctx context.Context, d *store.DeadLetter) error {
	if d == nil || d.Message == nil {
		return errors.New("put dead letter: no message")
	}
	id := d.Message.ID
	if err := checkName("dead letter id", id); err != nil {
		return fmt.Errorf("put dead letter: %w", err)
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode dead letter %s: %w", id, err)
	}
	if err := checkSize("dead letter "+id, data, s.maxValueSize); err != nil {
		return err
	}
	return s.deadLetterCall(ctx, len(data), func(p *planner) error {
		ok, err := p.message(id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("move message %s to the dead letters: it is not stored (acknowledged already?): %w", id, store.ErrConflict)
		}
		p.ops = append(p.ops, del(messageKey(id)), set(deadLetterKey(id), data))
		p.messages[id] = false
		return nil
	})
}

// DeadLetterList implements store.Store.
func (s *Store) DeadLetterList(ctx context.Context, after string, limit int) ([]*store.DeadLetter, error) {
	switch {
	case limit < 0 || limit > store.MaxDeadLetterLimit:
		return nil, fmt.Errorf("list dead letters: limit %d is out of range [0, %d]: %w", limit, store.MaxDeadLetterLimit, store.ErrInvalid)
	case limit == 0:
		limit = store.DefaultDeadLetterLimit
	}
	var out []*store.DeadLetter
	err := s.view(ctx, func(txn *badger.Txn) error {
		prefix := []byte(prefixDeadLetter)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: min(limit, 100)})
		defer it.Close()
		start := prefix
		if after != "" {
			// The first key after deadLetterKey(after).
			start = append(deadLetterKey(after), 0)
		}
		size := 0
		for it.Seek(start); it.ValidForPrefix(prefix) && len(out) < limit; it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			if size += int(it.Item().ValueSize()); len(out) > 0 && size > store.DeadLetterPageBytes {
				break
			}
			var d store.DeadLetter
			if err := it.Item().Value(func(v []byte) error { return workflow.Decode(v, &d) }); err != nil {
				return fmt.Errorf("decode dead letter %q: %w", it.Item().Key(), err)
			}
			out = append(out, &d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list dead letters: %w", err)
	}
	return out, nil
}

// DeadLetterRedrive implements store.Store.
func (s *Store) DeadLetterRedrive(ctx context.Context, ids []string) ([]*store.Message, error) {
	if err := checkIDs(ids); err != nil {
		return nil, fmt.Errorf("redrive dead letters: %w", err)
	}
	var msgs []*store.Message
	err := s.deadLetterCall(ctx, 256*len(ids), func(p *planner) error {
		msgs = msgs[:0] // planned again when a full batch is retried
		for _, id := range ids {
			d, err := p.deadLetter(id)
			if err != nil {
				return fmt.Errorf("redrive dead letter %s: %w", id, err)
			}
			data, err := json.Marshal(d.Message)
			if err != nil {
				return fmt.Errorf("encode message %s: %w", id, err)
			}
			// No ms/ key can hold the id: the message left it when it
			// became a dead letter, and message ids are never reused.
			p.ops = append(p.ops, del(deadLetterKey(id)), set(messageKey(id), data))
			p.messages[id] = true
			msgs = append(msgs, d.Message)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// DeadLetterDelete implements store.Store.
func (s *Store) DeadLetterDelete(ctx context.Context, ids []string) error {
	if err := checkIDs(ids); err != nil {
		return fmt.Errorf("delete dead letters: %w", err)
	}
	return s.deadLetterCall(ctx, 64*len(ids), func(p *planner) error {
		for _, id := range ids {
			if _, err := p.deadLetter(id); err != nil {
				return fmt.Errorf("delete dead letter %s: %w", id, err)
			}
			p.ops = append(p.ops, del(deadLetterKey(id)))
		}
		return nil
	})
}

// checkIDs refuses an empty list, ids that cannot be keys and an id named
// twice.
func checkIDs(ids []string) error {
	if len(ids) == 0 {
		return fmt.Errorf("no id given: %w", store.ErrInvalid)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if err := checkName("dead letter id", id); err != nil {
			return fmt.Errorf("%w: %w", err, store.ErrInvalid)
		}
		if seen[id] {
			return fmt.Errorf("dead letter %s is named twice: %w", id, store.ErrInvalid)
		}
		seen[id] = true
	}
	return nil
}

func (s *Store) deadLetterCall(ctx context.Context, size int, fn func(*planner) error) error {
	c := &call{ctx: ctx, dead: fn, size: size + 64, done: make(chan error, 1)}
	return s.send(ctx, c)
}

// deadLetter reads a dead letter, or ErrNotFound. (checkIDs made sure a
// call names each once, so none it reads was deleted by the call.)
func (p *planner) deadLetter(id string) (*store.DeadLetter, error) {
	item, err := p.txn.Get(deadLetterKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("no such dead letter: %w", store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var d store.DeadLetter
	if err := item.Value(func(v []byte) error { return workflow.Decode(v, &d) }); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if d.Message == nil {
		return nil, errors.New("decode: no message")
	}
	return &d, nil
}
