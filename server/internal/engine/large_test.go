package engine_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
)

// hugeBranches is larger than what one Badger transaction holds when every
// branch is written at once (the default options hold about 4,000). The
// race detector makes it take minutes, so under it the forks are of 2,500
// branches: several chunks still, the same paths of the engine.
var hugeBranches = 10_000

func init() {
	if raceDetector {
		hugeBranches = 2_500
	}
}

// startHugeFork starts, on the store on disk of b, a FORK_JOIN_DYNAMIC of
// n "work" branches and its JOIN, and waits until every branch is queued.
func startHugeFork(t *testing.T, b *testBundle, n int, mod func(*workflow.WorkflowDef)) string {
	t.Helper()
	def := &workflow.WorkflowDef{Name: "fanout", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{
		{Name: "fanout", TaskReferenceName: "fanout", Type: workflow.TypeForkJoinDynamic, InputParameters: map[string]any{
			"forkTaskName": "work", "forkTaskType": workflow.TypeSimple, "forkTaskInputs": "${workflow.input.branches}",
		}},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
	}}
	if mod != nil {
		mod(def)
	}
	_, err := b.e.RegisterWorkflowDef(b.ctx, def, true, false)
	require.NoError(t, err)
	branches := make([]any, n)
	for i := range branches {
		branches[i] = map[string]any{"n": i}
	}
	id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "fanout", Input: map[string]any{"branches": branches}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return b.e.QueueSize("work") == n }, time.Minute, 10*time.Millisecond)
	return id
}

// waitEnded runs the timer's work until an ended execution asks for no
// more wake-ups, which is when every task of it has ended, and returns it.
// (The fake clock stands still, so what is due stays due until done; the
// engine's own timer may sleep until a wake-up the clock has passed.)
func waitEnded(t *testing.T, b *testBundle, id string) *workflow.Workflow {
	t.Helper()
	for i := 0; ; i++ {
		require.Less(t, i, 1000, "workflow %s is still due after %d rounds of the timer", id, i)
		due, err := b.store.DueWorkflows(b.ctx, b.clock.Now(), 1000)
		require.NoError(t, err)
		if !slices.ContainsFunc(due, func(w store.Wake) bool { return w.WorkflowID == id }) {
			break
		}
		require.True(t, b.e.FireDue(b.ctx))
	}
	w, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.True(t, w.Status.Terminal())
	require.Nil(t, w.Pending)
	for _, task := range w.Tasks {
		require.True(t, task.Status.Terminal(), "task %s is %s", task.ReferenceTaskName, task.Status)
	}
	return w
}

// requireCancelled checks that an ended fork's branches and JOIN were
// cancelled, but for the task that ended it (skip), each with the reason
// of the end.
func requireCancelled(t *testing.T, w *workflow.Workflow, n int, reason, skip string) {
	t.Helper()
	branches := 0
	for _, task := range w.Tasks {
		switch {
		case task.ReferenceTaskName == "fanout":
			require.Equal(t, workflow.TaskCompleted, task.Status)
		case task.TaskID == skip:
		default:
			require.Equal(t, workflow.TaskCanceled, task.Status, task.ReferenceTaskName)
			require.Contains(t, task.ReasonForIncompletion, reason)
		}
		if task.TaskType == "work" {
			branches++
		}
	}
	require.Equal(t, n, branches)
}

// countHistory counts an execution's history events of a type.
func countHistory(t *testing.T, b *testBundle, id, typ string) int {
	t.Helper()
	history, err := b.store.HistoryList(b.ctx, id)
	require.NoError(t, err)
	n := 0
	for _, ev := range history {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// TestTerminateHugeFork terminates a running fork of 10,000 branches (see
// hugeBranches), some of them leased, then restarts it, terminates it
// again and retries it at once, before its tasks are all cancelled: each
// call succeeds, nothing of the ended execution is handed out or accepted,
// every task ends, and the end, the restart and the retry are each
// recorded once.
func TestTerminateHugeFork(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 1, "")
	id := startHugeFork(t, b, hugeBranches, nil)
	leased := b.poll(t, 5)
	require.Len(t, leased, 5)

	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "stop"))
	require.Equal(t, workflow.StatusTerminated, b.status(t, id))
	require.Zero(t, b.e.QueueSize("work"), "nothing of it is handed out")
	require.Empty(t, b.poll(t, 10))
	err := b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: leased[4].TaskID, PollCount: leased[4].PollCount, Status: workflow.TaskCompleted})
	require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err), "%v", err)
	w := waitEnded(t, b, id)
	requireCancelled(t, w, hugeBranches, "workflow TERMINATED: stop", "")
	require.Zero(t, b.e.InProgress("work"))
	require.Equal(t, 1, countHistory(t, b, id, "WORKFLOW_TERMINATED"))

	// Restart: its 10,002 tasks are removed and it runs again.
	require.NoError(t, b.e.RestartWorkflow(b.ctx, id, false))
	w, err = b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, w.Status)
	require.Nil(t, w.Pending)
	require.Equal(t, "fanout", w.Tasks[0].ReferenceTaskName, "the fork creates its branches again")
	_, err = b.e.Task(b.ctx, leased[0].TaskID)
	require.Equal(t, engine.NotFound, engine.CodeOf(err), "%v", err)
	require.Equal(t, 1, countHistory(t, b, id, "WORKFLOW_RESTARTED"))
	require.Eventually(t, func() bool { return b.e.QueueSize("work") == hugeBranches }, time.Minute, 10*time.Millisecond)

	// Terminate, and retry before the cancellation is done: the retry
	// finishes it first, then gives every branch a new attempt.
	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "stop again"))
	require.NoError(t, b.e.RetryWorkflow(b.ctx, id, false))
	w, err = b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, w.Status)
	require.Nil(t, w.Pending)
	retried := 0
	for _, task := range w.Tasks {
		if task.TaskType == "work" && task.Status == workflow.TaskScheduled {
			require.Equal(t, 1, task.RetryCount)
			retried++
		}
	}
	require.Equal(t, hugeBranches, retried)
	require.Equal(t, workflow.TaskInProgress, w.TaskByRef("join").Status)
	require.Equal(t, hugeBranches, b.e.QueueSize("work"))
	require.Equal(t, 1, countHistory(t, b, id, "WORKFLOW_RETRIED"))
}

// TestHugeForkFailsOnABranch: a branch of a fork of 10,000 that fails
// terminally fails the workflow, which cancels the other 9,999. A retry
// gives all 10,000 new attempts; when a branch fails again, a rerun from
// it, asked before the others are all cancelled, runs it again and gives
// the others new attempts; terminated again, a restart runs it anew.
func TestHugeForkFailsOnABranch(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 1, "")
	id := startHugeFork(t, b, hugeBranches, nil)
	task := b.poll(t, 1)[0]
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{
		TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskFailedWithTerminalError, ReasonForIncompletion: "broken",
	}))
	require.Equal(t, workflow.StatusFailed, b.status(t, id))
	w := waitEnded(t, b, id)
	require.Equal(t, []string{task.ReferenceTaskName}, w.FailedReferenceTaskNames)
	require.Equal(t, workflow.TaskFailedWithTerminalError, w.TaskByRef(task.ReferenceTaskName).Status)
	requireCancelled(t, w, hugeBranches, "workflow FAILED: Task "+task.TaskID, task.TaskID)
	require.Equal(t, 1, countHistory(t, b, id, "WORKFLOW_FAILED"))

	// The branch fails again; the rerun follows at once.
	require.NoError(t, b.e.RetryWorkflow(b.ctx, id, false))
	task = b.poll(t, 1)[0]
	require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{
		TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskFailedWithTerminalError, ReasonForIncompletion: "broken",
	}))
	require.NoError(t, b.e.RerunWorkflow(b.ctx, id, &workflow.RerunRequest{ReRunFromTaskID: task.TaskID}))
	w, err := b.e.Workflow(b.ctx, id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, w.Status)
	require.Nil(t, w.Pending)
	require.Equal(t, workflow.TaskScheduled, w.TaskByRef(task.ReferenceTaskName).Status)
	require.Equal(t, hugeBranches, b.e.QueueSize("work"), "every branch runs again")
	require.Equal(t, 1, countHistory(t, b, id, "WORKFLOW_RERUN"))

	require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "stop"))
	require.NoError(t, b.e.RestartWorkflow(b.ctx, id, false))
	require.Equal(t, workflow.StatusRunning, b.status(t, id))
	require.Eventually(t, func() bool { return b.e.QueueSize("work") == hugeBranches }, time.Minute, 10*time.Millisecond)
}

// TestHugeForkTimesOut: a fork of 10,000 branches whose workflow times out
// ends TIMED_OUT, and the timer cancels every branch.
func TestHugeForkTimesOut(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 1, "")
	id := startHugeFork(t, b, hugeBranches, func(d *workflow.WorkflowDef) {
		d.TimeoutSeconds, d.TimeoutPolicy = 60, workflow.TimeoutWorkflow
	})
	b.clock.Add(61 * time.Second)
	require.True(t, b.e.FireDue(b.ctx))
	require.Equal(t, workflow.StatusTimedOut, b.status(t, id))
	w := waitEnded(t, b, id)
	requireCancelled(t, w, hugeBranches, "workflow TIMED_OUT: workflow timed out after 60 seconds", "")
	require.Equal(t, 1, countHistory(t, b, id, "WORKFLOW_TIMED_OUT"))
}
