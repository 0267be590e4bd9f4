package store

import (
	"context"
	"fmt"
)

// PluginStore keeps uploaded Wasm plugins: the modules, content-addressed
// by digest, the versions of each plugin, and each plugin's key-value
// data.
type PluginStore interface {
	// PluginPut stores a new version of a plugin: the module under its
	// digest (kept once however many versions share it) and the version
	// record, in one transaction. v.Version must be the plugin's latest
	// version plus one (1 for a new plugin), else ErrConflict; the state
	// record is replaced by st, whose Active must be v.Version.
	PluginPut(ctx context.Context, v *PluginVersion, module []byte, st *PluginState) error
	// PluginVersions returns the versions of a plugin, oldest first, or
	// ErrNotFound when it has none.
	PluginVersions(ctx context.Context, name string) ([]*PluginVersion, error)
	// PluginModule returns the module stored under a digest, or ErrNotFound.
	PluginModule(ctx context.Context, digest string) ([]byte, error)
	// PluginStates returns the state of every plugin, sorted by name.
	PluginStates(ctx context.Context) ([]*PluginState, error)
	// PluginSetState replaces a plugin's state (which version is active,
	// whether it is enabled), or returns ErrNotFound when the plugin or
	// the version st.Active does not exist.
	PluginSetState(ctx context.Context, st *PluginState) error
	// PluginDelete removes versions of a plugin: one (version > 0) or all
	// (version 0) with its state and key-value data. A module no remaining
	// version uses is removed too. ErrNotFound when there is nothing to
	// remove. Deleting the active version makes the newest remaining one
	// active; deleting the last remaining version deletes the plugin as
	// version 0 does. The next PluginPut counts from the latest version
	// left, so a deleted latest version's number is used again.
	PluginDelete(ctx context.Context, name string, version int) error

	// PluginKVGet returns a plugin's value for key, or ErrNotFound.
	PluginKVGet(ctx context.Context, plugin, key string) ([]byte, error)
	// PluginKVPut sets a plugin's value for key (not empty), or returns
	// ErrNotFound when the plugin does not exist: its data goes with it.
	// maxBytes bounds the plugin's data, the bytes of its keys and values
	// together: a put that would take them over it, or further over it,
	// changes nothing and returns a *KVQuotaError. The bound holds
	// exactly under concurrent puts: the total is kept in the transaction
	// of each write.
	PluginKVPut(ctx context.Context, plugin, key string, value []byte, maxBytes int64) error
	// PluginKVBytes returns the bytes of a plugin's key-value data, its
	// keys and values together: what its limits.kvBytes bounds. A plugin
	// with none, or not stored, has 0.
	PluginKVBytes(ctx context.Context, plugin string) (int64, error)
	// PluginKVDelete removes a plugin's value for key, freeing its bytes;
	// a missing key is no error, a missing plugin ErrNotFound.
	PluginKVDelete(ctx context.Context, plugin, key string) error
}

// KVQuotaExceeded reports whether a key-value write that takes a plugin's
// data from total to next bytes is refused under maxBytes: it takes the data
// over the bound, or further over it. A write that does not grow the data is
// taken even over the bound (one lowered by a new version, data from
// before). The server's store and baton worker's both apply it.
func KVQuotaExceeded(total, next, maxBytes int64) bool { return next > maxBytes && next > total }

// KVQuotaError is the error of a PluginKVPut refused because the plugin's
// key-value data would be over its bound.
type KVQuotaError struct {
	// Bytes is what the plugin's data would have been, keys and values.
	Bytes int64
	// Max is the bound the put was given.
	Max int64
}

func (e *KVQuotaError) Error() string {
	return fmt.Sprintf("the plugin's key-value data would be %d bytes; at most %d are allowed", e.Bytes, e.Max)
}

// PluginVersion is one uploaded version of a plugin.
type PluginVersion struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Digest is "sha256:" and the hex SHA-256 of the module.
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// Manifest is the manifest's JSON as uploaded (wasm.ParseManifest).
	Manifest    []byte `json:"manifest"`
	CreatedTime int64  `json:"createdTime"` // Unix milliseconds
}

// PluginState is what is in force for a plugin: its active version, and
// whether it runs at all.
type PluginState struct {
	Name    string `json:"name"`
	Active  int    `json:"active"`
	Enabled bool   `json:"enabled"`
	// UpdatedTime is when the state last changed, Unix milliseconds.
	UpdatedTime int64 `json:"updatedTime"`
}
