// Package plainjson reads and writes JSON made of plain values (objects as
// map[string]any, arrays as []any, strings, numbers as json.Number,
// booleans, null) without reflection, for the plugin path: the host's task
// input and result output, and sdk/plugin inside Go guests, where
// encoding/json's reflection costs some 20 times what it does natively.
//
// It is a fast path, not a replacement: where it meets something it does not
// handle exactly as encoding/json would (input that is not valid JSON, a
// type it does not write), it says so (ErrFallback; AppendValue hands the
// value to encoding/json), and the caller uses encoding/json, whose result
// and error messages are the reference.
package plainjson

import (
	"encoding/json"
	"errors"
	"iter"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ErrFallback says that the input is not what the fast path handles: the
// caller decodes it with encoding/json instead (which says what is wrong).
var ErrFallback = errors.New("plainjson: use encoding/json")

// NewParser returns a Parser of b. It copies b once, so that the strings it
// returns do not alias b.
func NewParser(b []byte) *Parser { return &Parser{b: b, s: string(b)} }

// End checks that only white space is left.
func (p *Parser) End() error {
	p.ws()
	if p.i != len(p.b) {
		return ErrFallback
	}
	return nil
}

// Str parses a string; ErrFallback if the value is not one.
func (p *Parser) Str() (string, error) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", ErrFallback
	}
	return p.str()
}

// Int parses an integer that fits in bits bits; ErrFallback if the value is
// not one.
func (p *Parser) Int(bits int) (int64, error) {
	p.ws()
	if p.i >= len(p.b) || (p.b[p.i] != '-' && (p.b[p.i] < '0' || p.b[p.i] > '9')) {
		return 0, ErrFallback
	}
	num, err := p.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(num, 10, bits)
	if err != nil {
		return 0, ErrFallback
	}
	return v, nil
}

// FoldsTo reports whether encoding/json, which matches names without
// regard to case, would take key for name.
func FoldsTo(key, name string) bool {
	if len(key) != len(name) {
		for i := range len(key) { // non-ASCII letters may fold to ASCII ones (K, ſ)
			if key[i] >= utf8.RuneSelf {
				return strings.EqualFold(key, name)
			}
		}
		return false
	}
	return strings.EqualFold(key, name)
}

// Parser parses JSON into map[string]any, []any, string, json.Number, bool
// and nil, as encoding/json with UseNumber does. Strings without escapes,
// keys and numbers are substrings of one copy of the input, rather than an
// allocation each: Go's allocator is a good part of a wasm guest's time.
// Where the input is not valid JSON its methods return ErrFallback.
type Parser struct {
	b []byte
	s string // b as a string, for substrings
	i int
}

func (p *Parser) ws() {
	b, i := p.b, p.i
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	p.i = i
}

// Null consumes a null, if the next value is one.
func (p *Parser) Null() bool {
	p.ws()
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// Object parses an object, calling member with each key; member must
// parse the value (Value, Skip, Str, Int, Members...).
func (p *Parser) Object(member func(key string) error) error {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return ErrFallback
	}
	p.i++
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return ErrFallback
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return ErrFallback
		}
		p.i++
		if err := member(key); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return ErrFallback
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return ErrFallback
		}
	}
}

// object0 parses an object into a new map.
func (p *Parser) object0() (map[string]any, error) {
	m := map[string]any{}
	return m, p.Members(m)
}

// Members parses an object into m (a duplicate key keeps its last value).
func (p *Parser) Members(m map[string]any) error {
	return p.Object(func(key string) error {
		v, err := p.Value()
		m[key] = v
		return err
	})
}

// Skip parses a value and drops it, building nothing.
func (p *Parser) Skip() error {
	p.ws()
	if p.i >= len(p.b) {
		return ErrFallback
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.Object(func(string) error { return p.Skip() })
	case c == '[':
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return nil
		}
		for {
			if err := p.Skip(); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.b) {
				return ErrFallback
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return nil
			default:
				return ErrFallback
			}
		}
	case c == '"':
		_, err := p.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := p.number()
		return err
	}
	_, err := p.Value() // a literal
	return err
}

// Value parses any value.
func (p *Parser) Value() (any, error) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, ErrFallback
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object0()
	case c == '[':
		p.i++
		s := []any{}
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return s, nil
		}
		for {
			v, err := p.Value()
			if err != nil {
				return nil, err
			}
			s = append(s, v)
			p.ws()
			if p.i >= len(p.b) {
				return nil, ErrFallback
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return s, nil
			default:
				return nil, ErrFallback
			}
		}
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := p.number()
		return json.Number(n), err
	case p.Null():
		return nil, nil
	case len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "true":
		p.i += 4
		return true, nil
	case len(p.b)-p.i >= 5 && string(p.b[p.i:p.i+5]) == "false":
		p.i += 5
		return false, nil
	}
	return nil, ErrFallback
}

// isNumber reports whether s is exactly a JSON number.
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	p := Parser{b: unsafe.Slice(unsafe.StringData(s), len(s)), s: s} // read only
	_, err := p.number()
	return err == nil && p.i == len(s)
}

// number scans a JSON number at p.i.
func (p *Parser) number() (string, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if p.digits() == 0 {
		return "", ErrFallback
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return "", ErrFallback
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return "", ErrFallback
		}
	}
	return p.s[start:p.i], nil
}

// digits scans decimal digits and returns how many.
func (p *Parser) digits() int {
	b, i := p.b, p.i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	n := i - p.i
	p.i = i
	return n
}

// str parses a string at p.i (at its quote); invalid UTF-8 becomes U+FFFD
// byte by byte, as in encoding/json.
func (p *Parser) str() (string, error) {
	// The loop reads locals, not the Parser's fields: a Go guest keeps
	// those in memory, and this loop is most of a parse.
	b := p.b
	start := p.i + 1
	ascii := true
	for i := start; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			s := p.s[start:i]
			p.i = i + 1
			if !ascii && !utf8.ValidString(s) {
				return string(appendValid(nil, b[start:i])), nil
			}
			return s, nil
		case c >= utf8.RuneSelf:
			ascii = false
		case c == '\\':
			p.i = i
			return p.strEscaped(start)
		case c < 0x20:
			return "", ErrFallback
		}
	}
	return "", ErrFallback
}

// strEscaped is str for a string with escapes, p.i at the first.
func (p *Parser) strEscaped(start int) (string, error) {
	buf := appendValid(make([]byte, 0, p.i-start+16), p.b[start:p.i])
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", ErrFallback
		case c != '\\':
			end := p.i
			for end < len(p.b) && p.b[end] != '"' && p.b[end] != '\\' && p.b[end] >= 0x20 {
				end++
			}
			buf = appendValid(buf, p.b[p.i:end])
			p.i = end
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", ErrFallback
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", ErrFallback
			}
			if utf16.IsSurrogate(r) {
				// A valid pair is one rune; anything else is U+FFFD and
				// the next escape is read on its own, as in encoding/json.
				dec := utf8.RuneError
				if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if r2, ok := p.hex4(); ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
						dec = utf16.DecodeRune(r, r2)
					} else {
						p.i = save
					}
				}
				r = dec
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", ErrFallback
		}
	}
	return "", ErrFallback
}

func (p *Parser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.b[p.i : p.i+4] {
		d := unhex(c)
		if d < 0 {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.i += 4
	return r, true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// appendValid appends s with each byte of invalid UTF-8 replaced by U+FFFD.
func appendValid(buf, s []byte) []byte {
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			buf = append(buf, "\uFFFD"...)
		} else {
			buf = append(buf, s[:n]...)
		}
		s = s[n:]
	}
	return buf
}

// AppendValue appends v as JSON: by hand for the types JSON decodes into
// and the common scalars, through encoding/json for the others. Map keys
// come in no particular order (sorting them costs a good part of the
// writing, and a reader that decodes into a map has no use for it).
// Strings are not HTML-escaped.
func AppendValue(buf []byte, v any) ([]byte, error) { return appendValue(buf, v, false) }

// AppendSorted is AppendValue with map keys sorted, as encoding/json writes
// them: for a reader that decodes into a struct, where of two keys that
// differ only in case the last one wins.
func AppendSorted(buf []byte, v any) ([]byte, error) { return appendValue(buf, v, true) }

func appendValue(buf []byte, v any, sorted bool) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return AppendString(buf, v), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case json.Number:
		if v == "" {
			return append(buf, '0'), nil // as encoding/json
		}
		if !isNumber(string(v)) {
			return appendMarshal(buf, v) // its error
		}
		return append(buf, v...), nil
	case float64:
		return appendFloat(buf, v, 64)
	case float32:
		return appendFloat(buf, float64(v), 32)
	case int:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(buf, v, 10), nil
	case int32:
		return strconv.AppendInt(buf, int64(v), 10), nil
	case uint64:
		return strconv.AppendUint(buf, v, 10), nil
	case uint32:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case uint:
		return strconv.AppendUint(buf, uint64(v), 10), nil
	case map[string]any:
		if v == nil {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '{')
		if sorted {
			for i, k := range slices.Sorted(maps.Keys(v)) {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = AppendString(buf, k)
				buf = append(buf, ':')
				if buf, err = appendValue(buf, v[k], sorted); err != nil {
					return nil, err
				}
			}
			return append(buf, '}'), nil
		}
		first := true // a range over maps.All would cost a call per member
		for k, e := range v {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = AppendString(buf, k)
			buf = append(buf, ':')
			if buf, err = appendValue(buf, e, sorted); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case []any:
		if v == nil {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendValue(buf, e, sorted); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case map[string]string:
		return appendStrings(buf, v, sorted), nil
	case []string:
		if v == nil {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = AppendString(buf, e)
		}
		return append(buf, ']'), nil
	}
	return appendMarshal(buf, v)
}

// appendStrings appends m as a JSON object. It is apart from appendValue
// because its range over a function would move appendValue's buf to the
// heap, an allocation a call.
func appendStrings(buf []byte, m map[string]string, sorted bool) []byte {
	if m == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '{')
	first := true
	for k, e := range mapRange(m, sorted) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = AppendString(buf, k)
		buf = append(buf, ':')
		buf = AppendString(buf, e)
	}
	return append(buf, '}')
}

// mapRange ranges over m, in key order if sorted.
func mapRange[V any](m map[string]V, sorted bool) iter.Seq2[string, V] {
	if !sorted {
		return maps.All(m)
	}
	return func(yield func(string, V) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

func appendMarshal(buf []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(buf, b...), nil
}

// appendFloat formats f as encoding/json does.
func appendFloat(buf []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return appendMarshal(buf, f) // its error
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	buf = strconv.AppendFloat(buf, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(buf)
		if n >= 4 && buf[n-4] == 'e' && buf[n-3] == '-' && buf[n-2] == '0' {
			buf[n-2] = buf[n-1]
			buf = buf[:n-1]
		}
	}
	return buf, nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func AppendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += n
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
