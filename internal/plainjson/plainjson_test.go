package plainjson

import (
	"bytes"
	"encoding/json"
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
