package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/batonhq/baton/internal/plainjson"
)

// Task is the task a plugin runs, in Conductor's Task JSON shape: the fields
// a plugin uses. Numbers in InputData are json.Number, so that large integers
// are not rounded; Input decodes InputData into a typed value.
type Task struct {
	TaskID                 string         `json:"taskId"`
	TaskType               string         `json:"taskType"`
	TaskDefName            string         `json:"taskDefName"`
	ReferenceTaskName      string         `json:"referenceTaskName"`
	WorkflowInstanceID     string         `json:"workflowInstanceId"`
	WorkflowType           string         `json:"workflowType"`
	CorrelationID          string         `json:"correlationId,omitempty"`
	Domain                 string         `json:"domain,omitempty"`
	Seq                    int            `json:"seq"`
	Iteration              int            `json:"iteration"`
	RetryCount             int            `json:"retryCount"`
	PollCount              int            `json:"pollCount"`
	CallbackAfterSeconds   int64          `json:"callbackAfterSeconds"`
	ResponseTimeoutSeconds int64          `json:"responseTimeoutSeconds"`
	ScheduledTime          int64          `json:"scheduledTime"`
	StartTime              int64          `json:"startTime"`
	InputData              map[string]any `json:"inputData"`

	// doc is InputData read in place, for In: parsed from the input under
	// HandleJSON, else written from InputData at the first In.
	doc *doc
}

// inDoc is the parsed input of the call running; its nodes are reused from
// call to call.
var inDoc doc

// In returns the task's inputData as a Value, read where it lies in the
// input: under HandleJSON the fast way to read it (t.InputData is then
// nil). Under Handle and HandleFunc, In reads InputData as it is at the
// first call. The Value is valid until the handler returns.
func (t *Task) In() Value {
	if t.doc == nil {
		text, err := plainjson.AppendValue(nil, t.InputData)
		if err != nil {
			text = []byte("null") // InputData holds values JSON cannot write
		}
		p := plainjson.NewParser(text)
		d := &inDoc
		if d.nodes, err = p.Tree(d.nodes); err != nil {
			panic("plugin: written JSON does not parse: " + err.Error())
		}
		d.text, t.doc = p.Text(), d
	}
	return Value{t.doc, 0}
}

// Task statuses a plugin may return.
const (
	Completed      = "COMPLETED"
	Failed         = "FAILED"
	FailedTerminal = "FAILED_WITH_TERMINAL_ERROR"
	InProgress     = "IN_PROGRESS"
)

// Result is what a handler returns: a status, the task's output, the reason
// of a failure, and for IN_PROGRESS the delay before the task is run again.
type Result struct {
	Status               string         `json:"status"`
	Output               map[string]any `json:"outputData,omitempty"`
	Reason               string         `json:"reasonForIncompletion,omitempty"`
	CallbackAfterSeconds int64          `json:"callbackAfterSeconds,omitempty"`
}

var (
	handler     func(t *Task) (*Result, error)
	jsonHandler func(t *Task, out *Writer) (*Result, error)
	writer      Writer
)

// Handle registers the plugin's handler; call it from init. A returned
// error fails the task with err.Error() as its reason (FAILED, or
// FAILED_WITH_TERMINAL_ERROR for an error made by Terminal); a nil Result
// with a nil error completes the task with no output. A panic fails the task
// with "plugin panicked: <value>", and the host then discards the instance,
// whose state the panic may have left half-changed.
func Handle(fn func(t *Task) (*Result, error)) { handler, jsonHandler = fn, nil }

// HandleJSON registers a handler that reads its input in place with t.In
// (t.InputData stays nil) and writes its output with out, building no map:
// the fast way for a plugin whose time would go into building and walking
// maps (in a Go plugin, an allocation costs some ten times what it does
// natively, and 1 KB of input as maps makes some two hundred). The Result
// it returns says the status as Handle's does, and its Output must be nil:
// the output is what out holds. Errors and panics fail the task as under
// Handle.
func HandleJSON(fn func(t *Task, out *Writer) (*Result, error)) { handler, jsonHandler = nil, fn }

// HandleFunc registers a handler that completes the task with the map it
// returns as output, or fails it with the error (see Handle).
func HandleFunc(fn func(t *Task) (map[string]any, error)) {
	Handle(func(t *Task) (*Result, error) {
		out, err := fn(t)
		if err != nil {
			return nil, err
		}
		return &Result{Status: Completed, Output: out}, nil
	})
}

type terminalError struct{ err error }

func (e terminalError) Error() string { return e.err.Error() }
func (e terminalError) Unwrap() error { return e.err }

// Terminal marks err as final: the task fails with
// FAILED_WITH_TERMINAL_ERROR and is not retried.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	return terminalError{err}
}

// Input decodes the task's InputData into a T (through JSON, so T's json
// tags apply, as json.Unmarshal does).
func Input[T any](t *Task) (T, error) {
	var v T
	// Written without reflection (and in encoding/json's key order, so that
	// keys differing only in case resolve the same way), then read by
	// json.Unmarshal.
	b, err := plainjson.AppendSorted(nil, t.InputData)
	if err != nil {
		return v, fmt.Errorf("input: %w", err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("input: %w", err)
	}
	return v, nil
}

// Buffers reused from call to call: the host writes the input into inBuf
// (baton_alloc), and reads the output from out until the next call.
var (
	inBuf []byte
	out   []byte
)

// alloc returns a buffer of size bytes for the input, nil for size 0.
func alloc(size uint32) *byte {
	if size == 0 {
		return nil
	}
	if uint32(cap(inBuf)) < size {
		inBuf = make([]byte, size)
	}
	inBuf = inBuf[:size]
	return &inBuf[0]
}

// envelope is the input of baton_handle.
type envelope struct {
	Task *Task `json:"task"`
}

// decodeTask decodes the input of baton_handle, numbers as json.Number:
// by hand (codec.go), or with encoding/json where that would differ.
func decodeTask(in []byte) (*Task, error) {
	if t, err := decodeFast(in); err != plainjson.ErrFallback {
		return t, err
	}
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		return nil, err
	}
	if env.Task == nil {
		return nil, errors.New(`no "task"`)
	}
	return env.Task, nil
}

// handle runs the handler on one input and returns the output, or an error
// message and true.
func handle(in []byte) (output []byte, isErr bool) {
	defer func() {
		if r := recover(); r != nil {
			output, isErr = setOut(fmt.Appendf(out[:0], "plugin panicked: %v", r)), true
		}
	}()
	if handler == nil && jsonHandler == nil {
		return setOut(append(out[:0], "the plugin registered no handler: call plugin.Handle, plugin.HandleFunc or plugin.HandleJSON in init"...)), true
	}
	task, err := decodeTask(in)
	if err != nil {
		return setOut(fmt.Appendf(out[:0], "plugin could not decode its input: %v", err)), true
	}
	var r *Result
	var written []byte
	if jsonHandler != nil {
		writer.reset()
		r, err = jsonHandler(task, &writer)
		if err == nil && r != nil && r.Output != nil {
			err = errors.New("plugin: a HandleJSON handler writes its output with its Writer; its Result.Output must be nil")
		}
		if err == nil {
			written, err = writer.finish()
		}
	} else {
		r, err = handler(task)
	}
	switch {
	case err != nil:
		status := Failed
		var te terminalError
		if errors.As(err, &te) {
			status = FailedTerminal
		}
		r, written = &Result{Status: status, Reason: err.Error()}, nil
	case r == nil:
		r = &Result{Status: Completed}
	case r.Status == "":
		r.Status = Completed
	}
	b, err := appendResult(out[:0], r, written)
	if err != nil {
		return setOut(fmt.Appendf(out[:0], "plugin output could not be encoded as JSON: %v", err)), true
	}
	return setOut(b), false
}

// setOut keeps b alive until the next call (the host reads it after
// baton_handle returns).
func setOut(b []byte) []byte {
	out = b
	return b
}
