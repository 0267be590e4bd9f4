package api

import (
	"bytes"
	"net/http"

	"github.com/batonhq/baton/sdk/workflow"
)

// POST /api/workflow: body StartWorkflowRequest; answers the workflow id as
// text/plain.
func (s *rest) startWorkflow(w http.ResponseWriter, r *http.Request) error {
	req := new(workflow.StartRequest)
	if err := readJSON(r, "a StartWorkflowRequest JSON object", req); err != nil {
		return err
	}
	id, err := s.e.StartWorkflow(r.Context(), req)
	if err != nil {
		return err
	}
	writeText(w, id)
	return nil
}

// POST /api/workflow/{name}?version=&correlationId=&priority=: body = the
// input object; answers the workflow id as text/plain. Orkes' headers
// X-Idempotency-key and X-on-conflict carry the idempotency key and
// strategy.
func (s *rest) startWorkflowByName(w http.ResponseWriter, r *http.Request) error {
	version, err := queryInt(r, "version", 0)
	if err != nil {
		return err
	}
	priority, err := queryInt(r, "priority", 0)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var input map[string]any
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeJSON("the request body (the workflow input, a JSON object)", body, &input); err != nil {
			return err
		}
	}
	id, err := s.e.StartWorkflow(r.Context(), &workflow.StartRequest{
		Name:                r.PathValue("name"),
		Version:             version,
		CorrelationID:       r.URL.Query().Get("correlationId"),
		Priority:            priority,
		Input:               input,
		IdempotencyKey:      r.Header.Get("X-Idempotency-key"),
		IdempotencyStrategy: r.Header.Get("X-on-conflict"),
	})
	if err != nil {
		return err
	}
	writeText(w, id)
	return nil
}

// GET /api/workflow/{id}?includeTasks=true
func (s *rest) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	include, err := queryBool(r, "includeTasks", true)
	if err != nil {
		return err
	}
	wf, err := s.e.Workflow(r.Context(), r.PathValue("id"), include)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wf)
	return nil
}

// PUT /api/workflow/{id}/pause
func (s *rest) pauseWorkflow(w http.ResponseWriter, r *http.Request) error {
	if err := s.e.PauseWorkflow(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// PUT /api/workflow/{id}/resume
func (s *rest) resumeWorkflow(w http.ResponseWriter, r *http.Request) error {
	if err := s.e.ResumeWorkflow(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// DELETE /api/workflow/{id}?reason=: terminate.
func (s *rest) terminateWorkflow(w http.ResponseWriter, r *http.Request) error {
	if err := s.e.TerminateWorkflow(r.Context(), r.PathValue("id"), r.URL.Query().Get("reason")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// POST /api/workflow/{id}/retry?resumeSubworkflowTasks=false
func (s *rest) retryWorkflow(w http.ResponseWriter, r *http.Request) error {
	resume, err := queryBool(r, "resumeSubworkflowTasks", false)
	if err != nil {
		return err
	}
	if err := s.e.RetryWorkflow(r.Context(), r.PathValue("id"), resume); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /api/workflow/{id}/restart?useLatestDefinitions=false
func (s *rest) restartWorkflow(w http.ResponseWriter, r *http.Request) error {
	latest, err := queryBool(r, "useLatestDefinitions", false)
	if err != nil {
		return err
	}
	if err := s.e.RestartWorkflow(r.Context(), r.PathValue("id"), latest); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /api/workflow/{id}/rerun: body RerunWorkflowRequest; answers the
// workflow id (the same one) as text/plain.
func (s *rest) rerunWorkflow(w http.ResponseWriter, r *http.Request) error {
	req := new(workflow.RerunRequest)
	if err := readOptionalJSON(r, "a RerunWorkflowRequest JSON object", req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if req.ReRunFromWorkflowID != "" && req.ReRunFromWorkflowID != id {
		return invalid("reRunFromWorkflowId %q differs from the workflow id in the path, %q", req.ReRunFromWorkflowID, id)
	}
	if err := s.e.RerunWorkflow(r.Context(), id, req); err != nil {
		return err
	}
	writeText(w, id)
	return nil
}

// PUT /api/workflow/{id}/skiptask/{taskRef}: body SkipTaskRequest, or none.
func (s *rest) skipTask(w http.ResponseWriter, r *http.Request) error {
	req := new(workflow.SkipTaskRequest)
	if err := readOptionalJSON(r, "a SkipTaskRequest JSON object", req); err != nil {
		return err
	}
	if err := s.e.SkipTask(r.Context(), r.PathValue("id"), r.PathValue("taskRef"), req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// POST /api/workflow/{id}/variables: body = the variables to set (Orkes).
func (s *rest) setVariables(w http.ResponseWriter, r *http.Request) error {
	var vars map[string]any
	if err := readJSON(r, "a JSON object of variables", &vars); err != nil {
		return err
	}
	if vars == nil {
		return invalid("the request body must be a JSON object of variables, not null")
	}
	if err := s.e.SetVariables(r.Context(), r.PathValue("id"), vars); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
