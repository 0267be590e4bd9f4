package api

import (
	"encoding/json"
	"net/http"

	"github.com/batonhq/baton/server/internal/listener"
	"github.com/batonhq/baton/server/internal/store"
)

// The dead letters of status listeners (package listener): Baton's own
// endpoints, Conductor has none.

// maxDeadLetterIDs bounds the ids of one redrive or delete.
const maxDeadLetterIDs = 1000

// maxDeadLetterBody bounds the body of a redrive or delete: 1000 ids with
// room to spare.
const maxDeadLetterBody = 256 << 10

// deadLetterJSON is a dead letter as the API shows it.
type deadLetterJSON struct {
	ID         string `json:"id"`
	WorkflowID string `json:"workflowId,omitempty"`
	// Sink is the definition's receiver; empty for the server's default.
	Sink     string          `json:"sink,omitempty"`
	Attempts int             `json:"attempts"`
	Error    string          `json:"error"`
	Time     int64           `json:"time"`
	Event    json.RawMessage `json:"event,omitempty"`
}

func deadLetterView(d *store.DeadLetter) deadLetterJSON {
	out := deadLetterJSON{ID: d.Message.ID, WorkflowID: d.Message.WorkflowID, Attempts: d.Attempts, Error: d.Error, Time: d.Time}
	if sink, event, err := listener.Unpack(d.Message); err == nil {
		out.Sink, out.Event = sink, event
	}
	return out
}

func (s *rest) listDeadLetters(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 0)
	if err != nil {
		return err
	}
	list, err := s.e.DeadLetters(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		return err
	}
	out := make([]deadLetterJSON, len(list))
	for i, d := range list {
		out[i] = deadLetterView(d)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *rest) redriveDeadLetters(w http.ResponseWriter, r *http.Request) error {
	ids, err := readDeadLetterIDs(w, r)
	if err != nil {
		return err
	}
	if err := s.e.RedriveDeadLetters(r.Context(), ids); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *rest) deleteDeadLetters(w http.ResponseWriter, r *http.Request) error {
	ids, err := readDeadLetterIDs(w, r)
	if err != nil {
		return err
	}
	if err := s.e.DeleteDeadLetters(r.Context(), ids); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *rest) deleteDeadLetter(w http.ResponseWriter, r *http.Request) error {
	if err := s.e.DeleteDeadLetters(r.Context(), []string{r.PathValue("id")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readDeadLetterIDs reads a JSON array of dead letter ids.
func readDeadLetterIDs(w http.ResponseWriter, r *http.Request) ([]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxDeadLetterBody)
	var ids []string
	if err := readJSON(r, `a JSON array of dead letter ids, such as ["0193..."]`, &ids); err != nil {
		return nil, err
	}
	return checkDeadLetterIDs(ids)
}

func checkDeadLetterIDs(ids []string) ([]string, error) {
	switch {
	case len(ids) == 0:
		return nil, invalid("no dead letter id given; list them with GET /api/listeners/deadletters")
	case len(ids) > maxDeadLetterIDs:
		return nil, invalid("%d dead letter ids given; at most %d per request", len(ids), maxDeadLetterIDs)
	}
	return ids, nil
}
