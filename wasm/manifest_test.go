package wasm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseManifestFillsDefaults(t *testing.T) {
	m, err := ParseManifest([]byte(`{"name":"hash","taskTypes":["HASH"],"workers":["hash_fields"],"allowedHosts":["api.example.com","*.example.org:8443","127.0.0.1:9000"]}`))
	require.NoError(t, err)
	require.Equal(t, Limits{MemoryMiB: DefaultMemoryMiB, TimeoutMs: DefaultTimeoutMs, MaxOutputBytes: DefaultMaxOutputBytes, Concurrency: DefaultConcurrency, Warm: DefaultWarm,
		KVBytes: DefaultKVBytes}, m.Limits)
	require.Equal(t, []string{"HASH", "hash_fields"}, m.Provides())

	m, err = ParseManifest([]byte(`{"name":"hash","taskTypes":["HASH"],"inline":true}`))
	require.NoError(t, err)
	require.Equal(t, MaxInlineTimeoutMs, m.Limits.TimeoutMs, "an inline plugin's deadline")
	require.Equal(t, MaxInlineOutputBytes, m.Limits.MaxOutputBytes)
}

func TestParseManifestNamesEveryProblem(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"name":"Hash","taskTypes":["HASH"]}`, `name "Hash"`},
		{`{"name":"hash"}`, "provides nothing"},
		{`{"name":"hash","taskTypes":["HTTP"]}`, `"HTTP" is one of Conductor's own`},
		{`{"name":"hash","taskTypes":["hash"]}`, "upper case"},
		{`{"name":"hash","taskTypes":["A","A"]}`, "listed twice"},
		{`{"name":"hash","taskTypes":["A"],"domains":["blue","blue"]}`, `domains: "blue" is listed twice`},
		{`{"name":"hash","taskTypes":["A"],"domains":["NO_DOMAIN"]}`, `domains: "NO_DOMAIN": a domain is 1 to 128 letters`},
		{`{"name":"hash","taskTypes":["A"],"domains":["a b"]}`, `domains: "a b": a domain is`},
		{`{"name":"hash","taskTypes":["A"],"domains":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}`, "domains: 17 listed; at most 16"},
		{`{"name":"hash","taskTypes":["A"],"limits":{"timeoutMs":-1}}`, "limits.timeoutMs is -1"},
		{`{"name":"hash","taskTypes":["A"],"limits":{"memoryMiB":99999}}`, "limits.memoryMiB is 99999; at most 4096"},
		{`{"name":"hash","taskTypes":["A"],"limits":{"concurrency":1,"warm":2}}`, "limits.warm is 2"},
		{`{"name":"hash","taskTypes":["A"],"limits":{"timeout":5}}`, `unknown field "timeout"`},
		{`{"name":"hash","taskTypes":["A"],"limits":{"kvBytes":-1}}`, "limits.kvBytes is -1; it must be positive (or left out for 67108864)"},
		{`{"name":"hash","taskTypes":["A"],"limits":{"kvBytes":1073741825}}`, "limits.kvBytes is 1073741825; at most 1073741824 is allowed"},
		{`{"name":"hash","taskTypes":["A"],"allowedHosts":["*.com"]}`, "wildcard"},
		{`{"name":"hash","taskTypes":["A"],"allowedHosts":["http://x.com"]}`, "not a host name"},
		{`{"name":"hash","taskTypes":["A"],"allowedHosts":["x.com:0"]}`, "port"},
		{`{"name":"hash","taskTypes":["A"],"secrets":["key"]}`, `secrets: "key"`},
		{`{"name":"hash","taskTypes":["A"]} {}`, "data after"},
		{`{"name":"hash","taskTypes":["A"],"inputTemplates":{"B":{}}}`, `inputTemplates: "B" is neither`},
		{`{"name":"hash","taskTypes":["A"],"inputTemplates":{"A":null}}`, `inputTemplates: "A": an input template is a JSON object`},
		{`{"name":"hash","taskTypes":["A"],"inputTemplates":{"A":[1]}}`, "not valid"},
		{`{"name":"hash","workers":["w"],"inline":true}`, "inline applies to taskTypes"},
		{`{"name":"hash","taskTypes":["A"],"inline":true,"limits":{"timeoutMs":5000}}`, "limits.timeoutMs is 5000; at most 1000 is allowed for an inline plugin"},
		{`{"name":"hash","taskTypes":["A"],"inline":true,"limits":{"maxOutputBytes":1048576}}`, "limits.maxOutputBytes is 1048576; at most 262144 is allowed for an inline plugin"},
		{`[]`, "not valid"},
	} {
		_, err := ParseManifest([]byte(tc.json))
		require.ErrorContains(t, err, tc.want, tc.json)
	}
	_, err := ParseManifest([]byte(`{"name":"x","taskTypes":["A"],"description":"` + strings.Repeat("a", MaxManifestBytes) + `"}`))
	require.ErrorContains(t, err, "at most")
}

func TestParseManifestUnderCeilings(t *testing.T) {
	c := Ceilings{MemoryMiB: 32, TimeoutMs: 500, Concurrency: 1, KVBytes: 1 << 20}
	require.NoError(t, c.Check())

	// Defaults over a ceiling are lowered to it, the others kept.
	m, err := c.ParseManifest([]byte(`{"name":"hash","taskTypes":["HASH"]}`))
	require.NoError(t, err)
	require.Equal(t, Limits{MemoryMiB: 32, TimeoutMs: 500, MaxOutputBytes: DefaultMaxOutputBytes, Concurrency: 1, Warm: 1, KVBytes: 1 << 20}, m.Limits)
	m, err = c.ParseManifest([]byte(`{"name":"hash","taskTypes":["HASH"],"limits":{"memoryMiB":16,"timeoutMs":500,"kvBytes":1024}}`))
	require.NoError(t, err)
	require.Equal(t, Limits{MemoryMiB: 16, TimeoutMs: 500, MaxOutputBytes: DefaultMaxOutputBytes, Concurrency: 1, Warm: 1, KVBytes: 1024}, m.Limits)
	m, err = Ceilings{TimeoutMs: 5000}.ParseManifest([]byte(`{"name":"hash","taskTypes":["HASH"],"inline":true}`))
	require.NoError(t, err)
	require.Equal(t, MaxInlineTimeoutMs, m.Limits.TimeoutMs, "a ceiling over a default leaves it")
	// A warm valid under the default concurrency follows it down.
	m, err = c.ParseManifest([]byte(`{"name":"hash","taskTypes":["HASH"],"limits":{"warm":2}}`))
	require.NoError(t, err)
	require.Equal(t, 1, m.Limits.Warm)

	// A manifest over a ceiling is refused, naming each and its flag.
	_, err = c.ParseManifest([]byte(`{"name":"hash","taskTypes":["HASH"],"limits":{"memoryMiB":64,"timeoutMs":501,"concurrency":2,"kvBytes":2097152}}`))
	require.ErrorIs(t, err, ErrOverCeiling)
	require.EqualError(t, err, "the manifest claims more than this server allows: "+
		"limits.memoryMiB is 64; this server allows at most 32 (baton serve --plugin-max-memory-mib); "+
		"limits.timeoutMs is 501; this server allows at most 500 (baton serve --plugin-max-timeout); "+
		"limits.concurrency is 2; this server allows at most 1 (baton serve --plugin-max-concurrency); "+
		"limits.kvBytes is 2097152; this server allows at most 1048576 (baton serve --plugin-max-kv-bytes)")
	// A manifest also invalid is not valid, every problem listed.
	_, err = c.ParseManifest([]byte(`{"name":"Hash","taskTypes":["HASH"],"limits":{"memoryMiB":64}}`))
	require.NotErrorIs(t, err, ErrOverCeiling)
	require.ErrorContains(t, err, `manifest is not valid: name "Hash"`)
	require.ErrorContains(t, err, "limits.memoryMiB is 64; this server allows at most 32")

	// Ceilings are within the bounds of Limits.
	require.NoError(t, Ceilings{}.Check())
	require.EqualError(t, Ceilings{MemoryMiB: 4097, TimeoutMs: 16 * 60 * 1000, Concurrency: -1, KVBytes: 1<<30 + 1}.Check(), "plugin ceilings: "+
		"--plugin-max-memory-mib is 4097; it must be from 1 to 4096 (or 0 for no ceiling); "+
		"--plugin-max-timeout is 16m0s; it must be from 1ms to 15m0s (or 0 for no ceiling); "+
		"--plugin-max-concurrency is -1; it must be from 1 to 256 (or 0 for no ceiling); "+
		"--plugin-max-kv-bytes is 1073741825; it must be from 1 to 1073741824 (or 0 for no ceiling)")
}
