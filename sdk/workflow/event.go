package workflow

// EventHandler reacts to events published by EVENT tasks, in the JSON shape
// of Conductor's EventHandler: when an event arrives on Event and Condition
// holds for its payload, each action runs.
type EventHandler struct {
	// Name identifies the handler.
	Name string `json:"name"`
	// Event is the queue the handler listens on, "provider:queue"; for
	// Baton's internal sink, "conductor:<workflow name>:<queue>".
	Event string `json:"event"`
	// Condition is a JavaScript expression over the payload ($); empty
	// means always.
	Condition string `json:"condition,omitempty"`
	// EvaluatorType is the language of Condition: javascript (the default)
	// or graaljs, which Baton treats alike.
	EvaluatorType string `json:"evaluatorType,omitempty"`
	// Actions run in order for each matching event.
	Actions []*EventAction `json:"actions"`
	// Active handlers receive events; inactive ones are kept but skipped.
	Active bool `json:"active"`

	// Extra holds JSON members this type does not declare.
	Extra Extra `json:"-"`
}

// The actions an event handler can take.
const (
	ActionStartWorkflow = "start_workflow"
	ActionCompleteTask  = "complete_task"
	ActionFailTask      = "fail_task"
)

// EventAction is one action of an event handler. Strings in its parameters
// may hold ${path} expressions, resolved against the event payload.
type EventAction struct {
	// Action is start_workflow, complete_task or fail_task.
	Action        string              `json:"action"`
	StartWorkflow *StartWorkflowParam `json:"start_workflow,omitempty"`
	CompleteTask  *TaskDetails        `json:"complete_task,omitempty"`
	FailTask      *TaskDetails        `json:"fail_task,omitempty"`
	// ExpandInlineJSON parses payload strings that hold JSON before the
	// parameters are resolved.
	ExpandInlineJSON bool `json:"expandInlineJSON,omitempty"`

	// Extra holds JSON members this type does not declare.
	Extra Extra `json:"-"`
}

// StartWorkflowParam is what a start_workflow action starts.
type StartWorkflowParam struct {
	Name          string            `json:"name"`
	Version       int               `json:"version,omitempty"`
	CorrelationID string            `json:"correlationId,omitempty"`
	Input         map[string]any    `json:"input,omitempty"`
	TaskToDomain  map[string]string `json:"taskToDomain,omitempty"`

	// Extra holds JSON members this type does not declare.
	Extra Extra `json:"-"`
}

// TaskDetails names the task a complete_task or fail_task action updates:
// by workflow id and reference name, or by task id.
type TaskDetails struct {
	WorkflowID            string         `json:"workflowId,omitempty"`
	TaskRefName           string         `json:"taskRefName,omitempty"`
	TaskID                string         `json:"taskId,omitempty"`
	Output                map[string]any `json:"output,omitempty"`
	ReasonForIncompletion string         `json:"reasonForIncompletion,omitempty"`

	// Extra holds JSON members this type does not declare.
	Extra Extra `json:"-"`
}

type (
	eventHandlerJSON       EventHandler
	eventActionJSON        EventAction
	startWorkflowParamJSON StartWorkflowParam
	taskDetailsJSON        TaskDetails
)

// UnmarshalJSON keeps unknown members in Extra.
func (h *EventHandler) UnmarshalJSON(b []byte) (err error) {
	h.Extra, err = unmarshalKeeping(b, (*eventHandlerJSON)(h))
	return err
}

// MarshalJSON writes unknown members back.
func (h *EventHandler) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*eventHandlerJSON)(h), h.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (a *EventAction) UnmarshalJSON(b []byte) (err error) {
	a.Extra, err = unmarshalKeeping(b, (*eventActionJSON)(a))
	return err
}

// MarshalJSON writes unknown members back.
func (a *EventAction) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*eventActionJSON)(a), a.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (p *StartWorkflowParam) UnmarshalJSON(b []byte) (err error) {
	p.Extra, err = unmarshalKeeping(b, (*startWorkflowParamJSON)(p))
	return err
}

// MarshalJSON writes unknown members back.
func (p *StartWorkflowParam) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*startWorkflowParamJSON)(p), p.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (d *TaskDetails) UnmarshalJSON(b []byte) (err error) {
	d.Extra, err = unmarshalKeeping(b, (*taskDetailsJSON)(d))
	return err
}

// MarshalJSON writes unknown members back.
func (d *TaskDetails) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*taskDetailsJSON)(d), d.Extra)
}
