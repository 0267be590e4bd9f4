package client_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// TestSchedules manages a schedule over Connect and over gRPC, and lets it
// fire on the server's clock.
func TestSchedules(t *testing.T) {
	t.Parallel()
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	cases := []struct {
		name      string
		protocols *http.Protocols
		opts      []client.Option
	}{
		{name: "Connect"},
		{name: "gRPC", protocols: &h2c, opts: []client.Option{client.WithGRPC()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := batontest.New(t)
			c := client.New(srv.URL(), append(tc.opts, client.WithHTTPClient(&http.Client{Transport: transport(t, tc.protocols)}))...)
			ctx := t.Context()
			register(t, c)

			saved, err := c.SaveSchedule(ctx, &workflow.Schedule{
				Name: "every_second", CronExpression: "* * * * * *", ZoneID: "Europe/Paris",
				RunCatchupScheduleInstances: true,
				StartWorkflowRequest:        &workflow.StartRequest{Name: flowName, Input: map[string]any{"amount": 7}},
			})
			require.NoError(t, err)
			require.NotZero(t, saved.NextRunTime)
			require.NotZero(t, saved.CreateTime)

			// It fires on its own; the execution carries the scheduler's input.
			var fired *workflow.Schedule
			require.Eventually(t, func() bool {
				fired, err = c.Schedule(ctx, "every_second")
				return err == nil && fired.LastWorkflowID != ""
			}, 10*time.Second, 20*time.Millisecond)
			w, err := c.Workflow(ctx, fired.LastWorkflowID, false)
			require.NoError(t, err)
			require.Equal(t, "every_second", w.Input["_startedByScheduler"])
			require.Equal(t, json.Number("7"), w.Input["amount"])
			require.Equal(t, json.Number(jsonNumber(fired.LastScheduledTime)), w.Input["_scheduledTime"])
			require.Equal(t, "* * * * * * Europe/Paris", w.Input["_schedulerCron"])
			require.Equal(t, fired.LastWorkflowID, w.Input["_executionId"])

			require.NoError(t, c.PauseSchedule(ctx, "every_second", "holiday"))
			got, err := c.Schedule(ctx, "every_second")
			require.NoError(t, err)
			require.True(t, got.Paused)
			require.Equal(t, "holiday", got.PausedReason)
			require.Zero(t, got.NextRunTime)
			require.NoError(t, c.ResumeSchedule(ctx, "every_second"))

			list, err := c.Schedules(ctx, flowName)
			require.NoError(t, err)
			require.Len(t, list, 1)
			list, err = c.Schedules(ctx, "nothing")
			require.NoError(t, err)
			require.Empty(t, list)

			times, err := c.NextScheduleTimes(ctx, "0 0 12 * * *", "Asia/Tokyo", 0, 0, 3)
			require.NoError(t, err)
			require.Len(t, times, 3)
			for _, ms := range times {
				at := time.UnixMilli(ms).In(time.FixedZone("JST", 9*3600))
				require.Equal(t, 12, at.Hour())
			}

			_, err = c.SaveSchedule(ctx, &workflow.Schedule{Name: "bad", CronExpression: "* * * * * *", ZoneID: "Moon/Base",
				StartWorkflowRequest: &workflow.StartRequest{Name: flowName}})
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))
			require.ErrorContains(t, err, `zoneId "Moon/Base"`)
			_, err = c.NextScheduleTimes(ctx, "* * *", "", 0, 0, 3)
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err))

			require.NoError(t, c.DeleteSchedule(ctx, "every_second"))
			_, err = c.Schedule(ctx, "every_second")
			require.True(t, client.IsNotFound(err), "%v", err)
			require.True(t, client.IsNotFound(c.DeleteSchedule(ctx, "every_second")))
		})
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
