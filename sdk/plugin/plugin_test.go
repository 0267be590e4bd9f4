package plugin

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The handler plumbing runs natively too; the host tests in package wasm run
// it inside wazero.

const input = `{"task":{"taskId":"t1","taskType":"X","retryCount":2,"inputData":{"name":"ada","n":12345678901234567}}}`

func TestHandleResults(t *testing.T) {
	type in struct {
		Name string `json:"name"`
		N    int64  `json:"n"`
	}
	for _, tc := range []struct {
		name string
		fn   func(t *Task) (*Result, error)
		want string
		err  bool
	}{
		{"output", func(t *Task) (*Result, error) {
			v, err := Input[in](t)
			return &Result{Output: map[string]any{"got": v, "retry": t.RetryCount}}, err
		}, `{"status":"COMPLETED","outputData":{"got":{"name":"ada","n":12345678901234567},"retry":2}}`, false},
		{"nil result", func(*Task) (*Result, error) { return nil, nil }, `{"status":"COMPLETED"}`, false},
		{"error", func(*Task) (*Result, error) { return nil, errors.New("nope") },
			`{"status":"FAILED","reasonForIncompletion":"nope"}`, false},
		{"terminal", func(*Task) (*Result, error) { return nil, Terminal(errors.New("never")) },
			`{"status":"FAILED_WITH_TERMINAL_ERROR","reasonForIncompletion":"never"}`, false},
		{"in progress", func(*Task) (*Result, error) { return &Result{Status: InProgress, CallbackAfterSeconds: 5}, nil },
			`{"status":"IN_PROGRESS","callbackAfterSeconds":5}`, false},
		{"panic", func(*Task) (*Result, error) { panic("boom") }, "plugin panicked: boom", true},
		{"unencodable", func(*Task) (*Result, error) { return &Result{Output: map[string]any{"c": make(chan int)}}, nil },
			"plugin output could not be encoded as JSON: json: unsupported type: chan int", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Handle(tc.fn)
			out, isErr := handle([]byte(input))
			require.Equal(t, tc.err, isErr)
			if tc.err {
				require.Equal(t, tc.want, string(out))
			} else {
				require.JSONEq(t, tc.want, string(out))
			}
		})
	}

	HandleFunc(func(t *Task) (map[string]any, error) { return map[string]any{"id": t.TaskID}, nil })
	out, isErr := handle([]byte(input))
	require.False(t, isErr)
	require.JSONEq(t, `{"status":"COMPLETED","outputData":{"id":"t1"}}`, string(out))

	out, isErr = handle([]byte(`{"nope":1}`))
	require.True(t, isErr)
	require.Equal(t, `plugin could not decode its input: no "task"`, string(out))
}

func TestInputNumbers(t *testing.T) {
	task, err := decodeTask([]byte(input))
	require.NoError(t, err)
	require.Equal(t, json.Number("12345678901234567"), task.InputData["n"])
	v, err := Input[struct{ N int64 }](task)
	require.NoError(t, err)
	require.Equal(t, int64(12345678901234567), v.N)
}

func TestNoHostOutsideWasm(t *testing.T) {
	_, ok := Config("k")
	require.False(t, ok)
	_, _, err := Secret("K")
	require.ErrorContains(t, err, "host functions exist only inside a Baton host")
	require.ErrorContains(t, KVPut("k", nil), "host functions exist only inside a Baton host")
}

// TestNoNetHTTP keeps net/http out of the SDK's core: it is pluginhttp's,
// and linking it doubles every Go plugin's size and compile time.
func TestNoNetHTTP(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", ".")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	out, err := cmd.Output()
	require.NoError(t, err)
	require.NotContains(t, strings.Fields(string(out)), "net/http")
}
