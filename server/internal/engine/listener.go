package engine

import (
	"context"
	"errors"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/listener"
	"github.com/batonhq/baton/server/internal/store"
)

// Status events (see package listener) are messages of the change they
// report: transition adds them to the change's Send, so they are committed
// with it, and applied dispatches them to the listener like every message.

// listening is what a change of a workflow with a status listener needs to
// know to report its tasks' changes: each task's status before the change.
// It is nil for a workflow without a listener, which then pays nothing
// more than one test of its definition.
type listening struct {
	sink   string
	before map[string]workflow.TaskStatus
}

// listenTo returns the listening of a loaded execution, nil when its
// definition has no listener (or nowhere to send to).
func (e *Engine) listenTo(w *workflow.Workflow) *listening {
	def := w.WorkflowDefinition
	if def == nil || !def.WorkflowStatusListenerEnabled || !e.listener.Enabled(def.WorkflowStatusListenerSink) {
		return nil
	}
	l := &listening{sink: def.WorkflowStatusListenerSink, before: make(map[string]workflow.TaskStatus, len(w.Tasks))}
	for _, t := range w.Tasks {
		l.before[t.TaskID] = t.Status
	}
	return l
}

// workflowEvents maps the history records of a workflow's status changes
// to the events of its listener, with the status each put the workflow in
// (a change may start a workflow and end it: each event says its own).
var workflowEvents = map[string]struct {
	typ    string
	status workflow.Status
}{
	"WORKFLOW_STARTED":    {"WORKFLOW_STARTED", workflow.StatusRunning},
	"WORKFLOW_COMPLETED":  {"WORKFLOW_COMPLETED", workflow.StatusCompleted},
	"WORKFLOW_FAILED":     {"WORKFLOW_FAILED", workflow.StatusFailed},
	"WORKFLOW_TIMED_OUT":  {"WORKFLOW_TIMED_OUT", workflow.StatusTimedOut},
	"WORKFLOW_TERMINATED": {"WORKFLOW_TERMINATED", workflow.StatusTerminated},
	"WORKFLOW_PAUSED":     {"WORKFLOW_PAUSED", workflow.StatusPaused},
	"WORKFLOW_RESUMED":    {"WORKFLOW_RESUMED", workflow.StatusRunning},
	"WORKFLOW_RETRIED":    {"WORKFLOW_RETRIED", workflow.StatusRunning},
	"WORKFLOW_RESTARTED":  {"WORKFLOW_RESTARTED", workflow.StatusRunning},
	"WORKFLOW_RERUN":      {"WORKFLOW_RERAN", workflow.StatusRunning}, // Conductor's listener says RERAN
}

// statusEvents are the listener messages of a change: one per workflow
// status change the decider recorded (it records what caused it: a start,
// a pause, a retry...), then one per task that entered a status, in the
// order the decider changed them.
func (e *Engine) statusEvents(c *change) []*store.Message {
	l := c.listen
	if l == nil {
		return nil
	}
	w := c.res.Workflow
	now := e.now().UnixMilli()
	base := listener.Event{
		Time: now, WorkflowID: w.WorkflowID, WorkflowName: w.WorkflowName, Version: w.WorkflowVersion,
		CorrelationID: w.CorrelationID,
	}
	var out []*store.Message
	for _, h := range c.res.History {
		we, ok := workflowEvents[h.Type]
		if !ok {
			continue
		}
		ev := base
		ev.Type, ev.Status = we.typ, string(we.status)
		if we.status.Terminal() {
			ev.Output, ev.ReasonForIncompletion = w.Output, w.ReasonForIncompletion
		}
		out = append(out, listener.Message(e.cfg.NewID(), l.sink, &ev))
	}
	for _, t := range c.res.Changed {
		if before, ok := l.before[t.TaskID]; ok && before == t.Status {
			continue // changed, but not its status
		}
		if !e.taskListened(t) {
			continue
		}
		ev := base
		retries := t.RetryCount
		ev.Type, ev.Status, ev.WorkflowStatus = "TASK_"+string(t.Status), string(t.Status), string(w.Status)
		ev.TaskID, ev.TaskType, ev.ReferenceTaskName, ev.RetryCount = t.TaskID, t.TaskType, t.ReferenceTaskName, &retries
		out = append(out, listener.Message(e.cfg.NewID(), l.sink, &ev))
	}
	return out
}

// taskListened reports whether a task's changes are reported: unless its
// task definition (inline, else registered) sets taskStatusListenerEnabled
// to false.
func (e *Engine) taskListened(t *workflow.Task) bool {
	var td *workflow.TaskDef
	if t.WorkflowTask != nil && t.WorkflowTask.TaskDefinition != nil {
		td = t.WorkflowTask.TaskDefinition
	} else if t.TaskDefName != "" {
		td = e.defs.task(t.TaskDefName)
	}
	return td == nil || td.TaskStatusListenerEnabled == nil || *td.TaskStatusListenerEnabled
}

// RedriveDeadLetters moves dead letters back to the messages and delivers
// them again.
func (e *Engine) RedriveDeadLetters(ctx context.Context, ids []string) error {
	msgs, err := e.store.DeadLetterRedrive(ctx, ids)
	if err != nil {
		return deadLetterError(err, "redrive dead letters")
	}
	e.dispatch(msgs)
	return nil
}

// DeadLetters returns a page of the dead-letter list: up to limit dead
// letters whose ids sort after after.
func (e *Engine) DeadLetters(ctx context.Context, after string, limit int) ([]*store.DeadLetter, error) {
	list, err := e.store.DeadLetterList(ctx, after, limit)
	if err != nil {
		return nil, deadLetterError(err, "list dead letters")
	}
	return list, nil
}

// DeleteDeadLetters removes dead letters, all or none.
func (e *Engine) DeleteDeadLetters(ctx context.Context, ids []string) error {
	return deadLetterError(e.store.DeadLetterDelete(ctx, ids), "delete dead letters")
}

// deadLetterError classifies a dead-letter store error, keeping the
// store's message, which names the id.
func deadLetterError(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return errorf(NotFound, "%s: %v; list them with GET /api/listeners/deadletters (baton deadletters ls)", what, err)
	case errors.Is(err, store.ErrInvalid):
		return errorf(InvalidArgument, "%s: %v", what, err)
	}
	return classify(err, what)
}
