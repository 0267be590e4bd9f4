package plugin

import (
	"encoding/json"
	"fmt"

	"github.com/batonhq/baton/sdk/plugin/internal/hostcall"
)

// Log levels of the host's log function.
const (
	levelDebug = iota
	levelInfo
	levelWarn
	levelError
)

// Log appends a line (formatted as by fmt.Sprintf) to the task's execution
// log at level INFO. A task's log is capped at 64 KiB.
func Log(format string, args ...any) { hostcall.Log(levelInfo, fmt.Sprintf(format, args...)) }

// Debug logs at level DEBUG.
func Debug(format string, args ...any) { hostcall.Log(levelDebug, fmt.Sprintf(format, args...)) }

// Warn logs at level WARN.
func Warn(format string, args ...any) { hostcall.Log(levelWarn, fmt.Sprintf(format, args...)) }

// Error logs at level ERROR.
func Error(format string, args ...any) { hostcall.Log(levelError, fmt.Sprintf(format, args...)) }

// Config returns the manifest's config[key].
func Config(key string) (string, bool) {
	n := hostcall.ConfigGet(key)
	if n < 0 {
		return "", false
	}
	return string(hostcall.Staged(n)), true
}

// Secret returns the secret key: it must be listed in the manifest's
// secrets (else an error), and is absent (false) when the server has no
// BATON_SECRET_<KEY> set.
func Secret(key string) (string, bool, error) {
	switch n := hostcall.SecretGet(key); n {
	case hostcall.Absent:
		return "", false, nil
	case hostcall.Failed:
		return "", false, hostcall.Err()
	default:
		return string(hostcall.Staged(n)), true, nil
	}
}

// KVGet returns the plugin's value for key, false if there is none.
func KVGet(key string) ([]byte, bool, error) {
	switch n := hostcall.KVGet(key); n {
	case hostcall.Absent:
		return nil, false, nil
	case hostcall.Failed:
		return nil, false, hostcall.Err()
	default:
		return hostcall.Staged(n), true, nil
	}
}

// KVPut sets the plugin's value for key (1 to 512 bytes; the value at most
// 1 MiB). It fails, changing nothing, when the plugin's keys and values
// would be over its manifest's limits.kvBytes.
func KVPut(key string, v []byte) error {
	if hostcall.KVPut(key, hostcall.Ptr(v), int32(len(v))) < 0 {
		return hostcall.Err()
	}
	return nil
}

// KVDelete removes key.
func KVDelete(key string) error {
	if hostcall.KVDelete(key) < 0 {
		return hostcall.Err()
	}
	return nil
}

// Progress reports progress on a long task: v, encoded as a JSON object,
// is added to the task's log, and the task's lease is extended.
func Progress(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	if hostcall.Progress(hostcall.Ptr(b), int32(len(b))) < 0 {
		return hostcall.Err()
	}
	return nil
}
