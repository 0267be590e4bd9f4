package badgerstore

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// How a task search is planned: with a WorkflowID, the execution's tasks
// (tk/) are the candidates, checked by their ti/ records and sorted in
// memory. Otherwise every filter that has an index (task type, workflow
// name, statuses but COMPLETED, each word) names a partition, all ordered
// by scheduled time; the search counts them (keys only, up to the smallest
// count so far). Active statuses (SCHEDULED, IN_PROGRESS) have no
// partition: the active-task index (ac/), whose values hold each task's
// status and times, lists their tasks, which, when fewer than the
// partition counted and eight times the search cap, are filtered by those
// values, sorted in memory and checked in order. An
// end-time range names the tasks of the end-time index
// in it: when they are fewer than the search cap and than the smallest
// partition, they are all checked and sorted in memory. Otherwise the
// search walks the smallest partition, or the whole index, in the order
// asked for from the cursor, checking each entry's ti/ record, until the
// page is full. Start and update times have no index: they are checked,
// so a range on them alone walks the whole index until the page is full.

// A task search bounds the tasks it checks out of order (active tasks, an
// end-time range) by the store's search cap (defaultSearchCap), and counts
// a partition, when choosing which to walk, up to eight times that: past
// it, a partition is as good as the whole index.

// taskQuery is a validated store.TaskQuery.
type taskQuery struct {
	store.TaskQuery
	statuses    []string
	words       []string
	limit       int
	after       *position
	fingerprint uint64
}

func parseTaskQuery(in store.TaskQuery) (*taskQuery, error) {
	q := &taskQuery{TaskQuery: in, limit: in.Limit}
	switch {
	case in.Limit < 0:
		return nil, invalid("limit %d is negative", in.Limit)
	case in.Limit == 0:
		q.limit = store.DefaultSearchLimit
	case in.Limit > store.MaxSearchLimit:
		return nil, invalid("limit %d is over the maximum of %d; page with the cursor instead", in.Limit, store.MaxSearchLimit)
	}
	if err := checkRanges(
		timeRange{"scheduled", in.ScheduledFrom, in.ScheduledTo}, timeRange{"start", in.StartFrom, in.StartTo},
		timeRange{"end", in.EndFrom, in.EndTo}, timeRange{"update", in.UpdateFrom, in.UpdateTo},
	); err != nil {
		return nil, err
	}
	for _, s := range in.Statuses {
		if !s.Valid() {
			return nil, invalid("status %q is not a task status (SCHEDULED, IN_PROGRESS, COMPLETED, FAILED, ...)", s)
		}
		q.statuses = append(q.statuses, string(s))
	}
	slices.Sort(q.statuses)
	q.statuses = slices.Compact(q.statuses)
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
		b, err := base64.RawURLEncoding.DecodeString(in.Cursor)
		if err != nil || len(b) < 18 || b[0] != cursorVersion {
			return nil, invalid("cursor %q is malformed; pass the Next of a previous page as it is", in.Cursor)
		}
		if binary.BigEndian.Uint64(b[1:]) != q.fingerprint {
			return nil, invalid("the cursor is from a search with other filters or another order; repeat the search without the cursor")
		}
		q.after = &position{value: orderedValue(b[9:]), id: string(b[17:])}
	}
	return q, nil
}

// hash identifies what the query selects and in which order.
func (q *taskQuery) hash() uint64 {
	h := fnv.New64a()
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, 't')
	if q.Ascending {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	str(q.TaskType)
	str(q.WorkflowName)
	str(q.WorkflowID)
	b = binary.AppendUvarint(b, uint64(len(q.statuses)))
	for _, s := range q.statuses {
		str(s)
	}
	for _, t := range []int64{q.ScheduledFrom, q.ScheduledTo, q.StartFrom, q.StartTo, q.EndFrom, q.EndTo, q.UpdateFrom, q.UpdateTo} {
		b = binary.AppendVarint(b, t)
	}
	b = binary.AppendUvarint(b, uint64(len(q.words)))
	for _, w := range q.words {
		str(w)
	}
	h.Write(b)
	return h.Sum64()
}

// cursor encodes where the next page starts: version, fingerprint,
// scheduled time, task id.
func (q *taskQuery) cursor(p position) string {
	b := make([]byte, 0, 17+len(p.id))
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, q.fingerprint)
	b = binary.BigEndian.AppendUint64(b, orderedInt(p.value))
	b = append(b, p.id...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func inRange(v, from, to int64) bool { return (from == 0 || v >= from) && (to == 0 || v < to) }

// inSetRange is inRange for a time that may be unset (0): a range on it
// matches only set times.
func inSetRange(v, from, to int64) bool {
	return from == 0 && to == 0 || v > 0 && inRange(v, from, to)
}

// match checks every condition of the query against a task's fields.
func (q *taskQuery) match(f *taskFields, wfID string) bool {
	switch {
	case q.TaskType != "" && f.TaskType != q.TaskType,
		q.WorkflowName != "" && f.WorkflowName != q.WorkflowName,
		q.WorkflowID != "" && wfID != q.WorkflowID,
		len(q.statuses) > 0 && !slices.Contains(q.statuses, f.Status),
		!inRange(f.ScheduledTime, q.ScheduledFrom, q.ScheduledTo),
		!inSetRange(f.StartTime, q.StartFrom, q.StartTo),
		!inSetRange(f.EndTime, q.EndFrom, q.EndTo),
		!inRange(f.UpdateTime, q.UpdateFrom, q.UpdateTo):
		return false
	}
	for _, w := range q.words {
		if !containsSorted(f.Words, w) {
			return false
		}
	}
	return true
}

func (q *taskQuery) bounds() bounds {
	return bounds{lo: q.ScheduledFrom, hi: q.ScheduledTo, hasLo: q.ScheduledFrom != 0, hasHi: q.ScheduledTo != 0}
}

// TaskSearch implements store.Store.
func (s *Store) TaskSearch(ctx context.Context, in store.TaskQuery) (*store.TaskPage, error) {
	q, err := parseTaskQuery(in)
	if err != nil {
		return nil, fmt.Errorf("search tasks: %w", err)
	}
	page := &store.TaskPage{Tasks: []*workflow.Task{}}
	err = s.view(ctx, func(txn *badger.Txn) error {
		sr := &searcher{ctx: ctx, txn: txn, cap: cmp.Or(s.searchCap, defaultSearchCap)}
		var hits []taskHit
		var err error
		if q.WorkflowID != "" {
			hits, err = q.ofExecution(sr)
		} else {
			hits, err = q.walk(sr)
		}
		if err != nil {
			return err
		}
		if len(hits) > q.limit {
			hits = hits[:q.limit]
			page.Next = q.cursor(hits[len(hits)-1].pos)
		}
		snapshots := map[string]map[string]*workflow.WorkflowTask{}
		removing := map[string]bool{}
		for _, h := range hits {
			gone, ok := removing[h.ref.WorkflowID]
			if !ok {
				if gone, err = isRemoving(txn, h.ref.WorkflowID); err != nil {
					return err
				}
				removing[h.ref.WorkflowID] = gone
			}
			if gone {
				continue // what is left of an execution being removed in chunks
			}
			var t workflow.Task
			if ok, err := getJSON(txn, taskKey(h.ref.WorkflowID, h.ref.Seq, h.pos.id), &t); err != nil || !ok {
				return errors.Join(err, fmt.Errorf("the record of task %s is missing", h.pos.id))
			}
			if t.WorkflowTask == nil {
				defTasks, ok := snapshots[h.ref.WorkflowID]
				if !ok {
					def, err := getSnapshot(txn, h.ref.WorkflowID)
					if err != nil {
						return err
					}
					defTasks = definitionTasks(def)
					snapshots[h.ref.WorkflowID] = defTasks
				}
				attachWorkflowTask(&t, defTasks)
			}
			page.Tasks = append(page.Tasks, &t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search tasks: %w", err)
	}
	return page, nil
}

// taskHit is a task a search found, at its place in the order.
type taskHit struct {
	pos position
	ref *taskRef
}

// check reads a task's ti/ record (and, for an active task, its ac/
// entry) and reports whether it matches.
func (q *taskQuery) check(txn *badger.Txn, taskID string) (*taskRef, bool, error) {
	ref, err := getRef(txn, taskID)
	if err != nil || ref == nil || ref.Index == nil {
		return nil, false, err
	}
	f := ref.Index
	if activeStatus(f.Status) {
		_, err := getRecord(txn, activeKey(ref.WorkflowID, ref.Seq, taskID), func(v []byte) (err error) {
			f, err = f.withActive(v)
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("active entry of task %s: %w", taskID, err)
		}
	}
	return ref, q.match(f, ref.WorkflowID), nil
}

// active returns the active tasks in the query's statuses, sorted in its
// order after the cursor, at most limit+1 that match all of it, when there
// are fewer than scanLimit active tasks. Their ac/ entries tell the
// status, the scheduled, start and update times, so only the tasks that
// pass those are checked by their ti/ records, in order, until the page is
// full.
func (q *taskQuery) active(sr *searcher, scanLimit int) (hits []taskHit, ok bool, err error) {
	prefix := []byte(prefixActive)
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	it := sr.txn.NewIterator(opts)
	defer it.Close()
	var cands []position
	n := 0
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if n++; n > scanLimit {
			return nil, false, nil
		}
		if n%256 == 0 {
			if err := sr.ctx.Err(); err != nil {
				return nil, false, err
			}
		}
		_, rest, found := bytes.Cut(it.Item().Key()[len(prefix):], []byte{sep})
		if !found || len(rest) <= 8 {
			return nil, false, fmt.Errorf("bad active-task key %q", it.Item().Key())
		}
		id := string(rest[8:])
		var a *taskFields
		err := it.Item().Value(func(v []byte) (err error) {
			if len(v) > 0 {
				a, err = (&taskFields{}).withActive(v)
			}
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("active entry of task %s: %w", id, err)
		}
		if a == nil {
			// Written before the task indexes: ti/ has the fields.
			ref, err := getRef(sr.txn, id)
			if err != nil || ref == nil || ref.Index == nil {
				if err != nil {
					return nil, false, err
				}
				continue
			}
			a = ref.Index
		}
		p := position{value: a.ScheduledTime, id: id}
		if !slices.Contains(q.statuses, a.Status) || !inRange(a.ScheduledTime, q.ScheduledFrom, q.ScheduledTo) ||
			!inSetRange(a.StartTime, q.StartFrom, q.StartTo) || !inRange(a.UpdateTime, q.UpdateFrom, q.UpdateTo) ||
			q.after != nil && (q.Ascending && p.compare(*q.after) <= 0 || !q.Ascending && p.compare(*q.after) >= 0) {
			continue
		}
		cands = append(cands, p)
	}
	slices.SortFunc(cands, func(a, b position) int {
		if q.Ascending {
			return a.compare(b)
		}
		return b.compare(a)
	})
	for _, p := range cands {
		ref, ok, err := q.check(sr.txn, p.id)
		if err != nil {
			return nil, false, err
		}
		if ok {
			hits = append(hits, taskHit{pos: p, ref: ref})
			if len(hits) > q.limit {
				break
			}
		}
	}
	return hits, true, nil
}

// endRange checks the tasks of an end-time range.
func (q *taskQuery) endRange(sr *searcher, ended []source) ([]taskHit, error) {
	var ids []string
	err := sr.walk(ended, true, nil, func(e entry) (bool, error) {
		ids = append(ids, e.pos.id)
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return q.candidates(sr, ids)
}

// ofExecution checks the tasks of the execution asked for.
func (q *taskQuery) ofExecution(sr *searcher) ([]taskHit, error) {
	prefix := scope(prefixTask, q.WorkflowID)
	var ids []string
	opts := badger.DefaultIteratorOptions
	opts.Prefix, opts.PrefetchValues = prefix, false
	it := sr.txn.NewIterator(opts)
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		rest := it.Item().Key()[len(prefix):]
		if len(rest) <= 8 {
			it.Close()
			return nil, fmt.Errorf("bad task key %q", it.Item().Key())
		}
		ids = append(ids, string(rest[8:]))
	}
	it.Close()
	return q.candidates(sr, ids)
}

// candidates checks tasks by their ti/ records and returns those that
// match, sorted, after the cursor, at most limit+1.
func (q *taskQuery) candidates(sr *searcher, ids []string) ([]taskHit, error) {
	var hits []taskHit
	for i, id := range ids {
		if i%256 == 0 {
			if err := sr.ctx.Err(); err != nil {
				return nil, err
			}
		}
		ref, ok, err := q.check(sr.txn, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		p := position{value: ref.Index.ScheduledTime, id: id}
		if q.after != nil && (q.Ascending && p.compare(*q.after) <= 0 || !q.Ascending && p.compare(*q.after) >= 0) {
			continue
		}
		hits = append(hits, taskHit{pos: p, ref: ref})
	}
	slices.SortFunc(hits, func(a, b taskHit) int {
		if q.Ascending {
			return a.pos.compare(b.pos)
		}
		return b.pos.compare(a.pos)
	})
	return hits[:min(len(hits), q.limit+1)], nil
}

// walk walks the smallest partition the query names, or the whole index.
func (q *taskQuery) walk(sr *searcher) ([]taskHit, error) {
	b := q.bounds()
	src := func(prefix []byte) source { return source{prefix: prefix, b: b, field: fieldPosting} }
	var choices [][]source
	for _, w := range q.words {
		choices = append(choices, []source{src(taskWordPrefix(w))})
	}
	if len(q.statuses) > 0 && !slices.ContainsFunc(q.statuses, func(st string) bool { return !taskPartitioned(st) }) {
		var srcs []source
		for _, st := range q.statuses {
			srcs = append(srcs, src(taskStatusPrefix(st)))
		}
		choices = append(choices, srcs)
	}
	if q.TaskType != "" {
		choices = append(choices, []source{src(taskTypePrefix(q.TaskType))})
	}
	if q.WorkflowName != "" {
		choices = append(choices, []source{src(taskNamePrefix(q.WorkflowName))})
	}
	chosen := []source{src(taskAllPrefix())}
	best := 8 * sr.cap
	for _, c := range choices {
		n, err := sr.count(c, best)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, nil
		}
		if n < best {
			best, chosen = n, c
		}
	}
	if len(q.statuses) > 0 && !slices.ContainsFunc(q.statuses, func(st string) bool { return !activeStatus(st) }) {
		hits, ok, err := q.active(sr, min(best, 8*sr.cap))
		if err != nil || ok {
			return hits, err
		}
	}
	if q.EndFrom != 0 || q.EndTo != 0 {
		// Only ended tasks: end time above 0.
		b := bounds{lo: max(q.EndFrom, 1), hasLo: true, hi: q.EndTo, hasHi: q.EndTo != 0}
		ended := []source{{prefix: []byte(prefixTaskEnd), b: b, field: fieldPosting}}
		limit := min(best, sr.cap)
		n, err := sr.count(ended, limit)
		if err != nil {
			return nil, err
		}
		if n < limit {
			return q.endRange(sr, ended)
		}
	}
	var hits []taskHit
	err := sr.walk(chosen, q.Ascending, q.after, func(e entry) (bool, error) {
		ref, ok, err := q.check(sr.txn, e.pos.id)
		if err != nil || !ok {
			return err == nil, err
		}
		hits = append(hits, taskHit{pos: e.pos, ref: ref})
		return len(hits) <= q.limit, nil
	})
	return hits, err
}
