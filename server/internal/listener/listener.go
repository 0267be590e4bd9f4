package listener

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/httpcall"
	"github.com/batonhq/baton/server/internal/store"
)

// Config configures a Listener.
type Config struct {
	// Store keeps the messages and the dead letters. Required.
	Store store.Store
	// HTTP makes the requests, through its SSRF-guarded dialer. Required.
	HTTP *httpcall.Caller
	// URL receives the events of definitions that set no
	// workflowStatusListenerSink. Empty: those definitions send no events.
	URL string
	// Secret signs every request (the Baton-Signature header). Empty: no
	// signature.
	Secret string
	// MaxAttempts is how many times an event is tried before it becomes a
	// dead letter. Default 10.
	MaxAttempts int
	// Timeout bounds one attempt: connecting, sending and the whole
	// response. Default 10s.
	Timeout time.Duration
	// Workers is how many events are delivered at once. Default 8.
	Workers int
	// MinBackoff is the wait before the first retry; it doubles with each
	// retry up to MaxBackoff. Defaults 1s and 5m.
	MinBackoff, MaxBackoff time.Duration
	// Queue is how many events wait in memory for a worker. Beyond it they
	// wait in the store only, and are read again once the queue drains.
	// Default 4096.
	Queue int
	// Logger receives failed attempts. Default: discard.
	Logger *slog.Logger
	// Clock is the time of signatures and dead letters. Default time.Now.
	Clock func() time.Time
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("listener: Config.Store is required")
	case c.HTTP == nil:
		return errors.New("listener: Config.HTTP is required")
	case c.MaxAttempts < 0:
		return fmt.Errorf("listener: MaxAttempts is %d; it must be 1 or more (0 for the default)", c.MaxAttempts)
	}
	if c.URL != "" {
		if err := CheckURL(c.URL); err != nil {
			return err
		}
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 10
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	if c.Queue <= 0 {
		c.Queue = 4096
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return nil
}

// Listener delivers the listener messages it is given. Create it with New,
// then Start it; Stop it before closing the store.
type Listener struct {
	cfg   Config
	queue chan *store.Message

	mu sync.Mutex
	// held has the ids of the messages queued, in flight or waiting for a
	// retry: a message held is not taken twice.
	held map[string]bool
	// tries counts the attempts of each message not yet delivered or dead,
	// also while it waits in the store only after an overflow.
	tries map[string]int
	// overflow is set when a message did not fit in the queue: the store
	// is read again once the queue drains.
	overflow bool

	// ctx ends at Stop: no message is taken after it. calls ends a grace
	// period later, cancelling the attempts still in flight.
	ctx, calls       context.Context
	cancel, endCalls context.CancelFunc
	wg               sync.WaitGroup
}

// stopGrace is how long Stop lets the attempts in flight finish and record
// their outcome, so that an event the receiver took is not sent again
// after the restart.
const stopGrace = 2 * time.Second

// New returns a Listener; it delivers nothing until Start.
func New(cfg Config) (*Listener, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls, endCalls := context.WithCancel(context.Background())
	return &Listener{
		cfg: cfg, queue: make(chan *store.Message, cfg.Queue), held: map[string]bool{}, tries: map[string]int{},
		ctx: ctx, cancel: cancel, calls: calls, endCalls: endCalls,
	}, nil
}

// Enabled reports whether a definition with this workflowStatusListenerSink
// has somewhere to send its events.
func (l *Listener) Enabled(sink string) bool { return sink != "" || l.cfg.URL != "" }

// Start starts the delivery goroutines.
func (l *Listener) Start() {
	for range l.cfg.Workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.work()
		}()
	}
}

// Stop takes no more messages, lets the attempts in flight finish for up
// to stopGrace, then cancels those left and waits for the workers. What is
// not delivered stays in the store for the next start.
func (l *Listener) Stop() {
	l.cancel()
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopGrace):
	}
	l.endCalls()
	<-done
}

// Enqueue hands a committed listener message over for delivery. It never
// blocks; a message already held is ignored.
func (l *Listener) Enqueue(m *store.Message) {
	l.mu.Lock()
	if l.held[m.ID] {
		l.mu.Unlock()
		return
	}
	l.held[m.ID] = true
	l.mu.Unlock()
	l.push(m)
}

// push puts a held message in the queue, or lets it go (it stays in the
// store) and sets overflow when the queue is full.
func (l *Listener) push(m *store.Message) {
	select {
	case l.queue <- m:
	default:
		l.mu.Lock()
		delete(l.held, m.ID)
		l.overflow = true
		l.mu.Unlock()
	}
}

func (l *Listener) work() {
	for {
		select {
		case <-l.ctx.Done():
			return
		case m := <-l.queue:
			if l.ctx.Err() != nil {
				return // stopped: the message stays in the store
			}
			l.attempt(m)
			l.refill()
		}
	}
}

// refill reads the store again after an overflow, once the queue is
// empty.
func (l *Listener) refill() {
	l.mu.Lock()
	again := l.overflow && len(l.queue) == 0
	if again {
		l.overflow = false
	}
	l.mu.Unlock()
	if !again {
		return
	}
	err := l.cfg.Store.Messages(l.ctx, func(m *store.Message) error {
		if m.Kind == Kind {
			l.Enqueue(m)
		}
		return nil
	})
	if err != nil && l.ctx.Err() == nil {
		l.cfg.Logger.Warn("listener: read undelivered events", "err", err)
		l.mu.Lock()
		l.overflow = true
		l.mu.Unlock()
	}
}

// attempt makes one delivery attempt and decides what follows: the
// acknowledgement, a retry, or the dead-letter list.
func (l *Listener) attempt(m *store.Message) {
	sink, event, err := Unpack(m)
	if err != nil {
		l.deadLetter(m, 1, "malformed: "+err.Error())
		return
	}
	url := sink
	if url == "" {
		url = l.cfg.URL
	}
	if url == "" {
		l.deadLetter(m, 1, "no receiver: the definition sets no workflowStatusListenerSink and the server has no default listener URL (--listener-url); set one, then redrive")
		return
	}
	out := l.post(url, m, event)
	if l.calls.Err() != nil {
		return // cut off by Stop: the message stays in the store
	}
	l.mu.Lock()
	l.tries[m.ID]++
	attempts := l.tries[m.ID]
	l.mu.Unlock()
	switch {
	case out.Status == workflow.TaskCompleted:
		l.ack(m)
	case out.Status == workflow.TaskFailedWithTerminalError || attempts >= l.cfg.MaxAttempts:
		l.deadLetter(m, attempts, out.Reason)
	default:
		l.cfg.Logger.Warn("listener: delivery failed; will retry", "event", m.ID, "url", url, "attempt", attempts, "err", out.Reason)
		l.retry(m, attempts)
	}
}

// post sends the event once.
func (l *Listener) post(url string, m *store.Message, event []byte) httpcall.Outcome {
	var typ struct {
		Type string `json:"type"`
	}
	_ = workflow.Decode(event, &typ)
	headers := map[string]any{"Baton-Event-Id": m.ID, "Baton-Event-Type": typ.Type}
	if l.cfg.Secret != "" {
		headers["Baton-Signature"] = Sign(l.cfg.Secret, l.cfg.Clock(), event)
	}
	ms := l.cfg.Timeout.Milliseconds()
	ctx, cancel := context.WithTimeout(l.calls, l.cfg.Timeout)
	defer cancel()
	return l.cfg.HTTP.Call(ctx, map[string]any{
		"uri": url, "method": "POST", "headers": headers, "body": string(event),
		"contentType": "application/json", "connectionTimeOut": ms, "readTimeOut": ms,
	})
}

// Sign returns the Baton-Signature header of a body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// retry queues the message again after its back-off.
func (l *Listener) retry(m *store.Message, attempts int) {
	d := l.cfg.MinBackoff << min(attempts-1, 30)
	if d <= 0 || d > l.cfg.MaxBackoff {
		d = l.cfg.MaxBackoff
	}
	d = d/2 + rand.N(d/2+1)
	// A timer left at Stop fires into nothing: the message is in the store.
	time.AfterFunc(d, func() {
		if l.ctx.Err() == nil {
			l.push(m)
		}
	})
}

// ack deletes a delivered message. If the store fails, the message is
// held for a retry: it will be sent again (at least once).
func (l *Listener) ack(m *store.Message) {
	err := l.cfg.Store.Commit(l.calls, &store.Transition{Ack: []string{m.ID}})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		if l.ctx.Err() == nil {
			l.cfg.Logger.Warn("listener: acknowledge a delivered event", "event", m.ID, "err", err)
			l.retry(m, 1)
		}
		return
	}
	l.release(m)
}

// deadLetter moves the message to the dead-letter list.
func (l *Listener) deadLetter(m *store.Message, attempts int, reason string) {
	d := &store.DeadLetter{Message: m, Attempts: attempts, Error: reason, Time: l.cfg.Clock().UnixMilli()}
	err := l.cfg.Store.DeadLetterPut(l.calls, d)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		if l.ctx.Err() == nil {
			l.cfg.Logger.Warn("listener: move an event to the dead letters", "event", m.ID, "err", err)
			l.retry(m, attempts)
		}
		return
	}
	if err == nil {
		l.cfg.Logger.Warn("listener: event moved to the dead letters", "event", m.ID, "workflow", m.WorkflowID, "attempts", attempts, "err", reason)
	}
	l.release(m)
}

func (l *Listener) release(m *store.Message) {
	l.mu.Lock()
	delete(l.held, m.ID)
	delete(l.tries, m.ID)
	l.mu.Unlock()
}
