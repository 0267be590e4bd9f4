package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// benchScenario is one workload of baton bench.
type benchScenario struct {
	name string
	// run measures the scenario against cfg.server; cpu reads the server's
	// CPU time, and is nil when bench did not start the server.
	run       func(ctx context.Context, cfg benchConfig, cpu func() time.Duration) (benchReport, error)
	flags     []string // the flags of scenarioFlags that it reads
	workflows int      // the default of -n
	branches  int      // the default of -branches
}

var benchScenarios = []benchScenario{
	{name: "chain", run: benchChain, flags: []string{"k", "c"}, workflows: 2000},
	{name: "join", run: benchJoin, flags: []string{"branches", "c"}, workflows: 2000, branches: 4},
	{name: "fanout", run: benchFanout, flags: []string{"branches"}, workflows: 1, branches: 1000},
	{name: "loop", run: benchLoop, flags: []string{"iterations", "keep"}, workflows: 1},
	{name: "wasm", run: benchWasm, flags: []string{"k", "c", "plugin", "manifest", "input"}, workflows: 2000},
	{name: "system", run: benchSystem, flags: []string{"k", "c", "input"}, workflows: 2000},
}

// scenarioFlags are the flags that only some scenarios read. Setting one
// that the scenario does not read is an error rather than ignored, so that
// a report never seems to answer a question it did not ask.
var scenarioFlags = []string{"k", "c", "branches", "iterations", "keep", "plugin", "manifest", "input"}

// scenarioNames is "chain, join, fanout, loop, wasm or system".
func scenarioNames() string {
	names := make([]string, len(benchScenarios))
	for i, s := range benchScenarios {
		names[i] = s.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// resolve checks the flags against the scenario they name, given those set
// on the command line, and fills in the scenario's defaults.
func (cfg *benchConfig) resolve(set map[string]bool) (benchScenario, error) {
	i := slices.IndexFunc(benchScenarios, func(s benchScenario) bool { return s.name == cfg.scenario })
	if i < 0 {
		return benchScenario{}, fmt.Errorf("bench: unknown -scenario %q; use %s", cfg.scenario, scenarioNames())
	}
	sc := benchScenarios[i]
	for _, f := range scenarioFlags {
		if set[f] && !slices.Contains(sc.flags, f) {
			return sc, fmt.Errorf("bench: -%s does not apply to -scenario %s", f, sc.name)
		}
	}
	if !set["n"] {
		cfg.workflows = sc.workflows
	}
	if !set["branches"] {
		cfg.branches = sc.branches
	}
	switch {
	case cfg.workflows < 1 || cfg.tasks < 1 || cfg.concurrency < 1 || cfg.workers < 1 || cfg.batch < 1:
		return sc, errors.New("bench: -n, -k, -c, -w and -batch must be at least 1")
	case slices.Contains(sc.flags, "branches") && cfg.branches < 1:
		return sc, fmt.Errorf("bench: -branches must be at least 1, not %d", cfg.branches)
	case cfg.iterations < 1:
		return sc, fmt.Errorf("bench: -iterations must be at least 1, not %d", cfg.iterations)
	case cfg.keep < 0:
		return sc, fmt.Errorf("bench: -keep must be 0 (keep every iteration) or more, not %d", cfg.keep)
	}
	return sc, nil
}

// joinReport are the figures of a join run.
type joinReport struct {
	cfg      benchConfig
	elapsed  time.Duration
	lats     []time.Duration // from start to the last branch's completion, sorted
	lastCall []time.Duration // of the UpdateTask that completed each workflow's last branch, sorted
	joinLags []time.Duration // JOIN endTime minus the latest branch endTime, server clock, sorted
	cpu      time.Duration   // of the server during the load; 0 if not measured
}

// benchJoin runs N workflows of a FORK_JOIN of B one-task branches and a
// JOIN.
func benchJoin(ctx context.Context, cfg benchConfig, cpu func() time.Duration) (benchReport, error) {
	r := newBenchRun(ctx, cfg.server)
	defer r.close()
	fork := &workflow.WorkflowTask{Name: "fork", TaskReferenceName: "fork", Type: workflow.TypeForkJoin}
	join := &workflow.WorkflowTask{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin}
	for i := range cfg.branches {
		ref := fmt.Sprintf("b%d", i+1)
		fork.ForkTasks = append(fork.ForkTasks, []*workflow.WorkflowTask{{
			Name: benchTask, TaskReferenceName: ref, Type: workflow.TypeSimple,
			InputParameters: map[string]any{"n": "${workflow.input.n}"},
		}})
		join.JoinOn = append(join.JoinOn, ref)
	}
	def := &workflow.WorkflowDef{
		Name: fmt.Sprintf("bench_join_%d", cfg.branches), Version: 1, SchemaVersion: 2,
		Tasks: []*workflow.WorkflowTask{fork, join},
	}
	if err := r.register(def); err != nil {
		return nil, err
	}
	rep := &joinReport{cfg: cfg, lastCall: make([]time.Duration, 0, cfg.workflows)}
	fl := newFinishLine(cfg.workflows)
	var mu sync.Mutex
	workers := r.startWorkers(cfg, false, func(t *workflow.Task, took time.Duration) {
		// The B-th call to return is one that returned after the last
		// branch's commit, which completed the JOIN.
		if fl.tick(t.WorkflowInstanceID, int64(cfg.branches)) {
			mu.Lock()
			rep.lastCall = append(rep.lastCall, took)
			mu.Unlock()
		}
	})
	cpu0 := cpuOf(cpu)
	began := time.Now()
	st := r.startWorkflows(cfg, def.Name, fl)
	r.await(fl.all, 5*time.Minute, func() error {
		return fmt.Errorf("bench: only %d of %d workflows completed within 5 minutes", fl.ended.Load(), cfg.workflows)
	})
	rep.elapsed = time.Since(began)
	rep.cpu = cpuOf(cpu) - cpu0
	r.stop()
	st.wg.Wait()
	workers.Wait()
	if err := r.failure(); err != nil {
		return nil, err
	}
	rep.lats = st.lats
	slices.Sort(rep.lats)
	slices.Sort(rep.lastCall)
	var err error
	if rep.joinLags, err = joinLags(r.parent, r.c, st.ids, cfg.workers); err != nil {
		return nil, err
	}
	return rep, nil
}

// joinLags fetches the workflows, parallel at a time, and returns the lag
// of each one's JOIN, sorted.
func joinLags(ctx context.Context, c *client.Client, ids []string, parallel int) ([]time.Duration, error) {
	lags := make([]time.Duration, len(ids))
	errs := make([]error, len(ids))
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(parallel, len(ids)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(ids); i = int(next.Add(1)) - 1 {
				wf, err := fetchCompleted(ctx, c, ids[i])
				if err == nil {
					lags[i], err = joinLag(wf)
				}
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(lags)
	return lags, nil
}

// fetchCompleted fetches a workflow with its tasks. It must be COMPLETED:
// bench waits for the call that completed its last task, and the engine
// completes the workflow in the same commit.
func fetchCompleted(ctx context.Context, c *client.Client, id string) (*workflow.Workflow, error) {
	wf, err := c.Workflow(ctx, id, true)
	if err != nil {
		return nil, fmt.Errorf("get workflow %s: %w", id, err)
	}
	if wf.Status != workflow.StatusCompleted {
		return nil, fmt.Errorf("bench: workflow %s is %s once its last task was completed; want COMPLETED", id, wf.Status)
	}
	return wf, nil
}

// joinLag is a workflow's JOIN endTime minus the latest endTime of its
// bench tasks, in the server's milliseconds.
func joinLag(wf *workflow.Workflow) (time.Duration, error) {
	var join, last int64
	for _, t := range wf.Tasks {
		switch {
		case t.TaskType == workflow.TypeJoin:
			join = t.EndTime
		case t.TaskDefName == benchTask:
			last = max(last, t.EndTime)
		}
	}
	if join == 0 || last == 0 {
		return 0, fmt.Errorf("bench: workflow %s has no ended JOIN or no ended branch", wf.WorkflowID)
	}
	return time.Duration(join-last) * time.Millisecond, nil
}

func (r *joinReport) print(w io.Writer, label string, s *serverStats) {
	n := float64(r.cfg.workflows)
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "== %s: join N=%d B=%d C=%d W=%d batch=%d\n", label, r.cfg.workflows, r.cfg.branches, r.cfg.concurrency, r.cfg.workers, r.cfg.batch)
	row(w, "workflows/s", "%.0f", n/secs)
	row(w, "branches/s", "%.0f", n*float64(r.cfg.branches)/secs)
	row(w, "latency p50", "%s", round(percentile(r.lats, 0.50)))
	row(w, "latency p90", "%s", round(percentile(r.lats, 0.90)))
	row(w, "latency p99", "%s", round(percentile(r.lats, 0.99)))
	row(w, "last branch p50", "%s  (the UpdateTask call that completed the last branch, JOIN durable)", round(percentile(r.lastCall, 0.50)))
	row(w, "last branch p99", "%s", round(percentile(r.lastCall, 0.99)))
	row(w, "JOIN lag p50", "%s  (JOIN endTime - latest branch endTime, server clock)", percentile(r.joinLags, 0.50))
	row(w, "JOIN lag p99", "%s", percentile(r.joinLags, 0.99))
	row(w, "JOIN lag max", "%s", percentile(r.joinLags, 1))
	printServer(w, s, "server CPU/wf", r.cpu/time.Duration(r.cfg.workflows))
}

// soloRun is one workflow run alone.
type soloRun struct {
	start   time.Duration      // of the start call
	elapsed time.Duration      // from the start call to the completion of the last task
	cpu     time.Duration      // of the server meanwhile; 0 if not measured
	wf      *workflow.Workflow // as fetched at the end, with its tasks
}

// runAlone starts a workflow, waits for the completion of its last task
// (the last-th to be completed) for up to limit, and fetches it.
func (r *benchRun) runAlone(name string, input map[string]any, fl *finishLine, last int, limit time.Duration, cpu func() time.Duration) (soloRun, error) {
	var s soloRun
	cpu0 := cpuOf(cpu)
	began := time.Now()
	id, err := r.c.StartWorkflow(r.ctx, &workflow.StartRequest{Name: name, Input: input})
	if err != nil {
		return s, fmt.Errorf("start: %w", err)
	}
	s.start = time.Since(began)
	r.await(fl.of(id), limit, func() error {
		return fmt.Errorf("bench: workflow %s did not complete within %s: %d of its %d tasks were completed", id, limit, fl.count(id), last)
	})
	s.elapsed = time.Since(began)
	s.cpu = cpuOf(cpu) - cpu0
	if err := r.failure(); err != nil {
		return s, err
	}
	s.wf, err = fetchCompleted(r.ctx, r.c, id)
	return s, err
}

// runSolo runs cfg.workflows workflows of a definition one after another,
// each alone, while workers complete their tasks (each completion fetching
// the next task in the same call when chain); tasks is how many task
// completions end one. It returns the runs and the sorted durations of the
// workers' update calls.
func (r *benchRun) runSolo(cfg benchConfig, name string, input map[string]any, tasks int, chain bool, cpu func() time.Duration) ([]soloRun, []time.Duration, error) {
	updates := make([]time.Duration, 0, cfg.workflows*tasks)
	fl := newFinishLine(cfg.workflows)
	var mu sync.Mutex
	workers := r.startWorkers(cfg, chain, func(t *workflow.Task, took time.Duration) {
		mu.Lock()
		updates = append(updates, took)
		mu.Unlock()
		fl.tick(t.WorkflowInstanceID, int64(tasks))
	})
	var (
		runs []soloRun
		err  error
	)
	for range cfg.workflows {
		var run soloRun
		if run, err = r.runAlone(name, input, fl, tasks, scaledLimit(tasks), cpu); err != nil {
			break
		}
		runs = append(runs, run)
	}
	r.stop()
	workers.Wait()
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(updates)
	return runs, updates, nil
}

// fanoutReport are the figures of a fanout run.
type fanoutReport struct {
	cfg     benchConfig
	runs    []soloRun
	updates []time.Duration // of each completion's UpdateTask call, sorted
}

// benchFanout runs, one after another, N workflows of a FORK_JOIN_DYNAMIC
// of B SIMPLE tasks and a JOIN.
func benchFanout(ctx context.Context, cfg benchConfig, cpu func() time.Duration) (benchReport, error) {
	r := newBenchRun(ctx, cfg.server)
	defer r.close()
	def := &workflow.WorkflowDef{Name: "bench_fanout", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{
		{Name: "fanout", TaskReferenceName: "fanout", Type: workflow.TypeForkJoinDynamic, InputParameters: map[string]any{
			"forkTaskName": benchTask, "forkTaskType": workflow.TypeSimple, "forkTaskInputs": "${workflow.input.branches}",
		}},
		{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin},
	}}
	if err := r.register(def); err != nil {
		return nil, err
	}
	inputs := make([]any, cfg.branches)
	for i := range inputs {
		inputs[i] = map[string]any{"n": i}
	}
	runs, updates, err := r.runSolo(cfg, def.Name, map[string]any{"branches": inputs}, cfg.branches, false, cpu)
	if err != nil {
		return nil, err
	}
	return &fanoutReport{cfg: cfg, runs: runs, updates: updates}, nil
}

func (r *fanoutReport) print(w io.Writer, label string, s *serverStats) {
	b := r.cfg.branches
	fmt.Fprintf(w, "== %s: fanout B=%d W=%d batch=%d runs=%d\n", label, b, r.cfg.workers, r.cfg.batch, len(r.runs))
	row(w, "start call", "%s  (creates the FORK_JOIN_DYNAMIC and its %d branches)", spread(r.runs, func(s soloRun) time.Duration { return s.start }), b)
	row(w, "start to COMPLETED", "%s", spread(r.runs, func(s soloRun) time.Duration { return s.elapsed }))
	row(w, "branches/s", "%.0f", float64(b*len(r.runs))/total(r.runs, func(s soloRun) time.Duration { return s.elapsed }).Seconds())
	row(w, "update p50", "%s  (UpdateTask: one decision and commit of the execution)", round(percentile(r.updates, 0.50)))
	row(w, "update p99", "%s", round(percentile(r.updates, 0.99)))
	last := r.runs[len(r.runs)-1].wf
	if lag, err := joinLag(last); err == nil {
		row(w, "JOIN lag", "%s  (JOIN endTime - latest branch endTime, server clock)", lag)
	}
	printExecution(w, last)
	printServer(w, s, "server CPU/branch", total(r.runs, func(s soloRun) time.Duration { return s.cpu })/time.Duration(b*len(r.runs)))
}

// loopReport are the figures of a loop run.
type loopReport struct {
	cfg     benchConfig
	runs    []soloRun
	updates []time.Duration // of each iteration's UpdateTaskAndPoll call, sorted
}

// benchLoop runs, one after another, N workflows of a DO_WHILE of I
// iterations of one SIMPLE task, keeping the last -keep.
func benchLoop(ctx context.Context, cfg benchConfig, cpu func() time.Duration) (benchReport, error) {
	r := newBenchRun(ctx, cfg.server)
	defer r.close()
	def := &workflow.WorkflowDef{Name: "bench_loop", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{{
		Name: "loop", TaskReferenceName: "loop", Type: workflow.TypeDoWhile,
		InputParameters: map[string]any{"iterations": "${workflow.input.iterations}", "keepLastN": "${workflow.input.keep}"},
		LoopCondition:   "$.loop.iteration < $.iterations",
		LoopOver: []*workflow.WorkflowTask{{
			Name: benchTask, TaskReferenceName: "step", Type: workflow.TypeSimple,
			InputParameters: map[string]any{"n": "${loop.output.iteration}"},
		}},
	}}}
	if err := r.register(def); err != nil {
		return nil, err
	}
	// Each completion leases the next iteration's task in the same call.
	runs, updates, err := r.runSolo(cfg, def.Name, map[string]any{"iterations": cfg.iterations, "keep": cfg.keep}, cfg.iterations, true, cpu)
	if err != nil {
		return nil, err
	}
	return &loopReport{cfg: cfg, runs: runs, updates: updates}, nil
}

func (r *loopReport) print(w io.Writer, label string, s *serverStats) {
	it := r.cfg.iterations
	fmt.Fprintf(w, "== %s: loop I=%d keep=%d W=%d batch=%d runs=%d\n", label, it, r.cfg.keep, r.cfg.workers, r.cfg.batch, len(r.runs))
	row(w, "start to COMPLETED", "%s", spread(r.runs, func(s soloRun) time.Duration { return s.elapsed }))
	row(w, "iterations/s", "%.0f", float64(it*len(r.runs))/total(r.runs, func(s soloRun) time.Duration { return s.elapsed }).Seconds())
	row(w, "update p50", "%s  (UpdateTaskAndPoll: ends an iteration, leases the next one's task)", round(percentile(r.updates, 0.50)))
	row(w, "update p99", "%s", round(percentile(r.updates, 0.99)))
	printExecution(w, r.runs[len(r.runs)-1].wf)
	printServer(w, s, "server CPU/iter", total(r.runs, func(s soloRun) time.Duration { return s.cpu })/time.Duration(it*len(r.runs)))
}

// scaledLimit is how long a workflow of size tasks may take: 5 minutes per
// thousand, as each completion decides an execution that grows with them.
func scaledLimit(size int) time.Duration {
	return 5 * time.Minute * time.Duration(max(1, (size+999)/1000))
}

// cpuOf reads a CPU meter; 0 without one.
func cpuOf(cpu func() time.Duration) time.Duration {
	if cpu == nil {
		return 0
	}
	return cpu()
}

// row prints one figure of a report.
func row(w io.Writer, label, format string, args ...any) {
	fmt.Fprintf(w, "%-20s"+format+"\n", append([]any{label}, args...)...)
}

// round rounds a duration for a report.
func round(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// spread is a figure of the runs: its value for one run, its median and
// maximum for more.
func spread(runs []soloRun, of func(soloRun) time.Duration) string {
	ds := make([]time.Duration, len(runs))
	for i, s := range runs {
		ds[i] = of(s)
	}
	slices.Sort(ds)
	if len(ds) == 1 {
		return round(ds[0]).String()
	}
	return fmt.Sprintf("p50 %s, max %s", round(percentile(ds, 0.5)), round(ds[len(ds)-1]))
}

// total is the sum of a figure over the runs.
func total(runs []soloRun, of func(soloRun) time.Duration) time.Duration {
	var sum time.Duration
	for _, s := range runs {
		sum += of(s)
	}
	return sum
}

// printExecution prints the size of a workflow as fetched at the end of a
// run; its JSON is what "baton get" prints.
func printExecution(w io.Writer, wf *workflow.Workflow) {
	row(w, "tasks at end", "%d", len(wf.Tasks))
	if data, err := json.Marshal(wf); err == nil {
		row(w, "workflow JSON", "%.1f kB", float64(len(data))/1e3)
	}
}

// printServer prints the started server's figures; none for a target.
func printServer(w io.Writer, s *serverStats, cpuLabel string, cpu time.Duration) {
	if s == nil {
		return
	}
	row(w, cpuLabel, "%s", cpu.Round(time.Microsecond))
	row(w, "server RSS", "idle %.1f MB, peak %.1f MB", float64(s.idleRSS)/1e6, float64(s.peakRSS)/1e6)
}
