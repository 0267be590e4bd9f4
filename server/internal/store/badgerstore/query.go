package badgerstore

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/batonhq/baton/server/internal/store"
)

// query is a validated store.ExecutionQuery.
type query struct {
	store.ExecutionQuery
	statuses    []string // sorted, distinct
	words       []string // sorted, distinct
	field       byte
	limit       int
	after       *position // where the previous page ended, if any
	fingerprint uint64
}

// position is a place in a search's order: the sort value, the create time
// when sorted by end time (0 otherwise), then the workflow id.
type position struct {
	value, tie int64
	id         string
}

// hit is an execution a search found, at its place in the order.
type hit = position

// position returns where an execution stands in the order of field.
func (f *indexFields) position(field byte, id string) position {
	p := position{value: f.sortValue(field), id: id}
	if field == fieldEnd {
		p.tie = f.CreateTime
	}
	return p
}

func (a position) compare(b position) int {
	switch {
	case a.value != b.value:
		return cmpInt(a.value, b.value)
	case a.tie != b.tie:
		return cmpInt(a.tie, b.tie)
	}
	return strings.Compare(a.id, b.id)
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	return 1
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), store.ErrInvalid)
}

func parseQuery(in store.ExecutionQuery) (*query, error) {
	q := &query{ExecutionQuery: in, limit: in.Limit}
	switch {
	case in.Limit < 0:
		return nil, invalid("limit %d is negative", in.Limit)
	case in.Limit == 0:
		q.limit = store.DefaultSearchLimit
	case in.Limit > store.MaxSearchLimit:
		return nil, invalid("limit %d is over the maximum of %d; page with the cursor instead", in.Limit, store.MaxSearchLimit)
	}
	if in.Version < 0 {
		return nil, invalid("version %d is negative", in.Version)
	}
	if in.Version != 0 && in.Name == "" {
		return nil, invalid("version %d is given without a workflow name", in.Version)
	}
	if err := checkRanges(timeRange{"start", in.StartFrom, in.StartTo}, timeRange{"end", in.EndFrom, in.EndTo}); err != nil {
		return nil, err
	}
	for _, s := range in.Statuses {
		if !s.Valid() {
			return nil, invalid("status %q is not a workflow status (RUNNING, PAUSED, COMPLETED, FAILED, TIMED_OUT, TERMINATED)", s)
		}
		q.statuses = append(q.statuses, string(s))
	}
	slices.Sort(q.statuses)
	q.statuses = slices.Compact(q.statuses)
	switch in.SortBy {
	case "", store.SortCreateTime:
		q.field = fieldCreate
	case store.SortEndTime:
		q.field = fieldEnd
	case store.SortUpdateTime:
		q.field = fieldUpdate
	default:
		return nil, invalid("cannot sort by %q: sort by %s, %s or %s", in.SortBy, store.SortCreateTime, store.SortEndTime, store.SortUpdateTime)
	}
	if strings.TrimSpace(in.FreeText) != "" {
		q.words = store.Words(in.FreeText)
		switch {
		case len(q.words) == 0:
			return nil, invalid("free text %q has no word to search for (words are letters and digits)", in.FreeText)
		case len(q.words) > store.MaxSearchWords:
			return nil, invalid("free text has %d words; at most %d are searched for", len(q.words), store.MaxSearchWords)
		}
		slices.Sort(q.words)
	}
	q.fingerprint = q.hash()
	if in.Cursor != "" {
		pos, err := q.parseCursor(in.Cursor)
		if err != nil {
			return nil, err
		}
		q.after = pos
	}
	return q, nil
}

// hash identifies what the query selects and in which order, so that a
// cursor is not used with another query.
func (q *query) hash() uint64 {
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, q.field)
	if q.Ascending {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	str(q.Name)
	b = binary.AppendVarint(b, int64(q.Version))
	b = binary.AppendUvarint(b, uint64(len(q.statuses)))
	for _, s := range q.statuses {
		str(s)
	}
	str(q.CorrelationID)
	str(q.IdempotencyKey)
	for _, t := range []int64{q.StartFrom, q.StartTo, q.EndFrom, q.EndTo} {
		b = binary.AppendVarint(b, t)
	}
	b = binary.AppendUvarint(b, uint64(len(q.words)))
	for _, w := range q.words {
		str(w)
	}
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// cursorVersion is the first byte of a cursor.
const cursorVersion = 1

// cursor encodes the position after which the next page starts, with the
// query's fingerprint: base64url of version, fingerprint, value, tie (each
// 8 bytes, big-endian) and the workflow id.
func (q *query) cursor(p position) string {
	b := make([]byte, 0, 25+len(p.id))
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, q.fingerprint)
	b = binary.BigEndian.AppendUint64(b, orderedInt(p.value))
	b = binary.BigEndian.AppendUint64(b, orderedInt(p.tie))
	b = append(b, p.id...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (q *query) parseCursor(c string) (*position, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 26 || b[0] != cursorVersion {
		return nil, invalid("cursor %q is malformed; pass the Next of a previous page as it is", c)
	}
	if binary.BigEndian.Uint64(b[1:]) != q.fingerprint {
		return nil, invalid("the cursor is from a search with other filters or another order; repeat the search without the cursor")
	}
	return &position{value: orderedValue(b[9:]), tie: orderedValue(b[17:]), id: string(b[25:])}, nil
}

// before reports whether a comes before b in the query's order.
func (q *query) before(a, b position) bool {
	if q.Ascending {
		return a.compare(b) < 0
	}
	return a.compare(b) > 0
}

// pastCursor reports whether p comes after the cursor's position.
func (q *query) pastCursor(p position) bool {
	return q.after == nil || q.before(*q.after, p)
}

func (q *query) hasStart() bool { return q.StartFrom != 0 || q.StartTo != 0 }
func (q *query) hasEnd() bool   { return q.EndFrom != 0 || q.EndTo != 0 }

// bounds is a range of sort values: [lo, hi), each end open when not set.
type bounds struct {
	lo, hi       int64
	hasLo, hasHi bool
}

// rangeOf returns the bounds the query puts on a field.
func (q *query) rangeOf(field byte) bounds {
	var b bounds
	switch field {
	case fieldCreate:
		b = bounds{lo: q.StartFrom, hi: q.StartTo, hasLo: q.StartFrom != 0, hasHi: q.StartTo != 0}
	case fieldEnd:
		if q.hasEnd() {
			// Only ended executions: EndTime above 0.
			b = bounds{lo: max(q.EndFrom, 1), hi: q.EndTo, hasLo: true, hasHi: q.EndTo != 0}
		}
	}
	return b
}

func (b bounds) contains(v int64) bool {
	return (!b.hasLo || v >= b.lo) && (!b.hasHi || v < b.hi)
}

// check checks what an index entry tells of an execution; needHead is
// true when the query has conditions it cannot decide, which the head
// must.
func (q *query) check(k *known) (ok, needHead bool) {
	if q.Name != "" && string(k.name) != q.Name || q.Version != 0 && k.version != int64(q.Version) {
		return false, false
	}
	if len(q.statuses) > 0 {
		if !k.hasStatus {
			needHead = true
		} else if !slices.Contains(q.statuses, string(k.status)) {
			return false, false
		}
	}
	if q.hasStart() {
		if !k.hasCreate {
			needHead = true
		} else if !q.rangeOf(fieldCreate).contains(k.createTime) {
			return false, false
		}
	}
	if q.hasEnd() {
		if !k.hasEnd {
			needHead = true
		} else if !q.rangeOf(fieldEnd).contains(k.endTime) {
			return false, false
		}
	}
	return true, needHead
}

// matchFields checks every condition but the words.
func (q *query) matchFields(f *indexFields) bool {
	if q.CorrelationID != "" && f.CorrelationID != q.CorrelationID {
		return false
	}
	if q.IdempotencyKey != "" && f.IdempotencyKey != q.IdempotencyKey {
		return false
	}
	if q.Name != "" && f.Name != q.Name || q.Version != 0 && f.Version != q.Version {
		return false
	}
	if len(q.statuses) > 0 && !slices.Contains(q.statuses, f.Status) {
		return false
	}
	if q.hasStart() && !q.rangeOf(fieldCreate).contains(f.CreateTime) {
		return false
	}
	return !q.hasEnd() || q.rangeOf(fieldEnd).contains(f.EndTime)
}

// timeRange is a [from, to) range of a query, in Unix milliseconds; 0
// leaves an end open.
type timeRange struct {
	name     string
	from, to int64
}

// checkRanges refuses a range with a negative bound or no room in it.
func checkRanges(ranges ...timeRange) error {
	for _, r := range ranges {
		if r.from < 0 || r.to < 0 {
			return invalid("%s time range [%d, %d) has a negative bound; use 0 to leave an end open", r.name, r.from, r.to)
		}
		if r.from != 0 && r.to != 0 && r.from >= r.to {
			return invalid("%s time range [%d, %d) is empty: the first bound must be before the second", r.name, r.from, r.to)
		}
	}
	return nil
}
