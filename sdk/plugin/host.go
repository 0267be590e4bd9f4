package plugin

import (
	"encoding/json"
	"fmt"
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
func Log(format string, args ...any) { hostLog(levelInfo, fmt.Sprintf(format, args...)) }

// Debug logs at level DEBUG.
func Debug(format string, args ...any) { hostLog(levelDebug, fmt.Sprintf(format, args...)) }

// Warn logs at level WARN.
func Warn(format string, args ...any) { hostLog(levelWarn, fmt.Sprintf(format, args...)) }

// Error logs at level ERROR.
func Error(format string, args ...any) { hostLog(levelError, fmt.Sprintf(format, args...)) }

// Config returns the manifest's config[key].
func Config(key string) (string, bool) {
	n := hostConfigGet(key)
	if n < 0 {
		return "", false
	}
	return string(staged(n)), true
}

// Secret returns the secret key: it must be listed in the manifest's
// secrets (else an error), and is absent (false) when the server has no
// BATON_SECRET_<KEY> set.
func Secret(key string) (string, bool, error) {
	switch n := hostSecretGet(key); n {
	case retAbsent:
		return "", false, nil
	case retFailed:
		return "", false, hostError()
	default:
		return string(staged(n)), true, nil
	}
}

// KVGet returns the plugin's value for key, false if there is none.
func KVGet(key string) ([]byte, bool, error) {
	switch n := hostKVGet(key); n {
	case retAbsent:
		return nil, false, nil
	case retFailed:
		return nil, false, hostError()
	default:
		return staged(n), true, nil
	}
}

// KVPut sets the plugin's value for key (1 to 512 bytes; the value at most
// 1 MiB).
func KVPut(key string, v []byte) error {
	if hostKVPut(key, ptr(v), int32(len(v))) < 0 {
		return hostError()
	}
	return nil
}

// KVDelete removes key.
func KVDelete(key string) error {
	if hostKVDelete(key) < 0 {
		return hostError()
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
	if hostProgress(ptr(b), int32(len(b))) < 0 {
		return hostError()
	}
	return nil
}
