package wasm

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// TestAppendInput checks the task the host writes against encoding/json's
// encoding of the same task, restricted to the fields doc.go lists.
func TestAppendInput(t *testing.T) {
	for _, tk := range []*workflow.Task{
		task(nil),
		{TaskID: "t\"1", TaskType: "X<>&", TaskDefName: "d", ReferenceTaskName: "r", Status: workflow.TaskInProgress,
			WorkflowInstanceID: "w", WorkflowType: "wt", CorrelationID: "c", Domain: "dom", Seq: 3, Iteration: 2,
			RetryCount: 1, PollCount: 4, CallbackAfterSeconds: 30, ResponseTimeoutSeconds: 60,
			ScheduledTime: 1700000000000, StartTime: 1700000000001, EndTime: 9, WorkflowPriority: 5,
			InputData:    map[string]any{"n": json.Number("12345678901234567"), "f": 1.5, "s": []any{"a", nil, true}, "m": map[string]any{}},
			OutputData:   map[string]any{"state": "half", "i": 7},
			WorkflowTask: &workflow.WorkflowTask{Name: "x"}},
	} {
		got, err := appendInput(nil, tk)
		require.NoError(t, err)
		var gotV map[string]map[string]any
		require.NoError(t, workflow.Decode(got, &gotV))

		std, err := json.Marshal(map[string]any{"task": tk})
		require.NoError(t, err)
		var want map[string]map[string]any
		require.NoError(t, workflow.Decode(std, &want))
		for k := range want["task"] {
			if !inputKeys[k] {
				delete(want["task"], k)
			}
		}
		require.Equal(t, want, gotV, "%s", got)
	}
	_, err := appendInput(nil, task(map[string]any{"c": make(chan int)}))
	require.EqualError(t, err, "json: unsupported type: chan int")
}

// inputKeys are the task's fields a plugin is given (doc.go).
var inputKeys = map[string]bool{"taskId": true, "taskType": true, "taskDefName": true, "referenceTaskName": true,
	"status": true, "workflowInstanceId": true, "workflowType": true, "correlationId": true, "domain": true,
	"seq": true, "iteration": true, "retryCount": true, "pollCount": true, "callbackAfterSeconds": true,
	"responseTimeoutSeconds": true, "scheduledTime": true, "startTime": true, "inputData": true, "outputData": true}

var outputs = []string{
	`{"status":"COMPLETED","outputData":{"a":[1,"x",{"b":null}],"n":12345678901234567890},"reasonForIncompletion":"r","callbackAfterSeconds":5}`,
	`{"status":"IN_PROGRESS","callbackAfterSeconds":-1,"extra":{"x":[1,2]},"outputData":null}`,
	`{"outputData":{"a":1},"outputData":{"b":2}}`, // merged, as encoding/json does
	`{"STATUS":"FAILED","OutputData":{"a":1}}`,    // names match without regard to case
	`{"status":"COMPLETED"} `,
	`{"status":"COMPLETED"} {"x":1}`,
	`{"status":"COMPLETED"}}`,
	`{"status":7}`,
	`{"callbackAfterSeconds":1.5}`,
	`{"callbackAfterSeconds":"1"}`,
	`{"outputData":[1]}`,
	`{"status":null,"reasonForIncompletion":null,"callbackAfterSeconds":null}`,
	`[]`, `null`, `not json`, ``,
}

// TestDecodeOutput checks decodeOutput against workflow.Decode: the same
// result and the same error.
func TestDecodeOutput(t *testing.T) {
	for _, out := range outputs {
		checkOutput(t, []byte(out))
	}
}

func FuzzDecodeOutput(f *testing.F) {
	for _, out := range outputs {
		f.Add([]byte(out))
	}
	f.Fuzz(checkOutput)
}

func checkOutput(t *testing.T, out []byte) {
	var want guestResult
	wantErr := workflow.Decode(out, &want)
	got, err := decodeOutput(out)
	if wantErr != nil {
		require.EqualError(t, err, wantErr.Error(), "%q", out)
		return
	}
	require.NoError(t, err, "%q", out)
	require.Equal(t, want, got, "%q", out)
}

// TestInputThroughGuest runs the host's input through the SDK's decoder, in
// the guest: the task arrives whole.
func TestInputThroughGuest(t *testing.T) {
	p := sdkPlugin(t, HostConfig{}, nil)
	in := map[string]any{"op": "echo", "s": "a\"\\\n\u2028<>&é😀", "n": json.Number("-1.5e300"), "big": json.Number("12345678901234567890"),
		"list": []any{1.25, "x", nil, false, map[string]any{"deep": []any{}}}, "empty": map[string]any{}}
	res := p.Run(t.Context(), task(in), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	var want map[string]any
	dec := json.NewDecoder(bytes.NewReader(mustJSON(t, in)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&want))
	require.Equal(t, want, res.OutputData)
}
