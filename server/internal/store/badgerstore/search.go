package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// How a search is planned (doc.go shows the indexes):
//
//   - A CorrelationID or IdempotencyKey names few executions: their exact
//     index gives the candidates, each checked against its head.
//   - Otherwise the candidates may come from a small set: the executions
//     having every word of FreeText (the intersection of the words' posting
//     lists), those in the time range of a field the search is not sorted
//     by, or, sorted by end or update time, those of the name or statuses
//     asked for (their create-time partition). When one of these has fewer
//     than searchCap executions, they are all checked and sorted in memory.
//   - Otherwise the search walks a sorted index in the order asked for,
//     from the cursor, and stops when the page is full: the partition of
//     the name or statuses asked for (one walk per status, merged), whose
//     entries tell most of what is checked without reading the execution;
//     the head is read for the rest, and the words are checked by looking
//     up their postings. Sorted by create time on words alone, it walks the
//     posting list of the rarest word instead, which is in create-time
//     order too.
//
// Only the executions of the page are read whole.

// defaultSearchCap bounds the candidates a search checks out of order.
const defaultSearchCap = 2500

// nameWeight is about how many index entries a search reads in the time of
// one head (measured on 100,000 executions on disk: a head costs 10-20 µs,
// an entry well under 1 µs).
const nameWeight = 16

// ExecutionSearch implements store.Store.
func (s *Store) ExecutionSearch(ctx context.Context, in store.ExecutionQuery) (*store.ExecutionPage, error) {
	q, err := parseQuery(in)
	if err != nil {
		return nil, fmt.Errorf("search executions: %w", err)
	}
	page := &store.ExecutionPage{Executions: []*workflow.Workflow{}}
	err = s.view(ctx, func(txn *badger.Txn) error {
		sr := &searcher{ctx: ctx, txn: txn, q: q, cap: s.searchCap}
		if sr.cap == 0 {
			sr.cap = defaultSearchCap
		}
		hits, err := sr.run()
		if err != nil {
			return err
		}
		if len(hits) > q.limit {
			hits = hits[:q.limit]
			page.Next = q.cursor(hits[len(hits)-1])
		}
		for _, h := range hits {
			var w workflow.Workflow
			if ok, err := getJSON(txn, workflowKey(h.id), &w); err != nil || !ok {
				return errors.Join(err, fmt.Errorf("the record of workflow %s is missing", h.id))
			}
			if _, err := getJSON(txn, inputKey(h.id), &w.Input); err != nil {
				return err
			}
			w.Tasks, w.WorkflowDefinition = nil, nil
			page.Executions = append(page.Executions, &w)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search executions: %w", err)
	}
	return page, nil
}

// searcher runs one query in one read transaction.
type searcher struct {
	ctx context.Context
	txn *badger.Txn
	q   *query
	cap int
	// part is the partition of the sorted index the search walks.
	part int
}

// run returns up to limit+1 hits in the query's order, after its cursor.
func (sr *searcher) run() ([]hit, error) {
	q := sr.q
	if q.CorrelationID != "" || q.IdempotencyKey != "" {
		return sr.exact()
	}
	if err := sr.choosePartition(); err != nil {
		return nil, err
	}

	// A small set of candidates, checked out of order?
	best := sr.cap
	var rangeField byte
	for _, g := range []byte{fieldCreate, fieldEnd} {
		if g == q.field {
			continue
		}
		// Sorted by end or update time, the executions of a name or
		// status may be few: the create-time partition lists them.
		byPartition := g == fieldCreate && sr.part != partAll
		if g == fieldCreate && !q.hasStart() && !byPartition || g == fieldEnd && !q.hasEnd() {
			continue
		}
		n, err := sr.count(sr.sources(g, q.rangeOf(g)), best)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		if n < best {
			best, rangeField = n, g
		}
	}
	if len(q.words) > 0 {
		ids, complete, err := sr.intersect(best)
		if err != nil {
			return nil, err
		}
		if complete {
			return sr.candidates(ids, false)
		}
	}
	if rangeField != 0 {
		return sr.rangeCandidates(rangeField)
	}
	switch {
	case len(q.words) > 0 && q.field == fieldCreate && q.Name == "" && len(q.statuses) == 0:
		word, err := sr.rarest()
		if err != nil {
			return nil, err
		}
		return sr.walkPostings(word)
	case q.field == fieldUpdate:
		return sr.walkUpdates()
	}
	return sr.walkPartitions()
}

// choosePartition chooses the partition of the sorted index that the
// search walks. With both a name and statuses (all partitioned), it counts
// both (up to a bound) in the create-time index: the statuses' entries
// tell the name, while a walk of the name's reads the head of each entry
// for its status, which costs about as much as reading nameWeight
// entries; so the name's is walked only when that much smaller.
func (sr *searcher) choosePartition() error {
	q := sr.q
	byStatus := len(q.statuses) > 0 && !slices.ContainsFunc(q.statuses, func(st string) bool { return !partitioned(st) })
	switch {
	case q.Name != "" && byStatus:
		b := q.rangeOf(fieldCreate)
		sr.part = partStatus
		nStatus, err := sr.count(sr.sources(fieldCreate, b), 8*sr.cap)
		if err != nil {
			return err
		}
		sr.part = partName
		nName, err := sr.count(sr.sources(fieldCreate, b), nStatus/nameWeight+1)
		if err != nil {
			return err
		}
		if nName*nameWeight >= nStatus {
			sr.part = partStatus
		}
	case q.Name != "":
		sr.part = partName
	case byStatus:
		sr.part = partStatus
	default:
		sr.part = partAll
	}
	return nil
}

// sources are the parts of the index on field that hold every execution of
// the chosen partition whose value of field is within b.
func (sr *searcher) sources(field byte, b bounds) []source {
	q := sr.q
	switch {
	case field == fieldUpdate:
		return []source{{prefix: partitionPrefix(partAll, "", "", field), b: b, field: field}}
	case field == fieldCreate && sr.part == partName:
		return []source{{prefix: partitionPrefix(partName, q.Name, "", field), b: b, field: field}}
	case field == fieldCreate && sr.part == partAll:
		return []source{{prefix: partitionPrefix(partAll, "", "", field), b: b, field: field}}
	case field == fieldCreate:
		var out []source
		for _, st := range q.statuses {
			out = append(out, source{prefix: partitionPrefix(partStatus, "", st, field), b: b, field: field, status: st})
		}
		return out
	}
	// The end-time index has no name partition: a name's entries are
	// found by their summaries.
	var out []source
	if sr.part == partStatus {
		for _, st := range q.statuses {
			out = append(out, source{prefix: partitionPrefix(partStatus, "", st, field), b: b, field: field, status: st})
		}
	} else {
		out = append(out, source{prefix: partitionPrefix(partAll, "", "", field), b: b, field: field})
	}
	if b.contains(0) {
		// RUNNING and PAUSED executions that have not ended are not in the
		// end-time index: their create-time partitions list them.
		for _, st := range []string{string(workflow.StatusPaused), string(workflow.StatusRunning)} {
			if len(q.statuses) == 0 || slices.Contains(q.statuses, st) {
				out = append(out, source{prefix: partitionPrefix(partStatus, "", st, fieldCreate), field: fieldCreate, status: st, open: true})
			}
		}
	}
	return out
}

// exact checks the executions of the correlation id or idempotency key.
func (sr *searcher) exact() ([]hit, error) {
	q := sr.q
	prefix := scope(prefixCorrelation, keyName(q.CorrelationID))
	if q.CorrelationID == "" {
		prefix = scope(prefixIdempotency, keyName(q.IdempotencyKey))
	}
	var ids []string
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.PrefetchValues = prefix, false
	it := sr.txn.NewIterator(opts)
	defer it.Close()
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		ids = append(ids, string(it.Item().Key()[len(prefix):]))
	}
	return sr.candidates(ids, true)
}

// candidates checks executions by their heads (and their postings when
// checkWords) and returns those that match, sorted, after the cursor, at
// most limit+1.
func (sr *searcher) candidates(ids []string, checkWords bool) ([]hit, error) {
	q := sr.q
	var hits []hit
	for i, id := range ids {
		if i%256 == 0 {
			if err := sr.ctx.Err(); err != nil {
				return nil, err
			}
		}
		h, err := getHead(sr.txn, id)
		if err != nil {
			return nil, err
		}
		if h == nil || h.Index == nil || !q.matchFields(h.Index) {
			continue
		}
		p := h.Index.position(q.field, id)
		if !q.pastCursor(p) {
			continue
		}
		if checkWords {
			ok, err := sr.hasWords(h.Index.CreateTime, id, "")
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, p)
	}
	return sr.sorted(hits), nil
}

// sorted sorts hits in the query's order and keeps limit+1 of them.
func (sr *searcher) sorted(hits []hit) []hit {
	slices.SortFunc(hits, func(a, b hit) int {
		if sr.q.Ascending {
			return a.compare(b)
		}
		return b.compare(a)
	})
	return hits[:min(len(hits), sr.q.limit+1)]
}

// hasWords reports whether an execution has every word of the query but
// skip (whose posting list the caller walks).
func (sr *searcher) hasWords(createTime int64, id string, skip string) (bool, error) {
	for _, w := range sr.q.words {
		if w == skip {
			continue
		}
		_, err := sr.txn.Get(postingKey(w, createTime, id))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// count counts the entries of the sources, up to limit.
func (sr *searcher) count(sources []source, limit int) (int, error) {
	n := 0
	err := sr.walk(sources, true, nil, func(entry) (bool, error) {
		n++
		return n < limit, nil
	})
	return n, err
}

// known returns what an entry of the create-time or end-time index tells
// of its execution.
func (e entry) known() (known, error) {
	var k known
	err := e.item.Value(func(v []byte) error {
		if e.src.field == fieldEnd {
			return decodeEndSummary(v, &k)
		}
		return decodeStableSummary(v, &k)
	})
	if err != nil {
		return k, fmt.Errorf("index entry %q: %w", e.item.Key(), err)
	}
	// The value is valid only during the call.
	k.name, k.status = slices.Clone(k.name), slices.Clone(k.status)
	switch {
	case e.src.field == fieldEnd:
		k.endTime, k.hasEnd = e.pos.value, true
		k.createTime, k.hasCreate = e.pos.tie, true
	case e.src.open:
		k.createTime, k.hasCreate = e.pos.tie, true
	default:
		k.createTime, k.hasCreate = e.pos.value, true
	}
	if e.src.status != "" {
		k.status, k.hasStatus = []byte(e.src.status), true
	}
	return k, nil
}

// visit checks an entry of the create-time or end-time index against the
// query, reading the head when the entry does not tell enough, and returns
// the entry's execution at its place in the query's order when it matches.
func (sr *searcher) visit(e entry) (p position, ok bool, err error) {
	q := sr.q
	k, err := e.known()
	if err != nil {
		return p, false, err
	}
	ok, needHead := q.check(&k)
	if !ok {
		return p, false, nil
	}
	id := string(e.pos.id)
	switch {
	case q.field == fieldEnd && e.src.field == fieldEnd, q.field == fieldEnd && e.src.open:
		p = e.pos
	case q.field == fieldCreate:
		p = position{value: k.createTime, id: id}
	default:
		needHead = true
	}
	if needHead || e.src.open {
		h, err := getHead(sr.txn, id)
		if err != nil || h == nil || h.Index == nil || !q.matchFields(h.Index) {
			return p, false, err
		}
		if e.src.open && h.Index.EndTime != 0 {
			// It has ended: the end-time index lists it.
			return p, false, nil
		}
		p = h.Index.position(q.field, id)
	}
	if ok, err = sr.hasWords(k.createTime, id, ""); err != nil || !ok {
		return p, false, err
	}
	return p, true, nil
}

// rangeCandidates checks the executions of the chosen partition in the
// query's range on field, which is not the sort field.
func (sr *searcher) rangeCandidates(field byte) ([]hit, error) {
	q := sr.q
	var hits []hit
	err := sr.walk(sr.sources(field, q.rangeOf(field)), true, nil, func(e entry) (bool, error) {
		p, ok, err := sr.visit(e)
		if ok && q.pastCursor(p) {
			hits = append(hits, p)
		}
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	return sr.sorted(hits), nil
}

// walkPartitions walks the create-time or end-time index in the query's
// order and stops when the page is full.
func (sr *searcher) walkPartitions() ([]hit, error) {
	q := sr.q
	var hits []hit
	err := sr.walk(sr.sources(q.field, q.rangeOf(q.field)), q.Ascending, q.after, func(e entry) (bool, error) {
		p, ok, err := sr.visit(e)
		if ok {
			hits = append(hits, p)
		}
		return err == nil && len(hits) <= q.limit, err
	})
	return hits, err
}

// walkUpdates walks the update-time index in the query's order, a second
// at a time: the index keeps update times to the second, so the executions
// of each second are checked and sorted by their heads. It stops when the
// page is full.
func (sr *searcher) walkUpdates() ([]hit, error) {
	q := sr.q
	var b bounds
	if q.after != nil {
		// Start in the second of the cursor; pastCursor skips what comes
		// before it.
		if second := updateBucket(q.after.value); q.Ascending {
			b = bounds{lo: second, hasLo: true}
		} else {
			b = bounds{hi: second + 1, hasHi: true}
		}
	}
	var hits, second []hit
	flush := func() {
		second = slices.DeleteFunc(second, func(h hit) bool { return !q.pastCursor(h) })
		hits = append(hits, sr.sorted(second)...)
		second = second[:0]
	}
	bucket := int64(0)
	src := []source{{prefix: partitionPrefix(partAll, "", "", fieldUpdate), b: b, field: fieldUpdate}}
	err := sr.walk(src, q.Ascending, nil, func(e entry) (bool, error) {
		if len(second) > 0 && e.pos.value != bucket {
			if flush(); len(hits) > q.limit {
				return false, nil
			}
		}
		bucket = e.pos.value
		id := e.pos.id
		h, err := getHead(sr.txn, id)
		if err != nil || h == nil || h.Index == nil || !q.matchFields(h.Index) {
			return err == nil, err
		}
		ok, err := sr.hasWords(h.Index.CreateTime, id, "")
		if ok {
			second = append(second, h.Index.position(fieldUpdate, id))
		}
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	flush()
	return hits[:min(len(hits), q.limit+1)], nil
}

// walkPostings walks the posting list of one of the query's words, which
// is in create-time order, and stops when the page is full. The query
// sorts by create time and names no workflow or status.
func (sr *searcher) walkPostings(word string) ([]hit, error) {
	q := sr.q
	var hits []hit
	src := []source{{prefix: scope(prefixPosting, word), b: q.rangeOf(fieldCreate), field: fieldPosting}}
	err := sr.walk(src, q.Ascending, q.after, func(e entry) (bool, error) {
		id := e.pos.id
		ok, err := sr.hasWords(e.pos.value, id, word)
		if err != nil || !ok {
			return err == nil, err
		}
		if q.hasEnd() {
			h, err := getHead(sr.txn, id)
			if err != nil || h == nil || h.Index == nil || !q.matchFields(h.Index) {
				return err == nil, err
			}
		}
		hits = append(hits, e.pos)
		return len(hits) <= q.limit, nil
	})
	return hits, err
}

// rarest returns the query word with the fewest postings in its create
// time range (counted up to a bound).
func (sr *searcher) rarest() (string, error) {
	best, fewest := "", -1
	for _, w := range sr.q.words {
		src := []source{{prefix: scope(prefixPosting, w), b: sr.q.rangeOf(fieldCreate), field: fieldPosting}}
		n, err := sr.count(src, 8*sr.cap)
		if err != nil {
			return "", err
		}
		if fewest < 0 || n < fewest {
			best, fewest = w, n
		}
	}
	return best, nil
}
