package archive

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// readDir returns the archive files of dir with the ids of the executions
// on each line.
func readDir(t *testing.T, dir string) map[string][]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]string{}
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var w workflow.Workflow
			require.NoError(t, workflow.Decode(sc.Bytes(), &w))
			out[e.Name()] = append(out[e.Name()], w.WorkflowID)
		}
		require.NoError(t, sc.Err())
		require.NoError(t, f.Close())
	}
	return out
}

func execution(id string) *workflow.Workflow {
	return &workflow.Workflow{
		WorkflowID: id, WorkflowName: "orders", Status: workflow.StatusCompleted,
		Input: map[string]any{"big": 9007199254740993}, EndTime: 5,
		Tasks: []*workflow.Task{{TaskID: id + "-t1", ReferenceTaskName: "charge", Status: workflow.TaskCompleted}},
	}
}

func TestWriteReadBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)
	w, err := Open(Config{Dir: dir, Clock: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, w.Write(execution("a"), execution("b")))
	require.NoError(t, w.Write(execution("c")))
	require.NoError(t, w.Close())

	data, err := os.ReadFile(filepath.Join(dir, "executions-2026-11-22.jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	require.Len(t, lines, 3)
	var got workflow.Workflow
	require.NoError(t, workflow.Decode([]byte(lines[0]), &got))
	require.Equal(t, "a", got.WorkflowID)
	require.Len(t, got.Tasks, 1)
	require.Equal(t, "charge", got.Tasks[0].ReferenceTaskName)
	require.Equal(t, "9007199254740993", fmt.Sprint(got.Input["big"]), "large integers survive")

	// A writer opened again appends to the day's file.
	w, err = Open(Config{Dir: dir, Clock: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, w.Write(execution("d")))
	require.NoError(t, w.Close())
	require.Equal(t, map[string][]string{"executions-2026-11-22.jsonl": {"a", "b", "c", "d"}}, readDir(t, dir))
}

func TestRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var now atomic.Pointer[time.Time]
	day1 := time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC)
	now.Store(&day1)
	line := int64(len(mustJSON(t, execution("x1")))) + 1
	w, err := Open(Config{Dir: dir, MaxFileBytes: 2 * line, Clock: func() time.Time { return *now.Load() }})
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, w.Write(execution(fmt.Sprint("x", i))))
	}
	day2 := day1.Add(2 * time.Minute)
	now.Store(&day2)
	require.NoError(t, w.Write(execution("y0")))
	require.NoError(t, w.Close())

	// A new writer on the same day continues in the day's last part.
	now.Store(&day1)
	w, err = Open(Config{Dir: dir, MaxFileBytes: 2 * line, Clock: func() time.Time { return *now.Load() }})
	require.NoError(t, err)
	require.NoError(t, w.Write(execution("x5")))
	require.NoError(t, w.Close())

	got := readDir(t, dir)
	require.Equal(t, map[string][]string{
		"executions-2026-11-22.jsonl":   {"x0", "x1"},
		"executions-2026-11-22.1.jsonl": {"x2", "x3"},
		"executions-2026-11-22.2.jsonl": {"x4", "x5"},
		"executions-2026-11-23.jsonl":   {"y0"},
	}, got)
}

func TestOpenRefusesBadConfig(t *testing.T) {
	t.Parallel()
	_, err := Open(Config{})
	require.ErrorContains(t, err, "directory is required")
	_, err = Open(Config{Dir: t.TempDir(), MaxFileBytes: -1})
	require.ErrorContains(t, err, "MaxFileBytes")
}

func mustJSON(t *testing.T, w *workflow.Workflow) []byte {
	t.Helper()
	data, err := json.Marshal(w)
	require.NoError(t, err)
	return data
}

// A file that ends in part of a line (a crash between a write and its
// sync) is never appended to: the next execution goes to a new part.
func TestBrokenLineStartsANewPart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)
	w, err := Open(Config{Dir: dir, Clock: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, w.Write(execution("a")))
	require.NoError(t, w.Close())
	f, err := os.OpenFile(filepath.Join(dir, "executions-2026-11-22.jsonl"), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"workflowId":"cut`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	w, err = Open(Config{Dir: dir, Clock: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, w.Write(execution("b")))
	require.NoError(t, w.Close())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	data, err := os.ReadFile(filepath.Join(dir, "executions-2026-11-22.1.jsonl"))
	require.NoError(t, err)
	var got workflow.Workflow
	require.NoError(t, workflow.Decode(data, &got), "the new part holds whole lines: %s", data)
	require.Equal(t, "b", got.WorkflowID)
}
