package badgerstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// BenchmarkTaskSearch loads 25,000 executions of 5 tasks each (125,000
// tasks) into a store on disk and measures task searches of each kind,
// reporting their latency percentiles (p50-ms, p99-ms). -short skips it.
//
//	go test -run '^$' -bench BenchmarkTaskSearch -benchtime 200x -timeout 30m ./server/internal/store/badgerstore/
func BenchmarkTaskSearch(b *testing.B) {
	if testing.Short() {
		b.Skip("loads 125,000 tasks")
	}
	ctx := context.Background()
	s, err := Open(Options{Dir: b.TempDir(), Sync: true})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	d := newSearchBenchData(25_000)
	start := time.Now()
	wfIDs := loadTasks(b, s, d)
	b.Logf("loaded %d executions of %d tasks in %v", d.n, tasksPerExecution, time.Since(start).Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(3, 3))
	var cursors []store.TaskQuery
	for i := range 10 {
		q := store.TaskQuery{TaskType: benchTaskType(i), Limit: 50}
		for range 5 {
			page, err := s.TaskSearch(ctx, q)
			require.NoError(b, err)
			q.Cursor = page.Next
		}
		cursors = append(cursors, q)
	}
	hour := int64(time.Hour / time.Millisecond)
	kinds := []struct {
		name  string
		query func() store.TaskQuery
	}{
		{"Newest", func() store.TaskQuery { return store.TaskQuery{} }},
		{"Type", func() store.TaskQuery { return store.TaskQuery{TaskType: benchTaskType(rng.IntN(30))} }},
		{"TypeFailed", func() store.TaskQuery {
			return store.TaskQuery{TaskType: benchTaskType(rng.IntN(30)), Statuses: []workflow.TaskStatus{workflow.TaskFailed}}
		}},
		{"TypeCompleted", func() store.TaskQuery {
			return store.TaskQuery{TaskType: benchTaskType(rng.IntN(30)), Statuses: []workflow.TaskStatus{workflow.TaskCompleted}}
		}},
		{"StatusRare", func() store.TaskQuery {
			return store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskScheduled, workflow.TaskInProgress}}
		}},
		{"WorkflowName", func() store.TaskQuery { return store.TaskQuery{WorkflowName: d.pickName(rng)} }},
		{"WorkflowID", func() store.TaskQuery { return store.TaskQuery{WorkflowID: wfIDs[rng.IntN(len(wfIDs))]} }},
		{"ScheduledRange", func() store.TaskQuery {
			from := d.t0 + rng.Int64N(d.span)
			return store.TaskQuery{ScheduledFrom: from, ScheduledTo: from + hour}
		}},
		{"EndRange", func() store.TaskQuery {
			from := d.t0 + rng.Int64N(d.span)
			return store.TaskQuery{EndFrom: from, EndTo: from + hour}
		}},
		{"FreeText", func() store.TaskQuery { return store.TaskQuery{FreeText: d.pickWord(rng)} }},
		{"FreeTextType", func() store.TaskQuery {
			return store.TaskQuery{FreeText: "timeout", TaskType: benchTaskType(rng.IntN(30))}
		}},
		{"LaterPage", func() store.TaskQuery { return cursors[rng.IntN(len(cursors))] }},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			found := 0
			for b.Loop() {
				q := k.query()
				t := time.Now()
				page, err := s.TaskSearch(ctx, q)
				lat = append(lat, time.Since(t))
				require.NoError(b, err)
				found += len(page.Tasks)
			}
			slices.Sort(lat)
			ms := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
			b.ReportMetric(float64(found)/float64(len(lat)), "found/op")
		})
	}
}

const tasksPerExecution = 5

// benchTaskType names 30 task types, the first ones used most.
func benchTaskType(i int) string { return fmt.Sprintf("task_%02d", i) }

// benchTasks are the tasks of an execution: five, a second apart, all
// completed but in a failed execution, whose last task failed (with a
// reason), and in a running one, whose last task is scheduled or in
// progress.
func benchTasks(w *workflow.Workflow, rng *rand.Rand) []*workflow.Task {
	var tasks []*workflow.Task
	for i := range tasksPerExecution {
		scheduled := w.CreateTime + int64(i)*1000
		t := &workflow.Task{
			TaskID: fmt.Sprintf("%s-%d", w.WorkflowID, i), TaskType: benchTaskType(int(30 * rng.Float64() * rng.Float64())),
			ReferenceTaskName: fmt.Sprint("t", i), Status: workflow.TaskCompleted, WorkflowInstanceID: w.WorkflowID,
			WorkflowType: w.WorkflowName, Seq: i + 1, ScheduledTime: scheduled, StartTime: scheduled + 10,
			EndTime: scheduled + 500, UpdateTime: scheduled + 500, InputData: map[string]any{"n": i}, OutputData: map[string]any{},
		}
		if i == tasksPerExecution-1 {
			switch w.Status {
			case workflow.StatusRunning, workflow.StatusPaused:
				t.Status, t.EndTime = workflow.TaskScheduled, 0
				if rng.IntN(2) == 0 {
					t.Status = workflow.TaskInProgress
				} else {
					t.StartTime = 0
				}
			case workflow.StatusCompleted:
			default:
				t.Status = workflow.TaskFailed
				t.ReasonForIncompletion = w.ReasonForIncompletion + " timeout"
			}
		}
		tasks = append(tasks, t)
	}
	return tasks
}

// loadTasks commits the executions with their tasks from a few
// goroutines and returns the execution ids.
func loadTasks(b *testing.B, s *Store, d *searchBenchData) []string {
	const perCall, workers = 200, 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ids []string
	errs := make(chan error, workers)
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(wk), 1))
			for first := wk * perCall; first < d.n; first += workers * perCall {
				var ts []*store.Transition
				for i := first; i < min(first+perCall, d.n); i++ {
					w := d.execution(i, rng)
					ts = append(ts, &store.Transition{Workflow: w, Tasks: benchTasks(w, rng)})
					mu.Lock()
					ids = append(ids, w.WorkflowID)
					mu.Unlock()
				}
				if err := s.Commit(context.Background(), ts...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	require.NoError(b, s.db.Sync())
	return ids
}

// BenchmarkTaskLifecycle measures what the committer does for the life of
// a workflow of three SIMPLE tasks, as the engine commits it: the start
// with the first task scheduled, then for each task its start (IN_PROGRESS)
// and its completion with the next task scheduled, then the end. It is the
// hot path that the task search indexes add to; run it on a version
// without them to compare (ns/op is per workflow).
//
//	go test -run '^$' -bench BenchmarkTaskLifecycle -benchtime 5000x -count 5 ./server/internal/store/badgerstore/
func BenchmarkTaskLifecycle(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir()})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	ctx := context.Background()
	b.SetParallelism(32)
	b.ReportAllocs()
	var seq sync.Mutex
	n := 0
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			seq.Lock()
			n++
			id := fmt.Sprintf("wf-%08d", n)
			seq.Unlock()
			now := time.Now().UnixMilli()
			w := &workflow.Workflow{WorkflowID: id, WorkflowName: "bench", WorkflowVersion: 1, Status: workflow.StatusRunning,
				CreateTime: now, StartTime: now, UpdateTime: now, Input: map[string]any{"orderId": "o-1"}}
			var version uint64
			commit := func(tasks ...*workflow.Task) {
				w.UpdateTime++
				require.NoError(b, s.Commit(ctx, &store.Transition{Workflow: w, Version: version, Tasks: tasks,
					History: []store.Event{{Type: "TASK_UPDATED"}}}))
				version++
			}
			task := func(i int) *workflow.Task {
				return &workflow.Task{TaskID: fmt.Sprintf("%s-%d", id, i), TaskType: "greet", ReferenceTaskName: fmt.Sprint("t", i),
					WorkflowInstanceID: id, WorkflowType: "bench", Seq: i + 1, Status: workflow.TaskScheduled,
					ScheduledTime: w.UpdateTime, UpdateTime: w.UpdateTime, InputData: map[string]any{"n": i}}
			}
			t := task(0)
			commit(t)
			for i := range 3 {
				t.Status, t.StartTime, t.UpdateTime, t.PollCount = workflow.TaskInProgress, w.UpdateTime, w.UpdateTime, 1
				commit(t)
				t.Status, t.EndTime, t.UpdateTime = workflow.TaskCompleted, w.UpdateTime, w.UpdateTime
				t.OutputData = map[string]any{"greeting": "hello"}
				if i < 2 {
					next := task(i + 1)
					commit(t, next)
					t = next
				} else {
					w.Status, w.EndTime = workflow.StatusCompleted, w.UpdateTime+1
					commit(t)
				}
			}
		}
	})
}
