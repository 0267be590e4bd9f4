package client

import (
	"context"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
)

// RemoveOptions are the options of Client.RemoveWorkflow.
type RemoveOptions struct {
	// Terminate terminates the execution first if it has not ended;
	// without it, removing a running or paused execution is refused.
	Terminate bool
	// Reason is why the execution is terminated, with Terminate.
	Reason string
	// Archive asks to write the execution to the server's archive before
	// it is removed; nil lets the server decide (it archives when it has
	// an archive directory). True on a server without one is refused and
	// nothing is removed.
	Archive *bool
}

// RemoveWorkflow deletes an execution with its tasks, logs and history,
// and reports whether it was archived first.
func (c *Client) RemoveWorkflow(ctx context.Context, id string, opts RemoveOptions) (archived bool, err error) {
	res, err := c.flows.RemoveWorkflow(ctx, connect.NewRequest(&batonv1.RemoveWorkflowRequest{
		WorkflowId: id, Terminate: opts.Terminate, Reason: opts.Reason, Archive: opts.Archive,
	}))
	if err != nil {
		return false, err
	}
	return res.Msg.GetArchived(), nil
}
