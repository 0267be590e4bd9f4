package wasm

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// sdkGuestWasm builds testdata/sdkguest (a plugin written with sdk/plugin)
// once per test binary.
func sdkGuestWasm(t testing.TB) []byte { return wasmtest.BuildGo(t, "testdata/sdkguest") }

// jsonGuestWasm is testdata/jsonguest, a plugin written with HandleJSON.
func jsonGuestWasm(t testing.TB) []byte { return wasmtest.BuildGo(t, "testdata/jsonguest") }

// newHost returns a Host closed with the test.
func newHost(t testing.TB, cfg HostConfig) *Host {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = wasmtest.CacheDir()
	}
	h, err := NewHost(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

// manifest returns a valid manifest with edit applied.
func manifest(t testing.TB, edit func(m *Manifest)) *Manifest {
	t.Helper()
	m, err := ParseManifest([]byte(`{"name":"test","taskTypes":["TEST"],"limits":{"timeoutMs":5000}}`))
	require.NoError(t, err)
	if edit != nil {
		edit(m)
	}
	return m
}

func load(t testing.TB, h *Host, bin []byte, m *Manifest) *Plugin {
	t.Helper()
	p, err := h.Load(context.Background(), bin, m)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func task(input map[string]any) *workflow.Task {
	return &workflow.Task{TaskID: "t1", WorkflowInstanceID: "w1", TaskType: "TEST", InputData: input}
}

func TestRunCompletes(t *testing.T) {
	h := newHost(t, HostConfig{})
	p := load(t, h, sdkGuestWasm(t), manifest(t, nil))
	res := p.Run(context.Background(), task(map[string]any{"op": "echo", "n": 12345678901234567}), Env{})
	require.Equal(t, workflow.TaskCompleted, res.Status, res.ReasonForIncompletion)
	require.Equal(t, "t1", res.TaskID)
	require.Equal(t, "w1", res.WorkflowInstanceID)
	require.Equal(t, "echo", res.OutputData["op"])
	require.Equal(t, "12345678901234567", res.OutputData["n"].(interface{ String() string }).String())
}

func jsonNum(s string) any { return json.Number(s) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }
