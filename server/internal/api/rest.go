package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/scheduler"
)

// rest is the Conductor-compatible REST layer under /api: Conductor's
// paths, JSON shapes and status codes, so Conductor's SDK workers and
// clients run unchanged. Errors are Conductor ErrorResponses.
type rest struct {
	e       *engine.Engine
	sched   *scheduler.Scheduler // nil: the scheduler's endpoints answer 503
	errs    *errorMapper
	maxBody int64
	mux     *http.ServeMux
}

func newREST(e *engine.Engine, sched *scheduler.Scheduler, errs *errorMapper, maxBody int64) *rest {
	s := &rest{e: e, sched: sched, errs: errs, maxBody: maxBody, mux: http.NewServeMux()}

	// Metadata (Conductor's MetadataResource).
	s.handle("POST /api/metadata/taskdefs", s.registerTaskDefs)
	s.handle("PUT /api/metadata/taskdefs", s.updateTaskDef)
	s.handle("GET /api/metadata/taskdefs", s.listTaskDefs)
	s.handle("GET /api/metadata/taskdefs/{name}", s.getTaskDef)
	s.handle("DELETE /api/metadata/taskdefs/{name}", s.deleteTaskDef)
	s.handle("POST /api/metadata/workflow", s.createWorkflowDef)
	s.handle("PUT /api/metadata/workflow", s.upsertWorkflowDefs)
	s.handle("GET /api/metadata/workflow", s.listWorkflowDefs)
	s.handle("POST /api/metadata/workflow/validate", s.validateWorkflowDef)
	s.handle("POST /api/metadata/workflow/dryrun", s.dryRunWorkflow)
	s.handle("GET /api/metadata/workflow/{name}", s.getWorkflowDef)
	s.handle("GET /api/metadata/workflow/{name}/versions", s.workflowDefVersions)
	s.handle("GET /api/metadata/workflow/names-and-versions", s.workflowNamesAndVersions)
	s.handle("DELETE /api/metadata/workflow/{name}/{version}", s.deleteWorkflowDef)

	// Workflow executions (WorkflowResource).
	s.handle("GET /api/workflow/search", s.searchWorkflows)
	s.handle("GET /api/workflow/search-v2", s.searchWorkflowsV2)
	s.handle("POST /api/workflow", s.startWorkflow)
	s.handle("POST /api/workflow/{name}", s.startWorkflowByName)
	s.handle("POST /api/workflow/execute/{name}/{version}", s.executeWorkflow)
	s.handle("GET /api/workflow/{id}", s.getWorkflow)
	s.handle("PUT /api/workflow/{id}/pause", s.pauseWorkflow)
	s.handle("PUT /api/workflow/{id}/resume", s.resumeWorkflow)
	s.handle("DELETE /api/workflow/{id}", s.terminateWorkflow)
	s.handle("POST /api/workflow/{id}/retry", s.retryWorkflow)
	s.handle("POST /api/workflow/{id}/restart", s.restartWorkflow)
	s.handle("POST /api/workflow/{id}/rerun", s.rerunWorkflow)
	s.handle("PUT /api/workflow/{id}/skiptask/{taskRef}", s.skipTask)
	s.handle("POST /api/workflow/{id}/variables", s.setVariables)
	s.handle("DELETE /api/workflow/{id}/remove", s.removeWorkflow)
	s.handle("DELETE /api/workflow/{id}/terminate-remove", s.terminateRemoveWorkflow)

	// Bulk operations (WorkflowBulkResource).
	s.handle("PUT /api/workflow/bulk/pause", s.bulkREST(batonv1.WorkflowAction_WORKFLOW_ACTION_PAUSE))
	s.handle("PUT /api/workflow/bulk/resume", s.bulkREST(batonv1.WorkflowAction_WORKFLOW_ACTION_RESUME))
	s.handle("POST /api/workflow/bulk/terminate", s.bulkREST(batonv1.WorkflowAction_WORKFLOW_ACTION_TERMINATE))
	s.handle("POST /api/workflow/bulk/retry", s.bulkREST(batonv1.WorkflowAction_WORKFLOW_ACTION_RETRY))
	s.handle("POST /api/workflow/bulk/restart", s.bulkREST(batonv1.WorkflowAction_WORKFLOW_ACTION_RESTART))
	s.handle("DELETE /api/workflow/bulk/remove", s.bulkREST(batonv1.WorkflowAction_WORKFLOW_ACTION_REMOVE))
	s.handle("DELETE /api/workflow/bulk/terminate-remove", s.bulkREST(batonv1.WorkflowAction_WORKFLOW_ACTION_TERMINATE_REMOVE))

	// Tasks (TaskResource). GET /api/tasks/poll/{type} and GET
	// /api/tasks/{taskId}/log overlap (both match /api/tasks/poll/log) and
	// neither is more specific, which ServeMux refuses; one pattern serves
	// both and tells them apart by the first segment.
	s.handle("GET /api/tasks/search", s.searchTasks)
	s.handle("GET /api/tasks/search-v2", s.searchTasksV2)
	s.handle("GET /api/tasks/poll/batch/{type}", s.batchPoll)
	s.handle("GET /api/tasks/queue/sizes", s.queueSizes)
	s.handle("GET /api/tasks/queue/polldata", s.pollData)
	s.handle("GET /api/tasks/queue/polldata/all", s.pollData)
	s.handle("GET /api/tasks/queue/size", s.queueSize)
	s.handle("GET /api/tasks/queue/all", s.allQueueSizes)
	s.handle("GET /api/tasks/queue/all/verbose", s.allQueuesVerbose)
	s.handle("GET /api/tasks/{first}/{second}", s.pollOrLogs)
	s.handle("GET /api/tasks/{taskId}", s.getTask)
	s.handle("POST /api/tasks", s.updateTask)
	s.handle("POST /api/tasks/update-v2", s.updateTaskV2)
	s.handle("POST /api/tasks/{taskId}/log", s.addLog)
	s.handle("POST /api/tasks/{workflowId}/{taskRefName}/{status}", s.updateTaskByRef)
	s.handle("POST /api/tasks/{workflowId}/{taskRefName}/{status}/sync", s.updateTaskByRef)
	s.handle("POST /api/tasks/{workflowId}/{status}/signal", s.updateTaskByRef)
	s.handle("POST /api/tasks/{workflowId}/{status}/signal/sync", s.updateTaskByRef)

	// Event handlers (EventResource).
	s.handle("POST /api/event", s.addEventHandler)
	s.handle("PUT /api/event", s.updateEventHandler)
	s.handle("GET /api/event", s.listEventHandlers)
	s.handle("GET /api/event/{event}", s.eventHandlersFor)
	s.handle("DELETE /api/event/{name}", s.removeEventHandler)

	// Workflow schedules (the scheduler module's SchedulerResource). Pause
	// and resume are GET in Conductor's resource and PUT in its SDKs' docs;
	// both are served.
	s.handle("POST /api/scheduler/schedules", s.saveSchedule)
	s.handle("GET /api/scheduler/schedules", s.listSchedules)
	s.handle("GET /api/scheduler/schedules/{name}", s.getSchedule)
	s.handle("DELETE /api/scheduler/schedules/{name}", s.deleteSchedule)
	s.handle("GET /api/scheduler/schedules/{name}/pause", s.pauseSchedule)
	s.handle("PUT /api/scheduler/schedules/{name}/pause", s.pauseSchedule)
	s.handle("GET /api/scheduler/schedules/{name}/resume", s.resumeSchedule)
	s.handle("PUT /api/scheduler/schedules/{name}/resume", s.resumeSchedule)
	s.handle("GET /api/scheduler/nextFewSchedules", s.nextFewSchedules)

	// Baton's figures of queues and of the server (rest_queue.go).
	s.handle("GET /api/queues", s.listQueues)
	s.handle("GET /api/queues/{type}", s.getQueue)
	s.handle("GET /api/overview", s.overview)

	// Dead letters of status listeners (rest_listener.go).
	s.handle("GET /api/listeners/deadletters", s.listDeadLetters)
	s.handle("POST /api/listeners/deadletters/redrive", s.redriveDeadLetters)
	s.handle("POST /api/listeners/deadletters/delete", s.deleteDeadLetters)
	s.handle("DELETE /api/listeners/deadletters/{id}", s.deleteDeadLetter)
	s.handle("/api/", func(_ http.ResponseWriter, r *http.Request) error {
		return &engine.Error{Code: engine.NotFound, Msg: "no endpoint " + r.Method + " " + r.URL.Path}
	})
	return s
}

// ServeHTTP bounds the request body, then routes.
func (s *rest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	s.mux.ServeHTTP(w, r)
}

// handle registers a handler that returns its error instead of writing it.
func (s *rest) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.errs.writeREST(w, r, err)
		}
	})
}

// readBody reads the whole (bounded) request body.
func readBody(r *http.Request) ([]byte, error) {
	return io.ReadAll(r.Body)
}

// readJSON decodes the request body; what describes the expected document.
func readJSON(r *http.Request, what string, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON("the request body ("+what+")", body, v)
}

// readOptionalJSON is readJSON for a body that may be left out (v keeps
// its zero value then).
func readOptionalJSON(r *http.Request, what string, v any) error {
	body, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return err
	}
	return decodeJSON("the request body ("+what+")", body, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a bug gets here: every value sent was decoded from JSON.
		status = http.StatusInternalServerError
		body = []byte(`{"status":500,"code":"INTERNAL_ERROR","message":"the server could not encode its response","retryable":false}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func writeText(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, text)
}

// queryInt returns an integer query parameter, def when it is absent.
func queryInt(r *http.Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalid("query parameter %s must be an integer, got %q", name, v)
	}
	return n, nil
}

// queryBool returns a boolean query parameter, def when it is absent.
func queryBool(r *http.Request, name string, def bool) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalid("query parameter %s must be true or false, got %q", name, v)
	}
	return b, nil
}

// pathInt returns an integer path segment.
func pathInt(r *http.Request, name string) (int, error) {
	v := r.PathValue(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalid("%s in the path must be an integer, got %q", name, v)
	}
	return n, nil
}
