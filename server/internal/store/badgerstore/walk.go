package badgerstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// source is a part of an index that a search walks: the keys under prefix,
// whose sort value is within b.
type source struct {
	prefix []byte
	b      bounds
	// field is the index the keys are of: fieldCreate, fieldEnd,
	// fieldUpdate, or fieldPosting. Keys continue with the sort value (8
	// bytes), on end time the create time (8 bytes), then the workflow id.
	field byte
	// status is the status of a status partition, if it is one.
	status string
	// open marks a create-time partition of RUNNING or PAUSED walked as
	// the part of the end-time order that is not in the end-time index:
	// its entries stand at (0, create time, id), and only those of
	// executions whose EndTime is 0 belong there.
	open bool
}

// fieldPosting marks a source of posting keys (create time, then id).
const fieldPosting = 'w'

// position returns where the key of an entry of the source stands.
func (src *source) position(k []byte) (position, error) {
	suffix := k[len(src.prefix):]
	n := 8
	if src.field == fieldEnd {
		n = 16
	}
	if len(suffix) <= n {
		return position{}, fmt.Errorf("bad index key %q", k)
	}
	p := position{value: orderedValue(suffix), id: string(suffix[n:])}
	switch {
	case src.field == fieldEnd:
		p.tie = orderedValue(suffix[8:])
	case src.open:
		p.value, p.tie = 0, p.value
	}
	return p, nil
}

// seekKey is where a walk of the source starts: at or after (before, in
// descending order) every entry that can come after the position after,
// if any, within the bounds. The walk itself skips what is not past after.
func (src *source) seekKey(asc bool, after *position) (k []byte, empty bool) {
	k = slices.Clip(src.prefix)
	key := func(p position) []byte {
		k = binary.BigEndian.AppendUint64(k, orderedInt(p.value))
		if src.field == fieldEnd {
			k = binary.BigEndian.AppendUint64(k, orderedInt(p.tie))
		}
		return append(k, p.id...)
	}
	b := src.b
	if src.open {
		// Every entry stands at value 0.
		switch {
		case after == nil || asc && after.value < 0 || !asc && after.value > 0:
		case after.value == 0:
			return append(binary.BigEndian.AppendUint64(k, orderedInt(after.tie)), after.id...), false
		default:
			return nil, true // the cursor is past all of it
		}
		if asc {
			return k, false
		}
		return successor(src.prefix), false
	}
	if asc {
		switch {
		case after != nil && (!b.hasLo || after.value >= b.lo):
			return key(*after), false
		case b.hasLo:
			return binary.BigEndian.AppendUint64(k, orderedInt(b.lo)), false
		}
		return k, false
	}
	switch {
	case after != nil && (!b.hasHi || after.value < b.hi):
		// A reverse seek lands on the last key at or before this one.
		return key(*after), false
	case b.hasHi:
		return binary.BigEndian.AppendUint64(k, orderedInt(b.hi)), false
	}
	return successor(src.prefix), false
}

// entry is an index entry a walk visits, at its position in the order;
// item is valid during the call only.
type entry struct {
	pos  position
	item *badger.Item
	src  *source
}

// walk visits the entries of the sources that come after the position
// after, if any, in ascending or descending order, merging the sources. It
// stops when fn returns false.
func (sr *searcher) walk(sources []source, asc bool, after *position, fn func(entry) (bool, error)) error {
	type cursor struct {
		it  *badger.Iterator
		pos position
		ok  bool
	}
	cs := make([]cursor, len(sources))
	// next moves a cursor to the next entry of its source in the range and
	// past after.
	next := func(i int) error {
		c, src := &cs[i], &sources[i]
		for c.ok = false; c.it.Valid(); c.it.Next() {
			p, err := src.position(c.it.Item().Key())
			if err != nil {
				return err
			}
			if !src.open && (asc && src.b.hasHi && p.value >= src.b.hi || !asc && src.b.hasLo && p.value < src.b.lo) {
				return nil // past the range
			}
			if after == nil || asc && p.compare(*after) > 0 || !asc && p.compare(*after) < 0 {
				c.pos, c.ok = p, true
				return nil
			}
		}
		return nil
	}
	for i := range sources {
		start, empty := sources[i].seekKey(asc, after)
		if empty {
			continue
		}
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues, opts.Reverse = sources[i].prefix, false, !asc
		it := sr.txn.NewIterator(opts)
		defer it.Close()
		cs[i].it = it
		it.Seek(start)
		if err := next(i); err != nil {
			return err
		}
	}
	for n := 0; ; n++ {
		if n%256 == 0 {
			if err := sr.ctx.Err(); err != nil {
				return err
			}
		}
		best := -1
		for i := range cs {
			if !cs[i].ok {
				continue
			}
			if best < 0 || asc && cs[i].pos.compare(cs[best].pos) < 0 || !asc && cs[i].pos.compare(cs[best].pos) > 0 {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		more, err := fn(entry{pos: cs[best].pos, item: cs[best].it.Item(), src: &sources[best]})
		if err != nil || !more {
			return err
		}
		cs[best].it.Next()
		if err := next(best); err != nil {
			return err
		}
	}
}

// successor returns the smallest key greater than every key with the
// prefix.
func successor(prefix []byte) []byte {
	k := slices.Clone(prefix)
	for len(k) > 0 && k[len(k)-1] == 0xff {
		k = k[:len(k)-1]
	}
	if len(k) > 0 {
		k[len(k)-1]++
	}
	return k
}

// intersect returns the executions that have every word of the query, in
// its create time range, when there are at most limit of them and finding
// them takes a bounded number of steps; complete is false otherwise. It
// leapfrogs: every posting list is moved to the first key at or after the
// largest key any of them is at, until they all agree.
func (sr *searcher) intersect(limit int) (ids []string, complete bool, err error) {
	q := sr.q
	b := q.rangeOf(fieldCreate)
	type list struct {
		it     *badger.Iterator
		prefix []byte
	}
	lists := make([]list, len(q.words))
	for i, w := range q.words {
		prefix := scope(prefixPosting, w)
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues = prefix, false
		it := sr.txn.NewIterator(opts)
		defer it.Close()
		lists[i] = list{it: it, prefix: prefix}
	}
	var target []byte // the suffix (create time, id) all lists must reach
	if b.hasLo {
		target = binary.BigEndian.AppendUint64(nil, orderedInt(b.lo))
	}
	for _, l := range lists {
		l.it.Seek(append(slices.Clip(l.prefix), target...))
	}
	budget := 4*limit + 1000
	for steps := 0; ; {
		matched := 0
		for i := 0; matched < len(lists); i = (i + 1) % len(lists) {
			if steps++; steps > budget {
				return nil, false, nil
			}
			if steps%256 == 0 {
				if err := sr.ctx.Err(); err != nil {
					return nil, false, err
				}
			}
			l := lists[i]
			if !l.it.Valid() {
				return ids, true, nil
			}
			suffix := l.it.Item().Key()[len(l.prefix):]
			if bytes.Compare(suffix, target) < 0 {
				l.it.Seek(append(slices.Clip(l.prefix), target...))
				if !l.it.Valid() {
					return ids, true, nil
				}
				suffix = l.it.Item().Key()[len(l.prefix):]
			}
			if len(suffix) <= 8 {
				return nil, false, fmt.Errorf("bad posting key %q", l.it.Item().Key())
			}
			if b.hasHi && orderedValue(suffix) >= b.hi {
				return ids, true, nil
			}
			if bytes.Equal(suffix, target) {
				matched++
			} else {
				target, matched = append(target[:0], suffix...), 1
			}
		}
		if len(ids) == limit {
			return nil, false, nil
		}
		ids = append(ids, string(target[8:]))
		lists[0].it.Next()
		if !lists[0].it.Valid() {
			return ids, true, nil
		}
		target = append(target[:0], lists[0].it.Item().Key()[len(lists[0].prefix):]...)
	}
}
