package server_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// receiver is a webhook on loopback that records every request. Its
// answer to each attempt is status(eventId, attempt number from 1).
type receiver struct {
	srv *httptest.Server

	mu       sync.Mutex
	status   func(eventID string, attempt int) int
	attempts map[string]int
	accepted []delivery // the requests answered 2xx, in order
}

type delivery struct {
	header http.Header
	body   []byte
	event  map[string]any
}

func newReceiver(t *testing.T, status func(eventID string, attempt int) int) *receiver {
	t.Helper()
	rc := &receiver{status: status, attempts: map[string]int{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var ev map[string]any
		if err := json.Unmarshal(body, &ev); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		id, _ := ev["eventId"].(string)
		rc.mu.Lock()
		rc.attempts[id]++
		code := rc.status(id, rc.attempts[id])
		if code/100 == 2 {
			rc.accepted = append(rc.accepted, delivery{header: r.Header.Clone(), body: body, event: ev})
		}
		rc.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setStatus(status func(eventID string, attempt int) int) {
	rc.mu.Lock()
	rc.status = status
	rc.mu.Unlock()
}

// events returns the events accepted for a workflow.
func (rc *receiver) events(workflowID string) []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []map[string]any
	for _, d := range rc.accepted {
		if d.event["workflowId"] == workflowID {
			out = append(out, d.event)
		}
	}
	return out
}

// has reports whether an event of the type was accepted for the workflow.
func (rc *receiver) has(workflowID, typ string) bool {
	for _, ev := range rc.events(workflowID) {
		if ev["type"] == typ {
			return true
		}
	}
	return false
}

func (rc *receiver) attemptsOf(eventID string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.attempts[eventID]
}

func ok(string, int) int { return http.StatusOK }

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}

// testServer is a started server; stop stops it once.
type testServer struct {
	*server.Server
	stop func() error
}

// startServer starts a server with listener settings and returns it with
// a client; the test's end stops it unless stop did.
func startServer(t *testing.T, cfg server.Config) (*testServer, *client.Client) {
	t.Helper()
	cfg.Addr, cfg.NoSync = "127.0.0.1:0", true
	if cfg.HTTPAllow == nil {
		cfg.HTTPAllow = loopback
	}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Start(t.Context()))
	stop := sync.OnceValue(func() error { return srv.Stop(context.Background()) })
	t.Cleanup(func() { stop() })
	return &testServer{Server: srv, stop: stop}, client.New(srv.URL())
}

// noopFlow is a definition that completes as soon as it starts.
func noopFlow(name, sink string) *workflow.WorkflowDef {
	return &workflow.WorkflowDef{
		Name: name, Version: 1, WorkflowStatusListenerEnabled: true, WorkflowStatusListenerSink: sink,
		Tasks:            []*workflow.WorkflowTask{{Name: "noop", TaskReferenceName: "noop", Type: workflow.TypeNoop}},
		OutputParameters: map[string]any{"done": true},
	}
}

// complete polls one task of the type and completes it.
func complete(t *testing.T, c *client.Client, taskType string, output map[string]any) {
	t.Helper()
	tasks, err := c.PollTasks(t.Context(), taskType, "w1", "", 1, 5*time.Second)
	require.NoError(t, err)
	require.Len(t, tasks, 1, "a %s task to poll", taskType)
	require.NoError(t, c.UpdateTask(t.Context(), &workflow.TaskResult{
		TaskID: tasks[0].TaskID, WorkflowInstanceID: tasks[0].WorkflowInstanceID, Status: workflow.TaskCompleted, OutputData: output,
	}))
}

// TestListenerEvents runs a workflow with a listener and one without: the
// first sends its workflow and task events, signed, except those of the
// task whose definition sets taskStatusListenerEnabled=false; the second
// sends none.
func TestListenerEvents(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, ok)
	dir := t.TempDir()
	srv, c := startServer(t, server.Config{DataDir: dir, ListenerURL: rc.srv.URL, ListenerSecret: "s3cret"})
	ctx := t.Context()

	quiet := false
	require.NoError(t, c.RegisterTaskDefs(ctx,
		&workflow.TaskDef{Name: "lt_work", TimeoutSeconds: 60},
		&workflow.TaskDef{Name: "lt_quiet", TimeoutSeconds: 60, TaskStatusListenerEnabled: &quiet},
	))
	flow := func(name string, on bool) *workflow.WorkflowDef {
		return &workflow.WorkflowDef{
			Name: name, Version: 1, WorkflowStatusListenerEnabled: on,
			Tasks: []*workflow.WorkflowTask{
				{Name: "lt_work", TaskReferenceName: "work", Type: workflow.TypeSimple},
				{Name: "lt_quiet", TaskReferenceName: "quiet", Type: workflow.TypeSimple},
			},
			OutputParameters: map[string]any{"result": "${work.output.x}"},
		}
	}
	for _, d := range []*workflow.WorkflowDef{flow("lt_off", false), flow("lt_on", true)} {
		_, err := c.RegisterWorkflowDef(ctx, d, true, false)
		require.NoError(t, err)
	}
	run := func(name string) string {
		id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: name, CorrelationID: "corr-" + name})
		require.NoError(t, err)
		complete(t, c, "lt_work", map[string]any{"x": 42})
		complete(t, c, "lt_quiet", nil)
		w, err := c.Workflow(ctx, id, false)
		require.NoError(t, err)
		require.Equal(t, workflow.StatusCompleted, w.Status)
		return id
	}
	off := run("lt_off")
	on := run("lt_on")
	require.Eventually(t, func() bool { return rc.has(on, "WORKFLOW_COMPLETED") }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, srv.stop())

	// Every event written was delivered and acknowledged: none is left.
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Messages(ctx, func(m *store.Message) error {
		t.Errorf("message left: %s %s", m.Kind, m.Body)
		return nil
	}))
	dead, err := st.DeadLetterList(ctx, "", 0)
	require.NoError(t, err)
	require.Empty(t, dead)

	require.Empty(t, rc.events(off), "no events for a definition without a listener")
	events := rc.events(on)
	var types []string
	ids := map[string]bool{}
	for _, ev := range events {
		types = append(types, ev["type"].(string))
		ids[ev["eventId"].(string)] = true
		require.Equal(t, "lt_on", ev["workflowName"])
		require.EqualValues(t, 1, ev["version"])
		require.Equal(t, "corr-lt_on", ev["correlationId"])
		if strings.HasPrefix(ev["type"].(string), "TASK_") {
			require.Equal(t, "lt_work", ev["taskType"], "only lt_work reports its tasks")
			require.Equal(t, "work", ev["referenceTaskName"])
			require.EqualValues(t, 0, ev["retryCount"])
			require.NotEmpty(t, ev["taskId"])
			require.Equal(t, strings.TrimPrefix(ev["type"].(string), "TASK_"), ev["status"])
		}
		if ev["type"] == "WORKFLOW_STARTED" {
			require.Equal(t, "RUNNING", ev["status"])
		}
		if ev["type"] == "WORKFLOW_COMPLETED" {
			require.Equal(t, "COMPLETED", ev["status"])
			require.Equal(t, map[string]any{"result": float64(42)}, ev["output"])
		}
	}
	require.Len(t, ids, len(events), "each event once")
	require.ElementsMatch(t, []string{"WORKFLOW_STARTED", "TASK_SCHEDULED", "TASK_IN_PROGRESS", "TASK_COMPLETED", "WORKFLOW_COMPLETED"}, types)

	// Every request is signed; the signature checks with the secret only.
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, d := range rc.accepted {
		sig := d.header.Get(client.ListenerSignatureHeader)
		require.NoError(t, client.VerifyListenerSignature("s3cret", sig, d.body, time.Now(), 5*time.Minute))
		require.Error(t, client.VerifyListenerSignature("wrong", sig, d.body, time.Now(), 5*time.Minute))
		tampered := append([]byte{}, d.body...)
		tampered[len(tampered)-2] ^= 1
		require.Error(t, client.VerifyListenerSignature("s3cret", sig, tampered, time.Now(), 5*time.Minute))
		require.Error(t, client.VerifyListenerSignature("s3cret", sig, d.body, time.Now().Add(time.Hour), 5*time.Minute), "an old request is refused")
		require.Equal(t, d.event["eventId"], d.header.Get("Baton-Event-Id"))
		require.Equal(t, d.event["type"], d.header.Get("Baton-Event-Type"))
		require.Equal(t, "application/json", d.header.Get("Content-Type"))
	}
}

// TestListenerRetries: a receiver that fails three times gets each event
// on the fourth attempt, with the same event id every time; the
// definition's sink is used, with no server default.
func TestListenerRetries(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(_ string, attempt int) int {
		if attempt <= 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	_, c := startServer(t, server.Config{InMemory: true, ListenerAttempts: 10, ListenerBackoff: time.Millisecond})
	ctx := t.Context()
	_, err := c.RegisterWorkflowDef(ctx, noopFlow("lt_retry", rc.srv.URL+"/hook"), true, false)
	require.NoError(t, err)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "lt_retry"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return rc.has(id, "WORKFLOW_COMPLETED") }, 10*time.Second, 5*time.Millisecond)
	for _, ev := range rc.events(id) {
		require.Equal(t, 4, rc.attemptsOf(ev["eventId"].(string)), "event %s", ev["type"])
	}
}

// TestListenerDeadLetters: a receiver that always fails gets each event
// ListenerAttempts times, then the event is a dead letter; once the
// receiver is fixed, a redrive delivers it, and the list is empty.
func TestListenerDeadLetters(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, func(string, int) int { return http.StatusBadGateway })
	srv, c := startServer(t, server.Config{InMemory: true, ListenerURL: rc.srv.URL, ListenerAttempts: 3, ListenerBackoff: time.Millisecond})
	ctx := t.Context()
	_, err := c.RegisterWorkflowDef(ctx, noopFlow("lt_dead", ""), true, false)
	require.NoError(t, err)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "lt_dead"})
	require.NoError(t, err)

	api := srv.URL() + "/api/listeners/deadletters"
	var dead []struct {
		ID         string         `json:"id"`
		WorkflowID string         `json:"workflowId"`
		Attempts   int            `json:"attempts"`
		Error      string         `json:"error"`
		Event      map[string]any `json:"event"`
	}
	require.Eventually(t, func() bool {
		require.NoError(t, json.Unmarshal(call(t, "GET", api, nil, http.StatusOK), &dead))
		return len(dead) == 3 // WORKFLOW_STARTED, TASK_COMPLETED (the NOOP), WORKFLOW_COMPLETED
	}, 10*time.Second, 5*time.Millisecond, "dead letters: %+v; attempts: %v", &dead, rc.attempts)
	var ids []string
	for _, d := range dead {
		require.Equal(t, id, d.WorkflowID)
		require.Equal(t, 3, d.Attempts)
		require.Equal(t, 3, rc.attemptsOf(d.ID), "tried ListenerAttempts times")
		require.Contains(t, d.Error, "502")
		require.Equal(t, d.ID, d.Event["eventId"])
		ids = append(ids, d.ID)
	}
	require.Empty(t, rc.events(id))

	rc.setStatus(ok)
	call(t, "POST", api+"/redrive", ids, http.StatusNoContent)
	require.Eventually(t, func() bool { return len(rc.events(id)) == len(ids) }, 10*time.Second, 5*time.Millisecond)
	require.JSONEq(t, "[]", string(call(t, "GET", api, nil, http.StatusOK)))
	for _, ev := range rc.events(id) {
		require.Contains(t, ids, ev["eventId"], "redriven under its id")
	}
}

// TestListenerRestart: events committed but not delivered when the server
// stops are delivered after a restart on the same data directory.
func TestListenerRestart(t *testing.T) {
	t.Parallel()
	down := newReceiver(t, func(string, int) int { return http.StatusServiceUnavailable })
	dir := t.TempDir()
	srv, c := startServer(t, server.Config{DataDir: dir, ListenerURL: down.srv.URL, ListenerAttempts: 1000, ListenerBackoff: time.Millisecond})
	ctx := t.Context()
	_, err := c.RegisterWorkflowDef(ctx, noopFlow("lt_restart", ""), true, false)
	require.NoError(t, err)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "lt_restart"})
	require.NoError(t, err)
	w, err := c.Workflow(ctx, id, false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, w.Status)
	require.NoError(t, srv.stop())
	require.Empty(t, down.events(id))

	up := newReceiver(t, ok)
	startServer(t, server.Config{DataDir: dir, ListenerURL: up.srv.URL})
	// Both come; the deliveries need not arrive in their order.
	require.Eventually(t, func() bool { return up.has(id, "WORKFLOW_STARTED") && up.has(id, "WORKFLOW_COMPLETED") }, 10*time.Second, 5*time.Millisecond)
}

// TestListenerAPIErrors: malformed, oversized and impossible requests to
// the dead-letter API get errors saying what was wrong, over REST and
// Connect; so does a definition whose sink is not a webhook URL.
func TestListenerAPIErrors(t *testing.T) {
	t.Parallel()
	srv, c := startServer(t, server.Config{InMemory: true})
	api := srv.URL() + "/api/listeners/deadletters"
	type errorResponse struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	expect := func(method, url string, body any, status int, mentions ...string) {
		t.Helper()
		var data []byte
		if raw, ok := body.(string); ok {
			// Sent as it is: malformed JSON.
			req, err := http.NewRequest(method, url, strings.NewReader(raw))
			require.NoError(t, err)
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, status, res.StatusCode)
			data, err = io.ReadAll(res.Body)
			require.NoError(t, err)
		} else {
			data = call(t, method, url, body, status)
		}
		var e errorResponse
		require.NoError(t, json.Unmarshal(data, &e))
		for _, m := range mentions {
			require.Contains(t, e.Message, m)
		}
	}
	expect("POST", api+"/redrive", map[string]any{"ids": []string{"a"}}, http.StatusBadRequest, "JSON array of dead letter ids")
	expect("POST", api+"/redrive", `["a",`, http.StatusBadRequest, "malformed JSON")
	expect("POST", api+"/redrive", []string{}, http.StatusBadRequest, "no dead letter id given")
	expect("POST", api+"/delete", make([]string, 1001), http.StatusBadRequest, "1001 dead letter ids given; at most 1000")
	expect("POST", api+"/redrive", []string{strings.Repeat("x", 300<<10)}, http.StatusRequestEntityTooLarge)
	expect("POST", api+"/redrive", []string{"no-such-id"}, http.StatusNotFound, "no-such-id", "no such dead letter")
	expect("POST", api+"/delete", []string{"a", "a"}, http.StatusBadRequest, "named twice")
	expect("DELETE", api+"/no-such-id", nil, http.StatusNotFound, "no-such-id")
	expect("GET", api+"?limit=many", nil, http.StatusBadRequest, "limit must be an integer")
	expect("GET", api+"?limit=5000", nil, http.StatusBadRequest, "out of range")
	require.JSONEq(t, "[]", string(call(t, "GET", api, nil, http.StatusOK)))

	ctx := t.Context()
	err := c.RedriveDeadLetters(ctx)
	require.ErrorContains(t, err, "invalid_argument")
	require.ErrorContains(t, err, "no dead letter id given")
	require.ErrorContains(t, c.DeleteDeadLetters(ctx, make([]string, 1001)...), "at most 1000")
	err = c.DeleteDeadLetters(ctx, "no-such-id")
	require.True(t, client.IsNotFound(err), "%v", err)

	_, err = server.New(server.Config{InMemory: true, ListenerURL: "hooks.example.com/baton"})
	require.ErrorContains(t, err, `listener URL "hooks.example.com/baton" must start with http:// or https://`)

	def := noopFlow("lt_bad_sink", "kafka:events")
	_, err = c.RegisterWorkflowDef(ctx, def, true, false)
	require.ErrorContains(t, err, "/workflowStatusListenerSink")
	require.ErrorContains(t, err, "http:// or https://")
}

// TestListenerLifecycleEvents: each lifecycle operation sends the event
// Conductor's listener names, with the status it put the workflow in, and
// terminating cancels the task (TASK_CANCELED).
func TestListenerLifecycleEvents(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, ok)
	_, c := startServer(t, server.Config{InMemory: true, ListenerURL: rc.srv.URL})
	ctx := t.Context()
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: "lt_life_task", TimeoutSeconds: 600}))
	_, err := c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{
		Name: "lt_life", Version: 1, WorkflowStatusListenerEnabled: true,
		Tasks: []*workflow.WorkflowTask{{Name: "lt_life_task", TaskReferenceName: "only", Type: workflow.TypeSimple}},
	}, true, false)
	require.NoError(t, err)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "lt_life"})
	require.NoError(t, err)
	require.NoError(t, c.PauseWorkflow(ctx, id))
	require.NoError(t, c.ResumeWorkflow(ctx, id))
	require.NoError(t, c.TerminateWorkflow(ctx, id, "stop now"))
	require.NoError(t, c.RetryWorkflow(ctx, id, false))
	require.NoError(t, c.TerminateWorkflow(ctx, id, "again"))
	require.NoError(t, c.RestartWorkflow(ctx, id, false))
	require.NoError(t, c.TerminateWorkflow(ctx, id, "and again"))
	require.NoError(t, c.RerunWorkflow(ctx, id, &workflow.RerunRequest{}))

	want := map[string]int{
		"WORKFLOW_STARTED": 1, "WORKFLOW_PAUSED": 1, "WORKFLOW_RESUMED": 1, "WORKFLOW_TERMINATED": 3,
		"WORKFLOW_RETRIED": 1, "WORKFLOW_RESTARTED": 1, "WORKFLOW_RERAN": 1,
	}
	// count counts the workflow events and the TASK_CANCELED ones.
	count := func() map[string]int {
		got := map[string]int{}
		for _, ev := range rc.events(id) {
			if typ := ev["type"].(string); strings.HasPrefix(typ, "WORKFLOW_") || typ == "TASK_CANCELED" {
				got[typ]++
			}
		}
		return got
	}
	want["TASK_CANCELED"] = 3
	require.Eventually(t, func() bool { return maps.Equal(count(), want) }, 10*time.Second, 5*time.Millisecond, "%v", count)
	require.Equal(t, want, count())
	status := map[string]string{
		"WORKFLOW_STARTED": "RUNNING", "WORKFLOW_PAUSED": "PAUSED", "WORKFLOW_RESUMED": "RUNNING", "WORKFLOW_TERMINATED": "TERMINATED",
		"WORKFLOW_RETRIED": "RUNNING", "WORKFLOW_RESTARTED": "RUNNING", "WORKFLOW_RERAN": "RUNNING",
	}
	var reasons []string
	for _, ev := range rc.events(id) {
		typ := ev["type"].(string)
		if s, ok := status[typ]; ok {
			require.Equal(t, s, ev["status"], typ)
		}
		if typ == "WORKFLOW_TERMINATED" {
			reasons = append(reasons, ev["reasonForIncompletion"].(string))
		}
	}
	require.ElementsMatch(t, []string{"stop now", "again", "and again"}, reasons)
}

// TestListenerRefusedDestination: a webhook on an internal network that
// --http-allow does not list is never called; its events are dead letters
// at once, saying why.
func TestListenerRefusedDestination(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, ok)
	_, c := startServer(t, server.Config{
		InMemory: true, ListenerURL: rc.srv.URL,
		HTTPAllow: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, // not loopback
	})
	ctx := t.Context()
	_, err := c.RegisterWorkflowDef(ctx, noopFlow("lt_refused", ""), true, false)
	require.NoError(t, err)
	id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "lt_refused"})
	require.NoError(t, err)
	var dead []*client.DeadLetter
	require.Eventually(t, func() bool {
		dead, err = c.DeadLetters(ctx, "", 0)
		require.NoError(t, err)
		return len(dead) == 3
	}, 10*time.Second, 5*time.Millisecond)
	for _, d := range dead {
		require.Equal(t, id, d.WorkflowID)
		require.Equal(t, 1, d.Attempts, "a refused destination is not retried")
		require.Contains(t, d.Error, "refused")
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	require.Empty(t, rc.attempts, "the webhook was never called")
}
