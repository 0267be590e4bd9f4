package workflow

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSONPathFilters(t *testing.T) {
	t.Parallel()
	ctx := &Context{Workflow: &Workflow{Input: map[string]any{
		"rows": js(t, `[
			{"id": 1, "v": 1.5, "tags": ["a", "b"], "name": "alpha", "ok": true, "nil": null, "obj": {"k": [1, 2]}},
			{"id": 2, "v": -2e3, "tags": ["b"], "name": "beta", "ok": false, "obj": {"k": [1]}},
			{"id": 3, "v": 12345678901234567890, "tags": [], "name": "Gamma"}
		]`),
		// Values built in Go rather than decoded.
		"go": []any{
			map[string]any{"n": 7, "f": float32(1.5)},
			map[string]any{"n": int64(8), "f": 2.25},
			map[string]any{"n": uint8(9), "f": math.Inf(1)},
		},
	}}}
	tests := []struct{ expr, want string }{
		{"rows[?(@.v <= 1.5)].id", `[1, 2]`},
		{"rows[?(@.v >= 1.5)].id", `[1, 3]`},
		{"rows[?(@.v < -1999.5)].id", `[2]`},
		{"rows[?(@.v == -2000)].id", `[2]`},
		{"rows[?(@.v > 12345678901234567889)].id", `[3]`},
		{"rows[?(@.v == 1.50)].id", `[1]`},
		{"rows[?(@.v == 1.5e0)].id", `[1]`},
		{"rows[?(@.ok == true)].id", `[1]`},
		{"rows[?(@.ok == false)].id", `[2]`},
		{"rows[?(@.ok != true)].id", `[2, 3]`},
		{"rows[?(@.nil == null)].id", `[1]`},
		{"rows[?(@.tags == ['b'])].id", `[2]`},
		{"rows[?(@.tags == [])].id", `[3]`},
		{"rows[?(@.obj == $.workflow.input.rows[0].obj)].id", `[1]`},
		{"rows[?(@.tags subsetof ['a', 'b', 'c'])].id", `[1, 2, 3]`},
		{"rows[?(@.tags anyof ['a', 'z'])].id", `[1]`},
		{"rows[?(@.tags noneof ['a'])].id", `[2, 3]`},
		{"rows[?(@.name contains 'et')].id", `[2]`},
		{"rows[?(@.name size 5)].id", `[1, 3]`},
		{"rows[?(@.obj.k size 2)].id", `[1]`},
		{"rows[?(@.obj empty false)].id", `[1, 2]`},
		{"rows[?(@.name =~ /g.*/i)].id", `[3]`},
		{"rows[?(@.id =~ /[12]/)].id", `[1, 2]`},
		{"rows[?(@.id in [1, '3'])].id", `[1, 3]`},
		{"rows[?(@.missing nin [1])].id", `[1, 2, 3]`},
		{"rows[?(@.missing == null)].id", `[]`},
		{"rows[?(@.missing != null)].id", `[1, 2, 3]`},
		{"rows[?(@.missing < 3)].id", `[]`},
		{"rows[?(@.name < 5)].id", `[]`},
		{"rows[?(!(@.id > 1))].id", `[1]`},
		{"rows[?(@.obj.k[?(@ == 2)])].id", `[1]`},
		{"rows[?(@.obj.k.length() == 1)].id", `[2]`},
		{"rows[?(@['name'] == 'beta')].id", `[2]`},
		{"rows[?(@.tags[*] == 'b')].id", `[]`},
		{"rows[?(@.tags[?(@ == 'b')])].id", `[1, 2]`},
		{"rows[?(!@.tags[*])].id", `[3]`},
		{"go[?(@.n > 7)].n", `[8, 9]`},
		{"go[?(@.f == 1.5)].n", `[7]`},
		{"go[?(@.f > 2)].n", `[8, 9]`},
		{"go[?(@.n == '8')].n", `[8]`},
		{"go[0:2].f.max()", `2.25`},
		{"go[*].f.max()", `null`},
		{"rows[*].v.min()", `-2000.0`},
		{"rows[*].v.max()", `1.2345678901234567E19`},
		{"rows[*].v.avg()", `4.1152263004115215E18`},
		{"go[*].n.sum()", `24.0`},
		{"rows[0].name.length()", `5`},
		{"rows[0].obj.length()", `1`},
		{"rows[0].ok.length()", `null`},
		{"rows[0].ok.keys()", `null`},
		{"rows[0].ok.first()", `null`},
		{"rows[*].name.sum()", `null`},
		{"rows[0].id.sum()", `null`},
		{"missing.length()", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			t.Parallel()
			got, err := Evaluate("${workflow.input."+tt.expr+"}", ctx)
			require.NoError(t, err)
			require.Equal(t, js(t, tt.want), normalizeNumbers(got))
		})
	}
}

// normalizeNumbers turns the Go numbers of a value into json.Number, so that
// values built in Go compare with decoded JSON.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			out[k] = normalizeNumbers(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = normalizeNumbers(x)
		}
		return out
	case json.Number:
		return t
	}
	if s, ok := numberText(v); ok {
		return json.Number(s)
	}
	return v
}

func TestJavaDouble(t *testing.T) {
	t.Parallel()
	for f, want := range map[float64]any{
		0:          json.Number("0.0"),
		6:          json.Number("6.0"),
		-2.5:       json.Number("-2.5"),
		0.001:      json.Number("0.001"),
		0.0001:     json.Number("1.0E-4"),
		1e7:        json.Number("1.0E7"),
		1.5e-7:     json.Number("1.5E-7"),
		-1.25e21:   json.Number("-1.25E21"),
		math.NaN(): nil,
	} {
		require.Equal(t, want, javaDouble(f), "%v", f)
	}
	require.Nil(t, javaDouble(math.Inf(-1)))
}

func TestCompareNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"9007199254740993", "9007199254740992", 1, true},
		{"-5", "3", -1, true},
		{"1.0", "1", 0, true},
		{"1e2", "100", 0, true},
		{"1e999", "1", 1, true},
		{"-1e999", "1", -1, true},
		{"NaN", "1", 0, false},
		{"abc", "1", 0, false},
		{"1", "", 0, false},
	}
	for _, tt := range tests {
		got, ok := compareNumbers(tt.a, tt.b)
		require.Equal(t, tt.ok, ok, "%s vs %s", tt.a, tt.b)
		if ok {
			require.Equal(t, tt.want, got, "%s vs %s", tt.a, tt.b)
		}
	}
}

func TestCompilePathErrors(t *testing.T) {
	t.Parallel()
	for _, path := range []string{
		"", "a..", "a...b", "a.", "a[", "a[*", "a[?", "a[?(@.x", "a[?(@.x)", "a[?()]", "a['x'", "a['x',]",
		"a[1,]", "a[x]", "a[99999999999999999999]", "a[?(@.x == )]", "a[?(@.x == 1.)]", "a[?(@.x == 1e)]",
		"a[?(@.x == -)]", "a[?(@.x =~ 'x')]", "a[?(@.x =~ /x)]", "a[?(@.x =~ /x/g)]", "a[?(@.x in [1, 2)]",
		"a[?(x)]", "a[?(1)]", "a[?(@.x && )]", "a[?((@.x)]", "a..length()", "a.length(1)", "a b", "a[?(@.x == tru)]",
		"$x", "a[?(@.x == 'a)]", "a[?(@.x $)]",
	} {
		_, err := compilePath(path)
		require.Error(t, err, "%q", path)
	}
	for _, path := range []string{
		"$", "a", "a.b[0]['c'].*", "a..b", "a..*", "a..[0]", "a..['b','c']", "a[?(@.x)]", "a[ ?( @.x == 'y' ) ]",
		"a[?(@.x == \"y\\\"z\")]", "a[?(@.x =~ /a\\/b/ims)]", "a[?(@.x in [])]", "a[?(@.x in [[1], 'a', null, true])]",
		"a[-1:]", "a[:]", "a[0, 1 ,2]", "a.length()", "a[?(@.length() > 1)]", "a[?(!@.x || @.y && !(@.z))]",
		"a[?(@.x==1)]", "a[?(@.x==$.b)]",
	} {
		_, err := compilePath(path)
		require.NoError(t, err, "%q", path)
	}
}
