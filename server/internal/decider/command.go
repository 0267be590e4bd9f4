package decider

import "github.com/batonhq/baton/sdk/workflow"

// Command is an effect of a decision on other executions, which the engine
// carries out durably: it is written in the decision's own commit and done
// afterwards, at least once, and with an effect at most once.
type Command interface{ command() }

// StartWorkflow starts a workflow with a chosen id: the child of a
// SUB_WORKFLOW task (ParentTaskID set; the child reports its end to that
// task) or the workflow a START_WORKFLOW task starts (ReplyTaskID set; the
// task completes once the workflow runs, or fails if it cannot start), or
// the failure workflow of an execution that failed (FailureOf set; if it
// cannot start, that execution gets FailureWorkflowNotStarted).
type StartWorkflow struct {
	WorkflowID       string
	Request          *workflow.StartRequest
	ParentWorkflowID string
	ParentTaskID     string
	ReplyTaskID      string
	FailureOf        string
}

// TerminateWorkflow terminates another execution: the child of a
// SUB_WORKFLOW task that was cancelled or timed out.
type TerminateWorkflow struct {
	WorkflowID string
	Reason     string
}

// Publish sends an EVENT task's payload to the event handlers listening on
// Event.
type Publish struct {
	Event   string
	Payload map[string]any
	TaskID  string
}

// RetryWorkflow retries another execution: the child of a SUB_WORKFLOW
// task retried with resumeSubworkflowTasks.
type RetryWorkflow struct {
	WorkflowID             string
	ResumeSubworkflowTasks bool
}

func (StartWorkflow) command()     {}
func (RetryWorkflow) command()     {}
func (TerminateWorkflow) command() {}
func (Publish) command()           {}
