package decider

import (
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// FailureWorkflowOutput is the output key under which an execution that
// failed or timed out names the failure workflow it started (its id), or
// says why none started, as in Conductor.
const FailureWorkflowOutput = "conductor.failure_workflow"

// failedWorkflowTasks is the most tasks of a failed execution that the
// failure workflow's input carries; a larger execution is passed without
// its tasks (read them with its workflowId).
const failedWorkflowTasks = 1000

// FailureWorkflowNotStarted tells an ended execution that the failure
// workflow it asked for could not start; its output says why instead of
// naming it.
type FailureWorkflowNotStarted struct {
	// WorkflowID is the id chosen for the failure workflow.
	WorkflowID string
	Reason     string
}

func (FailureWorkflowNotStarted) event() {}

// failureWorkflow starts the definition's failureWorkflow for an execution
// that has just ended FAILED or TIMED_OUT (never TERMINATED: a terminate by
// hand or by a TERMINATE task is not a failure), with Conductor's input:
// the failed execution's id, the reason, the status, the task that failed
// it and the whole execution. The new execution runs on its own (it is no
// child), with the failed one's correlation id and task domains.
func (d *decision) failureWorkflow(failed *workflow.Task) {
	w := d.w
	name := d.def.FailureWorkflow
	if name == "" || (w.Status != workflow.StatusFailed && w.Status != workflow.StatusTimedOut) {
		return
	}
	if strings.Contains(name, "${") {
		v, err := workflow.Evaluate(name, d.context(""))
		s, ok := v.(string)
		if err != nil || !ok || s == "" {
			w.Output[FailureWorkflowOutput] = "Error workflow " + name + " failed to start. reason: the expression does not give a workflow name"
			d.record("FAILURE_WORKFLOW_NOT_STARTED", nil, "failureWorkflow %s gives no workflow name", name)
			return
		}
		name = s
	}
	// The failed execution as it is, less its definition snapshot (the
	// definition can be read by name and version) and, past
	// failedWorkflowTasks, its tasks: the input of the failure workflow is
	// written in the failing commit and must stay small beside it.
	snapshot := *w
	snapshot.WorkflowDefinition = nil
	input := map[string]any{
		"workflowId":     w.WorkflowID,
		"reason":         w.ReasonForIncompletion,
		"failureStatus":  string(w.Status),
		"failedWorkflow": &snapshot,
	}
	if len(w.Tasks) > failedWorkflowTasks {
		snapshot.Tasks = nil
		input["failedWorkflowTasksOmitted"] = len(w.Tasks)
	}
	if failed != nil {
		input["failureTaskId"] = failed.TaskID
	}
	req := &workflow.StartRequest{
		Name: name, Input: input, CorrelationID: w.CorrelationID, TaskToDomain: w.TaskToDomain, Priority: w.Priority,
	}
	if v := d.def.FailureWorkflowVersion; v != nil {
		req.Version = *v
	}
	id := d.NewID()
	d.res.Commands = append(d.res.Commands, StartWorkflow{WorkflowID: id, Request: req, FailureOf: w.WorkflowID})
	w.Output[FailureWorkflowOutput] = id
	d.record("FAILURE_WORKFLOW_STARTED", failed, "failure workflow %s: %s", name, id)
}

func (d *decision) failureWorkflowNotStarted(ev FailureWorkflowNotStarted) error {
	w := d.w
	if w.Output[FailureWorkflowOutput] != ev.WorkflowID {
		return nil // retried or restarted since
	}
	w.Output[FailureWorkflowOutput] = "Error workflow " + d.def.FailureWorkflow + " failed to start. reason: " + ev.Reason
	d.record("FAILURE_WORKFLOW_NOT_STARTED", nil, "%s", ev.Reason)
	return nil
}
