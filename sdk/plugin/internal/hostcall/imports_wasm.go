//go:build wasm

package hostcall

import "unsafe"

// The host functions of ABI v1 (module baton). Strings are passed as
// (ptr, len), as Go lowers them for wasmimport.

//go:wasmimport baton log
func Log(level int32, msg string)

//go:wasmimport baton config_get
func ConfigGet(key string) int32

//go:wasmimport baton secret_get
func SecretGet(key string) int32

//go:wasmimport baton http_fetch
func HTTPFetch(req unsafe.Pointer, n int32) int32

//go:wasmimport baton kv_get
func KVGet(key string) int32

//go:wasmimport baton kv_put
func KVPut(key string, v unsafe.Pointer, n int32) int32

//go:wasmimport baton kv_delete
func KVDelete(key string) int32

//go:wasmimport baton progress
func Progress(data unsafe.Pointer, n int32) int32

//go:wasmimport baton result_read
func ResultRead(buf unsafe.Pointer, capacity int32) int32
