package docpath

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

func TestGet(t *testing.T) {
	t.Parallel()
	doc := decode(t, `{"user":{"email":"a@b.c","tags":["x","y"]},"items":[{"sku":"A"},{"n":1},{"sku":"C"}],"a.b":{"c":3},"n":null}`)
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"user.email", "a@b.c", true},
		{"$.user.email", "a@b.c", true},
		{"user.tags[1]", "y", true},
		{"user.tags[-1]", "y", true},
		{"user.tags[2]", nil, false},
		{"user.tags[-3]", nil, false},
		{"items[*].sku", []any{"A", "C"}, true},
		{"items[0]", map[string]any{"sku": "A"}, true},
		{`["a.b"].c`, 3.0, true},
		{`$["a.b"].c`, 3.0, true},
		{"n", nil, true},
		{"missing", nil, false},
		{"user.email.x", nil, false},
		{"user[0]", nil, false},
		{"$", doc, true},
		{"", doc, true},
	}
	for _, tt := range tests {
		p, err := Parse(tt.path)
		require.NoError(t, err, tt.path)
		got, ok := p.Get(doc)
		require.Equal(t, tt.ok, ok, tt.path)
		require.Equal(t, tt.want, got, tt.path)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		".a":      `path ".a", at offset 0: a path does not start with '.'`,
		"a..b":    `path "a..b", at offset 2: a key is missing after '.'`,
		"a.":      `path "a.", at offset 2: a key is missing after '.'`,
		"a[x]":    `path "a[x]", at offset 1: [x] is not an index: write [0], [-1], [*] or ["key"]`,
		"a[0":     `path "a[0", at offset 1: '[' is not closed by ']'`,
		`a["x]`:   `path "a[\"x]", at offset 1: '[' is not closed by ']'`,
		`a["x"y]`: `path "a[\"x\"y]", at offset 1: "x"y is not a JSON string`,
	} {
		_, err := Parse(path)
		require.EqualError(t, err, want, path)
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	doc := map[string]any{}
	for path, v := range map[string]any{"a.b.c": 1, "a.d": 2, "e": 3, `["x.y"].z`: 4} {
		p, err := Parse(path)
		require.NoError(t, err)
		require.NoError(t, p.Set(doc, v))
	}
	require.Equal(t, map[string]any{
		"a":   map[string]any{"b": map[string]any{"c": 1}, "d": 2},
		"e":   3,
		"x.y": map[string]any{"z": 4},
	}, doc)

	p, _ := Parse("e.f")
	require.EqualError(t, p.Set(doc, 5), `path "e.f": e already holds a value that is not an object`)
	p, _ = Parse("a[0]")
	require.EqualError(t, p.Set(doc, 5), `path "a[0]" has an index or a wildcard; an output path is keys only, like a.b.c`)
	p, _ = Parse("$")
	require.EqualError(t, p.Set(doc, 5), `path "$" names the whole document; name a key to write`)
}
