package listener

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// Kind is the kind of the store messages that carry status events.
const Kind = "listener"

// MaxEventBytes bounds the JSON of one event. A larger event loses its
// output (Truncated is set), then has its reason cut.
const MaxEventBytes = 64 << 10

// maxReasonBytes is where a reason is cut when the event is too large.
const maxReasonBytes = 4 << 10

// Event is the JSON body POSTed to a receiver.
type Event struct {
	// EventID is the same in every attempt and redrive: deduplicate on it.
	EventID string `json:"eventId"`
	// Type is WORKFLOW_<what happened> or TASK_<status>.
	Type string `json:"type"`
	// Time is when the change was made, Unix milliseconds.
	Time          int64  `json:"time"`
	WorkflowID    string `json:"workflowId"`
	WorkflowName  string `json:"workflowName"`
	Version       int    `json:"version"`
	CorrelationID string `json:"correlationId,omitempty"`
	// Status is the status the event put the workflow in (RUNNING for
	// WORKFLOW_STARTED, PAUSED for WORKFLOW_PAUSED...), or, for a task
	// event, the task's.
	Status string `json:"status"`
	// WorkflowStatus is the workflow's status after the change, in task
	// events.
	WorkflowStatus    string `json:"workflowStatus,omitempty"`
	TaskID            string `json:"taskId,omitempty"`
	TaskType          string `json:"taskType,omitempty"`
	ReferenceTaskName string `json:"referenceTaskName,omitempty"`
	RetryCount        *int   `json:"retryCount,omitempty"`
	// Output and ReasonForIncompletion are set in the events of a workflow's
	// end.
	Output                map[string]any `json:"output,omitempty"`
	ReasonForIncompletion string         `json:"reasonForIncompletion,omitempty"`
	// Truncated says that the output was left out to keep the event under
	// MaxEventBytes.
	Truncated bool `json:"truncated,omitempty"`
}

// body is the body of a listener message.
type body struct {
	// Sink is the definition's workflowStatusListenerSink; empty for the
	// server's default URL, read when the event is delivered.
	Sink string `json:"sink,omitempty"`
	// Event is the exact bytes POSTed (and signed).
	Event json.RawMessage `json:"event"`
}

// Message makes the store message of an event: its id becomes the event's
// id. sink is the definition's workflowStatusListenerSink, "" for the
// server's default.
func Message(id string, sink string, ev *Event) *store.Message {
	ev.EventID = id
	data := encode(ev)
	if len(data) > MaxEventBytes {
		ev.Output, ev.Truncated = nil, true
		data = encode(ev)
	}
	if len(data) > MaxEventBytes {
		ev.ReasonForIncompletion = clip(ev.ReasonForIncompletion, maxReasonBytes)
		data = encode(ev)
	}
	b, err := json.Marshal(body{Sink: sink, Event: data})
	if err != nil {
		panic("listener: encode message: " + err.Error())
	}
	return &store.Message{ID: id, Kind: Kind, WorkflowID: ev.WorkflowID, Body: b, Time: ev.Time}
}

func encode(ev *Event) []byte {
	data, err := json.Marshal(ev)
	if err != nil {
		// Outputs are JSON values decoded from JSON.
		panic("listener: encode event: " + err.Error())
	}
	return data
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// CheckURL reports why a receiver URL cannot be used, or nil: it must be an
// absolute http or https URL with a host.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("listener URL %q is not a URL: %v", s, err)
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return fmt.Errorf("listener URL %q must start with http:// or https://", s)
	}
	if u.Host == "" {
		return fmt.Errorf("listener URL %q has no host", s)
	}
	return nil
}

// Unpack returns the receiver set by the definition ("" for the server's
// default) and the event of a listener message.
func Unpack(m *store.Message) (sink string, event json.RawMessage, err error) {
	var b body
	if err := workflow.Decode(m.Body, &b); err != nil {
		return "", nil, fmt.Errorf("listener message %s: %w", m.ID, err)
	}
	return b.Sink, b.Event, nil
}
