package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// The crash test runs the server in a child process: this test binary,
// re-executed with these variables set.
const (
	envServeAddr = "BATON_CRASH_SERVE_ADDR"
	envServeDir  = "BATON_CRASH_SERVE_DIR"
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(envServeAddr); addr != "" {
		err := server.Run(context.Background(), server.Config{Addr: addr, DataDir: os.Getenv(envServeDir)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is the server process.
type child struct {
	t    *testing.T
	addr string
	dir  string
	cmd  *exec.Cmd
}

func (c *child) start() {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envServeAddr+"="+c.addr, envServeDir+"="+c.dir)
	cmd.Stderr = os.Stderr
	require.NoError(c.t, cmd.Start())
	c.cmd = cmd
	require.Eventually(c.t, func() bool {
		res, err := http.Get("http://" + c.addr + "/health")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 20*time.Second, 5*time.Millisecond, "the server did not come up")
}

func (c *child) kill() {
	c.cmd.Process.Kill() // SIGKILL: no shutdown, no flush
	c.cmd.Wait()
}

// history is what the clients saw: every acknowledged operation.
type history struct {
	mu       sync.Mutex
	started  []string                    // acknowledged workflow starts
	accepted map[string][]map[string]any // task id -> outputs of acknowledged completions
	refused  int
}

// TestKill9 kills the server with SIGKILL at random moments while hundreds of
// workflows run, restarts it each time, and then checks the recorded history
// against the final state: every acknowledged start completes (I1, I3), no
// task has two acknowledged completions (I2), every acknowledged completion
// is in the state with the output that was sent (I3), successors start only
// after their predecessor ended (I4), and retries stay within the policy
// (I5).
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("the kill -9 test takes about half a minute")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	srv := &child{t: t, addr: addr, dir: t.TempDir()}
	srv.start()
	defer func() { srv.kill() }()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := client.New("http://"+addr, client.WithHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	const (
		tasks   = 3
		retries = 50
	)
	require.NoError(t, c.RegisterTaskDefs(ctx, &workflow.TaskDef{
		Name: "crash_work", RetryCount: ptr(retries), RetryDelaySeconds: ptr(int64(0)), ResponseTimeoutSeconds: ptr(int64(2)),
	}))
	def := &workflow.WorkflowDef{Name: "crash", Version: 1}
	for i := range tasks {
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{Name: "crash_work", TaskReferenceName: fmt.Sprintf("s%d", i+1), Type: "SIMPLE"})
	}
	_, err = c.RegisterWorkflowDef(ctx, def, true, false)
	require.NoError(t, err)
	for _, d := range operatorDefs() {
		_, err = c.RegisterWorkflowDef(ctx, d, true, false)
		require.NoError(t, err)
	}

	h := &history{accepted: map[string][]map[string]any{}}
	var (
		wg       sync.WaitGroup
		startsOn atomic.Bool
		nonce    atomic.Int64
	)
	startsOn.Store(true)
	// Starters: keep hundreds of workflows running through the kills.
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil && startsOn.Load(); n++ {
				name := "crash"
				if n%3 == 2 {
					name = "crash_ops"
				}
				id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: name})
				if err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				h.mu.Lock()
				h.started = append(h.started, id)
				h.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	// Workers: complete every task, retrying updates across restarts.
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker := fmt.Sprintf("w%d", w)
			for ctx.Err() == nil {
				polled, err := c.PollTasks(ctx, "crash_work", worker, "", 4, 200*time.Millisecond)
				if err != nil {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				for _, task := range polled {
					out := map[string]any{"nonce": fmt.Sprint(nonce.Add(1))}
					for attempt := 0; ctx.Err() == nil; attempt++ {
						err := c.UpdateTask(ctx, &workflow.TaskResult{
							TaskID: task.TaskID, WorkflowInstanceID: task.WorkflowInstanceID, PollCount: task.PollCount,
							Status: workflow.TaskCompleted, OutputData: out,
						})
						h.mu.Lock()
						switch {
						case err == nil:
							h.accepted[task.TaskID] = append(h.accepted[task.TaskID], out)
						case connect.CodeOf(err) == connect.CodeFailedPrecondition:
							h.refused++
						}
						h.mu.Unlock()
						if err == nil || connect.CodeOf(err) == connect.CodeFailedPrecondition || attempt > 50 {
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
				}
			}
		}()
	}

	const kills = 20
	for i := range kills {
		time.Sleep(time.Duration(150+rand.IntN(450)) * time.Millisecond)
		srv.kill()
		srv.start()
		t.Logf("kill %d done", i+1)
	}
	startsOn.Store(false)

	// Wait for every acknowledged workflow to end.
	h.mu.Lock()
	started := append([]string(nil), h.started...)
	h.mu.Unlock()
	// Hundreds on a quiet machine; a loaded one (a CI run beside other
	// jobs) got 154 through.
	require.Greater(t, len(started), 100, "many workflows ran through the kills")
	final := map[string]*workflow.Workflow{}
	var lost []string
	require.Eventually(t, func() bool {
		for _, id := range started {
			if final[id] != nil {
				continue
			}
			w, err := c.Workflow(ctx, id, true)
			if client.IsNotFound(err) {
				lost = append(lost, id)
				w = &workflow.Workflow{Status: workflow.StatusTerminated}
			} else if err != nil {
				return false
			}
			if !w.Status.Terminal() {
				return false
			}
			final[id] = w
		}
		return true
	}, 60*time.Second, 50*time.Millisecond, "every acknowledged workflow completes")
	cancel()
	wg.Wait()
	require.Empty(t, lost, "I3: acknowledged starts lost")

	h.mu.Lock()
	defer h.mu.Unlock()
	tasksByID := map[string]*workflow.Task{}
	ops := 0
	for _, id := range started {
		w := final[id]
		require.Equal(t, workflow.StatusCompleted, w.Status, "workflow %s: %s", id, w.ReasonForIncompletion)
		if w.WorkflowName == "crash_ops" {
			ops++
			checkOperators(t, context.Background(), c, w)
			for _, task := range w.Tasks {
				tasksByID[task.TaskID] = task
			}
			continue
		}
		var prevEnd int64
		for i := 1; i <= tasks; i++ {
			var done *workflow.Task
			for _, task := range w.Tasks {
				tasksByID[task.TaskID] = task
				if task.ReferenceTaskName == fmt.Sprintf("s%d", i) {
					require.LessOrEqual(t, task.RetryCount, retries, "I5: retries within the policy")
					require.GreaterOrEqual(t, task.ScheduledTime, prevEnd, "I4: s%d scheduled before its predecessor ended", i)
					if task.Status == workflow.TaskCompleted {
						require.Nil(t, done, "one completed attempt per task")
						done = task
					}
				}
			}
			require.NotNil(t, done, "workflow %s: s%d completed", id, i)
			prevEnd = done.EndTime
		}
	}
	acked := 0
	for taskID, outs := range h.accepted {
		require.Len(t, outs, 1, "I2: task %s had %d acknowledged completions", taskID, len(outs))
		task := tasksByID[taskID]
		if task == nil {
			continue // a task of a workflow whose start was not acknowledged
		}
		acked++
		require.Equal(t, workflow.TaskCompleted, task.Status, "I3: acknowledged completion of %s lost", taskID)
		require.Equal(t, outs[0]["nonce"], task.OutputData["nonce"], "I3: task %s has the acknowledged output", taskID)
	}
	events := checkHistories(t, srv, final)
	t.Logf("%d kills, %d acknowledged workflows (%d with operators), %d acknowledged completions checked, %d refused duplicate or stale updates, %d history events checked",
		kills, len(started), ops, acked, h.refused, events)
}

// checkHistories stops the server and reads the histories of the workflows
// from its data directory: each recorded its start and its completion once,
// and each task of an operator workflow its end once (a JOIN completed
// twice, or a timer fired twice, would record it twice). It returns the
// number of events read.
func checkHistories(t *testing.T, srv *child, final map[string]*workflow.Workflow) int {
	t.Helper()
	srv.kill()
	st, err := badgerstore.Open(badgerstore.Options{Dir: srv.dir})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	n := 0
	for id, w := range final {
		events, err := st.HistoryList(ctx, id)
		require.NoError(t, err)
		n += len(events)
		seen := map[string]int{}
		for _, ev := range events {
			seen[ev.Type+" "+ev.TaskID]++
		}
		require.Equal(t, 1, seen["WORKFLOW_STARTED "], "workflow %s started once", id)
		require.Equal(t, 1, seen["WORKFLOW_COMPLETED "], "workflow %s completed once", id)
		if w.WorkflowName != "crash_ops" {
			continue
		}
		for _, task := range w.Tasks {
			if task.Status != workflow.TaskCompleted {
				continue // a failed attempt, retried
			}
			require.Equal(t, 1, seen["TASK_COMPLETED "+task.TaskID], "workflow %s: the end of %s (%s) recorded once", id, task.ReferenceTaskName, task.TaskType)
		}
	}
	return n
}

// operatorDefs are the workflows with operators the kill -9 test runs: a
// FORK whose branches hold a WAIT timer, a SUB_WORKFLOW and a worker task,
// then a DO_WHILE of worker tasks.
func operatorDefs() []*workflow.WorkflowDef {
	work := func(ref string) *workflow.WorkflowTask {
		return &workflow.WorkflowTask{Name: "crash_work", TaskReferenceName: ref, Type: workflow.TypeSimple}
	}
	return []*workflow.WorkflowDef{{
		Name: "crash_child", Version: 1, Tasks: []*workflow.WorkflowTask{work("c1")},
	}, {
		Name: "crash_ops", Version: 1, Tasks: []*workflow.WorkflowTask{
			{Name: "fork", TaskReferenceName: "fork", Type: workflow.TypeForkJoin, ForkTasks: [][]*workflow.WorkflowTask{
				{{Name: "timer", TaskReferenceName: "timer", Type: workflow.TypeWait, InputParameters: map[string]any{"duration": "1s"}}},
				{{Name: "child", TaskReferenceName: "child", Type: workflow.TypeSubWorkflow, SubWorkflowParam: &workflow.SubWorkflowParams{Name: "crash_child"}}},
				{work("b1")},
			}},
			{Name: "join", TaskReferenceName: "join", Type: workflow.TypeJoin, JoinOn: []string{"timer", "child", "b1"}},
			{Name: "loop", TaskReferenceName: "loop", Type: workflow.TypeDoWhile, LoopCondition: "$.loop.iteration < 2",
				LoopOver: []*workflow.WorkflowTask{work("l1")}},
		},
	}}
}

// checkOperators checks a completed crash_ops execution: one JOIN, completed
// once; one timer, fired once; every branch there; the child completed; the
// loop ran its two iterations.
func checkOperators(t *testing.T, ctx context.Context, c *client.Client, w *workflow.Workflow) {
	t.Helper()
	count := map[string]int{}
	completed := map[string]int{}
	for _, task := range w.Tasks {
		count[task.ReferenceTaskName]++
		if task.Status == workflow.TaskCompleted {
			completed[task.ReferenceTaskName]++
		}
	}
	for _, ref := range []string{"fork", "join", "timer", "child", "loop"} {
		require.Equal(t, 1, count[ref], "workflow %s: one %s task (a JOIN or timer that ran twice would show twice)", w.WorkflowID, ref)
		require.Equal(t, 1, completed[ref], "workflow %s: %s completed", w.WorkflowID, ref)
	}
	for _, ref := range []string{"b1", "l1__1", "l1__2"} {
		require.Equal(t, 1, completed[ref], "workflow %s: %s completed once (no branch or iteration lost)", w.WorkflowID, ref)
	}
	for _, task := range w.Tasks {
		if task.ReferenceTaskName == "child" {
			child, err := c.Workflow(ctx, task.SubWorkflowID, true)
			require.NoError(t, err)
			require.Equal(t, workflow.StatusCompleted, child.Status)
			require.Equal(t, w.WorkflowID, child.ParentWorkflowID)
		}
	}
}

func ptr[T any](v T) *T { return &v }
