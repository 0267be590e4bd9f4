package script

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/stretchr/testify/require"
)

// requireKind asserts that err is an *Error of the kind and returns it.
func requireKind(t *testing.T, err error, kind Kind) *Error {
	t.Helper()
	var serr *Error
	require.True(t, errors.As(err, &serr), "want an *Error of kind %s, got %T: %v", kind, err, err)
	require.Equal(t, kind, serr.Kind, "message: %s", serr.Msg)
	return serr
}

// conductorInput is a task's input as the engine decodes it: encoding/json
// with UseNumber.
func conductorInput(t *testing.T, doc string) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var in map[string]any
	require.NoError(t, d.Decode(&in))
	return in
}

func TestJS(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	input := `{
		"a": 1, "value1": 2, "value2": 3.5, "v": "x", "loop": {"iteration": 2},
		"big": 9007199254740993, "items": [{"price": 2}, {"price": 3}], "none": null
	}`
	for _, tc := range []struct {
		name string
		src  string
		want any
	}{
		{"ternary", `$.a == 1 ? 'x' : 'y'`, "x"},
		{"if statement", `if ($.loop['iteration'] < 3) { true; } else { false; }`, true},
		{"function expression", `(function () { return $.value1 + $.value2; })();`, json.Number("5.5")},
		{"function declaration", `function e() { return {result: $.v}; } e();`, map[string]any{"result": "x"}},
		{"nested", `({list: $.items.map(function (i) { return i.price * 2; }), obj: {deep: [$.none, [$.v]]}})`,
			map[string]any{"list": []any{json.Number("4"), json.Number("6")}, "obj": map[string]any{"deep": []any{nil, []any{"x"}}}}},
		{"integral float has no decimal point", `3.0 * $.value1`, json.Number("6")},
		{"fractions", `[0.1 + 0.2, 1e21, 1e-7, -0, 2.5e-3]`,
			[]any{json.Number("0.30000000000000004"), json.Number("1e+21"), json.Number("1e-7"), json.Number("0"), json.Number("0.0025")}},
		// goja, like every JavaScript engine, keeps numbers as doubles
		// past 2^53: the input's 9007199254740993 arrives as ...992.
		{"integer past 2^53", `$.big`, json.Number("9007199254740992")},
		{"BigInt is exact", `BigInt('9007199254740993') + 1n`, json.Number("9007199254740994")},
		{"undefined", `undefined`, nil},
		{"no statement", `var x = 1;`, nil},
		{"undefined property", `({a: undefined, b: $.missing})`, map[string]any{"a": nil, "b": nil}},
		{"array holes", `[1, , 3]`, []any{json.Number("1"), nil, json.Number("3")}},
		{"Date via toJSON", `new Date(Date.UTC(2026, 0, 2, 3, 4, 5))`, "2026-01-02T03:04:05.000Z"},
		{"custom toJSON", `({toJSON: function (key) { return 'k=' + key; }})`, "k="},
		{"toJSON gets the key", `({inner: {toJSON: function (key) { return key; }}})`, map[string]any{"inner": "inner"}},
		{"wrapper objects", `[new Number(3), new String('s'), new Boolean(false)]`, []any{json.Number("3"), "s", false}},
		{"Map is an empty object, as in JSON.stringify", `new Map([['a', 1]])`, map[string]any{}},
		{"console.log does nothing", `console.log('hi', $); console.error('x'); 1`, json.Number("1")},
		{"no require", `typeof require + ' ' + typeof process + ' ' + typeof module`, "undefined undefined undefined"},
		{"Math.random and Date work", `typeof Math.random() + typeof Date.now()`, "numbernumber"},
		{"JSON round trip", `JSON.parse(JSON.stringify($.items))[1].price`, json.Number("3")},
		{"__proto__ key is data", `JSON.parse('{"__proto__": 1}')`, map[string]any{"__proto__": json.Number("1")}},
		{"guarded built-ins still work", `['ab'.repeat(2), '5'.padStart(3, '0'), 'x'.padEnd(2, '-'), [1, 2].join('+'), new Array(3).fill(0), Array.from('ab')]`,
			[]any{"abab", "005", "x-", "1+2", []any{json.Number("0"), json.Number("0"), json.Number("0")}, []any{"a", "b"}}},
		{"caught exception", `try { null.x } catch (e) { e.name }`, "TypeError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.JS(tc.src, conductorInput(t, input))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestJSErrors(t *testing.T) {
	t.Parallel()
	// A clock long enough that the cases hit their own limit, not the
	// time limit, on a loaded machine under the race detector.
	e := New(Limits{Timeout: time.Minute})
	for _, tc := range []struct {
		name string
		src  string
		kind Kind
		msg  string
	}{
		{"syntax", `x = `, Syntax, "SyntaxError: Unexpected end of input (line 1, column 5)"},
		{"syntax on a later line", "1;\n\n  foo(;", Syntax, "(line 3, column 7)"},
		{"compile error", `let a; let a;`, Syntax, "Identifier 'a' has already been declared (line 1, column 12)"},
		{"thrown Error", `throw new Error('boom')`, Runtime, "Error: boom (line 1, column 7)"},
		{"thrown in a function", "function f() {\n  throw new TypeError('bad');\n}\nf();", Runtime, "TypeError: bad (line 2, column 9)"},
		{"thrown value", `throw 5`, Runtime, "5 (line 1, column 1)"},
		{"toString that throws", `throw {toString: function () { throw 1; }}`, Runtime, "a value whose toString fails"},
		{"reference error", `nosuch + 1`, Runtime, "ReferenceError: nosuch is not defined"},
		{"error inside a built-in", `JSON.parse('{')`, Runtime, "SyntaxError"},
		{"recursion", `function f() { return f(); } f();`, Runtime, "more than 1024 deep"},
		{"recursion through a built-in", `function f() { [1].map(f); } f();`, Runtime, "more than 1024 deep"},
		{"NaN", `({avg: 0 / 0})`, Runtime, "result.avg is NaN, which is not a JSON number"},
		{"Infinity", `[1, -1 / 0]`, Runtime, "result[1] is -Infinity"},
		{"function", `({f: function () {}})`, Output, "result.f is a function"},
		{"function at the top", `(function () {})`, Output, "result is a function"},
		{"symbol", `({'a b': Symbol('x')})`, Output, `result["a b"] is a symbol`},
		{"cycle", `var o = {a: {}}; o.a.back = o; o`, Output, "result.a.back refers back to an object that contains it"},
		{"too deep", `var o = {}; for (var i = 0; i < 2000; i++) o = {a: o}; o`, Output, "nested more than 1000 levels deep"},
		{"toJSON that throws", `({toJSON: function () { throw new Error('no'); }})`, Runtime, "Error: no"},
		{"too large", `'x'.repeat(2e6)`, Output, "the result is larger than 1 MiB as JSON"},
		{"too large, many values", `JSON.parse(JSON.stringify(new Array(3e4).fill('x'.repeat(40))))`, Output, "larger than 1 MiB"},
		{"too large, judged by the length", `new Array(1e7)`, Output, "larger than 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.JS(tc.src, nil)
			serr := requireKind(t, err, tc.kind)
			require.Contains(t, serr.Msg, tc.msg)
		})
	}
}

func TestJSOutputLimitIsTheJSONSize(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`'12345678'`,
		`({a: [1, 2.5, null, true, false], 'b"<&>': 'line\nbreak \u2028 é 😀'})`,
		`[{}, [], '', -12, 1e21, 123456789012345680000]`,
		`'\x01\b\f\t\\ end'`,
	} {
		v, err := New(Limits{}).JS(src, nil)
		require.NoError(t, err)
		encoded, err := json.Marshal(v)
		require.NoError(t, err)

		_, err = New(Limits{MaxOutput: len(encoded)}).JS(src, nil)
		require.NoError(t, err, "%s fits in %d bytes", src, len(encoded))
		_, err = New(Limits{MaxOutput: len(encoded) - 1}).JS(src, nil)
		requireKind(t, err, Output)
	}
}

func TestJSDoesNotChangeItsInput(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	doc := `{"a": 1, "nested": {"b": [1, 2]}, "list": ["x"]}`
	input := conductorInput(t, doc)
	got, err := e.JS(`$.a = 2; $.added = true; $.nested.b.push(3); $.list[0] = 'y'; delete $.nested.c; $`, input)
	require.NoError(t, err)
	require.Equal(t, conductorInput(t, doc), input)
	require.Equal(t, map[string]any{
		"a": json.Number("2"), "added": true, "nested": map[string]any{"b": []any{json.Number("1"), json.Number("2"), json.Number("3")}},
		"list": []any{"y"},
	}, got)
}

func TestJSInputTypes(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	type point struct {
		X int `json:"x"`
	}
	got, err := e.JS(`[$.f + 1, $.i + 1, $.i64 + 1, $.strings.k, $.struct.x, $.uint8 + 1, typeof $.raw, $.keys]`, map[string]any{
		"f": 1.5, "i": 2, "i64": int64(3), "strings": map[string]string{"k": "v"}, "struct": point{X: 4}, "uint8": uint8(5),
		"raw": json.RawMessage(`{"r": 1}`), "keys": map[string]any{"b": 1, "a": 2, "c": 3},
	})
	require.NoError(t, err)
	require.Equal(t, []any{
		json.Number("2.5"), json.Number("3"), json.Number("4"), "v", json.Number("4"), json.Number("6"), "object",
		map[string]any{"a": json.Number("2"), "b": json.Number("1"), "c": json.Number("3")},
	}, got)

	// Keys arrive sorted, so a script walking them sees one order.
	got, err = e.JS(`Object.keys($).join()`, map[string]any{"b": 1, "c": 2, "a": 3})
	require.NoError(t, err)
	require.Equal(t, "a,b,c", got)

	_, err = e.JS(`$`, map[string]any{"ch": make(chan int)})
	requireKind(t, err, Runtime)
	_, err = e.JS(`$`, map[string]any{"n": json.Number("1x")})
	requireKind(t, err, Runtime)

	deep := map[string]any{}
	for range maxDepth + 1 {
		deep = map[string]any{"a": deep}
	}
	_, err = e.JS(`1`, deep)
	require.ErrorContains(t, requireKind(t, err, Runtime), "nested more than 1000 levels deep")
}

func TestJSCallsShareNothing(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	_, err := e.JS(`var leaked = 1; globalThis.other = 2; Array.prototype.evil = 3; console.log = 4; 0`, nil)
	require.NoError(t, err)
	got, err := e.JS(`[typeof leaked, typeof other, typeof [].evil, typeof console.log]`, nil)
	require.NoError(t, err)
	require.Equal(t, []any{"undefined", "undefined", "undefined", "function"}, got)
}

// goja reads the file a sourceMappingURL comment names, relative to the
// process's working directory, unless source maps are off. The map here moves
// line 1 to line 42 of secret.js; an error that still says line 1 shows the
// file was not read.
func TestJSDoesNotReadSourceMaps(t *testing.T) {
	t.Parallel()
	mapFile := filepath.Join(t.TempDir(), "x.map")
	require.NoError(t, os.WriteFile(mapFile,
		[]byte(`{"version":3,"sources":["secret.js"],"names":[],"mappings":"AAyCA;"}`), 0o600))
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, mapFile)
	require.NoError(t, err)
	src := "throw new Error('x');\n//# sourceMappingURL=" + filepath.ToSlash(rel)

	// goja with its defaults does read it.
	_, err = goja.New().RunScript("", src)
	var thrown *goja.Exception
	require.ErrorAs(t, err, &thrown)
	require.Equal(t, 42, thrown.Stack()[0].Position().Line)

	e := New(Limits{})
	for _, src := range []string{src, "eval(" + jsQuote(src) + ")"} {
		_, err := e.JS(src, nil)
		require.ErrorContains(t, requireKind(t, err, Runtime), "(line 1, column")
	}
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRuntimeNeeds(t *testing.T) {
	t.Parallel()
	all := builtins(1<<len(guarded) - 1)
	for _, tc := range []struct {
		src     string
		guards  builtins
		console bool
	}{
		{`$.a + 1`, 0, false},
		{`'x'.repeat(3)`, 1 << 0, false},
		{`console.log(s.padStart(3)); a.join(',')`, 1<<1 | 1<<4, true},
		{`Array.from(x).fill(0)`, 1<<3 | 1<<5, false},
		{`eval(code)`, all, true},
		{`new Function('return 1')()`, all, true},
		{`f.constructor('return 1')()`, all, true},
	} {
		guards, console := runtimeNeeds(tc.src)
		require.Equal(t, tc.guards, guards, tc.src)
		require.Equal(t, tc.console, console, tc.src)
	}
	require.Equal(t, "repeat padStart padEnd fill join from",
		guarded[0].name+" "+guarded[1].name+" "+guarded[2].name+" "+guarded[3].name+" "+guarded[4].name+" "+guarded[5].name)
}
