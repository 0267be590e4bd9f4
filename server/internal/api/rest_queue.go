package api

import (
	"net/http"

	"github.com/batonhq/baton/server/internal/engine"
)

// GET /api/queues?taskType=: [QueueStats], the figures of every queue (of
// one task type with taskType), for consoles and autoscalers. Rates are
// over the last minute and, like poll times, kept in memory since the
// server started.
func (s *rest) listQueues(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.e.Queues(r.URL.Query().Get("taskType")))
	return nil
}

// GET /api/queues/{type}?domain=: QueueDetail, the figures of the queue of
// the type in the domain (none when left out) with its workers.
func (s *rest) getQueue(w http.ResponseWriter, r *http.Request) error {
	taskType, domain := r.PathValue("type"), r.URL.Query().Get("domain")
	if err := checkQueue(taskType, domain); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.e.Queue(taskType, domain))
	return nil
}

// GET /api/overview?busiest=10: Overview, the executions in each status,
// the throughput of the last minute and hour (in memory since the server
// started) and the busiest queues.
func (s *rest) overview(w http.ResponseWriter, r *http.Request) error {
	busiest, err := queryInt(r, "busiest", 0)
	if err != nil {
		return err
	}
	if err := checkBusiest(busiest); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.e.Overview(busiest))
	return nil
}

// GET /api/tasks/queue/all: {"[domain:]type": size}, the tasks waiting in
// each queue workers poll, ready or delayed, as Conductor answers it.
func (s *rest) allQueueSizes(w http.ResponseWriter, _ *http.Request) error {
	sizes := map[string]int{}
	for _, q := range s.e.Queues("") {
		if !q.Internal {
			sizes[q.Name()] = q.Depth + q.Delayed
		}
	}
	writeJSON(w, http.StatusOK, sizes)
	return nil
}

// GET /api/tasks/queue/all/verbose: {"[domain:]type": {"a": {"size": n,
// "uacked": m}}}, Conductor's verbose shape, with one shard ("a"): size is
// the tasks waiting, uacked those handed out and not finished.
func (s *rest) allQueuesVerbose(w http.ResponseWriter, _ *http.Request) error {
	type shard struct {
		Size   int `json:"size"`
		Uacked int `json:"uacked"`
	}
	out := map[string]map[string]shard{}
	for _, q := range s.e.Queues("") {
		if !q.Internal {
			out[q.Name()] = map[string]shard{"a": {Size: q.Depth + q.Delayed, Uacked: q.InFlight}}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /api/tasks/queue/size?taskType=&domain=: the number of tasks waiting
// in one queue, ready or delayed.
func (s *rest) queueSize(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	taskType, domain := q.Get("taskType"), q.Get("domain")
	if taskType == "" {
		return invalid("the taskType query parameter is required")
	}
	if err := checkQueue(taskType, domain); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.e.QueueSize(engine.QueueName(taskType, domain)))
	return nil
}
