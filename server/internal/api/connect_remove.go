package api

import (
	"context"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
)

// RemoveWorkflow removes an ended execution, or with terminate any
// execution. archive unset archives when the server has an archive.
func (s *workflowService) RemoveWorkflow(ctx context.Context, req *connect.Request[batonv1.RemoveWorkflowRequest]) (*connect.Response[batonv1.RemoveWorkflowResponse], error) {
	m := req.Msg
	archive := s.e.Archives()
	if m.Archive != nil {
		archive = m.GetArchive()
	}
	var err error
	if m.GetTerminate() {
		err = s.e.TerminateRemove(ctx, m.GetWorkflowId(), m.GetReason(), archive)
	} else {
		err = s.e.RemoveWorkflow(ctx, m.GetWorkflowId(), archive)
	}
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.RemoveWorkflowResponse{Archived: archive}), nil
}
