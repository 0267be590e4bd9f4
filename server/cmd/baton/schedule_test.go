package main

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
)

const schedulesJSON = `[
	{"name": "nightly", "cronExpression": "0 0 2 * * *", "zoneId": "Europe/Paris",
	 "startWorkflowRequest": {"name": "hello", "input": {"name": "night"}}},
	{"name": "often", "cronExpression": "* * * * * *", "runCatchupScheduleInstances": true,
	 "startWorkflowRequest": {"name": "hello", "input": {"name": "often"}}}
]`

// TestScheduleCommands manages schedules of a real server with every
// subcommand, in table and JSON output.
func TestScheduleCommands(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	url := srv.URL()
	require.NoError(t, baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defsJSON)).err)

	r := baton(t, "schedule", "put", writeFile(t, "schedules.json", schedulesJSON), "--server", url, "--output", "json")
	require.NoError(t, r.err, r.stderr)
	var saved []*workflow.Schedule
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &saved))
	require.Len(t, saved, 2)
	require.Equal(t, "nightly", saved[0].Name)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	next := time.UnixMilli(saved[0].NextRunTime).In(paris)
	require.Equal(t, []int{2, 0, 0}, []int{next.Hour(), next.Minute(), next.Second()})

	// The per-second schedule fires; ls shows its last run.
	require.Eventually(t, func() bool {
		r := baton(t, "schedule", "get", "often", "--server", url, "--output", "json")
		var sc workflow.Schedule
		return r.err == nil && json.Unmarshal([]byte(r.stdout), &sc) == nil && sc.LastWorkflowID != ""
	}, 10*time.Second, 50*time.Millisecond)

	r = baton(t, "schedule", "pause", "nightly", "--reason", "holiday", "--server", url)
	require.NoError(t, r.err)
	require.Equal(t, "SCHEDULE  RESULT\nnightly   ok\n", r.stdout)

	r = baton(t, "schedule", "ls", "--server", url)
	require.NoError(t, r.err)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	require.True(t, strings.HasPrefix(lines[0], "NAME"))
	require.Contains(t, lines[1], "nightly")
	require.Contains(t, lines[1], "paused (holiday)")
	require.Contains(t, lines[1], "Europe/Paris")
	require.Contains(t, lines[2], "often")
	require.Contains(t, lines[2], "active")

	r = baton(t, "schedule", "ls", "--workflow", "nothing", "--server", url, "--output", "json")
	require.NoError(t, r.err)
	require.Equal(t, "[]\n", r.stdout)

	require.NoError(t, baton(t, "schedule", "resume", "nightly", "--server", url).err)
	r = baton(t, "schedule", "get", "nightly", "--server", url)
	require.NoError(t, r.err)
	require.Contains(t, r.stdout, "active")

	r = baton(t, "schedule", "next", "0 30 9 * * MON-FRI", "-n", "3", "--zone", "America/New_York", "--server", url)
	require.NoError(t, r.err, r.stderr)
	lines = strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		at, err := time.Parse(time.RFC3339, l)
		require.NoError(t, err)
		require.Equal(t, 9, at.Hour())
		require.Equal(t, 30, at.Minute())
	}
	r = baton(t, "schedule", "next", "0 0 * * * *", "-n", "2", "--server", url, "--output", "json")
	require.NoError(t, r.err)
	var times []nextTime
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &times))
	require.Len(t, times, 2)
	require.Equal(t, int64(3_600_000), times[1].EpochMillis-times[0].EpochMillis)

	r = baton(t, "schedule", "next", "0 0 * * * *", "--zone", "Atlantis/Capital", "--server", url)
	require.ErrorContains(t, r.err, `zoneId "Atlantis/Capital" is not a known IANA time zone`)

	r = baton(t, "schedule", "rm", "often", "missing", "--server", url, "--output", "json")
	require.ErrorContains(t, r.err, "1 of 2 failed")
	var results []scheduleResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &results))
	require.Equal(t, "often", results[0].Name)
	require.Empty(t, results[0].Error)
	require.Contains(t, results[1].Error, `schedule "missing" does not exist`)

	r = baton(t, "schedule", "put", writeFile(t, "bad.json", `{"name": "bad", "cronExpression": "61 * * * * *", "startWorkflowRequest": {"name": "hello"}}`), "--server", url)
	require.ErrorContains(t, r.err, "cronExpression")
}

func TestScheduleUsage(t *testing.T) {
	t.Parallel()
	r := baton(t, "schedule")
	require.ErrorContains(t, r.err, "no subcommand")
	require.Contains(t, r.stderr, "pause NAME [--reason R]")
	r = baton(t, "schedule", "fly")
	require.ErrorContains(t, r.err, `unknown subcommand "fly"`)
	r = baton(t, "schedule", "next", "--help")
	require.ErrorIs(t, r.err, flag.ErrHelp)
	require.Contains(t, r.stderr, "-zone")
	r = baton(t, "schedule", "get", "a", "b")
	require.ErrorContains(t, r.err, "exactly one schedule name")
	r = baton(t, "schedule", "ls", "--output", "yaml")
	require.ErrorContains(t, r.err, "--output must be table or json")
}
