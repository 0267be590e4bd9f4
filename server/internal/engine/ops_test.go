package engine_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// TestOperationsByState applies every operation to an execution in every
// state: what is allowed changes the execution as it should, what is not
// is refused with a code and a message that says why, and changes nothing.
func TestOperationsByState(t *testing.T) {
	t.Parallel()
	b := setup(t, 2, &workflow.TaskDef{Name: "work", RetryCount: ptr(0)})
	for _, def := range []*workflow.WorkflowDef{
		{Name: "once", Version: 1, Restartable: ptr(false), Tasks: []*workflow.WorkflowTask{{Name: "work", TaskReferenceName: "s1", Type: "SIMPLE"}}},
		{Name: "slow", Version: 1, TimeoutSeconds: 10, TimeoutPolicy: "TIME_OUT_WF", Tasks: []*workflow.WorkflowTask{{Name: "work", TaskReferenceName: "s1", Type: "SIMPLE"}}},
	} {
		_, err := b.e.RegisterWorkflowDef(b.ctx, def, true, false)
		require.NoError(t, err)
	}
	// finish reports on the open task of an execution.
	finish := func(t *testing.T, id string, status workflow.TaskStatus) {
		t.Helper()
		w, err := b.e.Workflow(b.ctx, id, true)
		require.NoError(t, err)
		task := w.Tasks[len(w.Tasks)-1]
		require.NoError(t, b.e.UpdateTask(b.ctx, &workflow.TaskResult{TaskID: task.TaskID, Status: status, ReasonForIncompletion: "worker says so"}))
	}
	// states makes an execution in each state.
	states := map[string]func(*testing.T) string{
		"RUNNING": func(t *testing.T) string { return b.startWF(t, 0) },
		"PAUSED": func(t *testing.T) string {
			id := b.startWF(t, 0)
			require.NoError(t, b.e.PauseWorkflow(b.ctx, id))
			return id
		},
		"COMPLETED": func(t *testing.T) string {
			id := b.startWF(t, 0)
			finish(t, id, workflow.TaskCompleted)
			finish(t, id, workflow.TaskCompleted)
			return id
		},
		"COMPLETED not restartable": func(t *testing.T) string {
			id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "once"})
			require.NoError(t, err)
			finish(t, id, workflow.TaskCompleted)
			return id
		},
		"FAILED": func(t *testing.T) string {
			id := b.startWF(t, 0)
			finish(t, id, workflow.TaskFailedWithTerminalError)
			return id
		},
		"TIMED_OUT": func(t *testing.T) string {
			id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "slow"})
			require.NoError(t, err)
			b.clock.Add(11 * time.Second)
			require.True(t, b.e.FireDue(b.ctx))
			return id
		},
		"TERMINATED": func(t *testing.T) string {
			id := b.startWF(t, 0)
			require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "stop"))
			return id
		},
	}
	type op struct {
		name string
		do   func(ctx context.Context, id string) error
	}
	ops := []op{
		{"pause", b.e.PauseWorkflow},
		{"resume", b.e.ResumeWorkflow},
		{"terminate", func(ctx context.Context, id string) error { return b.e.TerminateWorkflow(ctx, id, "by test") }},
		{"retry", func(ctx context.Context, id string) error { return b.e.RetryWorkflow(ctx, id, false) }},
		{"restart", func(ctx context.Context, id string) error { return b.e.RestartWorkflow(ctx, id, false) }},
		{"rerun", func(ctx context.Context, id string) error {
			return b.e.RerunWorkflow(ctx, id, &workflow.RerunRequest{WorkflowInput: map[string]any{"x": "new"}})
		}},
		{"skip", func(ctx context.Context, id string) error { return b.e.SkipTask(ctx, id, "s2", nil) }},
		{"variables", func(ctx context.Context, id string) error {
			return b.e.SetVariables(ctx, id, map[string]any{"v": 1})
		}},
	}
	// want is the status after the operation, or the refusal's message.
	type want struct {
		status workflow.Status
		refuse string
	}
	ok := func(s workflow.Status) want { return want{status: s} }
	no := func(msg string) want { return want{refuse: msg} }
	const (
		notEnded = "only an ended workflow can be"
		running  = workflow.StatusRunning
	)
	table := map[string]map[string]want{
		"RUNNING": {
			"pause": ok(workflow.StatusPaused), "resume": no("not PAUSED"), "terminate": ok(workflow.StatusTerminated),
			"retry": no(notEnded), "restart": no(notEnded), "rerun": no(notEnded), "skip": ok(running), "variables": ok(running),
		},
		"PAUSED": {
			"pause": ok(workflow.StatusPaused), "resume": ok(running), "terminate": ok(workflow.StatusTerminated),
			"retry": no(notEnded), "restart": no(notEnded), "rerun": no(notEnded),
			"skip": no("only a RUNNING workflow's tasks can be skipped"), "variables": ok(workflow.StatusPaused),
		},
		"COMPLETED": {
			"pause": no("cannot be paused"), "resume": no("not PAUSED"), "terminate": no("cannot be terminated"),
			"retry": no("completed"), "restart": ok(running), "rerun": ok(running),
			"skip": no("only a RUNNING workflow's tasks"), "variables": no("only a running or paused workflow's variables"),
		},
		"COMPLETED not restartable": {
			"pause": no("cannot be paused"), "resume": no("not PAUSED"), "terminate": no("cannot be terminated"),
			"retry": no("completed"), "restart": no("not restartable"), "rerun": ok(running),
			"skip": no("only a RUNNING workflow's tasks"), "variables": no("only a running or paused workflow's variables"),
		},
	}
	for _, s := range []workflow.Status{workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusTerminated} {
		terminate := no("cannot be terminated")
		if s == workflow.StatusTerminated {
			terminate = ok(workflow.StatusTerminated) // a no-op
		}
		table[string(s)] = map[string]want{
			"pause": no("cannot be paused"), "resume": no("not PAUSED"), "terminate": terminate,
			"retry": ok(running), "restart": ok(running), "rerun": ok(running),
			"skip": no("only a RUNNING workflow's tasks"), "variables": no("only a running or paused workflow's variables"),
		}
	}

	for state, make := range states {
		for _, op := range ops {
			t.Run(state+"/"+op.name, func(t *testing.T) {
				w := table[state][op.name]
				id := make(t)
				before, err := b.e.Workflow(b.ctx, id, true)
				require.NoError(t, err)
				err = op.do(b.ctx, id)
				after, gerr := b.e.Workflow(b.ctx, id, true)
				require.NoError(t, gerr)
				if w.refuse != "" {
					require.Error(t, err)
					require.Equal(t, engine.FailedPrecondition, engine.CodeOf(err), "%v", err)
					require.Contains(t, err.Error(), w.refuse)
					require.Contains(t, err.Error(), id, "the message names the execution")
					require.Equal(t, jsonOf(t, before), jsonOf(t, after), "a refusal changes nothing")
					return
				}
				require.NoError(t, err)
				require.Equal(t, w.status, after.Status)
			})
		}
	}
	// Every state has a row with every operation.
	require.Len(t, table, len(states))
	for state, row := range table {
		require.Len(t, row, len(ops), state)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
