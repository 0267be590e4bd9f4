package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// dryRunFlowJSON routes on a mocked output and computes from another.
const dryRunFlowJSON = `{"name": "route", "tasks": [
	{"name": "double", "taskReferenceName": "classify", "type": "SIMPLE"},
	{"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
	 "inputParameters": {"kind": "${classify.output.kind}"},
	 "decisionCases": {"large": [{"name": "double", "taskReferenceName": "review", "type": "SIMPLE", "inputParameters": {"n": "${workflow.input.n}"}}]},
	 "defaultCase": [{"name": "double", "taskReferenceName": "ship", "type": "SIMPLE"}]},
	{"name": "total", "taskReferenceName": "total", "type": "INLINE", "inputParameters": {
		"evaluatorType": "javascript", "expression": "$.y + 1", "y": "${review.output.y}"}}
], "outputParameters": {"total": "${total.output.result}"}}`

func dryRunEnv(t *testing.T, opts api.Options) (*env, store.Store) {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	e := setupWith(t, engine.Config{Store: st}, opts)
	require.NoError(t, e.engine.RegisterTaskDefs(t.Context(), []*workflow.TaskDef{{Name: taskType, RetryCount: new(int)}}))
	return e, st
}

func countExecutions(t *testing.T, st store.Store) int64 {
	t.Helper()
	counts, err := st.ExecutionCounts(t.Context())
	require.NoError(t, err)
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

func TestDryRunOverConnect(t *testing.T) {
	t.Parallel()
	env, st := dryRunEnv(t, api.Options{})
	c := client.New(env.url, client.WithHTTPClient(env.h1))
	ctx := testContext(t)

	req := &workflow.DryRunRequest{Input: map[string]any{"n": 4}, Mocks: map[string]*workflow.TaskMock{
		"classify": {MockOutcome: workflow.MockOutcome{Output: map[string]any{"kind": "large"}}},
		"review":   {MockOutcome: workflow.MockOutcome{Output: map[string]any{"y": 8}}},
	}}
	require.NoError(t, workflow.Decode([]byte(dryRunFlowJSON), &req.WorkflowDef))
	res, err := c.DryRunWorkflow(ctx, req)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status, res.ReasonForIncompletion)
	var refs []string
	for _, s := range res.Steps {
		refs = append(refs, s.TaskReferenceName)
	}
	require.Equal(t, []string{"classify", "sw", "review", "total"}, refs)
	require.Equal(t, "4", jsonText(t, res.Steps[2].Input["n"]))
	require.Equal(t, "9", jsonText(t, res.Output["total"]))
	require.Zero(t, countExecutions(t, st))
	require.Zero(t, env.engine.QueueSize(taskType))

	// An invalid definition: the diagnostics come back as BadRequest
	// details, as RegisterWorkflowDef's do.
	bad := &workflow.DryRunRequest{}
	require.NoError(t, workflow.Decode([]byte(invalidFlowJSON), &bad.WorkflowDef))
	_, err = c.DryRunWorkflow(ctx, bad)
	var ce *connect.Error
	require.True(t, errors.As(err, &ce), "%v", err)
	require.Equal(t, connect.CodeInvalidArgument, ce.Code())
	var pointers []string
	for _, d := range ce.Details() {
		v, derr := d.Value()
		require.NoError(t, derr)
		if br, ok := v.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				pointers = append(pointers, fv.GetField())
			}
		}
	}
	require.ElementsMatch(t, invalidFlowPointers, pointers)

	// A mock a worker could not report.
	req.Mocks["review"].Status = workflow.TaskScheduled
	_, err = c.DryRunWorkflow(ctx, req)
	require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
	require.ErrorContains(t, err, `mocks.review: status "SCHEDULED" cannot be mocked`)
}

func TestDryRunOverREST(t *testing.T) {
	t.Parallel()
	env, st := dryRunEnv(t, api.Options{MaxBodyBytes: 4 << 10})
	body := `{"workflowDef": ` + dryRunFlowJSON + `, "input": {"n": 4},
		"mocks": {"classify": {"output": {"kind": "small"}}, "ship": {"status": "FAILED_WITH_TERMINAL_ERROR", "reasonForIncompletion": "no stock"}}}`
	r := env.rest(t, restCall{method: "POST", path: "/api/metadata/workflow/dryrun", body: body})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var res workflow.DryRunResult
	r.json(t, &res)
	require.Equal(t, workflow.StatusFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "no stock")
	var path []string
	for _, s := range res.Steps {
		path = append(path, s.TaskReferenceName+":"+string(s.Status))
	}
	require.Equal(t, []string{"classify:COMPLETED", "sw:CANCELED", "ship:FAILED_WITH_TERMINAL_ERROR"}, path)
	require.Zero(t, countExecutions(t, st))

	// Invalid: Conductor's validationErrors.
	r = env.rest(t, restCall{method: "POST", path: "/api/metadata/workflow/dryrun", body: `{"workflowDef": ` + invalidFlowJSON + `}`})
	resp := requireErrorResponse(t, r, http.StatusBadRequest, "INVALID_INPUT")
	var paths []string
	for _, v := range resp["validationErrors"].([]any) {
		paths = append(paths, v.(map[string]any)["path"].(string))
	}
	var want []string
	for _, p := range invalidFlowPointers {
		want = append(want, "/workflowDef"+p) // pointers into the request body
	}
	require.ElementsMatch(t, want, paths)

	// No definition.
	r = env.rest(t, restCall{method: "POST", path: "/api/metadata/workflow/dryrun", body: `{"input": {}}`})
	requireErrorResponse(t, r, http.StatusBadRequest, "INVALID_INPUT")

	// The body limit holds.
	big := `{"workflowDef": ` + dryRunFlowJSON + `, "input": {"pad": "` + strings.Repeat("x", 4<<10) + `"}}`
	r = env.rest(t, restCall{method: "POST", path: "/api/metadata/workflow/dryrun", body: big})
	requireErrorResponse(t, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
}
