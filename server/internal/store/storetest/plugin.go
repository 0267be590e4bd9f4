package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/store"
)

// kvRoom is a bound of a plugin's key-value data that the tests not about
// the bound never reach.
const kvRoom = 1 << 30

// testPlugins covers the PluginStore methods: versions guarded by number,
// modules kept once per digest and removed with the last version that uses
// them, the state of each plugin, and key-value data scoped to a plugin,
// bounded, and deleted with it.
func testPlugins(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// module returns a module of n bytes whose content depends on seed.
	module := func(seed string, n int) []byte {
		return bytes.Repeat([]byte(seed), n/len(seed)+1)[:n]
	}
	version := func(name string, v int, mod []byte) *store.PluginVersion {
		sum := sha256.Sum256(mod)
		return &store.PluginVersion{
			Name: name, Version: v, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(mod)),
			Manifest:    []byte(fmt.Sprintf(`{"name":%q,"taskTypes":["T_%d"]}`, name, v)),
			CreatedTime: baseTime.UnixMilli() + int64(v),
		}
	}
	state := func(name string, active int, enabled bool) *store.PluginState {
		return &store.PluginState{Name: name, Active: active, Enabled: enabled, UpdatedTime: baseTime.UnixMilli()}
	}
	put := func(t *testing.T, b *testBundle, name string, v int, mod []byte) *store.PluginVersion {
		t.Helper()
		pv := version(name, v, mod)
		require.NoError(t, b.store.PluginPut(b.ctx, pv, mod, state(name, v, true)))
		return pv
	}
	versionNumbers := func(t *testing.T, b *testBundle, name string) []int {
		t.Helper()
		list, err := b.store.PluginVersions(b.ctx, name)
		if err != nil {
			require.ErrorIs(t, err, store.ErrNotFound)
			return nil
		}
		var out []int
		for _, v := range list {
			out = append(out, v.Version)
		}
		return out
	}
	states := func(t *testing.T, b *testBundle) []store.PluginState {
		t.Helper()
		list, err := b.store.PluginStates(b.ctx)
		require.NoError(t, err)
		out := []store.PluginState{}
		for _, st := range list {
			out = append(out, *st)
		}
		return out
	}
	requireModule := func(t *testing.T, b *testBundle, digest string, want []byte) {
		t.Helper()
		got, err := b.store.PluginModule(b.ctx, digest)
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, got), "module %s: %d bytes back, want %d", digest, len(got), len(want))
	}
	requireNoModule := func(t *testing.T, b *testBundle, digest string) {
		t.Helper()
		_, err := b.store.PluginModule(b.ctx, digest)
		require.ErrorIs(t, err, store.ErrNotFound)
	}

	t.Run("PutAndRead", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		mod := module("\x00asm\x01\x00\x00\x00", 1000)
		v1 := put(t, b, "hash", 1, mod)
		got, err := b.store.PluginVersions(b.ctx, "hash")
		require.NoError(t, err)
		require.Equal(t, []*store.PluginVersion{v1}, got)
		requireModule(t, b, v1.Digest, mod)
		require.Equal(t, []store.PluginState{*state("hash", 1, true)}, states(t, b))

		v2 := put(t, b, "hash", 2, module("other", 10))
		got, err = b.store.PluginVersions(b.ctx, "hash")
		require.NoError(t, err)
		require.Equal(t, []*store.PluginVersion{v1, v2}, got, "oldest first")
		require.Equal(t, []store.PluginState{*state("hash", 2, true)}, states(t, b), "the put's state replaces the old")

		_, err = b.store.PluginVersions(b.ctx, "never")
		require.ErrorIs(t, err, store.ErrNotFound)
		requireNoModule(t, b, "sha256:0000")
	})

	t.Run("LargeModule", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// More than a Badger value and a transaction hold in memory.
		mod := module("0123456789abcdef-large", 10<<20+12345)
		v := put(t, b, "big", 1, mod)
		requireModule(t, b, v.Digest, mod)
		require.NoError(t, b.store.PluginDelete(b.ctx, "big", 0))
		requireNoModule(t, b, v.Digest)
	})

	t.Run("PutGuardedByVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		mod := module("m", 10)
		for _, n := range []int{0, 2} {
			err := b.store.PluginPut(b.ctx, version("p", n, mod), mod, state("p", n, true))
			if n == 2 {
				require.ErrorIs(t, err, store.ErrConflict, "version %d of a new plugin", n)
			} else {
				require.Error(t, err)
			}
		}
		require.Nil(t, versionNumbers(t, b, "p"), "a refused put writes nothing")
		require.Empty(t, states(t, b))
		requireNoModule(t, b, version("p", 1, mod).Digest)

		put(t, b, "p", 1, mod)
		other := module("n", 10)
		err := b.store.PluginPut(b.ctx, version("p", 1, other), other, state("p", 1, false))
		require.ErrorIs(t, err, store.ErrConflict, "version 1 again")
		requireNoModule(t, b, version("p", 1, other).Digest)
		require.Equal(t, []store.PluginState{*state("p", 1, true)}, states(t, b))

		// The module must be what the version says.
		err = b.store.PluginPut(b.ctx, version("p", 2, mod), other, state("p", 2, true))
		require.Error(t, err)
		// The state must make the new version active.
		err = b.store.PluginPut(b.ctx, version("p", 2, mod), mod, state("p", 1, true))
		require.Error(t, err)
		require.Equal(t, []int{1}, versionNumbers(t, b, "p"))
	})

	t.Run("ConcurrentPutsOneWins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				mod := module(fmt.Sprint("m", i), 100)
				errs[i] = b.store.PluginPut(b.ctx, version("p", 1, mod), mod, state("p", 1, true))
			})
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, won, "two puts of version 1 succeeded")
				won = i
			} else {
				require.ErrorIs(t, err, store.ErrConflict)
				requireNoModule(t, b, version("p", 1, module(fmt.Sprint("m", i), 100)).Digest)
			}
		}
		require.NotEqual(t, -1, won)
		requireModule(t, b, version("p", 1, module(fmt.Sprint("m", won), 100)).Digest, module(fmt.Sprint("m", won), 100))
	})

	t.Run("States", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, name := range []string{"b", "ab", "a"} {
			put(t, b, name, 1, module(name, 5))
		}
		put(t, b, "a", 2, module("a2", 5))
		require.Equal(t, []store.PluginState{*state("a", 2, true), *state("ab", 1, true), *state("b", 1, true)}, states(t, b))

		require.NoError(t, b.store.PluginSetState(b.ctx, state("a", 1, false)))
		require.Equal(t, *state("a", 1, false), states(t, b)[0])

		require.ErrorIs(t, b.store.PluginSetState(b.ctx, state("a", 3, true)), store.ErrNotFound, "no version 3")
		require.ErrorIs(t, b.store.PluginSetState(b.ctx, state("zz", 1, true)), store.ErrNotFound, "no plugin")
		require.Equal(t, *state("a", 1, false), states(t, b)[0])
		require.Len(t, states(t, b), 3)
	})

	t.Run("DeleteOneVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		v1 := put(t, b, "p", 1, module("one", 10))
		v2 := put(t, b, "p", 2, module("two", 10))
		v3 := put(t, b, "p", 3, module("three", 10))
		require.NoError(t, b.store.PluginKVPut(b.ctx, "p", "k", []byte("v"), kvRoom))

		// Not the active one: the state stays.
		require.NoError(t, b.store.PluginDelete(b.ctx, "p", 2))
		require.Equal(t, []int{1, 3}, versionNumbers(t, b, "p"))
		require.Equal(t, []store.PluginState{*state("p", 3, true)}, states(t, b))
		requireNoModule(t, b, v2.Digest)
		require.ErrorIs(t, b.store.PluginDelete(b.ctx, "p", 2), store.ErrNotFound)

		// The active one: the newest left becomes active.
		require.NoError(t, b.store.PluginDelete(b.ctx, "p", 3))
		require.Equal(t, []int{1}, versionNumbers(t, b, "p"))
		require.Equal(t, []store.PluginState{*state("p", 1, true)}, states(t, b))
		requireNoModule(t, b, v3.Digest)
		requireModule(t, b, v1.Digest, module("one", 10))
		got, err := b.store.PluginKVGet(b.ctx, "p", "k")
		require.NoError(t, err)
		require.Equal(t, []byte("v"), got, "deleting a version keeps the plugin's data")

		// The next version counts from the latest left.
		put(t, b, "p", 2, module("two again", 10))
		require.Equal(t, []int{1, 2}, versionNumbers(t, b, "p"))
	})

	t.Run("DeleteLastVersionDeletesThePlugin", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		v1 := put(t, b, "p", 1, module("one", 10))
		require.NoError(t, b.store.PluginKVPut(b.ctx, "p", "k", []byte("v"), kvRoom))
		require.NoError(t, b.store.PluginDelete(b.ctx, "p", 1))
		require.Nil(t, versionNumbers(t, b, "p"))
		require.Empty(t, states(t, b))
		requireNoModule(t, b, v1.Digest)
		_, err := b.store.PluginKVGet(b.ctx, "p", "k")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("DeleteAll", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		v1 := put(t, b, "p", 1, module("one", 10))
		v2 := put(t, b, "p", 2, module("two", 10))
		q1 := put(t, b, "q", 1, module("q", 10))
		for i := range 50 {
			require.NoError(t, b.store.PluginKVPut(b.ctx, "p", fmt.Sprint("k", i), []byte("v"), kvRoom))
		}
		require.NoError(t, b.store.PluginKVPut(b.ctx, "q", "k1", []byte("q's"), kvRoom))

		require.NoError(t, b.store.PluginDelete(b.ctx, "p", 0))
		require.Nil(t, versionNumbers(t, b, "p"))
		require.Equal(t, []store.PluginState{*state("q", 1, true)}, states(t, b))
		requireNoModule(t, b, v1.Digest)
		requireNoModule(t, b, v2.Digest)
		requireModule(t, b, q1.Digest, module("q", 10))
		for i := range 50 {
			_, err := b.store.PluginKVGet(b.ctx, "p", fmt.Sprint("k", i))
			require.ErrorIs(t, err, store.ErrNotFound)
		}
		got, err := b.store.PluginKVGet(b.ctx, "q", "k1")
		require.NoError(t, err)
		require.Equal(t, []byte("q's"), got)

		require.ErrorIs(t, b.store.PluginDelete(b.ctx, "p", 0), store.ErrNotFound)
		require.ErrorIs(t, b.store.PluginDelete(b.ctx, "never", 1), store.ErrNotFound)
		require.ErrorIs(t, b.store.PluginDelete(b.ctx, "q", 7), store.ErrNotFound)

		// Created again, the plugin starts from version 1 with no data.
		put(t, b, "p", 1, module("new", 10))
		_, err = b.store.PluginKVGet(b.ctx, "p", "k1")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ModuleKeptWhileUsed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		shared := module("shared", 3<<20) // several chunks
		a1 := put(t, b, "a", 1, shared)
		a2 := put(t, b, "a", 2, shared)
		b1 := put(t, b, "b", 1, shared)
		require.Equal(t, a1.Digest, b1.Digest)
		a3 := put(t, b, "a", 3, module("own", 10))

		require.NoError(t, b.store.PluginDelete(b.ctx, "a", 1))
		requireModule(t, b, a2.Digest, shared)
		require.NoError(t, b.store.PluginDelete(b.ctx, "a", 0))
		requireModule(t, b, b1.Digest, shared)
		requireNoModule(t, b, a3.Digest)
		require.NoError(t, b.store.PluginDelete(b.ctx, "b", 0))
		requireNoModule(t, b, b1.Digest)

		// Stored again after its removal.
		c1 := put(t, b, "c", 1, shared)
		requireModule(t, b, c1.Digest, shared)
	})

	t.Run("KeyValue", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, "a", 1, module("a", 5))
		put(t, b, "ab", 1, module("ab", 5))

		require.NoError(t, b.store.PluginKVPut(b.ctx, "a", "k", []byte("a's"), kvRoom))
		require.NoError(t, b.store.PluginKVPut(b.ctx, "ab", "k", []byte("ab's"), kvRoom))
		require.NoError(t, b.store.PluginKVPut(b.ctx, "a", "bk", []byte("a's bk"), kvRoom))
		for plugin, want := range map[string]string{"a": "a's", "ab": "ab's"} {
			got, err := b.store.PluginKVGet(b.ctx, plugin, "k")
			require.NoError(t, err)
			require.Equal(t, want, string(got))
		}
		// "a" + "bk" is not "ab" + "k".
		got, err := b.store.PluginKVGet(b.ctx, "a", "bk")
		require.NoError(t, err)
		require.Equal(t, "a's bk", string(got))

		require.NoError(t, b.store.PluginKVPut(b.ctx, "a", "k", []byte("new"), kvRoom))
		got, err = b.store.PluginKVGet(b.ctx, "a", "k")
		require.NoError(t, err)
		require.Equal(t, "new", string(got))

		require.NoError(t, b.store.PluginKVDelete(b.ctx, "a", "k"))
		_, err = b.store.PluginKVGet(b.ctx, "a", "k")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, b.store.PluginKVDelete(b.ctx, "a", "k"), "a missing key is no error")
		got, err = b.store.PluginKVGet(b.ctx, "ab", "k")
		require.NoError(t, err)
		require.Equal(t, "ab's", string(got))

		require.ErrorIs(t, b.store.PluginKVPut(b.ctx, "nope", "k", []byte("v"), kvRoom), store.ErrNotFound, "no such plugin")
		require.Error(t, b.store.PluginKVPut(b.ctx, "a", "", []byte("v"), kvRoom), "empty key")
		_, err = b.store.PluginKVGet(b.ctx, "nope", "k")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	// requireOverQuota asserts that a put was refused by the bound of the
	// plugin's data, which would have been bytes.
	requireOverQuota := func(t *testing.T, err error, bytes, maxBytes int64) {
		t.Helper()
		var qe *store.KVQuotaError
		require.ErrorAs(t, err, &qe)
		require.Equal(t, store.KVQuotaError{Bytes: bytes, Max: maxBytes}, *qe)
	}
	requireValue := func(t *testing.T, b *testBundle, plugin, k, want string) {
		t.Helper()
		got, err := b.store.PluginKVGet(b.ctx, plugin, k)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}

	t.Run("KeyValueQuota", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, "p", 1, module("p", 5))
		put(t, b, "q", 1, module("q", 5))
		const quota = 100
		kvPut := func(k string, n int) error {
			return b.store.PluginKVPut(b.ctx, "p", k, bytes.Repeat([]byte(k), n), quota)
		}
		kvBytes := func(plugin string) int64 {
			n, err := b.store.PluginKVBytes(b.ctx, plugin)
			require.NoError(t, err)
			return n
		}
		require.Zero(t, kvBytes("p"))
		// Keys and values count: 1+49 and 1+49 fill the bound exactly.
		require.NoError(t, kvPut("a", 49))
		require.NoError(t, kvPut("b", 49))
		requireOverQuota(t, kvPut("c", 0), 101, quota)
		require.Equal(t, int64(100), kvBytes("p"))
		_, err := b.store.PluginKVGet(b.ctx, "p", "c")
		require.ErrorIs(t, err, store.ErrNotFound, "a refused put writes nothing")
		require.NoError(t, b.store.PluginKVPut(b.ctx, "q", "c", []byte("q's"), quota), "another plugin's data is its own")

		// A replaced value counts by its difference; a refused one stays.
		requireOverQuota(t, kvPut("a", 50), 101, quota)
		requireValue(t, b, "p", "a", strings.Repeat("a", 49))
		require.NoError(t, kvPut("a", 39))
		require.NoError(t, kvPut("c", 9))
		requireOverQuota(t, kvPut("d", 0), 101, quota)
		require.Equal(t, int64(100), kvBytes("p"))
		require.Equal(t, int64(4), kvBytes("q"))

		// A deletion frees its key and value; a missing key frees nothing.
		require.NoError(t, b.store.PluginKVDelete(b.ctx, "p", "b"))
		require.NoError(t, b.store.PluginKVDelete(b.ctx, "p", "b"))
		require.Equal(t, int64(50), kvBytes("p"))
		require.NoError(t, kvPut("d", 49))
		requireOverQuota(t, kvPut("e", 0), 101, quota)

		// Under a lower bound (a new version's), writes that do not grow
		// the data are taken, and growing ones refused.
		require.NoError(t, b.store.PluginKVPut(b.ctx, "p", "a", []byte("small"), 10))
		requireOverQuota(t, b.store.PluginKVPut(b.ctx, "p", "a", []byte("smaller"), 10), 68, 10)
		requireValue(t, b, "p", "a", "small")

		// The total goes with the plugin, and survives a restart.
		require.NoError(t, b.store.PluginDelete(b.ctx, "p", 0))
		require.Zero(t, kvBytes("p"))
		put(t, b, "p", 1, module("p", 5))
		require.NoError(t, kvPut("z", 98), "a plugin created again starts from nothing")
		b.restart(t)
		require.NoError(t, kvPut("y", 0))
		requireOverQuota(t, kvPut("x", 0), 101, quota)
	})

	t.Run("KeyValueQuotaUnderConcurrentWrites", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, "p", 1, module("p", 5))
		// concurrently writes keys from 8 goroutines and returns those
		// whose write was taken, in order; the others must have been
		// refused by the bound.
		concurrently := func(keys []string, write func(k string) error) (taken []string) {
			const writers = 8
			var mu sync.Mutex
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := w; i < len(keys); i += writers {
						err := write(keys[i])
						if err != nil {
							var qe *store.KVQuotaError
							assert.ErrorAs(t, err, &qe)
							continue
						}
						mu.Lock()
						taken = append(taken, keys[i])
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			slices.Sort(taken)
			return taken
		}
		stored := func() (keys []string, bytes int) {
			for i := range 160 {
				k := fmt.Sprintf("k%03d", i)
				v, err := b.store.PluginKVGet(b.ctx, "p", k)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				require.NoError(t, err)
				keys = append(keys, k)
				bytes += len(k) + len(v)
			}
			return keys, bytes
		}
		var keys []string
		for i := range 160 {
			keys = append(keys, fmt.Sprintf("k%03d", i))
		}

		// 160 new entries of 10 bytes (a key of 4, a value of 6) race for
		// room for 37.
		taken := concurrently(keys, func(k string) error {
			return b.store.PluginKVPut(b.ctx, "p", k, []byte("......"), 370)
		})
		require.Len(t, taken, 37, "as many puts as fit were taken, no more")
		got, n := stored()
		require.Equal(t, taken, got, "the puts taken are the keys stored")
		require.Equal(t, 370, n)

		// The 37 values, each replaced by one a byte longer, race for 20
		// more bytes: replacements count by their difference.
		grown := concurrently(taken, func(k string) error {
			return b.store.PluginKVPut(b.ctx, "p", k, []byte("......."), 390)
		})
		require.Len(t, grown, 20)
		_, n = stored()
		require.Equal(t, 390, n)

		// Deleted at once, they free every byte.
		var wg sync.WaitGroup
		for _, k := range taken {
			wg.Go(func() { assert.NoError(t, b.store.PluginKVDelete(b.ctx, "p", k)) })
		}
		wg.Wait()
		require.NoError(t, b.store.PluginKVPut(b.ctx, "p", "k", make([]byte, 389), 390))
		requireOverQuota(t, b.store.PluginKVPut(b.ctx, "p", "l", nil, 390), 391, 390)
	})

	t.Run("KeyValueWritesRaceDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		put(t, b, "p", 1, module("p", 5))
		const writers, keys = 4, 50
		var wg sync.WaitGroup
		started := make(chan struct{}, writers)
		for w := range writers {
			wg.Go(func() {
				for i := range keys {
					if i == 1 {
						started <- struct{}{}
					}
					err := b.store.PluginKVPut(b.ctx, "p", fmt.Sprint(w, "-", i), []byte("v"), kvRoom)
					if err != nil {
						assert.ErrorIs(t, err, store.ErrNotFound, "a write after the deletion finds no plugin")
					}
				}
			})
		}
		for range writers {
			<-started
		}
		require.NoError(t, b.store.PluginDelete(b.ctx, "p", 0))
		wg.Wait()
		// Created again, the plugin has none of the old data: no write
		// slipped in behind the deletion.
		put(t, b, "p", 1, module("p", 5))
		for w := range writers {
			for i := range keys {
				_, err := b.store.PluginKVGet(b.ctx, "p", fmt.Sprint(w, "-", i))
				require.ErrorIs(t, err, store.ErrNotFound)
			}
		}
	})

	t.Run("SurviveRestart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		mod := module("persist", 2<<20+7)
		v1 := put(t, b, "p", 1, mod)
		require.NoError(t, b.store.PluginSetState(b.ctx, state("p", 1, false)))
		require.NoError(t, b.store.PluginKVPut(b.ctx, "p", "k", []byte("v"), kvRoom))
		b.restart(t)
		got, err := b.store.PluginVersions(b.ctx, "p")
		require.NoError(t, err)
		require.Equal(t, []*store.PluginVersion{v1}, got)
		requireModule(t, b, v1.Digest, mod)
		require.Equal(t, []store.PluginState{*state("p", 1, false)}, states(t, b))
		value, err := b.store.PluginKVGet(b.ctx, "p", "k")
		require.NoError(t, err)
		require.Equal(t, "v", string(value))
	})
}
