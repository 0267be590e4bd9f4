package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
	"github.com/batonhq/baton/wasm"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// dryRunEngine is an engine over Badger on disk.
func dryRunEngine(t *testing.T) (*engine.Engine, store.Store) {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	e, err := engine.New(engine.Config{Store: st, Plugins: wasm.HostConfig{CacheDir: wasmtest.CacheDir()}})
	require.NoError(t, err)
	require.NoError(t, e.Start(context.Background()))
	t.Cleanup(e.Stop)
	var defs []*workflow.TaskDef
	for _, name := range []string{"classify", "ship", "review", "reject", "a", "b", "b2", "sum", "poll", "quote", "work", "check"} {
		defs = append(defs, &workflow.TaskDef{Name: name, RetryCount: new(int)})
	}
	require.NoError(t, e.RegisterTaskDefs(context.Background(), defs))
	return e, st
}

// dryRun runs a definition given as JSON text with mocks given as JSON text.
func dryRun(t *testing.T, e *engine.Engine, def, input, mocks string, maxSteps int) (*workflow.DryRunResult, error) {
	t.Helper()
	req := &workflow.DryRunRequest{MaxSteps: maxSteps}
	require.NoError(t, workflow.Decode([]byte(def), &req.WorkflowDef))
	if input != "" {
		require.NoError(t, workflow.Decode([]byte(input), &req.Input))
	}
	if mocks != "" {
		require.NoError(t, workflow.Decode([]byte(mocks), &req.Mocks))
	}
	return e.DryRun(context.Background(), req)
}

// path lists the steps as "ref:STATUS".
func path(res *workflow.DryRunResult) []string {
	var out []string
	for _, s := range res.Steps {
		out = append(out, s.TaskReferenceName+":"+string(s.Status))
	}
	return out
}

func step(t *testing.T, res *workflow.DryRunResult, ref string) workflow.DryRunStep {
	t.Helper()
	for _, s := range res.Steps {
		if s.TaskReferenceName == ref {
			return s
		}
	}
	t.Fatalf("no step %s in %v", ref, path(res))
	return workflow.DryRunStep{}
}

func executions(t *testing.T, st store.Store) int64 {
	t.Helper()
	counts, err := st.ExecutionCounts(context.Background())
	require.NoError(t, err)
	var n int64
	for _, c := range counts {
		n += c
	}
	return n
}

func TestDryRunSwitchTakesTheMockedCase(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	def := `{"name": "route", "tasks": [
		{"name": "classify", "taskReferenceName": "classify", "type": "SIMPLE", "inputParameters": {"order": "${workflow.input.order}"}},
		{"name": "sw", "taskReferenceName": "sw", "type": "SWITCH", "evaluatorType": "value-param", "expression": "kind",
		 "inputParameters": {"kind": "${classify.output.kind}"},
		 "decisionCases": {
			"small": [{"name": "ship", "taskReferenceName": "ship", "type": "SIMPLE"}],
			"large": [{"name": "review", "taskReferenceName": "review", "type": "SIMPLE", "inputParameters": {"why": "${classify.output.kind}"}}]},
		 "defaultCase": [{"name": "reject", "taskReferenceName": "reject", "type": "SIMPLE"}]}
	], "outputParameters": {"verdict": "${review.output.verdict}"}}`
	res, err := dryRun(t, e, def, `{"order": 7}`,
		`{"classify": {"output": {"kind": "large"}}, "review": {"output": {"verdict": "ok"}}, "ship": {"output": {}}}`, 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status)
	require.Equal(t, []string{"classify:COMPLETED", "sw:COMPLETED", "review:COMPLETED"}, path(res))
	require.Equal(t, "7", fmt.Sprint(step(t, res, "classify").Input["order"]))
	require.Equal(t, "large", step(t, res, "review").Input["why"])
	require.Equal(t, "ok", res.Output["verdict"])
	require.Contains(t, res.Notes, "mock ship was not used: no task with that reference name needed one")
	require.False(t, res.Stopped)
}

func TestDryRunForkJoin(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	def := `{"name": "fan", "tasks": [
		{"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN", "forkTasks": [
			[{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}],
			[{"name": "b", "taskReferenceName": "b", "type": "SIMPLE"}, {"name": "b2", "taskReferenceName": "b2", "type": "SIMPLE"}]]},
		{"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b2"]},
		{"name": "sum", "taskReferenceName": "sum", "type": "SIMPLE", "inputParameters": {"a": "${a.output.n}", "b": "${b2.output.n}"}}
	]}`
	res, err := dryRun(t, e, def, "", `{"a": {"output": {"n": 1}}, "b2": {"output": {"n": 2}}}`, 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status)
	require.ElementsMatch(t, []string{"fork:COMPLETED", "a:COMPLETED", "b:COMPLETED", "b2:COMPLETED", "join:COMPLETED", "sum:COMPLETED"}, path(res))
	join := step(t, res, "join")
	require.Equal(t, map[string]any{"n": 1}, normalize(join.Output["a"]))
	require.Equal(t, map[string]any{"n": 2}, normalize(join.Output["b2"]))
	sum := step(t, res, "sum")
	require.Equal(t, "1 2", fmt.Sprint(sum.Input["a"], " ", sum.Input["b"]))
	require.Contains(t, step(t, res, "b").Notes, "no mock for b: COMPLETED with an empty output")
}

// normalize turns JSON numbers into ints for comparisons.
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = normalize(x)
		}
		return out
	case fmt.Stringer:
		var n int
		if _, err := fmt.Sscan(v.String(), &n); err == nil {
			return n
		}
	case float64:
		return int(v)
	case int64:
		return int(v)
	}
	return v
}

func TestDryRunDoWhileTakesMocksPerIteration(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	def := `{"name": "poller", "tasks": [
		{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
		 "loopCondition": "if ($.poll['done'] == false) { true; } else { false; }",
		 "inputParameters": {"poll": "${poll.output}"},
		 "loopOver": [{"name": "poll", "taskReferenceName": "poll", "type": "SIMPLE", "inputParameters": {"i": "${loop.output.iteration}"}}]}
	], "outputParameters": {"last": "${poll.output.n}", "iterations": "${loop.output.iteration}"}}`
	mocks := `{"poll": {"sequence": [
		{"output": {"done": false, "n": 1}}, {"output": {"done": false, "n": 2}}, {"output": {"done": true, "n": 3}}]}}`
	res, err := dryRun(t, e, def, "", mocks, 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, []string{"loop:COMPLETED", "poll__1:COMPLETED", "poll__2:COMPLETED", "poll__3:COMPLETED"}, path(res))
	for i := 1; i <= 3; i++ {
		s := step(t, res, fmt.Sprintf("poll__%d", i))
		require.Equal(t, i, s.Iteration)
		require.Equal(t, i, normalize(s.Input["i"]))
		require.Equal(t, i, normalize(s.Output["n"]))
		require.Contains(t, s.Notes, fmt.Sprintf("mock poll, sequence %d of 3", i))
	}
	require.Equal(t, map[string]any{"last": 3, "iterations": 3}, normalize(res.Output))
}

func TestDryRunInlineComputesFromAMockedOutput(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	def := `{"name": "price", "tasks": [
		{"name": "quote", "taskReferenceName": "quote", "type": "SIMPLE"},
		{"name": "total", "taskReferenceName": "total", "type": "INLINE", "inputParameters": {
			"evaluatorType": "javascript", "expression": "$.price * $.qty + $.fee",
			"price": "${quote.output.price}", "qty": "${quote.output.qty}", "fee": "${workflow.input.fee}"}},
		{"name": "remember", "taskReferenceName": "remember", "type": "SET_VARIABLE", "inputParameters": {"total": "${total.output.result}"}}
	], "outputParameters": {"total": "${total.output.result}"}}`
	res, err := dryRun(t, e, def, `{"fee": 5}`, `{"quote": {"output": {"price": 10, "qty": 3}}}`, 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, 35, normalize(res.Output["total"]))
	require.Equal(t, 35, normalize(res.Variables["total"]))
	require.Equal(t, []string{"quote:COMPLETED", "total:COMPLETED", "remember:COMPLETED"}, path(res))
}

func TestDryRunFailedMockIsRetriedThenFailsTheWorkflow(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	def := `{"name": "flaky", "failureWorkflow": "refund", "tasks": [
		{"name": "charge", "taskReferenceName": "charge", "type": "SIMPLE",
		 "taskDefinition": {"name": "charge", "retryCount": 2, "retryLogic": "FIXED", "retryDelaySeconds": 30}},
		{"name": "ship", "taskReferenceName": "ship", "type": "SIMPLE"}
	]}`
	res, err := dryRun(t, e, def, "", `{"charge": {"status": "FAILED", "reasonForIncompletion": "card declined"}}`, 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "card declined")
	require.Equal(t, []string{"charge:FAILED", "charge:FAILED", "charge:FAILED"}, path(res))
	for i, s := range res.Steps {
		require.Equal(t, i, s.RetryCount)
		require.Equal(t, "card declined", s.ReasonForIncompletion)
	}
	require.Contains(t, res.Notes, "would start the failure workflow refund")

	// A sequence fails once, then succeeds: the retry carries the workflow on.
	res, err = dryRun(t, e, def, "", `{"charge": {"sequence": [{"status": "FAILED", "reasonForIncompletion": "timeout"}, {"output": {"ok": true}}]}}`, 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status)
	require.Equal(t, []string{"charge:FAILED", "charge:COMPLETED", "ship:COMPLETED"}, path(res))
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	e, st := dryRunEngine(t)
	ctx := context.Background()
	// One real execution, so that the count is not trivially zero.
	_, err := e.StartWorkflow(ctx, &workflow.StartRequest{WorkflowDef: &workflow.WorkflowDef{Name: "real", Tasks: []*workflow.WorkflowTask{
		{Name: "work", TaskReferenceName: "work", Type: workflow.TypeSimple}}}})
	require.NoError(t, err)
	before := executions(t, st)
	require.EqualValues(t, 1, before)

	// Every kind of outside work: a worker, an HTTP call to a port where
	// nothing listens, a WAIT of an hour, a HUMAN task, a sub-workflow that
	// does not exist and an event.
	def := `{"name": "everything", "tasks": [
		{"name": "work", "taskReferenceName": "w1", "type": "SIMPLE"},
		{"name": "call", "taskReferenceName": "call", "type": "HTTP", "inputParameters": {"http_request": {"uri": "http://127.0.0.1:1/x", "method": "GET"}}},
		{"name": "nap", "taskReferenceName": "nap", "type": "WAIT", "inputParameters": {"duration": "1h"}},
		{"name": "approve", "taskReferenceName": "approve", "type": "HUMAN"},
		{"name": "child", "taskReferenceName": "child", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "no_such_workflow"}},
		{"name": "tell", "taskReferenceName": "tell", "type": "EVENT", "sink": "conductor"}
	], "outputParameters": {"status": "${call.output.response.statusCode}", "child": "${child.output.answer}"}}`
	res, err := dryRun(t, e, def, "", `{"call": {"output": {"response": {"statusCode": 204}}}, "child": {"output": {"answer": 42}}}`, 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, map[string]any{"status": 204, "child": 42}, normalize(res.Output))
	require.Contains(t, step(t, res, "child").Notes, "would start sub-workflow no_such_workflow (its outcome is this task's mock)")
	require.Contains(t, step(t, res, "tell").Notes, "would publish to conductor:everything:tell")
	require.Contains(t, step(t, res, "nap").Notes, "no mock for nap: COMPLETED with an empty output")

	require.Equal(t, before, executions(t, st))
	tasks, err := e.Poll(ctx, engine.PollRequest{TaskType: "work", WorkerID: "t", Count: 10})
	require.NoError(t, err)
	require.Len(t, tasks, 1, "only the real execution's task is queued")
	require.NotEqual(t, "dry-run", tasks[0].WorkflowInstanceID)
	_, err = e.Workflow(ctx, "dry-run", true)
	require.Equal(t, engine.NotFound, engine.CodeOf(err))
}

func TestDryRunInvalidDefinitionGivesDiagnostics(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	_, err := dryRun(t, e, `{"name": "bad", "tasks": [
		{"name": "a", "taskReferenceName": "same", "type": "SIMPLE"},
		{"name": "b", "taskReferenceName": "same", "type": "SIMPLE"}]}`, "", "", 0)
	var ee *engine.Error
	require.True(t, errors.As(err, &ee), "%v", err)
	require.Equal(t, engine.InvalidArgument, ee.Code)
	diags, ok := ee.Details.(workflow.Diagnostics)
	require.True(t, ok, "%T", ee.Details)
	require.NotEmpty(t, diags)
	require.Contains(t, diags.Error(), "same")

	_, err = dryRun(t, e, `{"name": "ok", "tasks": [{"name": "a", "taskReferenceName": "a", "type": "SIMPLE"}]}`, "",
		`{"a": {"status": "IN_PROGRESS"}}`, 0)
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
	require.ErrorContains(t, err, `mocks.a: status "IN_PROGRESS" cannot be mocked`)

	_, err = e.DryRun(context.Background(), &workflow.DryRunRequest{})
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
}

func TestDryRunRunawayLoopStops(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	// A loop of scripts only: the decider runs it without any mock, and
	// would never stop.
	scripts := `{"name": "spin", "tasks": [
		{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE", "loopCondition": "true",
		 "loopOver": [{"name": "tick", "taskReferenceName": "tick", "type": "INLINE",
			"inputParameters": {"evaluatorType": "javascript", "expression": "1"}}]}]}`
	// A loop of a worker's task whose mock never ends it.
	worker := `{"name": "wait_forever", "tasks": [
		{"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
		 "loopCondition": "if ($.check['ready'] == true) { false; } else { true; }", "inputParameters": {"check": "${check.output}"},
		 "loopOver": [{"name": "check", "taskReferenceName": "check", "type": "SIMPLE"}]}]}`
	for name, def := range map[string]string{"scripts": scripts, "worker": worker} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := dryRun(t, e, def, "", `{"check": {"output": {"ready": false}}}`, 200)
			require.NoError(t, err)
			require.True(t, res.Stopped)
			require.Equal(t, workflow.StatusRunning, res.Status)
			require.Contains(t, res.Notes[0], "(the bound is 200): the workflow was still RUNNING; a loop that never ends?")
			require.LessOrEqual(t, len(res.Steps), 202)
		})
	}

	_, err := dryRun(t, e, scripts, "", "", engine.MaxDryRunSteps+1)
	require.Equal(t, engine.InvalidArgument, engine.CodeOf(err))
}

// A dry run stops when its time runs out, whatever its bound of steps.
func TestDryRunTimeBound(t *testing.T) {
	t.Parallel()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	e, err := engine.New(engine.Config{Store: st, DryRunTime: time.Nanosecond, Plugins: wasm.HostConfig{CacheDir: wasmtest.CacheDir()}})
	require.NoError(t, err)
	req := &workflow.DryRunRequest{WorkflowDef: &workflow.WorkflowDef{Name: "spin", Tasks: []*workflow.WorkflowTask{{
		Name: "loop", TaskReferenceName: "loop", Type: workflow.TypeDoWhile, LoopCondition: "true",
		LoopOver: []*workflow.WorkflowTask{{Name: "n", TaskReferenceName: "n", Type: workflow.TypeNoop}},
	}}}}
	res, err := e.DryRun(context.Background(), req)
	require.NoError(t, err)
	require.True(t, res.Stopped)
	require.Equal(t, workflow.StatusRunning, res.Status)
	require.Contains(t, res.Notes[0], "the dry run's time (1ns) ran out with the workflow still RUNNING")
	require.Less(t, len(res.Steps), engine.MaxDryRunSteps)
}

// TestDryRunResultIsBounded: a small request whose mocks are large cannot
// make a result of unbounded size: past the bound, steps keep their path
// but not their inputs and outputs, and a note says so.
func TestDryRunResultIsBounded(t *testing.T) {
	t.Parallel()
	e, _ := dryRunEngine(t)
	blob := strings.Repeat("x", 300<<10)
	var tasks, mocks []string
	for i := range 10 {
		tasks = append(tasks, fmt.Sprintf(`{"name": "work", "taskReferenceName": "w%d", "type": "SIMPLE"}`, i))
		mocks = append(mocks, fmt.Sprintf(`"w%d": {"output": {"blob": "%s"}}`, i, blob))
	}
	def := `{"name": "big", "tasks": [` + strings.Join(tasks, ",") + `]}`
	res, err := dryRun(t, e, def, "", "{"+strings.Join(mocks, ",")+"}", 0)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, res.Status)
	require.Len(t, res.Steps, 10, "the path is whole")
	require.Equal(t, "the inputs and outputs of the steps from step 7 on are left out: with them the result would pass 2 MiB", res.Notes[len(res.Notes)-1])
	require.Len(t, res.Steps[5].Output["blob"], len(blob), "the steps before the bound keep their output")
	require.Nil(t, res.Steps[6].Output)
	require.Nil(t, res.Steps[9].Output)
	require.Equal(t, "w9", res.Steps[9].TaskReferenceName)
}
