package api_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/scheduler"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// setupScheduler serves the API with a running scheduler, as the server
// composes them.
func setupScheduler(t *testing.T) *env {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	require.NoError(t, err)
	e, err := engine.New(engine.Config{Store: st})
	require.NoError(t, err)
	require.NoError(t, e.Start(t.Context()))
	sched, err := scheduler.New(scheduler.Config{Store: st, Engine: e})
	require.NoError(t, err)
	require.NoError(t, sched.Start(t.Context()))

	srv := &http.Server{Handler: api.New(e, api.Options{Scheduler: sched})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	h1 := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(func() {
		h1.CloseIdleConnections()
		sched.Stop()
		e.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		require.ErrorIs(t, <-served, http.ErrServerClosed)
		require.NoError(t, st.Close())
	})
	return &env{engine: e, addr: ln.Addr().String(), url: "http://" + ln.Addr().String(), h1: h1, h2c: h1}
}

// TestRESTSchedules manages a schedule through Conductor's /api/scheduler
// endpoints and lets it fire.
func TestRESTSchedules(t *testing.T) {
	t.Parallel()
	env := setupScheduler(t)
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: `{"name": "tick", "version": 1,
		"tasks": [{"name": "wait", "taskReferenceName": "wait", "type": "WAIT"}]}`})

	var saved workflow.Schedule
	env.mustREST(t, restCall{method: "POST", path: "/api/scheduler/schedules", body: `{
		"name": "every_second", "cronExpression": "* * * * * *", "zoneId": "UTC",
		"runCatchupScheduleInstances": false, "paused": false,
		"startWorkflowRequest": {"name": "tick", "version": 1, "input": {"n": 12345678901234567890}},
		"description": "ticks"}`}).json(t, &saved)
	require.Equal(t, "every_second", saved.Name)
	require.NotZero(t, saved.CreateTime)
	require.Greater(t, saved.NextRunTime, saved.CreateTime)

	// It fires; the execution has the scheduler's input and keeps the
	// large number exact.
	var got workflow.Schedule
	require.Eventually(t, func() bool {
		r := env.rest(t, restCall{method: "GET", path: "/api/scheduler/schedules/every_second"})
		got = workflow.Schedule{}
		return r.status == http.StatusOK && json.Unmarshal(r.body, &got) == nil && got.LastWorkflowID != ""
	}, 10*time.Second, 20*time.Millisecond)
	var w map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/workflow/" + got.LastWorkflowID}).json(t, &w)
	input := w["input"].(map[string]any)
	require.Equal(t, json.Number(bigNumber), input["n"])
	require.Equal(t, "every_second", input["_startedByScheduler"])
	require.Equal(t, "* * * * * * UTC", input["_schedulerCron"])
	require.Equal(t, got.LastWorkflowID, input["_executionId"])
	require.Equal(t, json.Number(jsonText(t, got.LastScheduledTime)), input["_scheduledTime"])

	var list []workflow.Schedule
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/schedules?workflowName=tick"}).json(t, &list)
	require.Len(t, list, 1)
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/schedules?workflowName=other"}).json(t, &list)
	require.Empty(t, list)

	// Pause is a GET in Conductor's resource and a PUT in its SDKs.
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/schedules/every_second/pause?reason=quiet"})
	got = workflow.Schedule{}
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/schedules/every_second"}).json(t, &got)
	require.True(t, got.Paused)
	require.Equal(t, "quiet", got.PausedReason)
	require.Zero(t, got.NextRunTime)
	env.mustREST(t, restCall{method: "PUT", path: "/api/scheduler/schedules/every_second/resume"})
	env.mustREST(t, restCall{method: "PUT", path: "/api/scheduler/schedules/every_second/pause"})
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/schedules/every_second/resume"})
	got = workflow.Schedule{}
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/schedules/every_second"}).json(t, &got)
	require.False(t, got.Paused)

	r := env.rest(t, restCall{method: "DELETE", path: "/api/scheduler/schedules/every_second"})
	require.Equal(t, http.StatusNoContent, r.status)
	requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/scheduler/schedules/every_second"}), http.StatusNotFound, "NOT_FOUND")
	requireErrorResponse(t, env.rest(t, restCall{method: "DELETE", path: "/api/scheduler/schedules/every_second"}), http.StatusNotFound, "NOT_FOUND")
	requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/scheduler/schedules/every_second/pause"}), http.StatusNotFound, "NOT_FOUND")
}

// TestRESTScheduleValidation: every invalid schedule is a 400 whose
// message names the field, and stores nothing.
func TestRESTScheduleValidation(t *testing.T) {
	t.Parallel()
	env := setupScheduler(t)
	cases := []struct{ body, want string }{
		{`{"cronExpression": "* * * * * *", "startWorkflowRequest": {"name": "tick"}}`, "name is required"},
		{`{"name": "s", "startWorkflowRequest": {"name": "tick"}}`, "cronExpression is required"},
		{`{"name": "s", "cronExpression": "0 0 0 32 * *", "startWorkflowRequest": {"name": "tick"}}`, "cronExpression"},
		{`{"name": "s", "cronExpression": "* * * * * *", "zoneId": "Europe/Atlantis", "startWorkflowRequest": {"name": "tick"}}`, `zoneId "Europe/Atlantis" is not a known IANA time zone`},
		{`{"name": "s", "cronExpression": "* * * * * *"}`, "startWorkflowRequest is required"},
		{`{"name": "s", "cronExpression": "* * * * * *", "startWorkflowRequest": {}}`, "startWorkflowRequest.name is required"},
		{`{"name": "s", "cronExpression": "* * * * * *", "scheduleStartTime": 2000, "scheduleEndTime": 1000, "startWorkflowRequest": {"name": "tick"}}`, "scheduleEndTime (1000) must be after scheduleStartTime (2000)"},
		{`{"name": "s", "cronSchedules": [{"cronExpression": "* * * * * *"}], "startWorkflowRequest": {"name": "tick"}}`, "cronSchedules is not supported"},
		{`{"name": "s", "cronExpression": 5}`, "request body"},
	}
	for _, tc := range cases {
		resp := requireErrorResponse(t, env.rest(t, restCall{method: "POST", path: "/api/scheduler/schedules", body: tc.body}), http.StatusBadRequest, "INVALID_INPUT")
		require.Contains(t, resp["message"], tc.want, tc.body)
	}
	var list []workflow.Schedule
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/schedules"}).json(t, &list)
	require.Empty(t, list)
}

// TestRESTNextFewSchedules previews instants as Conductor's endpoint does
// (five by default, bounded by start and end time), with Baton's zoneId.
func TestRESTNextFewSchedules(t *testing.T) {
	t.Parallel()
	env := setupScheduler(t)
	var times []int64
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/nextFewSchedules?cronExpression=0+0+*+*+*+*"}).json(t, &times)
	require.Len(t, times, 5)
	for i := 1; i < len(times); i++ {
		require.Equal(t, int64(3_600_000), times[i]-times[i-1])
	}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	end := start + 2*3_600_000
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/nextFewSchedules?cronExpression=0+0+*+*+*+*&limit=10" +
		"&scheduleStartTime=" + jsonText(t, start) + "&scheduleEndTime=" + jsonText(t, end)}).json(t, &times)
	require.Equal(t, []int64{start, start + 3_600_000, end}, times)
	env.mustREST(t, restCall{method: "GET", path: "/api/scheduler/nextFewSchedules?cronExpression=0+0+9+*+*+*&limit=1&zoneId=Asia/Kolkata" +
		"&scheduleStartTime=" + jsonText(t, start)}).json(t, &times)
	require.Equal(t, []int64{time.Date(2030, 1, 1, 3, 30, 0, 0, time.UTC).UnixMilli()}, times)

	for path, want := range map[string]string{
		"/api/scheduler/nextFewSchedules":                                                   "cronExpression is required",
		"/api/scheduler/nextFewSchedules?cronExpression=x":                                  "cronExpression",
		"/api/scheduler/nextFewSchedules?cronExpression=*+*+*+*+*+*&limit=0":                "limit must be between 1 and 1000",
		"/api/scheduler/nextFewSchedules?cronExpression=*+*+*+*+*+*&zoneId=Nope/X":          `zoneId "Nope/X"`,
		"/api/scheduler/nextFewSchedules?cronExpression=*+*+*+*+*+*&scheduleStartTime=soon": "scheduleStartTime must be an integer",
	} {
		resp := requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: path}), http.StatusBadRequest, "INVALID_INPUT")
		require.Contains(t, resp["message"], want, path)
	}
}

// TestRESTSchedulesWithoutScheduler: an API with no scheduler says so.
func TestRESTSchedulesWithoutScheduler(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	resp := requireErrorResponse(t, env.rest(t, restCall{method: "GET", path: "/api/scheduler/schedules"}), http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")
	require.Contains(t, resp["message"], "no workflow scheduler")
}
