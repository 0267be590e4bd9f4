package badgerstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// The task search indexes (doc.go shows their keys) are derived, like the
// execution indexes, from a task's indexed fields before and after each
// write: the old ones are kept in the task's ti/ record, which the
// committer reads for every task it writes anyway, so a write that changes
// none of them (a heartbeat, a poll count) moves no entry, and one that
// changes the status moves at most one. Every entry is empty and ordered by
// scheduled time, then task id, but those of the end-time index (ye/),
// ordered by end time: a task writes it once, when it ends. Searches check
// every condition against the fields in ti/.

// taskFields are the fields of a task that its index entries are derived
// from, kept in its ti/ record.
type taskFields struct {
	TaskType      string
	Status        string
	WorkflowName  string
	ScheduledTime int64
	StartTime     int64
	EndTime       int64
	UpdateTime    int64
	// Words are the sorted distinct words of the reasonForIncompletion
	// (the first SearchWordsPerField), each with a posting.
	Words []string
}

func newTaskFields(t *workflow.Task, workflowName string) *taskFields {
	f := &taskFields{
		TaskType:      t.TaskType,
		Status:        string(t.Status),
		WorkflowName:  workflowName,
		ScheduledTime: t.ScheduledTime,
		StartTime:     t.StartTime,
		EndTime:       t.EndTime,
		UpdateTime:    t.UpdateTime,
	}
	if t.ReasonForIncompletion != "" {
		f.Words = sortedWords(store.ValueWords(t.ReasonForIncompletion, store.SearchWordsPerField))
	}
	return f
}

// stale reports whether a task's ti/ record, holding f, must be rewritten
// for a write of the task with fields g: when any of g differs, but that
// the status (between the active ones), start and update times of an
// active task are kept in its active-task entry (ac/), which every write of
// an active task rewrites anyway. A task's ti/ record is therefore written
// when it is created, when it ends and when an entry moves, not when it is
// polled or heartbeats.
func (f *taskFields) stale(g *taskFields) bool {
	if activeStatus(g.Status) {
		return !activeStatus(f.Status) || !f.sameEntries(g)
	}
	return f.TaskType != g.TaskType || f.Status != g.Status || f.WorkflowName != g.WorkflowName ||
		f.ScheduledTime != g.ScheduledTime || f.StartTime != g.StartTime || f.EndTime != g.EndTime ||
		f.UpdateTime != g.UpdateTime || !slices.Equal(f.Words, g.Words)
}

// activeValue is the value of an active task's ac/ entry: its status,
// scheduled, start and update times, which its ti/ record may hold older
// values of (but the scheduled time).
func (f *taskFields) activeValue() []byte {
	b := make([]byte, 0, 1+len(f.Status)+30)
	b = binary.AppendUvarint(b, uint64(len(f.Status)))
	b = append(b, f.Status...)
	b = binary.AppendVarint(b, f.ScheduledTime)
	b = binary.AppendVarint(b, f.StartTime)
	return binary.AppendVarint(b, f.UpdateTime)
}

// withActive returns f with the status and times of an ac/ entry's value;
// f itself when the value is empty (written before task indexes).
func (f *taskFields) withActive(v []byte) (*taskFields, error) {
	if len(v) == 0 {
		return f, nil
	}
	l, n := binary.Uvarint(v)
	if n <= 0 || uint64(len(v)-n) < l {
		return nil, errBadTaskFields
	}
	g := *f
	g.Status = string(v[n : n+int(l)])
	v = v[n+int(l):]
	for _, t := range []*int64{&g.ScheduledTime, &g.StartTime, &g.UpdateTime} {
		x, k := binary.Varint(v)
		if k <= 0 {
			return nil, errBadTaskFields
		}
		*t, v = x, v[k:]
	}
	return &g, nil
}

// taskPartitioned reports whether a task status has a partition: the
// statuses a task ends in, but COMPLETED, which most tasks end in. A task
// is therefore in at most one status partition, which it enters once, when
// it ends (or is skipped); the active statuses (SCHEDULED, IN_PROGRESS),
// which every task goes through, move no entry: the active-task index
// (ac/) lists those tasks.
func taskPartitioned(status string) bool {
	return status != string(workflow.TaskCompleted) && !activeStatus(status)
}

// activeStatus reports whether a task in this status is in the active-task
// index.
func activeStatus(status string) bool {
	return !workflow.TaskStatus(status).Terminal()
}

// sameEntries reports whether two versions of a task's fields have the
// same index entries.
func (f *taskFields) sameEntries(g *taskFields) bool {
	return f.TaskType == g.TaskType && f.WorkflowName == g.WorkflowName && f.ScheduledTime == g.ScheduledTime &&
		f.EndTime == g.EndTime && slices.Equal(f.Words, g.Words) &&
		(f.Status == g.Status || !taskPartitioned(f.Status) && !taskPartitioned(g.Status))
}

// Task index prefixes; each continues with the scheduled time and the
// task id.
func taskAllPrefix() []byte                 { return []byte(prefixTaskAll) }
func taskTypePrefix(taskType string) []byte { return scope(prefixTaskType, keyName(taskType)) }
func taskNamePrefix(name string) []byte     { return scope(prefixTaskName, keyName(name)) }
func taskStatusPrefix(st string) []byte     { return scope(prefixTaskStatus, keyName(st)) }
func taskWordPrefix(word string) []byte     { return scope(prefixTaskWord, word) }

// taskEntryKey is prefix, then v (the scheduled or end time) and the task
// id, in one allocation.
func taskEntryKey(prefix []byte, v int64, taskID string) []byte {
	k := make([]byte, 0, len(prefix)+8+len(taskID))
	k = binary.BigEndian.AppendUint64(append(k, prefix...), orderedInt(v))
	return append(k, taskID...)
}

// entries are the keys of a task's index entries.
func (f *taskFields) entries(taskID string) [][]byte {
	if f == nil {
		return nil
	}
	keys := make([][]byte, 0, 5+len(f.Words))
	var buf [128]byte
	scoped := func(prefix, name string) []byte {
		return append(append(append(buf[:0], prefix...), name...), sep)
	}
	keys = append(keys,
		taskEntryKey([]byte(prefixTaskAll), f.ScheduledTime, taskID),
		taskEntryKey(scoped(prefixTaskType, keyName(f.TaskType)), f.ScheduledTime, taskID),
		taskEntryKey(scoped(prefixTaskName, keyName(f.WorkflowName)), f.ScheduledTime, taskID))
	if taskPartitioned(f.Status) {
		keys = append(keys, taskEntryKey(scoped(prefixTaskStatus, keyName(f.Status)), f.ScheduledTime, taskID))
	}
	for _, w := range f.Words {
		keys = append(keys, taskEntryKey(scoped(prefixTaskWord, w), f.ScheduledTime, taskID))
	}
	if f.EndTime > 0 {
		keys = append(keys, taskEntryKey([]byte(prefixTaskEnd), f.EndTime, taskID))
	}
	return keys
}

// indexTask plans the index writes of a task whose fields were was (nil
// for a task not indexed yet) and are now now (nil for a removed task).
func (p *planner) indexTask(taskID string, was, now *taskFields) {
	if was != nil && now != nil && was.sameEntries(now) {
		return
	}
	before, after := was.entries(taskID), now.entries(taskID)
	if was == nil {
		for _, k := range after {
			p.ops = append(p.ops, set(k, []byte{}))
		}
		return
	}
	for _, k := range before {
		if !slices.ContainsFunc(after, func(n []byte) bool { return string(n) == string(k) }) {
			p.ops = append(p.ops, del(k))
		}
	}
	for _, k := range after {
		if !slices.ContainsFunc(before, func(o []byte) bool { return string(o) == string(k) }) {
			p.ops = append(p.ops, set(k, []byte{}))
		}
	}
}

// taskFieldsFormat is the first byte of the fields in a ti/ record.
const taskFieldsFormat = 1

func (f *taskFields) encode(b []byte) []byte {
	b = append(b, taskFieldsFormat)
	for _, s := range []string{f.TaskType, f.Status, f.WorkflowName} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, v := range []int64{f.ScheduledTime, f.StartTime, f.EndTime, f.UpdateTime} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, uint64(len(f.Words)))
	for _, w := range f.Words {
		b = binary.AppendUvarint(b, uint64(len(w)))
		b = append(b, w...)
	}
	return b
}

var errBadTaskFields = errors.New("bad task index fields")

func decodeTaskFields(b []byte) (*taskFields, error) {
	if len(b) == 0 || b[0] != taskFieldsFormat {
		return nil, errors.New("unknown task index format")
	}
	b = b[1:]
	f := &taskFields{}
	str := func() (string, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return "", false
		}
		s := string(b[n : n+int(l)])
		b = b[n+int(l):]
		return s, true
	}
	for _, s := range []*string{&f.TaskType, &f.Status, &f.WorkflowName} {
		var ok bool
		if *s, ok = str(); !ok {
			return nil, errBadTaskFields
		}
	}
	for _, v := range []*int64{&f.ScheduledTime, &f.StartTime, &f.EndTime, &f.UpdateTime} {
		x, n := binary.Varint(b)
		if n <= 0 {
			return nil, errBadTaskFields
		}
		*v, b = x, b[n:]
	}
	nw, n := binary.Uvarint(b)
	if n <= 0 || nw > uint64(len(b)) {
		return nil, errBadTaskFields
	}
	b = b[n:]
	for range nw {
		w, ok := str()
		if !ok {
			return nil, errBadTaskFields
		}
		f.Words = append(f.Words, w)
	}
	if len(b) != 0 {
		return nil, errBadTaskFields
	}
	return f, nil
}

// taskIndexedKey marks a data directory whose tasks are all in the task
// search indexes. Its value is the task fields' format.
var taskIndexedKey = []byte("yv/")

// backfillTaskIndexes indexes, once, the tasks stored before the store
// kept task indexes (their ti/ records have no fields), as
// backfillIndexes does for executions. It runs in Open after it.
func (s *Store) backfillTaskIndexes() error {
	type taskAt struct {
		wfID, taskID string
		seq          int
	}
	done := false
	var tasks []taskAt
	err := s.db.View(func(txn *badger.Txn) error {
		if _, err := txn.Get(taskIndexedKey); err == nil {
			done = true
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		opts := badger.DefaultIteratorOptions
		opts.Prefix, opts.PrefetchValues = []byte(prefixTask), false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			wfID, rest, ok := bytes.Cut(it.Item().Key()[len(prefixTask):], []byte{sep})
			if !ok || len(rest) <= 8 {
				return fmt.Errorf("bad task key %q", it.Item().Key())
			}
			tasks = append(tasks, taskAt{wfID: string(wfID), seq: int(orderedValue(rest)), taskID: string(rest[8:])})
		}
		return nil
	})
	if err != nil || done {
		return err
	}
	for len(tasks) > 0 {
		var n int
		err := s.db.Update(func(txn *badger.Txn) error {
			p := newPlanner(txn)
			for n = 0; n < len(tasks) && len(p.ops) < backfillOps; n++ {
				t := tasks[n]
				ref, err := getRef(txn, t.taskID)
				if err != nil {
					return err
				}
				if ref == nil || ref.Index != nil {
					continue
				}
				var task workflow.Task
				if ok, err := getJSON(txn, taskKey(t.wfID, t.seq, t.taskID), &task); err != nil || !ok {
					return errors.Join(err, fmt.Errorf("the record of task %s is missing", t.taskID))
				}
				name := task.WorkflowType
				if name == "" {
					h, err := getHead(txn, t.wfID)
					if err != nil {
						return err
					}
					if h != nil && h.Index != nil {
						name = h.Index.Name
					}
				}
				ref.Index = newTaskFields(&task, name)
				p.ops = append(p.ops, set(taskIndexKey(t.taskID), ref.encode()))
				p.indexTask(t.taskID, nil, ref.Index)
			}
			return apply(txn, p.ops)
		})
		if err != nil {
			return fmt.Errorf("index tasks stored before task search indexes: %w", err)
		}
		s.logger.Info("indexed tasks stored before task search indexes", "count", n)
		tasks = tasks[n:]
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(taskIndexedKey, []byte{taskFieldsFormat}) })
}
