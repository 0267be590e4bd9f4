package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
	"github.com/batonhq/baton/wasm"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// The flag tests set environment variables, so they do not run in parallel.

func TestPluginCeilingFlags(t *testing.T) {
	parse := func(args ...string) (server.Config, error) {
		fs := newFlags("serve", "serve", io.Discard)
		apply := servePluginFlags(fs)
		var cfg server.Config
		if err := fs.Parse(args); err != nil {
			return cfg, err
		}
		return cfg, apply(&cfg)
	}
	cfg, err := parse()
	require.NoError(t, err)
	require.Equal(t, wasm.Ceilings{}, cfg.PluginCeilings, "no ceilings by default")
	cfg, err = parse("--plugin-max-memory-mib", "128", "--plugin-max-timeout", "30s", "--plugin-max-concurrency", "8", "--plugin-max-kv-bytes", "1048576")
	require.NoError(t, err)
	require.Equal(t, wasm.Ceilings{MemoryMiB: 128, TimeoutMs: 30_000, Concurrency: 8, KVBytes: 1 << 20}, cfg.PluginCeilings)

	_, err = parse("--plugin-max-memory-mib", "lots")
	require.EqualError(t, err, `--plugin-max-memory-mib: "lots" is not a whole number`)
	_, err = parse("--plugin-max-timeout", "30")
	require.ErrorContains(t, err, `--plugin-max-timeout: "30" is not a duration of whole milliseconds, such as 30s`)
	_, err = parse("--plugin-max-timeout", "1.5ms")
	require.ErrorContains(t, err, "--plugin-max-timeout")

	t.Setenv("BATON_PLUGIN_MAX_MEMORY_MIB", "256")
	t.Setenv("BATON_PLUGIN_MAX_TIMEOUT", "1m")
	t.Setenv("BATON_PLUGIN_MAX_CONCURRENCY", "4")
	t.Setenv("BATON_PLUGIN_MAX_KV_BYTES", "65536")
	cfg, err = parse()
	require.NoError(t, err)
	require.Equal(t, wasm.Ceilings{MemoryMiB: 256, TimeoutMs: 60_000, Concurrency: 4, KVBytes: 65536}, cfg.PluginCeilings)
	cfg, err = parse("--plugin-max-concurrency", "2")
	require.NoError(t, err)
	require.Equal(t, 2, cfg.PluginCeilings.Concurrency, "a flag wins over the environment")

	// The ranges are the engine's to check, at start.
	r := baton(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--plugin-max-memory-mib", "8192")
	require.ErrorContains(t, r.err, "--plugin-max-memory-mib is 8192; it must be from 1 to 4096")

	cfg, err = parse("--plugin-cpu-slots", "3")
	require.NoError(t, err)
	require.Equal(t, 3, cfg.PluginCPUSlots)
	t.Setenv("BATON_PLUGIN_CPU_SLOTS", "2")
	cfg, err = parse()
	require.NoError(t, err)
	require.Equal(t, 2, cfg.PluginCPUSlots)
	r = baton(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--plugin-cpu-slots", "-1")
	require.ErrorContains(t, r.err, "plugin CPU slots: -1; it must be 1 or more")
}

// TestServePluginCPUSlots: the server runs plugins in the CPU slots
// --plugin-cpu-slots asks for, one fewer than GOMAXPROCS by default, and
// says so as it starts.
func TestServePluginCPUSlots(t *testing.T) {
	t.Parallel()
	_, stop := serve(t, "--data-dir", t.TempDir())
	require.Contains(t, stop(), fmt.Sprintf("plugin_cpu_slots=%d", max(runtime.GOMAXPROCS(0)-1, 1)))
	_, stop = serve(t, "--data-dir", t.TempDir(), "--plugin-cpu-slots", "3")
	require.Contains(t, stop(), "plugin_cpu_slots=3")
}

// serve runs baton serve with args on a free port until the test stops it
// with the function returned, which returns what the server logged.
func serve(t *testing.T, args ...string) (url string, stop func() string) {
	t.Helper()
	addr, err := freeAddr()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", addr, "--sync=false"}, args...), io.Discard, &stderr)
	}()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	require.Eventually(t, func() bool {
		res, err := hc.Get("http://" + addr + "/health")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 20*time.Second, 5*time.Millisecond, "serve did not start: %s", &stderr)
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop")
			}
		}
		return stderr.String()
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr, stop
}

// TestServePluginCeilings: serve's ceilings refuse an upload over them,
// naming the flag, and a plugin stored under higher ceilings is kept but
// not run once the server restarts with lower ones.
func TestServePluginCeilings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	module := filepath.Join(t.TempDir(), "waiter.wasm")
	require.NoError(t, os.WriteFile(module, wasmtest.Waiting("ceilings"), 0o600))
	url, stop := serve(t, "--data-dir", dir, "--plugin-max-memory-mib", "32", "--plugin-max-timeout", "10s")

	over := writeFile(t, "over.json", `{"name":"waiter","taskTypes":["WAIT_A_BIT"],"limits":{"timeoutMs":20000}}`)
	r := baton(t, "plugin", "push", module, "--manifest", over, "--server", url)
	require.ErrorContains(t, r.err, "limits.timeoutMs is 20000; this server allows at most 10000 (baton serve --plugin-max-timeout)")
	within := writeFile(t, "within.json", `{"name":"waiter","taskTypes":["WAIT_A_BIT"],"limits":{"memoryMiB":32}}`)
	r = baton(t, "plugin", "push", module, "--manifest", within, "--server", url)
	require.NoError(t, r.err, r.stderr)

	c := client.New(url)
	_, err := c.RegisterWorkflowDef(t.Context(), &workflow.WorkflowDef{Name: "wait", Version: 1,
		Tasks: []*workflow.WorkflowTask{{Name: "w", TaskReferenceName: "w", Type: "WAIT_A_BIT"}}}, true, false)
	require.NoError(t, err)
	polls := func(c *client.Client, id string) int {
		w, err := c.Workflow(t.Context(), id, true)
		require.NoError(t, err)
		return w.Tasks[0].PollCount
	}
	id, err := c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: "wait"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return polls(c, id) == 1 }, 20*time.Second, 5*time.Millisecond,
		"the plugin runs the task (which checks itself back in for an hour)")
	stop()

	url, stop = serve(t, "--data-dir", dir, "--plugin-max-memory-mib", "16")
	c = client.New(url)
	r = baton(t, "plugin", "get", "waiter", "--server", url)
	require.NoError(t, r.err, r.stderr)
	getOut := r.stdout
	var got client.Plugin
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.True(t, got.Enabled && got.Active, "kept as it was")
	require.Equal(t, "the manifest claims more than this server allows: limits.memoryMiB is 32; this server allows at most 16 (baton serve --plugin-max-memory-mib)", got.OverCeiling)
	r = baton(t, "plugin", "versions", "waiter", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, "active, over the server's ceilings")
	r = baton(t, "plugin", "ls", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, "yes, not run: over the server's ceilings")
	resp, err := http.Get(url + "/plugins")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(page), "enabled v1, not run", "the console's plugins page")
	require.Contains(t, string(page), "limits.memoryMiB is 32; this server allows at most 16")
	require.Contains(t, string(page), `data-kv-bytes="0">0 bytes of 64.0 MiB (0.0 %)`, "the plugin's key-value data against its bound")
	require.Zero(t, got.KVBytes)
	require.Contains(t, getOut, `"kvBytes": 0`, "plugin get says how much key-value data the plugin holds")

	id, err = c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: "wait"})
	require.NoError(t, err)
	require.Never(t, func() bool { return polls(c, id) > 0 }, time.Second, 20*time.Millisecond,
		"nobody runs the plugin's task")
	require.Contains(t, stop(), "plugin not run: its manifest is over this server's ceilings; it stays stored")
}
