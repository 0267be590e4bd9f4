package httpcall_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/httpcall"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// received is a request as the test server saw it.
type received struct {
	Method, Path, Query, Host, Body string
	Header                          http.Header
}

// server is a loopback test server that records every request before
// handling it.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []received
}

// serve starts a server; a nil handler answers 200 {"ok":true}.
func serve(t *testing.T, handler http.HandlerFunc) *server {
	t.Helper()
	if handler == nil {
		handler = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, received{
			Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
			Body: string(body), Header: r.Header.Clone(),
		})
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.reqs...)
}

func (s *server) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

func newCaller(t *testing.T, cfg httpcall.Config) *httpcall.Caller {
	t.Helper()
	c := httpcall.New(cfg)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func call(t *testing.T, c *httpcall.Caller, req map[string]any) httpcall.Outcome {
	t.Helper()
	return c.Call(context.Background(), map[string]any{"http_request": req})
}

// response returns the outcome's output.response.
func response(t *testing.T, out httpcall.Outcome) map[string]any {
	t.Helper()
	resp, ok := out.Output["response"].(map[string]any)
	require.True(t, ok, "no response in output %v (reason %q)", out.Output, out.Reason)
	return resp
}

func TestMethodsHeadersAndBodies(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Reply", "yes")
		_, _ = fmt.Fprintf(w, `{"method":%q,"n":9007199254740993}`, r.Method)
	})
	c := newCaller(t, httpcall.Config{Allow: loopback})

	for _, method := range []string{"GET", "POST", "put", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
		t.Run(method, func(t *testing.T) {
			want := strings.ToUpper(method)
			req := map[string]any{
				"uri":    srv.URL + "/orders/" + want + "?x=1&y=two%20words",
				"method": method,
				"headers": map[string]any{
					"X-Trace": "abc",
					"X-Multi": []any{"a", "b"},
					"X-Count": json.Number("7"),
				},
			}
			hasBody := want != "GET" && want != "HEAD"
			if hasBody {
				req["body"] = map[string]any{"id": json.Number("9007199254740993"), "note": "<a&b>", "tags": []any{"x"}}
			}
			out := call(t, c, req)
			require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
			require.Empty(t, out.Reason)

			var got received
			for _, r := range srv.received() {
				if r.Path == "/orders/"+want {
					got = r
				}
			}
			require.Equal(t, want, got.Method)
			require.Equal(t, "x=1&y=two%20words", got.Query)
			require.Equal(t, "abc", got.Header.Get("X-Trace"))
			require.Equal(t, []string{"a", "b"}, got.Header.Values("X-Multi"))
			require.Equal(t, "7", got.Header.Get("X-Count"))
			require.Equal(t, "application/json", got.Header.Get("Accept"))
			require.Equal(t, "Baton", got.Header.Get("User-Agent"))
			if hasBody {
				require.Equal(t, `{"id":9007199254740993,"note":"<a&b>","tags":["x"]}`, got.Body)
				require.Equal(t, "application/json", got.Header.Get("Content-Type"))
			} else {
				require.Empty(t, got.Body)
				require.Empty(t, got.Header.Get("Content-Type"))
			}

			resp := response(t, out)
			require.Equal(t, json.Number("200"), resp["statusCode"])
			require.Equal(t, "OK", resp["reasonPhrase"])
			headers := resp["headers"].(map[string]any)
			require.Equal(t, []any{"yes"}, headers["X-Reply"])
			require.Equal(t, []any{"application/json"}, headers["Content-Type"])
			if want == "HEAD" {
				require.Nil(t, resp["body"])
			} else {
				require.Equal(t, map[string]any{"method": want, "n": json.Number("9007199254740993")}, resp["body"])
			}
		})
	}
}

func TestStringBodyAndExplicitHeaders(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	c := newCaller(t, httpcall.Config{Allow: loopback, UserAgent: "acme/1"})

	out := call(t, c, map[string]any{
		"uri":         srv.URL + "/text",
		"method":      "POST",
		"body":        `not json, sent <as-is>`,
		"contentType": "text/plain; charset=utf-8",
		"accept":      "text/plain",
		"headers":     map[string]any{"Host": "api.example.com", "Authorization": "Bearer t"},
	})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
	got := srv.received()[0]
	require.Equal(t, `not json, sent <as-is>`, got.Body)
	require.Equal(t, "text/plain; charset=utf-8", got.Header.Get("Content-Type"))
	require.Equal(t, "text/plain", got.Header.Get("Accept"))
	require.Equal(t, "acme/1", got.Header.Get("User-Agent"))
	require.Equal(t, "Bearer t", got.Header.Get("Authorization"))
	require.Equal(t, "api.example.com", got.Host)

	// A header named in headers wins over accept and contentType.
	out = call(t, c, map[string]any{
		"uri":         srv.URL + "/override",
		"method":      "PUT",
		"body":        []any{json.Number("1")},
		"contentType": "text/plain",
		"headers":     map[string]any{"content-type": "application/vnd.acme+json", "User-Agent": "mine"},
	})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
	got = srv.received()[1]
	require.Equal(t, `[1]`, got.Body)
	require.Equal(t, "application/vnd.acme+json", got.Header.Get("Content-Type"))
	require.Equal(t, "mine", got.Header.Get("User-Agent"))
}

func TestFlatInput(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	c := newCaller(t, httpcall.Config{Allow: loopback})

	out := c.Call(context.Background(), map[string]any{
		"uri":               srv.URL + "/flat",
		"method":            "POST",
		"body":              map[string]any{"a": "b"},
		"headers":           map[string]any{"X-Flat": "1"},
		"connectionTimeOut": float64(2000),
		"readTimeOut":       2000,
	})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
	require.Equal(t, map[string]any{"ok": true}, response(t, out)["body"])
	got := srv.received()[0]
	require.Equal(t, "POST", got.Method)
	require.Equal(t, "/flat", got.Path)
	require.Equal(t, `{"a":"b"}`, got.Body)
	require.Equal(t, "1", got.Header.Get("X-Flat"))
}

func TestResponseBodies(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/text":
			_, _ = io.WriteString(w, "hello {not json}")
		case "/number":
			_, _ = io.WriteString(w, " 12.50 \n")
		case "/two-values":
			_, _ = io.WriteString(w, `{"a":1} {"b":2}`)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	})
	c := newCaller(t, httpcall.Config{Allow: loopback})

	for path, want := range map[string]any{
		"/text":       "hello {not json}",
		"/number":     json.Number("12.50"),
		"/two-values": `{"a":1} {"b":2}`,
		"/empty":      nil,
	} {
		out := call(t, c, map[string]any{"uri": srv.URL + path})
		require.Equal(t, workflow.TaskCompleted, out.Status, path)
		require.Equal(t, want, response(t, out)["body"], path)
	}
}

func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 400) // 800 bytes
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":"no such order"}`)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, long)
		case "/moved":
			w.WriteHeader(http.StatusNotModified)
		}
	})
	c := newCaller(t, httpcall.Config{Allow: loopback})

	out := call(t, c, map[string]any{"uri": srv.URL + "/missing"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, `HTTP 404 Not Found: {"error":"no such order"}`, out.Reason)
	resp := response(t, out)
	require.Equal(t, json.Number("404"), resp["statusCode"])
	require.Equal(t, "Not Found", resp["reasonPhrase"])
	require.Equal(t, map[string]any{"error": "no such order"}, resp["body"])

	out = call(t, c, map[string]any{"uri": srv.URL + "/broken"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.True(t, strings.HasPrefix(out.Reason, "HTTP 500 Internal Server Error: éé"), out.Reason)
	require.True(t, strings.HasSuffix(out.Reason, "é…"), out.Reason)
	require.LessOrEqual(t, len(out.Reason), len("HTTP 500 Internal Server Error: ")+500+len("…"))
	require.Equal(t, long, response(t, out)["body"])

	out = call(t, c, map[string]any{"uri": srv.URL + "/moved"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, "HTTP 304 Not Modified", out.Reason)
}

func TestReadTimeout(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall-body" {
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"partial":`)
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done() // until the client gives up
	})
	c := newCaller(t, httpcall.Config{Allow: loopback})

	out := call(t, c, map[string]any{"uri": srv.URL + "/silent", "readTimeOut": json.Number("150")})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, fmt.Sprintf("no response from 127.0.0.1:%s within readTimeOut 150 ms", srv.port()), out.Reason)
	require.Nil(t, out.Output)

	out = call(t, c, map[string]any{"uri": srv.URL + "/stall-body", "readTimeOut": "150"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, fmt.Sprintf("response body from 127.0.0.1:%s stalled for longer than readTimeOut 150 ms", srv.port()), out.Reason)
	require.Equal(t, json.Number("200"), response(t, out)["statusCode"])
}

func TestConnectionTimeout(t *testing.T) {
	t.Parallel()
	// The kernel completes TCP handshakes for a listener nobody accepts on,
	// so the connection opens and the TLS handshake then waits for ever.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	c := newCaller(t, httpcall.Config{Allow: loopback})

	out := call(t, c, map[string]any{"uri": "https://" + ln.Addr().String() + "/", "connectionTimeOut": 150})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, "connection to "+ln.Addr().String()+" timed out after 150 ms (connectionTimeOut)", out.Reason)
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c := newCaller(t, httpcall.Config{Allow: loopback})

	out := call(t, c, map[string]any{"uri": "http://" + addr + "/"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.True(t, strings.HasPrefix(out.Reason, "connection to "+addr+" failed: "), out.Reason)
	require.Contains(t, out.Reason, "refused")
}

func TestContextCanceled(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	srv := serve(t, func(_ http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	})
	c := newCaller(t, httpcall.Config{Allow: loopback})

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	out := c.Call(ctx, map[string]any{"uri": srv.URL, "readTimeOut": 60000})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Contains(t, out.Reason, "canceled: context canceled")
}

func TestMaxResponseBytes(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/100":
			_, _ = io.WriteString(w, strings.Repeat("a", 100))
		case "/101":
			_, _ = io.WriteString(w, strings.Repeat("a", 101))
		case "/gzip":
			// 1 MB of zeros is about 1 KB compressed.
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			_, _ = zw.Write(make([]byte, 1<<20))
			_ = zw.Close()
		}
	})
	c := newCaller(t, httpcall.Config{Allow: loopback, MaxResponseBytes: 100})

	out := call(t, c, map[string]any{"uri": srv.URL + "/100"})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)

	for _, path := range []string{"/101", "/gzip"} {
		// A generous readTimeOut: the race detector on a busy machine
		// slows the compressing server down.
		out = call(t, c, map[string]any{"uri": srv.URL + path, "readTimeOut": 30000})
		require.Equal(t, workflow.TaskFailed, out.Status, path)
		require.Equal(t, fmt.Sprintf("response body from 127.0.0.1:%s is larger than the limit of 100 bytes (MaxResponseBytes in the server configuration)", srv.port()), out.Reason)
		require.Equal(t, json.Number("200"), response(t, out)["statusCode"])
	}
}

func TestHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"secure":true}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting client's handshake fails
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	c := newCaller(t, httpcall.Config{Allow: loopback})
	c.UseRootCAs(roots)
	out := call(t, c, map[string]any{"uri": srv.URL})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
	require.Equal(t, map[string]any{"secure": true}, response(t, out)["body"])

	untrusting := newCaller(t, httpcall.Config{Allow: loopback})
	out = call(t, untrusting, map[string]any{"uri": srv.URL})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Contains(t, out.Reason, "certificate")
}

func TestInvalidInput(t *testing.T) {
	t.Parallel()
	c := newCaller(t, httpcall.Config{})
	methods := "use one of GET, PUT, POST, PATCH, DELETE, OPTIONS, HEAD, TRACE"

	for _, tt := range []struct {
		name  string
		input map[string]any
		want  string
	}{
		{"no input", nil, "uri is missing; set it to the http:// or https:// URL to call"},
		{"http_request not an object", map[string]any{"http_request": "x"}, `http_request must be an object, got "x"`},
		{"uri missing", map[string]any{"http_request": map[string]any{"method": "GET"}}, "http_request.uri is missing"},
		{"uri not a string", map[string]any{"uri": json.Number("42")}, "uri must be a string, got 42"},
		{"uri empty", map[string]any{"uri": " "}, "uri is empty"},
		{"scheme", map[string]any{"uri": "ftp://example.com/f"}, `uri "ftp://example.com/f" has the scheme "ftp"; only http and https are supported`},
		{"file scheme", map[string]any{"uri": "file:///etc/passwd"}, `only http and https are supported`},
		{"no scheme", map[string]any{"uri": "example.com/x"}, `uri "example.com/x" has no scheme`},
		{"no host", map[string]any{"uri": "http:///x"}, `has no host`},
		{"bad url", map[string]any{"uri": "http://exa mple.com/"}, `is not a valid URL`},
		{"bad port", map[string]any{"uri": "http://example.com:99999/"}, `has the invalid port "99999"`},
		{"eureka", map[string]any{"vipAddress": "orders", "appName": "x"}, "vipAddress (Eureka discovery) is not supported"},
		{"method", map[string]any{"uri": "http://example.com/", "method": "CONNECT"}, `method "CONNECT" is not allowed; ` + methods},
		{"method type", map[string]any{"uri": "http://example.com/", "method": true}, `method must be a string, got true`},
		{"headers type", map[string]any{"uri": "http://example.com/", "headers": "x"}, `headers must be an object`},
		{"header name", map[string]any{"uri": "http://example.com/", "headers": map[string]any{"Bad Name": "v"}}, `invalid header name "Bad Name"`},
		{"header injection", map[string]any{"uri": "http://example.com/", "headers": map[string]any{"X": "a\r\nInjected: 1"}}, `"X" has a value with a line break`},
		{"header value type", map[string]any{"uri": "http://example.com/", "headers": map[string]any{"X": map[string]any{}}}, `"X" must be a string or a list of strings`},
		{"accept type", map[string]any{"uri": "http://example.com/", "accept": json.Number("1")}, `accept must be a string`},
		{"timeout text", map[string]any{"uri": "http://example.com/", "connectionTimeOut": "soon"}, `connectionTimeOut must be a number of milliseconds`},
		{"timeout negative", map[string]any{"uri": "http://example.com/", "readTimeOut": json.Number("-1")}, `readTimeOut must be a number of milliseconds`},
		{"body", map[string]any{"uri": "http://example.com/", "method": "POST", "body": map[string]any{"f": func() {}}}, `body cannot be encoded as JSON`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := c.Call(context.Background(), tt.input)
			require.Equal(t, workflow.TaskFailedWithTerminalError, out.Status)
			require.Contains(t, out.Reason, tt.want)
			require.Nil(t, out.Output)
		})
	}
}

func TestRefusesInternalAddresses(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	port := srv.port()
	c := newCaller(t, httpcall.Config{})

	for _, tt := range []struct{ uri, want string }{
		{srv.URL + "/admin", "request to 127.0.0.1:" + port + " refused: loopback addresses are not allowed"},
		{"https://127.0.0.1:" + port + "/", "loopback addresses are not allowed"},
		{"http://localhost:" + port + "/", "request to localhost:" + port + " ("},
		{"http://[::1]:" + port + "/", "request to [::1]:" + port + " refused: loopback addresses"},
		{"http://[::ffff:127.0.0.1]:" + port + "/", "loopback addresses"},
		{"http://[::ffff:169.254.169.254]/", "link-local addresses (cloud metadata)"},
		{"http://169.254.169.254/latest/meta-data/", "request to 169.254.169.254:80 refused: link-local addresses (cloud metadata) are not allowed; allow-list the network in the server configuration to permit it"},
		{"http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata addresses"},
		{"http://100.100.100.200/latest/meta-data/", "carrier-grade NAT addresses"},
		{"http://192.0.0.192/", "cloud metadata"},
		{"http://10.0.0.1/", "private addresses"},
		{"http://172.16.5.4/", "private addresses"},
		{"http://192.168.1.1/", "private addresses"},
		{"http://[fc00::1]/", "unique local"},
		{"http://[fe80::1%25eth0]/", "link-local addresses"},
		{"http://0.0.0.0:" + port + "/", "unspecified addresses"},
		{"http://[::]:" + port + "/", "unspecified addresses"},
		{"http://224.0.0.1/", "multicast addresses"},
		{"http://[ff02::1]/", "multicast addresses"},
		{"http://255.255.255.255/", "broadcast addresses"},
		{"http://[64:ff9b::7f00:1]:" + port + "/", "NAT64 form of 127.0.0.1: loopback addresses"},
		// Numeric spellings a resolver or browser reads as 127.0.0.1.
		{"http://2130706433/", "request to 2130706433:80 (127.0.0.1) refused: loopback"},
		{"http://2130706433:" + port + "/", "(127.0.0.1) refused: loopback"},
		{"http://0x7f.0.0.1:" + port + "/", "(127.0.0.1) refused: loopback"},
		{"http://0x7f.1:" + port + "/", "(127.0.0.1) refused: loopback"},
		{"http://0177.0.0.1:" + port + "/", "(127.0.0.1) refused: loopback"},
		{"http://127.1:" + port + "/", "(127.0.0.1) refused: loopback"},
		{"http://127.0.0.1.:" + port + "/", "(127.0.0.1) refused: loopback"},
		{"http://0:" + port + "/", "(0.0.0.0) refused: unspecified"},
		{"http://0xa9fea9fe/", "(169.254.169.254) refused: link-local"},
		{"http://1.2.3.256/", `host "1.2.3.256" looks like an IPv4 address but is not a valid one`},
	} {
		t.Run(tt.uri, func(t *testing.T) {
			out := call(t, c, map[string]any{"uri": tt.uri})
			require.Equal(t, workflow.TaskFailedWithTerminalError, out.Status, out.Reason)
			require.Contains(t, out.Reason, tt.want)
			require.Nil(t, out.Output)
		})
	}
	require.Empty(t, srv.received(), "a refused request reached the server")
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)

	for _, tt := range []struct {
		name  string
		allow []string
		uri   string
	}{
		{"exact address", []string{"127.0.0.1/32"}, srv.URL},
		{"whole loopback", []string{"127.0.0.0/8"}, srv.URL},
		{"IPv4-mapped prefix", []string{"::ffff:127.0.0.1/128"}, srv.URL},
		{"numeric spelling", []string{"127.0.0.1/32"}, "http://2130706433:" + srv.port() + "/"},
		// localhost may resolve to ::1 too: every answer must be allowed.
		{"name", []string{"127.0.0.1/32", "::1/128"}, "http://localhost:" + srv.port() + "/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var allow []netip.Prefix
			for _, p := range tt.allow {
				allow = append(allow, netip.MustParsePrefix(p))
			}
			c := newCaller(t, httpcall.Config{Allow: allow})
			out := call(t, c, map[string]any{"uri": tt.uri})
			require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
		})
	}

	// Allowing one loopback address does not allow its neighbours.
	c := newCaller(t, httpcall.Config{Allow: loopback})
	out := call(t, c, map[string]any{"uri": "http://127.0.0.2:" + srv.port() + "/"})
	require.Equal(t, workflow.TaskFailedWithTerminalError, out.Status)
	require.Contains(t, out.Reason, "request to 127.0.0.2:"+srv.port()+" refused: loopback")
}

func TestResolvedAddressesAreChecked(t *testing.T) {
	t.Parallel()
	srv := serve(t, nil)
	answers := map[string][]netip.Addr{
		// One private answer among public ones is enough to refuse.
		"mixed.example.test":    {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.1.2.3")},
		"metadata.example.test": {netip.MustParseAddr("::ffff:169.254.169.254")},
		"svc.example.test":      {netip.MustParseAddr("127.0.0.1")},
	}
	lookup := func(_ context.Context, _, host string) ([]netip.Addr, error) {
		if ips, ok := answers[host]; ok {
			return append([]netip.Addr(nil), ips...), nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}

	c := newCaller(t, httpcall.Config{})
	c.UseLookup(lookup)
	out := call(t, c, map[string]any{"uri": "http://mixed.example.test/"})
	require.Equal(t, workflow.TaskFailedWithTerminalError, out.Status)
	require.Equal(t, "request to mixed.example.test:80 (10.1.2.3) refused: private addresses are not allowed; allow-list the network in the server configuration to permit it", out.Reason)
	out = call(t, c, map[string]any{"uri": "http://metadata.example.test/"})
	require.Equal(t, workflow.TaskFailedWithTerminalError, out.Status)
	require.Contains(t, out.Reason, "(169.254.169.254) refused: link-local")

	// An unknown name is a connection failure, which a retry may cure.
	out = call(t, c, map[string]any{"uri": "http://nowhere.example.test/"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Contains(t, out.Reason, "connection to nowhere.example.test:80 failed: lookup nowhere.example.test: no such host")

	// An allowed answer is dialled by address; the request keeps the name.
	allowed := newCaller(t, httpcall.Config{Allow: loopback})
	allowed.UseLookup(lookup)
	out = call(t, allowed, map[string]any{"uri": "http://svc.example.test:" + srv.port() + "/x"})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
	require.Equal(t, "svc.example.test:"+srv.port(), srv.received()[0].Host)
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	target := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"landed":true}`)
	})
	var redirector *server
	redirector = serve(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Has("to"):
			http.Redirect(w, r, q.Get("to"), http.StatusFound)
		case q.Has("hops"):
			var n int
			_, _ = fmt.Sscan(q.Get("hops"), &n)
			next := target.URL
			if n > 1 {
				next = fmt.Sprintf("%s/?hops=%d", redirector.URL, n-1)
			}
			http.Redirect(w, r, next, http.StatusTemporaryRedirect)
		default:
			http.Redirect(w, r, r.URL.String(), http.StatusFound) // a loop
		}
	})
	c := newCaller(t, httpcall.Config{Allow: loopback})
	via := func(to string) string { return redirector.URL + "/?to=" + url.QueryEscape(to) }
	from := "redirected from 127.0.0.1:" + redirector.port()

	out := call(t, c, map[string]any{"uri": via(target.URL + "/ok")})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
	require.Equal(t, map[string]any{"landed": true}, response(t, out)["body"])

	out = call(t, c, map[string]any{"uri": redirector.URL + "/?hops=10"})
	require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)

	for _, tt := range []struct{ to, want string }{
		{"http://127.0.0.2:" + target.port() + "/", "request to 127.0.0.2:" + target.port() + " (" + from + ") refused: loopback addresses are not allowed"},
		{"http://169.254.169.254/latest/meta-data/", "request to 169.254.169.254:80 (" + from + ") refused: link-local addresses (cloud metadata)"},
		{"http://[::1]:" + target.port() + "/", "refused: loopback"},
	} {
		out = call(t, c, map[string]any{"uri": via(tt.to)})
		require.Equal(t, workflow.TaskFailedWithTerminalError, out.Status, tt.to)
		require.Contains(t, out.Reason, tt.want)
	}

	before := len(redirector.received())
	out = call(t, c, map[string]any{"uri": redirector.URL + "/loop"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, "stopped after following 10 redirects from 127.0.0.1:"+redirector.port(), out.Reason)
	require.Len(t, redirector.received(), before+11)

	out = call(t, c, map[string]any{"uri": via("ftp://example.com/file")})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, "127.0.0.1:"+redirector.port()+` redirected to the scheme "ftp"; only http and https redirects are followed`, out.Reason)

	require.Len(t, target.received(), 2, "only the allowed redirects reached the target")

	// A caller without redirects (webhooks) fails on the 3xx itself.
	out = call(t, c.WithoutRedirects(), map[string]any{"uri": via(target.URL + "/ok"), "method": "POST", "body": "event"})
	require.Equal(t, workflow.TaskFailed, out.Status)
	require.Equal(t, json.Number("302"), response(t, out)["statusCode"])
	require.Len(t, target.received(), 2, "nothing reached the redirect's target")
	out = call(t, c, map[string]any{"uri": via(target.URL + "/ok")})
	require.Equal(t, workflow.TaskCompleted, out.Status, "the caller it came from still follows redirects")
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"path":%q}`, r.URL.Path)
	})
	c := newCaller(t, httpcall.Config{Allow: loopback})

	const n = 64
	var wg sync.WaitGroup
	outs := make([]httpcall.Outcome, n)
	for i := range n {
		wg.Go(func() {
			uri := fmt.Sprintf("%s/job/%d", srv.URL, i)
			if i%4 == 0 {
				uri = "http://169.254.169.254/latest/meta-data/"
			}
			outs[i] = call(t, c, map[string]any{"uri": uri})
		})
	}
	wg.Wait()
	for i, out := range outs {
		if i%4 == 0 {
			require.Equal(t, workflow.TaskFailedWithTerminalError, out.Status)
			continue
		}
		require.Equal(t, workflow.TaskCompleted, out.Status, out.Reason)
		require.Equal(t, map[string]any{"path": fmt.Sprintf("/job/%d", i)}, response(t, out)["body"])
	}
	require.Len(t, srv.received(), n-n/4)
}
