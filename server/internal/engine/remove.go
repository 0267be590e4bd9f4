package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// Archiver keeps executions that are about to be removed from the store.
// server/internal/archive implements it with files of JSON lines.
type Archiver interface {
	// Write stores the executions, with their tasks, and returns only once
	// they are durable; on error none of them may be taken as kept.
	Write(execs ...*workflow.Workflow) error
}

// Archives reports whether the engine has an archive, which is what
// archiving means by default when a caller does not say (the REST layer's
// archiveWorkflow left out).
func (e *Engine) Archives() bool { return e.cfg.Archive != nil }

// RemoveWorkflow deletes an ended execution from the store with
// everything of it (tasks, logs, history, index entries); with archive, it
// first writes the execution with its tasks and definition snapshot to the
// archive (task logs and history are not archived). It refuses an
// execution that is still running or paused (FailedPrecondition): terminate
// it first, or use TerminateRemove. Asking to archive when the engine has
// no archive is refused too, rather than deleting what the caller wanted
// kept.
//
// The execution's children (sub-workflows) are executions of their own and
// are not removed with it: they may still be running, they are searched for
// and kept by their own name, and retention removes each one when its own
// age comes. A child's parentWorkflowId then names an execution that is
// gone, as in Conductor; a message still addressed to the removed parent
// (a child's late report) is dropped when it is delivered.
func (e *Engine) RemoveWorkflow(ctx context.Context, id string, archive bool) error {
	if archive && e.cfg.Archive == nil {
		return errorf(FailedPrecondition, "archiving workflow %s was asked, but this server has no archive directory: remove it without archiving (archiveWorkflow=false), or start the server with --archive-dir", id)
	}
	unlock := e.lock(id)
	defer unlock()
	// Read from the store, not the cache: the archive gets every task, and
	// the cache holds running executions only.
	ex, err := e.store.ExecutionGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(NotFound, "workflow %s does not exist", id)
	}
	if err != nil {
		return classify(err, "read workflow "+id)
	}
	w := ex.Workflow
	if !w.Status.Terminal() {
		return errorf(FailedPrecondition, "workflow %s is %s: terminate it first, or use terminate-remove", id, w.Status)
	}
	if archive {
		if err := e.cfg.Archive.Write(w); err != nil {
			return fmt.Errorf("workflow %s was not removed: %w", id, err)
		}
	}
	err = e.store.ExecutionRemove(ctx, id)
	e.cache.drop(id)
	if err != nil {
		return classify(err, "remove workflow "+id)
	}
	e.publishRemoved(w, ex.Version)
	// An ended execution has no task in a queue and no wake-up time (the
	// store deleted it); a task a worker still held when it ended may
	// still count against its type's concurrency limit,
	// and in its queue's figures.
	e.overview.removed(w.Status)
	e.flows.gone(w.Tasks)
	for _, t := range w.Tasks {
		e.queues.remove(t.TaskID)
		if t.Status == workflow.TaskInProgress && queued(t) {
			e.limits.ended(t.TaskType)
		}
	}
	return nil
}

// TerminateRemove terminates an execution if it has not ended, then
// removes it as RemoveWorkflow does. The two steps take the execution's
// lock one after the other: should a retry or rerun revive the execution
// between them, the removal is refused (FailedPrecondition) and the
// execution runs on.
func (e *Engine) TerminateRemove(ctx context.Context, id, reason string, archive bool) error {
	if archive && e.cfg.Archive == nil {
		return e.RemoveWorkflow(ctx, id, archive) // refused, before anything is terminated
	}
	if reason == "" {
		reason = "terminated to be removed"
	}
	// Terminating an ended execution changes nothing: a terminated one is
	// left as it is, another is refused (FailedPrecondition), which is all
	// that was needed.
	if err := e.TerminateWorkflow(ctx, id, reason); err != nil && CodeOf(err) != FailedPrecondition {
		return err
	}
	return e.RemoveWorkflow(ctx, id, archive)
}
