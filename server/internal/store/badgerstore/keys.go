package badgerstore

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Key prefixes; doc.go shows the whole layout.
const (
	prefixTaskDef     = "td/"
	prefixWorkflowDef = "wd/"
	prefixHead        = "eh/"
	prefixWorkflow    = "wf/"
	prefixSnapshot    = "ws/"
	prefixInput       = "wi/"
	prefixTask        = "tk/"
	prefixTaskIndex   = "ti/"
	prefixActive      = "ac/"
	prefixWake        = "wk/"
	prefixHistory     = "hi/"
	prefixLog         = "lg/"
	prefixLogCount    = "lc/"
	prefixMessage     = "ms/"
	prefixHandler     = "ev/"
	prefixSchedule    = "sc/"
	prefixScheduleEnd = "sg/"
	prefixDeadLetter  = "dl/"
	prefixRemoving    = "rm/"

	// The search indexes (index.go).
	prefixSortAll     = "xa/"
	prefixSortName    = "xn/"
	prefixSortStatus  = "xs/"
	prefixCorrelation = "xc/"
	prefixIdempotency = "xk/"
	prefixPosting     = "xw/"
	prefixWords       = "xt/"

	// The task search indexes (taskindex.go).
	prefixTaskAll    = "ya/"
	prefixTaskType   = "yt/"
	prefixTaskName   = "yn/"
	prefixTaskStatus = "ys/"
	prefixTaskWord   = "yw/"
	prefixTaskEnd    = "ye/"
)

// sep ends a name inside a key, so that the keys of "a" sort before those of
// "ab" and a prefix scan of one name never sees another. Names and ids may
// not contain it.
const sep = 0

// checkName refuses what cannot be part of a key.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("%s is empty", what)
	}
	if strings.IndexByte(name, sep) >= 0 {
		return fmt.Errorf("%s %q contains a NUL byte", what, name)
	}
	return nil
}

func key(prefix, name string) []byte {
	k := make([]byte, 0, len(prefix)+len(name))
	return append(append(k, prefix...), name...)
}

// scope is the prefix of every key under one name: prefix, name, sep.
func scope(prefix, name string) []byte {
	k := make([]byte, 0, len(prefix)+len(name)+1+8+36)
	return append(append(append(k, prefix...), name...), sep)
}

// scopedKey is scope(prefix, name) followed by a big-endian n.
func scopedKey(prefix, name string, n uint64) []byte {
	return binary.BigEndian.AppendUint64(scope(prefix, name), n)
}

func taskDefKey(name string) []byte { return key(prefixTaskDef, name) }

func workflowDefKey(name string, version int) []byte {
	return scopedKey(prefixWorkflowDef, name, uint64(version))
}

func headKey(wfID string) []byte     { return key(prefixHead, wfID) }
func workflowKey(wfID string) []byte { return key(prefixWorkflow, wfID) }
func snapshotKey(wfID string) []byte { return key(prefixSnapshot, wfID) }
func inputKey(wfID string) []byte    { return key(prefixInput, wfID) }
func taskIndexKey(id string) []byte  { return key(prefixTaskIndex, id) }
func logCountKey(id string) []byte   { return key(prefixLogCount, id) }
func messageKey(id string) []byte    { return key(prefixMessage, id) }
func handlerKey(name string) []byte  { return key(prefixHandler, name) }
func scheduleKey(name string) []byte { return key(prefixSchedule, name) }

// scheduleEndKey holds the last version of a deleted schedule, from which
// a schedule created again under its name counts on.
func scheduleEndKey(name string) []byte { return key(prefixScheduleEnd, name) }
func removingKey(wfID string) []byte    { return key(prefixRemoving, wfID) }

// taskSuffix is what follows the prefix in a task key and in its
// active-index key: workflow id, sep, seq, task id. An execution's tasks
// therefore scan in Seq order.
func taskSuffix(wfID string, seq int, taskID string) []byte {
	k := binary.BigEndian.AppendUint64(scope("", wfID), orderedInt(int64(seq)))
	return append(k, taskID...)
}

func taskKey(wfID string, seq int, taskID string) []byte {
	return append([]byte(prefixTask), taskSuffix(wfID, seq, taskID)...)
}

func activeKey(wfID string, seq int, taskID string) []byte {
	return append([]byte(prefixActive), taskSuffix(wfID, seq, taskID)...)
}

// wakeKey orders executions by wake-up time: prefix, big-endian Unix
// nanoseconds, workflow id.
func wakeKey(at int64, wfID string) []byte {
	k := make([]byte, 0, len(prefixWake)+8+len(wfID))
	k = binary.BigEndian.AppendUint64(append(k, prefixWake...), orderedInt(at))
	return append(k, wfID...)
}

// parseWakeKey is the inverse of wakeKey.
func parseWakeKey(k []byte) (at time.Time, wfID string, ok bool) {
	k = k[len(prefixWake):]
	if len(k) < 8 {
		return time.Time{}, "", false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k)^signBit)), string(k[8:]), true
}

func historyKey(wfID string, n uint64) []byte { return scopedKey(prefixHistory, wfID, n) }
func logKey(taskID string, n uint64) []byte   { return scopedKey(prefixLog, taskID, n) }

const signBit = 1 << 63

// orderedInt maps a signed integer to an unsigned one with the same order,
// so that its big-endian bytes sort like the number.
func orderedInt(n int64) uint64 { return uint64(n) ^ signBit }

// orderedValue reads the 8 big-endian bytes of an orderedInt.
func orderedValue(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ signBit) }

// nanos is the Unix time of t in nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
