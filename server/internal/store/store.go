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
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

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
)

// Store keeps definitions, executions and everything derived from them.
// Implementations are safe for concurrent use.
type Store interface {
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
	// them again with every transition.
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
