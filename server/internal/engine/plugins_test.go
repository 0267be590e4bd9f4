package engine_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
	"github.com/batonhq/baton/wasm"
	"github.com/batonhq/baton/wasm/wasmtest"
)

func manifest(name string, taskTypes, workers []string) []byte {
	q := func(list []string) string {
		if len(list) == 0 {
			return "[]"
		}
		return `["` + strings.Join(list, `","`) + `"]`
	}
	return []byte(fmt.Sprintf(`{"name":%q,"taskTypes":%s,"workers":%s}`, name, q(taskTypes), q(workers)))
}

func requireCode(t *testing.T, code engine.Code, err error, msgAndContains ...string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, engine.CodeOf(err), "%v", err)
	for _, s := range msgAndContains {
		require.Contains(t, err.Error(), s)
	}
}

func TestPluginUploadAndVersions(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, nil)
	mod := wasmtest.Waiting("v1")
	info, created, err := b.e.PutPlugin(b.ctx, mod, manifest("hash", []string{"HASH"}, []string{"hash_fields"}))
	require.NoError(t, err)
	require.True(t, created)
	sum := sha256.Sum256(mod)
	require.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), info.Digest)
	require.Equal(t, int64(len(mod)), info.Size)
	require.Equal(t, 1, info.Version)
	require.True(t, info.Active)
	require.True(t, info.Enabled)
	require.Equal(t, []string{"HASH"}, info.TaskTypes)
	require.Equal(t, []string{"hash_fields"}, info.Workers)
	require.Equal(t, b.clock.Now().UnixMilli(), info.CreatedTime)
	require.Equal(t, 2, info.Manifest.Limits.Concurrency, "the parsed manifest has its defaults")

	// The same module and manifest again: nothing new.
	again, created, err := b.e.PutPlugin(b.ctx, mod, manifest("hash", []string{"HASH"}, []string{"hash_fields"}))
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, info, again)

	// Another manifest with the same module is a new version.
	v2, created, err := b.e.PutPlugin(b.ctx, mod, manifest("hash", []string{"HASH", "HMAC"}, nil))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 2, v2.Version)
	require.Equal(t, info.Digest, v2.Digest)

	list, err := b.e.Plugins(b.ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, 2, list[0].Version)
	require.Equal(t, []string{"HASH", "HMAC"}, list[0].TaskTypes)

	versions, err := b.e.PluginVersions(b.ctx, "hash")
	require.NoError(t, err)
	require.Len(t, versions, 2)
	require.False(t, versions[0].Active)
	require.True(t, versions[1].Active)

	got, err := b.e.Plugin(b.ctx, "hash", 1)
	require.NoError(t, err)
	require.Equal(t, 1, got.Version)
	require.False(t, got.Active)
	got, err = b.e.Plugin(b.ctx, "hash", 0)
	require.NoError(t, err)
	require.Equal(t, 2, got.Version)

	_, err = b.e.Plugin(b.ctx, "hash", 3)
	requireCode(t, engine.NotFound, err, "plugin hash has no version 3 (it has 1, 2)")
	_, err = b.e.Plugin(b.ctx, "nope", 0)
	requireCode(t, engine.NotFound, err, "plugin nope not found")
	_, err = b.e.PluginVersions(b.ctx, "nope")
	requireCode(t, engine.NotFound, err)
}

func TestPluginUploadRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, nil)
	ok := manifest("p", []string{"P"}, nil)

	_, _, err := b.e.PutPlugin(b.ctx, make([]byte, engine.MaxPluginBytes+1), ok)
	requireCode(t, engine.InvalidArgument, err, "module is 33554433 bytes; at most 33554432")
	_, _, err = b.e.PutPlugin(b.ctx, nil, ok)
	requireCode(t, engine.InvalidArgument, err, "module is empty")
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("x"), []byte(`{"name":"p","taskTypes":["SIMPLE"],"limits":{"memoryMiB":-1}}`))
	requireCode(t, engine.InvalidArgument, err, "manifest is not valid", `"SIMPLE" is one of Conductor's own task types`, "limits.memoryMiB is -1")
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("x"), []byte(`{"name":"p","taskTypes":["P"],"timeout":5}`))
	requireCode(t, engine.InvalidArgument, err, `unknown field "timeout"`)

	list, err := b.e.Plugins(b.ctx)
	require.NoError(t, err)
	require.Empty(t, list, "a refused upload stores nothing")
}

func TestPluginEnableDisable(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, nil)
	_, _, err := b.e.PutPlugin(b.ctx, wasmtest.Waiting("1"), manifest("p", []string{"P"}, nil))
	require.NoError(t, err)
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("2"), manifest("p", []string{"P"}, nil))
	require.NoError(t, err)

	info, err := b.e.DisablePlugin(b.ctx, "p")
	require.NoError(t, err)
	require.False(t, info.Enabled)
	require.Equal(t, 2, info.Version)
	got, err := b.e.Plugin(b.ctx, "p", 0)
	require.NoError(t, err)
	require.False(t, got.Enabled)

	// Enabling version 1 rolls back to it.
	info, err = b.e.EnablePlugin(b.ctx, "p", 1)
	require.NoError(t, err)
	require.True(t, info.Enabled)
	require.True(t, info.Active)
	require.Equal(t, 1, info.Version)
	got, err = b.e.Plugin(b.ctx, "p", 0)
	require.NoError(t, err)
	require.Equal(t, 1, got.Version)

	// Version 0 keeps the active one.
	_, err = b.e.DisablePlugin(b.ctx, "p")
	require.NoError(t, err)
	info, err = b.e.EnablePlugin(b.ctx, "p", 0)
	require.NoError(t, err)
	require.Equal(t, 1, info.Version)
	require.True(t, info.Enabled)

	_, err = b.e.EnablePlugin(b.ctx, "p", 9)
	requireCode(t, engine.NotFound, err, "no version 9")
	_, err = b.e.EnablePlugin(b.ctx, "nope", 0)
	requireCode(t, engine.NotFound, err)
	_, err = b.e.DisablePlugin(b.ctx, "nope")
	requireCode(t, engine.NotFound, err)
}

func TestPluginsMayNotShareATaskType(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, nil)
	_, _, err := b.e.PutPlugin(b.ctx, wasmtest.Waiting("a"), manifest("a", []string{"HASH"}, []string{"hash_fields"}))
	require.NoError(t, err)

	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("b"), manifest("b", []string{"OTHER", "HASH"}, nil))
	requireCode(t, engine.AlreadyExists, err, "task type HASH is provided by plugin a (version 1)")
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("b"), manifest("b", nil, []string{"hash_fields"}))
	requireCode(t, engine.AlreadyExists, err, "worker task hash_fields is served by plugin a")

	// A plugin may change what it provides itself.
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("a2"), manifest("a", []string{"HASH", "HMAC"}, nil))
	require.NoError(t, err)

	// Once a is disabled, b may take the type; a may not come back.
	_, err = b.e.DisablePlugin(b.ctx, "a")
	require.NoError(t, err)
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("b"), manifest("b", []string{"HASH"}, nil))
	require.NoError(t, err)
	_, err = b.e.EnablePlugin(b.ctx, "a", 0)
	requireCode(t, engine.AlreadyExists, err, "task type HASH is provided by plugin b (version 1)")
	got, err := b.e.Plugin(b.ctx, "a", 0)
	require.NoError(t, err)
	require.False(t, got.Enabled, "a refused enable changes nothing")
}

func TestPluginDeleteRefusedWhileUsed(t *testing.T) {
	t.Parallel()
	// The workflow "chain" runs one SIMPLE task "work", which the plugin
	// serves as a worker.
	b := setup(t, 1, work())
	_, _, err := b.e.PutPlugin(b.ctx, wasmtest.Waiting("1"), manifest("worker", nil, []string{"work"}))
	require.NoError(t, err)
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("2"), manifest("worker", nil, []string{"work"}))
	require.NoError(t, err)

	var ids []string
	for range 22 {
		ids = append(ids, b.startWF(t, 0))
	}
	err = b.e.DeletePlugin(b.ctx, "worker", 0)
	requireCode(t, engine.FailedPrecondition, err, "plugin worker is used by 22 running workflow(s)", "and 2 more", "terminate them")
	err = b.e.DeletePlugin(b.ctx, "worker", 2)
	requireCode(t, engine.FailedPrecondition, err, "version 2 of plugin worker (the active one) is used by 22 running workflow(s)")
	listed := 0
	for _, id := range ids {
		if strings.Contains(err.Error(), id) {
			listed++
		}
	}
	require.Equal(t, 20, listed, "the message lists 20 workflows")

	// A version that is not active runs nothing.
	require.NoError(t, b.e.DeletePlugin(b.ctx, "worker", 1))
	versions, err := b.e.PluginVersions(b.ctx, "worker")
	require.NoError(t, err)
	require.Len(t, versions, 1)
	require.ErrorContains(t, b.e.DeletePlugin(b.ctx, "worker", 1), "plugin worker has no version 1 (it has 2)")

	// Once the workflows are done, the plugin may go. (Its tasks check
	// themselves back in for an hour: the workflows are terminated.)
	for _, id := range ids {
		require.NoError(t, b.e.TerminateWorkflow(b.ctx, id, "done testing"))
	}
	require.NoError(t, b.e.DeletePlugin(b.ctx, "worker", 0))
	list, err := b.e.Plugins(b.ctx)
	require.NoError(t, err)
	require.Empty(t, list)
	requireCode(t, engine.NotFound, b.e.DeletePlugin(b.ctx, "worker", 0))
}

func TestPluginKeptAcrossRestart(t *testing.T) {
	t.Parallel()
	b := setupOnDisk(t, 1, "")
	info, _, err := b.e.PutPlugin(b.ctx, wasmtest.Waiting("1"), manifest("p", []string{"P"}, nil))
	require.NoError(t, err)
	_, err = b.e.DisablePlugin(b.ctx, "p")
	require.NoError(t, err)
	b.e.Stop()

	e, err := engine.New(engine.Config{Store: b.store, Clock: b.clock.Now})
	require.NoError(t, err)
	require.NoError(t, e.Start(b.ctx))
	t.Cleanup(e.Stop)
	got, err := e.Plugin(b.ctx, "p", 0)
	require.NoError(t, err)
	require.Equal(t, info.Digest, got.Digest)
	require.False(t, got.Enabled)
}

// TestPluginDeleteRefusedWhenItsSuccessorConflicts: deleting the active
// version would make an older one active, which provides a task type that
// another enabled plugin took since.
func TestPluginDeleteRefusedWhenItsSuccessorConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, nil)
	_, _, err := b.e.PutPlugin(b.ctx, wasmtest.Waiting("a1"), manifest("a", []string{"X_TYPE"}, nil))
	require.NoError(t, err)
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("a2"), manifest("a", []string{"Y_TYPE"}, nil))
	require.NoError(t, err)
	_, _, err = b.e.PutPlugin(b.ctx, wasmtest.Waiting("b1"), manifest("b", []string{"X_TYPE"}, nil))
	require.NoError(t, err)
	err = b.e.DeletePlugin(b.ctx, "a", 2)
	requireCode(t, engine.FailedPrecondition, err, "would make version 1 active", "task type X_TYPE is provided by plugin b")
	_, err = b.e.DisablePlugin(b.ctx, "a")
	require.NoError(t, err)
	require.NoError(t, b.e.DeletePlugin(b.ctx, "a", 2), "a disabled plugin's versions may go")
}

// TestPluginCeilings: the ceilings of a server refuse an upload whose
// manifest claims more than they allow and lower the defaults of one that
// claims nothing; a stored version over a ceiling lowered since is kept,
// shown with the reason, and not run.
func TestPluginCeilings(t *testing.T) {
	t.Parallel()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	open := func(c wasm.Ceilings) *engine.Engine {
		e, err := engine.New(engine.Config{Store: st, PluginCeilings: c, Plugins: wasm.HostConfig{CacheDir: wasmtest.CacheDir()}})
		require.NoError(t, err)
		require.NoError(t, e.Start(ctx))
		return e
	}
	_, err = engine.New(engine.Config{Store: st, PluginCeilings: wasm.Ceilings{MemoryMiB: 8192, TimeoutMs: -1}})
	requireCode(t, engine.InvalidArgument, err, "--plugin-max-memory-mib is 8192; it must be from 1 to 4096 (or 0 for no ceiling)",
		"--plugin-max-timeout is -1ms; it must be from 1ms to 15m0s")

	e := open(wasm.Ceilings{MemoryMiB: 32, TimeoutMs: 2000, Concurrency: 4, KVBytes: 1 << 20})
	_, _, err = e.PutPlugin(ctx, wasmtest.Waiting("big"), []byte(`{"name":"big","taskTypes":["BIG"],"limits":{"memoryMiB":64,"concurrency":8,"kvBytes":2097152}}`))
	requireCode(t, engine.InvalidArgument, err,
		"the manifest claims more than this server allows: limits.memoryMiB is 64; this server allows at most 32 (baton serve --plugin-max-memory-mib); "+
			"limits.concurrency is 8; this server allows at most 4 (baton serve --plugin-max-concurrency); "+
			"limits.kvBytes is 2097152; this server allows at most 1048576 (baton serve --plugin-max-kv-bytes)")
	_, err = e.Plugin(ctx, "big", 0)
	requireCode(t, engine.NotFound, err)

	info, _, err := e.PutPlugin(ctx, wasmtest.Waiting("small"), []byte(`{"name":"small","taskTypes":["SMALL"],"limits":{"memoryMiB":32}}`))
	require.NoError(t, err)
	require.Equal(t, wasm.Limits{MemoryMiB: 32, TimeoutMs: 2000, MaxOutputBytes: wasm.DefaultMaxOutputBytes, Concurrency: 2, Warm: 1, KVBytes: 1 << 20},
		info.Manifest.Limits, "defaults over a ceiling are lowered to it")
	require.Empty(t, info.OverCeiling)
	def := &workflow.WorkflowDef{Name: "small", Version: 1, Tasks: []*workflow.WorkflowTask{{Name: "s", TaskReferenceName: "s", Type: "SMALL"}}}
	_, err = e.RegisterWorkflowDef(ctx, def, true, false)
	require.NoError(t, err, "the plugin runs")
	e.Stop()

	// Restarted with a lower ceiling, the plugin stays stored, enabled, but
	// does not run, and says why.
	e = open(wasm.Ceilings{MemoryMiB: 16})
	t.Cleanup(e.Stop)
	info, err = e.Plugin(ctx, "small", 0)
	require.NoError(t, err)
	require.True(t, info.Enabled)
	require.Equal(t, "the manifest claims more than this server allows: limits.memoryMiB is 32; this server allows at most 16 (baton serve --plugin-max-memory-mib)",
		info.OverCeiling)
	require.Equal(t, 32, info.Manifest.Limits.MemoryMiB, "the manifest as stored")
	_, err = e.RegisterWorkflowDef(ctx, def, true, false)
	requireCode(t, engine.InvalidArgument, err, `unknown task type "SMALL"`)
	_, err = e.EnablePlugin(ctx, "small", 1)
	requireCode(t, engine.FailedPrecondition, err, "plugin small version 1 cannot run on this server: the manifest claims more than this server allows")

	// A version within the ceilings runs again.
	info, _, err = e.PutPlugin(ctx, wasmtest.Waiting("small"), []byte(`{"name":"small","taskTypes":["SMALL"]}`))
	require.NoError(t, err)
	require.Equal(t, 16, info.Manifest.Limits.MemoryMiB)
	_, err = e.RegisterWorkflowDef(ctx, def, true, false)
	require.NoError(t, err)
	versions, err := e.PluginVersions(ctx, "small")
	require.NoError(t, err)
	require.NotEmpty(t, versions[0].OverCeiling)
	require.Empty(t, versions[1].OverCeiling)
}
