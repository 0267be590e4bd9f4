package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/store"
)

// handlers is the in-memory copy of the event handlers, by event.
type handlers struct {
	mu      sync.RWMutex
	byEvent map[string][]*workflow.EventHandler
}

func (h *handlers) set(all []*workflow.EventHandler) {
	m := map[string][]*workflow.EventHandler{}
	for _, x := range all {
		m[x.Event] = append(m[x.Event], x)
	}
	h.mu.Lock()
	h.byEvent = m
	h.mu.Unlock()
}

func (h *handlers) of(event string) []*workflow.EventHandler {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.byEvent[event]
}

// reloadHandlers reads the event handlers from the store.
func (e *Engine) reloadHandlers(ctx context.Context) error {
	all, err := e.store.EventHandlerList(ctx)
	if err != nil {
		return classify(err, "read event handlers")
	}
	e.handlers.set(all)
	return nil
}

// AddEventHandler registers a new event handler.
func (e *Engine) AddEventHandler(ctx context.Context, h *workflow.EventHandler) error {
	return e.putEventHandler(ctx, h, false)
}

// UpdateEventHandler replaces a registered event handler.
func (e *Engine) UpdateEventHandler(ctx context.Context, h *workflow.EventHandler) error {
	return e.putEventHandler(ctx, h, true)
}

func (e *Engine) putEventHandler(ctx context.Context, h *workflow.EventHandler, replace bool) error {
	if err := validateHandler(h); err != nil {
		return err
	}
	e.handlerMu.Lock()
	defer e.handlerMu.Unlock()
	_, err := e.store.EventHandlerGet(ctx, h.Name)
	switch {
	case err == nil && !replace:
		return errorf(AlreadyExists, "event handler %q exists already; update it with PUT", h.Name)
	case errors.Is(err, store.ErrNotFound) && replace:
		return errorf(NotFound, "event handler %q does not exist; create it with POST", h.Name)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return classify(err, "read event handler")
	}
	if err := e.store.EventHandlerPut(ctx, h); err != nil {
		return classify(err, "store event handler")
	}
	return e.reloadHandlers(ctx)
}

// RemoveEventHandler deletes an event handler.
func (e *Engine) RemoveEventHandler(ctx context.Context, name string) error {
	e.handlerMu.Lock()
	defer e.handlerMu.Unlock()
	if err := e.store.EventHandlerDelete(ctx, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errorf(NotFound, "event handler %q does not exist", name)
		}
		return classify(err, "delete event handler")
	}
	return e.reloadHandlers(ctx)
}

// EventHandlers returns the registered event handlers sorted by name; with
// event, only those listening on it (and with activeOnly, only the active).
func (e *Engine) EventHandlers(ctx context.Context, event string, activeOnly bool) ([]*workflow.EventHandler, error) {
	all, err := e.store.EventHandlerList(ctx)
	if err != nil {
		return nil, classify(err, "list event handlers")
	}
	if event == "" && !activeOnly {
		return all, nil
	}
	return slices.DeleteFunc(all, func(h *workflow.EventHandler) bool {
		return (event != "" && h.Event != event) || (activeOnly && !h.Active)
	}), nil
}

// validateHandler checks what an event handler needs to act.
func validateHandler(h *workflow.EventHandler) error {
	if h == nil {
		return errorf(InvalidArgument, "no event handler given")
	}
	var probs []string
	switch {
	case strings.TrimSpace(h.Name) == "":
		probs = append(probs, "name is required")
	case strings.ContainsFunc(h.Name, func(r rune) bool { return r == '/' || unicode.IsControl(r) }):
		probs = append(probs, fmt.Sprintf("name %q may not contain / or control characters", h.Name))
	}
	if provider, queue, ok := strings.Cut(h.Event, ":"); !ok || provider == "" || queue == "" {
		probs = append(probs, fmt.Sprintf("event %q must be provider:queue, such as conductor:my_workflow:my_task", h.Event))
	}
	if h.EvaluatorType != "" && h.EvaluatorType != "javascript" && h.EvaluatorType != "graaljs" {
		probs = append(probs, fmt.Sprintf("evaluatorType %q is not javascript or graaljs", h.EvaluatorType))
	}
	if len(h.Actions) == 0 {
		probs = append(probs, "actions is empty; add start_workflow, complete_task or fail_task actions")
	}
	for i, a := range h.Actions {
		switch {
		case a == nil:
			probs = append(probs, fmt.Sprintf("actions[%d] is null", i))
		case a.Action == workflow.ActionStartWorkflow:
			if a.StartWorkflow == nil || a.StartWorkflow.Name == "" {
				probs = append(probs, fmt.Sprintf("actions[%d]: start_workflow.name is required", i))
			}
		case a.Action == workflow.ActionCompleteTask || a.Action == workflow.ActionFailTask:
			td := a.CompleteTask
			if a.Action == workflow.ActionFailTask {
				td = a.FailTask
			}
			if td == nil || (td.TaskID == "" && (td.WorkflowID == "" || td.TaskRefName == "")) {
				probs = append(probs, fmt.Sprintf("actions[%d]: %s needs workflowId and taskRefName, or taskId", i, a.Action))
			}
		default:
			probs = append(probs, fmt.Sprintf("actions[%d]: action %q is not start_workflow, complete_task or fail_task", i, a.Action))
		}
	}
	if len(probs) > 0 {
		return errorf(InvalidArgument, "event handler %q: %s", h.Name, strings.Join(probs, "; "))
	}
	return nil
}

// publish turns an event into the messages of the actions of every active
// handler whose condition holds for it, resolved against its payload.
func (e *Engine) publish(p decider.Publish) []*store.Message {
	var out []*store.Message
	for _, h := range e.handlers.of(p.Event) {
		if !h.Active {
			continue
		}
		if cond := strings.TrimSpace(h.Condition); cond != "" {
			v, err := e.cfg.Scripts.JS(cond, p.Payload)
			if err != nil {
				e.log.Warn("event handler condition failed", "handler", h.Name, "event", p.Event, "err", err)
				continue
			}
			if ok, _ := v.(bool); !ok {
				continue
			}
		}
		for _, a := range h.Actions {
			if m, err := e.action(a, p.Payload); err != nil {
				e.log.Warn("event handler action skipped", "handler", h.Name, "action", a.Action, "err", err)
			} else {
				out = append(out, m)
			}
		}
	}
	return out
}

// action resolves one action against a payload into its message.
func (e *Engine) action(a *workflow.EventAction, payload map[string]any) (*store.Message, error) {
	if a.ExpandInlineJSON {
		payload = expandJSON(payload)
	}
	ctx := &workflow.Context{Document: payload}
	var params any
	switch a.Action {
	case workflow.ActionStartWorkflow:
		params = a.StartWorkflow
	case workflow.ActionCompleteTask:
		params = a.CompleteTask
	default:
		params = a.FailTask
	}
	var tmpl map[string]any
	data, err := json.Marshal(params)
	if err == nil {
		err = workflow.Decode(data, &tmpl)
	}
	if err != nil {
		return nil, err
	}
	resolved, err := workflow.Evaluate(tmpl, ctx)
	if err != nil {
		return nil, err
	}
	if data, err = json.Marshal(resolved); err != nil {
		return nil, err
	}
	if a.Action == workflow.ActionStartWorkflow {
		var sp workflow.StartWorkflowParam
		if err := workflow.Decode(data, &sp); err != nil {
			return nil, err
		}
		req := &workflow.StartRequest{Name: sp.Name, Version: sp.Version, CorrelationID: sp.CorrelationID, Input: sp.Input, TaskToDomain: sp.TaskToDomain}
		return e.message(msgStartAction, "", startBody{Request: req}), nil
	}
	var td workflow.TaskDetails
	if err := workflow.Decode(data, &td); err != nil {
		return nil, err
	}
	r := &workflow.TaskResult{TaskID: td.TaskID, WorkflowInstanceID: td.WorkflowID, Status: workflow.TaskCompleted, OutputData: td.Output}
	if a.Action == workflow.ActionFailTask {
		r.Status = workflow.TaskFailed
		r.ReasonForIncompletion = td.ReasonForIncompletion
		if r.ReasonForIncompletion == "" {
			r.ReasonForIncompletion = "failed by an event handler"
		}
	}
	ref := ""
	if td.TaskID == "" {
		ref = td.TaskRefName
	}
	return e.message(msgResult, td.WorkflowID, resultBody{Result: r, Ref: ref}), nil
}

// expandJSON parses the payload's string values that hold JSON objects or
// arrays.
func expandJSON(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		s, ok := v.(string)
		if !ok {
			continue
		}
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			var x any
			if workflow.Decode([]byte(t), &x) == nil {
				out[k] = x
			}
		}
	}
	return out
}
