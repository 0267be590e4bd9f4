package api

import (
	"net/http"
	"strconv"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/scheduler"
)

// The workflow scheduler (Conductor's SchedulerResource, /api/scheduler).

// scheduler returns the scheduler, or an error when the server has none.
func (s *rest) scheduler() (*scheduler.Scheduler, error) {
	if s.sched == nil {
		return nil, &engine.Error{Code: engine.Unavailable, Msg: "this server runs no workflow scheduler"}
	}
	return s.sched, nil
}

// POST /api/scheduler/schedules: body WorkflowSchedule; creates or
// replaces a schedule and returns it.
func (s *rest) saveSchedule(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	in := new(workflow.Schedule)
	if err := readJSON(r, "a WorkflowSchedule JSON object", in); err != nil {
		return err
	}
	out, err := sc.Save(r.Context(), in, "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /api/scheduler/schedules?workflowName=: every schedule, or those of
// one workflow.
func (s *rest) listSchedules(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	list, err := sc.List(r.Context(), r.URL.Query().Get("workflowName"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// GET /api/scheduler/schedules/{name}.
func (s *rest) getSchedule(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	out, err := sc.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// DELETE /api/scheduler/schedules/{name}.
func (s *rest) deleteSchedule(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	if err := sc.Delete(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET (or PUT) /api/scheduler/schedules/{name}/pause?reason=.
func (s *rest) pauseSchedule(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	if err := sc.Pause(r.Context(), r.PathValue("name"), r.URL.Query().Get("reason"), ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// GET (or PUT) /api/scheduler/schedules/{name}/resume.
func (s *rest) resumeSchedule(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	if err := sc.Resume(r.Context(), r.PathValue("name"), ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// GET /api/scheduler/nextFewSchedules?cronExpression=&scheduleStartTime=
// &scheduleEndTime=&limit=5&zoneId=: the next instants (Unix ms) the
// expression fires at. zoneId is Baton's addition (UTC when absent).
func (s *rest) nextFewSchedules(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scheduler()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if q.Get("cronExpression") == "" {
		return invalid("query parameter cronExpression is required")
	}
	start, err := queryInt64(r, "scheduleStartTime")
	if err != nil {
		return err
	}
	end, err := queryInt64(r, "scheduleEndTime")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 5)
	if err != nil {
		return err
	}
	out, err := sc.NextRuns(q.Get("cronExpression"), q.Get("zoneId"), start, end, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// queryInt64 returns an integer query parameter, 0 when it is absent.
func queryInt64(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, invalid("query parameter %s must be an integer (Unix milliseconds), got %q", name, v)
	}
	return n, nil
}
