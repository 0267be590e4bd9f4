package main

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"unsafe"
)

// Exports outside the ABI that BenchmarkGoGuest calls directly, to split a
// Go guest's time into the runtime's entry, JSON work and garbage
// collection. Each takes the input baton_alloc received, as baton_handle
// does, and returns ptr<<32 | len of its output.

var benchOut []byte

func packed(b []byte) uint64 {
	benchOut = b
	if len(b) == 0 {
		return 0
	}
	return uint64(uint32(uintptr(unsafe.Pointer(&b[0]))))<<32 | uint64(len(b))
}

func input(ptr, n uint32) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(ptr))), n) }

var fixed = []byte(`{"status":"COMPLETED","outputData":{"ok":true}}`)

// bench_fixed returns a constant output: the cost of entering the guest.
//
//go:wasmexport bench_fixed
func benchFixed(ptr, n uint32) uint64 { return packed(fixed) }

// bench_map decodes the input into a map[string]any and encodes it back.
//
//go:wasmexport bench_map
func benchMap(ptr, n uint32) uint64 {
	var v map[string]any
	if err := json.Unmarshal(input(ptr, n), &v); err != nil {
		panic(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return packed(b)
}

// bench_gc sets the guest's GOGC (a negative percent turns collection off)
// and returns the number of collections so far.
//
//go:wasmexport bench_gc
func benchGC(percent int32) uint32 {
	debug.SetGCPercent(int(percent))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.NumGC
}
