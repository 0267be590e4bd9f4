package workflow

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// jsonTree decodes JSON with numbers as json.Number, for comparing documents.
func jsonTree(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

// TestWorkflowDefRoundTrip decodes a definition with unknown members at
// several levels and large numbers, encodes it back and expects the same
// JSON document.
func TestWorkflowDefRoundTrip(t *testing.T) {
	t.Parallel()
	var data []byte
	{
		var raw json.RawMessage
		readJSON(t, "roundtrip.json", &raw)
		data = raw
	}
	var def WorkflowDef
	require.NoError(t, Decode(data, &def))

	require.Contains(t, def.Extra, "x-top")
	require.Contains(t, def.Tasks[0].Extra, "x-task")
	require.Contains(t, def.Tasks[0].TaskDefinition.Extra, "x-taskdef")
	require.Contains(t, def.Tasks[1].DecisionCases["a"][0].SubWorkflowParam.Extra, "x-swp")
	require.Equal(t, json.Number("9007199254740993"), def.Tasks[0].InputParameters["id"])
	require.Equal(t, "roundtrip", def.Name, "member names match exactly, as in Jackson")
	require.Equal(t, "fetch_ref", def.Tasks[0].TaskReferenceName)
	require.Contains(t, def.Tasks[0].Extra, "TaskReferenceName")

	out, err := json.Marshal(&def)
	require.NoError(t, err)
	require.Equal(t, jsonTree(t, data), jsonTree(t, out))

	// And once more, from Baton's own output.
	var again WorkflowDef
	require.NoError(t, Decode(out, &again))
	out2, err := json.Marshal(&again)
	require.NoError(t, err)
	require.Equal(t, jsonTree(t, data), jsonTree(t, out2))
}

// TestTaskDefRoundTrip does the same for a task definition on its own.
func TestTaskDefRoundTrip(t *testing.T) {
	t.Parallel()
	data := []byte(`{"name": "t", "retryCount": 0, "x-extra": {"a": [9007199254740993]}, "inputTemplate": {"n": 9007199254740993},
		"inputSchema": {"name": "s", "x-s": 1}, "outputSchema": {"name": "o", "data": {"type": "object"}}}`)
	var def TaskDef
	require.NoError(t, Decode(data, &def))
	require.Equal(t, 0, *def.RetryCount)
	out, err := json.Marshal(&def)
	require.NoError(t, err)
	require.Equal(t, jsonTree(t, data), jsonTree(t, out))
}

// TestMemberNamesAreCaseSensitive: a member that differs from a declared one
// only in case is an unknown member, as in Conductor, not a second spelling.
func TestMemberNamesAreCaseSensitive(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"name": "a", "taskReferenceName": "y", "TaskReferenceName": "X"}`,
		`{"name": "a", "TaskReferenceName": "X", "taskReferenceName": "y"}`,
	} {
		var wt WorkflowTask
		require.NoError(t, Decode([]byte(in), &wt))
		require.Equal(t, "y", wt.TaskReferenceName, in)
		require.Equal(t, Extra{"TaskReferenceName": json.RawMessage(`"X"`)}, wt.Extra, in)
		out, err := json.Marshal(&wt)
		require.NoError(t, err)
		require.Equal(t, jsonTree(t, []byte(in)), jsonTree(t, out))
	}

	var wt WorkflowTask
	require.NoError(t, Decode([]byte(`{"NAME": "a"}`), &wt))
	require.Empty(t, wt.Name)

	require.Error(t, Decode([]byte(`[1]`), &wt))
	require.Error(t, Decode([]byte(`{"name": 1}`), &wt))
	require.Error(t, Decode([]byte(`{"name": "a", "x": 1} {}`), &wt))
}
