package api

import (
	"errors"
	"net/http"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// bulkResponse is Conductor's BulkResponse.
type bulkResponse struct {
	BulkErrorResults      map[string]string `json:"bulkErrorResults"`
	BulkSuccessfulResults []string          `json:"bulkSuccessfulResults"`
	Message               string            `json:"message"`
}

// POST /api/metadata/taskdefs: body [TaskDef], created or replaced, all or
// none.
func (s *rest) registerTaskDefs(w http.ResponseWriter, r *http.Request) error {
	var defs []*workflow.TaskDef
	if err := readJSON(r, "a JSON array of TaskDef", &defs); err != nil {
		return err
	}
	if err := s.e.RegisterTaskDefs(r.Context(), defs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// PUT /api/metadata/taskdefs: body TaskDef, which must exist (as in
// Conductor, where creating is POST's job).
func (s *rest) updateTaskDef(w http.ResponseWriter, r *http.Request) error {
	def := new(workflow.TaskDef)
	if err := readJSON(r, "a TaskDef JSON object", def); err != nil {
		return err
	}
	if _, err := s.e.TaskDef(r.Context(), def.Name); err != nil {
		return err
	}
	if err := s.e.RegisterTaskDefs(r.Context(), []*workflow.TaskDef{def}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// GET /api/metadata/taskdefs
func (s *rest) listTaskDefs(w http.ResponseWriter, r *http.Request) error {
	defs, err := s.e.TaskDefs(r.Context())
	if err != nil {
		return err
	}
	if defs == nil {
		defs = []*workflow.TaskDef{}
	}
	writeJSON(w, http.StatusOK, defs)
	return nil
}

// GET /api/metadata/taskdefs/{name}
func (s *rest) getTaskDef(w http.ResponseWriter, r *http.Request) error {
	def, err := s.e.TaskDef(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, def)
	return nil
}

// DELETE /api/metadata/taskdefs/{name}
func (s *rest) deleteTaskDef(w http.ResponseWriter, r *http.Request) error {
	if err := s.e.DeleteTaskDef(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// POST /api/metadata/workflow?overwrite=true&newVersion=false: body
// WorkflowDef.
func (s *rest) createWorkflowDef(w http.ResponseWriter, r *http.Request) error {
	overwrite, err := queryBool(r, "overwrite", true)
	if err != nil {
		return err
	}
	newVersion, err := queryBool(r, "newVersion", false)
	if err != nil {
		return err
	}
	def := new(workflow.WorkflowDef)
	if err := readJSON(r, "a WorkflowDef JSON object", def); err != nil {
		return err
	}
	if _, err := s.e.RegisterWorkflowDef(r.Context(), def, overwrite, newVersion); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// PUT /api/metadata/workflow: body [WorkflowDef], each created or replaced
// on its own; the BulkResponse says which failed and why.
func (s *rest) upsertWorkflowDefs(w http.ResponseWriter, r *http.Request) error {
	var defs []*workflow.WorkflowDef
	if err := readJSON(r, "a JSON array of WorkflowDef", &defs); err != nil {
		return err
	}
	resp := bulkResponse{
		BulkErrorResults:      map[string]string{},
		BulkSuccessfulResults: []string{},
		Message:               "Bulk Request has been processed.",
	}
	for _, def := range defs {
		if def == nil {
			resp.BulkErrorResults[""] = "a workflow definition is null"
			continue
		}
		if _, err := s.e.RegisterWorkflowDef(r.Context(), def, true, false); err != nil {
			resp.BulkErrorResults[def.Name] = s.errs.message(r, err)
			continue
		}
		resp.BulkSuccessfulResults = append(resp.BulkSuccessfulResults, def.Name)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// GET /api/metadata/workflow: every version of every definition.
func (s *rest) listWorkflowDefs(w http.ResponseWriter, r *http.Request) error {
	defs, err := s.e.WorkflowDefs(r.Context())
	if err != nil {
		return err
	}
	if defs == nil {
		defs = []*workflow.WorkflowDef{}
	}
	writeJSON(w, http.StatusOK, defs)
	return nil
}

// GET /api/metadata/workflow/{name}?version=: the latest without a version.
func (s *rest) getWorkflowDef(w http.ResponseWriter, r *http.Request) error {
	version, err := queryInt(r, "version", 0)
	if err != nil {
		return err
	}
	def, err := s.e.WorkflowDef(r.Context(), r.PathValue("name"), version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, def)
	return nil
}

// workflowDefSummary is Conductor's WorkflowDefSummary: one version of a
// definition, without its tasks.
type workflowDefSummary struct {
	Name       string `json:"name"`
	Version    int    `json:"version"`
	CreateTime int64  `json:"createTime,omitempty"`
	UpdateTime int64  `json:"updateTime,omitempty"`
}

// summary is a definition's WorkflowDefSummary.
func summary(d *workflow.WorkflowDef) workflowDefSummary {
	return workflowDefSummary{Name: d.Name, Version: d.Version, CreateTime: d.CreateTime, UpdateTime: d.UpdateTime}
}

// GET /api/metadata/workflow/names-and-versions: every definition's
// versions by name, oldest first, without their tasks (Conductor's route;
// the designer's palette and inspector read the names from it).
func (s *rest) workflowNamesAndVersions(w http.ResponseWriter, r *http.Request) error {
	defs, err := s.e.WorkflowDefs(r.Context())
	if err != nil {
		return err
	}
	out := map[string][]workflowDefSummary{}
	for _, d := range defs { // sorted by name, then version
		out[d.Name] = append(out[d.Name], summary(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /api/metadata/workflow/{name}/versions: every version of one
// definition, oldest first (the designer's version picker).
func (s *rest) workflowDefVersions(w http.ResponseWriter, r *http.Request) error {
	defs, err := s.e.WorkflowDefVersions(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	out := make([]workflowDefSummary, len(defs))
	for i, d := range defs {
		out[i] = summary(d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// DELETE /api/metadata/workflow/{name}/{version}
func (s *rest) deleteWorkflowDef(w http.ResponseWriter, r *http.Request) error {
	version, err := pathInt(r, "version")
	if err != nil {
		return err
	}
	if err := s.e.DeleteWorkflowDef(r.Context(), r.PathValue("name"), version); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// POST /api/metadata/workflow/validate: body WorkflowDef. 200 when valid;
// otherwise 400 with every problem in validationErrors (path = JSON
// pointer), as Conductor reports constraint violations.
func (s *rest) validateWorkflowDef(w http.ResponseWriter, r *http.Request) error {
	def := new(workflow.WorkflowDef)
	if err := readJSON(r, "a WorkflowDef JSON object", def); err != nil {
		return err
	}
	if diags := s.e.ValidateWorkflowDef(def); len(diags) > 0 {
		return &engine.Error{Code: engine.InvalidArgument, Msg: "workflow definition is invalid: " + diags.Error(), Details: diags}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// POST /api/metadata/workflow/dryrun: body {"workflowDef": WorkflowDef,
// "input": {...}, "mocks": {"<taskReferenceName>": {"status", "output",
// "reasonForIncompletion", "sequence"}}, "maxSteps": n}; answers the path
// the decider took and the workflow's end. Nothing is stored.
func (s *rest) dryRunWorkflow(w http.ResponseWriter, r *http.Request) error {
	req := new(workflow.DryRunRequest)
	if err := readJSON(r, `{"workflowDef": {...}, "input": {...}, "mocks": {...}}`, req); err != nil {
		return err
	}
	res, err := s.e.DryRun(r.Context(), req)
	if err != nil {
		return inBody("/workflowDef", err)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// inBody makes the pointers of a validation error's diagnostics, which
// point into a definition, point into the request body that holds the
// definition at prefix.
func inBody(prefix string, err error) error {
	var e *engine.Error
	if !errors.As(err, &e) {
		return err
	}
	d, ok := e.Details.(workflow.Diagnostics)
	if !ok {
		return err
	}
	moved := make(workflow.Diagnostics, len(d))
	for i, x := range d {
		x.Pointer = prefix + x.Pointer
		moved[i] = x
	}
	return &engine.Error{Code: e.Code, Msg: e.Msg, Details: moved}
}
