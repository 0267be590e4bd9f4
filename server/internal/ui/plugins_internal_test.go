package ui

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/wasm"
)

func TestKVUsage(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1.0 KiB", 1536: "1.5 KiB",
		5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB", 5 << 40: "5120.0 GiB"} {
		require.Equal(t, want, byteSize(n))
	}
	m := &wasm.Manifest{Limits: wasm.Limits{KVBytes: 64 << 20}}
	require.Equal(t, "16.0 MiB of 64.0 MiB (25.0 %)", kvUsage(&engine.PluginInfo{KVBytes: 16 << 20, Manifest: m}))
	require.Equal(t, "12 bytes", kvUsage(&engine.PluginInfo{KVBytes: 12}), "a manifest that no longer parses")
}
