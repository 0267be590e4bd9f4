package httpcall

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

const (
	defaultMaxResponseBytes = 1 << 20
	defaultUserAgent        = "Baton"
	maxRedirects            = 10
	maxReasonBody           = 500
)

// Config configures a Caller. The zero value refuses every internal
// address, reads at most 1 MiB of a response body and sends the User-Agent
// "Baton".
type Config struct {
	// Allow lists networks that may be called even though they are internal
	// (loopback, private, link-local ...), e.g.
	// netip.MustParsePrefix("127.0.0.1/32"). Empty: none. An invalid prefix
	// makes New panic.
	Allow []netip.Prefix
	// MaxResponseBytes caps the response body read, after decompression;
	// default 1 MiB. A larger body fails the task with a reason saying so.
	MaxResponseBytes int64
	// UserAgent is sent unless the task's headers set one; default "Baton".
	UserAgent string
}

// Caller makes the requests of HTTP tasks. It is safe for concurrent use;
// its connections are pooled and reused across calls.
type Caller struct {
	policy    policy
	maxBody   int64
	userAgent string
	client    *http.Client

	// lookup resolves host names; net.DefaultResolver.LookupNetIP unless a
	// test replaces it.
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
	// tlsConfig is the base TLS configuration of every connection: the
	// system's roots and a session cache, unless a test replaces it.
	tlsConfig *tls.Config
}

// New returns a Caller with the given configuration.
func New(cfg Config) *Caller {
	c := &Caller{
		policy:    newPolicy(cfg.Allow),
		maxBody:   cfg.MaxResponseBytes,
		userAgent: cfg.UserAgent,
		lookup:    net.DefaultResolver.LookupNetIP,
		tlsConfig: &tls.Config{ClientSessionCache: tls.NewLRUClientSessionCache(0)},
	}
	if c.maxBody <= 0 {
		c.maxBody = defaultMaxResponseBytes
	}
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent
	}
	c.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil, // through a proxy, the address checked would be the proxy's
			DialContext:            c.dialTCP,
			DialTLSContext:         c.dialTLS,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    16,
			IdleConnTimeout:        90 * time.Second,
			ExpectContinueTimeout:  time.Second,
			MaxResponseHeaderBytes: 1 << 20,
		},
		CheckRedirect: checkRedirect,
	}
	return c
}

// WithoutRedirects returns a Caller that shares c's connections and
// network policy but follows no redirect: a 3xx answer is the outcome, a
// failure. Webhooks use it, as Stripe's and GitHub's do: following a
// redirect would turn the POST into a GET without its body (and could ack
// an event nobody received), and carry signed headers to another host.
func (c *Caller) WithoutRedirects() *Caller {
	d := *c
	client := *c.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.client = &client
	return &d
}

// Outcome is what the call means for the task.
type Outcome struct {
	Status workflow.TaskStatus // COMPLETED, FAILED or FAILED_WITH_TERMINAL_ERROR
	Output map[string]any      // {"response": {"statusCode", "reasonPhrase", "headers", "body"}} when a response arrived
	Reason string              // reasonForIncompletion when not COMPLETED
}

func terminal(reason string) Outcome {
	return Outcome{Status: workflow.TaskFailedWithTerminalError, Reason: reason}
}

func failed(reason string, output map[string]any) Outcome {
	return Outcome{Status: workflow.TaskFailed, Output: output, Reason: reason}
}

// Call makes the request described by a task's input (Conductor's
// http_request object, or the same fields at the top level of the input) and
// returns its outcome. It never returns a Go error: every failure is an
// Outcome.
func (c *Caller) Call(ctx context.Context, input map[string]any) Outcome {
	r, err := parseRequest(input)
	if err != nil {
		return terminal(err.Error())
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wd := &watchdog{timeout: r.readTimeout, cancel: cancel}
	defer wd.stop()
	ctx = context.WithValue(ctx, connectTimeoutKey{}, r.connectTimeout)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { wd.kick() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { wd.kick() },
		GotFirstResponseByte: wd.kick,
	})

	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url.String(), body)
	if err != nil {
		return terminal(fmt.Sprintf("cannot build the request: %v", err))
	}
	req.Header = r.header
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if r.host != "" {
		req.Host = r.host
	}

	resp, err := c.client.Do(req)
	if err != nil {
		return failure(ctx, r, err)
	}
	defer resp.Body.Close()
	dest := hostPort(resp.Request.URL)
	meta := responseMeta(resp)

	data, err := io.ReadAll(io.LimitReader(kickReader{resp.Body, wd}, c.maxBody+1))
	if err != nil {
		output := map[string]any{"response": meta}
		var timeout *readTimeoutError
		if errors.As(context.Cause(ctx), &timeout) {
			return failed(fmt.Sprintf("response body from %s stalled for longer than readTimeOut %d ms", dest, timeout.d.Milliseconds()), output)
		}
		if ctx.Err() != nil {
			return failed(fmt.Sprintf("request to %s canceled: %v", dest, context.Cause(ctx)), output)
		}
		return failed(fmt.Sprintf("reading the response body from %s failed: %v", dest, err), output)
	}
	if int64(len(data)) > c.maxBody {
		return failed(fmt.Sprintf("response body from %s is larger than the limit of %d bytes (MaxResponseBytes in the server configuration)", dest, c.maxBody),
			map[string]any{"response": meta})
	}

	meta["body"] = decodeBody(data)
	output := map[string]any{"response": meta}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		reason := fmt.Sprintf("HTTP %d %s", resp.StatusCode, meta["reasonPhrase"])
		if text := strings.TrimSpace(string(data)); text != "" {
			reason += ": " + clip(text, maxReasonBody)
		}
		return failed(reason, output)
	}
	return Outcome{Status: workflow.TaskCompleted, Output: output}
}

// failure turns an error from Client.Do into the outcome.
func failure(ctx context.Context, r *request, err error) Outcome {
	dest := hostPort(r.url)
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			dest = hostPort(u)
		}
		err = ue.Err
	}
	via := ""
	if orig := hostPort(r.url); orig != dest {
		via = " (redirected from " + orig + ")"
	}

	var refused *refusedError
	if errors.As(err, &refused) {
		return terminal("request to " + refused.target() + via + " refused: " + refused.why)
	}
	var timeout *readTimeoutError
	if errors.As(context.Cause(ctx), &timeout) {
		return failed(fmt.Sprintf("no response from %s%s within readTimeOut %d ms", dest, via, timeout.d.Milliseconds()), nil)
	}
	if ctx.Err() != nil {
		return failed(fmt.Sprintf("request to %s%s canceled: %v", dest, via, context.Cause(ctx)), nil)
	}
	var ce *connectError
	if errors.As(err, &ce) {
		return failed(ce.Error()+via, nil)
	}
	var re *redirectError
	if errors.As(err, &re) {
		return failed(re.Error(), nil)
	}
	return failed(fmt.Sprintf("request to %s%s failed: %v", dest, via, err), nil)
}

// redirectError is a redirect that is not followed. At most maxRedirects
// are followed, and only to http and https: Go's own check would stop one
// earlier and leave other schemes to fail as "unsupported protocol".
type redirectError struct{ msg string }

func (e *redirectError) Error() string { return e.msg }

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return &redirectError{fmt.Sprintf("stopped after following %d redirects from %s", maxRedirects, hostPort(via[0].URL))}
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &redirectError{fmt.Sprintf("%s redirected to the scheme %q; only http and https redirects are followed", hostPort(via[len(via)-1].URL), req.URL.Scheme)}
	}
	return nil
}

// hostPort names a URL's destination as host:port.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// responseMeta is the task output's response without its body.
func responseMeta(resp *http.Response) map[string]any {
	phrase := strings.TrimSpace(strings.TrimPrefix(resp.Status, strconv.Itoa(resp.StatusCode)))
	if phrase == "" {
		phrase = http.StatusText(resp.StatusCode)
	}
	headers := make(map[string]any, len(resp.Header))
	for name, values := range resp.Header {
		vs := make([]any, len(values))
		for i, v := range values {
			vs[i] = v
		}
		headers[name] = vs
	}
	return map[string]any{
		"statusCode":   json.Number(strconv.Itoa(resp.StatusCode)),
		"reasonPhrase": phrase,
		"headers":      headers,
	}
}

// decodeBody returns the body as JSON if it is one JSON value, else as text;
// nil if it is empty.
func decodeBody(data []byte) any {
	if len(bytes.TrimSpace(data)) == 0 {
		if len(data) == 0 {
			return nil
		}
		return string(data)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		if _, err := dec.Token(); err == io.EOF {
			return v
		}
	}
	return string(data)
}

// readTimeoutError is the cause of a call's context ending at readTimeOut.
type readTimeoutError struct{ d time.Duration }

func (e *readTimeoutError) Error() string {
	return fmt.Sprintf("readTimeOut of %d ms exceeded", e.d.Milliseconds())
}

// watchdog cancels a call when the server stays silent for readTimeOut: it
// is started when the connection is ready and restarted by every sign of
// progress (request written, first response byte, each piece of the body).
type watchdog struct {
	timeout time.Duration
	cancel  context.CancelCauseFunc

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

func (w *watchdog) kick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return // a late signal from the Transport's goroutines
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(w.timeout, func() { w.cancel(&readTimeoutError{w.timeout}) })
		return
	}
	w.timer.Reset(w.timeout)
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

// kickReader restarts the watchdog whenever body bytes arrive.
type kickReader struct {
	r  io.Reader
	wd *watchdog
}

func (k kickReader) Read(p []byte) (int, error) {
	n, err := k.r.Read(p)
	if n > 0 {
		k.wd.kick()
	}
	return n, err
}
