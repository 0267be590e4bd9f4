//go:build !linux

package wasm

// mapMemory refuses: outside Linux, linear memory comes from the Go heap.
func mapMemory(uint64) ([]byte, bool) { return nil, false }

func dropMemory([]byte) {}

func unmapMemory([]byte) {}
