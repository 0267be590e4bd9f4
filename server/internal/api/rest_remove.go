package api

import (
	"net/http"

	"github.com/batonhq/baton/server/internal/engine"
)

// DELETE /api/workflow/{id}/remove?archiveWorkflow=: removes an ended
// execution (Conductor's removeWorkflow). archiveWorkflow left out
// archives when the server has an archive directory; true on a server
// without one is refused, so that nothing meant to be kept is deleted.
func (s *rest) removeWorkflow(w http.ResponseWriter, r *http.Request) error {
	archive, err := archiveParam(r, s.e)
	if err != nil {
		return err
	}
	if err := s.e.RemoveWorkflow(r.Context(), r.PathValue("id"), archive); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// DELETE /api/workflow/{id}/terminate-remove?reason=&archiveWorkflow=:
// terminates the execution if it has not ended, then removes it.
func (s *rest) terminateRemoveWorkflow(w http.ResponseWriter, r *http.Request) error {
	archive, err := archiveParam(r, s.e)
	if err != nil {
		return err
	}
	if err := s.e.TerminateRemove(r.Context(), r.PathValue("id"), r.URL.Query().Get("reason"), archive); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// archiveParam reads archiveWorkflow, which defaults to whether the
// engine has an archive.
func archiveParam(r *http.Request, e *engine.Engine) (bool, error) {
	return queryBool(r, "archiveWorkflow", e.Archives())
}
