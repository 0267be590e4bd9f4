package plugin

import (
	"errors"
	"strconv"

	"github.com/batonhq/baton/internal/plainjson"
)

// The SDK's JSON for the task it receives and the result it returns. Go
// compiled to wasm runs encoding/json's reflection some 20 times slower than
// native code, which made it most of a Go plugin's time per task; the
// input's shape is known and its values are plain, so plainjson reads and
// writes them, and encoding/json takes over wherever plainjson would not do
// exactly what it does (see decodeTask).

// taskKeys are the JSON names of Task's fields.
var taskKeys = []string{"taskId", "taskType", "taskDefName", "referenceTaskName", "workflowInstanceId",
	"workflowType", "correlationId", "domain", "seq", "iteration", "retryCount", "pollCount",
	"callbackAfterSeconds", "responseTimeoutSeconds", "scheduledTime", "startTime", "inputData"}

// decodeFast parses the input of baton_handle, numbers as json.Number;
// plainjson.ErrFallback where encoding/json is needed.
func decodeFast(in []byte) (*Task, error) {
	p := plainjson.NewParser(in)
	var t *Task
	err := p.Object(func(key string) error {
		if key != "task" {
			if plainjson.FoldsTo(key, "task") {
				return plainjson.ErrFallback
			}
			return p.Skip()
		}
		if p.Null() {
			t = nil
			return nil
		}
		if t == nil { // a second "task" adds to the first, as in encoding/json
			t = &Task{}
		}
		return p.Object(func(key string) error { return taskField(p, t, key) })
	})
	if err == nil {
		err = p.End()
	}
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, errors.New(`no "task"`)
	}
	return t, nil
}

// taskField parses the value of t's field key.
func taskField(p *plainjson.Parser, t *Task, key string) error {
	var s *string
	var i *int
	var n *int64
	switch key {
	case "taskId":
		s = &t.TaskID
	case "taskType":
		s = &t.TaskType
	case "taskDefName":
		s = &t.TaskDefName
	case "referenceTaskName":
		s = &t.ReferenceTaskName
	case "workflowInstanceId":
		s = &t.WorkflowInstanceID
	case "workflowType":
		s = &t.WorkflowType
	case "correlationId":
		s = &t.CorrelationID
	case "domain":
		s = &t.Domain
	case "seq":
		i = &t.Seq
	case "iteration":
		i = &t.Iteration
	case "retryCount":
		i = &t.RetryCount
	case "pollCount":
		i = &t.PollCount
	case "callbackAfterSeconds":
		n = &t.CallbackAfterSeconds
	case "responseTimeoutSeconds":
		n = &t.ResponseTimeoutSeconds
	case "scheduledTime":
		n = &t.ScheduledTime
	case "startTime":
		n = &t.StartTime
	case "inputData":
		t.doc = nil
		if p.Null() {
			t.InputData = nil
			return nil
		}
		if jsonHandler != nil { // read in place (Task.In), no map
			d := &inDoc
			var err error
			if d.nodes, err = p.Tree(d.nodes); err != nil {
				return err
			}
			if d.nodes[0].Kind != plainjson.KindObject {
				return plainjson.ErrFallback // encoding/json says what is wrong
			}
			d.text, t.doc = p.Text(), d
			return nil
		}
		if t.InputData == nil {
			t.InputData = map[string]any{}
		}
		return p.Members(t.InputData)
	case "status", "outputData": // sent by the host, not read by plugins
		return p.Skip()
	default:
		for _, k := range taskKeys {
			if plainjson.FoldsTo(key, k) { // encoding/json matches names without regard to case
				return plainjson.ErrFallback
			}
		}
		return p.Skip()
	}
	if s != nil {
		v, err := p.Str() // null or another type: ErrFallback, and encoding/json says what
		*s = v
		return err
	}
	if i != nil {
		v, err := p.Int(strconv.IntSize)
		*i = int(v)
		return err
	}
	v, err := p.Int(64)
	*n = v
	return err
}

// appendResult appends r as JSON (the Result's json tags) to buf, with
// output, if given, as its outputData in place of r.Output.
func appendResult(buf []byte, r *Result, output []byte) ([]byte, error) {
	buf = append(buf, `{"status":`...)
	buf = plainjson.AppendString(buf, r.Status)
	if len(output) > 2 { // not {}
		buf = append(buf, `,"outputData":`...)
		buf = append(buf, output...)
	} else if len(r.Output) > 0 {
		buf = append(buf, `,"outputData":`...)
		var err error
		if buf, err = plainjson.AppendValue(buf, r.Output); err != nil {
			return nil, err
		}
	}
	if r.Reason != "" {
		buf = append(buf, `,"reasonForIncompletion":`...)
		buf = plainjson.AppendString(buf, r.Reason)
	}
	if r.CallbackAfterSeconds != 0 {
		buf = append(buf, `,"callbackAfterSeconds":`...)
		buf = strconv.AppendInt(buf, r.CallbackAfterSeconds, 10)
	}
	return append(buf, '}'), nil
}
