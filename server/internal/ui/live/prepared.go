package live

import (
	"encoding/json"
	"sync"

	"github.com/gorilla/websocket"
)

// prepared caches the frames of recent deltas. Clients that keep up
// receive the same deltas (their flush windows open with the same change,
// so they merge the same changes): encoding and framing each once instead
// of once per client is what lets hundreds of clients watch one busy
// execution.
//
// A delta is known by its last change, its first and how many it merges,
// and whether it carries tasks: an execution subscription merges every
// change of its execution between the first and the last; a summary-only
// delta is the last change's summary.
type prepared struct {
	mu      sync.Mutex
	entries [preparedSlots]preparedEntry
}

const preparedSlots = 1024

type preparedKey struct {
	seq, first uint64
	merged     int
	tasks      bool
}

type preparedEntry struct {
	key preparedKey
	msg *websocket.PreparedMessage
}

// get returns the frames of a delta, encoding it if no other client did
// yet.
func (p *prepared) get(m *message, tasks bool) (*websocket.PreparedMessage, error) {
	return p.getOr(preparedKey{seq: m.Seq, first: m.first, merged: m.Merged, tasks: tasks}, func() *message { return m })
}

// getOr returns the frames of the delta known by key, building it if no
// other client did yet.
func (p *prepared) getOr(key preparedKey, build func() *message) (*websocket.PreparedMessage, error) {
	i := (key.seq*31 + key.first) % preparedSlots
	if key.tasks {
		i = (i + preparedSlots/2) % preparedSlots
	}
	p.mu.Lock()
	e := p.entries[i]
	p.mu.Unlock()
	if e.msg != nil && e.key == key {
		return e.msg, nil
	}
	data, err := json.Marshal(build())
	if err != nil {
		return nil, err
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, data)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.entries[i] = preparedEntry{key: key, msg: pm}
	p.mu.Unlock()
	return pm, nil
}
