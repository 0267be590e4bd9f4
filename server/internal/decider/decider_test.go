package decider

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// bundle is one table case's world: a definition, task definitions and a
// running execution built by applying events.
type bundle struct {
	t        *testing.T
	def      *workflow.WorkflowDef
	taskDefs map[string]*workflow.TaskDef
	w        *workflow.Workflow
	ids      int
	jitter   int64
	// decided and wakeAt are what the engine passes on from the last
	// accepted decision, so that the cases exercise the decisions that
	// look only at the tasks they change.
	decided bool
	wakeAt  time.Time
}

func setup(t *testing.T, def *workflow.WorkflowDef, taskDefs ...*workflow.TaskDef) *bundle {
	t.Helper()
	b := &bundle{t: t, def: def, taskDefs: map[string]*workflow.TaskDef{}}
	for _, d := range taskDefs {
		b.taskDefs[d.Name] = d
	}
	b.w = &workflow.Workflow{
		WorkflowID:         "wf",
		WorkflowName:       def.Name,
		WorkflowVersion:    1,
		Input:              map[string]any{"x": "in"},
		WorkflowDefinition: def,
	}
	return b
}

// do applies an event at t0+at, as the first event of a commit, and returns
// the result or the error.
func (b *bundle) do(at time.Duration, ev Event) (*Result, error) {
	return b.decide(at, ev, true)
}

// more applies an event that follows another in the same commit.
func (b *bundle) more(at time.Duration, ev Event) *Result {
	b.t.Helper()
	res, err := b.decide(at, ev, false)
	require.NoError(b.t, err)
	return res
}

func (b *bundle) decide(at time.Duration, ev Event, first bool) (*Result, error) {
	res, err := Decide(Input{
		Now:      t0.Add(at),
		Workflow: b.w,
		TaskDef:  func(name string) *workflow.TaskDef { return b.taskDefs[name] },
		NewID:    func() string { b.ids++; return fmt.Sprintf("t%d", b.ids) },
		Jitter:   func(max int64) int64 { return min(b.jitter, max) },
		Event:    ev,
		Continue: first,
		Decided:  b.decided,
		WakeAt:   b.wakeAt,
	})
	if err == nil {
		b.decided, b.wakeAt = true, res.WakeAt
	}
	return res, err
}

// must applies an event that must be accepted.
func (b *bundle) must(at time.Duration, ev Event) *Result {
	b.t.Helper()
	res, err := b.do(at, ev)
	require.NoError(b.t, err)
	return res
}

func (b *bundle) task(ref string) *workflow.Task {
	b.t.Helper()
	task := b.w.TaskByRef(ref)
	require.NotNil(b.t, task, "task %s", ref)
	return task
}

func (b *bundle) statuses() []string {
	var out []string
	for _, t := range b.w.Tasks {
		out = append(out, t.ReferenceTaskName+":"+string(t.Status))
	}
	return out
}

func complete(id string) Update {
	return Update{Result: &workflow.TaskResult{TaskID: id, Status: workflow.TaskCompleted, OutputData: map[string]any{"by": id}}}
}

func fail(id string, status workflow.TaskStatus) Update {
	return Update{Result: &workflow.TaskResult{TaskID: id, Status: status, ReasonForIncompletion: "boom"}}
}

func chain(n int, mod func(i int, wt *workflow.WorkflowTask)) *workflow.WorkflowDef {
	def := &workflow.WorkflowDef{Name: "chain", Version: 1, SchemaVersion: 2}
	for i := range n {
		wt := &workflow.WorkflowTask{
			Name:              "work",
			TaskReferenceName: fmt.Sprintf("s%d", i+1),
			Type:              workflow.TypeSimple,
			InputParameters:   map[string]any{"x": "${workflow.input.x}"},
		}
		if mod != nil {
			mod(i, wt)
		}
		def.Tasks = append(def.Tasks, wt)
	}
	return def
}

func work(mod func(d *workflow.TaskDef)) *workflow.TaskDef {
	d := &workflow.TaskDef{Name: "work", RetryCount: ptr(0), ResponseTimeoutSeconds: ptr(int64(30))}
	if mod != nil {
		mod(d)
	}
	return d
}

// runFirst starts the execution and leases its first task at t0.
func (b *bundle) runFirst() *workflow.Task {
	b.must(0, Start{})
	b.must(0, Lease{TaskID: b.w.Tasks[0].TaskID, WorkerID: "w1"})
	return b.w.Tasks[0]
}

func TestStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		def        *workflow.WorkflowDef
		wantStatus workflow.Status
		wantTasks  []string
		check      func(t *testing.T, b *bundle, res *Result)
	}{
		{
			name:       "schedules the first task with mapped input",
			def:        chain(3, nil),
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:SCHEDULED"},
			check: func(t *testing.T, b *bundle, res *Result) {
				s1 := b.task("s1")
				require.Equal(t, "work", s1.TaskType)
				require.Equal(t, "in", s1.InputData["x"])
				require.Equal(t, t0.UnixMilli(), s1.VisibleTime)
				require.Equal(t, 1, s1.Seq)
				require.True(t, res.WakeAt.IsZero(), "nothing can time out yet")
				require.Len(t, res.Changed, 1)
			},
		},
		{
			name:       "startDelay hides the task",
			def:        chain(1, func(_ int, wt *workflow.WorkflowTask) { wt.StartDelay = 5 }),
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:SCHEDULED"},
			check: func(t *testing.T, b *bundle, _ *Result) {
				require.Equal(t, t0.Add(5*time.Second).UnixMilli(), b.task("s1").VisibleTime)
			},
		},
		{
			name:       "an empty workflow completes at once",
			def:        &workflow.WorkflowDef{Name: "empty", Version: 1},
			wantStatus: workflow.StatusCompleted,
		},
		{
			name: "inputTemplate fills missing input",
			def: func() *workflow.WorkflowDef {
				d := chain(1, func(_ int, wt *workflow.WorkflowTask) {
					wt.InputParameters = map[string]any{"y": "${workflow.input.y}"}
				})
				d.InputTemplate = map[string]any{"y": "default"}
				return d
			}(),
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:SCHEDULED"},
			check: func(t *testing.T, b *bundle, _ *Result) {
				require.Equal(t, "default", b.task("s1").InputData["y"])
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.def, work(nil))
			res := b.must(0, Start{})
			require.Equal(t, tt.wantStatus, b.w.Status)
			require.Equal(t, tt.wantTasks, b.statuses())
			require.True(t, res.StatusChanged)
			if tt.check != nil {
				tt.check(t, b, res)
			}
		})
	}
}

func TestWorkerUpdates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		def  *workflow.WorkflowDef
		td   *workflow.TaskDef
		// run drives the execution; it returns the error of the event
		// under test.
		run        func(b *bundle) error
		wantErr    Code
		wantStatus workflow.Status
		wantTasks  []string
		check      func(t *testing.T, b *bundle)
	}{
		{
			name: "completion schedules the next task",
			def:  chain(3, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				_, err := b.do(time.Second, complete(s1.TaskID))
				return err
			},
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:COMPLETED", "s2:SCHEDULED"},
			check: func(t *testing.T, b *bundle) {
				s1 := b.task("s1")
				require.True(t, s1.Executed)
				require.Equal(t, map[string]any{"by": s1.TaskID}, s1.OutputData)
				require.Equal(t, t0.Add(time.Second).UnixMilli(), s1.EndTime)
			},
		},
		{
			name: "the last completion completes the workflow with outputParameters",
			def: func() *workflow.WorkflowDef {
				d := chain(1, nil)
				d.OutputParameters = map[string]any{"result": "${s1.output.by}"}
				return d
			}(),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				_, err := b.do(time.Second, complete(s1.TaskID))
				return err
			},
			wantStatus: workflow.StatusCompleted,
			wantTasks:  []string{"s1:COMPLETED"},
			check: func(t *testing.T, b *bundle) {
				require.Equal(t, map[string]any{"result": b.task("s1").TaskID}, b.w.Output)
				require.Equal(t, t0.Add(time.Second).UnixMilli(), b.w.EndTime)
			},
		},
		{
			name: "without outputParameters the output is the last task's",
			def:  chain(1, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				_, err := b.do(time.Second, complete(s1.TaskID))
				return err
			},
			wantStatus: workflow.StatusCompleted,
			wantTasks:  []string{"s1:COMPLETED"},
			check: func(t *testing.T, b *bundle) {
				require.Equal(t, map[string]any{"by": b.task("s1").TaskID}, b.w.Output)
			},
		},
		{
			name: "a duplicate completion is refused",
			def:  chain(2, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				b.must(time.Second, complete(s1.TaskID))
				_, err := b.do(2*time.Second, complete(s1.TaskID))
				return err
			},
			wantErr:    FailedPrecondition,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:COMPLETED", "s2:SCHEDULED"},
		},
		{
			name: "a completion from an ended lease is refused",
			def:  chain(1, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				b.must(time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, Status: workflow.TaskInProgress}})
				b.must(2*time.Second, Lease{TaskID: s1.TaskID, WorkerID: "w2"})
				_, err := b.do(3*time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, Status: workflow.TaskCompleted, PollCount: 1}})
				return err
			},
			wantErr:    FailedPrecondition,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:IN_PROGRESS"},
			check: func(t *testing.T, b *bundle) {
				require.Equal(t, 2, b.task("s1").PollCount)
				require.Equal(t, "w2", b.task("s1").WorkerID)
			},
		},
		{
			name: "a status a worker cannot report is refused",
			def:  chain(1, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				_, err := b.do(time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, Status: workflow.TaskSkipped}})
				return err
			},
			wantErr:    InvalidArgument,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:IN_PROGRESS"},
		},
		{
			name: "an unknown task is refused",
			def:  chain(1, nil),
			run: func(b *bundle) error {
				b.runFirst()
				_, err := b.do(time.Second, complete("nope"))
				return err
			},
			wantErr:    NotFound,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:IN_PROGRESS"},
		},
		{
			name: "IN_PROGRESS with callbackAfterSeconds goes back to the queue",
			def:  chain(1, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				_, err := b.do(time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, Status: workflow.TaskInProgress, CallbackAfterSeconds: 10, OutputData: map[string]any{"step": 1}}})
				return err
			},
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:SCHEDULED"},
			check: func(t *testing.T, b *bundle) {
				s1 := b.task("s1")
				require.Equal(t, t0.Add(11*time.Second).UnixMilli(), s1.VisibleTime)
				require.Equal(t, int64(10), s1.CallbackAfterSeconds)
				require.Equal(t, map[string]any{"step": 1}, s1.OutputData)
				_, err := b.do(5*time.Second, Lease{TaskID: s1.TaskID})
				require.Error(t, err, "not visible before the callback")
			},
		},
		{
			name: "extendLease moves the response deadline",
			def:  chain(1, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				res, err := b.do(20*time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, ExtendLease: true, PollCount: 1}})
				if err == nil && !res.WakeAt.Equal(t0.Add(50*time.Second)) {
					return fmt.Errorf("wake at %v", res.WakeAt)
				}
				return err
			},
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:IN_PROGRESS"},
		},
		{
			name: "logs in a result are returned for the store",
			def:  chain(1, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				res, err := b.do(time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, Status: workflow.TaskCompleted, Logs: []workflow.TaskExecLog{{Log: "hello"}}}})
				if err == nil && (len(res.Logs) != 1 || res.Logs[0].TaskID != s1.TaskID || res.Logs[0].CreatedTime == 0) {
					return fmt.Errorf("logs %+v", res.Logs)
				}
				return err
			},
			wantStatus: workflow.StatusCompleted,
			wantTasks:  []string{"s1:COMPLETED"},
		},
		{
			name: "a worker's CANCELED terminates the workflow",
			def:  chain(2, nil),
			run: func(b *bundle) error {
				s1 := b.runFirst()
				_, err := b.do(time.Second, fail(s1.TaskID, workflow.TaskCanceled))
				return err
			},
			wantStatus: workflow.StatusTerminated,
			wantTasks:  []string{"s1:CANCELED"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			td := tt.td
			if td == nil {
				td = work(nil)
			}
			b := setup(t, tt.def, td)
			err := tt.run(b)
			if tt.wantErr != 0 {
				var r *Rejection
				require.ErrorAs(t, err, &r)
				require.Equal(t, tt.wantErr, r.Code, r.Msg)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.wantStatus, b.w.Status)
			require.Equal(t, tt.wantTasks, b.statuses())
			if tt.check != nil {
				tt.check(t, b)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		td        *workflow.TaskDef
		wt        func(wt *workflow.WorkflowTask)
		attempts  int // failed attempts before the one checked
		status    workflow.TaskStatus
		jitter    int64
		wantDelay time.Duration // of the next attempt; -1 for none
		wantWF    workflow.Status
	}{
		{name: "FIXED waits retryDelaySeconds", td: work(func(d *workflow.TaskDef) { d.RetryCount = ptr(3); d.RetryDelaySeconds = ptr(int64(7)) }), wantDelay: 7 * time.Second, wantWF: workflow.StatusRunning},
		{name: "default delay is 60s", td: work(func(d *workflow.TaskDef) { d.RetryCount = ptr(1) }), wantDelay: 60 * time.Second, wantWF: workflow.StatusRunning},
		{name: "EXPONENTIAL_BACKOFF doubles", td: work(func(d *workflow.TaskDef) {
			d.RetryCount = ptr(5)
			d.RetryDelaySeconds = ptr(int64(2))
			d.RetryLogic = workflow.RetryExponential
		}), attempts: 2, wantDelay: 8 * time.Second, wantWF: workflow.StatusRunning},
		{name: "LINEAR_BACKOFF scales", td: work(func(d *workflow.TaskDef) {
			d.RetryCount = ptr(5)
			d.RetryDelaySeconds = ptr(int64(2))
			d.RetryLogic = workflow.RetryLinear
			d.BackoffScaleFactor = ptr(3)
		}), attempts: 1, wantDelay: 12 * time.Second, wantWF: workflow.StatusRunning},
		{name: "maxRetryDelaySeconds caps", td: work(func(d *workflow.TaskDef) {
			d.RetryCount = ptr(9)
			d.RetryDelaySeconds = ptr(int64(10))
			d.RetryLogic = workflow.RetryExponential
			d.MaxRetryDelaySeconds = 25
		}), attempts: 3, wantDelay: 25 * time.Second, wantWF: workflow.StatusRunning},
		{name: "backoffJitterMs adds jitter", td: work(func(d *workflow.TaskDef) {
			d.RetryCount = ptr(1)
			d.RetryDelaySeconds = ptr(int64(1))
			d.BackoffJitterMs = 500
		}), jitter: 300, wantDelay: 1300 * time.Millisecond, wantWF: workflow.StatusRunning},
		{name: "the workflow task's retryCount overrides", td: work(func(d *workflow.TaskDef) { d.RetryCount = ptr(5) }), wt: func(wt *workflow.WorkflowTask) { wt.RetryCount = ptr(0) }, wantDelay: -1, wantWF: workflow.StatusFailed},
		{name: "no retries left fails the workflow", td: work(func(d *workflow.TaskDef) { d.RetryCount = ptr(2) }), attempts: 2, wantDelay: -1, wantWF: workflow.StatusFailed},
		{name: "FAILED_WITH_TERMINAL_ERROR is not retried", td: work(func(d *workflow.TaskDef) { d.RetryCount = ptr(3) }), status: workflow.TaskFailedWithTerminalError, wantDelay: -1, wantWF: workflow.StatusFailed},
		{name: "a retry past totalTimeoutSeconds is not made", td: work(func(d *workflow.TaskDef) {
			d.RetryCount = ptr(3)
			d.RetryDelaySeconds = ptr(int64(100))
			d.TotalTimeoutSeconds = 50
		}), wantDelay: -1, wantWF: workflow.StatusFailed},
		{name: "an optional task is excused", td: work(nil), wt: func(wt *workflow.WorkflowTask) { wt.Optional = true }, wantDelay: -1, wantWF: workflow.StatusCompleted},
		{name: "a permissive task lets the workflow go on, then fails it", td: work(nil), wt: func(wt *workflow.WorkflowTask) { wt.Permissive = true }, wantDelay: -1, wantWF: workflow.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := chain(1, func(_ int, wt *workflow.WorkflowTask) {
				if tt.wt != nil {
					tt.wt(wt)
				}
			})
			b := setup(t, def, tt.td)
			b.jitter = tt.jitter
			status := tt.status
			if status == "" {
				status = workflow.TaskFailed
			}
			b.must(0, Start{})
			at := time.Duration(0)
			for i := 0; i <= tt.attempts; i++ {
				cur := b.w.Tasks[len(b.w.Tasks)-1]
				require.Equal(t, workflow.TaskScheduled, cur.Status)
				at = time.Duration(cur.VisibleTime-t0.UnixMilli()) * time.Millisecond
				b.must(at, Lease{TaskID: cur.TaskID})
				b.must(at, fail(cur.TaskID, status))
			}
			last := b.w.Tasks[len(b.w.Tasks)-1]
			if tt.wantDelay < 0 {
				require.Len(t, b.w.Tasks, tt.attempts+1, "no new attempt")
			} else {
				require.Len(t, b.w.Tasks, tt.attempts+2)
				require.Equal(t, workflow.TaskScheduled, last.Status)
				require.Equal(t, tt.attempts+1, last.RetryCount)
				prev := b.w.Tasks[len(b.w.Tasks)-2]
				require.Equal(t, prev.TaskID, last.RetriedTaskID)
				require.True(t, prev.Retried)
				require.Equal(t, t0.Add(at+tt.wantDelay).UnixMilli(), last.VisibleTime)
			}
			require.Equal(t, tt.wantWF, b.w.Status)
			if tt.wantWF == workflow.StatusFailed && tt.wt == nil {
				require.Equal(t, []string{"s1"}, b.w.FailedReferenceTaskNames)
				require.Contains(t, b.w.ReasonForIncompletion, "boom")
			}
		})
	}
}

func TestOptionalTaskContinues(t *testing.T) {
	t.Parallel()
	b := setup(t, chain(2, func(i int, wt *workflow.WorkflowTask) { wt.Optional = i == 0 }), work(nil))
	s1 := b.runFirst()
	b.must(time.Second, fail(s1.TaskID, workflow.TaskFailed))
	require.Equal(t, []string{"s1:COMPLETED_WITH_ERRORS", "s2:SCHEDULED"}, b.statuses())
	require.Equal(t, workflow.StatusRunning, b.w.Status)
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		td   *workflow.TaskDef
		def  func(d *workflow.WorkflowDef)
		// lease: the first task is leased at t0 before the tick.
		lease      bool
		tickAt     time.Duration
		wantWake   time.Duration // before the tick; 0 for none
		wantStatus workflow.Status
		wantTasks  []string
		wantAlert  string
	}{
		{
			name:       "responseTimeoutSeconds times out and retries",
			td:         work(func(d *workflow.TaskDef) { d.RetryCount = ptr(1); d.RetryDelaySeconds = ptr(int64(0)) }),
			lease:      true,
			wantWake:   30 * time.Second,
			tickAt:     30 * time.Second,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:TIMED_OUT", "s1:SCHEDULED"},
		},
		{
			name:       "responseTimeoutSeconds with no retries times the workflow out",
			td:         work(nil),
			lease:      true,
			wantWake:   30 * time.Second,
			tickAt:     30 * time.Second,
			wantStatus: workflow.StatusTimedOut,
			wantTasks:  []string{"s1:TIMED_OUT"},
		},
		{
			name:       "a tick before any deadline changes nothing",
			td:         work(nil),
			lease:      true,
			wantWake:   30 * time.Second,
			tickAt:     29 * time.Second,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:IN_PROGRESS"},
		},
		{
			name: "pollTimeoutSeconds with RETRY retries",
			td: work(func(d *workflow.TaskDef) {
				d.PollTimeoutSeconds = ptr(int64(5))
				d.TimeoutPolicy = workflow.TimeoutRetry
				d.RetryCount = ptr(1)
				d.RetryDelaySeconds = ptr(int64(0))
			}),
			wantWake:   5 * time.Second,
			tickAt:     5 * time.Second,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:TIMED_OUT", "s1:SCHEDULED"},
		},
		{
			name: "pollTimeoutSeconds with TIME_OUT_WF times the workflow out at once",
			td: work(func(d *workflow.TaskDef) {
				d.PollTimeoutSeconds = ptr(int64(5))
				d.TimeoutPolicy = workflow.TimeoutWorkflow
				d.RetryCount = ptr(3)
			}),
			wantWake:   5 * time.Second,
			tickAt:     6 * time.Second,
			wantStatus: workflow.StatusTimedOut,
			wantTasks:  []string{"s1:TIMED_OUT"},
		},
		{
			name: "pollTimeoutSeconds with ALERT_ONLY only records",
			td: work(func(d *workflow.TaskDef) {
				d.PollTimeoutSeconds = ptr(int64(5))
				d.TimeoutPolicy = workflow.TimeoutAlertOnly
			}),
			wantWake:   5 * time.Second,
			tickAt:     5 * time.Second,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:SCHEDULED"},
			wantAlert:  "TASK_TIMEOUT_ALERT",
		},
		{
			name: "the response timeout comes before timeoutSeconds and retries",
			td: work(func(d *workflow.TaskDef) {
				d.TimeoutSeconds = 20
				d.ResponseTimeoutSeconds = ptr(int64(10))
				d.RetryCount = ptr(3)
			}),
			lease: true,
			// The response deadline (10s) comes first and retries;
			// timeoutSeconds itself is TestTaskTimeoutAfterCheckpoint.
			wantWake:   10 * time.Second,
			tickAt:     10 * time.Second,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:TIMED_OUT", "s1:SCHEDULED"},
		},
		{
			name:       "workflow timeoutSeconds with TIME_OUT_WF cancels open tasks",
			td:         work(nil),
			def:        func(d *workflow.WorkflowDef) { d.TimeoutSeconds = 8; d.TimeoutPolicy = workflow.TimeoutWorkflow },
			wantWake:   8 * time.Second,
			tickAt:     8 * time.Second,
			wantStatus: workflow.StatusTimedOut,
			wantTasks:  []string{"s1:CANCELED"},
		},
		{
			name:       "workflow timeoutSeconds with ALERT_ONLY records once",
			td:         work(nil),
			def:        func(d *workflow.WorkflowDef) { d.TimeoutSeconds = 8 },
			wantWake:   8 * time.Second,
			tickAt:     9 * time.Second,
			wantStatus: workflow.StatusRunning,
			wantTasks:  []string{"s1:SCHEDULED"},
			wantAlert:  "WORKFLOW_TIMEOUT_ALERT",
		},
		{
			name: "totalTimeoutSeconds ends retrying",
			td: work(func(d *workflow.TaskDef) {
				d.TotalTimeoutSeconds = 15
				d.RetryCount = ptr(5)
			}),
			lease:      true,
			wantWake:   15 * time.Second,
			tickAt:     15 * time.Second,
			wantStatus: workflow.StatusTimedOut,
			wantTasks:  []string{"s1:TIMED_OUT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def := chain(2, nil)
			if tt.def != nil {
				tt.def(def)
			}
			b := setup(t, def, tt.td)
			res := b.must(0, Start{})
			if tt.lease {
				res = b.must(0, Lease{TaskID: b.w.Tasks[0].TaskID, WorkerID: "w1"})
			}
			if tt.wantWake == 0 {
				require.True(t, res.WakeAt.IsZero())
			} else {
				require.Equal(t, t0.Add(tt.wantWake), res.WakeAt)
			}
			res = b.must(tt.tickAt, Tick{})
			require.Equal(t, tt.wantStatus, b.w.Status)
			require.Equal(t, tt.wantTasks, b.statuses())
			if tt.wantAlert != "" {
				require.Len(t, res.History, 1)
				require.Equal(t, tt.wantAlert, res.History[0].Type)
				require.False(t, res.WakeAt.Equal(t0.Add(tt.wantWake)), "an alert is not raised again")
				again := b.must(tt.tickAt+time.Second, Tick{})
				require.True(t, again.Noop(), "alerted once")
			}
			if tt.wantStatus.Terminal() {
				require.True(t, res.WakeAt.IsZero(), "a terminal workflow needs no timer")
			}
		})
	}
}

func TestTaskTimeoutAfterCheckpoint(t *testing.T) {
	t.Parallel()
	b := setup(t, chain(1, nil), work(func(d *workflow.TaskDef) {
		d.TimeoutSeconds = 20
		d.ResponseTimeoutSeconds = ptr(int64(10))
	}))
	s1 := b.runFirst()
	b.must(8*time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, ExtendLease: true}})
	res := b.must(16*time.Second, Update{Result: &workflow.TaskResult{TaskID: s1.TaskID, ExtendLease: true}})
	require.Equal(t, t0.Add(20*time.Second), res.WakeAt, "timeoutSeconds from the first start")
	b.must(20*time.Second, Tick{})
	require.Equal(t, workflow.StatusTimedOut, b.w.Status)
	require.Contains(t, s1.ReasonForIncompletion, "timeoutSeconds (20)")
}

func TestPauseResumeTerminate(t *testing.T) {
	t.Parallel()
	t.Run("a completion while paused waits for resume", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(2, nil), work(nil))
		s1 := b.runFirst()
		require.True(t, b.must(time.Second, Pause{}).StatusChanged)
		b.must(2*time.Second, complete(s1.TaskID))
		require.Equal(t, []string{"s1:COMPLETED"}, b.statuses())
		require.Equal(t, workflow.StatusPaused, b.w.Status)
		require.True(t, b.must(3*time.Second, Pause{}).Noop(), "pausing twice does nothing")
		b.must(4*time.Second, Resume{})
		require.Equal(t, []string{"s1:COMPLETED", "s2:SCHEDULED"}, b.statuses())
		_, err := b.do(5*time.Second, Resume{})
		var r *Rejection
		require.ErrorAs(t, err, &r)
		require.Equal(t, FailedPrecondition, r.Code)
	})
	t.Run("paused tasks are not leased", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(1, nil), work(nil))
		b.must(0, Start{})
		b.must(0, Pause{})
		_, err := b.do(0, Lease{TaskID: b.w.Tasks[0].TaskID})
		require.Error(t, err)
	})
	t.Run("terminate cancels open tasks and is idempotent", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(2, nil), work(nil))
		b.runFirst()
		b.must(time.Second, Terminate{Reason: "by hand"})
		require.Equal(t, workflow.StatusTerminated, b.w.Status)
		require.Equal(t, "by hand", b.w.ReasonForIncompletion)
		require.Equal(t, []string{"s1:CANCELED"}, b.statuses())
		require.True(t, b.must(2*time.Second, Terminate{}).Noop())
		_, err := b.do(3*time.Second, Pause{})
		require.Error(t, err)
	})
	t.Run("a completed workflow cannot be terminated", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(1, nil), work(nil))
		s1 := b.runFirst()
		b.must(time.Second, complete(s1.TaskID))
		_, err := b.do(2*time.Second, Terminate{})
		var r *Rejection
		require.ErrorAs(t, err, &r)
		require.Equal(t, FailedPrecondition, r.Code)
		require.Contains(t, r.Msg, "COMPLETED")
	})
	t.Run("a completion after terminate is refused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, chain(1, nil), work(nil))
		s1 := b.runFirst()
		b.must(time.Second, Terminate{})
		_, err := b.do(2*time.Second, complete(s1.TaskID))
		require.Error(t, err)
	})
}
