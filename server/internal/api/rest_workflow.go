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
	// idempotencyKey and idempotencyStrategy are stored on the execution;
	// enforcing them is the engine's job and comes with idempotent starts.
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
