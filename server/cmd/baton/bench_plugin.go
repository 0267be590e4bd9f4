package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm"
)

// wasmReport is what the wasm scenario measured.
type wasmReport struct {
	cfg     benchConfig
	plugin  string
	elapsed time.Duration
	lats    []time.Duration // of each ExecuteWorkflow call, sorted
	upload  time.Duration   // of the upload call (checks and compile)
	cold    time.Duration   // from the upload call to the first workflow's end
	cpu     time.Duration   // of the server during the load; 0 if not measured
}

// benchWasm uploads a plugin and runs N workflows of K of its tasks.
func benchWasm(ctx context.Context, cfg benchConfig, cpu func() time.Duration) (benchReport, error) {
	if cfg.plugin == "" {
		return nil, errors.New("bench: -scenario wasm needs -plugin FILE.wasm")
	}
	if cfg.manifest == "" {
		cfg.manifest = filepath.Join(filepath.Dir(cfg.plugin), "plugin.json")
	}
	bin, err := os.ReadFile(cfg.plugin)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	mb, err := os.ReadFile(cfg.manifest)
	if err != nil {
		return nil, fmt.Errorf("bench: read the manifest (-manifest): %w", err)
	}
	m, err := wasm.ParseManifest(mb)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: %w", cfg.manifest, err)
	}
	if len(m.TaskTypes) == 0 {
		return nil, fmt.Errorf("bench: plugin %s provides no task type (manifest taskTypes)", m.Name)
	}
	var input map[string]any
	if err := json.Unmarshal([]byte(cfg.input), &input); err != nil {
		return nil, fmt.Errorf("bench: -input is not a JSON object: %w", err)
	}
	params := map[string]any{}
	for k := range input {
		params[k] = "${workflow.input." + k + "}"
	}

	r := newBenchRun(ctx, cfg.server)
	defer r.close()
	def := &workflow.WorkflowDef{Name: fmt.Sprintf("bench_wasm_%d", cfg.tasks), Version: 1, SchemaVersion: 2}
	once := &workflow.TaskDef{Name: m.TaskTypes[0], RetryCount: new(int)}
	for i := range cfg.tasks {
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{
			Name: m.TaskTypes[0], TaskReferenceName: fmt.Sprintf("t%d", i+1), Type: m.TaskTypes[0],
			TaskDefinition: once, InputParameters: params,
		})
	}
	began := time.Now()
	if _, _, err := r.c.PushPlugin(r.ctx, bin, mb); err != nil {
		return nil, fmt.Errorf("bench: upload %s: %w", cfg.plugin, err)
	}
	rep := &wasmReport{cfg: cfg, plugin: fmt.Sprintf("%s (%s, %d bytes)", m.Name, cfg.plugin, len(bin)), upload: time.Since(began)}
	if _, err := r.c.RegisterWorkflowDef(r.ctx, def, true, false); err != nil {
		return nil, fmt.Errorf("bench: register %s: %w", def.Name, err)
	}
	lats, elapsed, used, err := r.executeAll(cfg, def.Name, input, cpu, func() { rep.cold = time.Since(began) })
	if err != nil {
		return nil, err
	}
	rep.lats, rep.elapsed, rep.cpu = lats, elapsed, used
	return rep, nil
}

// executeAll runs a first workflow of a definition with ExecuteWorkflow,
// then cfg.workflows more with cfg.concurrency starters, each running one
// at a time. first is called once the first has ended. It returns the
// latencies of the measured calls, sorted, how long they took in all, and
// the server's CPU time meanwhile (0 when not measured).
func (r *benchRun) executeAll(cfg benchConfig, name string, input map[string]any, cpu func() time.Duration, first func()) (lats []time.Duration, elapsed, used time.Duration, err error) {
	execute := func() (time.Duration, error) {
		t := time.Now()
		w, done, err := r.c.ExecuteWorkflow(r.ctx, &workflow.StartRequest{Name: name, Input: input}, nil, time.Minute)
		switch {
		case err != nil:
			return 0, err
		case !done:
			return 0, fmt.Errorf("workflow %s did not end within a minute", w.WorkflowID)
		case w.Status != workflow.StatusCompleted:
			return 0, fmt.Errorf("workflow %s ended %s: %s", w.WorkflowID, w.Status, w.ReasonForIncompletion)
		}
		return time.Since(t), nil
	}
	if _, err := execute(); err != nil {
		return nil, 0, 0, fmt.Errorf("bench: first workflow: %w", err)
	}
	first()

	var (
		next    atomic.Int64
		mu      sync.Mutex
		workers sync.WaitGroup
	)
	lats = make([]time.Duration, 0, cfg.workflows)
	cpu0 := measureCPU(cpu)
	began := time.Now()
	for range cfg.concurrency {
		workers.Go(func() {
			for r.ctx.Err() == nil && next.Add(1) <= int64(cfg.workflows) {
				took, err := execute()
				if err != nil {
					r.fail(err)
					return
				}
				mu.Lock()
				lats = append(lats, took)
				mu.Unlock()
			}
		})
	}
	workers.Wait()
	elapsed = time.Since(began)
	used = measureCPU(cpu) - cpu0
	if err := r.failure(); err != nil {
		return nil, 0, 0, err
	}
	slices.Sort(lats)
	return lats, elapsed, used, nil
}

// systemReport is what the system scenario measured.
type systemReport struct {
	cfg     benchConfig
	elapsed time.Duration
	lats    []time.Duration // of each ExecuteWorkflow call, sorted
	cpu     time.Duration   // of the server during the load; 0 if not measured
}

// benchSystem runs N workflows of K SET_VARIABLE tasks, which the engine
// runs in the decision that schedules them: the cost of the engine alone
// (the start, its one commit, ExecuteWorkflow), without workers or plugins.
func benchSystem(ctx context.Context, cfg benchConfig, cpu func() time.Duration) (benchReport, error) {
	var input map[string]any
	if err := json.Unmarshal([]byte(cfg.input), &input); err != nil {
		return nil, fmt.Errorf("bench: -input is not a JSON object: %w", err)
	}
	r := newBenchRun(ctx, cfg.server)
	defer r.close()
	def := &workflow.WorkflowDef{Name: fmt.Sprintf("bench_system_%d", cfg.tasks), Version: 1, SchemaVersion: 2}
	for i := range cfg.tasks {
		params := map[string]any{}
		for k := range input {
			params[fmt.Sprintf("%s%d", k, i+1)] = "${workflow.input." + k + "}"
		}
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{
			Name: "set", TaskReferenceName: fmt.Sprintf("t%d", i+1), Type: workflow.TypeSetVariable, InputParameters: params,
		})
	}
	if _, err := r.c.RegisterWorkflowDef(r.ctx, def, true, false); err != nil {
		return nil, fmt.Errorf("bench: register %s: %w", def.Name, err)
	}
	lats, elapsed, used, err := r.executeAll(cfg, def.Name, input, cpu, func() {})
	if err != nil {
		return nil, err
	}
	return &systemReport{cfg: cfg, elapsed: elapsed, lats: lats, cpu: used}, nil
}

func (r *systemReport) print(w io.Writer, label string, s *serverStats) {
	n := float64(r.cfg.workflows)
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "== %s: system N=%d K=%d C=%d, SET_VARIABLE tasks\n", label, r.cfg.workflows, r.cfg.tasks, r.cfg.concurrency)
	row(w, "workflows/s", "%.0f", n/secs)
	row(w, "tasks/s", "%.0f", n*float64(r.cfg.tasks)/secs)
	row(w, "latency p50", "%s", round(percentile(r.lats, 0.50)))
	row(w, "latency p90", "%s", round(percentile(r.lats, 0.90)))
	row(w, "latency p99", "%s", round(percentile(r.lats, 0.99)))
	printServer(w, s, "server CPU/wf", r.cpu/time.Duration(r.cfg.workflows))
}

// measureCPU is the server's CPU time so far, 0 when not measured.
func measureCPU(cpu func() time.Duration) time.Duration {
	if cpu == nil {
		return 0
	}
	return cpu()
}

func (r *wasmReport) print(w io.Writer, label string, s *serverStats) {
	n := float64(r.cfg.workflows)
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "== %s: wasm N=%d K=%d C=%d, plugin %s\n", label, r.cfg.workflows, r.cfg.tasks, r.cfg.concurrency, r.plugin)
	row(w, "workflows/s", "%.0f", n/secs)
	row(w, "tasks/s", "%.0f", n*float64(r.cfg.tasks)/secs)
	row(w, "latency p50", "%s", round(percentile(r.lats, 0.50)))
	row(w, "latency p90", "%s", round(percentile(r.lats, 0.90)))
	row(w, "latency p99", "%s", round(percentile(r.lats, 0.99)))
	row(w, "upload", "%s  (checks, compile, load)", round(r.upload))
	row(w, "cold start", "%s  (upload call to the first workflow's end)", round(r.cold))
	printServer(w, s, "server CPU/wf", r.cpu/time.Duration(r.cfg.workflows))
}
