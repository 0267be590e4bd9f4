package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReshape(t *testing.T) {
	t.Parallel()
	data := `{"customer":{"id":12345678901234567890,"first":"Ada","last":null,"address":{"city":"London","zip":null}},
		"items":[{"sku":"A","qty":2},{"sku":"B"}],"note":null}`
	tests := []struct {
		name string
		req  string // the request without data
		want string
	}{
		{"pick and rename", `{"mapping":{"id":"customer.id","name.first":"customer.first","city":"$.customer.address.city"}}`,
			`{"id":12345678901234567890,"name":{"first":"Ada"},"city":"London"}`},
		{"wildcard and index", `{"mapping":{"skus":"items[*].sku","qtys":"items[*].qty","firstItem":"items[0]","last":"items[-1].sku"}}`,
			`{"skus":["A","B"],"qtys":[2],"firstItem":{"sku":"A","qty":2},"last":"B"}`},
		{"missing source left out", `{"mapping":{"a":"nope.nothing","b":"customer.first"}}`, `{"b":"Ada"}`},
		{"defaults fill missing and null", `{"mapping":{"last":"customer.last","first":"customer.first","tier":"customer.tier"},"defaults":{"last":"?","first":"X","tier":{"name":"basic"}}}`,
			`{"last":"?","first":"Ada","tier":{"name":"basic"}}`},
		{"no mapping copies data", `{"defaults":{"note":"none"},"dropNulls":true}`,
			`{"customer":{"id":12345678901234567890,"first":"Ada","address":{"city":"London"}},"items":[{"sku":"A","qty":2},{"sku":"B"}],"note":"none"}`},
		{"flatten", `{"mapping":{"c":"customer","n":"items"},"flatten":true,"dropNulls":true}`,
			`{"c.id":12345678901234567890,"c.first":"Ada","c.address.city":"London","n":[{"sku":"A","qty":2},{"sku":"B"}]}`},
		{"flatten separator", `{"mapping":{"a.b":"customer.first"},"flatten":true,"separator":"_"}`, `{"a_b":"Ada"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var req request
			require.NoError(t, json.Unmarshal([]byte(tt.req), &req))
			req.Data = json.RawMessage(data)
			out, err := reshape(&req)
			require.NoError(t, err)
			got, err := json.Marshal(out)
			require.NoError(t, err)
			require.JSONEq(t, tt.want, string(got))
		})
	}
}

func TestReshapeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, req, want string }{
		{"no data", `{"mapping":{}}`, "input data is missing: pass the document to reshape as data"},
		{"data not object", `{"data":[1]}`, "input data is not an object; give a mapping to pick values out of it"},
		{"bad input path", `{"data":{},"mapping":{"a":"x["}}`, `mapping "a": path "x[", at offset 1: '[' is not closed by ']'`},
		{"index in output path", `{"data":{"x":1},"mapping":{"a[0]":"x"}}`, `mapping "a[0]": path "a[0]" has an index or a wildcard; an output path is keys only, like a.b.c`},
		{"conflicting outputs", `{"data":{"x":1,"y":2},"mapping":{"a":"x","a.b":"y"}}`, `mapping "a.b": path "a.b": a already holds a value that is not an object`},
		{"flatten collision", `{"data":{"a.b":1,"a":{"b":2}},"flatten":true}`, `flatten: two values flatten to the key "a.b"; choose another separator`},
	}
	for _, tt := range tests {
		var req request
		require.NoError(t, json.Unmarshal([]byte(tt.req), &req), tt.name)
		_, err := reshape(&req)
		require.EqualError(t, err, tt.want, tt.name)
	}

	// The config carries the spec when the input does not.
	req := request{Data: json.RawMessage(`{"x":{"y":1}}`)}
	require.NoError(t, req.withConfig(func(k string) (string, bool) {
		v, ok := map[string]string{"mapping": `{"out":"x.y"}`, "defaults": `{"d":true}`}[k]
		return v, ok
	}))
	out, err := reshape(&req)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"out": json.Number("1"), "d": true}, out)
	req = request{}
	require.EqualError(t, req.withConfig(func(string) (string, bool) { return "[", true }),
		"config mapping is not a JSON object of path strings: unexpected end of JSON input")
}
