//go:build !wasm

package plugin

import (
	"fmt"
	"os"
	"unsafe"
)

// Outside wasm there is no host: every host function fails with this
// message, so that a plugin's package builds and its pure logic can be
// tested natively.
const noHost = "sdk/plugin: host functions exist only inside a Baton host (build with GOOS=wasip1 GOARCH=wasm)"

func hostLog(level int32, msg string) { fmt.Fprintf(os.Stderr, "%d %s\n", level, msg) }

func hostConfigGet(string) int32                    { return retFailed }
func hostSecretGet(string) int32                    { return retFailed }
func hostHTTPFetch(unsafe.Pointer, int32) int32     { return retFailed }
func hostKVGet(string) int32                        { return retFailed }
func hostKVPut(string, unsafe.Pointer, int32) int32 { return retFailed }
func hostKVDelete(string) int32                     { return retFailed }
func hostProgress(unsafe.Pointer, int32) int32      { return retFailed }
func hostResultRead(buf unsafe.Pointer, capacity int32) int32 {
	copy(unsafe.Slice((*byte)(buf), capacity), noHost)
	return int32(len(noHost))
}
