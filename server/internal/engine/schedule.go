package engine

import (
	"context"

	"github.com/batonhq/baton/sdk/workflow"
)

// StartWorkflowWithID starts an execution, as StartWorkflow does, under an
// id the caller chose. If an execution with that id exists, it fails with
// AlreadyExists and changes nothing: the store refuses to create an
// execution twice in the same transaction that would create it. The
// scheduler derives the id from the schedule and the slot, so that a slot
// started once, before a crash or not, is never started again.
func (e *Engine) StartWorkflowWithID(ctx context.Context, req *workflow.StartRequest, id string) (string, error) {
	if id == "" {
		return "", errorf(InvalidArgument, "start workflow: no execution id given")
	}
	return e.start(ctx, req, startOptions{id: id})
}
