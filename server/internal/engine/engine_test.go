package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
	"github.com/batonhq/baton/wasm"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type testBundle struct {
	e     *engine.Engine
	store store.Store
	clock *clock
	ctx   context.Context
}

func ptr[T any](v T) *T { return &v }

// setup starts an engine over a fresh in-memory Badger store, with a fake
// clock, a task definition "work" and a workflow "chain" of n SIMPLE tasks.
func setup(t *testing.T, n int, td *workflow.TaskDef) *testBundle {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return start(t, st, n, td)
}

func start(t *testing.T, st store.Store, n int, td *workflow.TaskDef) *testBundle {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	e, err := engine.New(engine.Config{Store: st, Clock: c.Now, Plugins: wasm.HostConfig{CacheDir: wasmtest.CacheDir()}})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, e.Start(ctx))
	t.Cleanup(e.Stop)
	b := &testBundle{e: e, store: st, clock: c, ctx: ctx}
	if td != nil {
		require.NoError(t, e.RegisterTaskDefs(ctx, []*workflow.TaskDef{td}))
		def := &workflow.WorkflowDef{Name: "chain", Version: 1}
		for i := range n {
			def.Tasks = append(def.Tasks, &workflow.WorkflowTask{
				Name: td.Name, TaskReferenceName: fmt.Sprintf("s%d", i+1), Type: "SIMPLE",
				InputParameters: map[string]any{"i": i + 1, "x": "${workflow.input.x}"},
			})
		}
		def.OutputParameters = map[string]any{"last": fmt.Sprintf("${s%d.output.i}", n)}
		_, err := e.RegisterWorkflowDef(ctx, def, true, false)
		require.NoError(t, err)
	}
	return b
}

func (b *testBundle) startWF(t *testing.T, priority int) string {
	t.Helper()
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "chain", Input: map[string]any{"x": "in"}, Priority: priority})
	require.NoError(t, err)
	return id
}

func (b *testBundle) poll(t *testing.T, n int) []*workflow.Task {
	t.Helper()
	tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", WorkerID: "w", Count: n})
	require.NoError(t, err)
	return tasks
}

func (b *testBundle) complete(t *testing.T, task *workflow.Task) {
	t.Helper()
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{
		TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskCompleted,
		OutputData: map[string]any{"i": task.InputData["i"]},
	}))
}

func (b *testBundle) status(t *testing.T, id string) workflow.Status {
	t.Helper()
	w, err := b.e.Workflow(b.ctx, id, false)
	require.NoError(t, err)
	return w.Status
}

func work() *workflow.TaskDef {
	return &workflow.TaskDef{Name: "work", RetryCount: ptr(1), RetryDelaySeconds: ptr(int64(0)), ResponseTimeoutSeconds: ptr(int64(30))}
}

func TestChainRunsToCompletion(t *testing.T) {
	t.Parallel()
	b := setup(t, 3, work())
	id := b.startWF(t, 0)
	for i := 1; i <= 3; i++ {
		tasks := b.poll(t, 10)
		require.Len(t, tasks, 1, "only the next task of the chain is scheduled")
		require.Equal(t, fmt.Sprintf("s%d", i), tasks[0].ReferenceTaskName)
		require.Equal(t, "in", tasks[0].InputData["x"])
		require.Equal(t, workflow.TaskInProgress, tasks[0].Status)
		b.complete(t, tasks[0])
	}
	w, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, w.Status)
	require.EqualValues(t, "3", fmt.Sprint(w.Output["last"]))
	require.Len(t, w.Tasks, 3)
	require.Empty(t, b.poll(t, 10))
	history, err := b.store.HistoryList(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, "WORKFLOW_STARTED", history[0].Type)
	require.Equal(t, "WORKFLOW_COMPLETED", history[len(history)-1].Type)
}

func TestDuplicateAndStaleCompletionsAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, work())
	id := b.startWF(t, 0)
	task := b.poll(t, 1)[0]
	b.complete(t, task)
	before, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)

	err = b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: task.TaskID, Status: workflow.TaskCompleted})
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
	require.Contains(t, err.Error(), "already COMPLETED")

	err = b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: "no-such-task", Status: workflow.TaskCompleted})
	require.Equal(t, engine.NotFound, engine.CodeOf(err))

	after, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, before, after, "a refused update changes nothing")
}

func TestLongPollWakesOnSchedule(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	got := make(chan []*workflow.Task)
	go func() {
		tasks, _ := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", Count: 1, Wait: 20 * time.Second})
		got <- tasks
	}()
	b.startWF(t, 0)
	tasks := <-got
	require.Len(t, tasks, 1)
}

func TestPriorityOrdersTheQueue(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	low := b.startWF(t, 1)
	high := b.startWF(t, 90)
	mid := b.startWF(t, 50)
	var order []string
	for _, task := range b.poll(t, 3) {
		order = append(order, task.WorkflowInstanceID)
	}
	require.Equal(t, []string{high, mid, low}, order)
}

func TestWorkerDiesLeaseExpires(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	id := b.startWF(t, 0)
	first := b.poll(t, 1)[0]
	// The worker holding the task dies: no update comes.
	b.clock.Add(31 * time.Second)
	require.True(t, b.e.FireDue(b.ctx))
	retry := b.poll(t, 1)
	require.Len(t, retry, 1, "the timed-out task is retried")
	require.Equal(t, 1, retry[0].RetryCount)
	require.Equal(t, first.TaskID, retry[0].RetriedTaskID)

	// The dead worker's late completion is refused.
	err := b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: first.TaskID, PollCount: first.PollCount, Status: workflow.TaskCompleted})
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
	b.complete(t, retry[0])
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))
}

func TestHeartbeatKeepsTheLease(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	id := b.startWF(t, 0)
	task := b.poll(t, 1)[0]
	for range 4 {
		b.clock.Add(20 * time.Second)
		require.NoError(t, b.e.Heartbeat(b.ctx, task.TaskID, task.PollCount, "w"))
		require.True(t, b.e.FireDue(b.ctx))
	}
	b.complete(t, task)
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))
	err := b.e.Heartbeat(b.ctx, task.TaskID, task.PollCount, "w")
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
}

func TestCallbackAfterSecondsDelaysRedelivery(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	b.startWF(t, 0)
	task := b.poll(t, 1)[0]
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: task.TaskID, Status: workflow.TaskInProgress, CallbackAfterSeconds: 5}))
	require.Empty(t, b.poll(t, 1))
	require.Equal(t, 1, b.e.QueueSize("work"), "delayed tasks count in the queue size")
	b.clock.Add(5 * time.Second)
	again := b.poll(t, 1)
	require.Len(t, again, 1)
	require.Equal(t, task.TaskID, again[0].TaskID)
	require.Equal(t, 2, again[0].PollCount)
}

func TestConcurrentExecLimit(t *testing.T) {
	t.Parallel()
	td := work()
	td.ConcurrentExecLimit = ptr(2)
	b := setup(t, 1, td)
	for range 5 {
		b.startWF(t, 0)
	}
	first := b.poll(t, 5)
	require.Len(t, first, 2)
	require.Empty(t, b.poll(t, 5))
	b.complete(t, first[0])
	require.Len(t, b.poll(t, 5), 1)
	require.Equal(t, 2, b.e.InProgress("work"))
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	td := work()
	td.RateLimitPerFrequency = ptr(3)
	td.RateLimitFrequencyInSeconds = ptr(10)
	b := setup(t, 1, td)
	for range 5 {
		b.startWF(t, 0)
	}
	first := b.poll(t, 5)
	require.Len(t, first, 3)
	for _, task := range first {
		b.complete(t, task)
	}
	require.Empty(t, b.poll(t, 5), "the window is used up even though nothing runs")
	b.clock.Add(10 * time.Second)
	require.Len(t, b.poll(t, 5), 2)
}

func TestPauseHoldsTasksAndResumeReleasesThem(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, work())
	id := b.startWF(t, 0)
	require.NoError(t, b.e.PauseWorkflow(b.ctx, id))
	require.Empty(t, b.poll(t, 1))
	require.NoError(t, b.e.ResumeWorkflow(b.ctx, id))
	task := b.poll(t, 1)
	require.Len(t, task, 1)
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "enough"))
	require.Equal(t, workflow.StatusTerminated, b.status(t, id))
	err := b.e.ResumeWorkflow(b.ctx, id)
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
	err = b.e.PauseWorkflow(b.ctx, "nope")
	require.Equal(t, engine.NotFound, engine.CodeOf(err))
}

func TestStartRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	_, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "nope"})
	require.Equal(t, engine.NotFound, engine.CodeOf(err))
	_, err = b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "chain", Version: 7})
	require.Equal(t, engine.NotFound, engine.CodeOf(err))
	_, err = b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "chain", Priority: 100})
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
	_, err = b.e.RegisterWorkflowDef(b.ctx, &workflow.WorkflowDef{Name: "bad", Tasks: []*workflow.WorkflowTask{{Name: "undefined", TaskReferenceName: "a"}}}, true, false)
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
	_, err = b.e.WorkflowDef(b.ctx, "bad", 0)
	require.Equal(t, engine.NotFound, engine.CodeOf(err), "an invalid definition is not stored")
}

func TestDefinitionVersions(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	def, err := b.e.WorkflowDef(b.ctx, "chain", 0)
	require.NoError(t, err)
	v2 := *def
	v2.Tasks = append([]*workflow.WorkflowTask{}, def.Tasks...)
	v2.Tasks = append(v2.Tasks, &workflow.WorkflowTask{Name: "work", TaskReferenceName: "extra", Type: "SIMPLE"})
	got, err := b.e.RegisterWorkflowDef(b.ctx, &v2, false, true)
	require.NoError(t, err)
	require.Equal(t, 2, got.Version)
	_, err = b.e.RegisterWorkflowDef(b.ctx, &v2, false, false)
	require.Equal(t, engine.AlreadyExists, engine.CodeOf(err))

	id := b.startWF(t, 0)
	w, err := b.e.Workflow(b.ctx, id, false)
	require.NoError(t, err)
	require.Equal(t, 2, w.WorkflowVersion, "a start without a version takes the latest")
	require.Len(t, w.WorkflowDefinition.Tasks, 2)

	// Deleting the definition does not disturb the running execution: it
	// keeps its snapshot.
	require.NoError(t, b.e.DeleteWorkflowDef(b.ctx, "chain", 2))
	b.complete(t, b.poll(t, 1)[0])
	b.complete(t, b.poll(t, 1)[0])
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))
}

func TestRecoveryRebuildsQueuesAndFiresOverdueTimers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir, Sync: true})
	require.NoError(t, err)
	b := start(t, st, 2, work())
	first := b.startWF(t, 0)
	second := b.startWF(t, 0)
	tasks := b.poll(t, 1)
	require.Len(t, tasks, 1)
	require.Equal(t, first, tasks[0].WorkflowInstanceID, "FIFO within a priority")
	// The first workflow's task is leased; the second's waits in the queue.
	b.e.Stop()
	require.NoError(t, st.Close())

	st2, err := badgerstore.Open(badgerstore.Options{Dir: dir, Sync: true})
	require.NoError(t, err)
	t.Cleanup(func() { st2.Close() })
	b2 := start(t, st2, 0, nil)
	b2.clock.Set(b.clock.Now())
	queued := b2.poll(t, 5)
	require.Len(t, queued, 1, "the queue is rebuilt from the store")
	require.Equal(t, second, queued[0].WorkflowInstanceID)
	require.Equal(t, 2, b2.e.InProgress("work"))

	// The lease taken before the restart expires and is retried once.
	b2.clock.Add(31 * time.Second)
	require.True(t, b2.e.FireDue(b2.ctx))
	require.True(t, b2.e.FireDue(b2.ctx))
	again := b2.poll(t, 5)
	require.Len(t, again, 2, "both leases expired and were retried, once each")
	for _, task := range again {
		require.Equal(t, 1, task.RetryCount)
	}
}

func TestUndeliveredLeasesAreHandedBack(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	b.startWF(t, 0)
	leased := b.poll(t, 1)
	require.Len(t, leased, 1)
	require.Empty(t, b.poll(t, 1))
	b.e.HandBack(leased)
	again := b.poll(t, 1)
	require.Len(t, again, 1, "the task is at once available to another worker")
	require.Equal(t, leased[0].TaskID, again[0].TaskID)
	require.Equal(t, 2, again[0].PollCount)
}

func TestUpdateTaskAndPollChainsTheNextTask(t *testing.T) {
	t.Parallel()
	b := setup(t, 3, work())
	id := b.startWF(t, 0)
	task := b.poll(t, 1)[0]
	for i := 2; i <= 4; i++ {
		next, err := b.e.UpdateTaskAndPoll(b.ctx, &workflow.TaskResult{
			TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskCompleted, WorkerID: "w",
			OutputData: map[string]any{"i": task.InputData["i"]},
		}, engine.PollRequest{Count: 1})
		require.NoError(t, err)
		if i == 4 {
			require.Empty(t, next, "the workflow has no task left")
			break
		}
		require.Len(t, next, 1)
		require.Equal(t, fmt.Sprintf("s%d", i), next[0].ReferenceTaskName)
		require.Equal(t, workflow.TaskInProgress, next[0].Status)
		task = next[0]
	}
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))

	// A refused update polls nothing.
	_, err := b.e.UpdateTaskAndPoll(b.ctx, &workflow.TaskResult{TaskID: task.TaskID, Status: workflow.TaskCompleted}, engine.PollRequest{Count: 1})
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err))
}

// A poll waiting on an empty queue gets the first task of a new execution
// leased in the commit of its start: no commit of its own, and the task is
// durably IN_PROGRESS under the poll's worker before the start returns.
func TestAWaitingPollGetsTheFirstTaskInTheStartCommit(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, work())
	got := make(chan []*workflow.Task, 1)
	go func() {
		tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", WorkerID: "w1", Count: 4, Wait: time.Minute})
		assert.NoError(t, err)
		got <- tasks
	}()
	require.Eventually(t, func() bool { return b.e.Waiting("work") == 1 }, 10*time.Second, time.Millisecond)
	id := b.startWF(t, 0)

	ex, err := b.store.ExecutionGet(b.ctx, id)
	require.NoError(t, err)
	require.EqualValues(t, 1, ex.Version, "the start and the lease are one commit")
	stored := ex.Workflow.Tasks[0]
	require.Equal(t, workflow.TaskInProgress, stored.Status)
	require.Equal(t, "w1", stored.WorkerID)
	require.Equal(t, 1, stored.PollCount)

	tasks := <-got
	require.Len(t, tasks, 1)
	require.Equal(t, stored.TaskID, tasks[0].TaskID)
	require.Equal(t, workflow.TaskInProgress, tasks[0].Status)
	require.Equal(t, 1, tasks[0].PollCount)
	b.complete(t, tasks[0])
	next := b.poll(t, 1)
	require.Len(t, next, 1)
	b.complete(t, next[0])
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))
}

// A completion that schedules the next task hands it, in its commit, to a
// poll waiting on the task's queue.
func TestAWaitingPollGetsTheNextTaskInTheCompletionCommit(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, work())
	id := b.startWF(t, 0)
	first := b.poll(t, 1)
	require.Len(t, first, 1)
	got := make(chan []*workflow.Task, 1)
	go func() {
		tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", WorkerID: "w2", Count: 1, Wait: time.Minute})
		assert.NoError(t, err)
		got <- tasks
	}()
	require.Eventually(t, func() bool { return b.e.Waiting("work") == 1 }, 10*time.Second, time.Millisecond)
	before, err := b.store.ExecutionGet(b.ctx, id)
	require.NoError(t, err)
	b.complete(t, first[0])

	ex, err := b.store.ExecutionGet(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, before.Version+1, ex.Version, "the completion and the lease are one commit")
	second := ex.Workflow.Tasks[1]
	require.Equal(t, workflow.TaskInProgress, second.Status)
	require.Equal(t, "w2", second.WorkerID)
	tasks := <-got
	require.Len(t, tasks, 1)
	require.Equal(t, second.TaskID, tasks[0].TaskID)
	b.complete(t, tasks[0])
	require.Equal(t, workflow.StatusCompleted, b.status(t, id))
}

// A task scheduled while older ones wait behind a concurrency limit is not
// handed to a waiting poll ahead of them, even once the limit has room
// again (the poll finds out at its next recheck or wake-up).
func TestAHandOffDoesNotJumpTasksHeldByALimit(t *testing.T) {
	t.Parallel()
	td := work()
	td.ConcurrentExecLimit = ptr(1)
	b := setup(t, 1, td)
	first, second := b.startWF(t, 0), b.startWF(t, 0)
	running := b.poll(t, 2)
	require.Len(t, running, 1)
	require.Equal(t, first, running[0].WorkflowInstanceID)
	got := make(chan []*workflow.Task, 1)
	go func() {
		tasks, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", WorkerID: "w2", Count: 1, Wait: time.Minute})
		assert.NoError(t, err)
		got <- tasks
	}()
	require.Eventually(t, func() bool { return b.e.Waiting("work") == 1 }, 10*time.Second, time.Millisecond)
	b.complete(t, running[0]) // the limit has room again
	b.startWF(t, 0)           // a newer task, while the second workflow's waits
	tasks := <-got
	require.Len(t, tasks, 1)
	require.Equal(t, second, tasks[0].WorkflowInstanceID, "the older task goes first")
}

// TestPollCancelledWhileLeasingPutsTasksBack: a poll whose caller leaves
// while its lease loads a workflow from the store commits nothing, and
// every task it claimed is there for the next poll (the lease decided for
// an earlier workflow of the same poll included).
func TestPollCancelledWhileLeasingPutsTasksBack(t *testing.T) {
	b := setup(t, 1, work())
	first, second := b.startWF(t, 0), b.startWF(t, 0)
	b.e.Forget(second) // read from the store, under the poll's context
	ctx, cancel := context.WithCancel(b.ctx)
	cancel()
	_, err := b.e.Poll(ctx, engine.PollRequest{TaskType: "work", WorkerID: "w", Count: 2})
	require.Error(t, err)
	tasks := b.poll(t, 2)
	require.Len(t, tasks, 2, "both tasks are polled again")
	for _, task := range tasks {
		b.complete(t, task)
	}
	require.Equal(t, workflow.StatusCompleted, b.status(t, first))
	require.Equal(t, workflow.StatusCompleted, b.status(t, second))
}
