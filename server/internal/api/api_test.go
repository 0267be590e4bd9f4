package api_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// The definitions every end-to-end test runs: one task type, three tasks
// chained through their outputs, and a workflow output that also carries an
// integer too large for a float64, to show numbers pass through unrounded.
const (
	taskType    = "double"
	taskDefJSON = `{"name":"double","retryCount":0,"responseTimeoutSeconds":30,"ownerEmail":"dev@example.com"}`
	flowName    = "triple_double"
	flowDefJSON = `{
		"name": "triple_double",
		"version": 1,
		"schemaVersion": 2,
		"ownerEmail": "dev@example.com",
		"tasks": [
			{"name": "double", "taskReferenceName": "a", "type": "SIMPLE", "inputParameters": {"x": "${workflow.input.n}"}},
			{"name": "double", "taskReferenceName": "b", "type": "SIMPLE", "inputParameters": {"x": "${a.output.y}"}},
			{"name": "double", "taskReferenceName": "c", "type": "SIMPLE", "inputParameters": {"x": "${b.output.y}"}}
		],
		"outputParameters": {"result": "${c.output.y}", "big": "${workflow.input.big}"}
	}`
	flowInputJSON  = `{"n": 3, "big": 12345678901234567890}`
	flowOutputJSON = `{"result": 24, "big": 12345678901234567890}`
	bigNumber      = "12345678901234567890"

	// invalidFlowJSON has two problems: a task without a reference name
	// and a task whose definition is not registered.
	invalidFlowJSON = `{"name": "broken", "tasks": [
		{"name": "double", "type": "SIMPLE"},
		{"name": "not_registered", "taskReferenceName": "b", "type": "SIMPLE"}
	]}`
)

// The JSON pointers of the problems of invalidFlowJSON.
var invalidFlowPointers = []string{"/tasks/0/taskReferenceName", "/tasks/1/name"}

// env is one Baton API over a fresh in-memory store, served on loopback
// with HTTP/1.1 and cleartext HTTP/2, as the server runs it.
type env struct {
	engine *engine.Engine
	addr   string // host:port
	url    string // http://host:port
	h1     *http.Client
	h2c    *http.Client
}

func setup(t *testing.T, opts api.Options) *env {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	require.NoError(t, err)
	return setupWith(t, engine.Config{Store: st}, opts)
}

// setupWith is setup with an engine configuration of the test's own; it
// closes cfg.Store at the end.
func setupWith(t *testing.T, cfg engine.Config, opts api.Options) *env {
	t.Helper()
	st := cfg.Store
	e, err := engine.New(cfg)
	require.NoError(t, err)
	require.NoError(t, e.Start(t.Context()))

	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: api.New(e, opts), Protocols: &protocols}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var h2only http.Protocols
	h2only.SetUnencryptedHTTP2(true)
	h1 := &http.Client{Transport: &http.Transport{}}
	h2c := &http.Client{Transport: &http.Transport{Protocols: &h2only}}
	t.Cleanup(func() {
		h1.CloseIdleConnections()
		h2c.CloseIdleConnections()
		e.Stop() // ends long polls
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		require.ErrorIs(t, <-served, http.ErrServerClosed)
		require.NoError(t, st.Close())
	})
	return &env{engine: e, addr: ln.Addr().String(), url: "http://" + ln.Addr().String(), h1: h1, h2c: h2c}
}

// testContext bounds a test so that a lost task fails it instead of hanging.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// double is the worker: y = 2x, computed on the exact integer.
func double(t *testing.T, input map[string]any) map[string]any {
	t.Helper()
	x, ok := input["x"].(json.Number)
	require.True(t, ok, "input x is %T, want a json.Number", input["x"])
	n, err := x.Int64()
	require.NoError(t, err)
	return map[string]any{"y": 2 * n}
}

// decodeNumbers decodes JSON keeping numbers as json.Number.
func decodeNumbers(t *testing.T, data string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, workflow.Decode([]byte(data), &m))
	return m
}

// snapshot is the observable state of an engine, to show a refused request
// changed nothing.
func snapshot(t *testing.T, e *engine.Engine, workflowIDs ...string) string {
	t.Helper()
	ctx := t.Context()
	state := map[string]any{}
	tds, err := e.TaskDefs(ctx)
	require.NoError(t, err)
	wds, err := e.WorkflowDefs(ctx)
	require.NoError(t, err)
	state["taskDefs"], state["workflowDefs"] = tds, wds
	state["queue"] = e.QueueSize(taskType)
	for _, id := range workflowIDs {
		w, err := e.Workflow(ctx, id, true)
		require.NoError(t, err)
		state["workflow "+id] = w
		for _, task := range w.Tasks {
			logs, err := e.TaskLogs(ctx, task.TaskID)
			require.NoError(t, err)
			state["logs "+task.TaskID] = logs
		}
	}
	b, err := json.Marshal(state)
	require.NoError(t, err)
	return string(b)
}

// fixture is a workflow with its first task completed and its second
// scheduled, for tests of requests that must be refused.
type fixture struct {
	workflowID string
	doneTask   *workflow.Task // "a", COMPLETED
	nextTask   *workflow.Task // "b", SCHEDULED
}

// newFixture registers the definitions, starts a workflow and completes its
// first task, straight through the engine.
func newFixture(t *testing.T, e *engine.Engine) *fixture {
	t.Helper()
	ctx := t.Context()
	td := new(workflow.TaskDef)
	require.NoError(t, workflow.Decode([]byte(taskDefJSON), td))
	require.NoError(t, e.RegisterTaskDefs(ctx, []*workflow.TaskDef{td}))
	wd := new(workflow.WorkflowDef)
	require.NoError(t, workflow.Decode([]byte(flowDefJSON), wd))
	_, err := e.RegisterWorkflowDef(ctx, wd, false, false)
	require.NoError(t, err)
	id, err := e.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, Input: decodeNumbers(t, flowInputJSON)})
	require.NoError(t, err)
	tasks, err := e.Poll(ctx, engine.PollRequest{TaskType: taskType, WorkerID: "fixture"})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.NoError(t, e.UpdateTask(ctx, &workflow.TaskResult{
		TaskID:     tasks[0].TaskID,
		Status:     workflow.TaskCompleted,
		OutputData: double(t, tasks[0].InputData),
	}))
	w, err := e.Workflow(ctx, id, true)
	require.NoError(t, err)
	require.Len(t, w.Tasks, 2)
	require.Equal(t, workflow.TaskCompleted, w.Tasks[0].Status)
	require.Equal(t, workflow.TaskScheduled, w.Tasks[1].Status)
	return &fixture{workflowID: id, doneTask: w.Tasks[0], nextTask: w.Tasks[1]}
}

// bigDescription makes a workflow definition larger than limit bytes.
func bigFlowJSON(limit int) string {
	return `{"name":"huge","description":"` + strings.Repeat("x", limit) + `","tasks":[{"name":"double","taskReferenceName":"a"}]}`
}

// jsonText encodes v as JSON text.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func hostname(t *testing.T) string {
	t.Helper()
	h, err := os.Hostname()
	require.NoError(t, err)
	return h
}

func TestHealth(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	for name, client := range map[string]*http.Client{"HTTP/1.1": env.h1, "h2c": env.h2c} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			resp, err := client.Get(env.url + "/health")
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, map[bool]int{true: 2, false: 1}[name == "h2c"], resp.ProtoMajor)
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			require.Equal(t, map[string]any{"healthy": true}, body)
		})
	}
}
