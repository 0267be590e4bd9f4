package badgerstore

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// A batch takes every call waiting when it starts, up to these bounds.
const (
	maxBatchCalls = 1024
	maxBatchBytes = 4 << 20
)

// commitLoop is the committer: the only goroutine that writes executions,
// tasks, their indexes, history and logs. It takes the calls waiting on
// s.calls, applies them in one Badger transaction, commits it once (one
// fsync with Options.Sync) and then answers every caller. It returns when
// Close has closed s.calls and every call sent before is answered.
func (s *Store) commitLoop() {
	defer close(s.committerDone)
	batch := make([]*call, 0, maxBatchCalls)
	for {
		c, ok := <-s.calls
		if !ok {
			return
		}
		batch = append(batch[:0], c)
		size := c.size
	fill:
		for len(batch) < maxBatchCalls && size < maxBatchBytes {
			select {
			case c, ok := <-s.calls:
				if !ok {
					break fill
				}
				batch = append(batch, c)
				size += c.size
			default:
				break fill
			}
		}
		s.commitBatch(batch)
		clear(batch)
	}
}

// batchTxn is the transaction of a batch and the calls whose writes it holds.
type batchTxn struct {
	db    *badger.DB
	txn   *badger.Txn
	calls []*call
	ops   [][]op
}

func (s *Store) commitBatch(batch []*call) {
	b := &batchTxn{db: s.db, txn: s.db.NewTransaction(true)}
	for _, c := range batch {
		// A caller that gave up before its batch started gets its error and
		// nothing of it is written.
		if err := c.ctx.Err(); err != nil {
			c.done <- err
			continue
		}
		b.add(c)
	}
	b.commit()
	b.txn.Discard()
}

// add plans c against the transaction and applies its writes, or answers c
// with the reason it cannot be written.
func (b *batchTxn) add(c *call) {
	ops, err := plan(b.txn, c)
	if err != nil {
		c.done <- err // a guard failed: nothing of c was written
		return
	}
	if err = apply(b.txn, ops); err == nil {
		b.calls, b.ops = append(b.calls, c), append(b.ops, ops)
		return
	}
	// The transaction is full (badger.ErrTxnTooBig) and holds part of c.
	// Rebuild it without c, commit it, and try c again alone.
	b.restart()
	if len(b.calls) > 0 {
		b.replay()
		b.commit()
		if ops, err = plan(b.txn, c); err != nil {
			c.done <- err
			return
		}
		if err = apply(b.txn, ops); err == nil {
			b.calls, b.ops = append(b.calls, c), append(b.ops, ops)
			return
		}
		b.restart()
	}
	if errors.Is(err, badger.ErrTxnTooBig) {
		err = fmt.Errorf("the call writes more than one Badger transaction holds: %w", err)
	}
	c.done <- fmt.Errorf("commit: %w", err)
}

// replay writes again, into a new transaction, the calls the discarded one
// held. They fitted before, so they fit again.
func (b *batchTxn) replay() {
	for _, ops := range b.ops {
		if err := apply(b.txn, ops); err != nil {
			b.restart()
			b.answer(fmt.Errorf("commit: %w", err))
			return
		}
	}
}

// commit commits the transaction, answers the calls it holds and starts a
// new one.
func (b *batchTxn) commit() {
	if len(b.calls) == 0 {
		return
	}
	err := b.txn.Commit()
	if err != nil {
		err = fmt.Errorf("commit: %w", err)
	}
	b.answer(err)
	b.txn = b.db.NewTransaction(true)
}

// answer answers every call the transaction holds with err (nil for success)
// and forgets them.
func (b *batchTxn) answer(err error) {
	for _, c := range b.calls {
		c.done <- err
	}
	clear(b.calls)
	clear(b.ops)
	b.calls, b.ops = b.calls[:0], b.ops[:0]
}

func (b *batchTxn) restart() {
	b.txn.Discard()
	b.txn = b.db.NewTransaction(true)
}
