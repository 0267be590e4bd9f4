package layout

// Graph is a laid-out workflow: boxes, edges and slots in integer pixels,
// origin top-left, y growing down. Its JSON form is the fixture format the
// TypeScript port is compared against: field order is fixed, nodes, edges
// and slots are in emission order (see the package doc), optional fields are
// omitted when empty.
type Graph struct {
	Name    string `json:"name"`
	Version int    `json:"version,omitempty"`
	W       int    `json:"w"`
	H       int    `json:"h"`
	// Execution is set by LayoutExecution.
	Execution *Execution `json:"execution,omitempty"`
	Nodes     []*Node    `json:"nodes"`
	Edges     []*Edge    `json:"edges"`
	Slots     []*Slot    `json:"slots"`

	// view is the expansion state LayoutExecution used; the renderer builds
	// the expand/collapse links from it.
	view View
}

// Execution describes the execution a graph shows.
type Execution struct {
	WorkflowID       string `json:"workflowId"`
	Status           string `json:"status"`
	ParentWorkflowID string `json:"parentWorkflowId,omitempty"`
}

// Node kinds.
const (
	KindStart       = "start"
	KindEnd         = "end"
	KindTask        = "task"        // a task with no nested lists (SIMPLE, HTTP, INLINE, WAIT, ...)
	KindSwitch      = "switch"      // SWITCH or DECISION
	KindFork        = "fork"        // FORK_JOIN
	KindJoin        = "join"        // JOIN, EXCLUSIVE_JOIN
	KindDynamic     = "dynamic"     // FORK_JOIN_DYNAMIC: the dynamic fan-out
	KindLoop        = "loop"        // DO_WHILE: a container around its body
	KindSubWorkflow = "subworkflow" // SUB_WORKFLOW
	KindTerminate   = "terminate"   // TERMINATE: ends its lane
	KindMerge       = "merge"       // where the lanes of a SWITCH meet (no task)
	KindStack       = "stack"       // the branches of a dynamic fork (no task)
)

// Node is one box: a task of the definition, or one of the synthetic
// start, end, merge and stack nodes, whose ids start with "$".
type Node struct {
	// ID is the task's reference name ("#2", "#3" appended to a repeated
	// one), or for a synthetic node "$start", "$end", "$merge:"+ref of its
	// SWITCH, "$join:"+ref of a fork with no JOIN after it, "$stack:"+ref of
	// its dynamic fork. A dynamic fork's child is its stack's id + "/" + the
	// child's reference name.
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Ref  string `json:"ref,omitempty"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
	// Path is the JSON pointer (RFC 6901) of the task in the definition,
	// as in the validator's diagnostics: "/tasks/2",
	// "/tasks/2/decisionCases/ok/0", "/tasks/1/forkTasks/0/1",
	// "/tasks/3/loopOver/0", "/tasks/4/defaultCase/0".
	Path   string `json:"path,omitempty"`
	X      int    `json:"x"`
	Y      int    `json:"y"`
	W      int    `json:"w"`
	H      int    `json:"h"`
	Parent string `json:"parent,omitempty"` // the loop or stack node that contains this one
	// Sub is the workflow a SUB_WORKFLOW starts.
	Sub *SubRef `json:"sub,omitempty"`

	// The execution overlay (LayoutExecution only).

	Status        string `json:"status,omitempty"`  // of the latest attempt; empty: not scheduled yet
	TaskID        string `json:"taskId,omitempty"`  // of the latest attempt
	TaskRef       string `json:"taskRef,omitempty"` // the task's reference name in the execution, with loop suffixes ("ref__2")
	Attempt       int    `json:"attempt,omitempty"` // retryCount of the latest attempt
	Dimmed        bool   `json:"dimmed,omitempty"`  // on a path not taken, or never run in an ended execution
	Iteration     int    `json:"iteration,omitempty"`
	Iterations    int    `json:"iterations,omitempty"`
	SubWorkflowID string `json:"subWorkflowId,omitempty"`
	Stack         *Stack `json:"stack,omitempty"`

	// fork is, for a stack, the reference name of its dynamic fork: the
	// key of View.Expanded.
	fork string
}

// SubRef names a sub-workflow; Version 0 means the latest.
type SubRef struct {
	Name    string `json:"name"`
	Version int    `json:"version,omitempty"`
}

// Stack tallies the branches of a dynamic fork in an execution.
type Stack struct {
	Total     int `json:"total"`
	Completed int `json:"completed"`
	// Counts is the number of branches per status of their latest attempt.
	Counts   map[string]int `json:"counts,omitempty"`
	Expanded bool           `json:"expanded,omitempty"`
}

// Edge kinds.
const (
	EdgeFlow    = ""        // control passes from one node to the next
	EdgeDynamic = "dynamic" // into and out of a dynamic fork's branches
	EdgeBack    = "back"    // a loop's repeat arrow, from a loop node to itself
)

// Edge is an orthogonal polyline from the bottom of From to the top of To
// (a loop's internal edges start under its header and end on its bottom
// side).
type Edge struct {
	From   string  `json:"from"`
	To     string  `json:"to"`
	Kind   string  `json:"kind,omitempty"`
	Points []Point `json:"points"`
	Label  *Label  `json:"label,omitempty"`
	Dimmed bool    `json:"dimmed,omitempty"`
}

// Point is a point of a polyline.
type Point struct {
	X int `json:"x"`
	Y int `json:"y"`
}

// Label is the text of an edge (a SWITCH case) and where its start is.
type Label struct {
	Text string `json:"text"`
	X    int    `json:"x"`
	Y    int    `json:"y"`
}

// Slot kinds.
const (
	SlotBetween = "between" // insert into a non-empty list at Path's index
	SlotEmpty   = "empty"   // the only place in an empty case or branch
	SlotBody    = "body"    // the only place in an empty loop body
	SlotCase    = "case"    // add a SWITCH case (Path is the decisionCases)
	SlotBranch  = "branch"  // add a FORK branch (Path is the forkTasks)
)

// Slot is a place where the designer can insert a task: its centre, and
// the JSON pointer the new task gets (the list's pointer and the index it
// takes: "/tasks/2/decisionCases/ok/0"), or for "case" and "branch" the
// pointer of the map or list that gains an entry.
type Slot struct {
	Path string `json:"path"`
	Kind string `json:"kind"`
	X    int    `json:"x"`
	Y    int    `json:"y"`
}
