package engine_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// waitEnd waits for a workflow to end.
func waitEnd(t *testing.T, e *engine.Engine, id string) *workflow.Workflow {
	t.Helper()
	var w *workflow.Workflow
	require.Eventually(t, func() bool {
		var err error
		w, err = e.Workflow(context.Background(), id, true)
		require.NoError(t, err)
		return w.Status.Terminal()
	}, 10*time.Second, 5*time.Millisecond)
	return w
}

// TestHTTPToLoopbackIsRefused: with the default configuration an HTTP task
// cannot reach the server's own machine: the request never arrives and the
// task fails for good, saying why.
func TestHTTPToLoopbackIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	for _, uri := range []string{srv.URL + "/admin", "http://169.254.169.254/latest/meta-data/"} {
		id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "call", WorkflowDef: &workflow.WorkflowDef{
			Name: "call", Tasks: []*workflow.WorkflowTask{{Name: "call", TaskReferenceName: "call", Type: workflow.TypeHTTP,
				InputParameters: map[string]any{"http_request": map[string]any{"uri": uri, "method": "GET"}}}},
		}})
		require.NoError(t, err)
		w := waitEnd(t, b.e, id)
		require.Equal(t, workflow.StatusFailed, w.Status)
		require.Equal(t, workflow.TaskFailedWithTerminalError, w.Tasks[0].Status)
		require.Contains(t, w.Tasks[0].ReasonForIncompletion, "refused")
	}
	require.Zero(t, hits.Load(), "no request reached the loopback server")
}

// TestBadExpressionsFailTheTask: a malformed path in an input is a task
// failure that says where, not a server error; so is an inline definition
// that is not one.
func TestBadExpressionsFailTheTask(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "bad", Input: map[string]any{"def": "not a definition"}, WorkflowDef: &workflow.WorkflowDef{
		Name: "bad", Tasks: []*workflow.WorkflowTask{
			{Name: "sub", TaskReferenceName: "sub", Type: workflow.TypeSubWorkflow, Optional: true,
				SubWorkflowParam: &workflow.SubWorkflowParams{Name: "x", WorkflowDefinition: "${workflow.input.def}"}},
			{Name: "loop", TaskReferenceName: "loop", Type: workflow.TypeDoWhile, Items: "${workflow.input.def}",
				LoopOver: []*workflow.WorkflowTask{{Name: "n", TaskReferenceName: "n", Type: workflow.TypeNoop}}},
		},
	}})
	require.NoError(t, err)
	w := waitEnd(t, b.e, id)
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Equal(t, workflow.TaskCompletedWithErrors, w.Tasks[0].Status)
	require.Contains(t, w.Tasks[0].ReasonForIncompletion, "workflowDefinition")
	require.Equal(t, workflow.TaskFailedWithTerminalError, w.Tasks[1].Status)
	require.Contains(t, w.Tasks[1].ReasonForIncompletion, "items must give a list, got a string")
}

// TestWaitTimerFiresOnceAcrossRestart: a WAIT's timer is in the store; an
// engine started after its time fires it once.
func TestWaitTimerFiresOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	b := setup(t, 0, nil)
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "nap", WorkflowDef: &workflow.WorkflowDef{
		Name: "nap", Tasks: []*workflow.WorkflowTask{{Name: "nap", TaskReferenceName: "nap", Type: workflow.TypeWait,
			InputParameters: map[string]any{"duration": "10m"}}},
	}})
	require.NoError(t, err)
	b.e.Stop()
	b.clock.Add(11 * time.Minute)
	again := start(t, b.store, 0, nil)
	again.clock.Add(b.clock.Now().Sub(again.clock.Now()))
	for range 3 {
		require.True(t, again.e.FireDue(again.ctx))
	}
	w := waitEnd(t, again.e, id)
	require.Equal(t, workflow.StatusCompleted, w.Status)
	require.Len(t, w.Tasks, 1)
	history, err := again.store.HistoryList(again.ctx, id)
	require.NoError(t, err)
	fired := 0
	for _, h := range history {
		if h.Type == "TASK_COMPLETED" {
			fired++
		}
	}
	require.Equal(t, 1, fired, "the timer fired once")
}
