// Package hostcall holds the host functions of the Baton plugin ABI v1
// (module baton) for sdk/plugin and its subpackages, so that each imports
// them once and pluginhttp need not be linked by plugins that do not fetch.
package hostcall

import (
	"errors"
	"unsafe"
)

// Return values of the host functions (ABI v1).
const (
	Absent = -1
	Failed = -2
)

// Staged copies the host's staged result of n bytes.
func Staged(n int32) []byte {
	if n <= 0 {
		return nil
	}
	b := make([]byte, n)
	ResultRead(unsafe.Pointer(&b[0]), n)
	return b
}

// Err is the staged reason of a failed host call.
func Err() error {
	n := ResultRead(nil, 0)
	return errors.New(string(Staged(n)))
}

// Ptr is the address of b's first byte, for the host.
func Ptr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }
