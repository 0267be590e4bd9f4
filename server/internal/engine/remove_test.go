package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/archive"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// setupOnDisk is setup over Badger on disk, with an archive in archiveDir
// unless it is empty.
func setupOnDisk(t *testing.T, n int, archiveDir string) *testBundle {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	c := &clock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	cfg := engine.Config{Store: st, Clock: c.Now}
	if archiveDir != "" {
		w, err := archive.Open(archive.Config{Dir: archiveDir, Clock: c.Now})
		require.NoError(t, err)
		t.Cleanup(func() { w.Close() })
		cfg.Archive = w
	}
	e, err := engine.New(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, e.Start(ctx))
	t.Cleanup(e.Stop)
	b := &testBundle{e: e, store: st, clock: c, ctx: ctx}
	require.NoError(t, e.RegisterTaskDefs(ctx, []*workflow.TaskDef{work()}))
	def := &workflow.WorkflowDef{Name: "chain", Version: 1}
	for i := range n {
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{
			Name: "work", TaskReferenceName: fmt.Sprintf("s%d", i+1), Type: "SIMPLE",
			InputParameters: map[string]any{"i": i + 1},
		})
	}
	_, err = e.RegisterWorkflowDef(ctx, def, true, false)
	require.NoError(t, err)
	return b
}

// requireRemoved checks that an execution and its tasks are gone.
func requireRemoved(t *testing.T, b *testBundle, id string, taskIDs ...string) {
	t.Helper()
	_, err := b.e.Workflow(b.ctx, id, true)
	require.Equal(t, engine.NotFound, engine.CodeOf(err), "%v", err)
	for _, taskID := range taskIDs {
		_, err := b.e.Task(b.ctx, taskID)
		require.Equal(t, engine.NotFound, engine.CodeOf(err), "%v", err)
	}
	err = b.e.RemoveWorkflow(b.ctx, id, false)
	require.Equal(t, engine.NotFound, engine.CodeOf(err), "a second removal: %v", err)
}

// TestRemoveWorkflowByState removes executions in each state: running and
// paused ones are refused and stay whole, ended ones (completed, failed,
// terminated) are removed with their tasks.
func TestRemoveWorkflowByState(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 2, "")

	running := b.startWF(t, 0)
	err := b.e.RemoveWorkflow(b.ctx, running, false)
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
	require.ErrorContains(t, err, "is RUNNING: terminate it first, or use terminate-remove")
	require.NoError(t, b.e.PauseWorkflow(b.ctx, running))
	err = b.e.RemoveWorkflow(b.ctx, running, false)
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
	require.ErrorContains(t, err, "is PAUSED")
	require.Equal(t, workflow.StatusPaused, b.status(t, running))
	require.NoError(t, b.e.ResumeWorkflow(b.ctx, running))

	// Completed: the chain run to its end.
	tasks := b.poll(t, 1)
	require.Len(t, tasks, 1)
	b.complete(t, tasks[0])
	second := b.poll(t, 1)
	require.Len(t, second, 1)
	b.complete(t, second[0])
	require.Equal(t, workflow.StatusCompleted, b.status(t, running))
	require.NoError(t, b.e.RemoveWorkflow(b.ctx, running, false))
	requireRemoved(t, b, running, tasks[0].TaskID, second[0].TaskID)

	// Failed: the only attempt's retry fails too.
	failed := b.startWF(t, 0)
	var failedTasks []string
	for range 2 {
		tasks := b.poll(t, 1)
		require.Len(t, tasks, 1)
		failedTasks = append(failedTasks, tasks[0].TaskID)
		require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: tasks[0].TaskID, PollCount: tasks[0].PollCount, Status: workflow.TaskFailed}))
	}
	require.Equal(t, workflow.StatusFailed, b.status(t, failed))
	require.NoError(t, b.e.RemoveWorkflow(b.ctx, failed, false))
	requireRemoved(t, b, failed, failedTasks...)

	// Terminated, with a task a worker still held.
	terminated := b.startWF(t, 0)
	held := b.poll(t, 1)
	require.Len(t, held, 1)
	require.Equal(t, 1, b.e.InProgress("work"))
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, terminated, "stop"))
	require.NoError(t, b.e.RemoveWorkflow(b.ctx, terminated, false))
	requireRemoved(t, b, terminated, held[0].TaskID)
	require.Equal(t, 0, b.e.InProgress("work"))
	// The worker's late completion is refused, and changes nothing.
	err = b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: held[0].TaskID, PollCount: held[0].PollCount, Status: workflow.TaskCompleted})
	require.Equal(t, engine.NotFound, engine.CodeOf(err), "%v", err)

	require.Equal(t, engine.NotFound, engine.CodeOf(b.e.RemoveWorkflow(b.ctx, "no-such-workflow", false)))
}

// TestTerminateRemove terminates and removes a running execution in one
// call, and removes an ended one as RemoveWorkflow does.
func TestTerminateRemove(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 2, "")
	id := b.startWF(t, 0)
	require.Equal(t, 1, b.e.QueueSize("work"))
	require.NoError(t, b.e.TerminateRemove(b.ctx, id, "", false))
	requireRemoved(t, b, id)
	require.Equal(t, 0, b.e.QueueSize("work"))
	require.Empty(t, b.poll(t, 10))

	ended := b.startWF(t, 0)
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, ended, "done"))
	require.NoError(t, b.e.TerminateRemove(b.ctx, ended, "again", false))
	requireRemoved(t, b, ended)
	require.Equal(t, engine.NotFound, engine.CodeOf(b.e.TerminateRemove(b.ctx, ended, "", false)))
}

// TestRemoveArchives archives an execution before removing it and reads
// the archive back; without an archive, archiving is refused and nothing
// is removed.
func TestRemoveArchives(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := setupOnDisk(t, 1, dir)
	require.True(t, b.e.Archives())
	id := b.startWF(t, 0)
	tasks := b.poll(t, 1)
	require.Len(t, tasks, 1)
	b.complete(t, tasks[0])
	want, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.NoError(t, b.e.RemoveWorkflow(b.ctx, id, true))
	requireRemoved(t, b, id, tasks[0].TaskID)

	f, err := os.Open(filepath.Join(dir, "executions-2026-03-04.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	require.True(t, sc.Scan())
	var got workflow.Workflow
	require.NoError(t, workflow.Decode(sc.Bytes(), &got))
	require.False(t, sc.Scan(), "one line")
	require.Equal(t, id, got.WorkflowID)
	require.Equal(t, workflow.StatusCompleted, got.Status)
	require.Equal(t, want.Output, got.Output)
	require.Len(t, got.Tasks, 1)
	require.Equal(t, tasks[0].TaskID, got.Tasks[0].TaskID)
	require.Equal(t, workflow.TaskCompleted, got.Tasks[0].Status)
	require.NotNil(t, got.WorkflowDefinition)

	plain := setupOnDisk(t, 1, "")
	require.False(t, plain.e.Archives())
	ended := plain.startWF(t, 0)
	require.NoError(t, plain.e.TerminateWorkflow(plain.ctx, ended, "x"))
	err = plain.e.RemoveWorkflow(plain.ctx, ended, true)
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
	require.ErrorContains(t, err, "no archive directory")
	err = plain.e.TerminateRemove(plain.ctx, plain.startWF(t, 0), "", true)
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
	require.Equal(t, workflow.StatusTerminated, plain.status(t, ended), "not removed")
}

// TestRemoveHugeFork terminates and removes an execution of a dynamic fork
// of 4,000 branches, which the store removes in several chunks, some of
// them perhaps still open (cancelled a chunk per decision: large_test.go).
// The store's own test removes an execution of 12,000 tasks, far larger
// than a transaction.
func TestRemoveHugeFork(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 1, "")
	def := &workflow.WorkflowDef{Name: "fanout", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{
		{Name: "fanout", TaskReferenceName: "fanout", Type: workflow.TypeForkJoinDynamic, InputParameters: map[string]any{
			"forkTaskName": "work", "forkTaskType": workflow.TypeSimple, "forkTaskInputs": "${workflow.input.branches}",
		}},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
	}}
	_, err := b.e.RegisterWorkflowDef(b.ctx, def, true, false)
	require.NoError(t, err)
	branches := make([]any, 4_000)
	for i := range branches {
		branches[i] = map[string]any{"n": i, "pad": "0123456789abcdef0123456789abcdef"}
	}
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "fanout", Input: map[string]any{"branches": branches}})
	require.NoError(t, err)
	// The fork creates its branches a thousand per decision.
	require.Eventually(t, func() bool { return b.e.QueueSize("work") == 4_000 }, time.Minute, 10*time.Millisecond)
	w, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Greater(t, len(w.Tasks), 4_000)

	require.NoError(t, b.e.TerminateRemove(b.ctx, id, "too big", false))
	requireRemoved(t, b, id, w.Tasks[0].TaskID, w.Tasks[2000].TaskID, w.Tasks[len(w.Tasks)-1].TaskID)
	require.Equal(t, 0, b.e.QueueSize("work"))
}

// TestRetentionByAge moves a fake clock and checks that a pass removes the
// executions older than their age, per name and globally, and nothing
// else; archived when asked.
func TestRetentionByAge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := setupOnDisk(t, 1, dir)
	for _, name := range []string{"audit", "forever"} {
		_, err := b.e.RegisterWorkflowDef(b.ctx, &workflow.WorkflowDef{Name: name, Version: 1, Tasks: []*workflow.WorkflowTask{
			{Name: "work", TaskReferenceName: "w", Type: "SIMPLE"},
		}}, true, false)
		require.NoError(t, err)
	}
	ended := func(name string) string {
		t.Helper()
		id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: name})
		require.NoError(t, err)
		require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "ended"))
		return id
	}
	// Ended 10h, 5h and 30m before the pass.
	old := map[string]string{"chain": ended("chain"), "audit": ended("audit"), "forever": ended("forever")}
	b.clock.Add(5 * time.Hour)
	mid := map[string]string{"chain": ended("chain"), "audit": ended("audit")}
	b.clock.Add(4*time.Hour + 30*time.Minute)
	recent := map[string]string{"chain": ended("chain"), "audit": ended("audit")}
	running := b.startWF(t, 0)
	b.clock.Add(30 * time.Minute)

	r, err := engine.NewRetention(b.e, engine.RetentionConfig{
		Age:     time.Hour,
		ByName:  map[string]time.Duration{"audit": 8 * time.Hour, "forever": 0},
		Archive: true,
		Clock:   b.clock.Now,
		// Batches of one page through every rule.
		BatchSize: 1, Pause: time.Nanosecond,
	})
	require.NoError(t, err)
	removed, err := r.Pass(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 3, removed)
	for _, id := range []string{old["chain"], mid["chain"], old["audit"]} {
		requireRemoved(t, b, id)
	}
	for _, id := range []string{old["forever"], mid["audit"], recent["chain"], recent["audit"], running} {
		_, err := b.e.Workflow(b.ctx, id, false)
		require.NoError(t, err, "kept")
	}
	archived := readArchive(t, dir)
	require.ElementsMatch(t, []string{old["chain"], mid["chain"], old["audit"]}, archived)

	// Later, the others come of age; forever never does.
	b.clock.Add(4 * time.Hour)
	removed, err = r.Pass(b.ctx)
	require.NoError(t, err)
	require.Equal(t, 2, removed)
	for _, id := range []string{mid["audit"], recent["chain"]} {
		_, err := b.e.Workflow(b.ctx, id, false)
		require.Equal(t, engine.NotFound, engine.CodeOf(err))
	}
	_, err = b.e.Workflow(b.ctx, recent["audit"], false)
	require.NoError(t, err, "audit keeps 8h")
	_, err = b.e.Workflow(b.ctx, old["forever"], false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, b.status(t, running))
	require.Len(t, readArchive(t, dir), 5)
}

// TestRetentionRunsInBackground starts a retention and waits for it to
// remove an old execution.
func TestRetentionRunsInBackground(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 1, "")
	id := b.startWF(t, 0)
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "x"))
	b.clock.Add(2 * time.Hour)
	r, err := engine.NewRetention(b.e, engine.RetentionConfig{Age: time.Hour, Interval: time.Millisecond, Clock: b.clock.Now})
	require.NoError(t, err)
	require.NoError(t, r.Start(b.ctx))
	require.Eventually(t, func() bool {
		_, err := b.e.Workflow(b.ctx, id, false)
		return engine.CodeOf(err) == engine.NotFound
	}, 10*time.Second, 5*time.Millisecond)
	r.Stop()
	r.Stop() // twice is fine
}

func TestRetentionConfigRefused(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 1, "")
	for _, cfg := range []engine.RetentionConfig{
		{Age: -time.Hour},
		{ByName: map[string]time.Duration{"x": -1}},
		{ByName: map[string]time.Duration{"": time.Hour}},
		{Age: time.Hour, Archive: true},
	} {
		_, err := engine.NewRetention(b.e, cfg)
		require.Equal(t, engine.InvalidArgument, engine.CodeOf(err), "%+v: %v", cfg, err)
	}
}

// readArchive returns the ids of the executions in an archive directory.
func readArchive(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var ids []string
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var w workflow.Workflow
			require.NoError(t, workflow.Decode(sc.Bytes(), &w))
			ids = append(ids, w.WorkflowID)
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	return ids
}
