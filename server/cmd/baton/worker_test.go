package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// pluginCase is a first-party plugin run in both of its roles.
type pluginCase struct {
	build    func(t *testing.T) []byte
	manifest string
	taskType string // a custom system task type of the manifest
	worker   string // a SIMPLE task name the manifest serves
	input    map[string]any
	output   map[string]any // of each of its tasks
}

func TestPluginRolesInServerAndOutside(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("ada@example.com"))
	cases := map[string]pluginCase{
		"go": {
			build:    func(t *testing.T) []byte { return wasmtest.BuildGo(t, "../../../plugins/hash") },
			manifest: `{"name":"hash","taskTypes":["HASH_FIELDS"],"workers":["hash_work"],"config":{"algorithm":"sha256","encoding":"hex"}}`,
			taskType: "HASH_FIELDS", worker: "hash_work",
			input:  map[string]any{"fields": []any{"email"}, "email": "ada@example.com"},
			output: map[string]any{"digests": map[string]any{"email": hex.EncodeToString(sum[:])}, "algorithm": "sha256", "encoding": "hex", "hmac": false},
		},
		"c": {
			build:    func(t *testing.T) []byte { return wasmtest.BuildC(t, nil, "../../../plugins/cexample/main.c") },
			manifest: `{"name":"cexample","taskTypes":["C_UPPER"],"workers":["upper_work"]}`,
			taskType: "C_UPPER", worker: "upper_work",
			input:  map[string]any{"text": "Hello, wasm"},
			output: map[string]any{"upper": "HELLO, WASM"},
		},
	}
	for name, pc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pc.run(t)
		})
	}
}

// run uploads the plugin with the CLI, runs a workflow of its task type
// and its worker task inside the server, then disables it there and runs
// the workflow again with the module in baton worker.
func (pc pluginCase) run(t *testing.T) {
	bin := pc.build(t)
	url := pluginServer(t).URL()
	c := client.New(url)
	dir := t.TempDir()
	module := filepath.Join(dir, "plugin.wasm")
	require.NoError(t, os.WriteFile(module, bin, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plugin.json"), []byte(pc.manifest), 0o600))

	r := slowBaton(t, "plugin", "push", module, "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.NoError(t, c.RegisterTaskDefs(t.Context(), &workflow.TaskDef{Name: pc.worker, RetryCount: new(int)}))
	input := map[string]any{}
	for k := range pc.input {
		input[k] = "${workflow.input." + k + "}"
	}
	_, err := c.RegisterWorkflowDef(t.Context(), &workflow.WorkflowDef{
		Name: "roles", Version: 1,
		Tasks: []*workflow.WorkflowTask{
			{Name: "system", TaskReferenceName: "system", Type: pc.taskType, InputParameters: input},
			{Name: pc.worker, TaskReferenceName: "worker", Type: workflow.TypeSimple, InputParameters: input},
		},
	}, true, false)
	require.NoError(t, err)

	check := func(workerID string) {
		t.Helper()
		id, err := c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: "roles", Input: pc.input})
		require.NoError(t, err)
		var w *workflow.Workflow
		require.Eventually(t, func() bool {
			w, err = c.Workflow(t.Context(), id, true)
			require.NoError(t, err)
			return w.Status.Terminal()
		}, 60*time.Second, 10*time.Millisecond)
		require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
		require.Len(t, w.Tasks, 2)
		for _, task := range w.Tasks {
			require.Equal(t, workerID, task.WorkerID, task.ReferenceTaskName)
			got, err := json.Marshal(task.OutputData)
			require.NoError(t, err)
			want, err := json.Marshal(pc.output)
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(got), task.ReferenceTaskName)
		}
	}
	var m struct{ Name string }
	require.NoError(t, json.Unmarshal([]byte(pc.manifest), &m))
	name := m.Name
	check("baton-plugin:" + name + "@1")

	r = baton(t, "plugin", "disable", name, "--server", url)
	require.NoError(t, r.err, r.stderr)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var log syncBuffer
	go func() {
		// The compilation cache the server filled: a cold compile of a Go
		// module under the race detector takes most of a minute.
		done <- run(ctx, []string{"worker", "--plugin", module, "--server", url, "--worker-id", "remote-1", "--cache-dir", wasmtest.CacheDir()}, &log, &log)
	}()
	check("remote-1")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("baton worker did not stop")
	}
	require.Contains(t, log.String(), "baton worker: plugin "+name)
}

// pluginServer starts a server whose compiled plugins are shared with the
// other tests (wasmtest.CacheDir).
func pluginServer(t *testing.T) *batontest.Server {
	t.Helper()
	srv, err := batontest.Start(batontest.Options{DataDir: t.TempDir(), PluginCacheDir: wasmtest.CacheDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Close()) })
	return srv
}

// slowBaton runs a command that may compile a plugin, which takes seconds
// on a loaded machine.
func slowBaton(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var stdout, stderr syncBuffer
	err := run(ctx, args, &stdout, &stderr)
	require.NoError(t, ctx.Err(), "baton %v did not return in time", args)
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

func TestWorkerRefusesBadArguments(t *testing.T) {
	t.Parallel()
	r := baton(t, "worker")
	require.ErrorContains(t, r.err, "give the plugin with --plugin FILE.wasm")
	r = baton(t, "worker", "--plugin", filepath.Join(t.TempDir(), "none.wasm"))
	require.ErrorContains(t, r.err, "none.wasm: no such file")
	module := writeFile(t, "p.wasm", "not wasm")
	r = baton(t, "worker", "--plugin", module)
	require.ErrorContains(t, r.err, "read the manifest (--manifest)")
	require.NoError(t, os.WriteFile(filepath.Join(filepath.Dir(module), "plugin.json"), []byte(`{"name":"p","taskTypes":["P"]}`), 0o600))
	r = baton(t, "worker", "--plugin", module)
	require.ErrorContains(t, r.err, "p.wasm:")
}

// TestBenchWasmAgainstAServer runs the wasm scenario with the C plugin.
func TestBenchWasmAgainstAServer(t *testing.T) {
	t.Parallel()
	bin := wasmtest.BuildC(t, nil, "../../../plugins/cexample/main.c")
	dir := t.TempDir()
	module := filepath.Join(dir, "cexample.wasm")
	require.NoError(t, os.WriteFile(module, bin, 0o600))
	manifest := writeFile(t, "manifest.json", `{"name":"cexample","taskTypes":["C_UPPER"],"limits":{"concurrency":4}}`)
	url := pluginServer(t).URL()
	r := slowBaton(t, "bench", "--server", url, "-scenario", "wasm", "-plugin", module, "-manifest", manifest,
		"-n", "30", "-k", "3", "-c", "4", "-input", `{"text":"abc"}`)
	require.NoError(t, r.err, r.stderr)
	for _, line := range []string{": wasm N=30 K=3 C=4, plugin cexample", "workflows/s", "tasks/s", "latency p99", "upload", "cold start"} {
		require.Contains(t, r.stdout, line)
	}
	r = slowBaton(t, "bench", "--server", url, "-scenario", "wasm", "-plugin", module, "-manifest", manifest, "-input", `[1]`)
	require.ErrorContains(t, r.err, "-input is not a JSON object")
}

// TestWorkerKVQuota: the key-value store of baton worker is bounded by the
// plugin's limits.kvBytes as the server's is: replacements count by their
// difference, deletions free their bytes, a refused put changes nothing.
func TestWorkerKVQuota(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	kv := &memoryKV{values: map[string][]byte{}, maxBytes: 10}
	require.NoError(t, kv.Put(ctx, "a", []byte("1234")))
	require.NoError(t, kv.Put(ctx, "b", []byte("1234")))
	require.EqualError(t, kv.Put(ctx, "c", nil), "the plugin's key-value data would be 11 bytes; limits.kvBytes is 10")
	require.EqualError(t, kv.Put(ctx, "a", []byte("12345")), "the plugin's key-value data would be 11 bytes; limits.kvBytes is 10")
	v, _, _ := kv.Get(ctx, "a")
	require.Equal(t, "1234", string(v))
	require.NoError(t, kv.Put(ctx, "a", []byte("123")))
	require.NoError(t, kv.Delete(ctx, "b"))
	require.NoError(t, kv.Delete(ctx, "b"))
	require.NoError(t, kv.Put(ctx, "c", []byte("12345")))
	require.Equal(t, int64(10), kv.bytes)
}
