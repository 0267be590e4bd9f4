package main

import (
	"bufio"
	"context"
	"errors"
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
	server      string
	workflows   int
	tasks       int
	concurrency int
	workers     int
	batch       int
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "bench [flags]\n\nStarts a server on a temporary directory (a child process, so that its CPU and memory\nare measured apart from the load), or targets --server, and runs N workflows of K\nsequential SIMPLE tasks. C starters each keep one workflow in flight (start it, wait\nfor its last task to complete); W worker goroutines long-poll for tasks over HTTP and\ncomplete them, each completion fetching the next task in the same call. Latency is\nfrom the start call to the completion of the last task.", stderr)
	var cfg benchConfig
	fs.StringVar(&cfg.server, "server", "", "target this server instead of starting one (CPU and RSS are then not measured)")
	fs.IntVar(&cfg.workflows, "n", 2000, "workflows to run")
	fs.IntVar(&cfg.tasks, "k", 3, "sequential SIMPLE tasks per workflow")
	fs.IntVar(&cfg.concurrency, "c", 200, "starters, each keeping one workflow in flight")
	fs.IntVar(&cfg.workers, "w", 32, "worker goroutines polling the server")
	fs.IntVar(&cfg.batch, "batch", 16, "tasks per poll")
	syncMode := fs.String("sync", "both", "sync mode of the started server: on, off or both")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.workflows < 1 || cfg.tasks < 1 || cfg.concurrency < 1 || cfg.workers < 1 || cfg.batch < 1 {
		return errors.New("bench: -n, -k, -c, -w and -batch must be at least 1")
	}
	if cfg.server != "" {
		res, err := bench(ctx, cfg)
		if err != nil {
			return err
		}
		res.print(stdout, "target "+cfg.server, nil)
		return nil
	}
	modes := map[string][]bool{"on": {true}, "off": {false}, "both": {true, false}}[*syncMode]
	if modes == nil {
		return fmt.Errorf("bench: -sync must be on, off or both, not %q", *syncMode)
	}
	for _, sync := range modes {
		srv, err := startBenchServer(ctx, sync)
		if err != nil {
			return err
		}
		cfg.server = srv.url
		res, err := bench(ctx, cfg)
		stats := srv.stats()
		srv.stop()
		if err != nil {
			return err
		}
		label := "sync on (fsync per group commit)"
		if !sync {
			label = "sync off"
		}
		res.print(stdout, label, &stats)
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
}

func startBenchServer(ctx context.Context, sync bool) (*benchServer, error) {
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
	cmd.Stderr = io.Discard
	began := time.Now()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &benchServer{cmd: cmd, dir: dir, url: "http://" + addr}
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

// benchResult are the figures of one run.
type benchResult struct {
	cfg       benchConfig
	elapsed   time.Duration
	latencies []time.Duration
}

func bench(ctx context.Context, cfg benchConfig) (*benchResult, error) {
	// Close the connections when done: a connection that was opened but
	// never used (requests race for connections) holds up the graceful
	// shutdown of the target server for 5s.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
	defer tr.CloseIdleConnections()
	c := client.New(cfg.server, client.WithHTTPClient(&http.Client{Transport: tr}))
	taskName := "bench_task"
	wfName := fmt.Sprintf("bench_%d", cfg.tasks)
	zero := 0
	respTimeout := int64(60)
	if err := c.RegisterTaskDefs(ctx, &workflow.TaskDef{Name: taskName, RetryCount: &zero, ResponseTimeoutSeconds: &respTimeout}); err != nil {
		return nil, fmt.Errorf("register task definition: %w", err)
	}
	def := &workflow.WorkflowDef{Name: wfName, Version: 1, SchemaVersion: 2}
	for i := range cfg.tasks {
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{
			Name: taskName, TaskReferenceName: fmt.Sprintf("t%d", i+1), Type: workflow.TypeSimple,
			InputParameters: map[string]any{"n": "${workflow.input.n}"},
		})
	}
	if _, err := c.RegisterWorkflowDef(ctx, def, true, false); err != nil {
		return nil, fmt.Errorf("register workflow definition: %w", err)
	}
	lastRef := fmt.Sprintf("t%d", cfg.tasks)

	var (
		done    atomic.Int64
		allDone = make(chan struct{})
		failure atomic.Value
		// ends holds, per workflow id, a channel closed when its last task
		// is completed; whoever comes first (starter or worker) makes it.
		ends  sync.Map
		latMu sync.Mutex
		lats  = make([]time.Duration, 0, cfg.workflows)
	)
	endOf := func(id string) chan struct{} {
		ch, _ := ends.LoadOrStore(id, make(chan struct{}))
		return ch.(chan struct{})
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(err error) {
		if failure.CompareAndSwap(nil, err) {
			cancel()
		}
	}
	var workers sync.WaitGroup
	for w := range cfg.workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			id := fmt.Sprintf("bench-%d", w)
			for runCtx.Err() == nil {
				tasks, err := c.PollTasks(runCtx, taskName, id, "", cfg.batch, time.Second)
				if err != nil {
					if runCtx.Err() == nil {
						fail(fmt.Errorf("poll: %w", err))
					}
					return
				}
				// Complete the polled tasks concurrently, as a worker runs
				// them; each completion asks for the next task in the same
				// call, and the chain goes on until none is left. Then
				// long-poll again.
				var batch sync.WaitGroup
				for _, t := range tasks {
					batch.Add(1)
					go func() {
						defer batch.Done()
						for t != nil {
							next, err := c.UpdateTaskAndPoll(runCtx, &workflow.TaskResult{
								TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID, PollCount: t.PollCount, WorkerID: id,
								Status: workflow.TaskCompleted, OutputData: map[string]any{"n": t.InputData["n"]},
							}, taskName, "", 1)
							if err != nil {
								if runCtx.Err() == nil {
									fail(fmt.Errorf("update: %w", err))
								}
								return
							}
							if t.ReferenceTaskName == lastRef {
								close(endOf(t.WorkflowInstanceID))
								if done.Add(1) == int64(cfg.workflows) {
									close(allDone)
								}
							}
							t = nil
							if len(next) > 0 {
								t = next[0]
							}
						}
					}()
				}
				batch.Wait()
			}
		}()
	}
	var next atomic.Int64
	began := time.Now()
	var starters sync.WaitGroup
	for range cfg.concurrency {
		starters.Add(1)
		go func() {
			defer starters.Done()
			for runCtx.Err() == nil {
				n := next.Add(1)
				if n > int64(cfg.workflows) {
					return
				}
				t := time.Now()
				id, err := c.StartWorkflow(runCtx, &workflow.StartRequest{Name: wfName, Input: map[string]any{"n": n}})
				if err != nil {
					if runCtx.Err() == nil {
						fail(fmt.Errorf("start: %w", err))
					}
					return
				}
				select {
				case <-endOf(id):
				case <-runCtx.Done():
					return
				}
				latMu.Lock()
				lats = append(lats, time.Since(t))
				latMu.Unlock()
			}
		}()
	}
	timeout := time.NewTimer(5 * time.Minute)
	defer timeout.Stop()
	select {
	case <-allDone:
	case <-runCtx.Done():
	case <-timeout.C:
		fail(fmt.Errorf("bench: only %d of %d workflows completed within 5 minutes", done.Load(), cfg.workflows))
	}
	elapsed := time.Since(began)
	cancel()
	starters.Wait()
	workers.Wait()
	if err, _ := failure.Load().(error); err != nil {
		return nil, err
	}
	res := &benchResult{cfg: cfg, elapsed: elapsed, latencies: lats}
	slices.Sort(res.latencies)
	return res, nil
}

func (r *benchResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

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
