// Package live is the web console's live view: a websocket hub fed by the
// engine's change feed (engine.Subscribe). A browser connects to the Hub,
// subscribes with a small JSON message, and receives a snapshot and then
// JSON deltas numbered by the feed's sequence; on a reconnect it passes
// the last position it handled and gets what it missed, or a gap and a new
// snapshot. static/src/live.ts is the browser side.
//
// Client messages (one subscription per connection; a new one replaces
// it):
//
//	{"sub":"execution","id":"<workflow id>","from":{"epoch":"..","seq":12}}
//	{"sub":"executions","query":{"names":[..],"statuses":[..],"correlationId":"..","limit":50},"from":{..}}
//	{"sub":"overview","from":{..}}
//
// Server messages:
//
//	{"type":"snapshot","epoch":..,"seq":..,"workflow":{..},"version":..,"tasks":[..]}  an execution
//	{"type":"snapshot","epoch":..,"seq":..,"workflows":[..]}                           executions, overview
//	{"type":"delta","epoch":..,"seq":..,"workflow":{..},"version":..,"tasks":[..],"merged":3}
//	{"type":"gap","epoch":..,"seq":..,"reason":".."}  from was not honoured; a snapshot follows
//	{"type":"error","reason":".."}                     the subscription was refused
//
// Workflows and tasks are summaries (engine.WorkflowSummary,
// engine.TaskSummary): statuses and times, no input or output. Deltas of
// the executions and overview subscriptions carry no tasks.
//
// The hub never slows the feed: each client has a bounded queue (its
// subscription's buffer); a client whose queue overflows is dropped by the
// feed and its connection closed. Deltas that wait in a client's queue are
// coalesced before they are written: several changes of one execution go
// out as one delta with the sequence number of the last (sequence numbers
// a client sees only grow).
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// Options configures a Hub. The zero value is usable.
type Options struct {
	// AllowedOrigins are the origins ("https://console.example.com")
	// whose pages may connect besides those of the request's own host.
	// A request without an Origin header (not a browser) is accepted.
	AllowedOrigins []string
	// MaxMessageBytes bounds a message from a client; a larger one closes
	// the connection. Default: 4096.
	MaxMessageBytes int
	// SendQueue is how many changes may wait for a client (those of a
	// flush window among them) before it is dropped. Default: 256.
	SendQueue int
	// PingInterval is how often the hub pings a client; a client that
	// answers no ping for two intervals is closed. Default: 30s.
	PingInterval time.Duration
	// WriteTimeout bounds each write to a client; a client that takes
	// longer is closed. Default: 10s.
	WriteTimeout time.Duration
	// FlushInterval is how long a change waits for others to go out with
	// it, merged: it bounds the messages a client gets from a busy
	// execution (to 1/FlushInterval a second) and adds at most that to
	// their delay. Default: 25ms; negative sends each batch at once.
	FlushInterval time.Duration
	// Logger receives what goes wrong with a connection. Default: discard.
	Logger *slog.Logger
}

func (o *Options) withDefaults() {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 4096
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = 25 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Limits of the hub.
const (
	// socketSendBuffer is each connection's kernel send buffer: with the
	// send queue it bounds how far a client may fall behind (and what a
	// stalled one costs) before the hub drops it.
	socketSendBuffer = 64 << 10
	// maxBatch is how many queued changes are coalesced at most.
	maxBatch = 1024
	// overviewLimit is the snapshot of the overview subscription.
	overviewLimit = 20
	// defaultQueryLimit and the store's maximum bound the snapshot of an
	// executions subscription.
	defaultQueryLimit = 50
	maxQueryLimit     = 1000
)

// Hub serves the live view's websocket. Create it with New.
type Hub struct {
	e        *engine.Engine
	opts     Options
	upgrader websocket.Upgrader
	clients  atomic.Int64
	prepared prepared
	// done is closed by Close: every connection ends, subscribed or not
	// (http.Server's Shutdown does not track hijacked connections).
	done      chan struct{}
	closeOnce sync.Once
}

// New returns a hub over an engine's change feed.
func New(e *engine.Engine, opts Options) *Hub {
	opts.withDefaults()
	h := &Hub{e: e, opts: opts, done: make(chan struct{})}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		CheckOrigin:     h.checkOrigin,
	}
	return h
}

// Close ends every connection, telling the clients the server is going
// away; they reconnect (to this server once it is back, or another).
func (h *Hub) Close() { h.closeOnce.Do(func() { close(h.done) }) }

// Clients counts the connected clients.
func (h *Hub) Clients() int { return int(h.clients.Load()) }

// checkOrigin accepts a page of the request's own host or of an allowed
// origin, and a client that sends no Origin (not a browser, so not a page
// of another site riding on the user's cookies).
func (h *Hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(h.opts.AllowedOrigins, func(o string) bool {
		return strings.EqualFold(strings.TrimRight(o, "/"), origin)
	})
}

// ServeHTTP upgrades the request and serves the client until it leaves.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "this endpoint serves the live view over a websocket: connect with a websocket client", http.StatusBadRequest)
		return
	}
	if !h.checkOrigin(r) {
		h.opts.Logger.Warn("live: refused a websocket from another origin", "origin", r.Header.Get("Origin"), "host", r.Host)
		http.Error(w, fmt.Sprintf("origin %s may not open the live view of %s: add it to the allowed origins", r.Header.Get("Origin"), r.Host), http.StatusForbidden)
		return
	}
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	if tcp, ok := conn.NetConn().(*net.TCPConn); ok {
		_ = tcp.SetWriteBuffer(socketSendBuffer)
	}
	h.clients.Add(1)
	defer h.clients.Add(-1)
	c := &client{h: h, conn: conn, reqs: make(chan subMessage), readerDone: make(chan struct{}), writerDone: make(chan struct{})}
	go func() {
		defer close(c.writerDone)
		c.write()
		conn.Close() // ends the read
	}()
	c.read()
	close(c.readerDone)
	<-c.writerDone
}

// subMessage is a subscription from a client.
type subMessage struct {
	Sub   string           `json:"sub"`
	ID    string           `json:"id,omitempty"`
	Query *query           `json:"query,omitempty"`
	From  *engine.Position `json:"from,omitempty"`
}

// query is the filter of an executions subscription.
type query struct {
	Names         []string          `json:"names,omitempty"`
	Statuses      []workflow.Status `json:"statuses,omitempty"`
	CorrelationID string            `json:"correlationId,omitempty"`
	Limit         int               `json:"limit,omitempty"`
}

// message is what the hub sends.
type message struct {
	Type         string                   `json:"type"`
	Epoch        string                   `json:"epoch,omitempty"`
	Seq          uint64                   `json:"seq"`
	Reason       string                   `json:"reason,omitempty"`
	Workflow     *engine.WorkflowSummary  `json:"workflow,omitempty"`
	Version      uint64                   `json:"version,omitempty"`
	Tasks        []engine.TaskSummary     `json:"tasks,omitempty"`
	RemovedTasks []string                 `json:"removedTasks,omitempty"`
	Deleted      bool                     `json:"deleted,omitempty"`
	Workflows    []engine.WorkflowSummary `json:"workflows,omitempty"`
	// Merged is how many changes a coalesced delta stands for.
	Merged int `json:"merged,omitempty"`

	index map[string]int // task id -> its place in Tasks, while merging
	first uint64         // the sequence number of the first change merged
}

// client is one connection: read runs in the handler's goroutine, write
// in its own; gorilla/websocket allows one of each.
type client struct {
	h          *Hub
	conn       *websocket.Conn
	reqs       chan subMessage
	readerDone chan struct{}
	writerDone chan struct{}
}

// closeWith sends a close frame with a reason (at most 123 bytes), which
// ends the connection. It may run beside the writer.
func (c *client) closeWith(code int, reason string) {
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(c.h.opts.WriteTimeout))
}

// read reads the client's subscriptions until the connection ends.
func (c *client) read() {
	o := &c.h.opts
	// The library's own limit is a backstop far above ours, so that a
	// message over ours gets a close frame that says so.
	c.conn.SetReadLimit(int64(o.MaxMessageBytes) * 16)
	wait := 2 * o.PingInterval
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(wait)) })
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, int64(o.MaxMessageBytes)+1))
		if err != nil {
			return
		}
		if len(data) > o.MaxMessageBytes {
			c.closeWith(websocket.CloseMessageTooBig, fmt.Sprintf("a message to the live view may be at most %d bytes", o.MaxMessageBytes))
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(wait))
		var m subMessage
		if err := json.Unmarshal(data, &m); err != nil {
			c.closeWith(websocket.CloseUnsupportedData, "not a subscription: send JSON such as {\"sub\":\"execution\",\"id\":\"...\"}")
			return
		}
		if reason := m.invalid(); reason != "" {
			c.closeWith(websocket.CloseUnsupportedData, reason)
			return
		}
		select {
		case c.reqs <- m:
		case <-c.writerDone:
			return
		}
	}
}

// invalid says what is wrong with a subscription, or "".
func (m *subMessage) invalid() string {
	switch m.Sub {
	case "execution":
		if m.ID == "" {
			return `an execution subscription needs "id"`
		}
	case "executions":
		if m.Query != nil && (m.Query.Limit < 0 || m.Query.Limit > maxQueryLimit) {
			return fmt.Sprintf("query.limit must be between 0 (for %d) and %d", defaultQueryLimit, maxQueryLimit)
		}
		if m.Query != nil {
			for _, s := range m.Query.Statuses {
				if !s.Valid() {
					return fmt.Sprintf("query.statuses: %.40q is not a workflow status", s)
				}
			}
		}
	case "overview":
	default:
		return fmt.Sprintf(`unknown subscription %.30q: use "execution", "executions" or "overview"`, m.Sub)
	}
	return ""
}

// write sends snapshots, deltas and pings until the reader ends, a write
// fails, or the feed drops the client.
func (c *client) write() {
	ping := time.NewTicker(c.h.opts.PingInterval)
	defer ping.Stop()
	var s *stream
	defer func() {
		if s != nil {
			s.sub.Close()
		}
	}()
	var (
		changes <-chan *engine.Change
		batch   []*engine.Change
		flush   = time.NewTimer(time.Hour)
		flushC  <-chan time.Time // set while a batch waits
	)
	flush.Stop()
	defer flush.Stop()
	// send drains what else waits and sends the batch, coalesced.
	send := func() bool {
	drain:
		for len(batch) < maxBatch {
			select {
			case more, ok := <-changes:
				if !ok {
					break drain // sent first; the end is seen next
				}
				batch = append(batch, more)
			default:
				break drain
			}
		}
		flushC = nil
		defer func() { batch = batch[:0] }()
		if s.execution && batch[0].Version > s.version {
			// Every client of the execution that merges the same
			// changes sends the same delta: merged once for all.
			first, last := batch[0], batch[len(batch)-1]
			key := preparedKey{seq: last.Seq, first: first.Seq, merged: len(batch), tasks: true}
			pm, err := c.h.prepared.getOr(key, func() *message { return s.coalesce(batch)[0] })
			if err != nil {
				return false
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(c.h.opts.WriteTimeout))
			return c.conn.WritePreparedMessage(pm) == nil
		}
		for _, m := range s.coalesce(batch) {
			if err := c.sendDelta(s, m); err != nil {
				return false
			}
		}
		return true
	}
	for {
		// While a batch waits for its flush, the changes stay in the
		// subscription's buffer: the writer wakes twice a window, not
		// once a change.
		receive := changes
		if flushC != nil {
			receive = nil
		}
		select {
		case <-c.readerDone:
			return
		case <-c.h.done:
			c.closeWith(websocket.CloseGoingAway, "the server is stopping")
			return
		case m := <-c.reqs:
			if s != nil {
				s.sub.Close()
				s, changes, batch, flushC = nil, nil, batch[:0], nil
			}
			var err error
			s, err = c.subscribe(m)
			if err != nil {
				c.h.opts.Logger.Debug("live: write", "err", err)
				return
			}
			if s != nil {
				changes = s.sub.Changes()
			}
		case ch, ok := <-receive:
			if !ok {
				if len(batch) > 0 && !send() {
					return
				}
				c.ended(s.sub.Err())
				return
			}
			batch = append(batch, ch)
			switch {
			case c.h.opts.FlushInterval < 0 || len(batch) >= maxBatch:
				if !send() {
					return
				}
			case flushC == nil:
				flush.Reset(c.h.opts.FlushInterval)
				flushC = flush.C
			}
		case <-flushC:
			if !send() {
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.h.opts.WriteTimeout)); err != nil {
				return
			}
		}
	}
}

// ended closes the connection with why the subscription ended.
func (c *client) ended(err error) {
	switch {
	case errors.Is(err, engine.ErrSubscriberSlow):
		// Its buffers are likely full, so the close frame may not reach
		// it; the connection ends all the same.
		c.closeWith(websocket.CloseTryAgainLater, "too slow: reconnect and resume from the last seq")
	default:
		c.closeWith(websocket.CloseServiceRestart, "the server is stopping: reconnect later")
	}
}

// sendDelta sends a delta, encoded once for every client that sends the
// same.
func (c *client) sendDelta(s *stream, m *message) error {
	pm, err := c.h.prepared.get(m, s.execution)
	if err != nil {
		return err
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.h.opts.WriteTimeout))
	return c.conn.WritePreparedMessage(pm)
}

func (c *client) send(m *message) error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(c.h.opts.WriteTimeout))
	w, err := c.conn.NextWriter(websocket.TextMessage)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(w).Encode(m); err != nil {
		return err
	}
	return w.Close()
}

// stream is a client's current subscription.
type stream struct {
	sub   *engine.Subscription
	epoch string
	// execution is set for an execution subscription, whose deltas carry
	// tasks; version is that of its snapshot.
	execution bool
	version   uint64
}

// subscribe subscribes to the feed and sends what comes first: a gap and
// a snapshot, or the backlog of a resumed subscription. It returns nil and
// no error when the subscription was refused (the client was told).
func (c *client) subscribe(m subMessage) (*stream, error) {
	ctx := context.Background()
	filter := engine.Filter{WorkflowID: m.ID}
	limit := overviewLimit
	switch m.Sub {
	case "execution":
	case "executions":
		limit = defaultQueryLimit
		filter.WorkflowID = ""
		if q := m.Query; q != nil {
			filter.Names, filter.Statuses, filter.CorrelationID = q.Names, q.Statuses, q.CorrelationID
			if q.Limit > 0 {
				limit = q.Limit
			}
		}
	case "overview":
		filter.WorkflowID = ""
	}
	sub, err := c.h.e.Subscribe(engine.SubscribeRequest{Filter: filter, From: m.From, Buffer: c.h.opts.SendQueue})
	if err != nil {
		return nil, c.send(&message{Type: "error", Reason: err.Error()})
	}
	s := &stream{sub: sub, epoch: sub.Start.Epoch, execution: m.Sub == "execution"}
	fail := func(err error) (*stream, error) {
		sub.Close()
		return nil, err
	}
	if sub.Resumed {
		for _, out := range s.coalesce(sub.Backlog) {
			if err := c.send(out); err != nil {
				return fail(err)
			}
		}
		return s, nil
	}
	if m.From != nil {
		reason := "the server no longer holds the changes after that position: here is a snapshot"
		if m.From.Epoch != sub.Start.Epoch {
			reason = "the server was restarted: here is a snapshot"
		}
		if err := c.send(&message{Type: "gap", Epoch: s.epoch, Seq: sub.Start.Seq, Reason: reason}); err != nil {
			return fail(err)
		}
	}
	snap := &message{Type: "snapshot", Epoch: s.epoch, Seq: sub.Start.Seq}
	if s.execution {
		w, version, err := c.h.e.Snapshot(ctx, m.ID)
		if err != nil {
			sub.Close()
			return nil, c.send(&message{Type: "error", Reason: err.Error()})
		}
		sum := engine.Summarize(w)
		snap.Workflow, snap.Version, s.version = &sum, version, version
		snap.Tasks = make([]engine.TaskSummary, len(w.Tasks))
		for i, t := range w.Tasks {
			snap.Tasks[i] = engine.SummarizeTask(t)
		}
	} else {
		list, err := c.h.e.SnapshotQuery(ctx, filter, limit)
		if err != nil {
			sub.Close()
			return nil, c.send(&message{Type: "error", Reason: err.Error()})
		}
		snap.Workflows = make([]engine.WorkflowSummary, len(list))
		for i, w := range list {
			snap.Workflows[i] = engine.Summarize(w)
		}
	}
	if err := c.send(snap); err != nil {
		return fail(err)
	}
	return s, nil
}
