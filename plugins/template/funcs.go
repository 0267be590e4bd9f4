package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"text/template"
)

// funcs are the functions templates may call besides text/template's
// builtins (and, or, not, len, index, slice, print, printf, eq, lt, ...).
// They are pure: no clock, no randomness, no environment.
var funcs = template.FuncMap{
	"upper":     strings.ToUpper,
	"lower":     strings.ToLower,
	"trim":      strings.TrimSpace,
	"replace":   func(s, old, new string) string { return strings.ReplaceAll(s, old, new) },
	"contains":  func(s, sub string) bool { return strings.Contains(s, sub) },
	"hasPrefix": func(s, prefix string) bool { return strings.HasPrefix(s, prefix) },
	"hasSuffix": func(s, suffix string) bool { return strings.HasSuffix(s, suffix) },
	"split":     func(s, sep string) []string { return strings.Split(s, sep) },
	"join":      join,
	"default":   defaultValue,
	"json":      toJSON,
}

// join joins the items of a list, printed as by print.
func join(list any, sep string) (string, error) {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return "", fmt.Errorf("join: %T is not a list", list)
	}
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = fmt.Sprint(v.Index(i).Interface())
	}
	return strings.Join(parts, sep), nil
}

// defaultValue is value, or def when value is missing, null, false, 0 or
// empty: {{.name | default "anonymous"}}.
func defaultValue(def, value any) any {
	if value == nil {
		return def
	}
	if v := reflect.ValueOf(value); v.IsZero() || ((v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() == 0) {
		return def
	}
	return value
}

// toJSON renders a value as compact JSON: {{json .items}}.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("json: %v", err)
	}
	return string(b), nil
}
