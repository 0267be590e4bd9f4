package badgerstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// The search indexes (doc.go shows their keys) are derived by the committer
// from an execution's indexed fields before and after each transition: the
// old ones are in the execution head, which the committer reads anyway, so
// no workflow record is decoded to update them.

// indexFields are the fields of an execution that its index entries are
// derived from. They are kept in the execution head.
type indexFields struct {
	Name           string
	Version        int
	Status         string
	CorrelationID  string
	IdempotencyKey string
	CreateTime     int64
	EndTime        int64
	UpdateTime     int64
	// InputHash and TextHash identify the word sets of the input and of
	// the rest of the text (output, variables, reasonForIncompletion), so
	// that a transition that changes none of them rewrites no posting.
	InputHash uint64
	TextHash  uint64
}

// Sort fields, as they are written in index keys.
const (
	fieldCreate = 'c'
	fieldEnd    = 'e'
	fieldUpdate = 'u'
)

var sortFields = [...]byte{fieldCreate, fieldEnd, fieldUpdate}

// keyValue is the value of a sort field in index keys: the update time is
// kept to the second (updateBucket), so that the many commits of a running
// execution within one second do not move its entry.
func (f *indexFields) keyValue(field byte) int64 {
	if field == fieldUpdate {
		return updateBucket(f.UpdateTime)
	}
	return f.sortValue(field)
}

// updateBucket is the second of an update time in milliseconds.
func updateBucket(ms int64) int64 {
	b := ms / 1000
	if ms < 0 && ms%1000 != 0 {
		b--
	}
	return b
}

func (f *indexFields) sortValue(field byte) int64 {
	switch field {
	case fieldCreate:
		return f.CreateTime
	case fieldEnd:
		return f.EndTime
	default:
		return f.UpdateTime
	}
}

// Partitions of the sorted index.
const (
	partAll    = iota // xa/: every execution
	partName          // xn/: by workflow name
	partStatus        // xs/: by status
)

// partitioned reports whether a status has its own partitions. COMPLETED,
// the status most executions end in, has none: each execution that
// completes then writes two entries fewer, and a search for it walks the
// whole index or its name's, where most entries match.
func partitioned(status string) bool { return status != string(workflow.StatusCompleted) }

// openStatus reports whether an execution in this status is expected to have
// no end time yet.
func openStatus(status string) bool {
	return status == string(workflow.StatusRunning) || status == string(workflow.StatusPaused)
}

// inEndIndex reports whether an execution has end-time entries: it has
// ended, or its status says it should have. A RUNNING or PAUSED execution
// without an end time has none, so that starting an execution writes no
// end-time entry: a search sorted by end time finds such executions in
// the create-time partitions of RUNNING and PAUSED.
func (f *indexFields) inEndIndex() bool { return f.EndTime != 0 || !openStatus(f.Status) }

// sortedEntry is one sorted-index entry of an execution.
type sortedEntry struct {
	key, value []byte
}

// sortedEntries are the sorted-index entries of an execution on a field:
//
//   - create time: in the whole index, its name's and its status's (if the
//     status is partitioned); the value is the stable summary (version and
//     name), so that status changes rewrite no entry of the whole index or
//     of the name's;
//   - end time (see inEndIndex): in the whole index and its status's (if
//     partitioned), ordered by end time, then create time; the value is the
//     end summary (version, name, status);
//   - update time: in the whole index only, by the second, with no value:
//     searches sorted by it read the heads. A commit then moves an entry
//     only when it is the first of the execution in a new second.
func (f *indexFields) sortedEntries(field byte, wfID string) []sortedEntry {
	var value []byte
	parts := []int{partAll, partName, partStatus}
	switch field {
	case fieldCreate:
		value = f.stableSummary()
	case fieldEnd:
		if !f.inEndIndex() {
			return nil
		}
		value, parts = f.endSummary(), []int{partAll, partStatus}
	default:
		return []sortedEntry{{sortedKey(partAll, f, field, wfID), []byte{}}}
	}
	var out []sortedEntry
	for _, part := range parts {
		if part != partStatus || partitioned(f.Status) {
			out = append(out, sortedEntry{sortedKey(part, f, field, wfID), value})
		}
	}
	return out
}

// entriesChanged reports whether the entries of a field may differ between
// two versions of an execution's fields.
func entriesChanged(field byte, a, b *indexFields) bool {
	switch field {
	case fieldCreate, fieldEnd:
		return a.CreateTime != b.CreateTime || a.Name != b.Name || a.Version != b.Version || a.Status != b.Status ||
			field == fieldEnd && a.EndTime != b.EndTime
	default:
		return updateBucket(a.UpdateTime) != updateBucket(b.UpdateTime)
	}
}

// keyName is a name or id as it is put in an index key: NUL bytes, which
// end names in keys, become 0x01, and the name is cut at maxKeyName bytes.
// Two names may therefore share index entries; every search checks the
// real values (from the entry's summary or the head), so an index entry
// need only be a superset of the executions it stands for.
func keyName(s string) string {
	if len(s) > maxKeyName {
		s = s[:maxKeyName]
	}
	if strings.IndexByte(s, sep) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\x01")
	}
	return s
}

const maxKeyName = 256

// partitionPrefix is the prefix of one partition's entries on one sort
// field: the keys continue with the sort value and the workflow id.
func partitionPrefix(part int, name, status string, field byte) []byte {
	var k []byte
	switch part {
	case partAll:
		k = append(k, prefixSortAll...)
	case partName:
		k = append(append(append(k, prefixSortName...), keyName(name)...), sep)
	default:
		k = append(append(append(k, prefixSortStatus...), keyName(status)...), sep)
	}
	return append(k, field)
}

// sortedKey is the key of an execution's entry in a partition: the
// partition's prefix, the sort value (then, on end time, the create time)
// and the workflow id.
func sortedKey(part int, f *indexFields, field byte, wfID string) []byte {
	k := partitionPrefix(part, f.Name, f.Status, field)
	k = binary.BigEndian.AppendUint64(k, orderedInt(f.keyValue(field)))
	if field == fieldEnd {
		k = binary.BigEndian.AppendUint64(k, orderedInt(f.CreateTime))
	}
	return append(k, wfID...)
}

// stableSummary is the value of a create-time entry: what a search checks
// without reading the execution, of what does not change during a run.
func (f *indexFields) stableSummary() []byte {
	b := binary.AppendVarint(make([]byte, 0, 8+len(f.Name)), int64(f.Version))
	return append(b, f.Name...)
}

// endSummary is the value of an end-time entry.
func (f *indexFields) endSummary() []byte {
	b := make([]byte, 0, 16+len(f.Status)+len(f.Name))
	b = binary.AppendVarint(b, int64(f.Version))
	b = binary.AppendUvarint(b, uint64(len(f.Status)))
	b = append(b, f.Status...)
	return append(b, f.Name...)
}

// known is what a search learns of an execution from an index entry,
// without reading the execution; name and version are always known.
type known struct {
	version             int64
	name, status        []byte
	createTime, endTime int64
	hasStatus           bool
	hasCreate, hasEnd   bool
}

// decodeStableSummary reads the value of a create-time entry.
func decodeStableSummary(b []byte, k *known) error {
	v, n := binary.Varint(b)
	if n <= 0 {
		return errors.New("bad index entry: version")
	}
	k.version, k.name = v, b[n:]
	return nil
}

// decodeEndSummary reads the value of an end-time entry.
func decodeEndSummary(b []byte, k *known) error {
	var n int
	if k.version, n = binary.Varint(b); n <= 0 {
		return errors.New("bad index entry: version")
	}
	b = b[n:]
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return errors.New("bad index entry: status")
	}
	k.status, k.name = b[n:n+int(l)], b[n+int(l):]
	k.hasStatus = true
	return nil
}

func correlationKey(corr, wfID string) []byte {
	return append(scope(prefixCorrelation, keyName(corr)), wfID...)
}

func idempotencyKey(key, wfID string) []byte {
	return append(scope(prefixIdempotency, keyName(key)), wfID...)
}

// postingKey is the key of a word's posting for an execution: the word,
// NUL, the create time and the workflow id, so that a word's executions
// scan in create-time order.
func postingKey(word string, createTime int64, wfID string) []byte {
	k := binary.BigEndian.AppendUint64(scope(prefixPosting, word), orderedInt(createTime))
	return append(k, wfID...)
}

func wordsKey(wfID string) []byte { return key(prefixWords, wfID) }

// indexWrite is what a transition gives the committer to index, computed
// in the caller's goroutine.
type indexWrite struct {
	// fields has InputHash set only when inputSet.
	fields indexFields
	// input is the sorted word set of the input, when inputSet (the
	// transition creates the execution or changes its input).
	input    []string
	inputSet bool
	// text is the sorted word set of the output, variables and
	// reasonForIncompletion.
	text []string
}

// prepareIndex computes the index fields and word sets of w. The input is
// read only when withInput.
func prepareIndex(w *workflow.Workflow, withInput bool) *indexWrite {
	iw := &indexWrite{fields: indexFields{
		Name:           w.WorkflowName,
		Version:        w.WorkflowVersion,
		Status:         string(w.Status),
		CorrelationID:  w.CorrelationID,
		IdempotencyKey: w.IdempotencyKey,
		CreateTime:     w.CreateTime,
		EndTime:        w.EndTime,
		UpdateTime:     w.UpdateTime,
	}}
	if withInput {
		iw.inputSet = true
		iw.input = sortedWords(store.ValueWords(w.Input, store.SearchWordsPerField))
		iw.fields.InputHash = hashWords(iw.input)
	}
	var text []string
	if w.ReasonForIncompletion != "" {
		text = store.ValueWords(w.ReasonForIncompletion, store.SearchWordsPerField)
	}
	if len(w.Output) > 0 {
		text = append(text, store.ValueWords(w.Output, store.SearchWordsPerField)...)
	}
	if len(w.Variables) > 0 {
		text = append(text, store.ValueWords(w.Variables, store.SearchWordsPerField)...)
	}
	iw.text = sortedWords(text)
	iw.fields.TextHash = hashWords(iw.text)
	return iw
}

// sortedWords sorts words and drops repeats, in place.
func sortedWords(words []string) []string {
	slices.Sort(words)
	return slices.Compact(words)
}

// hashWords identifies a sorted word set; 0 for the empty one.
func hashWords(words []string) uint64 {
	if len(words) == 0 {
		return 0
	}
	h := fnv.New64a()
	for _, w := range words {
		h.Write([]byte(w))
		h.Write([]byte{0})
	}
	return h.Sum64() | 1
}

// wordRecord is the value of wordsKey: the words of the execution's input,
// and all its words, which its postings were written from. A change of the
// text (output, variables, reason) that leaves all the words as they were
// therefore writes nothing.
type wordRecord struct {
	input, all []string
}

func (r *wordRecord) empty() bool { return len(r.input) == 0 && len(r.all) == 0 }

func (r *wordRecord) encode() []byte {
	var b []byte
	for _, list := range [][]string{r.input, r.all} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, w := range list {
			b = binary.AppendUvarint(b, uint64(len(w)))
			b = append(b, w...)
		}
	}
	return b
}

func decodeWordRecord(b []byte) (*wordRecord, error) {
	r := &wordRecord{}
	for _, list := range []*[]string{&r.input, &r.all} {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return nil, errors.New("bad word record")
		}
		b = b[k:]
		*list = make([]string, 0, n)
		for range n {
			l, k := binary.Uvarint(b)
			if k <= 0 || uint64(len(b)-k) < l {
				return nil, errors.New("bad word record")
			}
			*list = append(*list, string(b[k:k+int(l)]))
			b = b[k+int(l):]
		}
	}
	return r, nil
}

// union returns the sorted union of two sorted word sets.
func union(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			out, a = append(out, a[0]), a[1:]
		case a[0] > b[0]:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// words returns the word record of an execution as this call sees it.
func (p *planner) words(wfID string) (*wordRecord, error) {
	if r, ok := p.wordRecs[wfID]; ok {
		return r, nil
	}
	r := &wordRecord{}
	_, err := getRecord(p.txn, wordsKey(wfID), func(v []byte) (err error) {
		r, err = decodeWordRecord(v)
		return err
	})
	return r, err
}

// index plans the index writes of a transition of wfID whose head was old
// (nil for a new execution) and returns the new index fields.
func (p *planner) index(wfID string, old *head, iw *indexWrite) (*indexFields, error) {
	var was *indexFields
	if old != nil {
		was = old.Index
	}
	now := iw.fields
	input, inputSet := iw.input, iw.inputSet
	switch {
	case inputSet:
	case was != nil:
		now.InputHash = was.InputHash
	default:
		// An execution committed before the store kept indexes: its input
		// was written once, at the start, and is indexed now.
		var in map[string]any
		if _, err := getJSON(p.txn, inputKey(wfID), &in); err != nil {
			return nil, err
		}
		input, inputSet = sortedWords(store.ValueWords(in, store.SearchWordsPerField)), true
		now.InputHash = hashWords(input)
	}

	if was == nil || was.InputHash != now.InputHash || was.TextHash != now.TextHash || was.CreateTime != now.CreateTime {
		if err := p.postings(wfID, was, &now, input, inputSet, iw.text); err != nil {
			return nil, err
		}
	}

	for _, field := range sortFields {
		if was != nil && !entriesChanged(field, was, &now) {
			continue
		}
		var before []sortedEntry
		if was != nil {
			before = was.sortedEntries(field, wfID)
		}
		after := now.sortedEntries(field, wfID)
		for _, o := range before {
			if !slices.ContainsFunc(after, func(n sortedEntry) bool { return bytes.Equal(n.key, o.key) }) {
				p.ops = append(p.ops, del(o.key))
			}
		}
		for _, n := range after {
			i := slices.IndexFunc(before, func(o sortedEntry) bool { return bytes.Equal(n.key, o.key) })
			if i < 0 || !bytes.Equal(before[i].value, n.value) {
				p.ops = append(p.ops, set(n.key, n.value))
			}
		}
	}
	if was == nil || was.CorrelationID != now.CorrelationID {
		if was != nil && was.CorrelationID != "" {
			p.ops = append(p.ops, del(correlationKey(was.CorrelationID, wfID)))
		}
		if now.CorrelationID != "" {
			p.ops = append(p.ops, set(correlationKey(now.CorrelationID, wfID), []byte{}))
		}
	}
	if was == nil || was.IdempotencyKey != now.IdempotencyKey {
		if was != nil && was.IdempotencyKey != "" {
			p.ops = append(p.ops, del(idempotencyKey(was.IdempotencyKey, wfID)))
		}
		if now.IdempotencyKey != "" {
			p.ops = append(p.ops, set(idempotencyKey(now.IdempotencyKey, wfID), []byte{}))
		}
	}
	return &now, nil
}

// postings rewrites the word postings of an execution whose word sets or
// create time changed: it deletes those of words it no longer has and adds
// those of new words (all of them when the create time, part of the key,
// changed).
func (p *planner) postings(wfID string, was, now *indexFields, input []string, inputSet bool, text []string) error {
	old := &wordRecord{}
	if was != nil {
		var err error
		if old, err = p.words(wfID); err != nil {
			return err
		}
	}
	rec := &wordRecord{input: old.input}
	if inputSet {
		rec.input = input
	}
	rec.all = union(rec.input, text)
	moved := was != nil && was.CreateTime != now.CreateTime
	for _, w := range old.all {
		if moved || !containsSorted(rec.all, w) {
			p.ops = append(p.ops, del(postingKey(w, was.CreateTime, wfID)))
		}
	}
	for _, w := range rec.all {
		if moved || !containsSorted(old.all, w) {
			p.ops = append(p.ops, set(postingKey(w, now.CreateTime, wfID), []byte{}))
		}
	}
	switch {
	case slices.Equal(old.input, rec.input) && slices.Equal(old.all, rec.all):
	case !rec.empty():
		p.ops = append(p.ops, set(wordsKey(wfID), rec.encode()))
	case !old.empty():
		p.ops = append(p.ops, del(wordsKey(wfID)))
	}
	p.wordRecs[wfID] = rec
	return nil
}

func containsSorted(words []string, w string) bool {
	_, ok := slices.BinarySearch(words, w)
	return ok
}

// unindex plans the deletion of every index entry of an execution.
func (p *planner) unindex(wfID string, f *indexFields) error {
	if f == nil {
		return nil
	}
	for _, field := range sortFields {
		for _, e := range f.sortedEntries(field, wfID) {
			p.ops = append(p.ops, del(e.key))
		}
	}
	if f.CorrelationID != "" {
		p.ops = append(p.ops, del(correlationKey(f.CorrelationID, wfID)))
	}
	if f.IdempotencyKey != "" {
		p.ops = append(p.ops, del(idempotencyKey(f.IdempotencyKey, wfID)))
	}
	rec, err := p.words(wfID)
	if err != nil {
		return err
	}
	for _, w := range rec.all {
		p.ops = append(p.ops, del(postingKey(w, f.CreateTime, wfID)))
	}
	if !rec.empty() {
		p.ops = append(p.ops, del(wordsKey(wfID)))
	}
	p.wordRecs[wfID] = &wordRecord{}
	return nil
}

// encodeIndex appends the index fields to an encoded head.
func (f *indexFields) encode(b []byte) []byte {
	b = append(b, indexFormat)
	for _, s := range []string{f.Name, f.Status, f.CorrelationID, f.IdempotencyKey} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendVarint(b, int64(f.Version))
	b = binary.AppendVarint(b, f.CreateTime)
	b = binary.AppendVarint(b, f.EndTime)
	b = binary.AppendVarint(b, f.UpdateTime)
	b = binary.BigEndian.AppendUint64(b, f.InputHash)
	return binary.BigEndian.AppendUint64(b, f.TextHash)
}

// indexFormat is the first byte of the index fields in a head.
const indexFormat = 1

func decodeIndex(b []byte) (*indexFields, error) {
	if len(b) == 0 || b[0] != indexFormat {
		return nil, errors.New("unknown index format")
	}
	b = b[1:]
	f := &indexFields{}
	for _, s := range []*string{&f.Name, &f.Status, &f.CorrelationID, &f.IdempotencyKey} {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, errors.New("bad index fields")
		}
		*s = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	for _, v := range []*int64{nil, &f.CreateTime, &f.EndTime, &f.UpdateTime} {
		x, n := binary.Varint(b)
		if n <= 0 {
			return nil, errors.New("bad index fields")
		}
		if v == nil {
			f.Version = int(x)
		} else {
			*v = x
		}
		b = b[n:]
	}
	if len(b) != 16 {
		return nil, fmt.Errorf("bad index fields: %d bytes of hashes, want 16", len(b))
	}
	f.InputHash = binary.BigEndian.Uint64(b)
	f.TextHash = binary.BigEndian.Uint64(b[8:])
	return f, nil
}
