package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// Limits of the batch poll, as in Conductor.
const (
	defaultBatchPollTimeoutMs = 100
	maxBatchPollTimeoutMs     = 5000
)

// GET /api/tasks/{first}/{second}: GET /api/tasks/poll/{type} or GET
// /api/tasks/{taskId}/log (see newREST).
func (s *rest) pollOrLogs(w http.ResponseWriter, r *http.Request) error {
	first, second := r.PathValue("first"), r.PathValue("second")
	switch {
	case first == "poll":
		return s.poll(w, r, second)
	case second == "log":
		return s.getLogs(w, r, first)
	}
	return &engine.Error{Code: engine.NotFound, Msg: "no endpoint " + r.Method + " " + r.URL.Path}
}

// GET /api/tasks/poll/{type}?workerid=&domain=: one task or 204, without
// waiting.
func (s *rest) poll(w http.ResponseWriter, r *http.Request, taskType string) error {
	q := r.URL.Query()
	tasks, err := s.e.Poll(r.Context(), engine.PollRequest{
		TaskType: taskType,
		Domain:   q.Get("domain"),
		WorkerID: q.Get("workerid"),
		Count:    1,
	})
	if err != nil {
		return err
	}
	if len(tasks) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, tasks[0])
	return nil
}

// GET /api/tasks/poll/batch/{type}?count=1&timeout=100&workerid=&domain=:
// a long poll of up to count tasks, waiting up to timeout ms for the
// first; [] when none came.
func (s *rest) batchPoll(w http.ResponseWriter, r *http.Request) error {
	count, err := queryInt(r, "count", 1)
	if err != nil {
		return err
	}
	if count < 1 || count > maxPollCount {
		return invalid("count must be between 1 and %d, got %d", maxPollCount, count)
	}
	timeout, err := queryInt(r, "timeout", defaultBatchPollTimeoutMs)
	if err != nil {
		return err
	}
	if timeout < 0 || timeout > maxBatchPollTimeoutMs {
		return invalid("timeout must be between 0 and %d ms, got %d; poll again to wait longer", maxBatchPollTimeoutMs, timeout)
	}
	q := r.URL.Query()
	tasks, err := s.e.Poll(r.Context(), engine.PollRequest{
		TaskType: r.PathValue("type"),
		Domain:   q.Get("domain"),
		WorkerID: q.Get("workerid"),
		Count:    count,
		Wait:     time.Duration(timeout) * time.Millisecond,
	})
	if err != nil {
		return err
	}
	if tasks == nil {
		tasks = []*workflow.Task{}
	}
	writeJSON(w, http.StatusOK, tasks)
	return nil
}

// POST /api/tasks: body TaskResult; answers the task id as text/plain.
func (s *rest) updateTask(w http.ResponseWriter, r *http.Request) error {
	res := new(workflow.TaskResult)
	if err := readJSON(r, "a TaskResult JSON object", res); err != nil {
		return err
	}
	if err := s.e.UpdateTask(r.Context(), res); err != nil {
		return err
	}
	writeText(w, res.TaskID)
	return nil
}

// POST /api/tasks/update-v2: body TaskResult; records it, then answers the
// next task of the same type and domain for the same worker (200), or 204
// when there is none.
func (s *rest) updateTaskV2(w http.ResponseWriter, r *http.Request) error {
	res := new(workflow.TaskResult)
	if err := readJSON(r, "a TaskResult JSON object", res); err != nil {
		return err
	}
	next, err := s.e.UpdateTaskAndPoll(r.Context(), res, engine.PollRequest{Count: 1})
	if err != nil {
		return err
	}
	if len(next) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, next[0])
	return nil
}

// POST /api/tasks/{taskId}/log: body = the log line as plain text. Some
// Conductor SDKs send it JSON-encoded ("\"line\""); such a string is
// decoded.
func (s *rest) addLog(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	line := string(body)
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '"' {
		var decoded string
		if json.Unmarshal(trimmed, &decoded) == nil {
			line = decoded
		}
	}
	if line == "" {
		return invalid("the request body (the log line) is empty")
	}
	if err := s.e.AddTaskLogs(r.Context(), r.PathValue("taskId"), []string{line}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// GET /api/tasks/{taskId}/log: [TaskExecLog].
func (s *rest) getLogs(w http.ResponseWriter, r *http.Request, taskID string) error {
	logs, err := s.e.TaskLogs(r.Context(), taskID)
	if err != nil {
		return err
	}
	if logs == nil {
		logs = []workflow.TaskExecLog{}
	}
	writeJSON(w, http.StatusOK, logs)
	return nil
}

// GET /api/tasks/{taskId}
func (s *rest) getTask(w http.ResponseWriter, r *http.Request) error {
	t, err := s.e.Task(r.Context(), r.PathValue("taskId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// GET /api/tasks/queue/sizes?taskType=a&taskType=b: {type: n}. A
// comma-separated list is accepted too.
func (s *rest) queueSizes(w http.ResponseWriter, r *http.Request) error {
	sizes := map[string]int{}
	for _, v := range r.URL.Query()["taskType"] {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				sizes[t] = s.e.QueueSize(t)
			}
		}
	}
	writeJSON(w, http.StatusOK, sizes)
	return nil
}

// GET /api/tasks/queue/polldata?taskType=: [PollData], when each worker
// last polled each domain of the type; GET /api/tasks/queue/polldata/all:
// of every type.
func (s *rest) pollData(w http.ResponseWriter, r *http.Request) error {
	taskType := r.URL.Query().Get("taskType")
	if strings.HasSuffix(r.URL.Path, "/all") {
		taskType = ""
	} else if taskType == "" {
		return invalid("the taskType query parameter is required (or use /api/tasks/queue/polldata/all)")
	}
	writeJSON(w, http.StatusOK, s.e.PollData(taskType))
	return nil
}
