package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/batonhq/baton/plugins/internal/docpath"
	"regexp"
	"strconv"
	"strings"
	"text/template"
)

// request is the task input of the plugin.
type request struct {
	// Template is the text/template source; when absent, the manifest's
	// config "template".
	Template *string `json:"template"`
	// Data is the value the template renders ("." in the template).
	Data json.RawMessage `json:"data"`
	// MissingKey is what a missing map key does: "default" renders
	// "<no value>" (text/template's default; {{.x | default "none"}} picks
	// another), "error" fails the task naming the line.
	MissingKey string `json:"missingKey"`
}

// Bounds of one rendering.
const (
	maxTemplateBytes = 256 << 10
	// maxTextBytes stops a template whose loops would build more text
	// than a task output holds, with a clear reason instead of an
	// out-of-memory trap.
	maxTextBytes = 1 << 20
)

// render renders req and returns the text. Its errors name the line (and
// the column, for execution errors) of the template.
func render(req *request, configTemplate string) (string, error) {
	src := configTemplate
	if req.Template != nil {
		src = *req.Template
	} else if src == "" {
		return "", errors.New("no template: pass one as input template or set config template in the plugin's manifest")
	}
	if len(src) > maxTemplateBytes {
		return "", fmt.Errorf("template is %d bytes; at most %d are allowed", len(src), maxTemplateBytes)
	}
	option := "missingkey=default"
	switch req.MissingKey {
	case "", "default":
	case "error":
		option = "missingkey=error"
	default:
		return "", fmt.Errorf("missingKey %q: use default or error", req.MissingKey)
	}
	var data any
	if len(req.Data) > 0 {
		var err error
		if data, err = decode(req.Data); err != nil {
			return "", fmt.Errorf("input data is not JSON: %v", err)
		}
	}
	tpl, err := template.New("template").Option(option).Funcs(funcs).Parse(src)
	if err != nil {
		return "", lineError(err, src)
	}
	var out limitedBuffer
	if err := tpl.Execute(&out, data); err != nil {
		if errors.Is(err, errTooLong) {
			return "", fmt.Errorf("the rendered text passed %d bytes; render less (a loop over a large list?)", maxTextBytes)
		}
		return "", lineError(err, src)
	}
	return out.String(), nil
}

// templateError matches text/template's messages: "template: NAME:LINE: msg"
// for parse errors and "template: NAME:LINE:COL: executing ..." at run time.
var templateError = regexp.MustCompile(`^template: template:(\d+)(?::(\d+))?: (.*)$`)

// lineError rewrites a text/template error to start with the line (and
// column) and quote that line of the template.
func lineError(err error, src string) error {
	m := templateError.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	n, _ := strconv.Atoi(m[1])
	at := "line " + m[1]
	if m[2] != "" {
		at += ", column " + m[2]
	}
	msg := strings.TrimPrefix(m[3], `executing "template" at `)
	lines := strings.Split(src, "\n")
	if n >= 1 && n <= len(lines) {
		line := lines[n-1]
		if len(line) > 120 {
			line = line[:120] + "…"
		}
		return fmt.Errorf("template %s (%q): %s", at, line, msg)
	}
	return fmt.Errorf("template %s: %s", at, msg)
}

var errTooLong = errors.New("rendered text too long")

// limitedBuffer fails a write past maxTextBytes.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxTextBytes {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

// decode parses JSON with integers as int64 (so that {{if gt .n 5}} and
// printing a large id work) and other numbers as float64.
func decode(b []byte) (any, error) {
	v, err := docpath.Decode(b)
	if err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return string(v)
	case []any:
		for i, e := range v {
			v[i] = numbers(e)
		}
	case map[string]any:
		for k, e := range v {
			v[k] = numbers(e)
		}
	}
	return v
}
