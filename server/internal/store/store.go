// Package store defines the persistence seam of the engine: a semantic
// interface whose methods say what happens to workflows and tasks, never how
// they are kept. It is not a public API; it changes whenever the engine
// needs it to.
//
// Every implementation passes the conformance suite in storetest. The
// Badger implementation is in badgerstore.
//
// What a Commit writes, it writes in one transaction: the workflow record,
// the tasks it created or changed, the indexes derived from them (which tasks
// are active, when the workflow wants to be looked at again), history events
// and task logs. Queues and timers are therefore never apart from the state
// they belong to: the engine rebuilds its in-memory queues from ActiveTasks
// and its timer from NextWake.
//
// The indexes that ExecutionSearch reads are written by the same
// transactions as the executions they index, so a search sees every
// committed change and nothing else; no background job maintains them.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/batonhq/baton/sdk/workflow"
)

// Errors every implementation returns, wrapped with context.
var (
	// ErrNotFound: the named record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a record that must be new exists already.
	ErrExists = errors.New("already exists")
	// ErrConflict: the record changed since the caller read it.
	ErrConflict = errors.New("changed concurrently")
	// ErrInvalid: the request cannot be carried out as asked (a malformed
	// query or cursor); the message says what was wrong.
	ErrInvalid = errors.New("invalid request")
)

// Store keeps definitions, executions and everything derived from them.
// Implementations are safe for concurrent use.
type Store interface {
	ScheduleStore
	PluginStore

	DeadLetters
	// TaskDefPut creates or replaces task definitions, all or none.
	TaskDefPut(ctx context.Context, defs []*workflow.TaskDef) error
	// TaskDefGet returns a task definition or ErrNotFound.
	TaskDefGet(ctx context.Context, name string) (*workflow.TaskDef, error)
	// TaskDefList returns every task definition sorted by name.
	TaskDefList(ctx context.Context) ([]*workflow.TaskDef, error)
	// TaskDefDelete removes a task definition or returns ErrNotFound.
	TaskDefDelete(ctx context.Context, name string) error

	// WorkflowDefPut stores one version of a workflow definition (Def.Version
	// must be at least 1). An existing version is replaced only with
	// Overwrite; otherwise ErrExists.
	WorkflowDefPut(ctx context.Context, p *WorkflowDefPutParams) error
	// WorkflowDefGet returns a version of a definition, the latest when
	// version is 0, or ErrNotFound.
	WorkflowDefGet(ctx context.Context, name string, version int) (*workflow.WorkflowDef, error)
	// WorkflowDefList returns every version of every definition, sorted by
	// name then version.
	WorkflowDefList(ctx context.Context) ([]*workflow.WorkflowDef, error)
	// WorkflowDefDelete removes one version or returns ErrNotFound.
	WorkflowDefDelete(ctx context.Context, name string, version int) error

	// ExecutionGet returns an execution with all its tasks sorted by Seq, or
	// ErrNotFound.
	ExecutionGet(ctx context.Context, id string) (*Execution, error)
	// TaskGet returns one task of any execution, or ErrNotFound.
	TaskGet(ctx context.Context, taskID string) (*workflow.Task, error)

	// Commit applies transitions atomically: all of them or none. Each is
	// guarded by the version the caller read (ErrConflict, or ErrExists when
	// Version is 0 and the execution exists). Commit returns only when the
	// write is as durable as the store's sync mode promises; concurrent calls
	// may share one durable write (group commit), but a failed guard fails
	// only its own call.
	Commit(ctx context.Context, ts ...*Transition) error

	// TaskLogAppend adds lines to task execution logs.
	TaskLogAppend(ctx context.Context, logs []workflow.TaskExecLog) error
	// TaskLogList returns the log lines of a task, oldest first.
	TaskLogList(ctx context.Context, taskID string) ([]workflow.TaskExecLog, error)
	// HistoryList returns the history of an execution, oldest first.
	HistoryList(ctx context.Context, workflowID string) ([]Event, error)

	// ActiveTasks calls fn for every task, of every execution, whose status
	// is not terminal. It is how the engine rebuilds its queues at start-up.
	ActiveTasks(ctx context.Context, fn func(*workflow.Task) error) error
	// DueWorkflows returns up to limit executions whose WakeAt is at or
	// before now, earliest first.
	DueWorkflows(ctx context.Context, now time.Time, limit int) ([]Wake, error)
	// NextWake returns the earliest WakeAt of any execution; ok is false when
	// none is set.
	NextWake(ctx context.Context) (at time.Time, ok bool, err error)

	// EventHandlerPut creates or replaces an event handler (by name).
	EventHandlerPut(ctx context.Context, h *workflow.EventHandler) error
	// EventHandlerGet returns an event handler or ErrNotFound.
	EventHandlerGet(ctx context.Context, name string) (*workflow.EventHandler, error)
	// EventHandlerList returns every event handler sorted by name.
	EventHandlerList(ctx context.Context) ([]*workflow.EventHandler, error)
	// EventHandlerDelete removes an event handler or returns ErrNotFound.
	EventHandlerDelete(ctx context.Context, name string) error

	// Messages calls fn for every message sent by a committed transition
	// and not yet acknowledged, in the order of their ids. It is how the
	// engine finds, at start-up, the work between executions that a crash
	// interrupted.
	Messages(ctx context.Context, fn func(*Message) error) error

	// Close releases the store. Nothing may be called after it.
	Close() error

	// ExecutionSearch returns one page of the executions that match q, in
	// the order q asks for, or an error wrapping ErrInvalid for a query it
	// cannot run (see ExecutionQuery). It is served by indexes kept in the
	// same transactions as the executions, and reads one snapshot.
	ExecutionSearch(ctx context.Context, q ExecutionQuery) (*ExecutionPage, error)
	// ExecutionRemove deletes an execution with everything of it: its
	// tasks (and their place in ActiveTasks), task logs, history, wake-up
	// time, definition snapshot, input and index entries; or it returns
	// ErrNotFound. The removal is atomic for every reader, however large
	// the execution: once it returns, nothing of the execution is found,
	// and before, all of it is; a store may delete a large execution's keys
	// in several transactions behind that, finishing after a crash when it
	// is opened again, and refuse to create an execution under the id
	// (ErrExists) until it has. Messages sent to or by the
	// execution are left (they are addressed by id, and the engine drops
	// one for an execution that is gone). It is serialized with Commit: a
	// Commit computed from any version of the removed execution fails with
	// ErrNotFound, while a Commit that creates it (Version 0) creates a new
	// execution under the same id.
	ExecutionRemove(ctx context.Context, id string) error
	// TaskSearch returns one page of the tasks that match q (see
	// TaskQuery), from indexes kept in the same transactions as the tasks.
	TaskSearch(ctx context.Context, q TaskQuery) (*TaskPage, error)
	// ExecutionCounts returns how many executions there are in each status,
	// in one snapshot; a status with none may be left out. The engine
	// calls it once at start-up and keeps the counts itself afterwards, so
	// a store may count index entries rather than keep counters that every
	// commit would rewrite; it should not decode every execution.
	ExecutionCounts(ctx context.Context) (map[workflow.Status]int64, error)
}

// WorkflowDefPutParams are the arguments of Store.WorkflowDefPut.
type WorkflowDefPutParams struct {
	Def       *workflow.WorkflowDef
	Overwrite bool
}

// Execution is a stored workflow execution.
type Execution struct {
	// Workflow is the execution with its tasks.
	Workflow *workflow.Workflow
	// Version counts the commits of this execution; pass it back in the next
	// Transition.
	Version uint64
	// WakeAt is when the engine asked to look at the execution again.
	WakeAt time.Time
}

// Transition is one atomic change of one execution, with the messages it
// sends to other executions and the messages it consumed.
type Transition struct {
	// Workflow is the new state of the execution record, or nil for a
	// transition that only sends and acknowledges messages (Version, WakeAt,
	// Tasks, Removed, History and Logs must then be empty, and Send or Ack
	// not). Its Tasks field is ignored: changed tasks go in Tasks. Its
	// WorkflowDefinition, the snapshot the execution runs, and its Input are
	// stored when the execution is created (Version 0) and ignored
	// afterwards: neither changes during a run, and a store need not encode
	// them again with every transition. The Input is stored again when
	// InputChanged is set (a rerun with new input), the definition when
	// DefinitionChanged is (a restart on the latest definition).
	Workflow *workflow.Workflow
	// Version is the version the change was computed from; 0 creates the
	// execution. The stored version becomes Version+1.
	Version uint64
	// WakeAt is when the engine wants to look at the execution again (the
	// next timeout, retry or timer); zero for never.
	WakeAt time.Time
	// Tasks are the tasks this transition created or changed.
	Tasks []*workflow.Task
	// History is appended to the execution's history.
	History []Event
	// Logs are appended to task logs.
	Logs []workflow.TaskExecLog
	// Removed are tasks deleted from the execution, with their logs (a
	// DO_WHILE's old iterations under keepLastN). They need only TaskID and
	// Seq. Removing a task that is not stored is not an error; removing a
	// task of another execution is. A task both in Tasks and in Removed is
	// removed, and the transition's Logs for it are not written.
	Removed []*workflow.Task
	// Send are messages to store until acknowledged. Their ids must be new.
	Send []*Message
	// Ack are the ids of messages this transition consumed; they are
	// deleted with it. An id that is not stored (acknowledged already) fails
	// the transition with ErrConflict, so a message is consumed once.
	Ack []string
	// InputChanged says that Workflow.Input is new and must be stored
	// (and indexed for ExecutionSearch's FreeText) again, as a rerun with
	// new input does. Without it the input of a transition that does not
	// create the execution is ignored. It needs a Workflow.
	InputChanged bool
	// DefinitionChanged says that Workflow.WorkflowDefinition is new and
	// must be stored again, as a restart on the latest definition does.
	// It needs a Workflow with a WorkflowDefinition.
	DefinitionChanged bool
}

// Message is work one execution leaves for another (or for a new one),
// written in the sender's transition and deleted in the transition that
// carries it out: starting a sub-workflow, reporting a child's end to its
// parent, terminating a child, an event handler's action.
type Message struct {
	// ID is unique; ids sort in the order messages are to be handled.
	ID string `json:"id"`
	// Kind says what the message asks for; the engine defines the kinds.
	Kind string `json:"kind"`
	// WorkflowID is the execution the message is for, if any.
	WorkflowID string `json:"workflowId,omitempty"`
	// Body is the kind's payload, JSON.
	Body json.RawMessage `json:"body,omitempty"`
	// Time is when it was sent, Unix milliseconds.
	Time int64 `json:"time"`
}

// Event is one entry in an execution's history.
type Event struct {
	// Time is Unix milliseconds.
	Time int64 `json:"time"`
	// Type names what happened, such as WORKFLOW_STARTED or TASK_COMPLETED.
	Type string `json:"type"`
	// TaskID is the task concerned, if any.
	TaskID string `json:"taskId,omitempty"`
	// Detail is a short human-readable note.
	Detail string `json:"detail,omitempty"`
}

// Wake names an execution whose WakeAt has come.
type Wake struct {
	WorkflowID string
	At         time.Time
}

// SortField is what ExecutionSearch orders executions by.
type SortField string

// The orders of ExecutionSearch.
const (
	// SortCreateTime orders by Workflow.CreateTime; the default.
	SortCreateTime SortField = "createTime"
	// SortEndTime orders by Workflow.EndTime, then CreateTime: executions
	// that have not ended have 0 and come last when newest first, newest
	// created first.
	SortEndTime SortField = "endTime"
	// SortUpdateTime orders by Workflow.UpdateTime.
	SortUpdateTime SortField = "updateTime"
)

// String returns the field's name.
func (f SortField) String() string { return string(f) }

// Limits of ExecutionQuery.
const (
	// DefaultSearchLimit is the page size when ExecutionQuery.Limit is 0.
	DefaultSearchLimit = 100
	// MaxSearchLimit is the largest ExecutionQuery.Limit.
	MaxSearchLimit = 1000
	// MaxSearchWords is the most words ExecutionQuery.FreeText may hold.
	MaxSearchWords = 16
	// SearchWordsPerField is how many distinct words of each of an
	// execution's input, output, variables and reasonForIncompletion a
	// store indexes at least: the first ones, in the order of ValueWords.
	SearchWordsPerField = 256
	// MaxWordBytes is the length at which words are cut, in bytes (at a
	// character boundary), when indexed and when searched.
	MaxWordBytes = 64
)

// ExecutionQuery selects executions for ExecutionSearch. The zero value
// matches every execution, newest first. An execution matches when it
// matches every field that is set.
//
// A query that cannot be run fails with an error wrapping ErrInvalid:
// Limit negative or over MaxSearchLimit, Version without Name or negative,
// a negative time, an empty time range (From at or after To), a status that
// is not one of workflow's statuses, an unknown SortBy, FreeText with no
// word or more than MaxSearchWords, or a Cursor that is malformed or was
// returned for a query with other filters or another order.
type ExecutionQuery struct {
	// Name is the workflow name.
	Name string
	// Version is the workflow version; 0 for any. It needs Name.
	Version int
	// Statuses match an execution with any of them.
	Statuses []workflow.Status
	// CorrelationID matches exactly.
	CorrelationID string
	// IdempotencyKey matches exactly.
	IdempotencyKey string
	// StartFrom and StartTo select executions whose CreateTime is in
	// [StartFrom, StartTo), Unix milliseconds; 0 leaves that end open.
	StartFrom, StartTo int64
	// EndFrom and EndTo select executions whose EndTime is in [EndFrom,
	// EndTo), Unix milliseconds; 0 leaves that end open. Setting either
	// matches only executions that have ended (EndTime above 0).
	EndFrom, EndTo int64
	// FreeText matches executions in which every one of its words occurs
	// as a word of the input, the output, the variables or the
	// reasonForIncompletion (see Words and ValueWords: case does not
	// matter, a word matches whole words only, and keys, strings, numbers
	// and booleans all have words). Only the first SearchWordsPerField
	// distinct words of each of the four are sure to be found. Blank is
	// the same as empty.
	FreeText string
	// SortBy orders the executions; SortCreateTime when empty. Ties are
	// broken by workflow id (after CreateTime for SortEndTime).
	SortBy SortField
	// Ascending orders oldest first; the default is newest first (ties
	// too: in descending id order).
	Ascending bool
	// Limit is the page size: DefaultSearchLimit when 0, at most
	// MaxSearchLimit.
	Limit int
	// Cursor continues a search where the previous page ended: pass
	// ExecutionPage.Next with the same query (Limit may differ). It holds
	// the position in the order (sort value and workflow id), so no
	// execution is returned twice, and none is skipped, by one pass over
	// the pages, unless it changed meanwhile in a way that moves it in the
	// order or makes it match or not.
	Cursor string
}

// ExecutionPage is one page of ExecutionSearch.
type ExecutionPage struct {
	// Executions are the executions of the page, without their tasks and
	// without their definition snapshot; input, output and variables are
	// included.
	Executions []*workflow.Workflow
	// Next is the cursor of the next page; empty when this page is the
	// last.
	Next string
}

// Words returns the distinct words of s, in the order they first occur: the
// longest runs of letters and digits (Unicode), lowercased, each cut at
// MaxWordBytes bytes. It is how ExecutionQuery.FreeText is read, and how
// the strings of an execution are split for it.
func Words(s string) []string {
	var words []string
	return appendWords(words, s, map[string]bool{}, -1)
}

// ValueWords returns the first limit distinct words (all if limit < 0) of a
// JSON value as the encoding/json decoder makes it (maps, slices, strings,
// json.Number, float64, bool, nil), in this order: an object's keys in
// sorted order, each followed by the words of its value; an array's
// elements in order; the text of strings, numbers and booleans as JSON
// writes them (null has no word). Other Go values are taken as their JSON
// encoding.
func ValueWords(v any, limit int) []string {
	w := valueWalker{seen: map[string]bool{}, limit: limit}
	w.walk(v)
	return w.words
}

type valueWalker struct {
	words []string
	seen  map[string]bool
	limit int
}

func (w *valueWalker) full() bool { return w.limit >= 0 && len(w.words) >= w.limit }

func (w *valueWalker) text(s string) {
	if !w.full() {
		w.words = appendWords(w.words, s, w.seen, w.limit)
	}
}

func (w *valueWalker) walk(v any) {
	if w.full() {
		return
	}
	switch v := v.(type) {
	case nil:
	case string:
		w.text(v)
	case json.Number:
		w.text(string(v))
	case bool:
		w.text(strconv.FormatBool(v))
	case float64:
		data, _ := json.Marshal(v)
		w.text(string(data))
	case int:
		w.text(strconv.Itoa(v))
	case int64:
		w.text(strconv.FormatInt(v, 10))
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			w.text(k)
			w.walk(v[k])
		}
	case []any:
		for _, e := range v {
			w.walk(e)
		}
	default:
		// Typed values (map[string]string, []string, structs...) are read
		// as the decoder would read their JSON.
		data, err := json.Marshal(v)
		if err != nil {
			return
		}
		var decoded any
		if err := workflow.Decode(data, &decoded); err != nil {
			return
		}
		w.walk(decoded)
	}
}

// appendWords appends the words of s not in seen to words, up to limit
// words in all (no bound if limit < 0), and marks them seen.
func appendWords(words []string, s string, seen map[string]bool, limit int) []string {
	add := func(word string) bool {
		if len(word) > MaxWordBytes {
			cut := MaxWordBytes
			for cut > 0 && !utf8.RuneStart(word[cut]) {
				cut--
			}
			word = word[:cut]
		}
		if !seen[word] {
			seen[word] = true
			words = append(words, word)
		}
		return limit < 0 || len(words) < limit
	}
	start := -1 // start of the current word in s, -1 outside one
	lower := true
	for i, r := range s {
		if r < utf8.RuneSelf {
			c := byte(r)
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
				if start < 0 {
					start, lower = i, true
				}
				continue
			case c >= 'A' && c <= 'Z':
				if start < 0 {
					start = i
				}
				lower = false
				continue
			}
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			if unicode.ToLower(r) != r {
				lower = false
			}
			continue
		}
		if start >= 0 {
			if !add(lowerWord(s[start:i], lower)) {
				return words
			}
			start = -1
		}
	}
	if start >= 0 {
		add(lowerWord(s[start:], lower))
	}
	return words
}

func lowerWord(w string, lower bool) string {
	if lower {
		return w
	}
	b := make([]byte, 0, len(w))
	for _, r := range w {
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return string(b)
}

// TaskQuery selects task attempts for TaskSearch, ordered by ScheduledTime
// then task id, newest first unless Ascending. The zero value matches every
// task. A task matches when it matches every field that is set.
//
// A query that cannot be run fails with an error wrapping ErrInvalid:
// Limit negative or over MaxSearchLimit, a status that is not a task
// status, a negative time, an empty time range, FreeText with no word or
// more than MaxSearchWords, or a Cursor that is malformed or was returned
// for another query.
type TaskQuery struct {
	// TaskType is Task.TaskType (the task definition name of a SIMPLE
	// task).
	TaskType string
	// Statuses match a task with any of them.
	Statuses []workflow.TaskStatus
	// WorkflowName is the name of the task's workflow: Task.WorkflowType,
	// or the execution's name for a task that has none.
	WorkflowName string
	// WorkflowID is the id of the task's execution.
	WorkflowID string
	// Ranges, [From, To) in Unix milliseconds, 0 leaving that end open, of
	// the scheduled, start, end and update times. A start or end range
	// matches only tasks whose time is set (above 0).
	ScheduledFrom, ScheduledTo int64
	StartFrom, StartTo         int64
	EndFrom, EndTo             int64
	UpdateFrom, UpdateTo       int64
	// FreeText matches tasks in which every one of its words occurs in the
	// reasonForIncompletion (see Words; only its first SearchWordsPerField
	// distinct words are sure to be found). Blank is the same as empty.
	FreeText string
	// Ascending orders oldest first.
	Ascending bool
	// Limit is the page size: DefaultSearchLimit when 0, at most
	// MaxSearchLimit.
	Limit int
	// Cursor continues a search where the previous page ended: TaskPage.Next
	// with the same query (Limit may differ).
	Cursor string
}

// TaskPage is one page of TaskSearch.
type TaskPage struct {
	// Tasks are the tasks of the page, as TaskGet returns them.
	Tasks []*workflow.Task
	// Next is the cursor of the next page; empty when this page is the
	// last.
	Next string
}
