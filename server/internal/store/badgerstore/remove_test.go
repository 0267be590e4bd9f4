package badgerstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// countKeys returns the number of keys in the store.
func countKeys(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	require.NoError(t, s.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	}))
	return n
}

// hugeExecution commits an ended execution of tasks tasks, in commits of
// 200 tasks, with logLines log lines on its first task and one on every
// hundredth, and returns the ids of its tasks.
func hugeExecution(t *testing.T, s *Store, id string, tasks, logLines int) []string {
	t.Helper()
	ctx := t.Context()
	w := &workflow.Workflow{
		WorkflowID: id, WorkflowName: "fanout", WorkflowVersion: 1, Status: workflow.StatusRunning,
		CorrelationID: "corr-" + id, CreateTime: 1, Input: map[string]any{"n": tasks},
	}
	var ids []string
	version := uint64(0)
	for start := 0; start < tasks; start += 200 {
		tr := &store.Transition{Workflow: w, Version: version, WakeAt: time.UnixMilli(10_000),
			History: []store.Event{{Time: 1, Type: "TASKS_SCHEDULED"}}}
		for i := start; i < min(start+200, tasks); i++ {
			taskID := fmt.Sprintf("%s-task-%06d", id, i)
			ids = append(ids, taskID)
			tr.Tasks = append(tr.Tasks, &workflow.Task{
				TaskID: taskID, WorkflowInstanceID: id, Seq: i + 1, TaskType: "SIMPLE",
				ReferenceTaskName: fmt.Sprint("branch_", i), Status: workflow.TaskCompleted,
				OutputData: map[string]any{"i": i},
			})
			if i%100 == 0 {
				tr.Logs = append(tr.Logs, workflow.TaskExecLog{TaskID: taskID, Log: "done", CreatedTime: 1})
			}
		}
		require.NoError(t, s.Commit(ctx, tr))
		version++
	}
	for start := 0; start < logLines; start += 1000 {
		var logs []workflow.TaskExecLog
		for i := start; i < min(start+1000, logLines); i++ {
			logs = append(logs, workflow.TaskExecLog{TaskID: ids[0], Log: fmt.Sprint("line ", i), CreatedTime: 1})
		}
		require.NoError(t, s.TaskLogAppend(ctx, logs))
	}
	done := *w
	done.Status, done.EndTime = workflow.StatusCompleted, 2
	require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: &done, Version: version}))
	return ids
}

// requireGone checks that no reader finds anything of a removed execution.
func requireGone(t *testing.T, s *Store, id string, taskIDs []string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.ExecutionGet(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound)
	history, err := s.HistoryList(ctx, id)
	require.NoError(t, err)
	require.Empty(t, history)
	for _, taskID := range []string{taskIDs[0], taskIDs[len(taskIDs)-1]} {
		_, err := s.TaskGet(ctx, taskID)
		require.ErrorIs(t, err, store.ErrNotFound)
		logs, err := s.TaskLogList(ctx, taskID)
		require.NoError(t, err)
		require.Empty(t, logs)
	}
	require.NoError(t, s.ActiveTasks(ctx, func(task *workflow.Task) error {
		require.NotEqual(t, id, task.WorkflowInstanceID)
		return nil
	}))
	page, err := s.ExecutionSearch(ctx, store.ExecutionQuery{Name: "fanout"})
	require.NoError(t, err)
	for _, w := range page.Executions {
		require.NotEqual(t, id, w.WorkflowID)
	}
	for _, q := range []store.TaskQuery{{WorkflowID: id}, {Limit: store.MaxSearchLimit}} {
		tasks, err := s.TaskSearch(ctx, q)
		require.NoError(t, err)
		for _, task := range tasks.Tasks {
			require.NotEqual(t, id, task.WorkflowInstanceID, "a task search finds a task of a removed execution")
		}
	}
}

// TestRemoveHugeExecution removes an execution far larger than one Badger
// transaction holds (12,000 tasks, one of them with 5,000 log lines), in
// chunks, and checks that every one of its keys is gone and that another
// execution is untouched.
func TestRemoveHugeExecution(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// A small memtable makes Badger's transaction limit small too (15% of
	// it), so that the execution is far over it.
	s := openSmallTxn(t, t.TempDir())
	keep := hugeExecution(t, s, "keep", 10, 3)
	before := countKeys(t, s)
	ids := hugeExecution(t, s, "huge", 12_000, 5_000)
	require.Greater(t, countKeys(t, s)-before, 12_000*2+5_000) // task and task-id keys, log lines

	// One transaction cannot hold it: this is what a single-transaction
	// removal would meet.
	err := s.db.Update(func(txn *badger.Txn) error {
		var ops []op
		for _, id := range ids {
			ops = append(ops, del(taskIndexKey(id)), del([]byte("tk/"+id)), del([]byte("ac/"+id)))
		}
		return apply(txn, ops)
	})
	require.ErrorIs(t, err, badger.ErrTxnTooBig)

	require.NoError(t, s.ExecutionRemove(ctx, "huge"))
	requireGone(t, s, "huge", ids)
	require.Equal(t, before, countKeys(t, s), "every key of the removed execution is deleted")
	ex, err := s.ExecutionGet(ctx, "keep")
	require.NoError(t, err)
	require.Len(t, ex.Workflow.Tasks, len(keep))
	logs, err := s.TaskLogList(ctx, keep[0])
	require.NoError(t, err)
	require.Len(t, logs, 4)

	require.ErrorIs(t, s.ExecutionRemove(ctx, "huge"), store.ErrNotFound)
}

// openSmallTxn opens a store on dir whose Badger transactions hold about
// 600 KB.
func openSmallTxn(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := openWith(Options{Dir: dir}, func(o badger.Options) badger.Options { return o.WithMemTableSize(4 << 20).WithValueThreshold(64 << 10) })
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// TestRemoveInterruptedFinishedAtOpen stops a chunked removal after its
// first chunk, as a crash would (each chunk is a committed transaction),
// and checks that the execution is gone for every reader meanwhile, that
// its id cannot be reused until the removal is done, and that Open
// finishes the removal.
func TestRemoveInterruptedFinishedAtOpen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s, err := openWith(Options{Dir: dir, Sync: true}, nil)
	require.NoError(t, err)
	before := countKeys(t, s)
	ids := hugeExecution(t, s, "huge", 5_000, 3_000)

	// The first call of the removal only, then a second chunk.
	c := &call{ctx: ctx, remove: "huge", done: make(chan error, 1)}
	require.NoError(t, s.send(ctx, c))
	require.True(t, c.more, "an execution this large takes more than one chunk")
	c = &call{ctx: ctx, finish: "huge", done: make(chan error, 1)}
	require.NoError(t, s.send(ctx, c))
	require.True(t, c.more)
	left := countKeys(t, s)
	require.Greater(t, left, before+1000, "much of the execution is left")

	requireGone(t, s, "huge", ids)
	err = s.Commit(ctx, &store.Transition{Workflow: &workflow.Workflow{WorkflowID: "huge", WorkflowName: "fanout"}})
	require.ErrorIs(t, err, store.ErrExists)
	require.ErrorContains(t, err, "being removed")
	require.NoError(t, s.Close())

	s, err = openWith(Options{Dir: dir, Sync: true}, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	require.Equal(t, before, countKeys(t, s), "Open finished the removal")
	requireGone(t, s, "huge", ids)
	// The id is free again.
	require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: &workflow.Workflow{WorkflowID: "huge", WorkflowName: "fanout"}}))
	ex, err := s.ExecutionGet(ctx, "huge")
	require.NoError(t, err)
	require.Empty(t, ex.Workflow.Tasks)
}

// TestRemoveSmallInOneCall checks that a small execution is removed by one
// call and leaves no tombstone.
func TestRemoveSmallInOneCall(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, Options{InMemory: true})
	before := countKeys(t, s)
	ids := hugeExecution(t, s, "small", 300, 10)
	c := &call{ctx: ctx, remove: "small", done: make(chan error, 1)}
	require.NoError(t, s.send(context.Background(), c))
	require.False(t, c.more)
	require.Equal(t, before, countKeys(t, s))
	requireGone(t, s, "small", ids)
}

// TestValueLogGCReclaimsRemovedValues removes executions whose inputs are
// large enough to live in Badger's value log and checks that the store's
// value-log GC gives the space back once Badger's compactions have found
// the values unreferenced (small memtables and tables make them happen
// here within a few hundred commits).
func TestValueLogGCReclaimsRemovedValues(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s, err := openWith(Options{Dir: dir, ValueLogGCInterval: -1}, func(o badger.Options) badger.Options {
		return o.WithValueThreshold(1 << 10).WithValueLogFileSize(2 << 20).WithMemTableSize(1 << 20).
			WithBaseTableSize(64 << 10).WithNumLevelZeroTables(1)
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close()) }()
	pad := strings.Repeat("0123456789abcdef", 64<<10/16)
	commit := func(id string) {
		require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: &workflow.Workflow{
			WorkflowID: id, WorkflowName: "big", Status: workflow.StatusCompleted, EndTime: 2,
			Input: map[string]any{"pad": pad},
		}}))
	}
	for i := range 200 {
		commit(fmt.Sprint("big-", i))
	}
	before := vlogBytes(t, dir)
	require.Greater(t, before, int64(200*64<<10))
	for i := range 200 {
		require.NoError(t, s.ExecutionRemove(ctx, fmt.Sprint("big-", i)))
	}
	// Later commits, removed too, make Badger flush and compact the tables
	// that pointed at the removed values; the GC then rewrites the
	// files that are mostly garbage and deletes them.
	next := 0
	require.Eventually(t, func() bool {
		id := fmt.Sprint("later-", next)
		next++
		commit(id)
		require.NoError(t, s.ExecutionRemove(ctx, id))
		s.runValueLogGC() // what the GC loop does at each tick
		return vlogBytes(t, dir) < before/2
	}, time.Minute, time.Millisecond)
	t.Logf("value log: %d bytes before the removal, %d after GC (%d later commits)", before, vlogBytes(t, dir), next)
}

// vlogBytes is the disk space of the value-log files in dir.
func vlogBytes(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n int64
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".vlog" {
			continue
		}
		info, err := e.Info()
		require.NoError(t, err)
		n += info.Sys().(*syscall.Stat_t).Blocks * 512
	}
	return n
}
