package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// workflowRun is Conductor's WorkflowRun: an execution as a synchronous
// start saw it.
type workflowRun struct {
	WorkflowID    string           `json:"workflowId"`
	CorrelationID string           `json:"correlationId,omitempty"`
	RequestID     string           `json:"requestId,omitempty"`
	Status        workflow.Status  `json:"status"`
	Input         map[string]any   `json:"input"`
	Output        map[string]any   `json:"output"`
	Variables     map[string]any   `json:"variables"`
	Tasks         []*workflow.Task `json:"tasks"`
	Priority      int              `json:"priority"`
	CreatedBy     string           `json:"createdBy,omitempty"`
	CreateTime    int64            `json:"createTime"`
	UpdateTime    int64            `json:"updateTime"`
}

// POST /api/workflow/execute/{name}/{version}?requestId=&waitUntilTaskRef=a,b&waitForSeconds=10:
// body StartWorkflowRequest (name and version come from the path). It
// starts the workflow and answers with a WorkflowRun once the execution
// ends, one of the waitUntilTaskRef tasks completes, or it waits on a
// signal (HUMAN, or WAIT with no duration): 200. When waitForSeconds runs
// out first the answer is the execution as it is then, with 206 Partial
// Content, as Orkes does; the execution goes on either way.
func (s *rest) executeWorkflow(w http.ResponseWriter, r *http.Request) error {
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 0 {
		return invalid("the version in the path must be a whole number, got %q", r.PathValue("version"))
	}
	wait, err := queryInt(r, "waitForSeconds", 10)
	if err != nil {
		return err
	}
	req := new(workflow.StartRequest)
	if err := readOptionalJSON(r, "a StartWorkflowRequest JSON object", req); err != nil {
		return err
	}
	req.Name, req.Version = r.PathValue("name"), version
	var refs []string
	for _, v := range r.URL.Query()["waitUntilTaskRef"] {
		for ref := range strings.SplitSeq(v, ",") {
			refs = append(refs, strings.TrimSpace(ref))
		}
	}
	res, err := s.e.ExecuteWorkflow(r.Context(), &engine.ExecuteRequest{
		Start: req, WaitUntilTaskRefs: refs, Wait: time.Duration(wait) * time.Second,
	})
	if err != nil {
		return err
	}
	wf := res.Workflow
	status := http.StatusOK
	if !res.Reached {
		status = http.StatusPartialContent
	}
	writeJSON(w, status, workflowRun{
		WorkflowID: wf.WorkflowID, CorrelationID: wf.CorrelationID, RequestID: r.URL.Query().Get("requestId"),
		Status: wf.Status, Input: wf.Input, Output: wf.Output, Variables: wf.Variables, Tasks: wf.Tasks,
		Priority: wf.Priority, CreatedBy: wf.CreatedBy, CreateTime: wf.CreateTime, UpdateTime: wf.UpdateTime,
	})
	return nil
}
