// Package docpath reads and writes values in decoded JSON documents
// (map[string]any, []any, scalars) by short paths, for the first-party
// plugins that take field paths as input (hash, reshape), and parses
// documents keeping their numbers exact (Decode).
//
// A path is a dot-separated list of object keys with optional array steps:
//
//	user.email          key "email" of key "user"
//	items[0].sku        key "sku" of the first element of "items"
//	items[-1]           the last element
//	items[*].sku        the "sku" of every element, as a list
//	["a.b"].c           a key holding a dot, quoted as a JSON string
//	$ or ""             the whole document
//
// A leading "$." is accepted and ignored, so that paths read like the
// ${...} expressions of a workflow definition.
package docpath

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxPathLen bounds a path's text, so that one input cannot make a plugin
// parse megabytes of steps.
const maxPathLen = 4096

type stepKind uint8

const (
	stepKey stepKind = iota
	stepIndex
	stepAll
)

type step struct {
	kind  stepKind
	key   string
	index int
}

// Path is a parsed path.
type Path struct {
	text  string
	steps []step
}

// String returns the path as it was written.
func (p Path) String() string { return p.text }

// Keys reports whether every step of p is an object key (no index, no
// wildcard): only such paths can be written with Set.
func (p Path) Keys() bool {
	for _, s := range p.steps {
		if s.kind != stepKey {
			return false
		}
	}
	return true
}

// Parse parses a path. Its errors say where the path goes wrong.
func Parse(text string) (Path, error) {
	p := Path{text: text}
	if len(text) > maxPathLen {
		return p, fmt.Errorf("path is %d bytes; at most %d are allowed", len(text), maxPathLen)
	}
	s := text
	switch {
	case s == "$":
		return p, nil
	case strings.HasPrefix(s, "$."), strings.HasPrefix(s, "$["):
		s = strings.TrimPrefix(s[1:], ".")
	}
	pos := len(text) - len(s)
	fail := func(format string, args ...any) (Path, error) {
		return p, fmt.Errorf("path %q, at offset %d: %s", text, pos, fmt.Sprintf(format, args...))
	}
	first := true
	for len(s) > 0 {
		switch {
		case s[0] == '[':
			end := closing(s)
			if end < 0 {
				return fail("'[' is not closed by ']'")
			}
			inner := s[1:end]
			switch {
			case inner == "*":
				p.steps = append(p.steps, step{kind: stepAll})
			case strings.HasPrefix(inner, `"`):
				var key string
				if err := json.Unmarshal([]byte(inner), &key); err != nil {
					return fail("%s is not a JSON string", inner)
				}
				p.steps = append(p.steps, step{kind: stepKey, key: key})
			default:
				n, err := strconv.Atoi(inner)
				if err != nil {
					return fail("[%s] is not an index: write [0], [-1], [*] or [\"key\"]", inner)
				}
				p.steps = append(p.steps, step{kind: stepIndex, index: n})
			}
			s = s[end+1:]
			pos += end + 1
		case s[0] == '.':
			if first {
				return fail("a path does not start with '.'")
			}
			s = s[1:]
			pos++
			if s == "" || s[0] == '.' || s[0] == '[' {
				return fail("a key is missing after '.'")
			}
			fallthrough
		default:
			n := strings.IndexAny(s, ".[")
			if n < 0 {
				n = len(s)
			}
			if n == 0 {
				return fail("a key is missing")
			}
			p.steps = append(p.steps, step{kind: stepKey, key: s[:n]})
			s = s[n:]
			pos += n
		}
		first = false
	}
	return p, nil
}

// closing returns the index of the ']' closing the '[' at s[0], skipping a
// quoted key, or -1.
func closing(s string) int {
	inString := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == ']':
			return i
		}
	}
	return -1
}

// Get returns the value at p in doc and whether it is there. A wildcard
// step yields the list of what the rest of the path finds in each element
// (elements where it finds nothing are left out).
func (p Path) Get(doc any) (any, bool) {
	return get(doc, p.steps)
}

func get(v any, steps []step) (any, bool) {
	for i, s := range steps {
		switch s.kind {
		case stepKey:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s.key]; !ok {
				return nil, false
			}
		case stepIndex:
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			n := s.index
			if n < 0 {
				n += len(a)
			}
			if n < 0 || n >= len(a) {
				return nil, false
			}
			v = a[n]
		case stepAll:
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			out := make([]any, 0, len(a))
			for _, e := range a {
				if x, ok := get(e, steps[i+1:]); ok {
					out = append(out, x)
				}
			}
			return out, true
		}
	}
	return v, true
}

// Set writes value at p in the object doc, creating the objects on the
// way. p must have only key steps (Keys) and at least one; a step that
// meets a value that is not an object is an error, so that one mapping
// never silently overwrites another.
func (p Path) Set(doc map[string]any, value any) error {
	if len(p.steps) == 0 {
		return fmt.Errorf("path %q names the whole document; name a key to write", p.text)
	}
	if !p.Keys() {
		return fmt.Errorf("path %q has an index or a wildcard; an output path is keys only, like a.b.c", p.text)
	}
	m := doc
	for i, s := range p.steps[:len(p.steps)-1] {
		next, ok := m[s.key]
		if !ok || next == nil {
			child := map[string]any{}
			m[s.key] = child
			m = child
			continue
		}
		if m, ok = next.(map[string]any); !ok {
			return fmt.Errorf("path %q: %s already holds a value that is not an object", p.text, keysText(p.steps[:i+1]))
		}
	}
	m[p.steps[len(p.steps)-1].key] = value
	return nil
}

func keysText(steps []step) string {
	keys := make([]string, len(steps))
	for i, s := range steps {
		keys[i] = s.key
	}
	return strings.Join(keys, ".")
}

// Decode parses a JSON document keeping numbers as written (json.Number),
// so that large ids keep every digit.
func Decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}
