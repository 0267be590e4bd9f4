package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// benchConfig is one benchmark run.
type benchConfig struct {
	scenario    string
	server      string
	workflows   int
	tasks       int
	concurrency int
	workers     int
	batch       int
	branches    int
	iterations  int
	keep        int
	plugin      string // wasm: the module
	manifest    string // wasm: its manifest
	input       string // wasm: the workflow input, JSON
	cpuProfile  string // the started server's CPU profile
}

// benchReport is what a scenario measured, printed under a label; s is nil
// when bench did not start the server.
type benchReport interface {
	print(w io.Writer, label string, s *serverStats)
}

const benchSynopsis = `bench [flags]

Starts a server on a temporary directory (a child process, so that its CPU and memory
are measured apart from the load), or targets --server, and runs a scenario:

  chain   N workflows of K sequential SIMPLE tasks. C starters each keep one workflow
          in flight (start it, wait for its last task to complete); W worker goroutines
          long-poll for tasks over HTTP and complete them, each completion fetching the
          next task in the same call. Latency is from the start call to the completion
          of the last task.
  join    N workflows of a FORK_JOIN of B one-task branches and a JOIN, started as in
          chain. Each completion is a lone UpdateTask; that of a workflow's last branch
          returns once the JOIN is durably complete, and its duration is reported.
  fanout  one workflow of a FORK_JOIN_DYNAMIC of B SIMPLE tasks and a JOIN, N times
          one after another: each completion decides and commits an execution of B
          branches.
  loop    one workflow of a DO_WHILE of I iterations of one SIMPLE task, keeping the
          last -keep iterations, N times one after another.
  wasm    uploads -plugin (with -manifest), then N workflows of K tasks of the first task
          type its manifest provides, run inside the server by the plugin. C starters each
          run one workflow at a time with ExecuteWorkflow. Each task's input is -input.
          Also reports the cold start: from the upload call to the first workflow's end.
  system  N workflows of K SET_VARIABLE tasks, which the engine runs in the decision
          that schedules them, run as in wasm: the engine's cost without workers or
          plugins. Each task sets the fields of -input.`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", benchSynopsis, stderr)
	var cfg benchConfig
	fs.StringVar(&cfg.scenario, "scenario", "chain", "what to run: "+scenarioNames())
	fs.StringVar(&cfg.server, "server", "", "target this server instead of starting one (CPU and RSS are then not measured)")
	fs.IntVar(&cfg.workflows, "n", 0, "workflows to run (default 2000; 1 for fanout and loop)")
	fs.IntVar(&cfg.tasks, "k", 3, "chain: sequential SIMPLE tasks per workflow")
	fs.IntVar(&cfg.concurrency, "c", 200, "chain, join: starters, each keeping one workflow in flight")
	fs.IntVar(&cfg.workers, "w", 32, "worker goroutines polling the server")
	fs.IntVar(&cfg.batch, "batch", 16, "tasks per poll")
	fs.IntVar(&cfg.branches, "branches", 0, "join, fanout: branches per workflow (default 4 for join, 1000 for fanout)")
	fs.IntVar(&cfg.iterations, "iterations", 1000, "loop: iterations of the DO_WHILE")
	fs.IntVar(&cfg.keep, "keep", 2, "loop: keepLastN of the DO_WHILE, the iterations kept in the execution (0 keeps all)")
	fs.StringVar(&cfg.plugin, "plugin", "", "wasm: the plugin's module (required)")
	fs.StringVar(&cfg.manifest, "manifest", "", "wasm: the plugin's manifest (default: plugin.json beside the module)")
	fs.StringVar(&cfg.input, "input", `{"text":"hello, baton"}`, "wasm, system: each workflow's input, a JSON object; every task gets its fields")
	syncMode := fs.String("sync", "both", "sync mode of the started server: on, off or both")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the started server to this file (of the last sync mode run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	sc, err := cfg.resolve(set)
	if err != nil {
		return err
	}
	if cfg.server != "" {
		rep, err := sc.run(ctx, cfg, nil)
		if err != nil {
			return err
		}
		rep.print(stdout, "target "+cfg.server, nil)
		return nil
	}
	modes := map[string][]bool{"on": {true}, "off": {false}, "both": {true, false}}[*syncMode]
	if modes == nil {
		return fmt.Errorf("bench: -sync must be on, off or both, not %q", *syncMode)
	}
	for _, sync := range modes {
		srv, err := startBenchServer(ctx, sync, cfg.cpuProfile)
		if err != nil {
			return err
		}
		cfg.server = srv.url
		rep, err := sc.run(ctx, cfg, srv.cpu)
		stats := srv.stats()
		srv.stop()
		if err != nil {
			if errs := srv.log.String(); errs != "" {
				return fmt.Errorf("%w\nthe server logged:\n%s", err, errs)
			}
			return err
		}
		label := "sync on (fsync per group commit)"
		if !sync {
			label = "sync off"
		}
		rep.print(stdout, label, &stats)
	}
	return nil
}

// benchServer is a server in a child process.
type benchServer struct {
	cmd     *exec.Cmd
	dir     string
	url     string
	ready   time.Duration
	idleRSS int64
	log     *errorLog
}

// errorLog keeps the last lines of the server's log that report errors,
// which are all that a failed run can show of it.
type errorLog struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
}

func (l *errorLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := string(l.partial[:i]); strings.Contains(line, "level=ERROR") {
			l.lines = append(l.lines[max(0, len(l.lines)-4):], line)
		}
		l.partial = l.partial[i+1:]
	}
}

func (l *errorLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func startBenchServer(ctx context.Context, sync bool, cpuProfile string) (*benchServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "baton-bench-")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "serve", "--addr", addr, "--data-dir", dir, "--sync="+strconv.FormatBool(sync))
	if cpuProfile != "" {
		cmd.Args = append(cmd.Args, "--cpuprofile", cpuProfile)
	}
	log := &errorLog{}
	cmd.Stderr = log
	began := time.Now()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &benchServer{cmd: cmd, dir: dir, url: "http://" + addr, log: log}
	for {
		res, err := http.Get(s.url + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(began) > 10*time.Second {
			s.stop()
			return nil, errors.New("bench: the server did not become ready within 10s")
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.ready = time.Since(began)
	s.idleRSS = procStatus(cmd.Process.Pid, "VmRSS:")
	return s, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serverStats are the child's resource figures.
type serverStats struct {
	ready   time.Duration
	idleRSS int64 // bytes
	peakRSS int64 // bytes
	cpu     time.Duration
}

func (s *benchServer) stats() serverStats {
	pid := s.cmd.Process.Pid
	return serverStats{ready: s.ready, idleRSS: s.idleRSS, peakRSS: procStatus(pid, "VmHWM:"), cpu: procCPU(pid)}
}

// cpu is the server's CPU time so far.
func (s *benchServer) cpu() time.Duration { return procCPU(s.cmd.Process.Pid) }

func (s *benchServer) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dir)
}

// procStatus reads a "kB" line of /proc/PID/status, in bytes (0 if unknown).
func procStatus(pid int, key string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// procCPU reads user+system CPU time of a process from /proc/PID/stat.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

// benchTask is the task type that the bench workers run.
const benchTask = "bench_task"

// benchRun is the plumbing of one measured run: a client of the server, and
// the context of the load, which the first failure cancels.
type benchRun struct {
	c      *client.Client
	tr     *http.Transport
	parent context.Context
	ctx    context.Context // of the load
	stop   context.CancelFunc

	mu  sync.Mutex
	err error
}

func newBenchRun(ctx context.Context, server string) *benchRun {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	r := &benchRun{c: client.New(server, client.WithHTTPClient(&http.Client{Transport: tr})), tr: tr, parent: ctx}
	r.ctx, r.stop = context.WithCancel(ctx)
	return r
}

// close stops the load and closes the connections: a connection that was
// opened but never used (requests race for connections) holds up the
// graceful shutdown of the target server for 5s.
func (r *benchRun) close() {
	r.stop()
	r.tr.CloseIdleConnections()
}

// fail records the first failure and stops the load. A call that fails
// because the load was stopped is no failure.
func (r *benchRun) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil && r.ctx.Err() == nil {
		r.err = err
	}
	r.stop()
}

// failure is the run's first failure, or the error of the caller's context
// if that ended.
func (r *benchRun) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	return r.parent.Err()
}

// register registers the bench task, with no retries and a response
// timeout of 60s, and a workflow definition (replacing its version).
func (r *benchRun) register(def *workflow.WorkflowDef) error {
	zero := 0
	respTimeout := int64(60)
	if err := r.c.RegisterTaskDefs(r.ctx, &workflow.TaskDef{Name: benchTask, RetryCount: &zero, ResponseTimeoutSeconds: &respTimeout}); err != nil {
		return fmt.Errorf("register task definition: %w", err)
	}
	if _, err := r.c.RegisterWorkflowDef(r.ctx, def, true, false); err != nil {
		return fmt.Errorf("register workflow definition %s: %w", def.Name, err)
	}
	return nil
}

// startWorkers starts cfg.workers goroutines that long-poll for bench
// tasks, cfg.batch at a time, until the load stops, and complete the tasks
// of each poll concurrently, as a worker runs them. With chain, each
// completion asks for the next task in the same call, and the chain goes on
// until none is left; without, each completion is a lone UpdateTask, so
// that the call lasts as long as the decision and commit it causes.
// completed is called after each completion with the duration of its call.
func (r *benchRun) startWorkers(cfg benchConfig, chain bool, completed func(t *workflow.Task, took time.Duration)) *sync.WaitGroup {
	var workers sync.WaitGroup
	for w := range cfg.workers {
		workers.Go(func() {
			id := fmt.Sprintf("bench-%d", w)
			for r.ctx.Err() == nil {
				tasks, err := r.c.PollTasks(r.ctx, benchTask, id, "", cfg.batch, time.Second)
				if err != nil {
					r.fail(fmt.Errorf("poll: %w", err))
					return
				}
				var batch sync.WaitGroup
				for _, t := range tasks {
					batch.Go(func() {
						for t != nil {
							res := &workflow.TaskResult{
								TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID, PollCount: t.PollCount, WorkerID: id,
								Status: workflow.TaskCompleted, OutputData: map[string]any{"n": t.InputData["n"]},
							}
							began := time.Now()
							var (
								next []*workflow.Task
								err  error
							)
							if chain {
								next, err = r.c.UpdateTaskAndPoll(r.ctx, res, benchTask, "", 1)
							} else {
								err = r.c.UpdateTask(r.ctx, res)
							}
							took := time.Since(began)
							if err != nil {
								r.fail(fmt.Errorf("update: %w", err))
								return
							}
							completed(t, took)
							t = nil
							if len(next) > 0 {
								t = next[0]
							}
						}
					})
				}
				batch.Wait()
			}
		})
	}
	return &workers
}

// finishLine tracks the ends of the workflows of a run: per workflow id, a
// channel closed when its last task is completed (whoever comes first,
// starter or worker, makes it); and all, closed when want have ended.
type finishLine struct {
	want   int64
	ended  atomic.Int64
	all    chan struct{}
	ends   sync.Map // workflow id -> chan struct{}
	counts sync.Map // workflow id -> *atomic.Int64, for tick
}

func newFinishLine(want int) *finishLine {
	return &finishLine{want: int64(want), all: make(chan struct{})}
}

func (f *finishLine) of(id string) chan struct{} {
	ch, _ := f.ends.LoadOrStore(id, make(chan struct{}))
	return ch.(chan struct{})
}

func (f *finishLine) end(id string) {
	close(f.of(id))
	if f.ended.Add(1) == f.want {
		close(f.all)
	}
}

// tick counts a completed task of a workflow and ends the workflow with
// its last, the last-th; it reports whether that was the last.
func (f *finishLine) tick(id string, last int64) bool {
	n, _ := f.counts.LoadOrStore(id, new(atomic.Int64))
	if n.(*atomic.Int64).Add(1) != last {
		return false
	}
	f.end(id)
	return true
}

// count is how many tasks of a workflow tick counted.
func (f *finishLine) count(id string) int64 {
	if n, ok := f.counts.Load(id); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

// await waits until done is closed or the load stops; after limit, it
// fails the run with the error late returns.
func (r *benchRun) await(done <-chan struct{}, limit time.Duration, late func() error) {
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	select {
	case <-done:
	case <-r.ctx.Done():
	case <-timeout.C:
		r.fail(late())
	}
}

// starters start workflows, each keeping one in flight.
type starters struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	lats []time.Duration // from each start call to the workflow's end
	ids  []string        // of the workflows that ended
}

// startWorkflows starts cfg.workflows workflows of a definition with
// cfg.concurrency starters, each of which starts one, waits for its end and
// starts the next, until all are started or the load stops.
func (r *benchRun) startWorkflows(cfg benchConfig, name string, fl *finishLine) *starters {
	s := &starters{lats: make([]time.Duration, 0, cfg.workflows), ids: make([]string, 0, cfg.workflows)}
	var next atomic.Int64
	for range cfg.concurrency {
		s.wg.Go(func() {
			for r.ctx.Err() == nil {
				n := next.Add(1)
				if n > int64(cfg.workflows) {
					return
				}
				t := time.Now()
				id, err := r.c.StartWorkflow(r.ctx, &workflow.StartRequest{Name: name, Input: map[string]any{"n": n}})
				if err != nil {
					r.fail(fmt.Errorf("start: %w", err))
					return
				}
				select {
				case <-fl.of(id):
				case <-r.ctx.Done():
					return
				}
				s.mu.Lock()
				s.lats = append(s.lats, time.Since(t))
				s.ids = append(s.ids, id)
				s.mu.Unlock()
			}
		})
	}
	return s
}

// benchResult are the figures of one chain run.
type benchResult struct {
	cfg       benchConfig
	elapsed   time.Duration
	latencies []time.Duration
}

// benchChain runs N workflows of K sequential tasks.
func benchChain(ctx context.Context, cfg benchConfig, _ func() time.Duration) (benchReport, error) {
	r := newBenchRun(ctx, cfg.server)
	defer r.close()
	def := &workflow.WorkflowDef{Name: fmt.Sprintf("bench_%d", cfg.tasks), Version: 1, SchemaVersion: 2}
	for i := range cfg.tasks {
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{
			Name: benchTask, TaskReferenceName: fmt.Sprintf("t%d", i+1), Type: workflow.TypeSimple,
			InputParameters: map[string]any{"n": "${workflow.input.n}"},
		})
	}
	if err := r.register(def); err != nil {
		return nil, err
	}
	lastRef := fmt.Sprintf("t%d", cfg.tasks)
	fl := newFinishLine(cfg.workflows)
	workers := r.startWorkers(cfg, true, func(t *workflow.Task, _ time.Duration) {
		if t.ReferenceTaskName == lastRef {
			fl.end(t.WorkflowInstanceID)
		}
	})
	began := time.Now()
	st := r.startWorkflows(cfg, def.Name, fl)
	r.await(fl.all, 5*time.Minute, func() error {
		return fmt.Errorf("bench: only %d of %d workflows completed within 5 minutes", fl.ended.Load(), cfg.workflows)
	})
	elapsed := time.Since(began)
	r.stop()
	st.wg.Wait()
	workers.Wait()
	if err := r.failure(); err != nil {
		return nil, err
	}
	res := &benchResult{cfg: cfg, elapsed: elapsed, latencies: st.lats}
	slices.Sort(res.latencies)
	return res, nil
}

// percentile is the p-th (0 to 1) of sorted durations; 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func (r *benchResult) percentile(p float64) time.Duration { return percentile(r.latencies, p) }

func (r *benchResult) print(w io.Writer, label string, s *serverStats) {
	n := float64(r.cfg.workflows)
	secs := r.elapsed.Seconds()
	fmt.Fprintf(w, "== %s: N=%d K=%d C=%d W=%d batch=%d\n", label, r.cfg.workflows, r.cfg.tasks, r.cfg.concurrency, r.cfg.workers, r.cfg.batch)
	fmt.Fprintf(w, "workflows/s    %.0f\n", n/secs)
	fmt.Fprintf(w, "tasks/s        %.0f\n", n*float64(r.cfg.tasks)/secs)
	fmt.Fprintf(w, "latency p50    %s\n", r.percentile(0.50).Round(10*time.Microsecond))
	fmt.Fprintf(w, "latency p90    %s\n", r.percentile(0.90).Round(10*time.Microsecond))
	fmt.Fprintf(w, "latency p99    %s\n", r.percentile(0.99).Round(10*time.Microsecond))
	if s != nil {
		fmt.Fprintf(w, "server CPU/wf  %s\n", (s.cpu / time.Duration(r.cfg.workflows)).Round(time.Microsecond))
		fmt.Fprintf(w, "server RSS     idle %.1f MB, peak %.1f MB\n", float64(s.idleRSS)/1e6, float64(s.peakRSS)/1e6)
		fmt.Fprintf(w, "ready after    %s\n", s.ready.Round(time.Millisecond))
	}
}
