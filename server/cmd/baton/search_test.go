package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
)

// TestSearch runs baton search, of executions and of tasks, against a
// real server: filters, table and JSON output, pages and refusals.
func TestSearch(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	url := srv.URL()
	require.NoError(t, baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defsJSON)).err)
	start := func(input, corr string) string {
		r := baton(t, "start", "hello", "--server", url, "--input", input, "--correlation-id", corr)
		require.NoError(t, r.err)
		return strings.TrimSpace(r.stdout)
	}
	a := start(`{"name":"Ada Lovelace"}`, "c-1")
	b := start(`{"name":"Bob"}`, "c-2")
	c := start(`{"name":"Carol"}`, "c-1")
	require.NoError(t, baton(t, "terminate", b, "--reason", "duplicate order", "--server", url).err)

	search := func(args ...string) result {
		return baton(t, append([]string{"search", "--server", url}, args...)...)
	}
	jsonIDs := func(r result) []string {
		require.NoError(t, r.err, r.stderr)
		var out struct {
			Workflows  []*workflow.Workflow `json:"workflows"`
			NextCursor string               `json:"nextCursor"`
		}
		require.NoError(t, workflow.Decode([]byte(r.stdout), &out), r.stdout)
		ids := []string{}
		for _, w := range out.Workflows {
			ids = append(ids, w.WorkflowID)
		}
		return ids
	}

	// The table: a header and a line per execution, newest first.
	r := search("--name", "hello")
	require.NoError(t, r.err)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 4)
	require.Regexp(t, `^WORKFLOW ID\s+NAME\s+VERSION\s+STATUS\s+STARTED\s+ENDED\s+CORRELATION ID$`, lines[0])
	require.Regexp(t, "^"+c+`\s+hello\s+1\s+RUNNING\s+\S+Z\s+-\s+c-1$`, lines[1])
	require.Regexp(t, "^"+b+`\s+hello\s+1\s+TERMINATED\s+\S+Z\s+\S+Z\s+c-2$`, lines[2])
	require.Empty(t, r.stderr)

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--status", "RUNNING"}, []string{c, a}},
		{[]string{"--status", "terminated,failed"}, []string{b}},
		{[]string{"--status", "FAILED", "--status", "TERMINATED"}, []string{b}},
		{[]string{"--correlation-id", "c-1", "--asc"}, []string{a, c}},
		{[]string{"--text", "lovelace"}, []string{a}},
		{[]string{"--text", "duplicate"}, []string{b}},
		{[]string{"--started-after", "1h"}, []string{c, b, a}},
		{[]string{"--started-before", "1h"}, []string{}},
		{[]string{"--started-after", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, []string{}},
		{[]string{"--ended-after", "1d"}, []string{b}},
		{[]string{"--sort", "end", "--ended-before", time.Now().Add(time.Hour).Format(time.RFC3339)}, []string{b}},
		{[]string{"--sort", "update", "--name", "hello", "--version", "1", "--status", "RUNNING", "--asc"}, []string{a, c}},
	} {
		require.Equal(t, tc.want, jsonIDs(search(append(tc.args, "--output", "json")...)), "%v", tc.args)
	}

	// Pages: the cursor is printed on stderr under a table, in the JSON
	// otherwise, and continues the search.
	r = search("--limit", "2", "--asc")
	require.NoError(t, r.err)
	require.Contains(t, r.stdout, a)
	require.Contains(t, r.stdout, b)
	cursor, ok := strings.CutPrefix(strings.TrimSpace(r.stderr), "more results: repeat with --cursor ")
	require.True(t, ok, r.stderr)
	require.Equal(t, []string{c}, jsonIDs(search("--limit", "2", "--asc", "--cursor", cursor, "--output", "json")))

	// Tasks.
	r = search("--tasks", "--type", "greet", "--status", "SCHEDULED", "--asc")
	require.NoError(t, r.err)
	lines = strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `^TASK ID\s+TYPE\s+REFERENCE\s+STATUS\s+SCHEDULED\s+ENDED\s+WORKFLOW ID$`, lines[0])
	require.Regexp(t, `\s+greet\s+greet\s+SCHEDULED\s+\S+Z\s+-\s+`+a+"$", lines[1])
	r = search("--tasks", "--workflow-id", b, "--output", "json")
	require.NoError(t, r.err)
	var tasks struct {
		Tasks []*workflow.Task `json:"tasks"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tasks))
	require.Len(t, tasks.Tasks, 1)
	require.Equal(t, workflow.TaskCanceled, tasks.Tasks[0].Status)
	r = search("--tasks", "--name", "hello", "--ended-after", "2h", "--output", "json")
	require.NoError(t, r.err)
	require.Contains(t, r.stdout, b)
	require.NotContains(t, r.stdout, a)

	// Refusals.
	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"--status", "DONE"}, "not a workflow status"},
		{[]string{"--tasks", "--status", "RUNNING"}, "not a task status"},
		{[]string{"--sort", "name"}, "--sort must be start, end or update"},
		{[]string{"--started-after", "yesterday"}, "RFC 3339 time"},
		{[]string{"--started-after", "-2h"}, "duration before now"},
		{[]string{"--type", "greet"}, "--type does not apply to a search of workflows"},
		{[]string{"--tasks", "--correlation-id", "x"}, "--correlation-id does not apply to a search of tasks"},
		{[]string{"--output", "yaml"}, "--output must be table or json"},
		{[]string{"hello"}, `unexpected argument "hello"`},
		{[]string{"--version", "2"}, "without a workflow name"},
		{[]string{"--limit", "5000"}, "over the maximum of 1000"},
		{[]string{"--cursor", "garbage"}, "malformed"},
	} {
		r := search(bad.args...)
		require.ErrorContains(t, r.err, bad.says, "%v", bad.args)
	}
}
