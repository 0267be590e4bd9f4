package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// TestPluginCommands manages the plugins of a real server with every
// plugin subcommand.
func TestPluginCommands(t *testing.T) {
	t.Parallel()
	srv := batontest.New(t)
	url := srv.URL()
	dir := t.TempDir()
	module := filepath.Join(dir, "greeter.wasm")
	require.NoError(t, os.WriteFile(module, wasmtest.Waiting("1"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plugin.json"), []byte(`{"name":"greeter","taskTypes":["GREET_ALL"],"workers":["greet"]}`), 0o600))

	// The manifest beside the module by default.
	r := baton(t, "plugin", "push", module, "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Regexp(t, `^plugin greeter version 1 uploaded \(sha256:[0-9a-f]{64}\), active and enabled\n$`, r.stdout)
	r = baton(t, "plugin", "push", module, "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Contains(t, r.stdout, "plugin greeter version 1 is this module and manifest already")
	require.Contains(t, r.stdout, "nothing uploaded")

	other := writeFile(t, "other.json", `{"name":"greeter","workers":["greet"],"limits":{"timeoutMs":2000}}`)
	r = baton(t, "plugin", "push", "--manifest", other, module, "--server", url, "--output", "json")
	require.NoError(t, r.err, r.stderr)
	var pushed client.Plugin
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &pushed))
	require.Equal(t, 2, pushed.Version)
	require.Nil(t, pushed.TaskTypes)
	require.JSONEq(t, `{"name":"greeter","workers":["greet"],"limits":{"timeoutMs":2000}}`, string(pushed.Manifest))

	// Refusals say what is wrong.
	lone := filepath.Join(t.TempDir(), "lone.wasm")
	require.NoError(t, os.WriteFile(lone, wasmtest.Waiting("x"), 0o600))
	r = baton(t, "plugin", "push", lone, "--server", url)
	require.ErrorContains(t, r.err, "no manifest: "+filepath.Join(filepath.Dir(lone), "plugin.json")+" does not exist")
	bad := writeFile(t, "bad.json", `{"name":"greeter","taskTypes":["HTTP"]}`)
	r = baton(t, "plugin", "push", module, "--manifest", bad, "--server", url)
	require.ErrorContains(t, r.err, `manifest is not valid: taskTypes: "HTTP" is one of Conductor's own task types`)

	r = baton(t, "plugin", "ls", "--server", url)
	require.NoError(t, r.err, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	require.Regexp(t, `^NAME\s+VERSION\s+ENABLED\s+DIGEST\s+TASK TYPES\s+WORKERS$`, lines[0])
	require.Regexp(t, `^greeter\s+2\s+yes\s+sha256:[0-9a-f]{12}\s+-\s+greet$`, lines[1])

	r = baton(t, "plugin", "versions", "greeter", "--server", url)
	require.NoError(t, r.err, r.stderr)
	lines = strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `^greeter\s+1\s+-\s+sha256:\S+\s+\d+\s+\S+\s+GREET_ALL\s+greet$`, lines[1])
	require.Regexp(t, `^greeter\s+2\s+active\s+`, lines[2])

	r = baton(t, "plugin", "disable", "greeter", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "plugin greeter disabled (version 2 stays the active one)\n", r.stdout)
	r = baton(t, "plugin", "ls", "--server", url, "--output", "json")
	require.NoError(t, r.err, r.stderr)
	var list []client.Plugin
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &list))
	require.Len(t, list, 1)
	require.False(t, list[0].Enabled)

	r = baton(t, "plugin", "enable", "greeter", "--version", "1", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "plugin greeter enabled, version 1 active\n", r.stdout)
	r = baton(t, "plugin", "get", "greeter", "--server", url)
	require.NoError(t, r.err, r.stderr)
	var got client.Plugin
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.Equal(t, 1, got.Version)
	require.True(t, got.Active)
	require.Equal(t, []string{"GREET_ALL"}, got.TaskTypes)

	// A running workflow whose task the plugin serves keeps it.
	require.NoError(t, baton(t, "def", "put", "--server", url, writeFile(t, "defs.json", defsJSON)).err)
	r = baton(t, "start", "hello", "--server", url)
	require.NoError(t, r.err, r.stderr)
	id := strings.TrimSpace(r.stdout)
	r = baton(t, "plugin", "rm", "greeter", "--server", url)
	require.ErrorContains(t, r.err, "plugin greeter is used by 1 running workflow(s): "+id)

	r = baton(t, "plugin", "rm", "greeter", "--version", "2", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "plugin greeter version 2 deleted\n", r.stdout)
	require.NoError(t, baton(t, "terminate", id, "--server", url).err)
	r = baton(t, "plugin", "rm", "greeter", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, "plugin greeter deleted\n", r.stdout)

	r = baton(t, "plugin", "ls", "--server", url)
	require.NoError(t, r.err, r.stderr)
	require.Equal(t, 1, strings.Count(r.stdout, "\n"), "only the header is left")
	r = baton(t, "plugin", "get", "greeter", "--server", url)
	require.ErrorContains(t, r.err, "plugin greeter not found")
}

func TestPluginUsage(t *testing.T) {
	t.Parallel()
	r := baton(t, "plugin")
	require.EqualError(t, r.err, "plugin: no subcommand given")
	for _, sub := range []string{"push FILE.wasm", "ls", "versions NAME", "enable NAME", "disable NAME", "rm NAME"} {
		require.Contains(t, r.stderr, sub)
	}
	r = baton(t, "plugin", "push", "--help")
	require.ErrorIs(t, r.err, flag.ErrHelp)
	require.Contains(t, r.stderr, "-manifest")
	r = baton(t, "plugin", "push")
	require.ErrorContains(t, r.err, "plugin push: give exactly one .wasm file")
	r = baton(t, "plugin", "rm", "a", "b")
	require.ErrorContains(t, r.err, "plugin rm: give exactly one plugin name")
	r = baton(t, "plugin", "push", filepath.Join(t.TempDir(), "missing.wasm"))
	require.ErrorContains(t, r.err, "missing.wasm: no such file")
}
