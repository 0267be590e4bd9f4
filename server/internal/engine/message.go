package engine

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/listener"
	"github.com/batonhq/baton/server/internal/store"
)

// Messages carry work from one execution to another (see store.Message).
// They are written in the commit of the decision that asked for the work
// and deleted in the commit that does it, so the work is done exactly once
// even across a crash: after a commit the engine delivers them at once, and
// at start-up it delivers every message left in the store.
const (
	// msgStart starts a workflow with a chosen id: a SUB_WORKFLOW's child or
	// a START_WORKFLOW's workflow.
	msgStart = "start"
	// msgResult reports on a task: a child's end to its SUB_WORKFLOW task,
	// a start to its START_WORKFLOW task, an event handler's
	// complete_task or fail_task.
	msgResult = "result"
	// msgTerminate terminates a workflow: the child of a cancelled task.
	msgTerminate = "terminate"
	// msgStartAction is an event handler's start_workflow.
	msgStartAction = "start_action"
	// msgRetry retries a workflow: the child of a SUB_WORKFLOW task retried
	// with resumeSubworkflowTasks.
	msgRetry = "retry"
	// msgReopen tells a parent that its child runs again, with the child's
	// new end when it ended again in the same commit.
	msgReopen = "reopen"
)

type startBody struct {
	WorkflowID       string                 `json:"workflowId,omitempty"`
	Request          *workflow.StartRequest `json:"request"`
	ParentWorkflowID string                 `json:"parentWorkflowId,omitempty"`
	ParentTaskID     string                 `json:"parentTaskId,omitempty"`
	ReplyWorkflowID  string                 `json:"replyWorkflowId,omitempty"`
	ReplyTaskID      string                 `json:"replyTaskId,omitempty"`
	// FailureOf is the execution whose failure workflow this is.
	FailureOf string `json:"failureOf,omitempty"`
}

type resultBody struct {
	Result *workflow.TaskResult `json:"result"`
	// Ref names the task by reference name when Result.TaskID is empty.
	Ref string `json:"ref,omitempty"`
}

type terminateBody struct {
	Reason string `json:"reason"`
}

type retryBody struct {
	ResumeSubworkflowTasks bool `json:"resumeSubworkflowTasks,omitempty"`
}

type reopenBody struct {
	TaskID string               `json:"taskId"`
	Result *workflow.TaskResult `json:"result,omitempty"`
}

// message makes a message to send.
func (e *Engine) message(kind, workflowID string, body any) *store.Message {
	data, err := json.Marshal(body)
	if err != nil {
		// The bodies are engine-made structs of JSON values.
		panic("engine: encode message: " + err.Error())
	}
	return &store.Message{ID: e.cfg.NewID(), Kind: kind, WorkflowID: workflowID, Body: data, Time: e.now().UnixMilli()}
}

func (e *Engine) resultMessage(workflowID string, r *workflow.TaskResult) *store.Message {
	r.WorkflowInstanceID = workflowID
	return e.message(msgResult, workflowID, resultBody{Result: r})
}

// messages are what a change sends: its commands, the events its EVENT
// tasks published, and, when a child workflow ended, its report to the
// parent's task.
func (e *Engine) messages(c *change) []*store.Message {
	var out []*store.Message
	w := c.res.Workflow
	for _, cmd := range c.res.Commands {
		switch cmd := cmd.(type) {
		case decider.StartWorkflow:
			b := startBody{WorkflowID: cmd.WorkflowID, Request: cmd.Request, ParentWorkflowID: cmd.ParentWorkflowID, ParentTaskID: cmd.ParentTaskID, FailureOf: cmd.FailureOf}
			if cmd.ReplyTaskID != "" {
				b.ReplyWorkflowID, b.ReplyTaskID = w.WorkflowID, cmd.ReplyTaskID
			}
			out = append(out, e.message(msgStart, cmd.WorkflowID, b))
		case decider.TerminateWorkflow:
			out = append(out, e.message(msgTerminate, cmd.WorkflowID, terminateBody{Reason: cmd.Reason}))
		case decider.RetryWorkflow:
			out = append(out, e.message(msgRetry, cmd.WorkflowID, retryBody{ResumeSubworkflowTasks: cmd.ResumeSubworkflowTasks}))
		case decider.Publish:
			out = append(out, e.publish(cmd)...)
		}
	}
	if w.ParentWorkflowID != "" && w.ParentWorkflowTaskID != "" {
		ended := w.Status.Terminal() && (!c.status.Terminal() || c.res.Revived)
		switch {
		case c.res.Revived:
			b := reopenBody{TaskID: w.ParentWorkflowTaskID}
			if ended {
				b.Result = childResult(w)
				b.Result.WorkflowInstanceID = w.ParentWorkflowID
			}
			out = append(out, e.message(msgReopen, w.ParentWorkflowID, b))
		case ended:
			out = append(out, e.resultMessage(w.ParentWorkflowID, childResult(w)))
		}
	}
	return out
}

// childResult is a sub-workflow's end as its SUB_WORKFLOW task's result,
// statuses mapped as Conductor maps them.
func childResult(w *workflow.Workflow) *workflow.TaskResult {
	status := workflow.TaskFailed
	switch w.Status {
	case workflow.StatusCompleted:
		status = workflow.TaskCompleted
	case workflow.StatusTerminated:
		status = workflow.TaskCanceled
	case workflow.StatusTimedOut:
		status = workflow.TaskTimedOut
	}
	out := maps.Clone(w.Output)
	if out == nil {
		out = map[string]any{}
	}
	out["subWorkflowId"] = w.WorkflowID
	return &workflow.TaskResult{
		TaskID:                w.ParentWorkflowTaskID,
		Status:                status,
		OutputData:            out,
		ReasonForIncompletion: w.ReasonForIncompletion,
		SubWorkflowID:         w.WorkflowID,
	}
}

// dispatch delivers sent messages in the background.
func (e *Engine) dispatch(msgs []*store.Message) {
	for _, m := range msgs {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.deliverRetrying(m)
		}()
	}
}

// recoverMessages delivers every message left in the store.
func (e *Engine) recoverMessages(ctx context.Context) error {
	var msgs []*store.Message
	err := e.store.Messages(ctx, func(m *store.Message) error {
		msgs = append(msgs, m)
		return nil
	})
	if err != nil {
		return classify(err, "read messages")
	}
	e.dispatch(msgs)
	return nil
}

// deliverRetrying delivers a message, retrying with back-off while the
// store fails. What it cannot deliver before the engine stops stays in the
// store for the next start.
func (e *Engine) deliverRetrying(m *store.Message) {
	backoff := 50 * time.Millisecond
	for {
		err := e.deliver(context.Background(), m)
		if err == nil || errors.Is(err, store.ErrConflict) {
			return // done, or acknowledged already
		}
		e.log.Warn("deliver message", "kind", m.Kind, "workflow", m.WorkflowID, "err", err)
		select {
		case <-e.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// deliver carries out a message and acknowledges it in the same commit. A
// message whose work is refused (the task ended already, the workflow is
// gone) is acknowledged alone: there is nothing left to do.
func (e *Engine) deliver(ctx context.Context, m *store.Message) error {
	var err error
	switch m.Kind {
	case msgStart:
		err = e.deliverStart(ctx, m)
	case msgResult:
		var b resultBody
		if err = workflow.Decode(m.Body, &b); err == nil {
			if m.WorkflowID == "" && b.Result.TaskID != "" {
				// An event handler named the task only.
				t, terr := e.Task(ctx, b.Result.TaskID)
				if terr != nil {
					return e.ackAlone(ctx, m)
				}
				m.WorkflowID = t.WorkflowInstanceID
			}
			err = e.transactAck(ctx, m, decider.Update{Result: b.Result, Ref: b.Ref})
		}
	case msgTerminate:
		var b terminateBody
		if err = workflow.Decode(m.Body, &b); err == nil {
			err = e.transactAck(ctx, m, decider.Terminate{Reason: b.Reason})
		}
	case msgRetry:
		var b retryBody
		if err = workflow.Decode(m.Body, &b); err == nil {
			err = e.transactAck(ctx, m, decider.Retry{ResumeSubworkflowTasks: b.ResumeSubworkflowTasks})
		}
	case msgReopen:
		var b reopenBody
		if err = workflow.Decode(m.Body, &b); err == nil {
			events := []decider.Event{decider.Reopen{TaskID: b.TaskID}}
			if b.Result != nil {
				events = append(events, decider.Update{Result: b.Result})
			}
			err = e.transactAck(ctx, m, events...)
		}
	case msgStartAction:
		var b startBody
		if err = workflow.Decode(m.Body, &b); err == nil {
			_, err = e.start(ctx, b.Request, startOptions{ack: m.ID})
			if err != nil && !isStoreFailure(err) {
				e.log.Warn("event handler could not start a workflow", "workflow", b.Request.Name, "err", err)
				err = e.ackAlone(ctx, m)
			}
		}
	case listener.Kind:
		e.listener.Enqueue(m) // it acknowledges the message once delivered
		return nil
	default:
		e.log.Error("drop a message of unknown kind", "kind", m.Kind)
		return e.ackAlone(ctx, m)
	}
	if err != nil && !isStoreFailure(err) && m.Kind != msgStart {
		return e.ackAlone(ctx, m)
	}
	return err
}

// transactAck applies events with the message's acknowledgement.
func (e *Engine) transactAck(ctx context.Context, m *store.Message, events ...decider.Event) error {
	err := e.transactWith(ctx, m.WorkflowID, func(c *change, _ *store.Execution) func() {
		c.ack = append(c.ack, m.ID)
		return nil
	}, events...)
	if err != nil && !isStoreFailure(err) {
		// Refused: the task or workflow moved on.
		return e.ackAlone(ctx, m)
	}
	return err
}

// deliverStart starts the workflow of a start message. If it cannot start
// (no such definition, bad input), the task that asked learns why.
func (e *Engine) deliverStart(ctx context.Context, m *store.Message) error {
	var b startBody
	if err := workflow.Decode(m.Body, &b); err != nil {
		return e.ackAlone(ctx, m)
	}
	_, err := e.start(ctx, b.Request, startOptions{
		id: b.WorkflowID, parentWorkflowID: b.ParentWorkflowID, parentTaskID: b.ParentTaskID, ack: m.ID,
		replyWorkflowID: b.ReplyWorkflowID, replyTaskID: b.ReplyTaskID,
	})
	if err == nil || isStoreFailure(err) {
		return err
	}
	var conflict *Error
	if errors.As(err, &conflict) && conflict.Code == AlreadyExists {
		if _, ok := conflict.Details.(IdempotencyConflict); !ok {
			return e.ackAlone(ctx, m) // started already
		}
	}
	if b.FailureOf != "" {
		return e.transactAck(ctx, &store.Message{ID: m.ID, WorkflowID: b.FailureOf},
			decider.FailureWorkflowNotStarted{WorkflowID: b.WorkflowID, Reason: err.Error()})
	}
	to, task := b.ParentWorkflowID, b.ParentTaskID
	if b.ReplyTaskID != "" {
		to, task = b.ReplyWorkflowID, b.ReplyTaskID
	}
	if task == "" {
		return e.ackAlone(ctx, m)
	}
	reply := e.resultMessage(to, &workflow.TaskResult{
		TaskID: task, Status: workflow.TaskFailedWithTerminalError,
		ReasonForIncompletion: "workflow " + b.Request.Name + " could not start: " + err.Error(),
	})
	if err := e.store.Commit(ctx, &store.Transition{Ack: []string{m.ID}, Send: []*store.Message{reply}}); err != nil {
		return classify(err, "report a failed start")
	}
	e.dispatch([]*store.Message{reply})
	return nil
}

// ackAlone acknowledges a message whose work is moot.
func (e *Engine) ackAlone(ctx context.Context, m *store.Message) error {
	err := e.store.Commit(ctx, &store.Transition{Ack: []string{m.ID}})
	if errors.Is(err, store.ErrConflict) {
		return nil // acknowledged already
	}
	return classify(err, "acknowledge a message")
}

// isStoreFailure reports whether an error is the store failing rather than
// the work being refused, so that delivery is worth retrying.
func isStoreFailure(err error) bool {
	c := CodeOf(err)
	return c == Internal || c == Unavailable
}
