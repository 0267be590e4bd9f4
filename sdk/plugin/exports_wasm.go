//go:build wasm

package plugin

import "unsafe"

// The guest exports of ABI v1; the host functions are in internal/hostcall.

//go:wasmexport baton_abi_v1
func abiV1() {}

//go:wasmexport baton_alloc
func batonAlloc(size uint32) uint32 {
	p := alloc(size)
	if p == nil {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(p)))
}

//go:wasmexport baton_handle
func batonHandle(ptr, n uint32) uint64 {
	var out []byte
	var isErr bool
	if n > 0 && (n > uint32(cap(inBuf)) || ptr != uint32(uintptr(unsafe.Pointer(&inBuf[0])))) {
		out, isErr = setOut(append(out[:0], "baton_handle: the input is not where baton_alloc put it"...)), true
	} else {
		out, isErr = handle(inBuf[:n])
	}
	packed := uint64(uint32(len(out)))
	if len(out) > 0 {
		packed |= uint64(uint32(uintptr(unsafe.Pointer(&out[0])))) << 32
	}
	if isErr {
		packed |= 1 << 31
	}
	return packed
}
