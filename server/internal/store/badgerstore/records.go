package badgerstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// The execution head and the task index are read by every commit, so they
// are fixed binary records rather than JSON.

// encode writes a head as three big-endian words: version, wakeAt,
// history; then the index fields (see indexFields.encode), if any.
func (h *head) encode() []byte {
	b := make([]byte, 0, 96)
	b = binary.BigEndian.AppendUint64(b, h.Version)
	b = binary.BigEndian.AppendUint64(b, uint64(h.WakeAt))
	b = binary.BigEndian.AppendUint64(b, h.History)
	if h.Index != nil {
		b = h.Index.encode(b)
	}
	return b
}

// decodeHead decodes a head. One of 24 bytes was written before the store
// kept search indexes: its execution is in none until backfillIndexes (at
// Open) or its next commit indexes it.
func decodeHead(b []byte) (*head, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("execution head of %d bytes, want at least 24", len(b))
	}
	h := &head{
		Version: binary.BigEndian.Uint64(b),
		WakeAt:  int64(binary.BigEndian.Uint64(b[8:])),
		History: binary.BigEndian.Uint64(b[16:]),
	}
	if len(b) > 24 {
		ix, err := decodeIndex(b[24:])
		if err != nil {
			return nil, fmt.Errorf("execution head: %w", err)
		}
		h.Index = ix
	}
	return h, nil
}

// encode writes a task reference as the big-endian seq then the workflow id.
func (r taskRef) encode() []byte {
	b := make([]byte, 0, 8+len(r.WorkflowID)+64)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = append(b, r.WorkflowID...)
	if r.Index != nil {
		// Workflow ids have no NUL byte: one ends the id here.
		b = r.Index.encode(append(b, sep))
	}
	return b
}

func decodeRef(b []byte) (*taskRef, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("task index entry of %d bytes, want at least 8", len(b))
	}
	r := &taskRef{Seq: int(binary.BigEndian.Uint64(b))}
	id, fields, indexed := bytes.Cut(b[8:], []byte{sep})
	r.WorkflowID = string(id)
	if indexed {
		f, err := decodeTaskFields(fields)
		if err != nil {
			return nil, err
		}
		r.Index = f
	}
	return r, nil
}

// getHead reads an execution head; nil if there is none.
func getHead(txn *badger.Txn, wfID string) (*head, error) {
	var h *head
	ok, err := getRecord(txn, headKey(wfID), func(v []byte) (err error) {
		h, err = decodeHead(v)
		return err
	})
	if !ok {
		return nil, err
	}
	return h, err
}

// getRef reads where a task is; nil if nowhere.
func getRef(txn *badger.Txn, taskID string) (*taskRef, error) {
	var r *taskRef
	ok, err := getRecord(txn, taskIndexKey(taskID), func(v []byte) (err error) {
		r, err = decodeRef(v)
		return err
	})
	if !ok {
		return nil, err
	}
	return r, err
}

func getRecord(txn *badger.Txn, key []byte, decode func([]byte) error) (ok bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %q: %w", key, err)
	}
	if err := item.Value(decode); err != nil {
		return false, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}
