package api

import (
	"net/http"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// POST /api/event: body EventHandler; registers a new handler.
func (s *rest) addEventHandler(w http.ResponseWriter, r *http.Request) error {
	h := new(workflow.EventHandler)
	if err := readJSON(r, "an EventHandler JSON object", h); err != nil {
		return err
	}
	if err := s.e.AddEventHandler(r.Context(), h); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// PUT /api/event: body EventHandler; replaces a handler.
func (s *rest) updateEventHandler(w http.ResponseWriter, r *http.Request) error {
	h := new(workflow.EventHandler)
	if err := readJSON(r, "an EventHandler JSON object", h); err != nil {
		return err
	}
	if err := s.e.UpdateEventHandler(r.Context(), h); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// GET /api/event: every handler.
func (s *rest) listEventHandlers(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.e.EventHandlers(r.Context(), "", false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orEmptyList(hs))
	return nil
}

// GET /api/event/{event}?activeOnly=true: the handlers of one event.
func (s *rest) eventHandlersFor(w http.ResponseWriter, r *http.Request) error {
	activeOnly := r.URL.Query().Get("activeOnly") != "false"
	hs, err := s.e.EventHandlers(r.Context(), r.PathValue("event"), activeOnly)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orEmptyList(hs))
	return nil
}

// DELETE /api/event/{name}: removes a handler.
func (s *rest) removeEventHandler(w http.ResponseWriter, r *http.Request) error {
	if err := s.e.RemoveEventHandler(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func orEmptyList(hs []*workflow.EventHandler) []*workflow.EventHandler {
	if hs == nil {
		return []*workflow.EventHandler{}
	}
	return hs
}

// POST /api/tasks/{workflowId}/{taskRefName}/{status}?workerid=: body the
// output; completes (or fails) the open task with that reference name, as
// WAIT and HUMAN tasks are completed. With /sync the answer is the
// workflow. POST /api/tasks/{workflowId}/{status}/signal[/sync] reports on
// whichever WAIT or HUMAN task blocks the workflow or its sub-workflows.
func (s *rest) updateTaskByRef(w http.ResponseWriter, r *http.Request) error {
	status := workflow.TaskStatus(strings.ToUpper(r.PathValue("status")))
	if !status.Valid() {
		return invalid("status %q is not a task status; use COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS", r.PathValue("status"))
	}
	var output map[string]any
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeJSON("the request body (the task's output, a JSON object)", body, &output); err != nil {
			return err
		}
	}
	res := &workflow.TaskResult{Status: status, OutputData: output, WorkerID: r.URL.Query().Get("workerid")}
	id := r.PathValue("workflowId")
	if ref := r.PathValue("taskRefName"); ref != "" {
		err = s.e.UpdateTaskByRef(r.Context(), id, ref, res)
	} else {
		_, err = s.e.SignalWorkflow(r.Context(), id, res)
	}
	if err != nil {
		return err
	}
	if strings.HasSuffix(r.URL.Path, "/sync") {
		wf, err := s.e.Workflow(r.Context(), id, true)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, wf)
		return nil
	}
	writeText(w, id)
	return nil
}
