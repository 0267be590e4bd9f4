package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
)

// MaxDryRunSteps bounds the tasks one dry run goes through, so that a loop
// that never ends stops with a note rather than running the server out of
// time and memory.
const MaxDryRunSteps = 10_000

// DefaultDryRunTime is the default of Config.DryRunTime.
const DefaultDryRunTime = 30 * time.Second

// dryRunChunk bounds the steps of one decision of a dry run, so that the
// run checks its time and its caller between chunks: a loop of scripts
// would otherwise run its whole bound inside one decision (and the cost of
// a DO_WHILE iteration grows with the iterations before it).
const dryRunChunk = 20

// maxDryRunData bounds the inputs and outputs a dry run's result carries, so
// that a small request cannot make a response of gigabytes (10,000 steps of
// a large mock); the steps past it keep everything else.
const maxDryRunData = 2 << 20

// dryRunWorker is the worker id of the tasks a dry run completes.
const dryRunWorker = "dry-run"

// DryRun runs a workflow definition in memory with a mocked outcome per task
// and returns the path the decider took: the decider moves the execution
// exactly as it would for real, and whenever a task needs outside work
// (a worker, an HTTP call, a WAIT, a sub-workflow...) the dry run ends it
// with its mock. It writes nothing, queues nothing, sets no timer and
// calls out to nothing; scripts run through the engine's script runner,
// under its limits.
func (e *Engine) DryRun(ctx context.Context, req *workflow.DryRunRequest) (*workflow.DryRunResult, error) {
	if req == nil || req.WorkflowDef == nil {
		return nil, errorf(InvalidArgument, "no workflow definition given: send {\"workflowDef\": {...}, \"input\": {...}, \"mocks\": {...}}")
	}
	if diags := e.ValidateWorkflowDef(req.WorkflowDef); len(diags) > 0 {
		return nil, validationError("workflow definition", diags)
	}
	if err := checkMocks(req.Mocks); err != nil {
		return nil, err
	}
	limit := req.MaxSteps
	switch {
	case limit < 0 || limit > MaxDryRunSteps:
		return nil, errorf(InvalidArgument, "maxSteps must be between 1 and %d (0 for %d), got %d", MaxDryRunSteps, MaxDryRunSteps, limit)
	case limit == 0:
		limit = MaxDryRunSteps
	}
	r := &dryRun{
		e:     e,
		now:   e.now(),
		until: time.Now().Add(e.cfg.DryRunTime),
		limit: limit,
		mocks: req.Mocks,
		runs:  map[string]int{},
		used:  map[string]bool{},
		ended: map[*workflow.Task]bool{},
		seen:  map[*workflow.Task]bool{},
		notes: map[*workflow.Task][]string{},
	}
	r.w = newExecution("dry-run", req.WorkflowDef, &workflow.StartRequest{Input: req.Input}, startOptions{})
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// checkMocks refuses mocks a worker could not report.
func checkMocks(mocks map[string]*workflow.TaskMock) error {
	check := func(where string, o workflow.MockOutcome) error {
		switch o.Status {
		case "", workflow.TaskCompleted, workflow.TaskFailed, workflow.TaskFailedWithTerminalError:
			return nil
		}
		return errorf(InvalidArgument, "%s: status %q cannot be mocked; use COMPLETED (the default), FAILED or FAILED_WITH_TERMINAL_ERROR", where, o.Status)
	}
	for ref, m := range mocks {
		if m == nil {
			return errorf(InvalidArgument, "mocks.%s is null; give an object such as {\"output\": {...}}", ref)
		}
		if err := check("mocks."+ref, m.MockOutcome); err != nil {
			return err
		}
		for i, o := range m.Sequence {
			if err := check(fmt.Sprintf("mocks.%s.sequence[%d]", ref, i), o); err != nil {
				return err
			}
		}
	}
	return nil
}

// dryRun is the state of one dry run.
type dryRun struct {
	e     *Engine
	w     *workflow.Workflow
	now   time.Time // the run's own clock: moves only to a deadline it waits for
	until time.Time // the wall time the run must end by
	ids   int
	limit int
	// ended are the tasks that ended (their number is the steps taken);
	// decisions counts the decisions, which a run bounds too in case one
	// changes nothing.
	ended     map[*workflow.Task]bool
	decisions int
	wakeAt    time.Time
	mocks     map[string]*workflow.TaskMock
	// runs counts, per mock key, the runs that took an outcome from its
	// sequence.
	runs map[string]int
	// used are the mock keys that gave a task its outcome.
	used map[string]bool
	// order is every task in the order the decider first touched it.
	order   []*workflow.Task
	seen    map[*workflow.Task]bool
	notes   map[*workflow.Task][]string
	general []string
	stopped bool
}

// run drives the execution from its start to its end, or to the bound.
func (r *dryRun) run(ctx context.Context) error {
	if err := r.decide(decider.Start{}); err != nil {
		return err
	}
	for r.w.Status == workflow.StatusRunning || decider.Unfinished(r.w) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(r.ended) >= r.limit || len(r.order) >= r.limit || r.decisions >= 3*r.limit {
			r.stop(fmt.Sprintf("stopped after %d steps (the bound is %d): the workflow was still %s; a loop that never ends?", len(r.ended), r.limit, r.w.Status))
			return nil
		}
		if time.Now().After(r.until) {
			r.stop(fmt.Sprintf("stopped after %d steps: the dry run's time (%s) ran out with the workflow still %s", len(r.ended), r.e.cfg.DryRunTime, r.w.Status))
			return nil
		}
		var err error
		switch t := r.next(); {
		case decider.Unfinished(r.w) || (t == nil && !r.wakeAt.IsZero()):
			// Work the decider split across decisions, or a deadline (a
			// retry delay, a WAIT's end): it runs as soon as it is due.
			r.now = later(r.now, r.wakeAt)
			err = r.decide(decider.Tick{})
		case t == nil:
			r.stop("stopped: the workflow is " + string(r.w.Status) + " and waits for nothing a mock can give")
			return nil
		default:
			err = r.complete(t)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *dryRun) stop(note string) {
	r.stopped = true
	r.general = append(r.general, note)
}

// next returns the task to end next: the first that waits for outside
// work and is due (one scheduled for a worker, the server's HTTP runner or
// a plugin, or one the decider started and left waiting: WAIT, HUMAN,
// SUB_WORKFLOW...), or else the scheduled one due first (a retry waiting
// out its delay).
func (r *dryRun) next() *workflow.Task {
	now := r.now.UnixMilli()
	var first *workflow.Task
	for _, t := range r.w.Tasks {
		switch {
		case t.Status == workflow.TaskScheduled && queued(t):
			if t.VisibleTime <= now {
				return t
			}
			if first == nil || t.VisibleTime < first.VisibleTime {
				first = t
			}
		case t.Status == workflow.TaskInProgress && !decider.IsOperator(t):
			return t
		}
	}
	return first
}

// complete ends a task with its mock, as its worker (or the child
// workflow, or the API) would.
func (r *dryRun) complete(t *workflow.Task) error {
	if t.Status == workflow.TaskScheduled {
		// A retry waits out its delay.
		r.now = later(r.now, time.UnixMilli(t.VisibleTime))
		if err := r.decide(decider.Lease{TaskID: t.TaskID, WorkerID: dryRunWorker}); err != nil {
			return err
		}
		if t.Status != workflow.TaskInProgress {
			return nil // the lease changed the execution otherwise (a timeout)
		}
	}
	o := r.mock(t)
	out := maps.Clone(t.OutputData) // what the decider put there (a sub-workflow's id)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, o.Output)
	status := o.Status
	if status == "" {
		status = workflow.TaskCompleted
	}
	return r.decide(decider.Update{Result: &workflow.TaskResult{
		TaskID: t.TaskID, WorkflowInstanceID: r.w.WorkflowID, Status: status, OutputData: out,
		ReasonForIncompletion: o.ReasonForIncompletion, WorkerID: dryRunWorker,
		// As the child reports its end: the task does not stop it.
		SubWorkflowID: t.SubWorkflowID,
	}})
}

// mock picks a task's outcome and notes where it came from.
func (r *dryRun) mock(t *workflow.Task) workflow.MockOutcome {
	key := t.ReferenceTaskName
	m := r.mocks[key]
	if m == nil {
		key = workflow.BaseRef(key)
		m = r.mocks[key]
	}
	if m == nil {
		r.note(t, "no mock for "+key+": COMPLETED with an empty output")
		return workflow.MockOutcome{}
	}
	r.used[key] = true
	if len(m.Sequence) == 0 {
		r.note(t, "mock "+key)
		return m.MockOutcome
	}
	n := r.runs[key]
	r.runs[key] = n + 1
	if n < len(m.Sequence) {
		r.note(t, fmt.Sprintf("mock %s, sequence %d of %d", key, n+1, len(m.Sequence)))
		return m.Sequence[n]
	}
	r.note(t, fmt.Sprintf("mock %s: its sequence of %d is used up, so its own outcome", key, len(m.Sequence)))
	return m.MockOutcome
}

// decide applies one event with the engine's decision input, on the run's
// clock and ids, and records what the decision touched.
func (r *dryRun) decide(ev decider.Event) error {
	in := r.e.decisionInput(r.w, ev)
	in.Now = r.now
	in.NewID = r.newID
	in.Continue = true // every decision is a commit of its own
	in.Decided = true
	in.WakeAt = r.wakeAt
	in.MaxSteps = min(max(r.limit-len(r.ended), 1), dryRunChunk)
	// Workers of no domain poll a dry run, and retries wait their delays
	// without random jitter, so that the same request takes the same path.
	in.Active = nil
	in.Jitter = nil
	r.decisions++
	res, err := decider.Decide(in)
	if err != nil {
		return classify(err, "dry run")
	}
	r.wakeAt = res.WakeAt
	for _, t := range res.Changed {
		if !r.seen[t] {
			r.seen[t] = true
			r.order = append(r.order, t)
		}
		if t.Status.Terminal() && !r.ended[t] {
			r.ended[t] = true
		}
	}
	r.commands(res.Commands)
	return nil
}

// commands notes what the server would have done for real.
func (r *dryRun) commands(cmds []decider.Command) {
	byID := func(id string) *workflow.Task {
		for i := len(r.order) - 1; i >= 0; i-- {
			if r.order[i].TaskID == id {
				return r.order[i]
			}
		}
		return nil
	}
	for _, c := range cmds {
		switch c := c.(type) {
		case decider.StartWorkflow:
			name := c.Request.Name
			switch {
			case c.FailureOf != "":
				r.general = append(r.general, "would start the failure workflow "+name)
			case c.ParentTaskID != "":
				if t := byID(c.ParentTaskID); t != nil {
					r.note(t, "would start sub-workflow "+name+" (its outcome is this task's mock)")
				}
			case c.ReplyTaskID != "":
				if t := byID(c.ReplyTaskID); t != nil {
					r.note(t, "would start workflow "+name)
				}
			}
		case decider.Publish:
			if t := byID(c.TaskID); t != nil {
				r.note(t, "would publish to "+c.Event)
			}
		}
	}
}

func (r *dryRun) note(t *workflow.Task, s string) { r.notes[t] = append(r.notes[t], s) }

func (r *dryRun) newID() string {
	r.ids++
	return "dry-run-" + strconv.Itoa(r.ids)
}

// result reports the path and the end.
func (r *dryRun) result() *workflow.DryRunResult {
	res := &workflow.DryRunResult{
		Status:                r.w.Status,
		Output:                r.w.Output,
		Variables:             r.w.Variables,
		ReasonForIncompletion: r.w.ReasonForIncompletion,
		Steps:                 make([]workflow.DryRunStep, 0, len(r.order)),
		Stopped:               r.stopped,
	}
	if res.Output == nil {
		res.Output = map[string]any{}
	}
	size, cut, cutNote := 0, false, ""
	for i, t := range r.order {
		step := workflow.DryRunStep{
			TaskReferenceName: t.ReferenceTaskName, TaskType: t.TaskType, Status: t.Status,
			Iteration: t.Iteration, RetryCount: t.RetryCount,
			Input: t.InputData, Output: t.OutputData, ReasonForIncompletion: t.ReasonForIncompletion,
		}
		if !cut {
			in, _ := json.Marshal(t.InputData)
			out, _ := json.Marshal(t.OutputData)
			if size += len(in) + len(out); size > maxDryRunData {
				cut = true
				cutNote = fmt.Sprintf("the inputs and outputs of the steps from step %d on are left out: with them the result would pass %d MiB", i+1, maxDryRunData>>20)
			}
		}
		if cut {
			step.Input, step.Output = nil, nil
		}
		step.Notes = r.notes[t]
		res.Steps = append(res.Steps, step)
	}
	res.Notes = append(res.Notes, r.general...)
	if cutNote != "" {
		res.Notes = append(res.Notes, cutNote)
	}
	for _, key := range slices.Sorted(maps.Keys(r.mocks)) {
		if !r.used[key] {
			res.Notes = append(res.Notes, "mock "+key+" was not used: no task with that reference name needed one")
		}
	}
	return res
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
