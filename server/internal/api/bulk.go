package api

import (
	"context"
	"net/http"
	"sync"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/server/internal/engine"
)

// maxBulk is how many executions one bulk request may name, as in
// Conductor (WorkflowBulkService.MAX_REQUEST_ITEMS).
const maxBulk = 1000

// bulkWorkers is how many executions of a bulk request are acted on at
// once: enough to share group commits, few enough to leave the engine to
// other callers.
const bulkWorkers = 8

// bulkOp is one operation of a bulk request, with its options.
type bulkOp struct {
	action                 batonv1.WorkflowAction
	reason                 string
	useLatestDefinitions   bool
	resumeSubworkflowTasks bool
	archive                bool
}

func (op bulkOp) do(ctx context.Context, e *engine.Engine, id string) error {
	switch op.action {
	case batonv1.WorkflowAction_WORKFLOW_ACTION_PAUSE:
		return e.PauseWorkflow(ctx, id)
	case batonv1.WorkflowAction_WORKFLOW_ACTION_RESUME:
		return e.ResumeWorkflow(ctx, id)
	case batonv1.WorkflowAction_WORKFLOW_ACTION_TERMINATE:
		return e.TerminateWorkflow(ctx, id, op.reason)
	case batonv1.WorkflowAction_WORKFLOW_ACTION_RETRY:
		return e.RetryWorkflow(ctx, id, op.resumeSubworkflowTasks)
	case batonv1.WorkflowAction_WORKFLOW_ACTION_RESTART:
		return e.RestartWorkflow(ctx, id, op.useLatestDefinitions)
	case batonv1.WorkflowAction_WORKFLOW_ACTION_REMOVE:
		return e.RemoveWorkflow(ctx, id, op.archive)
	case batonv1.WorkflowAction_WORKFLOW_ACTION_TERMINATE_REMOVE:
		return e.TerminateRemove(ctx, id, op.reason, op.archive)
	}
	return invalid("unknown bulk action %v", op.action)
}

// bulkOutcome is the result of a bulk operation on one execution.
type bulkOutcome struct {
	id  string
	err error
}

// runBulk applies op to each distinct id, a few at once, and returns the
// outcomes in the order of ids. A refusal of the whole request (no ids, too
// many, an unknown action) is its error.
func runBulk(ctx context.Context, e *engine.Engine, op bulkOp, ids []string) ([]bulkOutcome, error) {
	if _, ok := batonv1.WorkflowAction_name[int32(op.action)]; !ok || op.action == batonv1.WorkflowAction_WORKFLOW_ACTION_UNSPECIFIED {
		return nil, invalid("unknown bulk action %d: use pause, resume, terminate, retry, restart, remove or terminate-remove", op.action)
	}
	if op.archive && !e.Archives() {
		return nil, &engine.Error{Code: engine.FailedPrecondition, Msg: "archiving was asked for, but this server has no archive directory (--archive-dir); remove without archiving, or configure one"}
	}
	seen := make(map[string]bool, len(ids))
	var out []bulkOutcome
	for _, id := range ids {
		if id == "" {
			return nil, invalid("the list of workflow ids holds an empty id")
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, bulkOutcome{id: id})
		}
	}
	switch {
	case len(out) == 0:
		return nil, invalid("give at least one workflow id")
	case len(out) > maxBulk:
		return nil, invalid("a bulk request may name at most %d workflows, got %d; split it", maxBulk, len(out))
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(bulkWorkers, len(out)) {
		wg.Go(func() {
			for i := range next {
				out[i].err = op.do(ctx, e, out[i].id)
			}
		})
	}
	for i := range out {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, ctx.Err()
}

// bulkREST serves a Conductor bulk endpoint: body [workflowId], answer
// BulkResponse.
func (s *rest) bulkREST(action batonv1.WorkflowAction) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		op := bulkOp{action: action, reason: r.URL.Query().Get("reason")}
		var err error
		if op.useLatestDefinitions, err = queryBool(r, "useLatestDefinitions", false); err != nil {
			return err
		}
		if op.resumeSubworkflowTasks, err = queryBool(r, "resumeSubworkflowTasks", false); err != nil {
			return err
		}
		if op.archive, err = archiveParam(r, s.e); err != nil {
			return err
		}
		var ids []string
		if err := readJSON(r, "a JSON array of workflow ids", &ids); err != nil {
			return err
		}
		outcomes, err := runBulk(r.Context(), s.e, op, ids)
		if err != nil {
			return err
		}
		resp := bulkResponse{
			BulkErrorResults: map[string]string{}, BulkSuccessfulResults: []string{}, Message: "Bulk Request has been processed.",
		}
		for _, o := range outcomes {
			if o.err != nil {
				resp.BulkErrorResults[o.id] = s.errs.message(r, o.err)
			} else {
				resp.BulkSuccessfulResults = append(resp.BulkSuccessfulResults, o.id)
			}
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
}

func (s *workflowService) BulkAction(ctx context.Context, req *connect.Request[batonv1.BulkActionRequest]) (*connect.Response[batonv1.BulkActionResponse], error) {
	m := req.Msg
	archive := s.e.Archives()
	if m.Archive != nil {
		archive = m.GetArchive()
	}
	outcomes, err := runBulk(ctx, s.e, bulkOp{
		action: m.GetAction(), reason: m.GetReason(),
		useLatestDefinitions: m.GetUseLatestDefinitions(), resumeSubworkflowTasks: m.GetResumeSubworkflowTasks(),
		archive: archive,
	}, m.GetWorkflowIds())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	resp := &batonv1.BulkActionResponse{}
	for _, o := range outcomes {
		r := &batonv1.BulkResult{WorkflowId: o.id}
		if o.err != nil {
			ce := s.errs.connectError(ctx, req.Spec().Procedure, o.err).(*connect.Error)
			r.Code, r.Message = ce.Code().String(), ce.Message()
		}
		resp.Results = append(resp.Results, r)
	}
	return connect.NewResponse(resp), nil
}
