package decider

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// finishTask leases a task's latest attempt and reports a status.
func (b *bundle) finishTask(at time.Duration, ref string, status workflow.TaskStatus, output map[string]any) *Result {
	b.t.Helper()
	t := b.task(ref)
	if t.Status == workflow.TaskScheduled {
		b.must(at, Lease{TaskID: t.TaskID, WorkerID: "w1"})
	}
	return b.must(at, Update{Result: &workflow.TaskResult{TaskID: t.TaskID, Status: status, OutputData: output, ReasonForIncompletion: "reason " + ref}})
}

// failedChain is a chain of three tasks whose second failed, failing the
// workflow.
func failedChain(t *testing.T) *bundle {
	b := setup(t, chain(3, nil), work(nil))
	b.must(0, Start{})
	b.finishTask(0, "s1", workflow.TaskCompleted, nil)
	b.finishTask(0, "s2", workflow.TaskFailed, nil)
	require.Equal(t, workflow.StatusFailed, b.w.Status)
	return b
}

func historyTypes(res *Result) []string {
	var out []string
	for _, r := range res.History {
		out = append(out, r.Type)
	}
	return out
}

func TestRetry(t *testing.T) {
	t.Parallel()

	t.Run("the failed task gets a new attempt and the workflow completes", func(t *testing.T) {
		t.Parallel()
		b := failedChain(t)
		failed := b.task("s2")
		res := b.must(time.Second, Retry{})
		require.Equal(t, workflow.StatusRunning, b.w.Status)
		require.Empty(t, b.w.ReasonForIncompletion)
		require.Zero(t, b.w.EndTime)
		require.Empty(t, b.w.FailedReferenceTaskNames)
		require.Equal(t, t0.Add(time.Second).UnixMilli(), b.w.LastRetriedTime)
		require.True(t, res.Revived)
		require.Contains(t, historyTypes(res), "WORKFLOW_RETRIED")
		again := b.task("s2")
		require.NotEqual(t, failed.TaskID, again.TaskID)
		require.Equal(t, workflow.TaskScheduled, again.Status)
		require.Equal(t, 1, again.RetryCount)
		require.Equal(t, failed.TaskID, again.RetriedTaskID)
		require.True(t, failed.Retried)
		b.finishTask(2*time.Second, "s2", workflow.TaskCompleted, nil)
		b.finishTask(2*time.Second, "s3", workflow.TaskCompleted, nil)
		require.Equal(t, workflow.StatusCompleted, b.w.Status)
		require.Equal(t, []string{"s1:COMPLETED", "s2:FAILED", "s2:COMPLETED", "s3:COMPLETED"}, b.statuses())
	})

	t.Run("a fork's failed and cancelled branches run again and its JOIN waits again", func(t *testing.T) {
		t.Parallel()
		def := &workflow.WorkflowDef{Name: "fork", Version: 1, Tasks: []*workflow.WorkflowTask{
			{Name: "fork", TaskReferenceName: "fork", Type: workflow.TypeForkJoin, ForkTasks: [][]*workflow.WorkflowTask{
				{{Name: "work", TaskReferenceName: "a", Type: workflow.TypeSimple}},
				{{Name: "work", TaskReferenceName: "b", Type: workflow.TypeSimple}},
			}},
			{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin, JoinOn: []string{"a", "b"}},
		}}
		b := setup(t, def, work(nil))
		b.must(0, Start{})
		b.must(0, Lease{TaskID: b.task("a").TaskID, WorkerID: "w1"})
		b.finishTask(0, "b", workflow.TaskFailed, nil)
		require.Equal(t, workflow.StatusFailed, b.w.Status)
		require.Equal(t, workflow.TaskCanceled, b.task("a").Status)
		require.Equal(t, workflow.TaskCanceled, b.task("join").Status)

		b.must(time.Second, Retry{})
		require.Equal(t, workflow.TaskInProgress, b.task("join").Status)
		require.Equal(t, workflow.TaskScheduled, b.task("a").Status)
		require.Equal(t, workflow.TaskScheduled, b.task("b").Status)
		b.finishTask(time.Second, "a", workflow.TaskCompleted, map[string]any{"v": "a"})
		require.Equal(t, workflow.TaskInProgress, b.task("join").Status)
		b.finishTask(time.Second, "b", workflow.TaskCompleted, map[string]any{"v": "b"})
		require.Equal(t, workflow.StatusCompleted, b.w.Status)
		require.Equal(t, map[string]any{"a": map[string]any{"v": "a"}, "b": map[string]any{"v": "b"}}, b.task("join").OutputData)
	})

	t.Run("resumeSubworkflowTasks retries the child instead of starting another", func(t *testing.T) {
		t.Parallel()
		def := &workflow.WorkflowDef{Name: "parent", Version: 1, Tasks: []*workflow.WorkflowTask{
			{Name: "child", TaskReferenceName: "child", Type: workflow.TypeSubWorkflow, SubWorkflowParam: &workflow.SubWorkflowParams{Name: "kid", Version: ptr(1)}},
		}}
		for _, resume := range []bool{false, true} {
			b := setup(t, def)
			b.must(0, Start{})
			task := b.task("child")
			require.NotEmpty(t, task.SubWorkflowID)
			b.must(0, Update{Result: &workflow.TaskResult{TaskID: task.TaskID, Status: workflow.TaskFailed, SubWorkflowID: task.SubWorkflowID}})
			require.Equal(t, workflow.StatusFailed, b.w.Status)

			res := b.must(time.Second, Retry{ResumeSubworkflowTasks: resume})
			if resume {
				require.Equal(t, []Command{RetryWorkflow{WorkflowID: task.SubWorkflowID, ResumeSubworkflowTasks: true}}, res.Commands)
				require.Equal(t, task, b.task("child"), "the same task waits for the same child")
				require.Equal(t, workflow.TaskInProgress, task.Status)
			} else {
				again := b.task("child")
				require.NotEqual(t, task.TaskID, again.TaskID)
				require.NotEqual(t, task.SubWorkflowID, again.SubWorkflowID, "a new child")
				require.Len(t, res.Commands, 1)
				require.IsType(t, StartWorkflow{}, res.Commands[0])
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(1, nil), work(nil))
		b.runFirst()
		_, err := b.do(0, Retry{})
		requireRejected(t, err, FailedPrecondition, "is RUNNING; only an ended workflow can be retried")
		b.finishTask(0, "s1", workflow.TaskCompleted, nil)
		_, err = b.do(0, Retry{})
		requireRejected(t, err, FailedPrecondition, "completed; restart or rerun it")
	})
}

func requireRejected(t *testing.T, err error, code Code, text string) {
	t.Helper()
	var r *Rejection
	require.ErrorAs(t, err, &r)
	require.Equal(t, code, r.Code)
	require.Contains(t, r.Error(), text)
}

func TestRestart(t *testing.T) {
	t.Parallel()

	t.Run("every task is removed and the workflow runs from the start", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(2, nil), work(nil))
		b.must(0, Start{})
		b.finishTask(0, "s1", workflow.TaskCompleted, map[string]any{"n": 1})
		b.finishTask(0, "s2", workflow.TaskCompleted, nil)
		require.Equal(t, workflow.StatusCompleted, b.w.Status)
		old := append([]*workflow.Task(nil), b.w.Tasks...)

		res := b.must(time.Minute, Restart{})
		require.ElementsMatch(t, old, res.Removed)
		require.Equal(t, []string{"s1:SCHEDULED"}, b.statuses())
		require.Equal(t, workflow.StatusRunning, b.w.Status)
		require.Equal(t, t0.Add(time.Minute).UnixMilli(), b.w.CreateTime)
		require.Empty(t, b.w.Output)
		require.Contains(t, historyTypes(res), "WORKFLOW_RESTARTED")
		require.False(t, res.DefinitionChanged)
	})

	t.Run("on the latest definition", func(t *testing.T) {
		t.Parallel()
		b := failedChain(t)
		latest := chain(1, func(_ int, wt *workflow.WorkflowTask) { wt.TaskReferenceName = "only" })
		latest.Version = 7
		res := b.must(time.Minute, Restart{Definition: latest})
		require.True(t, res.DefinitionChanged)
		require.Equal(t, 7, b.w.WorkflowVersion)
		require.Same(t, latest, b.w.WorkflowDefinition)
		require.Equal(t, []string{"only:SCHEDULED"}, b.statuses())
	})

	t.Run("a completed workflow whose definition is not restartable is refused", func(t *testing.T) {
		t.Parallel()
		def := chain(1, nil)
		def.Restartable = ptr(false)
		b := setup(t, def, work(nil))
		b.runFirst()
		_, err := b.do(0, Restart{})
		requireRejected(t, err, FailedPrecondition, "only an ended workflow can be restarted")
		b.finishTask(0, "s1", workflow.TaskCompleted, nil)
		_, err = b.do(0, Restart{})
		requireRejected(t, err, FailedPrecondition, "is not restartable")
		require.Equal(t, []string{"s1:COMPLETED"}, b.statuses(), "a refusal changes nothing")
	})
}

func TestRerun(t *testing.T) {
	t.Parallel()

	t.Run("from the start with new input and correlation id", func(t *testing.T) {
		t.Parallel()
		b := failedChain(t)
		res := b.must(time.Minute, Rerun{WorkflowInput: map[string]any{"x": "new"}, CorrelationID: "c2"})
		require.True(t, res.InputChanged)
		require.Equal(t, "c2", b.w.CorrelationID)
		require.Equal(t, []string{"s1:SCHEDULED"}, b.statuses())
		require.Equal(t, "new", b.task("s1").InputData["x"])
		require.Contains(t, historyTypes(res), "WORKFLOW_RERUN")
	})

	t.Run("from a task, keeping the tasks before it", func(t *testing.T) {
		t.Parallel()
		b := failedChain(t)
		s1, s2 := b.task("s1"), b.task("s2")
		res := b.must(time.Minute, Rerun{TaskID: s2.TaskID, TaskInput: map[string]any{"x": "fixed"}})
		require.Equal(t, []*workflow.Task{s2}, res.Removed)
		require.Same(t, s1, b.task("s1"))
		again := b.task("s2")
		require.Equal(t, workflow.TaskScheduled, again.Status)
		require.Equal(t, map[string]any{"x": "fixed"}, again.InputData)
		require.Equal(t, workflow.StatusRunning, b.w.Status)
		b.finishTask(time.Minute, "s2", workflow.TaskCompleted, nil)
		b.finishTask(time.Minute, "s3", workflow.TaskCompleted, nil)
		require.Equal(t, workflow.StatusCompleted, b.w.Status)
		require.Equal(t, []string{"s1:COMPLETED", "s2:COMPLETED", "s3:COMPLETED"}, b.statuses())
	})

	t.Run("from a task that was retried before", func(t *testing.T) {
		t.Parallel()
		b := failedChain(t)
		b.must(time.Second, Retry{})
		b.finishTask(time.Second, "s2", workflow.TaskFailed, nil)
		require.Equal(t, workflow.StatusFailed, b.w.Status)
		b.must(time.Minute, Rerun{TaskID: b.task("s2").TaskID})
		require.Equal(t, []string{"s1:COMPLETED", "s2:FAILED", "s2:SCHEDULED"}, b.statuses())
		require.Equal(t, workflow.StatusRunning, b.w.Status)
	})

	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		def := &workflow.WorkflowDef{Name: "fork", Version: 1, Tasks: []*workflow.WorkflowTask{
			{Name: "fork", TaskReferenceName: "fork", Type: workflow.TypeForkJoin, ForkTasks: [][]*workflow.WorkflowTask{
				{{Name: "work", TaskReferenceName: "a", Type: workflow.TypeSimple}},
			}},
			{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
		}}
		b := setup(t, def, work(nil))
		b.must(0, Start{})
		_, err := b.do(0, Rerun{})
		requireRejected(t, err, FailedPrecondition, "only an ended workflow can be rerun")
		b.finishTask(0, "a", workflow.TaskFailed, nil)
		_, err = b.do(0, Rerun{TaskID: "nope"})
		requireRejected(t, err, NotFound, "task nope is not part of workflow")
		before := b.statuses()
		_, err = b.do(0, Rerun{TaskInput: map[string]any{}})
		requireRejected(t, err, InvalidArgument, "taskInput needs reRunFromTaskId")
		require.Equal(t, before, b.statuses(), "a refusal changes nothing")

		// A fork not followed by its JOIN (validation refuses it): nothing
		// would wait for the branch run again.
		def.Tasks[1] = &workflow.WorkflowTask{Name: "work", TaskReferenceName: "after", Type: workflow.TypeSimple}
		b = setup(t, def, work(nil))
		b.must(0, Start{})
		b.finishTask(0, "a", workflow.TaskFailed, nil)
		_, err = b.do(0, Rerun{TaskID: b.task("a").TaskID})
		requireRejected(t, err, FailedPrecondition, "fork fork around task a is not followed by a JOIN; rerun from the fork")
	})
}

func TestSkip(t *testing.T) {
	t.Parallel()

	t.Run("a task skipped ahead is passed when reached, with its output", func(t *testing.T) {
		t.Parallel()
		def := chain(3, func(i int, wt *workflow.WorkflowTask) {
			if i == 2 {
				wt.InputParameters = map[string]any{"from2": "${s2.output.v}"}
			}
		})
		b := setup(t, def, work(nil))
		b.runFirst()
		res := b.must(0, Skip{Ref: "s2", Output: map[string]any{"v": "given"}})
		require.Contains(t, historyTypes(res), "TASK_SKIPPED")
		require.Equal(t, []string{"s1:IN_PROGRESS", "s2:SKIPPED"}, b.statuses())
		b.finishTask(time.Second, "s1", workflow.TaskCompleted, nil)
		require.Equal(t, []string{"s1:COMPLETED", "s2:SKIPPED", "s3:SCHEDULED"}, b.statuses())
		require.Equal(t, "given", b.task("s3").InputData["from2"])
		require.Equal(t, t0.Add(time.Second).UnixMilli(), b.task("s2").ScheduledTime)
		b.finishTask(time.Second, "s3", workflow.TaskCompleted, nil)
		require.Equal(t, workflow.StatusCompleted, b.w.Status)
	})

	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(2, nil), work(nil))
		b.runFirst()
		_, err := b.do(0, Skip{Ref: "s1"})
		requireRejected(t, err, FailedPrecondition, "was already scheduled (IN_PROGRESS)")
		_, err = b.do(0, Skip{Ref: "nope"})
		requireRejected(t, err, NotFound, `has no task "nope" in its definition`)
		b.must(0, Pause{})
		_, err = b.do(0, Skip{Ref: "s2"})
		requireRejected(t, err, FailedPrecondition, "is PAUSED; only a RUNNING workflow's tasks can be skipped")
	})
}

func TestSetVariables(t *testing.T) {
	t.Parallel()
	def := chain(1, nil)
	def.Variables = map[string]any{"a": "1", "b": "2"}
	b := setup(t, def, work(nil))
	b.runFirst()
	res := b.must(0, SetVariables{Variables: map[string]any{"b": "changed", "c": "3"}})
	require.Equal(t, map[string]any{"a": "1", "b": "changed", "c": "3"}, b.w.Variables)
	require.Contains(t, historyTypes(res), "WORKFLOW_VARIABLES_UPDATED")

	_, err := b.do(0, SetVariables{Variables: map[string]any{"big": strings.Repeat("x", maxVariables)}})
	requireRejected(t, err, InvalidArgument, "at most 262144 are allowed")
	require.Equal(t, map[string]any{"a": "1", "b": "changed", "c": "3"}, b.w.Variables, "a refusal changes nothing")

	b.finishTask(0, "s1", workflow.TaskCompleted, nil)
	_, err = b.do(0, SetVariables{Variables: map[string]any{"d": "4"}})
	requireRejected(t, err, FailedPrecondition, "only a running or paused workflow's variables can be changed")
}

func TestReopen(t *testing.T) {
	t.Parallel()
	def := &workflow.WorkflowDef{Name: "parent", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "child", TaskReferenceName: "child", Type: workflow.TypeSubWorkflow, SubWorkflowParam: &workflow.SubWorkflowParams{Name: "kid", Version: ptr(1)}},
		{Name: "work", TaskReferenceName: "after", Type: workflow.TypeSimple},
	}}
	b := setup(t, def, work(nil))
	b.must(0, Start{})
	task := b.task("child")
	b.must(0, Update{Result: &workflow.TaskResult{TaskID: task.TaskID, Status: workflow.TaskFailed, SubWorkflowID: task.SubWorkflowID}})
	require.Equal(t, workflow.StatusFailed, b.w.Status)

	// The child was retried by hand: the parent waits for it again, on the
	// same task, and goes on when it completes.
	res := b.must(time.Second, Reopen{TaskID: task.TaskID})
	require.Equal(t, workflow.StatusRunning, b.w.Status)
	require.Equal(t, workflow.TaskInProgress, task.Status)
	require.Empty(t, res.Commands, "no new child")
	b.must(time.Second, Reopen{TaskID: task.TaskID}) // again: nothing to do
	b.must(2*time.Second, Update{Result: &workflow.TaskResult{TaskID: task.TaskID, Status: workflow.TaskCompleted, SubWorkflowID: task.SubWorkflowID}})
	require.Equal(t, []string{"child:COMPLETED", "after:SCHEDULED"}, b.statuses())
}
