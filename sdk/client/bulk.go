package client

import (
	"context"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
)

// BulkOptions are the options of a BulkAction, each for one action.
type BulkOptions struct {
	// Reason is recorded on terminated executions.
	Reason string
	// UseLatestDefinitions restarts on the latest definition.
	UseLatestDefinitions bool
	// ResumeSubworkflowTasks retries a failed sub-workflow's child.
	ResumeSubworkflowTasks bool
}

// BulkResult is the outcome of a BulkAction for one execution.
type BulkResult struct {
	WorkflowID string
	// Code is empty on success, else the Connect code name, such as
	// "not_found" or "failed_precondition".
	Code string
	// Message says what went wrong, when Code is set.
	Message string
}

// BulkAction applies an action to up to 1,000 executions and returns a
// result per distinct id, in the order given. One failing does not stop
// the others; the error is for a request refused as a whole.
func (c *Client) BulkAction(ctx context.Context, action batonv1.WorkflowAction, ids []string, opts BulkOptions) ([]BulkResult, error) {
	res, err := c.flows.BulkAction(ctx, connect.NewRequest(&batonv1.BulkActionRequest{
		Action: action, WorkflowIds: ids, Reason: opts.Reason,
		UseLatestDefinitions: opts.UseLatestDefinitions, ResumeSubworkflowTasks: opts.ResumeSubworkflowTasks,
	}))
	if err != nil {
		return nil, err
	}
	out := make([]BulkResult, 0, len(res.Msg.GetResults()))
	for _, r := range res.Msg.GetResults() {
		out = append(out, BulkResult{WorkflowID: r.GetWorkflowId(), Code: r.GetCode(), Message: r.GetMessage()})
	}
	return out, nil
}
