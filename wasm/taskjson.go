package wasm

import (
	"strconv"

	"github.com/batonhq/baton/internal/plainjson"
	"github.com/batonhq/baton/sdk/workflow"
)

// The JSON of one call: the task the host writes and the result it reads.
// Both are on the path of every task, so they are written and read by
// plainjson rather than by encoding/json's reflection (which took about half
// of the host's share of a call); encoding/json remains the reference
// wherever plainjson would differ.

// appendInput appends the input of baton_handle to buf: {"task": ...} with
// the fields of the task a plugin may use (doc.go lists them), rather than
// the whole Conductor Task with its definitions, counters and timestamps,
// which every plugin would spend time skipping over.
func appendInput(buf []byte, t *workflow.Task) ([]byte, error) {
	str := func(key, v string) {
		buf = append(buf, ',', '"')
		buf = append(buf, key...)
		buf = append(buf, '"', ':')
		buf = plainjson.AppendString(buf, v)
	}
	num := func(key string, v int64) {
		buf = append(buf, ',', '"')
		buf = append(buf, key...)
		buf = append(buf, '"', ':')
		buf = strconv.AppendInt(buf, v, 10)
	}
	buf = append(buf, `{"task":{"taskId":`...)
	buf = plainjson.AppendString(buf, t.TaskID)
	str("taskType", t.TaskType)
	str("taskDefName", t.TaskDefName)
	str("referenceTaskName", t.ReferenceTaskName)
	str("status", string(t.Status))
	str("workflowInstanceId", t.WorkflowInstanceID)
	str("workflowType", t.WorkflowType)
	if t.CorrelationID != "" {
		str("correlationId", t.CorrelationID)
	}
	if t.Domain != "" {
		str("domain", t.Domain)
	}
	num("seq", int64(t.Seq))
	num("iteration", int64(t.Iteration))
	num("retryCount", int64(t.RetryCount))
	num("pollCount", int64(t.PollCount))
	num("callbackAfterSeconds", t.CallbackAfterSeconds)
	num("responseTimeoutSeconds", t.ResponseTimeoutSeconds)
	num("scheduledTime", t.ScheduledTime)
	num("startTime", t.StartTime)
	var err error
	buf = append(buf, `,"inputData":`...)
	if buf, err = plainjson.AppendValue(buf, t.InputData); err != nil {
		return nil, err
	}
	buf = append(buf, `,"outputData":`...)
	if buf, err = plainjson.AppendValue(buf, t.OutputData); err != nil {
		return nil, err
	}
	return append(buf, '}', '}'), nil
}

// guestResult is the output of baton_handle.
type guestResult struct {
	Status               workflow.TaskStatus `json:"status"`
	OutputData           map[string]any      `json:"outputData"`
	Reason               string              `json:"reasonForIncompletion"`
	CallbackAfterSeconds int64               `json:"callbackAfterSeconds"`
}

// decodeOutput decodes the output of baton_handle, numbers as json.Number.
func decodeOutput(out []byte) (guestResult, error) {
	var gr guestResult
	if err := decodeOutputFast(out, &gr); err != plainjson.ErrFallback {
		return gr, err
	}
	gr = guestResult{}
	err := workflow.Decode(out, &gr)
	return gr, err
}

func decodeOutputFast(out []byte, gr *guestResult) error {
	p := plainjson.NewParser(out)
	err := p.Object(func(key string) error {
		var err error
		switch key {
		case "status":
			var s string
			s, err = p.Str()
			gr.Status = workflow.TaskStatus(s)
		case "outputData":
			if p.Null() {
				gr.OutputData = nil
				return nil
			}
			if gr.OutputData == nil {
				gr.OutputData = map[string]any{}
			}
			err = p.Members(gr.OutputData)
		case "reasonForIncompletion":
			gr.Reason, err = p.Str()
		case "callbackAfterSeconds":
			gr.CallbackAfterSeconds, err = p.Int(64)
		default:
			for _, k := range []string{"status", "outputData", "reasonForIncompletion", "callbackAfterSeconds"} {
				if plainjson.FoldsTo(key, k) { // encoding/json matches names without regard to case
					return plainjson.ErrFallback
				}
			}
			err = p.Skip()
		}
		return err
	})
	if err != nil {
		return err
	}
	return p.End()
}
