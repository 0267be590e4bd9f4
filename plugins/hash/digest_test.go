package main

import (
	"encoding/json"
	"testing"

	"github.com/batonhq/baton/plugins/internal/docpath"
	"github.com/stretchr/testify/require"
)

func noConfig(string) (string, bool) { return "", false }

func TestDigests(t *testing.T) {
	t.Parallel()
	doc, err := docpath.Decode([]byte(`{"user":{"email":"ada@example.com","id":12345678901234567890,"tags":["b","a"]},"o":{"z":1,"a":"<&>"}}`))
	require.NoError(t, err)
	tests := []struct {
		name string
		req  request
		key  []byte
		want map[string]any
	}{
		// Reference digests from coreutils and openssl: printf 'ada@example.com' | sha256sum;
		// ... | openssl dgst -sha256 -hmac key -binary | base64.
		{"sha256 hex", request{Fields: []string{"user.email"}}, nil, map[string]any{
			"user.email": "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72"}},
		{"md5", request{Fields: []string{"user.email"}, Algorithm: "MD5"}, nil, map[string]any{
			"user.email": "3e3417d7ef77d5932a6734b916515ed5"}},
		{"number as written, object as sorted JSON", request{Fields: []string{"user.id", "o", "user.tags"}, Algorithm: "sha1"}, nil, map[string]any{
			"user.id":   "7e0a1242bd8ef9044f27dca45f5f72ad5a1125bf",
			"o":         "0a46df539232f49060e252d3e437a791a359ec24",
			"user.tags": "ff10f5f467db0e2b31f908c8ce9c65cc377a1d0f",
		}},
		{"hmac base64", request{Fields: []string{"user.email"}, Encoding: "base64"}, []byte("key"), map[string]any{
			"user.email": "IMqpQUm4ZcLzojACyMoLAuPboRMjZEipbq4Hjn46bMA="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.NoError(t, tt.req.withDefaults(noConfig))
			out, err := digests(&tt.req, doc, tt.key)
			require.NoError(t, err)
			require.Equal(t, tt.want, out["digests"])
			require.Equal(t, tt.key != nil, out["hmac"])
		})
	}
}

func TestDigestErrors(t *testing.T) {
	t.Parallel()
	r := request{Fields: []string{"x"}, Algorithm: "crc32"}
	require.EqualError(t, r.withDefaults(noConfig), `algorithm "crc32": use sha256, sha512, sha1 or md5`)
	r = request{Fields: []string{"x"}, Encoding: "base32"}
	require.EqualError(t, r.withDefaults(noConfig), `encoding "base32": use hex, base64 or base64url`)
	r = request{}
	require.EqualError(t, r.withDefaults(noConfig), `input fields is missing: list the paths of the values to hash, such as ["user.email"]`)

	r = request{Fields: []string{"a.b"}}
	require.NoError(t, r.withDefaults(noConfig))
	_, err := digests(&r, map[string]any{"a": map[string]any{}}, nil)
	require.EqualError(t, err, `field "a.b" is not in the input`)
	r = request{Fields: []string{"a["}}
	require.NoError(t, r.withDefaults(noConfig))
	_, err = digests(&r, map[string]any{}, nil)
	require.EqualError(t, err, `fields: path "a[", at offset 1: '[' is not closed by ']'`)

	// The config fills what the input leaves out.
	r = request{Fields: []string{"a"}}
	require.NoError(t, r.withDefaults(func(k string) (string, bool) {
		return map[string]string{"algorithm": "sha512", "hmacSecret": "K"}[k], true
	}))
	require.Equal(t, "sha512", r.Algorithm)
	require.Equal(t, "K", r.HMACSecret)
	require.Equal(t, "hex", r.Encoding)

	// Data, when given, is where the paths are read.
	r = request{Fields: []string{"a"}, Data: json.RawMessage(`{"a":"x"}`)}
	require.NoError(t, r.withDefaults(noConfig))
	out, err := digests(&r, map[string]any{}, nil)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"a": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"}, out["digests"])
}
