package script

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestJQ(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	input := `{
		"a": [1, 2, 3], "obj": {"x": "y"}, "n": 9007199254740993,
		"huge": 123456789012345678901234567890, "f": 1.5, "s": "str"
	}`
	for _, tc := range []struct {
		name  string
		query string
		want  []any
	}{
		{"map", `.a | map(.+1)`, []any{[]any{json.Number("2"), json.Number("3"), json.Number("4")}}},
		{"several results", `.a[]`, []any{json.Number("1"), json.Number("2"), json.Number("3")}},
		{"object", `{x: .obj.x, count: (.a | length)}`, []any{map[string]any{"x": "y", "count": json.Number("3")}}},
		{"no results", `empty`, []any{}},
		{"halt ends the results", `.a[] | if . == 2 then halt else . end`, []any{json.Number("1")}},
		{"integer past 2^53 stays exact", `.n`, []any{json.Number("9007199254740993")}},
		{"and so does its arithmetic", `.n + 1`, []any{json.Number("9007199254740994")}},
		{"larger than int64", `.huge`, []any{json.Number("123456789012345678901234567890")}},
		{"floats", `[.f * 2, .f / 4, (1e1000 | isinfinite)]`, []any{[]any{json.Number("3"), json.Number("0.375"), true}}},
		{"caught error", `try error("x") catch .`, []any{"x"}},
		{"no environment", `[$ENV, env]`, []any{[]any{map[string]any{}, map[string]any{}}}},
		{"null input field", `.missing`, []any{nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.JQ(tc.query, conductorInput(t, input))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestJQErrors(t *testing.T) {
	t.Parallel()
	// A clock long enough that the cases hit their own limit, not the
	// time limit, on a loaded machine under the race detector.
	e := New(Limits{Timeout: time.Minute})
	for _, tc := range []struct {
		name  string
		query string
		kind  Kind
		msg   string
	}{
		{"error", `error("bad")`, Runtime, "bad"},
		{"error with an object", `error({code: 1})`, Runtime, `error: {"code":1}`},
		{"halt_error", `"stop" | halt_error`, Runtime, "stop"},
		{"type error", `.a.b`, Runtime, "expected an object but got: number (1)"},
		{"syntax", `.[`, Syntax, "jq syntax error: unexpected EOF (line 1, column 3)"},
		{"syntax on a later line", ".a |\n  map(.+)", Syntax, "(line 2, column"},
		{"unknown function", `foo(1)`, Syntax, "function not defined: foo/1"},
		{"input is refused", `input`, Syntax, "not allowed"},
		{"no modules", `import "a" as a; .`, Syntax, "cannot load module"},
		{"NaN", `{avg: nan}`, Runtime, "result.avg is NaN"},
		{"too large", `[range(200000)]`, Output, "larger than 1 MiB"},
		{"too large over all results", `range(300000)`, Output, "larger than 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.JQ(tc.query, map[string]any{"a": json.Number("1")})
			require.ErrorContains(t, requireKind(t, err, tc.kind), tc.msg)
		})
	}
}

func TestJQDoesNotChangeItsInput(t *testing.T) {
	t.Parallel()
	doc := `{"a": {"b": [1, 2]}}`
	input := conductorInput(t, doc)
	got, err := New(Limits{}).JQ(`.a.b += [3] | .a.c = 1`, input)
	require.NoError(t, err)
	require.Equal(t, conductorInput(t, doc), input)
	require.Equal(t, []any{map[string]any{"a": map[string]any{"b": []any{json.Number("1"), json.Number("2"), json.Number("3")}, "c": json.Number("1")}}}, got)
}

func TestJQInputTypes(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	got, err := e.JQ(`[.i + 1, .i64 + 1, .f, .m.k, .s.x, .top]`, map[string]any{
		"i": 1, "i64": int64(2), "f": 2.5, "m": map[string]string{"k": "v"}, "s": struct {
			X []int `json:"x"`
		}{X: []int{7}}, "top": []string{"a"},
	})
	require.NoError(t, err)
	require.Equal(t, []any{[]any{json.Number("2"), json.Number("3"), json.Number("2.5"), "v", []any{json.Number("7")}, []any{"a"}}}, got)

	got, err = e.JQ(`. + 1`, json.Number("41"))
	require.NoError(t, err)
	require.Equal(t, []any{json.Number("42")}, got)

	_, err = e.JQ(`.`, func() {})
	requireKind(t, err, Runtime)
}

func TestJQCachesQueries(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	for i := range maxCached + 100 {
		_, err := e.JQ(fmt.Sprintf(".a + %d", i), map[string]any{"a": 1})
		require.NoError(t, err)
	}
	require.Equal(t, maxCached, e.queries.len())

	a, err := e.queries.get(".a", compileJQ)
	require.Nil(t, err)
	b, err := e.queries.get(".a", compileJQ)
	require.Nil(t, err)
	require.Same(t, a, b)

	// A cached failure is handed out as a copy.
	_, first := e.JQ(".[", nil)
	first.(*Error).Msg = "changed"
	_, second := e.JQ(".[", nil)
	require.Contains(t, second.Error(), "syntax error")
}
