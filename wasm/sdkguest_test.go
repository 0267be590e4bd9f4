package wasm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
)

// Tests through testdata/sdkguest, a Go plugin written with sdk/plugin.

func sdkPlugin(t *testing.T, cfg HostConfig, edit func(*Manifest)) *Plugin {
	t.Helper()
	return load(t, newHost(t, cfg), sdkGuestWasm(t), manifest(t, edit))
}

func logLines(res *workflow.TaskResult) []string {
	var out []string
	for _, l := range res.Logs {
		out = append(out, l.Log)
	}
	return out
}

func TestGuestResults(t *testing.T) {
	p := sdkPlugin(t, HostConfig{}, nil)
	ctx := context.Background()

	res := p.Run(ctx, task(map[string]any{"op": "fail"}), Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "it went wrong", res.ReasonForIncompletion)

	res = p.Run(ctx, task(map[string]any{"op": "terminal"}), Env{})
	require.Equal(t, workflow.TaskFailedWithTerminalError, res.Status)
	require.Equal(t, "never again", res.ReasonForIncompletion)

	var got []string
	res = p.Run(ctx, task(map[string]any{"op": "progress"}), Env{Progress: func(_ context.Context, data []byte) error {
		got = append(got, string(data))
		return nil
	}})
	require.Equal(t, workflow.TaskInProgress, res.Status, res.ReasonForIncompletion)
	require.Equal(t, int64(30), res.CallbackAfterSeconds)
	require.Equal(t, []string{`{"done":3,"of":10}`}, got, "the progress callback got the guest's JSON")
	require.Equal(t, []string{`progress: {"done":3,"of":10}`}, logLines(res))

	res = p.Run(ctx, task(map[string]any{"op": "nope"}), Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, `unknown op "nope"`, res.ReasonForIncompletion)
	require.Equal(t, workflow.TaskCompleted, p.Run(ctx, task(map[string]any{"op": "echo"}), Env{}).Status,
		"a task that fails normally leaves the instance usable")
	require.Equal(t, map[string]any{"corrupted": false, "calls": json.Number("6")},
		p.Run(ctx, task(map[string]any{"op": "state"}), Env{}).OutputData, "one instance ran all six tasks")
}

func TestGuestLog(t *testing.T) {
	p := sdkPlugin(t, HostConfig{}, nil)
	res := p.Run(context.Background(), task(map[string]any{"op": "log"}), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, []string{
		"DEBUG a debug line", "INFO hello world", "WARN careful", "ERROR bad",
		"stdout: to stdout", "stderr: to stderr", "stderr: no newline",
	}, logLines(res))
	for _, l := range res.Logs {
		require.Equal(t, "t1", l.TaskID)
		require.NotZero(t, l.CreatedTime)
	}

	res = p.Run(context.Background(), task(map[string]any{"op": "biglog"}), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	lines := logLines(res)
	require.Equal(t, "log truncated", lines[len(lines)-1])
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	require.LessOrEqual(t, size, maxLogBytes)
	require.Greater(t, size, maxLogBytes-200)
}

func TestGuestConfigAndSecrets(t *testing.T) {
	secrets := map[string]string{"API_KEY": "s3cret"}
	p := sdkPlugin(t, HostConfig{LookupSecret: func(n string) (string, bool) { v, ok := secrets[n]; return v, ok }},
		func(m *Manifest) {
			m.Config = map[string]string{"greeting": "hi"}
			m.Secrets = []string{"API_KEY", "UNSET"}
		})
	run := func(in map[string]any) *workflow.TaskResult {
		res := p.Run(context.Background(), task(in), Env{})
		return res
	}
	require.Equal(t, map[string]any{"value": "hi", "ok": true}, run(map[string]any{"op": "config", "key": "greeting"}).OutputData)
	require.Equal(t, map[string]any{"value": "", "ok": false}, run(map[string]any{"op": "config", "key": "other"}).OutputData)
	require.Equal(t, map[string]any{"value": "s3cret", "ok": true}, run(map[string]any{"op": "secret", "key": "API_KEY"}).OutputData)
	require.Equal(t, map[string]any{"value": "", "ok": false}, run(map[string]any{"op": "secret", "key": "UNSET"}).OutputData)
	res := run(map[string]any{"op": "secret", "key": "OTHER"})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "secret OTHER is not declared in the manifest's secrets", res.ReasonForIncompletion)
}

// memKV is the KV of the tests: a map.
type memKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (kv *memKV) Get(_ context.Context, k string) ([]byte, bool, error) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	v, ok := kv.m[k]
	return v, ok, nil
}

func (kv *memKV) Put(_ context.Context, k string, v []byte) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	kv.m[k] = v
	return nil
}

func (kv *memKV) Delete(_ context.Context, k string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	delete(kv.m, k)
	return nil
}

func TestGuestKV(t *testing.T) {
	p := sdkPlugin(t, HostConfig{}, nil)
	kv := &memKV{m: map[string][]byte{"other": []byte("kept")}}
	res := p.Run(context.Background(), task(map[string]any{"op": "kv", "key": "k", "value": "v1"}), Env{KV: kv})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, map[string]any{"value": "v1", "ok": true, "after": false}, res.OutputData)
	require.Equal(t, map[string][]byte{"other": []byte("kept")}, kv.m, "put then deleted")

	res = p.Run(context.Background(), task(map[string]any{"op": "kv", "key": strings.Repeat("k", 513), "value": "v"}), Env{KV: kv})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "kv_put: a key is 1 to 512 bytes; this one is 513", res.ReasonForIncompletion)

	res = p.Run(context.Background(), task(map[string]any{"op": "kv", "key": "k", "value": "v"}), Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "kv_put: no key-value store here", res.ReasonForIncompletion)
}

func TestGuestHTTP(t *testing.T) {
	var blocked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		blocked.Store(true) // never reached: the redirect is refused
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hello":
			w.Header().Set("X-Test", "yes")
			_, _ = w.Write([]byte("hello " + r.Header.Get("User-Agent")))
		case "/hop":
			http.Redirect(w, r, "/hello", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/big":
			_, _ = w.Write(make([]byte, maxFetchBody+1))
		case "/hang":
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	p := sdkPlugin(t, HostConfig{AllowNetworks: loopback}, func(m *Manifest) {
		m.AllowedHosts = []string{host}
		m.Limits.TimeoutMs = 1000
	})
	fetch := func(url string) *workflow.TaskResult {
		return p.Run(context.Background(), task(map[string]any{"op": "http", "url": url}), Env{})
	}
	res := fetch(srv.URL + "/hello")
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, map[string]any{"status": json.Number("200"), "body": "hello Go-http-client/1.1", "header": "yes"}, res.OutputData)

	res = fetch(srv.URL + "/hop")
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, "yes", res.OutputData["header"], "a redirect to an allowed host is followed")

	res = fetch("http://evil.example/x")
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "host evil.example is not in the plugin's allowedHosts")

	res = fetch(other.URL + "/x")
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "host "+strings.TrimPrefix(other.URL, "http://")+" is not in the plugin's allowedHosts",
		"same address, another port")

	res = fetch(srv.URL + "/away")
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "redirect refused: host "+strings.TrimPrefix(other.URL, "http://")+" is not in the plugin's allowedHosts")
	require.False(t, blocked.Load())

	res = fetch("ftp://" + host + "/x")
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, `scheme "ftp" is not allowed`)

	res = fetch(srv.URL + "/big")
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "the response body exceeds 4 MiB")

	// The server answers only when the request is cancelled: the call's
	// deadline ends the fetch, and the guest with it.
	res = fetch(srv.URL + "/hang")
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "plugin exceeded its deadline of 1s", res.ReasonForIncompletion)
}

func TestAllowedHosts(t *testing.T) {
	p := &Plugin{m: &Manifest{AllowedHosts: []string{"api.example.com", "*.example.org:8443", "10.0.0.1:80"}}}
	for url, want := range map[string]string{
		"https://api.example.com/x":         "",
		"http://API.example.com:9000/x":     "",
		"https://a.example.org:8443/":       "",
		"https://a.b.example.org:8443/":     "",
		"https://example.org:8443/":         "host example.org:8443 is not in the plugin's allowedHosts",
		"https://a.example.org/":            "host a.example.org is not in the plugin's allowedHosts",
		"http://10.0.0.1/":                  "",
		"http://10.0.0.1:81/":               "host 10.0.0.1:81 is not in the plugin's allowedHosts",
		"https://evil.com/?api.example.com": "host evil.com is not in the plugin's allowedHosts",
		"https://api.example.com.evil.com/": "host api.example.com.evil.com is not in the plugin's allowedHosts",
		"file:///etc/passwd":                `scheme "file" is not allowed`,
	} {
		u, err := urlParse(url)
		require.NoError(t, err)
		err = p.allowed(u)
		if want == "" {
			require.NoError(t, err, url)
		} else {
			require.ErrorContains(t, err, want, url)
		}
	}
}

func TestGuestHostile(t *testing.T) {
	p := sdkPlugin(t, HostConfig{}, func(m *Manifest) {
		m.Limits.TimeoutMs = 100
		m.Limits.MemoryMiB = 32
		m.Limits.MaxOutputBytes = 1000
		m.Limits.Concurrency = 1
	})
	ctx := context.Background()
	run := func(in map[string]any) *workflow.TaskResult { return p.Run(ctx, task(in), Env{}) }
	fresh := func() {
		t.Helper()
		res := run(map[string]any{"op": "state"})
		require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
		require.Equal(t, map[string]any{"corrupted": false, "calls": json.Number("1")}, res.OutputData,
			"the next task runs on a fresh instance")
	}

	// A panic: the SDK reports it, the host discards the instance, whose
	// state the panic left half-changed.
	res := run(map[string]any{"op": "panic"})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "plugin panicked: boom", res.ReasonForIncompletion)
	fresh()

	requireRunStopped(t, p, map[string]any{"op": "spin"})
	res = run(map[string]any{"op": "spin"})
	require.Equal(t, "plugin exceeded its deadline of 100ms", res.ReasonForIncompletion)
	fresh()

	// Allocating forever: Go's runtime finds memory.grow refused at the
	// cap and aborts, which traps; its message is in the task's log. (It
	// takes Go a few hundred milliseconds to fill 32 MiB in wasm.)
	p = load(t, p.h, sdkGuestWasm(t), manifest(t, func(m *Manifest) {
		m.Limits.MemoryMiB = 32
		m.Limits.MaxOutputBytes = 1000
		m.Limits.Concurrency = 1
	}))
	res = run(map[string]any{"op": "hog"})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "plugin trapped: wasm error: unreachable", res.ReasonForIncompletion)
	require.Contains(t, strings.Join(logLines(res), "\n"), "out of memory")
	fresh()

	res = run(map[string]any{"op": "bigout", "n": 2000})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Regexp(t, `^plugin output is \d+ bytes; its limit is 1000 \(limits.maxOutputBytes\)$`, res.ReasonForIncompletion)
	fresh()
}

// TestConcurrencyLimit: Run waits while Concurrency tasks run.
func TestConcurrencyLimit(t *testing.T) {
	const conc = 2
	var inflight, peak atomic.Int32
	full := make(chan struct{})
	fill := sync.OnceFunc(func() { close(full) }) // the last two calls may be in flight together too
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		if n == conc {
			fill()
		}
		<-release
	}))
	defer srv.Close()
	p := sdkPlugin(t, HostConfig{AllowNetworks: loopback}, func(m *Manifest) {
		m.AllowedHosts = []string{strings.TrimPrefix(srv.URL, "http://")}
		m.Limits.Concurrency = conc
		m.Limits.Warm = conc
	})
	var wg sync.WaitGroup
	results := make([]*workflow.TaskResult, 2*conc)
	for i := range results {
		wg.Go(func() {
			results[i] = p.Run(context.Background(), task(map[string]any{"op": "http", "url": srv.URL}), Env{})
		})
	}
	<-full
	// Both slots are taken: a Run whose context is already done gets none.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := p.Run(ctx, task(map[string]any{"op": "echo"}), Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Contains(t, res.ReasonForIncompletion, "had no free instance before the task's context ended")
	close(release)
	wg.Wait()
	for _, res := range results {
		require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	}
	require.Equal(t, int32(conc), peak.Load(), "never more than Concurrency tasks at once")
	p.fills.Wait()
	p.mu.Lock()
	live, idle := p.live, len(p.idle)
	p.mu.Unlock()
	require.Equal(t, conc, live, "never more instances than Concurrency")
	require.Equal(t, conc, idle)
}

// TestRecycle: an instance is replaced after maxCalls tasks, or when its
// memory passed 3/4 of the cap.
func TestRecycle(t *testing.T) {
	p := sdkPlugin(t, HostConfig{AllowNetworks: loopback}, func(m *Manifest) {
		m.Limits.MemoryMiB = 64
		m.Limits.Concurrency = 1
	})
	p.maxCalls = 3
	calls := func() json.Number {
		res := p.Run(context.Background(), task(map[string]any{"op": "state"}), Env{})
		require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
		return res.OutputData["calls"].(json.Number)
	}
	require.Equal(t, []json.Number{"1", "2", "3", "1", "2"}, []json.Number{calls(), calls(), calls(), calls(), calls()})

	res := p.Run(context.Background(), task(map[string]any{"op": "grow", "n": 50}), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, json.Number("1"), calls(), "the instance that grew past 48 MiB was replaced")
}

// TestCloseWhileRunning: Close lets a running task finish, then refuses
// new ones.
func TestCloseWhileRunning(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = w.Write([]byte("late"))
	}))
	defer srv.Close()
	h := newHost(t, HostConfig{AllowNetworks: loopback})
	p, err := h.Load(context.Background(), sdkGuestWasm(t), manifest(t, func(m *Manifest) {
		m.AllowedHosts = []string{strings.TrimPrefix(srv.URL, "http://")}
	}))
	require.NoError(t, err)
	done := make(chan *workflow.TaskResult)
	go func() { done <- p.Run(context.Background(), task(map[string]any{"op": "http", "url": srv.URL}), Env{}) }()
	<-entered
	p.Close(context.Background())
	require.Zero(t, h.Stats().Modules, "the compiled module is released")
	close(release)
	res := <-done
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, "late", res.OutputData["body"])
	res = p.Run(context.Background(), task(map[string]any{"op": "echo"}), Env{})
	require.Equal(t, workflow.TaskFailed, res.Status)
	require.Equal(t, "the plugin is closed (unloaded or replaced)", res.ReasonForIncompletion)
	p.mu.Lock()
	require.Zero(t, p.live, "the running task's instance closed when it finished")
	p.mu.Unlock()
}

// TestGuestSandbox: the clocks, sleep and randomness are real; there are
// no files and no environment.
func TestGuestSandbox(t *testing.T) {
	h := newHost(t, HostConfig{})
	var randoms []string
	for range 2 {
		p := load(t, h, sdkGuestWasm(t), manifest(t, nil))
		before := time.Now()
		res := p.Run(context.Background(), task(map[string]any{"op": "sandbox"}), Env{})
		require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
		out := res.OutputData
		slept, _ := out["sleptMs"].(json.Number).Int64()
		require.GreaterOrEqual(t, slept, int64(20), "the guest slept for real, on a real monotonic clock")
		require.GreaterOrEqual(t, time.Since(before), 20*time.Millisecond)
		unix, _ := out["unixMs"].(json.Number).Int64()
		require.GreaterOrEqual(t, unix, before.UnixMilli(), "the wall clock is real")
		require.Equal(t, json.Number("0"), out["env"])
		require.Contains(t, out["fileErr"], "/etc/passwd")
		randoms = append(randoms, out["random"].(string))
	}
	require.NotEqual(t, randoms[0], randoms[1], "two fresh instances draw different random bytes")
}

// loopback re-allows the test servers' address to http_fetch's default
// client, which refuses internal networks.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// TestDefaultClientRefusesInternal: even an allowed host may not be, or
// resolve to, an internal address (loopback, private, link-local cloud
// metadata, carrier-grade NAT, NAT64, ...), unless the host's
// AllowNetworks re-allows its network.
func TestDefaultClientRefusesInternal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("internal"))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	urls := []string{
		srv.URL + "/",                             // 127.0.0.1, the server's own loopback
		"http://localhost:" + port + "/",          // a name resolving to loopback
		"http://[::ffff:127.0.0.1]:" + port + "/", // IPv4-mapped loopback
		"http://169.254.169.254/latest/meta-data/",
		"http://0.0.0.0:" + port + "/",
		"http://10.0.0.5:5432/",
		"http://192.168.1.1/",
		"http://100.100.100.200/",
		"http://[fd00:ec2::254]/",
		"http://[64:ff9b::a9fe:a9fe]/", // NAT64 of 169.254.169.254
	}
	var hosts []string
	for _, raw := range urls {
		u, err := urlParse(raw)
		require.NoError(t, err)
		hosts = append(hosts, u.Hostname())
	}
	m := &Manifest{AllowedHosts: hosts}
	p := &Plugin{h: &Host{httpClient: defaultHTTPClient(nil)}, m: m}
	for _, u := range urls {
		_, err := p.fetch(context.Background(), mustJSON(t, map[string]any{"url": u}))
		require.ErrorContains(t, err, "plugins may not reach internal networks", u)
	}

	p = &Plugin{h: &Host{httpClient: defaultHTTPClient(loopback)}, m: m}
	resp, err := p.fetch(context.Background(), mustJSON(t, map[string]any{"url": srv.URL + "/"}))
	require.NoError(t, err, "AllowNetworks re-allows loopback")
	require.Contains(t, string(resp), `"status":200`)
	_, err = p.fetch(context.Background(), mustJSON(t, map[string]any{"url": "http://10.0.0.5:5432/"}))
	require.ErrorContains(t, err, "plugins may not reach internal networks", "only the networks allowed")
}

// TestGuestHandleJSON: a plugin written with HandleJSON (testdata/jsonguest)
// reads its input in place and writes its output as it goes, inside wazero:
// the output is the input, read values convert, a misuse of the Writer or
// a set Result.Output fails the task, and a panic discards the instance.
func TestGuestHandleJSON(t *testing.T) {
	p := load(t, newHost(t, HostConfig{}), jsonGuestWasm(t), manifest(t, nil))
	ctx := context.Background()

	in := benchInput()
	in["text"] = "é \"quoted\" \u2028 <tag>"
	in["big"] = json.Number("12345678901234567890")
	in["empty"] = map[string]any{}
	res := p.Run(ctx, task(in), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	want, err := json.Marshal(in)
	require.NoError(t, err)
	got, err := json.Marshal(res.OutputData)
	require.NoError(t, err)
	require.JSONEq(t, string(want), string(got))

	res = p.Run(ctx, task(map[string]any{"op": "pick", "items": []any{map[string]any{"id": 1}, map[string]any{"id": 42, "name": "two"}}}), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, map[string]any{"id": json.Number("42"), "name": "two", "count": json.Number("2"), "missing": true}, res.OutputData)

	res = p.Run(ctx, task(map[string]any{"op": "progress"}), Env{})
	require.Equal(t, workflow.TaskInProgress, res.Status, res.ReasonForIncompletion)
	require.Equal(t, int64(30), res.CallbackAfterSeconds)
	require.Equal(t, map[string]any{"done": json.Number("3")}, res.OutputData)

	for _, tc := range []struct {
		op     string
		status workflow.TaskStatus
		reason string
	}{
		{"misuse", workflow.TaskFailed, "plugin output: value without a key in an object"},
		{"output", workflow.TaskFailed, "plugin: a HandleJSON handler writes its output with its Writer; its Result.Output must be nil"},
		{"fail", workflow.TaskFailedWithTerminalError, "never again"},
		{"panic", workflow.TaskFailed, "plugin panicked: half way"},
	} {
		res := p.Run(ctx, task(map[string]any{"op": tc.op}), Env{})
		require.Equal(t, tc.status, res.Status, tc.op)
		require.Equal(t, tc.reason, res.ReasonForIncompletion, tc.op)
		require.Nil(t, res.OutputData, tc.op)
	}
	require.Equal(t, workflow.TaskCompleted, p.Run(ctx, task(map[string]any{"op": "echo"}), Env{}).Status, "a new instance after the panic")
}
