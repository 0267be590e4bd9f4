package engine_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/httpcall"
	"github.com/batonhq/baton/server/internal/script"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

var update = flag.Bool("update", false, "rewrite the golden files of the definition library")

// libraryCase is one file of testdata/library: definitions, how the
// workers behave, and the input to start the first workflow with. Its
// golden file holds the final execution it must run to.
type libraryCase struct {
	Description string                   `json:"description"`
	TaskDefs    []*workflow.TaskDef      `json:"taskDefs"`
	Workflows   []*workflow.WorkflowDef  `json:"workflows"`
	Handlers    []*workflow.EventHandler `json:"eventHandlers"`
	Input       map[string]any           `json:"input"`
	Workers     map[string]*workerRule   `json:"workers"`
}

// workerRule is how the test's workers answer tasks of one name.
type workerRule struct {
	// Output is the task's output; with Echo the input is added as "input".
	Output map[string]any `json:"output"`
	Echo   bool           `json:"echo"`
	// FailTimes fails that many attempts (per reference name) first.
	FailTimes int `json:"failTimes"`
	// Terminal fails every attempt with FAILED_WITH_TERMINAL_ERROR.
	Terminal bool `json:"terminal"`
	// TerminateWorkflow terminates the task's workflow instead of answering.
	TerminateWorkflow bool `json:"terminateWorkflow"`
	// ByRef overrides the rule for tasks of some reference names (without
	// iteration suffixes).
	ByRef map[string]*workerRule `json:"byRef"`
	// Signal completes these WAIT or HUMAN tasks by reference name through
	// the API, with Output, once they wait.
	Signal []string `json:"signal"`
}

func TestDefinitionLibrary(t *testing.T) {
	files, err := filepath.Glob("testdata/library/*.json")
	require.NoError(t, err)
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ".golden.json") })
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runLibraryCase(t, file)
		})
	}
}

// httpEcho answers HTTP tasks of the library: /status/N answers N, others
// echo the method, path and body.
func httpEcho() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var code int
		if _, err := fmt.Sscanf(r.URL.Path, "/status/%d", &code); err == nil {
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"status":%d}`, code)
			return
		}
		var body any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "body": body})
	}))
}

func runLibraryCase(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	srv := httpEcho()
	t.Cleanup(srv.Close)
	data = []byte(strings.NewReplacer("$HTTP", srv.URL, "$BIG", strings.Repeat("x", 300<<10)).Replace(string(data)))
	var c libraryCase
	require.NoError(t, workflow.Decode(data, &c), "decode %s", file)

	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	clk := &clock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	e, err := engine.New(engine.Config{
		Store:   st,
		Clock:   clk.Now,
		Scripts: script.New(script.Limits{Timeout: 300 * time.Millisecond, MaxMemory: 256 << 20}),
		HTTP:    httpcall.New(httpcall.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}),
	})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, e.Start(ctx))
	t.Cleanup(e.Stop)

	if len(c.TaskDefs) > 0 {
		require.NoError(t, e.RegisterTaskDefs(ctx, c.TaskDefs))
	}
	// Register the others first: the first may name them.
	for i := len(c.Workflows) - 1; i >= 0; i-- {
		_, err := e.RegisterWorkflowDef(ctx, c.Workflows[i], true, false)
		require.NoError(t, err, "register %s", c.Workflows[i].Name)
	}
	for _, h := range c.Handlers {
		require.NoError(t, e.AddEventHandler(ctx, h))
	}
	id, err := e.StartWorkflow(ctx, &workflow.StartRequest{Name: c.Workflows[0].Name, Input: c.Input})
	require.NoError(t, err)

	w := drive(t, e, clk, &c, id)
	got := summarize(t, e, w)
	golden := strings.TrimSuffix(file, ".json") + ".golden.json"
	if *update {
		out, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(golden, append(out, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "no golden file; run go test -run TestDefinitionLibrary -update and review it")
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(gotJSON))
}

// drive plays the workers until the workflow ends: it polls every task
// type the case answers, answers by the rules, signals waiting tasks, and
// when nothing moves, lets a minute pass on the engine's clock.
func drive(t *testing.T, e *engine.Engine, clk *clock, c *libraryCase, id string) *workflow.Workflow {
	ctx := context.Background()
	attempts := map[string]int{}
	signaled := map[string]bool{}
	idle := 0
	for round := 0; round < 2000; round++ {
		w, err := e.Workflow(ctx, id, true)
		require.NoError(t, err)
		if w.Status.Terminal() && idle > 3 {
			return w
		}
		moved := false
		names := slices.Sorted(maps.Keys(c.Workers))
		for _, name := range names {
			rule := c.Workers[name]
			tasks, err := e.Poll(ctx, engine.PollRequest{TaskType: name, WorkerID: "library", Count: 100})
			require.NoError(t, err)
			for _, task := range tasks {
				moved = true
				answer(t, e, task, rule, attempts)
			}
			for _, ref := range rule.Signal {
				moved = signal(t, e, id, ref, rule, signaled) || moved
			}
		}
		if moved {
			idle = 0
			continue
		}
		idle++
		time.Sleep(5 * time.Millisecond)
		if idle%4 == 0 {
			clk.Add(time.Minute)
			e.FireDue(ctx)
		}
	}
	w, _ := e.Workflow(ctx, id, true)
	t.Fatalf("workflow %s did not end: %s", id, summaryText(w))
	return nil
}

// signal completes, once, the open WAIT or HUMAN tasks with a reference
// name in any workflow of the tree.
func signal(t *testing.T, e *engine.Engine, root, ref string, rule *workerRule, done map[string]bool) bool {
	moved := false
	for _, wfID := range tree(t, e, root) {
		w, err := e.Workflow(context.Background(), wfID, true)
		require.NoError(t, err)
		for _, task := range w.Tasks {
			if workflow.BaseRef(task.ReferenceTaskName) != ref || task.Status != workflow.TaskInProgress || done[task.TaskID] {
				continue
			}
			done[task.TaskID] = true
			moved = true
			require.NoError(t, e.UpdateTaskByRef(context.Background(), wfID, task.ReferenceTaskName, &workflow.TaskResult{
				Status: workflow.TaskCompleted, OutputData: rule.Output,
			}))
		}
	}
	return moved
}

// tree lists a workflow and its sub-workflows, depth first.
func tree(t *testing.T, e *engine.Engine, id string) []string {
	w, err := e.Workflow(context.Background(), id, true)
	require.NoError(t, err)
	out := []string{id}
	for _, task := range w.Tasks {
		if task.SubWorkflowID != "" && task.TaskType == workflow.TypeSubWorkflow {
			if _, err := e.Workflow(context.Background(), task.SubWorkflowID, false); err == nil {
				out = append(out, tree(t, e, task.SubWorkflowID)...)
			}
		}
	}
	return out
}

func answer(t *testing.T, e *engine.Engine, task *workflow.Task, rule *workerRule, attempts map[string]int) {
	ctx := context.Background()
	base := workflow.BaseRef(task.ReferenceTaskName)
	if r, ok := rule.ByRef[base]; ok {
		rule = r
	}
	if rule.TerminateWorkflow {
		require.NoError(t, e.TerminateWorkflow(ctx, task.WorkflowInstanceID, "terminated by the test"))
		return
	}
	key := task.WorkflowInstanceID + "/" + task.ReferenceTaskName
	attempts[key]++
	r := &workflow.TaskResult{TaskID: task.TaskID, PollCount: task.PollCount, Status: workflow.TaskCompleted, OutputData: map[string]any{}}
	for k, v := range rule.Output {
		r.OutputData[k] = v
	}
	if rule.Echo {
		r.OutputData["input"] = task.InputData
	}
	switch {
	case rule.Terminal:
		r.Status = workflow.TaskFailedWithTerminalError
		r.ReasonForIncompletion = "terminal failure of " + base
	case attempts[key] <= rule.FailTimes:
		r.Status = workflow.TaskFailed
		r.ReasonForIncompletion = fmt.Sprintf("attempt %d of %s failed", attempts[key], base)
	}
	require.NoError(t, e.UpdateTask(ctx, r))
}

// summarize is the part of a final execution a golden file holds: no ids
// or times, and each sub-workflow summarized in place.
func summarize(t *testing.T, e *engine.Engine, w *workflow.Workflow) map[string]any {
	ids := map[string]string{}
	var name func(id string) string
	name = func(id string) string {
		if n, ok := ids[id]; ok {
			return n
		}
		n := fmt.Sprintf("<id %d>", len(ids)+1)
		ids[id] = n
		return n
	}
	var sum func(w *workflow.Workflow) map[string]any
	sum = func(w *workflow.Workflow) map[string]any {
		name(w.WorkflowID)
		tasks := []any{}
		for _, task := range w.Tasks {
			tm := map[string]any{
				"ref":    task.ReferenceTaskName,
				"type":   task.TaskType,
				"status": task.Status,
				"output": task.OutputData,
			}
			if task.Iteration > 0 {
				tm["iteration"] = task.Iteration
			}
			if task.RetryCount > 0 {
				tm["retryCount"] = task.RetryCount
			}
			if task.ReasonForIncompletion != "" {
				tm["reason"] = task.ReasonForIncompletion
			}
			if task.TaskType == workflow.TypeSubWorkflow && task.SubWorkflowID != "" {
				if child, err := e.Workflow(context.Background(), task.SubWorkflowID, true); err == nil {
					tm["subWorkflow"] = sum(child)
				}
			}
			tasks = append(tasks, tm)
		}
		out := map[string]any{
			"name":   w.WorkflowName,
			"status": w.Status,
			"output": w.Output,
			"tasks":  tasks,
		}
		if w.ReasonForIncompletion != "" {
			out["reason"] = w.ReasonForIncompletion
		}
		if len(w.Variables) > 0 {
			out["variables"] = w.Variables
		}
		return out
	}
	s := sum(w)
	// Replace ids and drop what changes from run to run.
	data, err := json.Marshal(s)
	require.NoError(t, err)
	var v any
	require.NoError(t, workflow.Decode(data, &v))
	return scrub(v, name).(map[string]any)
}

// scrub replaces execution and task ids with stable names and removes HTTP
// response headers.
func scrub(v any, name func(string) string) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["statusCode"]; ok {
			delete(x, "headers")
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			x[k] = scrub(x[k], name)
		}
		return x
	case []any:
		for i := range x {
			x[i] = scrub(x[i], name)
		}
		return x
	case string:
		if looksLikeID(x) {
			return name(x)
		}
		// Reasons quote task ids.
		for _, f := range strings.Fields(x) {
			if f = strings.Trim(f, "():,"); looksLikeID(f) {
				x = strings.ReplaceAll(x, f, "<task>")
			}
		}
		return x
	}
	return v
}

func looksLikeID(s string) bool {
	return len(s) == 36 && strings.Count(s, "-") == 4
}

func summaryText(w *workflow.Workflow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (%s)", w.WorkflowName, w.Status, w.ReasonForIncompletion)
	for _, t := range w.Tasks {
		fmt.Fprintf(&b, "\n  %s %s %s %s", t.ReferenceTaskName, t.TaskType, t.Status, t.ReasonForIncompletion)
	}
	return b.String()
}
