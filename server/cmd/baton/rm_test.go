package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
)

// TestRemove runs `baton rm` on executions of a real server: a running one
// refused, then removed with --terminate; an ended one removed; --archive
// refused by a server without an archive directory; a missing id.
func TestRemove(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	url := srv.URL()
	require.NoError(t, baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defsJSON)).err)
	var ids []string
	for range 3 {
		r := baton(t, "start", "hello", "--server", url, "--input", `{"name":"x"}`)
		require.NoError(t, r.err)
		ids = append(ids, strings.TrimSpace(r.stdout))
	}
	gone := func(id string) bool {
		_, err := client.New(url).Workflow(t.Context(), id, false)
		return err != nil && strings.Contains(err.Error(), "not_found")
	}

	r := baton(t, "rm", ids[0], "--server", url)
	require.ErrorContains(t, r.err, "rm: 1 of 1 failed")
	require.Contains(t, r.stdout, "terminate it first")
	require.False(t, gone(ids[0]))

	require.NoError(t, baton(t, "terminate", ids[1], "--server", url).err)
	r = baton(t, "rm", "--archive", ids[1], "--server", url)
	require.ErrorContains(t, r.err, "rm: 1 of 1 failed")
	require.Contains(t, r.stdout, "no archive directory")
	require.False(t, gone(ids[1]))

	r = baton(t, "rm", ids[1], "--terminate", ids[0], "missing", ids[2], "--reason", "cleanup", "--server", url)
	require.ErrorContains(t, r.err, "rm: 1 of 4 failed")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 5)
	require.Equal(t, ids[1]+"  ok", strings.TrimSpace(lines[1]))
	require.Contains(t, lines[3], "not_found")
	for _, id := range ids {
		require.True(t, gone(id), id)
	}
}
