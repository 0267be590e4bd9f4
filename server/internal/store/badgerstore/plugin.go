package badgerstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/server/internal/store"
)

// Plugins are written like definitions (defs.go), in their own Badger
// transactions, not through the committer: they share no key with it.
//
// A module can be 32 MiB, more than one Badger value may hold in memory
// (1 MiB) and more than one transaction may hold there (15 % of the
// memtable). It is therefore kept in chunks (moduleChunk), written
// before the version record in transactions of a few chunks each; the
// module exists for readers only once its header (pm/) is written, in the
// transaction of the version record. Chunks without a header, left by a
// crash between the two, are removed at Open. On disk a chunk of exactly
// the value threshold goes to the value log and costs a transaction only
// its pointer.
//
// Every write of plugin records holds pluginMu, so that chunks being
// written are never deleted by a concurrent removal of the same digest.
// Key-value writes hold pluginKVMu for reading, and a deletion for writing,
// so that they never add a key to a plugin being deleted (an upload does
// not hold them up).
//
// A plugin's key-value data is bounded by its total (pt/), which every
// key-value write reads and rewrites in its own transaction: Badger's
// conflict detection then keeps concurrent writes from overshooting the
// bound. Concurrent writes of one plugin would conflict on the total, and
// fail once update's retries run out, so each also holds its plugin's
// stripe of pluginKVLocks: they wait for one another instead.

const (
	prefixPluginVersion = "pv/" // pv/<name> NUL <version>: store.PluginVersion
	prefixPluginState   = "pn/" // pn/<name>: store.PluginState
	prefixModule        = "pm/" // pm/<digest>: moduleHeader
	prefixModuleChunk   = "pc/" // pc/<digest> NUL <n>: the n-th chunk of the module
	prefixModuleRef     = "pr/" // pr/<digest> NUL <name> NUL <version>: empty; a version uses the module
	prefixPluginKV      = "pk/" // pk/<name> NUL <key>: the plugin's value for key
	prefixPluginKVBytes = "pt/" // pt/<name>: the bytes of the plugin's keys and values
)

// moduleChunk is the size of a module chunk.
func (s *Store) moduleChunk() int {
	if s.maxValueSize > 0 {
		return s.maxValueSize
	}
	return 1 << 20
}

// chunksPerTxn bounds the chunks written in one transaction, well under
// Badger's transaction size in memory (about 9.6 MiB).
const chunksPerTxn = 4

// moduleHeader says that a module is complete: its size and number of
// chunks.
type moduleHeader struct {
	Size   int64 `json:"size"`
	Chunks int   `json:"chunks"`
}

func pluginVersionKey(name string, version int) []byte {
	return scopedKey(prefixPluginVersion, name, uint64(version))
}
func pluginStateKey(name string) []byte { return key(prefixPluginState, name) }
func moduleKey(digest string) []byte    { return key(prefixModule, digest) }
func moduleChunkKey(digest string, n int) []byte {
	return scopedKey(prefixModuleChunk, digest, uint64(n))
}

func moduleRefKey(digest, name string, version int) []byte {
	k := append(scope(prefixModuleRef, digest), name...)
	return binary.BigEndian.AppendUint64(append(k, sep), uint64(version))
}

func pluginKVKey(plugin, k string) []byte   { return append(scope(prefixPluginKV, plugin), k...) }
func pluginKVBytesKey(plugin string) []byte { return key(prefixPluginKVBytes, plugin) }

var _ store.PluginStore = (*Store)(nil)

// PluginPut implements store.PluginStore.
func (s *Store) PluginPut(ctx context.Context, v *store.PluginVersion, module []byte, st *store.PluginState) error {
	if v == nil || st == nil {
		return errors.New("put plugin: no version or state")
	}
	if err := checkName("plugin name", v.Name); err != nil {
		return fmt.Errorf("put plugin: %w", err)
	}
	switch {
	case v.Version < 1:
		return fmt.Errorf("put plugin %s: version is %d, must be at least 1", v.Name, v.Version)
	case st.Name != v.Name || st.Active != v.Version:
		return fmt.Errorf("put plugin %s version %d: the state must be of the plugin with the new version active (got %s version %d)",
			v.Name, v.Version, st.Name, st.Active)
	case int64(len(module)) != v.Size:
		return fmt.Errorf("put plugin %s version %d: the module is %d bytes, the version says %d", v.Name, v.Version, len(module), v.Size)
	}
	sum := sha256.Sum256(module)
	if d := "sha256:" + hex.EncodeToString(sum[:]); v.Digest != d {
		return fmt.Errorf("put plugin %s version %d: the module's digest is %s, the version says %s", v.Name, v.Version, d, v.Digest)
	}
	vdata, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("put plugin %s version %d: %w", v.Name, v.Version, err)
	}
	sdata, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("put plugin %s version %d: %w", v.Name, v.Version, err)
	}
	if err := checkSize("plugin version "+v.Name, vdata, s.maxValueSize); err != nil {
		return err
	}

	s.pluginMu.Lock()
	defer s.pluginMu.Unlock()
	fail := func(err error) error { return fmt.Errorf("put plugin %s version %d: %w", v.Name, v.Version, err) }
	// Check the guard first, so that a conflict writes no chunk.
	var stored bool
	err = s.view(ctx, func(txn *badger.Txn) error {
		if err := checkNextVersion(txn, v.Name, v.Version); err != nil {
			return err
		}
		_, err := txn.Get(moduleKey(v.Digest))
		stored = err == nil
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fail(err)
	}
	size := s.moduleChunk()
	chunks := max(1, (len(module)+size-1)/size)
	if !stored {
		if err := s.writeChunks(ctx, v.Digest, module); err != nil {
			return fail(errors.Join(err, s.deleteChunks(context.WithoutCancel(ctx), v.Digest)))
		}
	}
	hdata, err := json.Marshal(moduleHeader{Size: v.Size, Chunks: chunks})
	if err != nil {
		return fail(err)
	}
	err = s.update(ctx, func(txn *badger.Txn) error {
		if err := checkNextVersion(txn, v.Name, v.Version); err != nil {
			return err
		}
		for _, e := range []struct{ k, v []byte }{
			{moduleKey(v.Digest), hdata},
			{moduleRefKey(v.Digest, v.Name, v.Version), nil},
			{pluginVersionKey(v.Name, v.Version), vdata},
			{pluginStateKey(v.Name), sdata},
		} {
			if err := txn.Set(e.k, e.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if !stored {
			err = errors.Join(err, s.deleteChunks(context.WithoutCancel(ctx), v.Digest))
		}
		return fail(err)
	}
	return nil
}

// checkNextVersion returns ErrConflict unless version is the plugin's
// latest plus one.
func checkNextVersion(txn *badger.Txn, name string, version int) error {
	latest, err := latestPluginVersion(txn, name)
	if err != nil {
		return err
	}
	if version != latest+1 {
		return fmt.Errorf("the latest version is %d, so the next is %d, not %d: %w", latest, latest+1, version, store.ErrConflict)
	}
	return nil
}

// latestPluginVersion returns the highest version of a plugin, 0 if none.
func latestPluginVersion(txn *badger.Txn, name string) (int, error) {
	prefix := scope(prefixPluginVersion, name)
	opts := badger.IteratorOptions{Reverse: true, Prefix: prefix}
	it := txn.NewIterator(opts)
	defer it.Close()
	it.Seek(append(prefix, 0xff))
	if !it.ValidForPrefix(prefix) {
		return 0, nil
	}
	k := it.Item().Key()
	if len(k) != len(prefix)+8 {
		return 0, fmt.Errorf("bad plugin version key %q", k)
	}
	return int(binary.BigEndian.Uint64(k[len(prefix):])), nil
}

// writeChunks writes the chunks of a module, a few per transaction.
func (s *Store) writeChunks(ctx context.Context, digest string, module []byte) error {
	size := s.moduleChunk()
	for n := 0; n*size < len(module) || n == 0; n += chunksPerTxn {
		err := s.update(ctx, func(txn *badger.Txn) error {
			for i := n; i < n+chunksPerTxn && (i*size < len(module) || i == 0); i++ {
				chunk := module[i*size : min(len(module), (i+1)*size)]
				if err := txn.Set(moduleChunkKey(digest, i), chunk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("write the module: %w", err)
		}
	}
	return nil
}

// deleteChunks deletes every chunk of a module, in as many transactions as
// it takes.
func (s *Store) deleteChunks(ctx context.Context, digest string) error {
	return s.deletePrefix(ctx, scope(prefixModuleChunk, digest))
}

// deletePrefix deletes every key under prefix, a bounded number per
// transaction.
func (s *Store) deletePrefix(ctx context.Context, prefix []byte) error {
	const perTxn = 1000
	for {
		var keys [][]byte
		err := s.view(ctx, func(txn *badger.Txn) error {
			keys = scanKeys(txn, prefix, perTxn)
			return nil
		})
		if err != nil || len(keys) == 0 {
			return err
		}
		err = s.update(ctx, func(txn *badger.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// scanKeys returns up to limit keys under prefix (all if limit <= 0).
func scanKeys(txn *badger.Txn, prefix []byte, limit int) [][]byte {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var keys [][]byte
	for it.Seek(prefix); it.ValidForPrefix(prefix) && (limit <= 0 || len(keys) < limit); it.Next() {
		keys = append(keys, it.Item().KeyCopy(nil))
	}
	return keys
}

// cleanModuleChunks removes the chunks of modules that have no header: a
// crash stopped their PluginPut before its version was written. Run by
// Open.
func (s *Store) cleanModuleChunks(ctx context.Context) error {
	var orphans []string
	err := s.view(ctx, func(txn *badger.Txn) error {
		prefix := []byte(prefixModuleChunk)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		last := ""
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			k := it.Item().Key()[len(prefix):]
			if len(k) < 9 {
				return fmt.Errorf("bad module chunk key %q", it.Item().Key())
			}
			digest := string(k[:len(k)-9])
			if digest == last {
				continue
			}
			last = digest
			if _, err := txn.Get(moduleKey(digest)); errors.Is(err, badger.ErrKeyNotFound) {
				orphans = append(orphans, digest)
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	for _, d := range orphans {
		if err != nil {
			break
		}
		s.logger.Warn("removing the chunks of a module whose upload did not finish", "digest", d)
		err = s.deleteChunks(ctx, d)
	}
	if err != nil {
		return fmt.Errorf("clean module chunks: %w", err)
	}
	return nil
}

// PluginVersions implements store.PluginStore.
func (s *Store) PluginVersions(ctx context.Context, name string) ([]*store.PluginVersion, error) {
	if err := checkName("plugin name", name); err != nil {
		return nil, fmt.Errorf("list versions of plugin %q: %w", name, store.ErrNotFound)
	}
	list, err := listRecords[store.PluginVersion](ctx, s, string(scope(prefixPluginVersion, name)))
	if err == nil && len(list) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("list versions of plugin %s: %w", name, err)
	}
	return list, nil
}

// PluginModule implements store.PluginStore.
func (s *Store) PluginModule(ctx context.Context, digest string) ([]byte, error) {
	if checkName("digest", digest) != nil {
		return nil, fmt.Errorf("get module %q: %w", digest, store.ErrNotFound)
	}
	var module []byte
	err := s.view(ctx, func(txn *badger.Txn) error {
		var h moduleHeader
		ok, err := getJSON(txn, moduleKey(digest), &h)
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrNotFound
		}
		module = make([]byte, 0, h.Size)
		for n := range h.Chunks {
			item, err := txn.Get(moduleChunkKey(digest, n))
			if err != nil {
				return fmt.Errorf("chunk %d: %w", n, err)
			}
			if err := item.Value(func(v []byte) error { module = append(module, v...); return nil }); err != nil {
				return err
			}
		}
		if int64(len(module)) != h.Size {
			return fmt.Errorf("the module is %d bytes, its header says %d", len(module), h.Size)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("get module %s: %w", digest, err)
	}
	return module, nil
}

// PluginStates implements store.PluginStore.
func (s *Store) PluginStates(ctx context.Context) ([]*store.PluginState, error) {
	list, err := listRecords[store.PluginState](ctx, s, prefixPluginState)
	if err != nil {
		return nil, fmt.Errorf("list plugin states: %w", err)
	}
	return list, nil
}

// PluginSetState implements store.PluginStore.
func (s *Store) PluginSetState(ctx context.Context, st *store.PluginState) error {
	if st == nil {
		return errors.New("set plugin state: no state")
	}
	if checkName("plugin name", st.Name) != nil || st.Active < 1 {
		return fmt.Errorf("set state of plugin %q version %d: %w", st.Name, st.Active, store.ErrNotFound)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("set state of plugin %s: %w", st.Name, err)
	}
	s.pluginMu.Lock()
	defer s.pluginMu.Unlock()
	err = s.update(ctx, func(txn *badger.Txn) error {
		for _, k := range [][]byte{pluginStateKey(st.Name), pluginVersionKey(st.Name, st.Active)} {
			if _, err := txn.Get(k); err != nil {
				if errors.Is(err, badger.ErrKeyNotFound) {
					return store.ErrNotFound
				}
				return err
			}
		}
		return txn.Set(pluginStateKey(st.Name), data)
	})
	if err != nil {
		return fmt.Errorf("set state of plugin %s version %d: %w", st.Name, st.Active, err)
	}
	return nil
}

// PluginDelete implements store.PluginStore.
func (s *Store) PluginDelete(ctx context.Context, name string, version int) error {
	fail := func(err error) error {
		return fmt.Errorf("delete plugin %s version %d: %w", name, version, err)
	}
	if checkName("plugin name", name) != nil || version < 0 {
		return fail(store.ErrNotFound)
	}
	s.pluginMu.Lock()
	defer s.pluginMu.Unlock()
	s.pluginKVMu.Lock()
	defer s.pluginKVMu.Unlock()

	var versions []*store.PluginVersion
	var st store.PluginState
	err := s.view(ctx, func(txn *badger.Txn) error {
		found, err := getJSON(txn, pluginStateKey(name), &st)
		if err != nil {
			return err
		}
		if !found {
			return store.ErrNotFound
		}
		return scan(ctx, txn, scope(prefixPluginVersion, name), func(_, value []byte) error {
			var v store.PluginVersion
			if err := json.Unmarshal(value, &v); err != nil {
				return err
			}
			versions = append(versions, &v)
			return nil
		})
	})
	if err != nil {
		return fail(err)
	}
	var gone, left []*store.PluginVersion
	for _, v := range versions {
		if version == 0 || v.Version == version {
			gone = append(gone, v)
		} else {
			left = append(left, v)
		}
	}
	if len(gone) == 0 {
		return fail(store.ErrNotFound)
	}
	all := len(left) == 0
	if all {
		// The key-value data may be large: delete it in transactions of
		// its own first (no key-value write can add to it meanwhile), so
		// that the last one stays small. Its total goes before it: should
		// the deletion stop half-way, the next write counts what is left.
		err := s.update(ctx, func(txn *badger.Txn) error { return txn.Delete(pluginKVBytesKey(name)) })
		if err == nil {
			err = s.deletePrefix(ctx, scope(prefixPluginKV, name))
		}
		if err != nil {
			return fail(err)
		}
	}
	var emptied []string // digests no version uses any more
	err = s.update(ctx, func(txn *badger.Txn) error {
		emptied = emptied[:0]
		for _, v := range gone {
			for _, k := range [][]byte{pluginVersionKey(name, v.Version), moduleRefKey(v.Digest, name, v.Version)} {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
		}
		seen := map[string]bool{}
		for _, v := range gone {
			if seen[v.Digest] {
				continue
			}
			seen[v.Digest] = true
			// Reads see the transaction's own deletes.
			if len(scanKeys(txn, scope(prefixModuleRef, v.Digest), 1)) == 0 {
				emptied = append(emptied, v.Digest)
				if err := txn.Delete(moduleKey(v.Digest)); err != nil {
					return err
				}
			}
		}
		if all {
			return txn.Delete(pluginStateKey(name))
		}
		if st.Active == version {
			st.Active = left[len(left)-1].Version
			data, err := json.Marshal(&st)
			if err != nil {
				return err
			}
			return txn.Set(pluginStateKey(name), data)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	// Without its header the module is gone for readers; its chunks go
	// after (or at the next Open, after a crash).
	for _, d := range emptied {
		if err := s.deleteChunks(context.WithoutCancel(ctx), d); err != nil {
			s.logger.Warn("could not delete the chunks of a deleted module; Open will", "digest", d, "err", err)
		}
	}
	return nil
}

// PluginKVGet implements store.PluginStore.
func (s *Store) PluginKVGet(ctx context.Context, plugin, k string) ([]byte, error) {
	if checkName("plugin name", plugin) != nil || k == "" {
		return nil, fmt.Errorf("get %q of plugin %q: %w", k, plugin, store.ErrNotFound)
	}
	var value []byte
	err := s.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get(pluginKVKey(plugin, k))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		value, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %q of plugin %s: %w", k, plugin, err)
	}
	return value, nil
}

// PluginKVPut implements store.PluginStore.
func (s *Store) PluginKVPut(ctx context.Context, plugin, k string, value []byte, maxBytes int64) error {
	if err := checkKV(plugin, k); err != nil {
		return fmt.Errorf("put %q of plugin %q: %w", k, plugin, err)
	}
	if err := checkSize(fmt.Sprintf("value of %q of plugin %s", k, plugin), value, s.maxValueSize); err != nil {
		return err
	}
	return s.kvUpdate(ctx, plugin, k, func(txn *badger.Txn, total int64) (int64, error) {
		old, err := kvEntryBytes(txn, plugin, k)
		if err != nil {
			return 0, err
		}
		next := total - old + int64(len(k)+len(value))
		if store.KVQuotaExceeded(total, next, maxBytes) {
			return 0, &store.KVQuotaError{Bytes: next, Max: maxBytes}
		}
		return next, txn.Set(pluginKVKey(plugin, k), value)
	})
}

// PluginKVBytes implements store.PluginStore.
func (s *Store) PluginKVBytes(ctx context.Context, plugin string) (int64, error) {
	if checkName("plugin name", plugin) != nil {
		return 0, nil
	}
	var total int64
	err := s.view(ctx, func(txn *badger.Txn) error {
		var err error
		total, err = kvTotal(txn, plugin)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("key-value bytes of plugin %s: %w", plugin, err)
	}
	return total, nil
}

// PluginKVDelete implements store.PluginStore.
func (s *Store) PluginKVDelete(ctx context.Context, plugin, k string) error {
	if err := checkKV(plugin, k); err != nil {
		return fmt.Errorf("delete %q of plugin %q: %w", k, plugin, err)
	}
	return s.kvUpdate(ctx, plugin, k, func(txn *badger.Txn, total int64) (int64, error) {
		old, err := kvEntryBytes(txn, plugin, k)
		if err != nil || old == 0 {
			return total, err
		}
		return total - old, txn.Delete(pluginKVKey(plugin, k))
	})
}

func checkKV(plugin, k string) error {
	if err := checkName("plugin name", plugin); err != nil {
		return err
	}
	if k == "" {
		return errors.New("the key is empty")
	}
	return nil
}

// kvUpdate runs a write of a plugin's key-value data: ErrNotFound when the
// plugin does not exist (it was deleted, with its data). fn gets the
// plugin's total, the bytes of its keys and values, and returns it as its
// write leaves it; the total is written in the same transaction.
func (s *Store) kvUpdate(ctx context.Context, plugin, k string, fn func(txn *badger.Txn, total int64) (int64, error)) error {
	s.pluginKVMu.RLock()
	defer s.pluginKVMu.RUnlock()
	mu := &s.pluginKVLocks[maphash.String(kvLockSeed, plugin)%uint64(len(s.pluginKVLocks))]
	mu.Lock()
	defer mu.Unlock()
	err := s.update(ctx, func(txn *badger.Txn) error {
		if _, err := txn.Get(pluginStateKey(plugin)); errors.Is(err, badger.ErrKeyNotFound) {
			return fmt.Errorf("no such plugin: %w", store.ErrNotFound)
		} else if err != nil {
			return err
		}
		total, err := kvTotal(txn, plugin)
		if err != nil {
			return err
		}
		next, err := fn(txn, total)
		if err != nil {
			return err
		}
		return txn.Set(pluginKVBytesKey(plugin), binary.BigEndian.AppendUint64(nil, uint64(next)))
	})
	if err != nil {
		return fmt.Errorf("write %q of plugin %s: %w", k, plugin, err)
	}
	return nil
}

// kvLockSeed hashes plugin names onto pluginKVLocks.
var kvLockSeed = maphash.MakeSeed()

// kvTotal returns the bytes of a plugin's keys and values: its pt/ record,
// or, when there is none, their sum.
func kvTotal(txn *badger.Txn, plugin string) (int64, error) {
	item, err := txn.Get(pluginKVBytesKey(plugin))
	if err == nil {
		var total int64
		err = item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("bad key-value total of plugin %s: %d bytes", plugin, len(v))
			}
			total = int64(binary.BigEndian.Uint64(v))
			return nil
		})
		return total, err
	}
	if !errors.Is(err, badger.ErrKeyNotFound) {
		return 0, err
	}
	prefix := scope(prefixPluginKV, plugin)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var total int64
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		n, err := valueBytes(it.Item())
		if err != nil {
			return 0, err
		}
		total += int64(len(it.Item().Key())-len(prefix)) + n
	}
	return total, nil
}

// kvEntryBytes returns the bytes of a plugin's key and its value, 0 when
// the key has none.
func kvEntryBytes(txn *badger.Txn, plugin, k string) (int64, error) {
	item, err := txn.Get(pluginKVKey(plugin, k))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := valueBytes(item)
	return int64(len(k)) + n, err
}

// valueBytes returns the length of an item's value. Badger's ValueSize is
// an estimate for a value in the value log, so the value is read.
func valueBytes(item *badger.Item) (int64, error) {
	var n int64
	err := item.Value(func(v []byte) error { n = int64(len(v)); return nil })
	return n, err
}
