package decider

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// TestLargeExecutionDeadlines: in an execution of more than scanAll tasks,
// a decision before the wake-up looks only at the tasks it changes. No
// deadline is missed for it: a wake-up left early by a task that ended or
// moved its deadline finds every task that is due, and no other.
func TestLargeExecutionDeadlines(t *testing.T) {
	const n = 100
	b := fanOut(t, n, &workflow.TaskDef{Name: "work", RetryCount: ptr(1), ResponseTimeoutSeconds: ptr(int64(10))})
	b.must(0, Start{})
	var branches []*workflow.Task
	for _, task := range b.w.Tasks {
		if task.TaskType == "work" {
			branches = append(branches, task)
		}
	}
	require.Len(t, branches, n)
	ms := time.Millisecond
	var res *Result
	for i, br := range branches {
		res = b.must(time.Duration(i)*ms, Lease{TaskID: br.TaskID, WorkerID: "w"})
	}
	require.Equal(t, t0.Add(10*time.Second), res.WakeAt, "the first lease's response deadline")

	// Branch 0, whose deadline is the wake-up, ends; branch 1 extends its
	// lease to 15s. The wake-up may stay early, never become late.
	res = b.must(5*time.Second, Update{Result: &workflow.TaskResult{TaskID: branches[0].TaskID, Status: workflow.TaskCompleted}})
	require.False(t, res.WakeAt.IsZero() || res.WakeAt.After(t0.Add(10*time.Second+ms)), "wake at %v", res.WakeAt)
	res = b.must(5*time.Second, Update{Result: &workflow.TaskResult{TaskID: branches[1].TaskID, ExtendLease: true, PollCount: 1}})
	require.False(t, res.WakeAt.IsZero() || res.WakeAt.After(t0.Add(10*time.Second+2*ms)), "wake at %v", res.WakeAt)

	// An update before any deadline times nothing out.
	b.must(9*time.Second, Update{Result: &workflow.TaskResult{TaskID: branches[2].TaskID, Status: workflow.TaskCompleted}})
	for _, br := range branches[3:] {
		require.Equal(t, workflow.TaskInProgress, br.Status, br.ReferenceTaskName)
	}

	// At 10.050s the leases taken at 3..50 ms have run out; branch 1's
	// extended one and those taken later have not.
	res = b.must(10*time.Second+50*ms, Tick{})
	require.Equal(t, workflow.TaskCompleted, branches[0].Status)
	require.Equal(t, workflow.TaskInProgress, branches[1].Status)
	for i, br := range branches[3:] {
		want := workflow.TaskInProgress
		if i+3 <= 50 {
			want = workflow.TaskTimedOut
		}
		require.Equal(t, want, br.Status, br.ReferenceTaskName)
	}
	require.Equal(t, t0.Add(10*time.Second+51*ms), res.WakeAt, "the wake-up is exact again after looking at every task")
	require.Equal(t, workflow.StatusRunning, b.w.Status)
}
