package decider

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// forked runs a fanOut of n branches until every branch is created, and
// leases the first branch.
func forked(t *testing.T, b *bundle, n int) {
	t.Helper()
	b.must(0, Start{})
	for b.task("fan").Status != workflow.TaskCompleted {
		b.must(0, Tick{})
	}
	require.Equal(t, n, b.count(func(task *workflow.Task) bool { return task.TaskType == "work" }))
	b.must(0, Lease{TaskID: b.task("work_0").TaskID, WorkerID: "w1"})
}

func (b *bundle) count(match func(*workflow.Task) bool) int {
	n := 0
	for _, t := range b.w.Tasks {
		if match(t) {
			n++
		}
	}
	return n
}

func isOpen(t *workflow.Task) bool { return !t.Status.Terminal() }

func countRecords(res *Result, typ string) int {
	n := 0
	for _, r := range res.History {
		if r.Type == typ {
			n++
		}
	}
	return n
}

// TestEndCancelsInChunks: a workflow of 2,500 open branches that ends
// (terminated, failed by a branch, timed out) takes its terminal status,
// its end record and its end commands in the decision that ends it, and
// cancels its open tasks cancelChunk per decision, oldest first, asking
// to be woken at once until none is left. Meanwhile its tasks are neither
// handed out nor updated.
func TestEndCancelsInChunks(t *testing.T) {
	t.Parallel()
	const n = 2500
	for _, tc := range []struct {
		name   string
		def    func(*workflow.WorkflowDef)
		at     time.Duration
		end    func(b *bundle) Event
		status workflow.Status
		reason string
	}{
		{
			name:   "terminated",
			end:    func(*bundle) Event { return Terminate{Reason: "stop"} },
			status: workflow.StatusTerminated,
			reason: "workflow TERMINATED: stop",
		},
		{
			name: "a branch fails terminally",
			def:  func(d *workflow.WorkflowDef) { d.FailureWorkflow = "cleanup" },
			end: func(b *bundle) Event {
				return fail(b.task("work_0").TaskID, workflow.TaskFailedWithTerminalError)
			},
			status: workflow.StatusFailed,
			reason: "workflow FAILED: Task ",
		},
		{
			name: "the workflow times out",
			def: func(d *workflow.WorkflowDef) {
				d.TimeoutSeconds, d.TimeoutPolicy = 60, workflow.TimeoutWorkflow
			},
			at:     61 * time.Second, // before the leased branch's responseTimeoutSeconds
			end:    func(*bundle) Event { return Tick{} },
			status: workflow.StatusTimedOut,
			reason: "workflow TIMED_OUT: workflow timed out after 60 seconds",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := fanOut(t, n, work(func(d *workflow.TaskDef) { d.ResponseTimeoutSeconds = ptr(int64(600)) }))
			if tc.def != nil {
				tc.def(b.def)
			}

			forked(t, b, n)
			// The fork completed; the JOIN and every branch are open.
			require.Equal(t, n+1, b.count(isOpen))

			res := b.must(tc.at, tc.end(b))
			now := t0.Add(tc.at)
			require.Equal(t, tc.status, b.w.Status)
			require.True(t, res.StatusChanged)
			require.Equal(t, 1, countRecords(res, "WORKFLOW_"+string(tc.status)))
			require.Equal(t, now, res.WakeAt, "tasks are left to cancel: wake at once")
			cancelled := b.count(func(t *workflow.Task) bool { return t.Status == workflow.TaskCanceled })
			require.Equal(t, cancelChunk, cancelled)
			require.Equal(t, n+1-cancelChunk-b.count(func(t *workflow.Task) bool {
				return t.Status == workflow.TaskFailedWithTerminalError
			}), b.count(isOpen))
			require.Equal(t, workflow.TaskCanceled, b.task("work_1").Status, "oldest first")
			require.Contains(t, b.task("work_1").ReasonForIncompletion, tc.reason)
			starts := 0
			for _, c := range res.Commands {
				if start, ok := c.(StartWorkflow); ok {
					starts++
					// Its input carries the failed execution without its
					// thousands of tasks.
					failed := start.Request.Input["failedWorkflow"].(*workflow.Workflow)
					require.Empty(t, failed.Tasks)
					require.Equal(t, b.w.WorkflowID, failed.WorkflowID)
					require.Equal(t, len(b.w.Tasks), start.Request.Input["failedWorkflowTasksOmitted"])
				}
			}
			require.Equal(t, min(1, len(b.def.FailureWorkflow)), starts, "the failure workflow starts once")

			// What is left open is not handed out nor updated.
			last := b.task("work_2499")
			require.Equal(t, workflow.TaskScheduled, last.Status)
			_, err := b.do(tc.at, Lease{TaskID: last.TaskID, WorkerID: "w2"})
			requireRejected(t, err, FailedPrecondition, "its tasks are not handed out")
			_, err = b.do(tc.at, complete(last.TaskID))
			requireRejected(t, err, FailedPrecondition, "this update was not applied")

			// A decision that is not the first of its commit cancels
			// nothing; each first one cancels the next chunk.
			more := b.more(tc.at, Tick{})
			require.Empty(t, more.Changed)
			require.Equal(t, now, more.WakeAt)
			for b.count(isOpen) > 0 {
				left := b.count(isOpen)
				res = b.must(tc.at, Tick{})
				require.Equal(t, min(left, cancelChunk), len(res.Changed))
				require.Empty(t, res.History, "the end is recorded once")
				require.False(t, res.StatusChanged)
				for _, c := range res.Commands {
					require.IsType(t, TerminateWorkflow{}, c, "only cancelled children are told")
				}
			}
			require.Zero(t, res.WakeAt, "nothing left: no wake-up")
			require.Equal(t, tc.status, b.w.Status)
			require.Equal(t, workflow.TaskCanceled, last.Status)
			require.Contains(t, last.ReasonForIncompletion, tc.reason)
			require.False(t, Unfinished(b.w))
		})
	}
}

// TestEndTerminatesChildrenInChunks: the sub-workflows of a fork's
// branches are terminated as their tasks are cancelled, each once.
func TestEndTerminatesChildrenInChunks(t *testing.T) {
	t.Parallel()
	const n = 1500
	inputs := make([]any, n)
	for i := range inputs {
		inputs[i] = map[string]any{"i": i}
	}
	b := setup(t, &workflow.WorkflowDef{Name: "fan", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "fan", TaskReferenceName: "fan", Type: workflow.TypeForkJoinDynamic,
			InputParameters: map[string]any{"forkTaskWorkflow": "child", "forkTaskInputs": inputs}},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
	}})
	b.must(0, Start{})
	for b.task("fan").Status != workflow.TaskCompleted {
		b.must(0, Tick{})
	}
	children := map[string]int{}
	for _, task := range b.w.Tasks {
		if task.TaskType == workflow.TypeSubWorkflow {
			require.NotEmpty(t, task.SubWorkflowID)
			children[task.SubWorkflowID] = 0
		}
	}
	require.Len(t, children, n)
	res := b.must(0, Terminate{Reason: "stop"})
	for {
		for _, c := range res.Commands {
			children[c.(TerminateWorkflow).WorkflowID]++
		}
		if res.WakeAt.IsZero() {
			break
		}
		res = b.must(0, Tick{})
	}
	for id, terminated := range children {
		require.Equal(t, 1, terminated, "child %s", id)
	}
}

// TestRetryInChunks: retrying a fork whose 1,200 branches were cancelled
// gives retryChunk of them a new attempt per decision; until all have one
// the workflow runs but does not advance (its JOIN does not fail on a
// branch still to retry), and then it completes as usual.
func TestRetryInChunks(t *testing.T) {
	t.Parallel()
	const n = 1200
	b := fanOut(t, n, work(func(d *workflow.TaskDef) { d.RetryCount = ptr(0) }))
	forked(t, b, n)
	b.must(0, fail(b.task("work_0").TaskID, workflow.TaskFailed))
	require.Equal(t, workflow.StatusFailed, b.w.Status)
	for Unfinished(b.w) {
		b.must(0, Tick{})
	}

	res := b.must(time.Second, Retry{})
	require.Equal(t, workflow.StatusRunning, b.w.Status)
	require.Equal(t, 1, countRecords(res, "WORKFLOW_RETRIED"))
	require.NotNil(t, b.w.Pending)
	require.Equal(t, t0.Add(time.Second), res.WakeAt)
	again := func(t *workflow.Task) bool { return t.TaskType == "work" && t.RetryCount == 1 }
	require.Equal(t, retryChunk, b.count(again))
	require.Equal(t, workflow.TaskCanceled, b.task("join").Status)

	// A new attempt completes meanwhile: recorded, not yet acted on.
	first := b.task("work_0")
	require.Equal(t, 1, first.RetryCount)
	b.must(time.Second, Lease{TaskID: first.TaskID, WorkerID: "w1"})
	b.more(time.Second, complete(first.TaskID))
	require.Equal(t, workflow.TaskCanceled, b.task("join").Status)
	require.False(t, first.Executed)

	for b.w.Pending != nil {
		res = b.must(time.Second, Tick{})
		require.Zero(t, countRecords(res, "WORKFLOW_RETRIED"), "the retry is recorded once")
	}
	require.Equal(t, n, b.count(again))
	require.Equal(t, workflow.TaskInProgress, b.task("join").Status, "the JOIN waits again")
	require.True(t, first.Executed, "handled once the retry is complete")
	for i := range n {
		task := b.task(workRef(i))
		if task.Status == workflow.TaskScheduled {
			b.must(2*time.Second, Lease{TaskID: task.TaskID, WorkerID: "w1"})
			b.must(2*time.Second, complete(task.TaskID))
		}
	}
	require.Equal(t, workflow.StatusCompleted, b.w.Status)
}

func workRef(i int) string { return fmt.Sprintf("work_%d", i) }

// TestRestartInChunks: restarting an ended execution of 2,502 tasks
// removes removeChunk of them per decision, the execution staying ended
// meanwhile (and refusing other operations), then runs it again from the
// start, recorded once.
func TestRestartInChunks(t *testing.T) {
	t.Parallel()
	const n = 2500
	b := fanOut(t, n, work(nil))
	forked(t, b, n)
	b.must(0, Terminate{Reason: "stop"})
	for Unfinished(b.w) {
		b.must(0, Tick{})
	}
	require.Len(t, b.w.Tasks, n+2)

	res := b.must(time.Second, Restart{})
	require.Len(t, res.Removed, removeChunk)
	require.Equal(t, workflow.StatusTerminated, b.w.Status)
	require.False(t, res.Revived)
	require.Equal(t, t0.Add(time.Second), res.WakeAt)
	require.Equal(t, "fan", b.w.Tasks[0].ReferenceTaskName, "the newest are removed first")
	_, err := b.do(time.Second, Retry{})
	requireRejected(t, err, FailedPrecondition, "is being restarted")

	res = b.must(time.Second, Tick{})
	require.Len(t, res.Removed, removeChunk)
	res = b.must(time.Second, Tick{})
	require.Len(t, res.Removed, n+2-2*removeChunk)
	require.True(t, res.Revived)
	require.Equal(t, 1, countRecords(res, "WORKFLOW_RESTARTED"))
	require.Equal(t, workflow.StatusRunning, b.w.Status)
	require.Nil(t, b.w.Pending)
	require.True(t, res.InputChanged)
	require.Equal(t, workflow.TaskInProgress, b.task("fan").Status, "runs again, creating its branches")
	require.Equal(t, forkChunk, b.count(func(t *workflow.Task) bool { return t.TaskType == "work" }))
}

// TestRestartOfManyTasks: a restart of more tasks than a decision scans
// before building its lookup maps schedules the first task again (it once
// found the removed one and completed the workflow with no task).
func TestRestartOfManyTasks(t *testing.T) {
	t.Parallel()
	b := setup(t, chain(scansBeforeIndex+4, nil), work(nil))
	b.must(0, Start{})
	for i := 1; i <= scansBeforeIndex+4; i++ {
		b.finishTask(0, fmt.Sprintf("s%d", i), workflow.TaskCompleted, nil)
	}
	require.Equal(t, workflow.StatusCompleted, b.w.Status)
	b.must(time.Second, Restart{})
	require.Equal(t, workflow.StatusRunning, b.w.Status)
	require.Equal(t, []string{"s1:SCHEDULED"}, b.statuses())
}
