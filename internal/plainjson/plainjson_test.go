package plainjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var values = []string{
	`{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00 \ud800x \udc00 \ud83d\u0041","n":-1.5e+10,"z":0,"neg":-0.25,` +
		`"a":[1,[2,{}],[],null,true,false],"o":{"x":{"y":"z"}},"dup":1,"dup":2,"bad":"\xff\xfeok"}`,
	` [ 1 , "x" , { "k" : [ ] } ] `, `"\u0000"`, `0`, `-0.0e-0`, `1E+2`, `true`, `null`,
	`01`, `1.`, `.5`, `-`, `1e`, `"x`, `"\q"`, "\"\x01\"", `{"a" 1}`, `{"a":1,}`, `[1,]`, `tru`, `nul`, `{`, `[`, ``, `{} x`,
}

// TestValue checks Value against encoding/json with UseNumber: the same
// value, or an error from both.
func TestValue(t *testing.T) {
	for _, v := range values {
		checkValue(t, []byte(v))
	}
}

func FuzzValue(f *testing.F) {
	for _, v := range values {
		f.Add([]byte(v))
	}
	f.Fuzz(checkValue)
}

func checkValue(t *testing.T, in []byte) {
	var want any
	valid := json.Valid(in)
	if valid {
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&want))
	}
	p := NewParser(in)
	got, err := p.Value()
	if err == nil {
		err = p.End()
	}
	if !valid {
		require.ErrorIs(t, err, ErrFallback, "%q", in)
		return
	}
	require.NoError(t, err, "%q", in)
	require.Equal(t, want, got, "%q", in)

	out, err := AppendValue(nil, got)
	require.NoError(t, err)
	require.True(t, json.Valid(out), "%q", out)
	back := NewParser(out)
	again, err := back.Value()
	require.NoError(t, err)
	require.Equal(t, got, again, "%q", out)
}

// TestAppendSorted checks that AppendSorted writes what encoding/json does
// for plain values.
func TestAppendSorted(t *testing.T) {
	v := map[string]any{"b": []any{map[string]any{"z": 1, "a": "x"}}, "B": json.Number("2"), "a": map[string]string{"y": "1", "x": "2"}, "c": nil}
	want, err := json.Marshal(v)
	require.NoError(t, err)
	got, err := AppendSorted(nil, v)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// TestTree checks Tree against Value: valid input parses into nodes from
// which the same value is rebuilt, invalid input is ErrFallback.
func TestTree(t *testing.T) {
	for _, v := range values {
		checkTree(t, []byte(v))
	}
}

func FuzzTree(f *testing.F) {
	for _, v := range values {
		f.Add([]byte(v))
	}
	f.Fuzz(checkTree)
}

func checkTree(t *testing.T, in []byte) {
	vp := NewParser(in)
	want, err := vp.Value()
	if err == nil {
		err = vp.End()
	}
	p := NewParser(in)
	nodes, terr := p.Tree(nil)
	if terr == nil {
		terr = p.End()
	}
	if err != nil {
		require.ErrorIs(t, terr, ErrFallback, "%q", in)
		return
	}
	require.NoError(t, terr, "%q", in)
	got, next := fromTree(t, p.Text(), nodes, 0)
	require.Equal(t, len(nodes), int(next), "%q: the root's nodes are all the nodes", in)
	require.Equal(t, want, got, "%q", in)
}

// fromTree rebuilds the value of node i, checking the node's text and
// Next, and returns it with the index after its nodes.
func fromTree(t *testing.T, text string, nodes []Node, i int32) (any, int32) {
	n := nodes[i]
	raw := text[n.Start:n.End]
	switch n.Kind {
	case KindObject, KindArray:
		require.Equal(t, n.Kind, raw[0])
		m, a := map[string]any{}, []any{}
		c := i + 1
		for c < n.Next {
			var key string
			if n.Kind == KindObject {
				k, after := fromTree(t, text, nodes, c)
				key, c = k.(string), after
			}
			v, after := fromTree(t, text, nodes, c)
			require.Equal(t, nodes[c].Next, after)
			c = after
			if n.Kind == KindObject {
				m[key] = v
			} else {
				a = append(a, v)
			}
		}
		require.Equal(t, n.Next, c)
		if n.Kind == KindObject {
			return m, c
		}
		return a, c
	case KindString:
		s, err := NewParser([]byte(raw)).Str()
		require.NoError(t, err)
		require.Equal(t, n.Plain, s == raw[1:len(raw)-1], "Plain of %q", raw)
		return s, i + 1
	case KindNumber:
		return json.Number(raw), i + 1
	case KindTrue:
		require.Equal(t, "true", raw)
		return true, i + 1
	case KindFalse:
		require.Equal(t, "false", raw)
		return false, i + 1
	}
	require.Equal(t, "null", raw)
	return nil, i + 1
}

// TestTreeDepth: nesting deeper than the stack kept on the Go stack parses,
// nesting beyond maxDepth does not.
func TestTreeDepth(t *testing.T) {
	for _, tc := range []struct {
		depth int
		ok    bool
	}{{100, true}, {maxDepth, true}, {maxDepth + 1, false}} {
		in := strings.Repeat(`{"a":[`, tc.depth/2) + `1` + strings.Repeat(`]}`, tc.depth/2)
		if tc.depth%2 == 1 {
			in = "[" + in + "]"
		}
		nodes, err := NewParser([]byte(in)).Tree(nil)
		if !tc.ok {
			require.ErrorIs(t, err, ErrFallback)
			continue
		}
		require.NoError(t, err)
		require.Len(t, nodes, tc.depth+tc.depth/2+1, "a node per container, per key and the 1")
		require.EqualValues(t, len(nodes), nodes[0].Next)
	}
}
