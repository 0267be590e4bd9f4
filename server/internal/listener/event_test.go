package listener

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMessageBoundsTheEvent: an event over MaxEventBytes loses its output
// (and says so), then has its reason cut, and stays valid JSON under the
// bound; a small one is kept whole.
func TestMessageBoundsTheEvent(t *testing.T) {
	t.Parallel()
	unpack := func(id string, ev *Event) map[string]any {
		t.Helper()
		sink, data, err := Unpack(Message(id, "https://hooks.example.com/x", ev))
		require.NoError(t, err)
		require.Equal(t, "https://hooks.example.com/x", sink)
		require.LessOrEqual(t, len(data), MaxEventBytes)
		var got map[string]any
		require.NoError(t, json.Unmarshal(data, &got))
		return got
	}
	small := unpack("e1", &Event{Type: "WORKFLOW_COMPLETED", WorkflowID: "w", Output: map[string]any{"a": "b"}})
	require.Equal(t, "e1", small["eventId"])
	require.Equal(t, map[string]any{"a": "b"}, small["output"])
	require.Nil(t, small["truncated"])

	big := unpack("e2", &Event{Type: "WORKFLOW_COMPLETED", WorkflowID: "w", Output: map[string]any{"blob": strings.Repeat("x", 2*MaxEventBytes)}, ReasonForIncompletion: "short"})
	require.Nil(t, big["output"])
	require.Equal(t, true, big["truncated"])
	require.Equal(t, "short", big["reasonForIncompletion"])

	huge := unpack("e3", &Event{Type: "WORKFLOW_FAILED", WorkflowID: "w", ReasonForIncompletion: strings.Repeat("é", MaxEventBytes)})
	require.Less(t, len(huge["reasonForIncompletion"].(string)), maxReasonBytes+8)
	require.True(t, strings.HasSuffix(huge["reasonForIncompletion"].(string), "..."))
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	require.NoError(t, CheckURL("https://hooks.example.com/baton"))
	require.NoError(t, CheckURL("http://127.0.0.1:9000"))
	require.ErrorContains(t, CheckURL("ftp://example.com"), "http:// or https://")
	require.ErrorContains(t, CheckURL("https:///x"), "no host")
	require.ErrorContains(t, CheckURL("http://[::1"), "not a URL")
}
