package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

func TestDecodeJSONSaysWhereItBroke(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		into any
		want string
	}{
		{"syntax on line 1", `{"name": "x",}`, new(workflow.TaskDef), "malformed JSON at line 1, column 14: invalid character '}'"},
		{"syntax on line 3", "{\n  \"name\": \"x\",\n  \"tasks\": [}\n}", new(workflow.WorkflowDef), "malformed JSON at line 3, column 13: invalid character '}'"},
		{"truncated", `{"name": "x"`, new(workflow.TaskDef), "the document ends early"},
		{"wrong member type", `{"name": 42}`, new(workflow.TaskDef), `member "name" must be a JSON string, got a JSON number`},
		{"wrong document type", `[1]`, new(map[string]any), "expected a JSON object, got a JSON array"},
		{"trailing data", `{} {}`, new(map[string]any), "unexpected data after the JSON value"},
		{"empty", " \n", new(map[string]any), "doc is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := decodeJSON("doc", []byte(tc.in), tc.into)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestStatusConversions(t *testing.T) {
	t.Parallel()
	for _, s := range []workflow.TaskStatus{
		workflow.TaskScheduled, workflow.TaskInProgress, workflow.TaskCompleted, workflow.TaskCompletedWithErrors,
		workflow.TaskFailed, workflow.TaskFailedWithTerminalError, workflow.TaskTimedOut, workflow.TaskCanceled, workflow.TaskSkipped,
	} {
		p := taskStatusToProto(s)
		require.NotZero(t, p, s)
		back, err := taskStatusFromProto("status", p)
		require.NoError(t, err)
		require.Equal(t, s, back)
	}
	for _, s := range []workflow.Status{
		workflow.StatusRunning, workflow.StatusPaused, workflow.StatusCompleted,
		workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusTerminated,
	} {
		require.NotZero(t, workflowStatusToProto(s), s)
	}
	_, err := taskStatusFromProto("result.status", 99)
	require.ErrorContains(t, err, "result.status 99 is not a known TaskStatus")
}
