package badgerstore

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/storetest"
)

func TestInMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		NewStore: func(t *testing.T) store.Store {
			return open(t, Options{InMemory: true})
		},
	})
}

func TestOnDisk(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		NewStore: func(t *testing.T) store.Store {
			return open(t, Options{Dir: t.TempDir(), Sync: true})
		},
		Reopen: func(t *testing.T, s store.Store) store.Store {
			dir := s.(*Store).db.Opts().Dir
			require.NoError(t, s.Close())
			return open(t, Options{Dir: dir, Sync: true})
		},
	})
}

func open(t *testing.T, opts Options) *Store {
	t.Helper()
	s, err := Open(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()

	_, err := Open(Options{})
	require.ErrorContains(t, err, "Dir is required")
	_, err = Open(Options{InMemory: true, Dir: t.TempDir()})
	require.ErrorContains(t, err, "Dir must be empty")
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()

	s, err := Open(Options{Dir: dir, Sync: true})
	require.NoError(t, err)

	require.NoError(t, s.TaskDefPut(ctx, []*workflow.TaskDef{{Name: "charge"}}))
	require.NoError(t, s.WorkflowDefPut(ctx, &store.WorkflowDefPutParams{Def: &workflow.WorkflowDef{Name: "order", Version: 3}}))

	wfID := uuid.NewString()
	wakeAt := time.UnixMilli(1_760_000_000_000)
	active := &workflow.Task{TaskID: uuid.NewString(), Seq: 2, Status: workflow.TaskScheduled, WorkflowInstanceID: wfID}
	done := &workflow.Task{TaskID: uuid.NewString(), Seq: 1, Status: workflow.TaskCompleted, WorkflowInstanceID: wfID}
	w := &workflow.Workflow{WorkflowID: wfID, WorkflowName: "order", Status: workflow.StatusRunning}
	require.NoError(t, s.Commit(ctx, &store.Transition{
		Workflow: w,
		WakeAt:   wakeAt,
		Tasks:    []*workflow.Task{active, done},
		History:  []store.Event{{Time: 1, Type: "WORKFLOW_STARTED"}},
		Logs:     []workflow.TaskExecLog{{TaskID: done.TaskID, Log: "one"}},
	}))
	require.NoError(t, s.TaskLogAppend(ctx, []workflow.TaskExecLog{{TaskID: done.TaskID, Log: "two"}}))
	require.NoError(t, s.Close())

	s = open(t, Options{Dir: dir, Sync: true})

	_, err = s.TaskDefGet(ctx, "charge")
	require.NoError(t, err)
	def, err := s.WorkflowDefGet(ctx, "order", 0)
	require.NoError(t, err)
	require.Equal(t, 3, def.Version)

	exec, err := s.ExecutionGet(ctx, wfID)
	require.NoError(t, err)
	require.Equal(t, uint64(1), exec.Version)
	require.True(t, wakeAt.Equal(exec.WakeAt))
	require.Equal(t, []*workflow.Task{done, active}, exec.Workflow.Tasks)

	got, err := s.TaskGet(ctx, active.TaskID)
	require.NoError(t, err)
	require.Equal(t, active, got)

	var ids []string
	require.NoError(t, s.ActiveTasks(ctx, func(t *workflow.Task) error {
		ids = append(ids, t.TaskID)
		return nil
	}))
	require.Equal(t, []string{active.TaskID}, ids)

	due, err := s.DueWorkflows(ctx, wakeAt, 10)
	require.NoError(t, err)
	require.Len(t, due, 1)
	require.Equal(t, wfID, due[0].WorkflowID)
	next, ok, err := s.NextWake(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, wakeAt.Equal(next))

	history, err := s.HistoryList(ctx, wfID)
	require.NoError(t, err)
	require.Equal(t, []store.Event{{Time: 1, Type: "WORKFLOW_STARTED"}}, history)
	logs, err := s.TaskLogList(ctx, done.TaskID)
	require.NoError(t, err)
	require.Equal(t, []workflow.TaskExecLog{{TaskID: done.TaskID, Log: "one"}, {TaskID: done.TaskID, Log: "two"}}, logs)

	// Counters carried over: the version guard, history and log positions.
	w2 := *w
	w2.Status = workflow.StatusCompleted
	require.ErrorIs(t, s.Commit(ctx, &store.Transition{Workflow: &w2}), store.ErrExists)
	require.NoError(t, s.Commit(ctx, &store.Transition{
		Workflow: &w2, Version: 1,
		History: []store.Event{{Time: 2, Type: "WORKFLOW_COMPLETED"}},
		Logs:    []workflow.TaskExecLog{{TaskID: done.TaskID, Log: "three"}},
	}))
	history, err = s.HistoryList(ctx, wfID)
	require.NoError(t, err)
	require.Len(t, history, 2)
	require.Equal(t, "WORKFLOW_COMPLETED", history[1].Type)
	logs, err = s.TaskLogList(ctx, done.TaskID)
	require.NoError(t, err)
	require.Len(t, logs, 3)
	require.Equal(t, "three", logs[2].Log)
	_, ok, err = s.NextWake(ctx)
	require.NoError(t, err)
	require.False(t, ok)
}

// TestOpenAfterPowerCut reproduces what a power cut leaves with SyncWrites
// off (dgraph-io/badger#2207): zero-length memtable and value-log files, on
// which badger.Open fails with "Create a new file".
func TestOpenAfterPowerCut(t *testing.T) {
	t.Parallel()

	for _, empty := range [][]string{{".mem"}, {".vlog"}, {".mem", ".vlog"}} {
		t.Run(strings.Join(empty, "+"), func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dir := t.TempDir()

			s, err := Open(Options{Dir: dir, Sync: true})
			require.NoError(t, err)
			w := &workflow.Workflow{WorkflowID: "wf-1", Status: workflow.StatusRunning}
			require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: w}))
			require.NoError(t, s.Close())

			// The files being written when the power went: the next memtable
			// and the last value log, both empty.
			for _, ext := range empty {
				var name string
				if ext == ".mem" {
					name = fmt.Sprintf("%05d.mem", lastFileID(t, dir, ".mem")+1)
				} else {
					name = fmt.Sprintf("%06d.vlog", lastFileID(t, dir, ".vlog"))
				}
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
			}

			// Badger fails on the first attempt; Open says so and retries.
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, nil))
			s, err = Open(Options{Dir: dir, Sync: true, Logger: logger})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			require.Contains(t, logs.String(), "retrying open")
			require.Contains(t, logs.String(), errTextNewFile)

			exec, err := s.ExecutionGet(ctx, "wf-1")
			require.NoError(t, err)
			require.Equal(t, uint64(1), exec.Version)
			w.Status = workflow.StatusCompleted
			require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: w, Version: 1}))
		})
	}
}

// lastFileID returns the largest id of the files with the extension in dir,
// 0 if none.
func lastFileID(t *testing.T, dir, ext string) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"+ext))
	require.NoError(t, err)
	last := 0
	for _, name := range names {
		var id int
		_, err := fmt.Sscanf(strings.TrimSuffix(filepath.Base(name), ext), "%d", &id)
		require.NoError(t, err)
		last = max(last, id)
	}
	return last
}

func TestRemoveEmptyLogFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, size := range map[string]int{"00001.mem": 0, "00002.mem": 10, "000001.vlog": 0, "MANIFEST": 0, "000003.sst": 0} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o644))
	}
	removed, err := removeEmptyLogFiles(dir)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"00001.mem", "000001.vlog"}, removed)
	left, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.Len(t, left, 3)
}

func TestDirectoryInUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	open(t, Options{Dir: dir})
	_, err := Open(Options{Dir: dir})
	require.ErrorContains(t, err, "data directory "+dir+" is in use by another Baton process")
}

func TestCommitAfterClose(t *testing.T) {
	t.Parallel()

	s, err := Open(Options{InMemory: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	err = s.Commit(t.Context(), &store.Transition{Workflow: &workflow.Workflow{WorkflowID: "wf"}})
	require.ErrorIs(t, err, errClosed)
}

// TestCloseDrains checks that commits sent before Close are all written and
// answered.
func TestCloseDrains(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()

	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	const n = 200
	results := make(chan error, n)
	var sent atomic.Int32
	for i := range n {
		go func() {
			err := s.Commit(ctx, &store.Transition{Workflow: &workflow.Workflow{WorkflowID: fmt.Sprint("wf-", i)}})
			if err == nil {
				sent.Add(1)
			}
			results <- err
		}()
	}
	require.NoError(t, s.Close())
	for range n {
		if err := <-results; err != nil {
			require.ErrorIs(t, err, errClosed)
		}
	}

	s = open(t, Options{Dir: dir})
	var found int32
	for i := range n {
		_, err := s.ExecutionGet(ctx, fmt.Sprint("wf-", i))
		if err == nil {
			found++
		} else {
			require.ErrorIs(t, err, store.ErrNotFound)
		}
	}
	require.Equal(t, sent.Load(), found)
}

// TestTxnTooBig checks that a batch larger than one Badger transaction is
// split, and that a call too big for any transaction fails alone.
func TestTxnTooBig(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, Options{InMemory: true})

	// Badger's default transaction holds about 9.6 MB; each of these calls
	// writes about 1 MiB, so a batch of them needs several transactions.
	big := func(id string, kib int) *store.Transition {
		w := &workflow.Workflow{WorkflowID: id, Input: map[string]any{"pad": strings.Repeat("x", kib<<10)}}
		return &store.Transition{Workflow: w}
	}
	calls := make([]*call, 0, 24)
	for i := range 24 {
		p, err := prepareTransition(big(fmt.Sprint("wf-", i), 1000), s.maxValueSize)
		require.NoError(t, err)
		calls = append(calls, &call{ctx: ctx, txs: []*transition{p}, done: make(chan error, 1)})
	}
	// Twelve tasks of 1000 KiB: more than a transaction holds.
	hugeTr := big("huge", 1)
	for i := range 12 {
		hugeTr.Tasks = append(hugeTr.Tasks, &workflow.Task{TaskID: fmt.Sprint("huge-", i), Seq: i,
			InputData: map[string]any{"pad": strings.Repeat("x", 1000<<10)}})
	}
	huge, err := prepareTransition(hugeTr, s.maxValueSize)
	require.NoError(t, err)
	calls = append(calls[:12], append([]*call{{ctx: ctx, txs: []*transition{huge}, done: make(chan error, 1)}}, calls[12:]...)...)

	s.commitBatch(calls)
	for i, c := range calls {
		err := <-c.done
		if i == 12 {
			require.ErrorContains(t, err, "Txn is too big")
			continue
		}
		require.NoError(t, err, "call %d", i)
	}
	for i := range 24 {
		_, err := s.ExecutionGet(ctx, fmt.Sprint("wf-", i))
		require.NoError(t, err)
	}
	_, err = s.ExecutionGet(ctx, "huge")
	require.ErrorIs(t, err, store.ErrNotFound)
}

// BenchmarkCommit measures group commit: parallel goroutines each update
// their own execution, one small transition (workflow, one task, one history
// event) per commit. commits/s is the figure to watch.
//
//	go test -run '^$' -bench BenchmarkCommit -benchtime 3s ./server/internal/store/badgerstore/
func BenchmarkCommit(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, producers := range []int{16, 64, 256} {
			b.Run(fmt.Sprintf("sync=%v/producers=%d", sync, producers), func(b *testing.B) {
				benchmarkCommit(b, sync, producers)
			})
		}
	}
}

func benchmarkCommit(b *testing.B, sync bool, producers int) {
	s, err := Open(Options{Dir: b.TempDir(), Sync: sync})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	ctx := context.Background()

	b.SetParallelism(max(1, producers/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := uuid.NewString()
		w := &workflow.Workflow{WorkflowID: id, WorkflowName: "bench", Status: workflow.StatusRunning,
			Input: map[string]any{"orderId": "o-1"}}
		task := &workflow.Task{TaskID: uuid.NewString(), TaskType: "SIMPLE", WorkflowInstanceID: id, Seq: 1,
			Status: workflow.TaskScheduled, InputData: map[string]any{"n": 1}}
		var version uint64
		for pb.Next() {
			task.PollCount++
			err := s.Commit(ctx, &store.Transition{
				Workflow: w, Version: version,
				Tasks:   []*workflow.Task{task},
				History: []store.Event{{Type: "TASK_UPDATED", TaskID: task.TaskID}},
			})
			if err != nil {
				b.Error(err)
				return
			}
			version++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

func TestRecordTooLargeInMemory(t *testing.T) {
	t.Parallel()
	s := open(t, Options{InMemory: true})

	w := &workflow.Workflow{WorkflowID: "wf", Input: map[string]any{"pad": strings.Repeat("x", 2<<20)}}
	err := s.Commit(t.Context(), &store.Transition{Workflow: w})
	require.ErrorContains(t, err, "this store keeps at most 1048575 bytes per record")
	_, err = s.ExecutionGet(t.Context(), "wf")
	require.ErrorIs(t, err, store.ErrNotFound)
}
