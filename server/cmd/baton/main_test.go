package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
)

// result is what one run of the command printed and returned.
type result struct {
	stdout, stderr string
	err            error
}

// baton runs the command line args as main would, with a time limit: every
// call in these tests returns well before it.
func baton(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, &stdout, &stderr)
	require.NoError(t, ctx.Err(), "baton %s did not return in time", strings.Join(args, " "))
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// writeFile writes a file in a new temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

// listen holds a loopback port for the test and returns its address.
func listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func TestHelp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args  []string
		flags []string
	}{
		{args: []string{"serve", "--help"}, flags: []string{"-addr", "-data-dir", "-sync", "BATON_ADDR", "BATON_DATA_DIR", "BATON_SYNC"}},
		{args: []string{"def", "--help"}, flags: []string{"-server", "BATON_SERVER"}},
		{args: []string{"def", "put", "--help"}, flags: []string{"-server", "task definitions are registered first"}},
		{args: []string{"start", "--help"}, flags: []string{"-server", "-input", "-version", "-correlation-id", "-priority"}},
		{args: []string{"start", "greet", "-h"}, flags: []string{"-input"}},
		{args: []string{"get", "--help"}, flags: []string{"-server", "-tasks"}},
		{args: []string{"search", "--help"}, flags: []string{"-server", "-tasks", "-name", "-status", "-text", "-started-after", "-ended-before", "-sort", "-asc", "-limit", "-cursor", "-output"}},
		{args: []string{"bench", "--help"}, flags: []string{"-server", "-n", "-k", "-c", "-w", "-batch", "-sync", "-scenario", "-branches", "-iterations", "-keep"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			r := baton(t, tc.args...)
			require.ErrorIs(t, r.err, flag.ErrHelp)
			require.Empty(t, r.stdout)
			require.Contains(t, r.stderr, "Usage: baton "+tc.args[0])
			for _, f := range tc.flags {
				require.Contains(t, r.stderr, f)
			}
		})
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := baton(t, args...)
		require.ErrorIs(t, r.err, flag.ErrHelp)
		for name := range commands {
			require.Contains(t, r.stderr, "  "+name+" ")
		}
	}
}

func TestNoOrUnknownCommand(t *testing.T) {
	t.Parallel()
	r := baton(t)
	require.EqualError(t, r.err, "no command given")
	require.Contains(t, r.stderr, "Usage: baton COMMAND")

	r = baton(t, "frobnicate", "--now")
	require.EqualError(t, r.err, `unknown command "frobnicate"`)
	require.Contains(t, r.stderr, "Usage: baton COMMAND")

	r = baton(t, "def", "get")
	require.ErrorContains(t, r.err, "usage: baton def put FILE")
	require.Contains(t, r.stderr, "Usage: baton def put")

	r = baton(t, "serve", "--bogus")
	require.ErrorContains(t, r.err, "flag provided but not defined: -bogus")
	require.Contains(t, r.stderr, "-addr", "a bad flag prints the flags")
}

const defsJSON = `[
	{"name": "greet", "retryCount": 0, "ownerEmail": "dev@example.com"},
	{
		"name": "hello",
		"tasks": [{
			"name": "greet", "taskReferenceName": "greet", "type": "SIMPLE",
			"inputParameters": {"name": "${workflow.input.name}"}
		}],
		"outputParameters": {"greeting": "${greet.output.greeting}"}
	}
]`

// TestDefStartGet registers definitions from a file, starts a workflow and
// reads it back, against a real server.
func TestDefStartGet(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	url := srv.URL()

	r := baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defsJSON))
	require.NoError(t, r.err)
	require.Equal(t, "task definition greet registered\nworkflow definition hello version 1 registered\n", r.stdout)
	// Again: workflow definitions replace the version they name.
	r = baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defsJSON))
	require.NoError(t, r.err)

	r = baton(t, "start", "hello", "--input", `{"name":"x"}`, "--server", url, "--correlation-id", "c-1", "--priority", "5")
	require.NoError(t, r.err)
	id := strings.TrimSpace(r.stdout)
	require.NotEmpty(t, id)
	require.NotContains(t, id, "\n")

	r = baton(t, "get", id, "--server", url)
	require.NoError(t, r.err)
	var wf workflow.Workflow
	require.NoError(t, workflow.Decode([]byte(r.stdout), &wf), r.stdout)
	require.Equal(t, id, wf.WorkflowID)
	require.Equal(t, "hello", wf.WorkflowName)
	require.Equal(t, workflow.StatusRunning, wf.Status)
	require.Equal(t, map[string]any{"name": "x"}, wf.Input)
	require.Equal(t, "c-1", wf.CorrelationID)
	require.Equal(t, 5, wf.Priority)
	require.Len(t, wf.Tasks, 1)
	require.Equal(t, "x", wf.Tasks[0].InputData["name"])

	r = baton(t, "get", "--tasks=false", "--server", url, id)
	require.NoError(t, r.err)
	wf = workflow.Workflow{}
	require.NoError(t, workflow.Decode([]byte(r.stdout), &wf), r.stdout)
	require.Empty(t, wf.Tasks)

	// The server's refusals come back as errors.
	r = baton(t, "start", "nope", "--server", url)
	require.ErrorContains(t, r.err, `workflow definition "nope" is not registered`)
	r = baton(t, "get", "no-such-id", "--server", url)
	require.ErrorContains(t, r.err, "workflow no-such-id does not exist")
	r = baton(t, "def", "put", "--server", url, writeFile(t, "bad.json", `{"name": "t", "retryCount": -1}`))
	require.ErrorContains(t, r.err, "register task definitions")
	require.ErrorContains(t, r.err, "retryCount is -1")
}

func TestDefPutRefusesBadFiles(t *testing.T) {
	t.Parallel()
	// Each is refused before the server is called; none listens here.
	const server = "http://127.0.0.1:1"
	cases := []struct {
		name    string
		content string
		want    string
	}{
		{name: "not JSON", content: `[{"name": "a"},`, want: "not valid JSON"},
		{name: "not an object", content: `[{"name": "a"}, 7]`, want: "definition 1 is not a JSON object"},
		{name: "trailing data", content: `{"name": "a"} {"name": "b"}`, want: "definition 0"},
		{name: "bad workflow", content: `{"name": "w", "tasks": 3}`, want: "definition 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "defs.json", tc.content)
			r := baton(t, "def", "put", "--server", server, path)
			require.ErrorContains(t, r.err, path+": ")
			require.ErrorContains(t, r.err, tc.want)
			require.Empty(t, r.stdout)
		})
	}

	r := baton(t, "def", "put", "--server", server)
	require.EqualError(t, r.err, "def put: no files given")
	r = baton(t, "def", "put", "--server", server, filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, r.err, "missing.json")
	require.ErrorIs(t, r.err, os.ErrNotExist)
}

func TestStartRefusesBadArguments(t *testing.T) {
	t.Parallel()
	const server = "http://127.0.0.1:1" // never called
	cases := []struct {
		args []string
		want string
	}{
		{args: []string{"start", "hello", "--input", `{"name":`}, want: "--input is not a JSON object"},
		{args: []string{"start", "hello", "--input", `[1, 2]`}, want: "--input is not a JSON object"},
		{args: []string{"start", "hello", "--input", `{"a": 1} x`}, want: "--input is not a JSON object"},
		{args: []string{"start", "--input", `{}`}, want: "start: give exactly one workflow name"},
		{args: []string{"start", "a", "b"}, want: "start: give exactly one workflow name"},
		{args: []string{"start", "hello", "--priority", "high"}, want: `invalid value "high" for flag -priority`},
		{args: []string{"get"}, want: "get: give exactly one workflow id"},
	}
	for _, tc := range cases {
		r := baton(t, append(tc.args, "--server", server)...)
		require.ErrorContains(t, r.err, tc.want, "baton %s", strings.Join(tc.args, " "))
		require.Empty(t, r.stdout)
	}
}

func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	addr := listen(t)
	r := baton(t, "serve", "--addr", addr, "--data-dir", t.TempDir(), "--sync=false")
	require.ErrorContains(t, r.err, "address "+addr+" is already in use")
	require.ErrorContains(t, r.err, "--addr, BATON_ADDR")
}

func TestServeDataDirInUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := batontest.Start(batontest.Options{DataDir: dir})
	require.NoError(t, err)
	defer srv.Close()

	r := baton(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	require.ErrorContains(t, r.err, "data directory "+dir+" is in use by another Baton process")
}

// syncBuffer is a bytes.Buffer that a server's goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeUntilCancelled runs the server, calls it, and stops it the way
// an interrupt does.
func TestServeUntilCancelled(t *testing.T) {
	t.Parallel()
	addr, err := freeAddr()
	require.NoError(t, err)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr, "--data-dir", dir, "--sync=false"}, &stdout, &stderr)
	}()

	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var (
		returned bool
		early    error
	)
	require.Eventually(t, func() bool {
		select {
		case early = <-done:
			returned = true
			return true
		default:
		}
		res, err := hc.Get("http://" + addr + "/health")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 10*time.Second, 5*time.Millisecond)
	require.False(t, returned, "serve returned early: %v", early)

	r := baton(t, "def", "put", "--server", "http://"+addr, writeFile(t, "defs.json", defsJSON))
	require.NoError(t, r.err)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.Contains(t, stderr.String(), "baton is serving", "the log goes to stderr")
	require.Contains(t, stderr.String(), addr)
	require.Empty(t, stdout.String())
}

// The tests below set environment variables, so they do not run in
// parallel with each other or any other test.

func TestServeEnvironment(t *testing.T) {
	addr := listen(t)
	t.Setenv("BATON_ADDR", addr)
	t.Setenv("BATON_DATA_DIR", t.TempDir())
	t.Setenv("BATON_SYNC", "off")
	r := baton(t, "serve")
	require.ErrorContains(t, r.err, "address "+addr+" is already in use")

	t.Setenv("BATON_SYNC", "maybe")
	r = baton(t, "serve")
	require.EqualError(t, r.err, `BATON_SYNC="maybe": want true or false`)

	// BATON_SERVER is the client commands' default server.
	srv := batontest.New(t)
	t.Setenv("BATON_SERVER", srv.URL())
	r = baton(t, "def", "put", writeFile(t, "defs.json", defsJSON))
	require.NoError(t, r.err)
	r = baton(t, "start", "hello")
	require.NoError(t, r.err)
}

func TestEnvBool(t *testing.T) {
	const name = "BATON_TEST_BOOL"
	cases := []struct {
		value   string
		unset   bool
		def     bool
		want    bool
		wantErr string
	}{
		{unset: true, def: true, want: true},
		{unset: true, def: false, want: false},
		{value: "", def: true, want: true},
		{value: "1", want: true},
		{value: "true", want: true},
		{value: "YES", want: true},
		{value: "On", want: true},
		{value: "0", def: true, want: false},
		{value: "false", def: true, want: false},
		{value: "no", def: true, want: false},
		{value: "OFF", def: true, want: false},
		{value: "maybe", def: true, want: true, wantErr: `BATON_TEST_BOOL="maybe": want true or false`},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			t.Setenv(name, tc.value)
			if tc.unset {
				os.Unsetenv(name) // t.Setenv restores it at the end
			}
			got, err := envBool(name, tc.def)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestReorder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want []string
	}{
		{in: []string{"NAME", "--input", "{}"}, want: []string{"--input", "{}", "NAME"}},
		{in: []string{"--input", "{}", "NAME"}, want: []string{"--input", "{}", "NAME"}},
		{in: []string{"NAME", "--input={}", "--tasks", "X"}, want: []string{"--input={}", "--tasks", "NAME", "X"}},
		{in: []string{"ID", "-h"}, want: []string{"-h", "ID"}},
		{in: []string{"--server", "u", "--", "-odd-name"}, want: []string{"--server", "u", "-odd-name"}},
		{in: []string{"NAME", "--input"}, want: []string{"--input", "NAME"}},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, reorder(tc.in), "reorder(%q)", tc.in)
	}
}

func TestBenchAgainstAServer(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	r := baton(t, "bench", "--server", srv.URL(), "-n", "20", "-k", "2", "-c", "4", "-w", "2", "-batch", "4")
	require.NoError(t, r.err)
	require.Contains(t, r.stdout, "== target "+srv.URL()+": N=20 K=2 C=4 W=2 batch=4")
	for _, line := range []string{"workflows/s", "tasks/s", "latency p50", "latency p99"} {
		require.Contains(t, r.stdout, line)
	}
	require.NotContains(t, r.stdout, "server RSS", "no server figures for a target")

	r = baton(t, "bench", "-n", "0")
	require.ErrorContains(t, r.err, "must be at least 1")
	r = baton(t, "bench", "-sync", "maybe")
	require.ErrorContains(t, r.err, `-sync must be on, off or both, not "maybe"`)
}

func TestBenchScenariosAgainstAServer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args  []string
		want  []string
		tasks string // the tasks at the end of the execution
	}{
		{
			args: []string{"-scenario", "join", "-n", "20", "-branches", "3", "-c", "4", "-w", "2", "-batch", "4"},
			want: []string{": join N=20 B=3 C=4 W=2 batch=4", "workflows/s", "branches/s", "latency p99", "last branch p50", "last branch p99", "JOIN lag p50", "JOIN lag max"},
		},
		{
			args:  []string{"-scenario", "fanout", "-branches", "50", "-w", "4"},
			want:  []string{": fanout B=50 W=4 batch=16 runs=1", "start call", "start to COMPLETED", "branches/s", "update p50", "update p99", "JOIN lag", "workflow JSON"},
			tasks: "52", // the fork, its branches and the JOIN
		},
		{
			args:  []string{"-scenario", "loop", "-iterations", "20", "-keep", "2", "-w", "2"},
			want:  []string{": loop I=20 keep=2 W=2 batch=16 runs=1", "start to COMPLETED", "iterations/s", "update p99", "workflow JSON"},
			tasks: "3", // the loop and the last two iterations
		},
		{
			args:  []string{"-scenario", "loop", "-iterations", "5", "-keep", "0", "-w", "2", "-n", "2"},
			want:  []string{": loop I=5 keep=0 W=2 batch=16 runs=2", "start to COMPLETED  p50 "},
			tasks: "6",
		},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			// A server each: the scenarios' workers poll the same task type.
			srv := batontest.New(t)
			r := baton(t, append([]string{"bench", "--server", srv.URL()}, tc.args...)...)
			require.NoError(t, r.err)
			require.Contains(t, r.stdout, "== target "+srv.URL())
			for _, line := range tc.want {
				require.Contains(t, r.stdout, line)
			}
			if tc.tasks != "" {
				require.Regexp(t, `(?m)^tasks at end +`+tc.tasks+`$`, r.stdout)
			}
			require.NotContains(t, r.stdout, "server RSS", "no server figures for a target")
		})
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{args: []string{"-scenario", "fork"}, want: `bench: unknown -scenario "fork"; use chain, join, fanout, loop, wasm or system`},
		{args: []string{"-plugin", "x.wasm"}, want: "bench: -plugin does not apply to -scenario chain"},
		{args: []string{"-scenario", "wasm"}, want: "bench: -scenario wasm needs -plugin FILE.wasm"},
		{args: []string{"-scenario", "join", "-branches", "0"}, want: "bench: -branches must be at least 1, not 0"},
		{args: []string{"-scenario", "fanout", "-branches", "-3"}, want: "bench: -branches must be at least 1, not -3"},
		{args: []string{"-scenario", "loop", "-iterations", "0"}, want: "bench: -iterations must be at least 1, not 0"},
		{args: []string{"-scenario", "loop", "-keep", "-1"}, want: "bench: -keep must be 0 (keep every iteration) or more, not -1"},
		{args: []string{"-scenario", "fanout", "-n", "0"}, want: "bench: -n, -k, -c, -w and -batch must be at least 1"},
		{args: []string{"-scenario", "fanout", "-c", "8"}, want: "bench: -c does not apply to -scenario fanout"},
		{args: []string{"-branches", "8"}, want: "bench: -branches does not apply to -scenario chain"},
		{args: []string{"-scenario", "join", "-iterations", "8"}, want: "bench: -iterations does not apply to -scenario join"},
	}
	for _, tc := range cases {
		// Each is refused before a server is started or called.
		r := baton(t, append([]string{"bench", "--server", "http://127.0.0.1:1"}, tc.args...)...)
		require.EqualError(t, r.err, tc.want, "baton bench %s", strings.Join(tc.args, " "))
		require.Empty(t, r.stdout)
	}
}
