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
	// Scripts runs JavaScript and jq for INLINE, JSON_JQ_TRANSFORM, SWITCH
	// and DO_WHILE; without it those tasks fail.
	Scripts Scripts
	// Active reports whether workers poll a domain of a task type; a
	// taskToDomain fallback list routes a task to the first active domain.
	// Without it no domain is active.
	Active func(taskType, domain string) bool
	// Event is what happened.
	Event Event
	// Continue lets the decision go on with work that is split across
	// commits (creating the branches of a large dynamic fork). The engine
	// sets it for the first decision of a commit only, so that a commit
	// holds one piece of such work however many events it carries.
	Continue bool
	// Decided is set when Workflow is as a decision left it, and WakeAt is
	// then the wake-up that decision asked for (zero: none). Until WakeAt,
	// no deadline of a task that this decision does not change can have
	// passed, so the decision looks at the deadlines of the tasks it
	// changes only, and stays cheap however many tasks the execution has.
	// Without Decided, it looks at every task.
	Decided bool
	WakeAt  time.Time
	// MaxSteps, when positive, lowers the bound on the ended tasks one
	// decision handles before it yields (a dry run spends a budget of
	// steps; see engine/dryrun.go).
	MaxSteps int
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
	// Removed are tasks deleted from the execution (old DO_WHILE iterations
	// under keepLastN); they are no longer in Workflow.Tasks.
	Removed []*workflow.Task
	// Commands are what the engine must carry out for the decision, in the
	// same commit: effects on other executions.
	Commands []Command
	// Revived is set when an ended execution runs again (retried,
	// restarted, rerun), even if it ended again in the same decision.
	Revived bool
	// DefinitionChanged and InputChanged are set when the definition
	// snapshot or the input, which the store keeps from the start, were
	// replaced (a restart on the latest definition, a rerun with new input).
	DefinitionChanged bool
	InputChanged      bool
}

// Noop reports whether the decision changed nothing.
func (r *Result) Noop() bool {
	return len(r.Changed) == 0 && !r.StatusChanged && len(r.History) == 0 && len(r.Logs) == 0 &&
		len(r.Removed) == 0 && len(r.Commands) == 0 && !r.Revived && !r.DefinitionChanged && !r.InputChanged
}

// Merge adds a later decision about the same execution to r, so that both
// are committed as one: tasks changed by either (once each, in the order
// first touched, without those the later one removed), every record, log,
// command and removal, and the later wake-up time.
func (r *Result) Merge(next *Result) {
	have := make(map[*workflow.Task]bool, len(r.Changed))
	for _, t := range r.Changed {
		have[t] = true
	}
	for _, t := range next.Changed {
		if !have[t] {
			have[t] = true
			r.Changed = append(r.Changed, t)
		}
	}
	r.StatusChanged = r.StatusChanged || next.StatusChanged
	r.Revived = r.Revived || next.Revived
	r.DefinitionChanged = r.DefinitionChanged || next.DefinitionChanged
	r.InputChanged = r.InputChanged || next.InputChanged
	r.WakeAt = next.WakeAt
	r.History = append(r.History, next.History...)
	r.Logs = append(r.Logs, next.Logs...)
	r.Commands = append(r.Commands, next.Commands...)
	r.Removed = append(r.Removed, next.Removed...)
	r.drop(next.Removed)
}

// drop takes removed tasks out of Changed.
func (r *Result) drop(removed []*workflow.Task) {
	if len(removed) == 0 {
		return
	}
	gone := make(map[*workflow.Task]bool, len(removed))
	for _, t := range removed {
		gone[t] = true
	}
	kept := r.Changed[:0]
	for _, t := range r.Changed {
		if !gone[t] {
			kept = append(kept, t)
		}
	}
	r.Changed = kept
}

// Scripts evaluates user scripts. Implementations bound each call's time
// and memory.
type Scripts interface {
	// JS runs a JavaScript expression with input as $ and returns its
	// completion value.
	JS(expression string, input map[string]any) (any, error)
	// JQ runs a jq query and returns every result.
	JQ(query string, input any) ([]any, error)
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
	if in.Continue {
		d.carryOn()
	}
	d.checkTimeouts()
	d.advance()
	if d.w.Status != before {
		d.res.StatusChanged = true
	}
	d.res.drop(d.res.Removed)
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

	// byRef is the latest attempt of each task reference name (with its
	// iteration suffixes), byID every task; built once lookups are many
	// (see taskByRef), nil before.
	byRef   map[string]*workflow.Task
	byID    map[string]*workflow.Task
	lookups int
	// gone are the tasks removed by this decision.
	gone map[*workflow.Task]bool
	// index places every task of the definition; built when first needed.
	index map[string]*position
	// forked maps the branches of dynamic forks to their fork; built when
	// first needed.
	forked map[string]*workflow.Task
	// pending are tasks whose attempt ended and that advance has yet to
	// handle, oldest first.
	pending []*workflow.Task
	// joins are the JOIN and EXCLUSIVE_JOIN tasks waiting.
	joins []*workflow.Task
	// steps counts the tasks handled; past maxSteps the decision yields.
	steps   int
	yielded bool
	// chunked is set once the decision has done a chunk of work split
	// across decisions (pending.go): one chunk per decision.
	chunked bool
	// inputOverride, when set, is the input of the next task scheduled
	// (a rerun with new task input).
	inputOverride map[string]any
}

// scansBeforeIndex is how many lookups scan the task list before the
// decision builds maps. A decision about a large fan-out usually needs one
// or two lookups near the end of the list (the task that ended, the JOIN's
// last branch), which a scan from the end finds at once; building maps of
// ten thousand tasks for them would cost more than the decision.
const scansBeforeIndex = 8

func (d *decision) indexTasks() {
	d.byRef = make(map[string]*workflow.Task, len(d.w.Tasks))
	d.byID = make(map[string]*workflow.Task, len(d.w.Tasks))
	for _, t := range d.w.Tasks {
		d.byRef[t.ReferenceTaskName] = t
		d.byID[t.TaskID] = t
	}
}

// taskByRef returns the latest attempt of a reference name, or nil.
func (d *decision) taskByRef(ref string) *workflow.Task {
	if d.byRef == nil {
		if d.lookups++; d.lookups <= scansBeforeIndex {
			for i := len(d.w.Tasks) - 1; i >= 0; i-- {
				if t := d.w.Tasks[i]; t.ReferenceTaskName == ref {
					return t
				}
			}
			return nil
		}
		d.indexTasks()
	}
	return d.byRef[ref]
}

// taskByID returns a task of the execution, or nil.
func (d *decision) taskByID(id string) *workflow.Task {
	if d.byID == nil {
		if d.lookups++; d.lookups <= scansBeforeIndex {
			for i := len(d.w.Tasks) - 1; i >= 0; i-- {
				if t := d.w.Tasks[i]; t.TaskID == id {
					return t
				}
			}
			return nil
		}
		d.indexTasks()
	}
	return d.byID[id]
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
	td, _ := d.policy(wt)
	return td
}

// policy is taskDef, also reporting whether a definition was given (inline
// or registered) rather than defaulted.
func (d *decision) policy(wt *workflow.WorkflowTask) (*workflow.TaskDef, bool) {
	if wt == nil {
		return defaultTaskDef, false
	}
	if wt.TaskDefinition != nil {
		return wt.TaskDefinition, true
	}
	if d.TaskDef != nil {
		if td := d.TaskDef(wt.Name); td != nil {
			return td, true
		}
	}
	return defaultTaskDef, false
}

// defaultTaskDef is the policy of a task without a definition: Conductor's
// defaults. Shared and never changed.
var defaultTaskDef = &workflow.TaskDef{}

// context is what expressions see.
func (d *decision) context(taskID string) *workflow.Context {
	return &workflow.Context{Workflow: d.w, TaskID: taskID}
}
