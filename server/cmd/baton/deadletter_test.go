package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
)

// TestDeadLetters lists, redrives and deletes the dead letters of a real
// server with `baton deadletters`, in table and JSON output, and reads them
// with the Go client over Connect and over gRPC.
func TestDeadLetters(t *testing.T) {
	t.Parallel()
	var up atomic.Bool
	var delivered atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if up.Load() {
			delivered.Add(1)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(hook.Close)
	srv, err := server.New(server.Config{
		Addr: "127.0.0.1:0", InMemory: true, ListenerURL: hook.URL, ListenerAttempts: 1,
		HTTPAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	require.NoError(t, err)
	require.NoError(t, srv.Start(t.Context()))
	t.Cleanup(func() { srv.Stop(context.Background()) })
	url := srv.URL()
	c := client.New(url)
	_, err = c.RegisterWorkflowDef(t.Context(), &workflow.WorkflowDef{
		Name: "dl_flow", Version: 1, WorkflowStatusListenerEnabled: true,
		Tasks: []*workflow.WorkflowTask{{Name: "noop", TaskReferenceName: "noop", Type: workflow.TypeNoop}},
	}, true, false)
	require.NoError(t, err)
	id, err := c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: "dl_flow"})
	require.NoError(t, err)

	// WORKFLOW_STARTED, TASK_COMPLETED and WORKFLOW_COMPLETED, one attempt each.
	var list []*client.DeadLetter
	require.Eventually(t, func() bool {
		r := baton(t, "deadletters", "ls", "--output", "json", "--server", url)
		require.NoError(t, r.err)
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
		return len(list) == 3
	}, 10*time.Second, 5*time.Millisecond)
	for _, d := range list {
		require.Equal(t, id, d.WorkflowID)
		require.Equal(t, 1, d.Attempts)
		require.Contains(t, d.Error, "HTTP 500")
	}
	for _, opt := range []client.Option{client.WithGRPC()} {
		got, err := client.New(url, opt).DeadLetters(t.Context(), "", 0)
		require.NoError(t, err)
		require.Len(t, got, 3)
		require.JSONEq(t, string(list[0].Event), string(got[0].Event))
	}
	page, err := c.DeadLetters(t.Context(), list[0].ID, 1)
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.Equal(t, list[1].ID, page[0].ID)

	r := baton(t, "deadletters", "ls", "--server", url)
	require.NoError(t, r.err)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 4)
	require.True(t, strings.HasPrefix(lines[0], "ID "), lines[0])
	require.Contains(t, r.stdout, "WORKFLOW_STARTED")

	// All or none: an unknown id fails the whole redrive.
	r = baton(t, "deadletters", "redrive", list[0].ID, "no-such-id", "--server", url)
	require.ErrorContains(t, r.err, "no-such-id")
	require.ErrorContains(t, r.err, "not_found")
	up.Store(true)
	r = baton(t, "deadletters", "redrive", list[0].ID, list[1].ID, "--server", url)
	require.NoError(t, r.err)
	require.Equal(t, "ID                                    RESULT\n"+list[0].ID+"  redriven\n"+list[1].ID+"  redriven\n", r.stdout)
	require.Eventually(t, func() bool { return delivered.Load() == 2 }, 10*time.Second, 5*time.Millisecond)

	r = baton(t, "deadletters", "rm", list[2].ID, "--output", "json", "--server", url)
	require.NoError(t, r.err)
	require.JSONEq(t, `[{"id":"`+list[2].ID+`","result":"deleted"}]`, r.stdout)
	r = baton(t, "deadletters", "ls", "--output", "json", "--server", url)
	require.NoError(t, r.err)
	require.JSONEq(t, "[]", r.stdout)

	require.ErrorContains(t, baton(t, "deadletters").err, "give a subcommand")
	require.ErrorContains(t, baton(t, "deadletters", "purge", "--server", url).err, `unknown subcommand "purge"`)
	require.ErrorContains(t, baton(t, "deadletters", "rm", "--server", url).err, "give one or more dead letter ids")
	require.ErrorContains(t, baton(t, "deadletters", "ls", "--limit", "5000", "--server", url).err, "out of range")
	require.ErrorContains(t, baton(t, "deadletters", "ls", "--output", "yaml", "--server", url).err, "--output must be table or json")
}
