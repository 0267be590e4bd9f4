package badgerstore

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/store"
)

// TestModuleChunksWithoutHeaderRemovedAtOpen: the chunks of an upload that
// a crash stopped before its version was written are removed at Open, and
// those of stored modules are kept.
func TestModuleChunksWithoutHeaderRemovedAtOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)

	kept := make([]byte, 2*s.moduleChunk()+1)
	sum := sha256.Sum256(kept)
	v := &store.PluginVersion{Name: "p", Version: 1, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(kept))}
	require.NoError(t, s.PluginPut(t.Context(), v, kept, &store.PluginState{Name: "p", Active: 1, Enabled: true}))
	// As a crash after writeChunks leaves them.
	require.NoError(t, s.writeChunks(t.Context(), "sha256:orphan", make([]byte, 5*s.moduleChunk())))
	require.Equal(t, 5+3, countPrefix(t, s, prefixModuleChunk))
	require.NoError(t, s.Close())

	s = open(t, Options{Dir: dir})
	require.Equal(t, 3, countPrefix(t, s, prefixModuleChunk))
	got, err := s.PluginModule(t.Context(), v.Digest)
	require.NoError(t, err)
	require.Equal(t, kept, got)
}

func countPrefix(t *testing.T, s *Store, prefix string) int {
	t.Helper()
	n := 0
	require.NoError(t, s.view(t.Context(), func(txn *badger.Txn) error {
		n = len(scanKeys(txn, []byte(prefix), 0))
		return nil
	}))
	return n
}

// putPlugin stores a plugin of one version with an empty module, enabled.
func putPlugin(t *testing.T, s *Store, name string) {
	t.Helper()
	mod := []byte("\x00asm\x01\x00\x00\x00")
	sum := sha256.Sum256(mod)
	v := &store.PluginVersion{Name: name, Version: 1, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(mod))}
	require.NoError(t, s.PluginPut(t.Context(), v, mod, &store.PluginState{Name: name, Active: 1, Enabled: true}))
}

// TestValueOfThresholdSizeRefusedInMemory: in memory Badger accepts a value
// of exactly its threshold (1 MiB) and then panics writing it; the store
// refuses it first.
func TestValueOfThresholdSizeRefusedInMemory(t *testing.T) {
	t.Parallel()
	s := open(t, Options{InMemory: true})
	putPlugin(t, s, "p")
	require.ErrorContains(t, s.PluginKVPut(t.Context(), "p", "k", make([]byte, 1<<20), 1<<30), "at most 1048575 bytes")
	require.NoError(t, s.PluginKVPut(t.Context(), "p", "k", make([]byte, 1<<20-1), 1<<30))
	got, err := s.PluginKVGet(t.Context(), "p", "k")
	require.NoError(t, err)
	require.Len(t, got, 1<<20-1)
}

// TestKVTotalCountedWhenMissing: a plugin's key-value data with no total
// (written before the store kept one, or left by a deletion of the plugin
// that stopped half-way) is counted by the next write, which keeps the
// bound exactly.
func TestKVTotalCountedWhenMissing(t *testing.T) {
	t.Parallel()
	s := open(t, Options{Dir: t.TempDir()})
	putPlugin(t, s, "p")
	// 2+40 bytes, and 2+1 MiB: a value of Badger's threshold, which goes to
	// the value log (where its ValueSize is an estimate).
	const big = 1 << 20
	require.NoError(t, s.PluginKVPut(t.Context(), "p", "k1", make([]byte, 40), 1<<30))
	require.NoError(t, s.PluginKVPut(t.Context(), "p", "k2", make([]byte, big), 1<<30))
	require.NoError(t, s.update(t.Context(), func(txn *badger.Txn) error { return txn.Delete(pluginKVBytesKey("p")) }))

	overQuota := func(err error, bytes, maxBytes int64) {
		t.Helper()
		var qe *store.KVQuotaError
		require.ErrorAs(t, err, &qe)
		require.Equal(t, store.KVQuotaError{Bytes: bytes, Max: maxBytes}, *qe)
	}
	const total = 2 + 40 + 2 + big
	overQuota(s.PluginKVPut(t.Context(), "p", "k3", nil, total+1), total+2, total+1)
	require.NoError(t, s.PluginKVPut(t.Context(), "p", "k3", nil, total+2))
	// The value in the value log frees exactly its bytes.
	require.NoError(t, s.PluginKVDelete(t.Context(), "p", "k2"))
	require.NoError(t, s.PluginKVPut(t.Context(), "p", "k4", make([]byte, big), total+2))
	overQuota(s.PluginKVPut(t.Context(), "p", "k5", nil, total+2), total+4, total+2)
}
