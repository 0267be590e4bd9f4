package engine

import (
	"context"
	"errors"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/store"
)

// StartWorkflow starts an execution of a registered definition (the latest
// version when req.Version is 0) or of the inline req.WorkflowDef, and
// returns its id once the start is durable.
func (e *Engine) StartWorkflow(ctx context.Context, req *workflow.StartRequest) (string, error) {
	return e.start(ctx, req, startOptions{})
}

// startOptions are what a start by the engine itself adds to a start
// request.
type startOptions struct {
	// id is the execution's id, chosen by the decision that asked for it;
	// empty for a fresh one.
	id string
	// parentWorkflowID and parentTaskID make the execution the child of a
	// SUB_WORKFLOW task.
	parentWorkflowID, parentTaskID string
	// ack is the message the start carries out.
	ack string
	// replyWorkflowID and replyTaskID name a START_WORKFLOW task to
	// complete in the same commit.
	replyWorkflowID, replyTaskID string
}

func (e *Engine) start(ctx context.Context, req *workflow.StartRequest, opts startOptions) (string, error) {
	if req == nil {
		return "", errorf(InvalidArgument, "no start request given")
	}
	if req.Priority < 0 || req.Priority > 99 {
		return "", errorf(InvalidArgument, "priority must be between 0 and 99, got %d", req.Priority)
	}
	def := req.WorkflowDef
	if def != nil {
		if def.Name == "" {
			def.Name = req.Name
		}
		if diags := e.ValidateWorkflowDef(def); len(diags) > 0 {
			return "", validationError("inline workflow definition", diags)
		}
	} else {
		if req.Name == "" {
			return "", errorf(InvalidArgument, "the workflow name is required")
		}
		var err error
		if def, err = e.WorkflowDef(ctx, req.Name, req.Version); err != nil {
			return "", err
		}
	}
	// A sub-workflow is its parent's own: its key is recorded, not applied.
	if req.IdempotencyKey != "" && opts.parentTaskID == "" {
		defer e.keys.lock(def.Name, req.IdempotencyKey)()
		existing, err := e.idempotent(ctx, def.Name, req)
		if err != nil {
			return "", err
		}
		if existing != "" {
			return existing, e.startedAlready(ctx, existing, opts)
		}
	}
	id := opts.id
	if id == "" {
		id = e.cfg.NewID()
	}
	// Once committed, the execution is in the cache, where any caller may
	// load it: its lock keeps them out until the engine has applied it.
	defer e.lock(id)()
	w := newExecution(id, def, req, opts)
	ex := &store.Execution{Workflow: w}
	c, errs := e.decide(ex, decider.Start{})
	if c.res == nil {
		return "", classify(errs[0], "start workflow")
	}
	if opts.ack != "" {
		c.ack = append(c.ack, opts.ack)
	}
	if opts.replyTaskID != "" {
		c.send = append(c.send, e.resultMessage(opts.replyWorkflowID, &workflow.TaskResult{
			TaskID: opts.replyTaskID, Status: workflow.TaskCompleted, OutputData: map[string]any{"workflowId": id},
		}))
	}
	// Inline plugin tasks run in this commit, and a poll waiting for the
	// first worker task gets it leased in it.
	undo := e.runInline(c, ex)
	deliver := e.handOff(c, ex)
	err := e.store.Commit(ctx, e.transition(c))
	e.committed(ex, c, err)
	if deliver != nil {
		defer deliver(err == nil)
	}
	if err != nil {
		if undo != nil {
			undo()
		}
		return "", classify(err, "start workflow")
	}
	e.applied(c)
	return w.WorkflowID, nil
}

// newExecution is an execution of def as a start request asks for, before
// the decider starts it.
func newExecution(id string, def *workflow.WorkflowDef, req *workflow.StartRequest, opts startOptions) *workflow.Workflow {
	w := &workflow.Workflow{
		WorkflowID:           id,
		WorkflowName:         def.Name,
		WorkflowVersion:      def.Version,
		CorrelationID:        req.CorrelationID,
		Priority:             req.Priority,
		Input:                req.Input,
		TaskToDomain:         req.TaskToDomain,
		IdempotencyKey:       req.IdempotencyKey,
		CreatedBy:            req.CreatedBy,
		ParentWorkflowID:     opts.parentWorkflowID,
		ParentWorkflowTaskID: opts.parentTaskID,
		WorkflowDefinition:   def,
	}
	if w.Input == nil {
		w.Input = map[string]any{}
	}
	return w
}

// startedAlready completes a start answered with an existing execution:
// the message it carries out is acknowledged, and the START_WORKFLOW task
// that asked gets the existing id.
func (e *Engine) startedAlready(ctx context.Context, id string, opts startOptions) error {
	t := &store.Transition{}
	if opts.ack != "" {
		t.Ack = append(t.Ack, opts.ack)
	}
	if opts.replyTaskID != "" {
		t.Send = append(t.Send, e.resultMessage(opts.replyWorkflowID, &workflow.TaskResult{
			TaskID: opts.replyTaskID, Status: workflow.TaskCompleted, OutputData: map[string]any{"workflowId": id},
		}))
	}
	if len(t.Ack) == 0 && len(t.Send) == 0 {
		return nil
	}
	if err := e.store.Commit(ctx, t); err != nil {
		return classify(err, "answer a start with execution "+id)
	}
	e.dispatch(t.Send)
	return nil
}

// Workflow returns an execution, with its tasks when includeTasks.
func (e *Engine) Workflow(ctx context.Context, id string, includeTasks bool) (*workflow.Workflow, error) {
	ex, err := e.store.ExecutionGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errorf(NotFound, "workflow %s does not exist", id)
	}
	if err != nil {
		return nil, classify(err, "read workflow "+id)
	}
	if !includeTasks {
		ex.Workflow.Tasks = []*workflow.Task{}
	}
	return ex.Workflow, nil
}

// PauseWorkflow stops scheduling new tasks of an execution; tasks already
// handed out may still complete.
func (e *Engine) PauseWorkflow(ctx context.Context, id string) error {
	return e.transact(ctx, id, decider.Pause{})
}

// ResumeWorkflow resumes a paused execution and schedules what was held.
func (e *Engine) ResumeWorkflow(ctx context.Context, id string) error {
	return e.transact(ctx, id, decider.Resume{})
}

// RetryWorkflow resumes an ended execution from its failed, timed out and
// cancelled tasks; with resumeSubworkflowTasks a failed SUB_WORKFLOW task
// retries its child rather than starting a new one.
func (e *Engine) RetryWorkflow(ctx context.Context, id string, resumeSubworkflowTasks bool) error {
	return e.operate(ctx, id, decider.Retry{ResumeSubworkflowTasks: resumeSubworkflowTasks})
}

// operate applies an operation to an execution that settle leaves whole
// before and after (see settle).
func (e *Engine) operate(ctx context.Context, id string, ev decider.Event) error {
	if err := e.settle(ctx, id); err != nil {
		return err
	}
	if err := e.transact(ctx, id, ev); err != nil {
		return err
	}
	return e.settle(ctx, id)
}

// RestartWorkflow runs an ended execution again from the start, on its
// definition snapshot or, with useLatestDefinitions, on the latest version
// of its definition.
func (e *Engine) RestartWorkflow(ctx context.Context, id string, useLatestDefinitions bool) error {
	ev := decider.Restart{}
	if useLatestDefinitions {
		ex, err := e.store.ExecutionGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return errorf(NotFound, "workflow %s does not exist", id)
		}
		if err != nil {
			return classify(err, "read workflow "+id)
		}
		name := ex.Workflow.WorkflowName
		if ev.Definition, err = e.WorkflowDef(ctx, name, 0); err != nil {
			return err
		}
	}
	return e.operate(ctx, id, ev)
}

// RerunWorkflow runs an ended execution again from the start or from a
// task, optionally with new workflow or task input.
func (e *Engine) RerunWorkflow(ctx context.Context, id string, req *workflow.RerunRequest) error {
	if req == nil {
		req = &workflow.RerunRequest{}
	}
	if req.ReRunFromTaskID != "" {
		holder, err := e.descendantHolding(ctx, id, req.ReRunFromTaskID)
		if err != nil {
			return err
		}
		if holder != id {
			return e.rerunInChild(ctx, id, holder, req)
		}
	}
	return e.operate(ctx, id, decider.Rerun{
		TaskID: req.ReRunFromTaskID, TaskInput: req.TaskInput,
		WorkflowInput: req.WorkflowInput, CorrelationID: req.CorrelationID,
	})
}

// SkipTask marks a task that has not been scheduled yet as SKIPPED, with
// the given input and output.
func (e *Engine) SkipTask(ctx context.Context, id, ref string, req *workflow.SkipTaskRequest) error {
	if req == nil {
		req = &workflow.SkipTaskRequest{}
	}
	return e.transact(ctx, id, decider.Skip{Ref: ref, Input: req.TaskInput, Output: req.TaskOutput})
}

// SetVariables merges variables into a running or paused execution's.
func (e *Engine) SetVariables(ctx context.Context, id string, vars map[string]any) error {
	return e.transact(ctx, id, decider.SetVariables{Variables: vars})
}

// TerminateWorkflow ends an execution as TERMINATED and cancels its open
// tasks. Terminating a terminated execution does nothing.
func (e *Engine) TerminateWorkflow(ctx context.Context, id, reason string) error {
	return e.transact(ctx, id, decider.Terminate{Reason: reason})
}

// maxSubWorkflowDepth bounds the walk from a sub-workflow up to the
// execution a rerun names.
const maxSubWorkflowDepth = 32

// descendantHolding returns the execution that holds a task: id itself, or
// one of its sub-workflows at any depth.
func (e *Engine) descendantHolding(ctx context.Context, id, taskID string) (string, error) {
	t, err := e.store.TaskGet(ctx, taskID)
	if errors.Is(err, store.ErrNotFound) {
		return "", errorf(NotFound, "task %s does not exist", taskID)
	}
	if err != nil {
		return "", classify(err, "read task "+taskID)
	}
	holder := t.WorkflowInstanceID
	for at, depth := holder, 0; depth < maxSubWorkflowDepth; depth++ {
		if at == id {
			return holder, nil
		}
		ex, err := e.store.ExecutionGet(ctx, at)
		if err != nil {
			break
		}
		if at = ex.Workflow.ParentWorkflowID; at == "" {
			break
		}
	}
	return "", errorf(NotFound, "task %s is not part of workflow %s or of its sub-workflows", taskID, id)
}

// rerunInChild reruns the sub-workflow that holds the task; when it runs
// again it reopens its SUB_WORKFLOW task in its parent, and so on up to
// the ended execution the rerun names, as Conductor does.
func (e *Engine) rerunInChild(ctx context.Context, id, child string, req *workflow.RerunRequest) error {
	if req.WorkflowInput != nil || req.CorrelationID != "" {
		return errorf(InvalidArgument, "task %s runs in sub-workflow %s of workflow %s: a rerun from it takes taskInput only, not workflowInput or correlationId", req.ReRunFromTaskID, child, id)
	}
	top, err := e.Workflow(ctx, id, false)
	if err != nil {
		return err
	}
	if !top.Status.Terminal() {
		return errorf(FailedPrecondition, "workflow %s is %s; only an ended workflow can be rerun (terminate it first)", id, top.Status)
	}
	return e.operate(ctx, child, decider.Rerun{TaskID: req.ReRunFromTaskID, TaskInput: req.TaskInput})
}
