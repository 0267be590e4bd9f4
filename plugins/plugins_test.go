//go:build !wasip1

package plugins_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// These tests build each plugin as users do (Go with GOOS=wasip1
// GOARCH=wasm -buildmode=c-shared, C with clang-19 and wasi-libc), load it
// with its own plugin.json into the real host, and run tasks through
// Plugin.Run.

// wasmOf builds plugin name once per test binary and returns its module.
// A test of the C plugin is skipped on a machine without clang-19 and
// wasi-libc, unless BATON_REQUIRE_CLANG=1 (set by CI), where it fails.
func wasmOf(t testing.TB, name string) []byte {
	t.Helper()
	if name == "cexample" {
		return wasmtest.BuildC(t, nil, "cexample/main.c")
	}
	return wasmtest.BuildGo(t, name)
}

// testSecrets are the secrets of the hosts made by newHost.
var testSecrets = map[string]string{"HMAC_KEY": "key"}

// newHost returns a host closed with the test; hosts share the on-disk
// compilation cache, so each plugin is compiled once per run.
func newHost(t testing.TB, cfg wasm.HostConfig) *wasm.Host {
	t.Helper()
	cfg.CacheDir = wasmtest.CacheDir()
	h, err := wasm.NewHost(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

// load loads plugin name with its plugin.json, edited by edit.
func load(t testing.TB, h *wasm.Host, name string, edit func(m *wasm.Manifest)) *wasm.Plugin {
	t.Helper()
	bin := wasmOf(t, name)
	text, err := os.ReadFile(filepath.Join(name, "plugin.json"))
	require.NoError(t, err)
	m, err := wasm.ParseManifest(text)
	require.NoError(t, err, "%s/plugin.json", name)
	require.Equal(t, name, m.Name)
	if edit != nil {
		edit(m)
	}
	p, err := h.Load(context.Background(), bin, m)
	require.NoError(t, err, "load %s", name)
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// run runs a task whose inputData is the JSON text input.
func run(t testing.TB, p *wasm.Plugin, input string) *workflow.TaskResult {
	t.Helper()
	var data map[string]any
	require.NoError(t, workflow.Decode([]byte(input), &data), input)
	tk := &workflow.Task{TaskID: "t1", WorkflowInstanceID: "w1", TaskType: p.Manifest().TaskTypes[0], InputData: data}
	res := p.Run(context.Background(), tk, wasm.Env{})
	require.Equal(t, "t1", res.TaskID)
	return res
}

// want is the expected result of a task.
type want struct {
	status workflow.TaskStatus
	output string // JSON, compared as JSON; "" means no output
	reason string
}

func check(t *testing.T, res *workflow.TaskResult, w want) {
	t.Helper()
	require.Equal(t, w.status, res.Status, "reason: %s", res.ReasonForIncompletion)
	require.Equal(t, w.reason, res.ReasonForIncompletion)
	if w.output == "" {
		require.Empty(t, res.OutputData)
		return
	}
	got, err := json.Marshal(res.OutputData)
	require.NoError(t, err)
	require.JSONEq(t, w.output, string(got))
}

var sharedHost = sync.OnceValue(func() *wasm.Host {
	h, err := wasm.NewHost(context.Background(), wasm.HostConfig{
		CacheDir:     wasmtest.CacheDir(),
		LookupSecret: func(name string) (string, bool) { v, ok := testSecrets[name]; return v, ok },
	})
	if err != nil {
		panic(err)
	}
	return h
})

func TestJSONSchema(t *testing.T) {
	t.Parallel()
	h := sharedHost()
	plain := load(t, h, "jsonschema", nil)
	configured := load(t, h, "jsonschema", func(m *wasm.Manifest) {
		m.Config = map[string]string{
			"schema":        `{"type":"object","required":["id"],"properties":{"id":{"type":"integer","minimum":1}}}`,
			"failOnInvalid": "true",
		}
	})
	const person = `{"type":"object","required":["name"],"additionalProperties":false,
		"properties":{"name":{"type":"string","minLength":1},"age":{"$ref":"#/$defs/age"},
		"emails":{"type":"array","items":{"type":"string","pattern":"^[^@]+@[^@]+$"},"uniqueItems":true}},
		"$defs":{"age":{"type":"integer","minimum":0,"maximum":150}}}`
	tests := []struct {
		name   string
		plugin *wasm.Plugin
		input  string
		want   want
	}{
		{"valid", plain, `{"schema":` + person + `,"payload":{"name":"Ada","age":36,"emails":["ada@example.com"]}}`,
			want{status: workflow.TaskCompleted, output: `{"valid":true}`}},
		{"invalid completes with the errors", plain, `{"schema":` + person + `,"payload":{"name":"","age":200,"emails":["x","x"],"nick":"a"}}`,
			want{status: workflow.TaskCompleted, output: `{"valid":false,"errors":[
				{"path":"/age","message":"must be <= 150; it is 200"},
				{"path":"/emails/0","message":"must match the pattern ^[^@]+@[^@]+$"},
				{"path":"/emails/1","message":"must match the pattern ^[^@]+@[^@]+$"},
				{"path":"/emails","message":"items 0 and 1 are equal; the items must be unique"},
				{"path":"/name","message":"must be at least 1 characters long; it has 0"},
				{"path":"","message":"property \"nick\" is not allowed (additionalProperties is false)"}]}`}},
		{"failOnInvalid fails terminally", plain, `{"schema":{"type":"integer"},"payload":"7","failOnInvalid":true}`,
			want{status: workflow.TaskFailedWithTerminalError,
				output: `{"valid":false,"errors":[{"path":"","message":"must be integer; it is string"}]}`,
				reason: "payload is not valid against the schema: (root): must be integer; it is string"}},
		{"null payload is a value", plain, `{"schema":{"type":"null"},"payload":null}`,
			want{status: workflow.TaskCompleted, output: `{"valid":true}`}},
		{"schema error", plain, `{"schema":{"properties":{"a":{"type":"text"}}},"payload":{}}`,
			want{status: workflow.TaskFailedWithTerminalError,
				reason: `input schema is not usable: schema /properties/a/type: "text" is not a type; use one of null, boolean, object, array, number, string, integer`}},
		{"unsupported keyword", plain, `{"schema":{"unevaluatedProperties":false},"payload":{}}`,
			want{status: workflow.TaskFailedWithTerminalError,
				reason: "input schema is not usable: schema /unevaluatedProperties: unevaluatedProperties is not supported by this plugin; use additionalProperties"}},
		{"no payload", plain, `{"schema":true}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: "input payload is missing: pass the JSON value to validate as payload"}},
		{"no schema", plain, `{"payload":1}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: "no schema: pass one as input schema or set config schema in the plugin's manifest"}},
		{"config schema valid", configured, `{"payload":{"id":12345678901234567890}}`,
			want{status: workflow.TaskCompleted, output: `{"valid":true}`}},
		{"config failOnInvalid", configured, `{"payload":{"id":0}}`,
			want{status: workflow.TaskFailedWithTerminalError,
				output: `{"valid":false,"errors":[{"path":"/id","message":"must be >= 1; it is 0"}]}`,
				reason: "payload is not valid against the schema: /id: must be >= 1; it is 0"}},
		{"input overrides config", configured, `{"payload":{"id":0},"schema":true,"failOnInvalid":false}`,
			want{status: workflow.TaskCompleted, output: `{"valid":true}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, run(t, tt.plugin, tt.input), tt.want)
		})
	}
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	p := load(t, sharedHost(), "template", nil)
	tests := []struct {
		name, input string
		want        want
	}{
		{"render", `{"template":"Dear {{.name}},\n{{range .items}}- {{.sku}} x{{.qty}}\n{{end}}Total: {{.total}}","data":{"name":"Ada","items":[{"sku":"A","qty":2},{"sku":"B","qty":1}],"total":12345678901234567}}`,
			want{status: workflow.TaskCompleted, output: `{"text":"Dear Ada,\n- A x2\n- B x1\nTotal: 12345678901234567"}`}},
		{"funcs", `{"template":"{{upper .a}} {{.b | default \"none\"}} {{json .c}}","data":{"a":"x","c":[1,{"k":true}]}}`,
			want{status: workflow.TaskCompleted, output: `{"text":"X none [1,{\"k\":true}]"}`}},
		{"parse error names the line", `{"template":"ok\n{{if .a}}\nno end","data":{}}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: `template line 3 ("no end"): unexpected EOF`}},
		{"execution error names the line and column", `{"template":"a\n  {{.user.name}}","data":{"user":{}},"missingKey":"error"}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: `template line 2, column 9 ("  {{.user.name}}"): <.user.name>: map has no entry for key "name"`}},
		{"no template", `{"data":{}}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: "no template: pass one as input template or set config template in the plugin's manifest"}},
		{"wrong input type", `{"template":5}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: "input: json: cannot unmarshal number into Go struct field request.template of type string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, run(t, p, tt.input), tt.want)
		})
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	h := sharedHost()
	p := load(t, h, "hash", nil)
	undeclared := load(t, h, "hash", func(m *wasm.Manifest) { m.Secrets = nil })
	unset := load(t, h, "hash", func(m *wasm.Manifest) { m.Secrets = []string{"HMAC_KEY", "OTHER_KEY"} })
	// Reference digests: printf 'ada@example.com' | sha256sum; ... | openssl
	// dgst -sha256 -hmac key; printf '12345678901234567890' | sha1sum.
	tests := []struct {
		name   string
		plugin *wasm.Plugin
		input  string
		want   want
	}{
		{"sha256", p, `{"fields":["user.email"],"user":{"email":"ada@example.com"}}`,
			want{status: workflow.TaskCompleted, output: `{"algorithm":"sha256","encoding":"hex","hmac":false,
				"digests":{"user.email":"b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72"}}`}},
		{"number as written, in data", p, `{"fields":["id"],"algorithm":"sha1","data":{"id":12345678901234567890}}`,
			want{status: workflow.TaskCompleted, output: `{"algorithm":"sha1","encoding":"hex","hmac":false,
				"digests":{"id":"7e0a1242bd8ef9044f27dca45f5f72ad5a1125bf"}}`}},
		{"hmac with a secret", p, `{"fields":["email"],"hmacSecret":"HMAC_KEY","encoding":"base64","email":"ada@example.com"}`,
			want{status: workflow.TaskCompleted, output: `{"algorithm":"sha256","encoding":"base64","hmac":true,
				"digests":{"email":"IMqpQUm4ZcLzojACyMoLAuPboRMjZEipbq4Hjn46bMA="}}`}},
		{"secret not declared", undeclared, `{"fields":["email"],"hmacSecret":"HMAC_KEY","email":"x"}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: "hmacSecret: secret HMAC_KEY is not declared in the manifest's secrets"}},
		{"secret not set is retried", unset, `{"fields":["email"],"hmacSecret":"OTHER_KEY","email":"x"}`,
			want{status: workflow.TaskFailed, reason: "hmacSecret: secret OTHER_KEY is not set: set BATON_SECRET_OTHER_KEY in the environment of the server or worker running the plugin"}},
		{"missing field", p, `{"fields":["user.phone"],"user":{}}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: `field "user.phone" is not in the input`}},
		{"bad algorithm", p, `{"fields":["a"],"algorithm":"crc32","a":"x"}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: `algorithm "crc32": use sha256, sha512, sha1 or md5`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, run(t, tt.plugin, tt.input), tt.want)
		})
	}
}

// TestHashSecretFromEnvironment reads the HMAC key the way a server does by
// default: BATON_SECRET_<NAME> in its environment.
func TestHashSecretFromEnvironment(t *testing.T) {
	t.Setenv("BATON_SECRET_HMAC_KEY", "key")
	p := load(t, newHost(t, wasm.HostConfig{}), "hash", func(m *wasm.Manifest) {
		m.Config["hmacSecret"] = "HMAC_KEY"
	})
	check(t, run(t, p, `{"fields":["email"],"encoding":"base64","email":"ada@example.com"}`),
		want{status: workflow.TaskCompleted, output: `{"algorithm":"sha256","encoding":"base64","hmac":true,
			"digests":{"email":"IMqpQUm4ZcLzojACyMoLAuPboRMjZEipbq4Hjn46bMA="}}`})
}

func TestReshape(t *testing.T) {
	t.Parallel()
	h := sharedHost()
	p := load(t, h, "reshape", nil)
	configured := load(t, h, "reshape", func(m *wasm.Manifest) {
		m.Config = map[string]string{"mapping": `{"customer.id":"order.customerId","total":"order.total"}`, "defaults": `{"currency":"EUR"}`}
	})
	const order = `{"order":{"customerId":12345678901234567890,"total":12.5,"note":null,
		"lines":[{"sku":"A","qty":2},{"sku":"B","qty":1}],"ship":{"city":"Paris","zip":null}}}`
	tests := []struct {
		name   string
		plugin *wasm.Plugin
		input  string
		want   want
	}{
		{"pick, rename, wildcard, defaults", p, `{"data":` + order + `,
			"mapping":{"customer":"order.customerId","skus":"order.lines[*].sku","first.qty":"order.lines[0].qty","city":"order.ship.city","note":"order.note"},
			"defaults":{"note":"none","channel":"web"}}`,
			want{status: workflow.TaskCompleted, output: `{"customer":12345678901234567890,"skus":["A","B"],"first":{"qty":2},"city":"Paris","note":"none","channel":"web"}`}},
		{"drop nulls and flatten", p, `{"data":` + order + `,"mapping":{"ship":"order.ship","note":"order.note"},"dropNulls":true,"flatten":true}`,
			want{status: workflow.TaskCompleted, output: `{"ship.city":"Paris"}`}},
		{"spec from config", configured, `{"data":` + order + `}`,
			want{status: workflow.TaskCompleted, output: `{"customer":{"id":12345678901234567890},"total":12.5,"currency":"EUR"}`}},
		{"bad spec", p, `{"data":{"a":1},"mapping":{"x[0]":"a"}}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: `mapping "x[0]": path "x[0]" has an index or a wildcard; an output path is keys only, like a.b.c`}},
		{"no data", p, `{"mapping":{}}`,
			want{status: workflow.TaskFailedWithTerminalError, reason: "input data is missing: pass the document to reshape as data"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, run(t, tt.plugin, tt.input), tt.want)
		})
	}
}

func TestCExample(t *testing.T) {
	t.Parallel()
	p := load(t, sharedHost(), "cexample", nil)
	tests := []struct {
		name, input string
		want        want
		log         string
	}{
		{"upper-cases", `{"text":"hello, World"}`, want{status: workflow.TaskCompleted, output: `{"upper":"HELLO, WORLD"}`}, "INFO upper-casing 12 bytes"},
		{"escapes and non-ASCII kept", `{"other":{"text":1},"text":"a\"b\\n\nc été \u00e9"}`,
			want{status: workflow.TaskCompleted, output: `{"upper":"A\"B\\N\nC éTé é"}`}, ""},
		{"empty", `{"text":""}`, want{status: workflow.TaskCompleted, output: `{"upper":""}`}, "INFO upper-casing 0 bytes"},
		{"not a string", `{"text":5}`, want{status: workflow.TaskFailedWithTerminalError, reason: "input text is missing or not a string"}, ""},
		{"missing", `{}`, want{status: workflow.TaskFailedWithTerminalError, reason: "input text is missing or not a string"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, p, tt.input)
			check(t, res, tt.want)
			if tt.log != "" {
				require.Len(t, res.Logs, 1)
				require.Equal(t, tt.log, res.Logs[0].Log)
			}
		})
	}
}

// BenchmarkCExample is the per-task cost of the C plugin through the host:
// the pool, encoding the task, the copies, the ABI calls, one log call and
// decoding the result (issue target: <= 5 us).
func BenchmarkCExample(b *testing.B) {
	p := load(b, newHost(b, wasm.HostConfig{}), "cexample", nil)
	tk := &workflow.Task{TaskID: "t1", WorkflowInstanceID: "w1", TaskType: "C_UPPER", InputData: map[string]any{"text": "hello, world"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if res := p.Run(ctx, tk, wasm.Env{}); res.Status != workflow.TaskCompleted {
			b.Fatal(res.ReasonForIncompletion)
		}
	}
}

// BenchmarkReshape is the per-task cost of a Go plugin that parses and
// re-serialises about 1 KB of JSON (the reshape plugin copying a document),
// through the host (issue target for Go guests: p50 <= 40 us).
func BenchmarkReshape(b *testing.B) {
	p := load(b, newHost(b, wasm.HostConfig{}), "reshape", nil)
	lines := make([]any, 12)
	for i := range lines {
		lines[i] = map[string]any{"sku": fmt.Sprintf("SKU-%04d", i), "qty": json.Number(fmt.Sprint(i + 1)), "price": json.Number("12.50")}
	}
	data := map[string]any{"id": json.Number("12345678901234567890"), "customer": map[string]any{"name": "Ada Lovelace", "email": "ada@example.com"}, "lines": lines}
	doc, err := json.Marshal(data)
	require.NoError(b, err)
	tk := &workflow.Task{TaskID: "t1", WorkflowInstanceID: "w1", TaskType: "JSON_RESHAPE", InputData: map[string]any{"data": data}}
	ctx := context.Background()
	b.ReportMetric(float64(len(doc)), "doc-bytes")
	b.ReportAllocs()
	for b.Loop() {
		if res := p.Run(ctx, tk, wasm.Env{}); res.Status != workflow.TaskCompleted {
			b.Fatal(res.ReasonForIncompletion)
		}
	}
}
