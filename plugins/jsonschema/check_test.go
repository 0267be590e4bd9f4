package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestValidate runs payloads against schemas natively; plugins_test.go runs
// the built plugin.
func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema, payload string
		want                  []verror // nil: valid
	}{
		{"type ok", `{"type":"string"}`, `"x"`, nil},
		{"type", `{"type":"string"}`, `3`, []verror{{"", "must be string; it is integer"}}},
		{"type list", `{"type":["string","null"]}`, `null`, nil},
		{"integer accepts 1.0", `{"type":"integer"}`, `1.0`, nil},
		{"integer refuses 1.5", `{"type":"integer"}`, `1.5`, []verror{{"", "must be integer; it is number"}}},
		{"number accepts integer", `{"type":"number"}`, `7`, nil},
		{"big integer exact", `{"maximum":9007199254740993}`, `9007199254740994`, []verror{{"", "must be <= 9007199254740993; it is 9007199254740994"}}},
		{"enum", `{"enum":["a",1,{"b":[true]}]}`, `{"b":[true]}`, nil},
		{"enum numbers by value", `{"enum":[1]}`, `1.0`, nil},
		{"enum miss", `{"enum":["a","b"]}`, `"c"`, []verror{{"", `must be one of ["a","b"]`}}},
		{"const", `{"const":{"a":1}}`, `{"a":2}`, []verror{{"", `must be {"a":1}`}}},
		{"minimum", `{"minimum":0}`, `-1`, []verror{{"", "must be >= 0; it is -1"}}},
		{"exclusive", `{"exclusiveMinimum":0,"exclusiveMaximum":10}`, `10`, []verror{{"", "must be < 10; it is 10"}}},
		{"multipleOf decimal", `{"multipleOf":0.1}`, `0.3`, nil},
		{"multipleOf miss", `{"multipleOf":0.5}`, `0.3`, []verror{{"", "must be a multiple of 0.5"}}},
		{"lengths count characters", `{"minLength":2,"maxLength":3}`, `"été"`, nil},
		{"maxLength", `{"maxLength":2}`, `"abc"`, []verror{{"", "must be at most 2 characters long; it has 3"}}},
		{"pattern unanchored", `{"pattern":"b+"}`, `"abbc"`, nil},
		{"pattern", `{"pattern":"^[a-z]+$"}`, `"Ab"`, []verror{{"", "must match the pattern ^[a-z]+$"}}},
		{"items", `{"items":{"type":"integer"},"minItems":1,"maxItems":3}`, `[1,"x",3,4]`, []verror{
			{"", "must have at most 3 items; it has 4"}, {"/1", "must be integer; it is string"}}},
		{"prefixItems then items", `{"prefixItems":[{"type":"string"}],"items":{"type":"integer"}}`, `["a",1,"b"]`, []verror{
			{"/2", "must be integer; it is string"}}},
		{"uniqueItems", `{"uniqueItems":true}`, `[1,2,1.0]`, []verror{{"", "items 0 and 2 are equal; the items must be unique"}}},
		{"contains", `{"contains":{"const":"x"},"minContains":2}`, `["x","y"]`, []verror{{"", "must have at least 2 items matching contains (/contains); it has 1"}}},
		{"object", `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0}},"required":["name","email"],"additionalProperties":false}`,
			`{"age":-3,"nick":"x"}`, []verror{
				{"", `property "name" is required`},
				{"", `property "email" is required`},
				{"/age", "must be >= 0; it is -3"},
				{"", `property "nick" is not allowed (additionalProperties is false)`},
			}},
		{"additionalProperties schema", `{"properties":{"a":{}},"additionalProperties":{"type":"number"}}`, `{"a":"x","b":"y"}`, []verror{{"/b", "must be number; it is string"}}},
		{"patternProperties", `{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}`, `{"x-a":"ok","x-b":1}`, []verror{{"/x-b", "must be string; it is integer"}}},
		{"propertyNames", `{"propertyNames":{"maxLength":2}}`, `{"abc":1}`, []verror{{"", `property name "abc" does not match propertyNames (/propertyNames)`}}},
		{"min max properties", `{"minProperties":2}`, `{"a":1}`, []verror{{"", "must have at least 2 properties; it has 1"}}},
		{"dependentRequired", `{"dependentRequired":{"card":["cvv"]}}`, `{"card":"1"}`, []verror{{"", `property "cvv" is required when "card" is present`}}},
		{"pointer escapes", `{"properties":{"a/b":{"type":"null"}}}`, `{"a/b":1}`, []verror{{"/a~1b", "must be null; it is integer"}}},
		{"anyOf", `{"anyOf":[{"type":"string"},{"minimum":5}]}`, `3`, []verror{{"", "must match at least one of the 2 schemas in anyOf (/anyOf); it matches none"}}},
		{"anyOf ok", `{"anyOf":[{"type":"string"},{"minimum":5}]}`, `6`, nil},
		{"oneOf two", `{"oneOf":[{"type":"integer"},{"minimum":0}]}`, `3`, []verror{{"", "must match exactly one of the schemas in oneOf (/oneOf); it matches 0 and 1"}}},
		{"oneOf one", `{"oneOf":[{"type":"integer"},{"minimum":0}]}`, `-3`, nil},
		{"allOf", `{"allOf":[{"type":"string"},{"minLength":3}]}`, `"ab"`, []verror{{"", "must be at least 3 characters long; it has 2"}}},
		{"not", `{"not":{"type":"null"}}`, `null`, []verror{{"", "must not match the schema in not (/not)"}}},
		{"if then else", `{"if":{"properties":{"kind":{"const":"card"}}},"then":{"required":["number"]},"else":{"required":["iban"]}}`,
			`{"kind":"bank"}`, []verror{{"", `property "iban" is required`}}},
		{"ref to defs", `{"$defs":{"pos":{"type":"integer","minimum":1}},"properties":{"n":{"$ref":"#/$defs/pos"}}}`, `{"n":0}`, []verror{{"/n", "must be >= 1; it is 0"}}},
		{"recursive ref", `{"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}},"name":{"type":"string"}}}`,
			`{"name":"a","children":[{"name":"b","children":[{"name":3}]}]}`, []verror{{"/children/0/children/0/name", "must be string; it is integer"}}},
		{"false schema", `{"properties":{"x":false}}`, `{"x":1}`, []verror{{"/x", "no value is allowed here (the schema is false)"}}},
		{"true schema", `true`, `{"anything":[1]}`, nil},
		{"annotations ignored", `{"title":"t","description":"d","format":"email","examples":["x"],"$schema":"https://json-schema.org/draft/2020-12/schema"}`, `"not an email"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := check(&request{Schema: json.RawMessage(tt.schema), Payload: json.RawMessage(tt.payload)}, "")
			require.NoError(t, err)
			require.Equal(t, tt.want, r.Errors)
			require.Equal(t, tt.want == nil, r.Valid)
		})
	}
}

func TestSchemaErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ schema, want string }{
		{`{"type":"text"}`, `input schema is not usable: schema /type: "text" is not a type; use one of null, boolean, object, array, number, string, integer`},
		{`{"minLength":-1}`, `input schema is not usable: schema /minLength: must be a non-negative integer`},
		{`{"properties":{"a":{"pattern":"(?=x)"}}}`, `input schema is not usable: schema /properties/a/pattern: pattern "(?=x)" is not a regular expression this plugin supports (Go RE2 syntax: no lookaround or backreferences): error parsing regexp: invalid or unsupported Perl syntax: ` + "`(?=`"},
		{`{"$ref":"https://example.com/s.json"}`, `input schema is not usable: schema /$ref: $ref "https://example.com/s.json": only references inside this schema are supported, such as #/$defs/name`},
		{`{"$ref":"#/$defs/missing"}`, `input schema is not usable: schema /$ref: $ref "#/$defs/missing" points at nothing in this schema`},
		{`{"unevaluatedProperties":false}`, `input schema is not usable: schema /unevaluatedProperties: unevaluatedProperties is not supported by this plugin; use additionalProperties`},
		{`{"items":[{}]}`, `input schema is not usable: schema /items: items is an array; in draft 2020-12 write prefixItems for a tuple`},
		{`{"anyOf":[]}`, `input schema is not usable: schema /anyOf: anyOf must be a non-empty array of schemas`},
		{`[1]`, `input schema is not usable: schema (root): a schema is an object or a boolean, not array`},
		{`{"type":`, `input schema is not JSON: unexpected EOF`},
		{`{"multipleOf":0}`, `input schema is not usable: schema /multipleOf: multipleOf must be greater than 0`},
	}
	for _, tt := range tests {
		_, err := check(&request{Schema: json.RawMessage(tt.schema), Payload: json.RawMessage(`1`)}, "")
		require.EqualError(t, err, tt.want, tt.schema)
	}

	_, err := check(&request{Payload: json.RawMessage(`1`)}, "")
	require.EqualError(t, err, "no schema: pass one as input schema or set config schema in the plugin's manifest")
	_, err = check(&request{Schema: json.RawMessage(`true`)}, "")
	require.EqualError(t, err, "input payload is missing: pass the JSON value to validate as payload")
	r, err := check(&request{Payload: json.RawMessage(`"x"`)}, `{"type":"integer"}`)
	require.NoError(t, err)
	require.Equal(t, []verror{{"", "must be integer; it is string"}}, r.Errors)
}

func TestValidationBounds(t *testing.T) {
	t.Parallel()
	_, err := check(&request{Schema: json.RawMessage(`{"$ref":"#"}`), Payload: json.RawMessage(`1`)}, "")
	require.EqualError(t, err, "validation went over 512 levels deep at (root); does a $ref refer to itself without descending into the payload?")

	r, err := check(&request{Schema: json.RawMessage(`{"items":{"type":"string"}}`), Payload: json.RawMessage(`[` + repeat("1,", 150) + `1]`)}, "")
	require.NoError(t, err)
	require.Len(t, r.Errors, maxErrors)
	require.True(t, r.Truncated)
	require.Equal(t, true, r.output()["errorsTruncated"])
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
