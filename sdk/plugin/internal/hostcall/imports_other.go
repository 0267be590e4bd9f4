//go:build !wasm

package hostcall

import (
	"fmt"
	"os"
	"unsafe"
)

// Outside wasm there is no host: every host function fails with this
// message, so that a plugin's package builds and its pure logic can be
// tested natively.
const noHost = "sdk/plugin: host functions exist only inside a Baton host (build with GOOS=wasip1 GOARCH=wasm)"

func Log(level int32, msg string) { fmt.Fprintf(os.Stderr, "%d %s\n", level, msg) }

func ConfigGet(string) int32                    { return Failed }
func SecretGet(string) int32                    { return Failed }
func HTTPFetch(unsafe.Pointer, int32) int32     { return Failed }
func KVGet(string) int32                        { return Failed }
func KVPut(string, unsafe.Pointer, int32) int32 { return Failed }
func KVDelete(string) int32                     { return Failed }
func Progress(unsafe.Pointer, int32) int32      { return Failed }

func ResultRead(buf unsafe.Pointer, capacity int32) int32 {
	copy(unsafe.Slice((*byte)(buf), capacity), noHost)
	return int32(len(noHost))
}
