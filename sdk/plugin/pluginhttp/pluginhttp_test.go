package pluginhttp

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Inside wasm the client is tested through the host (wasm's sdkguest
// tests); natively its requests fail with the SDK's "no host" error.
func TestNoHostOutsideWasm(t *testing.T) {
	_, err := Client.Get("https://example.com/")
	require.ErrorContains(t, err, "host functions exist only inside a Baton host")
}
