package badgerstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

var errClosed = errors.New("badgerstore: the store is closed")

// head is the small record the committer reads to check a transition's
// guard and to update the indexes, kept apart from the workflow so that the
// committer never decodes a whole workflow.
type head struct {
	// Version counts the commits of the execution.
	Version uint64
	// WakeAt is in Unix nanoseconds, 0 for none; it names the wake-index
	// entry to remove when it changes.
	WakeAt int64
	// History is the number of history records (one per transition that
	// had events), the index of the next one.
	History uint64
	// Index holds the fields the execution's search index entries were
	// derived from; nil in a head written before the store kept indexes.
	Index *indexFields
}

// taskRef is the value of the task-id index: where the task's record is.
type taskRef struct {
	WorkflowID string
	Seq        int
	// Index holds the fields the task's search index entries were
	// derived from; nil in a record written before the store kept them.
	Index *taskFields
}

// call is one Commit or TaskLogAppend waiting for the committer. Its values
// are encoded by the caller, so the committer only reads guards and writes.
type call struct {
	ctx  context.Context
	txs  []*transition
	logs []logLine
	// remove is the id of an execution to delete (ExecutionRemove), and
	// finish that of one whose removal goes on (remove.go); such a call
	// has nothing else. more says, once the call is answered, that the
	// removal is not finished.
	remove, finish string
	more           bool
	// dead plans a move to or from the dead-letter list (deadletter.go);
	// such a call has nothing else.
	dead func(*planner) error
	size int
	// done receives the outcome once, after the batch holding the call is
	// committed (or the call failed on its own).
	done chan error
}

// transition is an encoded store.Transition. wfID is empty for one that
// only sends and acknowledges messages.
type transition struct {
	wfID     string
	version  uint64
	wakeAt   int64
	workflow []byte
	// snapshot and input are the encoded definition snapshot and workflow
	// input, written when the execution is created.
	snapshot []byte
	input    []byte
	// index is what the search indexes are derived from.
	index   *indexWrite
	tasks   []taskWrite
	removed []string // ids of the tasks to delete
	history []byte   // the transition's events, one JSON array
	logs    []logLine
	ack     []string // ids of the messages to delete
	send    []messageWrite
}

type taskWrite struct {
	id     string
	seq    int
	active bool
	value  []byte
	index  *taskFields
}

type logLine struct {
	taskID string
	value  []byte
}

type messageWrite struct {
	id    string
	value []byte
}

// Commit implements store.Store. The transitions are encoded here, in the
// caller's goroutine, then handed to the committer (see committer.go).
func (s *Store) Commit(ctx context.Context, ts ...*store.Transition) error {
	if len(ts) == 0 {
		return nil
	}
	c := &call{ctx: ctx, done: make(chan error, 1)}
	for i, t := range ts {
		p, err := prepareTransition(t, s.maxValueSize)
		if err != nil {
			return fmt.Errorf("commit transition %d: %w", i, err)
		}
		c.txs = append(c.txs, p)
		c.size += p.size()
	}
	return s.send(ctx, c)
}

// TaskLogAppend implements store.Store. Log lines go through the committer
// too, which keeps their per-task counters.
func (s *Store) TaskLogAppend(ctx context.Context, logs []workflow.TaskExecLog) error {
	if len(logs) == 0 {
		return nil
	}
	lines, err := prepareLogs(logs, s.maxValueSize)
	if err != nil {
		return fmt.Errorf("append task logs: %w", err)
	}
	c := &call{ctx: ctx, logs: lines, done: make(chan error, 1)}
	for _, l := range lines {
		c.size += len(l.value) + len(l.taskID)
	}
	return s.send(ctx, c)
}

// send queues c for the committer and waits for its outcome. Once queued, it
// waits for the truth even if ctx ends: a batch is short, and "cancelled"
// must not be said of a write that then happens.
func (s *Store) send(ctx context.Context, c *call) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return errClosed
	}
	select {
	case s.calls <- c:
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	s.closeMu.RUnlock()
	return <-c.done
}

// prepareTransition validates and encodes t. Encoded values may not exceed
// limit bytes, unless it is 0.
func prepareTransition(t *store.Transition, limit int) (*transition, error) {
	if t == nil {
		return nil, errors.New("nil transition")
	}
	p := &transition{}
	if t.Workflow != nil {
		var err error
		if p, err = prepareExecution(t, limit); err != nil {
			return nil, err
		}
	} else if err := checkMessagesOnly(t); err != nil {
		return nil, err
	}
	for _, id := range t.Ack {
		if err := checkName("acknowledged message id", id); err != nil {
			return nil, err
		}
	}
	p.ack = slices.Clone(t.Ack)
	for _, m := range t.Send {
		if m == nil {
			return nil, errors.New("nil message")
		}
		if err := checkName("message id", m.ID); err != nil {
			return nil, err
		}
		data, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode message %s: %w", m.ID, err)
		}
		if err := checkSize("message "+m.ID, data, limit); err != nil {
			return nil, err
		}
		p.send = append(p.send, messageWrite{id: m.ID, value: data})
	}
	return p, nil
}

// checkMessagesOnly refuses a transition without a workflow that does more
// than pass messages on, or nothing at all: it is more likely a transition
// whose workflow was forgotten than one meant to do nothing.
func checkMessagesOnly(t *store.Transition) error {
	var set []string
	if t.Version != 0 {
		set = append(set, "Version")
	}
	if !t.WakeAt.IsZero() {
		set = append(set, "WakeAt")
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"Tasks", len(t.Tasks)}, {"Removed", len(t.Removed)}, {"History", len(t.History)}, {"Logs", len(t.Logs)}} {
		if f.n > 0 {
			set = append(set, f.name)
		}
	}
	if len(set) > 0 {
		return fmt.Errorf("a transition without a workflow may only send and acknowledge messages, but it sets %s",
			strings.Join(set, ", "))
	}
	if t.InputChanged || t.DefinitionChanged {
		return errors.New("a transition without a workflow cannot change its input or definition (InputChanged, DefinitionChanged)")
	}
	if len(t.Send) == 0 && len(t.Ack) == 0 {
		return errors.New("a transition without a workflow must send or acknowledge messages")
	}
	return nil
}

// prepareExecution encodes what t changes of its execution: the workflow
// record, its tasks, history and logs. A task both written and removed is
// removed: neither it nor its log lines of t are written.
func prepareExecution(t *store.Transition, limit int) (*transition, error) {
	id := t.Workflow.WorkflowID
	if err := checkName("workflow id", id); err != nil {
		return nil, err
	}
	w := *t.Workflow
	w.Tasks = nil
	// The definition snapshot and the input never change after the start:
	// they are kept apart and written once, so that transitions do not
	// encode them again (a fan-out's input can list every branch).
	w.WorkflowDefinition = nil
	w.Input = nil
	data, err := json.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("encode workflow %s: %w", id, err)
	}
	if err := checkSize("workflow "+id, data, limit); err != nil {
		return nil, err
	}
	p := &transition{wfID: id, version: t.Version, wakeAt: nanos(t.WakeAt), workflow: data}
	if t.DefinitionChanged && t.Workflow.WorkflowDefinition == nil {
		return nil, fmt.Errorf("workflow %s: DefinitionChanged without a WorkflowDefinition", id)
	}
	if (t.Version == 0 || t.DefinitionChanged) && t.Workflow.WorkflowDefinition != nil {
		if p.snapshot, err = json.Marshal(t.Workflow.WorkflowDefinition); err != nil {
			return nil, fmt.Errorf("encode the definition of workflow %s: %w", id, err)
		}
		if err := checkSize("definition of workflow "+id, p.snapshot, limit); err != nil {
			return nil, err
		}
	}
	withInput := t.Version == 0 || t.InputChanged
	if withInput {
		if p.input, err = json.Marshal(t.Workflow.Input); err != nil {
			return nil, fmt.Errorf("encode the input of workflow %s: %w", id, err)
		}
		if err := checkSize("input of workflow "+id, p.input, limit); err != nil {
			return nil, err
		}
	}
	p.index = prepareIndex(t.Workflow, withInput)
	var removed map[string]bool
	for _, task := range t.Removed {
		if task == nil {
			return nil, fmt.Errorf("workflow %s: nil removed task", id)
		}
		if err := checkName("removed task id", task.TaskID); err != nil {
			return nil, fmt.Errorf("workflow %s: %w", id, err)
		}
		if task.WorkflowInstanceID != "" && task.WorkflowInstanceID != id {
			return nil, fmt.Errorf("task %s of workflow %s is removed in a transition of workflow %s", task.TaskID, task.WorkflowInstanceID, id)
		}
		if removed == nil {
			removed = map[string]bool{}
		}
		removed[task.TaskID] = true
		p.removed = append(p.removed, task.TaskID)
	}
	defTasks := definitionTasks(t.Workflow.WorkflowDefinition)
	for _, task := range t.Tasks {
		if task == nil {
			return nil, fmt.Errorf("workflow %s: nil task", id)
		}
		if removed[task.TaskID] {
			continue
		}
		if wt := task.WorkflowTask; wt != nil && snapshotTask(defTasks, task.ReferenceTaskName) == wt {
			// The definition snapshot holds it, where a read of the task
			// finds it: store the task without it, and attach it again when
			// the task is read.
			copied := *task
			copied.WorkflowTask = nil
			task = &copied
		}
		if err := checkName("task id", task.TaskID); err != nil {
			return nil, fmt.Errorf("workflow %s: %w", id, err)
		}
		if task.WorkflowInstanceID != "" && task.WorkflowInstanceID != id {
			return nil, fmt.Errorf("task %s of workflow %s is in a transition of workflow %s", task.TaskID, task.WorkflowInstanceID, id)
		}
		data, err := json.Marshal(task)
		if err != nil {
			return nil, fmt.Errorf("encode task %s: %w", task.TaskID, err)
		}
		if err := checkSize("task "+task.TaskID, data, limit); err != nil {
			return nil, err
		}
		p.tasks = append(p.tasks, taskWrite{id: task.TaskID, seq: task.Seq, active: !task.Status.Terminal(), value: data,
			index: newTaskFields(task, cmp.Or(task.WorkflowType, t.Workflow.WorkflowName))})
	}
	if len(t.History) > 0 {
		// A transition's events are one record: one key per commit, not
		// one per event.
		data, err := json.Marshal(t.History)
		if err != nil {
			return nil, fmt.Errorf("encode history of workflow %s: %w", id, err)
		}
		if err := checkSize("history of workflow "+id, data, limit); err != nil {
			return nil, err
		}
		p.history = data
	}
	if p.logs, err = prepareLogs(t.Logs, limit); err != nil {
		return nil, err
	}
	if removed != nil {
		p.logs = slices.DeleteFunc(p.logs, func(l logLine) bool { return removed[l.taskID] })
	}
	return p, nil
}

func prepareLogs(logs []workflow.TaskExecLog, limit int) ([]logLine, error) {
	lines := make([]logLine, 0, len(logs))
	for _, l := range logs {
		if err := checkName("task id of a log line", l.TaskID); err != nil {
			return nil, err
		}
		data, err := json.Marshal(l)
		if err != nil {
			return nil, fmt.Errorf("encode log of task %s: %w", l.TaskID, err)
		}
		if err := checkSize("log line of task "+l.TaskID, data, limit); err != nil {
			return nil, err
		}
		lines = append(lines, logLine{taskID: l.TaskID, value: data})
	}
	return lines, nil
}

// checkSize refuses a value over limit bytes, which Badger would refuse
// with an error quoting the value.
func checkSize(what string, data []byte, limit int) error {
	if limit > 0 && len(data) > limit {
		return fmt.Errorf("%s is %d bytes encoded; this store keeps at most %d bytes per record", what, len(data), limit)
	}
	return nil
}

// size estimates the bytes the transition writes, to bound a batch.
func (p *transition) size() int {
	n := 5*len(p.wfID) + len(p.workflow) + len(p.snapshot) + len(p.input) + 64
	if p.index != nil {
		// A new execution writes all its index entries; others usually
		// move a few.
		n += 16 * (len(p.wfID) + len(p.index.fields.Name) + 64)
		for _, w := range p.index.input {
			n += len(w) + len(p.wfID) + 16
		}
		for _, w := range p.index.text {
			n += len(w) + len(p.wfID) + 16
		}
	}
	for _, t := range p.tasks {
		n += 3*(len(p.wfID)+len(t.id)) + len(t.value) + 64
	}
	n += len(p.wfID) + len(p.history) + 16
	for _, l := range p.logs {
		n += 2*len(l.taskID) + len(l.value) + 32
	}
	// A removal deletes keys, and as many log lines as the task has, which
	// only the committer knows.
	for _, id := range p.removed {
		n += 3*(len(p.wfID)+len(id)) + 64
	}
	for _, id := range p.ack {
		n += len(id) + 16
	}
	for _, m := range p.send {
		n += len(m.id) + len(m.value) + 16
	}
	return n
}

// op is one write of a planned call: a set, or a delete when del.
type op struct {
	key, value []byte
	del        bool
}

func set(key, value []byte) op { return op{key: key, value: value} }
func del(key []byte) op        { return op{key: key, del: true} }

// planner computes the writes of one call inside the batch transaction. It
// reads through txn, so it sees the writes of the calls before it in the
// batch, and through its own maps, so it sees the call's own earlier
// transitions. It writes nothing: the call's guards are all checked before
// any of its writes reach the transaction.
type planner struct {
	txn   *badger.Txn
	heads map[string]*head
	// refs holds nil for a task removed by the call.
	refs      map[string]*taskRef
	logCounts map[string]uint64
	// messages tells whether a message is stored, as the call left it.
	messages map[string]bool
	// wordRecs holds the word records the call wrote.
	wordRecs map[string]*wordRecord
	ops      []op
}

func newPlanner(txn *badger.Txn) *planner {
	return &planner{
		txn:       txn,
		heads:     map[string]*head{},
		refs:      map[string]*taskRef{},
		logCounts: map[string]uint64{},
		messages:  map[string]bool{},
		wordRecs:  map[string]*wordRecord{},
	}
}

func plan(txn *badger.Txn, c *call) ([]op, error) {
	p := newPlanner(txn)
	if c.remove != "" || c.finish != "" {
		var err error
		if c.remove != "" {
			c.more, err = p.removeExecution(c.remove)
		} else {
			c.more, err = p.finishRemoval(c.finish)
		}
		if err != nil {
			return nil, err
		}
		return p.ops, nil
	}
	if c.dead != nil {
		if err := c.dead(p); err != nil {
			return nil, err
		}
		return p.ops, nil
	}
	for _, t := range c.txs {
		if err := p.transition(t); err != nil {
			return nil, err
		}
	}
	if err := p.appendLogs(c.logs); err != nil {
		return nil, err
	}
	return p.ops, nil
}

func (p *planner) transition(t *transition) error {
	if t.wfID != "" {
		if err := p.execution(t); err != nil {
			return err
		}
	}
	return p.passMessages(t)
}

// execution plans what t changes of its execution, after checking its
// version guard.
func (p *planner) execution(t *transition) error {
	old, err := p.head(t.wfID)
	if err != nil {
		return err
	}
	switch {
	case t.version == 0 && old != nil:
		return fmt.Errorf("create workflow %s: %w", t.wfID, store.ErrExists)
	case t.version == 0:
		// The keys a removal has not deleted yet would be taken for the
		// new execution's.
		removing, err := p.removing(t.wfID)
		if err != nil {
			return err
		}
		if removing {
			return fmt.Errorf("create workflow %s: an execution with this id is being removed; retry in a moment: %w", t.wfID, store.ErrExists)
		}
	case t.version != 0 && old == nil:
		return fmt.Errorf("update workflow %s: %w", t.wfID, store.ErrNotFound)
	case t.version != 0 && old.Version != t.version:
		return fmt.Errorf("update workflow %s from version %d: it is at version %d: %w",
			t.wfID, t.version, old.Version, store.ErrConflict)
	}
	ix, err := p.index(t.wfID, old, t.index)
	if err != nil {
		return err
	}
	if old == nil {
		old = &head{}
	}
	h := &head{Version: t.version + 1, WakeAt: t.wakeAt, History: old.History, Index: ix}

	if old.WakeAt != h.WakeAt {
		if old.WakeAt != 0 {
			p.ops = append(p.ops, del(wakeKey(old.WakeAt, t.wfID)))
		}
		if h.WakeAt != 0 {
			p.ops = append(p.ops, set(wakeKey(h.WakeAt, t.wfID), []byte{}))
		}
	}
	p.ops = append(p.ops, set(workflowKey(t.wfID), t.workflow))
	if t.snapshot != nil {
		p.ops = append(p.ops, set(snapshotKey(t.wfID), t.snapshot))
	}
	if t.input != nil {
		p.ops = append(p.ops, set(inputKey(t.wfID), t.input))
	}

	// No task is both removed and written (prepareExecution saw to it), so
	// the order of the two does not matter.
	for _, id := range t.removed {
		if err := p.removeTask(t.wfID, id); err != nil {
			return err
		}
	}
	for _, task := range t.tasks {
		if err := p.task(t.wfID, task); err != nil {
			return err
		}
	}
	if t.history != nil {
		p.ops = append(p.ops, set(historyKey(t.wfID, h.History), t.history))
		h.History++
	}
	if err := p.appendLogs(t.logs); err != nil {
		return err
	}

	p.ops = append(p.ops, set(headKey(t.wfID), h.encode()))
	p.heads[t.wfID] = h
	return nil
}

func (p *planner) task(wfID string, t taskWrite) error {
	ref, err := p.ref(t.id)
	if err != nil {
		return err
	}
	now := &taskRef{WorkflowID: wfID, Seq: t.seq, Index: t.index}
	switch {
	case ref == nil:
		p.ops = append(p.ops, set(taskIndexKey(t.id), now.encode()))
	case ref.WorkflowID != wfID:
		return fmt.Errorf("write task %s of workflow %s: the id is taken by a task of workflow %s: %w",
			t.id, wfID, ref.WorkflowID, store.ErrExists)
	case ref.Seq != t.seq:
		// The task moved: drop its record and index entry at the old place.
		p.ops = append(p.ops, del(taskKey(wfID, ref.Seq, t.id)), del(activeKey(wfID, ref.Seq, t.id)))
		p.ops = append(p.ops, set(taskIndexKey(t.id), now.encode()))
	case ref.Index == nil || ref.Index.stale(t.index):
		// The search index fields changed: ti/ keeps them.
		p.ops = append(p.ops, set(taskIndexKey(t.id), now.encode()))
	default:
		// ti/ stays as it was, with the status and times of an active
		// task as they were; the active-task entry has them.
		now.Index = ref.Index
	}
	var was *taskFields
	if ref != nil {
		was = ref.Index
	}
	p.indexTask(t.id, was, t.index)
	p.ops = append(p.ops, set(taskKey(wfID, t.seq, t.id), t.value))
	switch {
	case t.active:
		p.ops = append(p.ops, set(activeKey(wfID, t.seq, t.id), t.index.activeValue()))
	case ref != nil:
		// A new task was never in the index; an old one may be.
		p.ops = append(p.ops, del(activeKey(wfID, t.seq, t.id)))
	}
	p.refs[t.id] = now
	return nil
}

// removeTask deletes a task of the execution wfID with its index entries
// and its log lines. The task-id index says where the record is, so the Seq
// the caller gave is not needed. Removing a task that is not stored is not
// an error (its log lines, if any, are deleted all the same); removing one
// of another execution is.
func (p *planner) removeTask(wfID, taskID string) error {
	ref, err := p.ref(taskID)
	if err != nil {
		return err
	}
	if ref != nil {
		if ref.WorkflowID != wfID {
			return fmt.Errorf("remove task %s from workflow %s: it is a task of workflow %s", taskID, wfID, ref.WorkflowID)
		}
		p.ops = append(p.ops,
			del(taskKey(wfID, ref.Seq, taskID)),
			del(activeKey(wfID, ref.Seq, taskID)),
			del(taskIndexKey(taskID)))
		p.indexTask(taskID, ref.Index, nil)
	}
	return p.forgetTask(taskID)
}

// forgetTask deletes a removed task's log lines and clears what the planner
// cached of it.
func (p *planner) forgetTask(taskID string) error {
	n, err := p.logCount(taskID)
	if err != nil {
		return err
	}
	for i := range n {
		p.ops = append(p.ops, del(logKey(taskID, i)))
	}
	if n > 0 {
		p.ops = append(p.ops, del(logCountKey(taskID)))
	}
	p.refs[taskID] = nil
	p.logCounts[taskID] = 0
	return nil
}

func (p *planner) appendLogs(lines []logLine) error {
	for _, l := range lines {
		n, err := p.logCount(l.taskID)
		if err != nil {
			return err
		}
		p.ops = append(p.ops, set(logKey(l.taskID, n), l.value))
		n++
		p.ops = append(p.ops, set(logCountKey(l.taskID), strconv.AppendUint(nil, n, 10)))
		p.logCounts[l.taskID] = n
	}
	return nil
}

// passMessages deletes the messages t acknowledges, each of which must be
// stored (ErrConflict otherwise: another transition consumed it), then
// stores those it sends, each of which must be new (ErrExists).
func (p *planner) passMessages(t *transition) error {
	for _, id := range t.ack {
		ok, err := p.message(id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("acknowledge message %s: it is not stored (acknowledged already?): %w", id, store.ErrConflict)
		}
		p.ops = append(p.ops, del(messageKey(id)))
		p.messages[id] = false
	}
	for _, m := range t.send {
		ok, err := p.message(m.id)
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("send message %s: %w", m.id, store.ErrExists)
		}
		p.ops = append(p.ops, set(messageKey(m.id), m.value))
		p.messages[m.id] = true
	}
	return nil
}

// head returns the execution's head as this call sees it, nil if none.
func (p *planner) head(wfID string) (*head, error) {
	if h, ok := p.heads[wfID]; ok {
		return h, nil
	}
	return getHead(p.txn, wfID)
}

// ref returns where a task is as this call sees it, nil if nowhere.
func (p *planner) ref(taskID string) (*taskRef, error) {
	if r, ok := p.refs[taskID]; ok {
		return r, nil
	}
	return getRef(p.txn, taskID)
}

// logCount returns the number of log lines of a task as this call sees it.
func (p *planner) logCount(taskID string) (uint64, error) {
	if n, ok := p.logCounts[taskID]; ok {
		return n, nil
	}
	item, err := p.txn.Get(logCountKey(taskID))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read log count of task %s: %w", taskID, err)
	}
	var n uint64
	err = item.Value(func(v []byte) error {
		var perr error
		n, perr = strconv.ParseUint(string(v), 10, 64)
		return perr
	})
	if err != nil {
		return 0, fmt.Errorf("read log count of task %s: %w", taskID, err)
	}
	return n, nil
}

// message reports whether a message is stored as this call sees it.
func (p *planner) message(id string) (bool, error) {
	if ok, seen := p.messages[id]; seen {
		return ok, nil
	}
	_, err := p.txn.Get(messageKey(id))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, badger.ErrKeyNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("read message %s: %w", id, err)
	}
}

// getJSON decodes the value of key into v; ok is false when there is none.
func getJSON(txn *badger.Txn, key []byte, v any) (ok bool, err error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %q: %w", key, err)
	}
	if err := item.Value(func(val []byte) error { return workflow.Decode(val, v) }); err != nil {
		return false, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

// apply writes ops to txn. On error txn holds some of them and must be
// discarded.
func apply(txn *badger.Txn, ops []op) error {
	for _, o := range ops {
		var err error
		if o.del {
			err = txn.Delete(o.key)
		} else {
			err = txn.Set(o.key, o.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
