package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func ptr(s string) *string { return &s }

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, template, data, missingKey, want string
	}{
		{"field", `Hello {{.name}}!`, `{"name":"Ada"}`, "", "Hello Ada!"},
		{"range", `{{range $i, $x := .items}}{{if $i}}, {{end}}{{$x.sku}}x{{$x.n}}{{end}}`, `{"items":[{"sku":"A","n":2},{"sku":"B","n":10}]}`, "", "Ax2, Bx10"},
		{"integers compare", `{{if gt .n 5}}big{{else}}small{{end}}`, `{"n":7}`, "", "big"},
		{"large id printed whole", `{{.id}}`, `{"id":9007199254740993}`, "", "9007199254740993"},
		{"float", `{{.x}}`, `{"x":1.5}`, "", "1.5"},
		{"funcs", `{{upper .a}} {{lower .b}} {{join .l "+"}} {{.missing | default "none"}} {{json .o}} {{replace .a "a" "o"}}`,
			`{"a":"abc","b":"DEF","l":[1,"x"],"o":{"k":[true]}}`, "", `ABC def 1+x none {"k":[true]} obc`},
		{"missing default", `[{{.nope}}]`, `{}`, "", "[<no value>]"},
		{"no data", `static`, ``, "", "static"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := render(&request{Template: ptr(tt.template), Data: json.RawMessage(tt.data), MissingKey: tt.missingKey}, "")
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, template, data, missingKey, want string
	}{
		{"parse error names the line", "line one\n{{.a}}\n{{if .b}}unclosed", `{}`, "",
			`template line 3 ("{{if .b}}unclosed"): unexpected EOF`},
		{"bad action", "ok\n{{.a | nosuch}}", `{}`, "",
			`template line 2 ("{{.a | nosuch}}"): function "nosuch" not defined`},
		{"execution error names line and column", "a\nb {{index .list 5}}", `{"list":[1]}`, "",
			`template line 2, column 4 ("b {{index .list 5}}"): <index .list 5>: error calling index: index out of range: 5`},
		{"missing key error", "x {{.user.name}}", `{"user":{}}`, "error",
			`template line 1, column 9 ("x {{.user.name}}"): <.user.name>: map has no entry for key "name"`},
		{"bad missingKey", "x", `{}`, "strict", `missingKey "strict": use default or error`},
		{"bad data", "x", `{`, "", `input data is not JSON: unexpected EOF`},
		{"too long", `{{range .l}}{{$.s}}{{end}}`, `{"s":"` + strings.Repeat("x", 1000) + `","l":[` + strings.Repeat("0,", 2000) + `0]}`, "",
			"the rendered text passed 1048576 bytes; render less (a loop over a large list?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := render(&request{Template: ptr(tt.template), Data: json.RawMessage(tt.data), MissingKey: tt.missingKey}, "")
			require.EqualError(t, err, tt.want)
		})
	}
	_, err := render(&request{}, "")
	require.EqualError(t, err, "no template: pass one as input template or set config template in the plugin's manifest")
	got, err := render(&request{Data: json.RawMessage(`{"n":"x"}`)}, "config {{.n}}")
	require.NoError(t, err)
	require.Equal(t, "config x", got)
}
