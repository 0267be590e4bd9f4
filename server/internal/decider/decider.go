package decider

import (
	"fmt"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// Input is everything a decision depends on.
type Input struct {
	// Now is the engine's clock reading for this decision.
	Now time.Time
	// Workflow is the execution, with its tasks and the definition snapshot
	// in WorkflowDefinition. Decide takes ownership and changes it in place.
	Workflow *workflow.Workflow
	// TaskDef returns the registered task definition of a name, or nil.
	TaskDef func(name string) *workflow.TaskDef
	// NewID returns a fresh task id.
	NewID func() string
	// Jitter returns a uniformly random number in [0, max].
	Jitter func(max int64) int64
	// Event is what happened.
	Event Event
}

// Result is the outcome of a decision.
type Result struct {
	// Workflow is the new state of the execution (the same pointer as
	// Input.Workflow).
	Workflow *workflow.Workflow
	// Changed lists the tasks created or changed, in the order they were
	// touched.
	Changed []*workflow.Task
	// StatusChanged is set when the workflow's status changed.
	StatusChanged bool
	// WakeAt is the earliest deadline still ahead; zero for none.
	WakeAt time.Time
	// History records what happened, for the execution's history.
	History []Record
	// Logs are task log lines that came with a worker's update.
	Logs []workflow.TaskExecLog
}

// Noop reports whether the decision changed nothing.
func (r *Result) Noop() bool {
	return len(r.Changed) == 0 && !r.StatusChanged && len(r.History) == 0 && len(r.Logs) == 0
}

// Record is one history entry produced by a decision.
type Record struct {
	Type   string
	TaskID string
	Detail string
}

// Decide applies one event to an execution. A refused event returns a
// *Rejection and leaves nothing to commit.
func Decide(in Input) (*Result, error) {
	if in.Workflow == nil || in.Workflow.WorkflowDefinition == nil {
		return nil, fmt.Errorf("decide: execution without a definition snapshot")
	}
	d := &decision{
		Input:   in,
		w:       in.Workflow,
		def:     in.Workflow.WorkflowDefinition,
		now:     in.Now.UnixMilli(),
		touched: map[*workflow.Task]bool{},
	}
	d.res.Workflow = d.w
	before := d.w.Status
	if err := d.apply(in.Event); err != nil {
		return nil, err
	}
	d.checkTimeouts()
	d.advance()
	if d.w.Status != before {
		d.res.StatusChanged = true
	}
	if !d.res.Noop() {
		d.w.UpdateTime = d.now
	}
	d.res.WakeAt = d.wakeAt()
	return &d.res, nil
}

// decision is the working state of one Decide call.
type decision struct {
	Input
	w       *workflow.Workflow
	def     *workflow.WorkflowDef
	now     int64
	res     Result
	touched map[*workflow.Task]bool
}

func (d *decision) touch(t *workflow.Task) {
	t.UpdateTime = d.now
	if !d.touched[t] {
		d.touched[t] = true
		d.res.Changed = append(d.res.Changed, t)
	}
}

func (d *decision) record(typ string, t *workflow.Task, format string, args ...any) {
	r := Record{Type: typ, Detail: fmt.Sprintf(format, args...)}
	if t != nil {
		r.TaskID = t.TaskID
	}
	d.res.History = append(d.res.History, r)
}

// taskDef returns the policy of a workflow task: its inline definition, the
// registered one, or Conductor's defaults.
func (d *decision) taskDef(wt *workflow.WorkflowTask) *workflow.TaskDef {
	if wt == nil {
		return &workflow.TaskDef{}
	}
	if wt.TaskDefinition != nil {
		return wt.TaskDefinition
	}
	if d.TaskDef != nil {
		if td := d.TaskDef(wt.Name); td != nil {
			return td
		}
	}
	return &workflow.TaskDef{Name: wt.Name}
}

// context is what expressions see.
func (d *decision) context(taskID string) *workflow.Context {
	return &workflow.Context{Workflow: d.w, TaskID: taskID}
}
