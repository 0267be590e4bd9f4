package script

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDepth is how deeply an input or a result may nest. Jackson, which
// Conductor uses, refuses documents nested deeper than 1000 by default;
// going deeper only risks the Go stack.
const maxDepth = 1000

// plainJSON converts an input value that is not one of the types
// encoding/json decodes into (with UseNumber) by encoding and decoding it, so
// that a caller may pass, say, a map[string]string or a struct.
func plainJSON(v any) (any, *Error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errorf(Runtime, "the input holds a %T, which is not JSON: %v", v, err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		return nil, errorf(Runtime, "the input holds a %T, which is not JSON: %v", v, err)
	}
	return out, nil
}

// tooDeep is the error for an input (Runtime) or a result (Output) nested
// deeper than maxDepth.
func tooDeep(kind Kind, what string) *Error {
	return errorf(kind, "the %s is nested more than %d levels deep", what, maxDepth)
}

// floatNumber writes f the way JavaScript's Number#toString and
// encoding/json both do: integers without a decimal point, and an exponent
// below 1e-6 and from 1e21 up. It reports false for NaN and the infinities,
// which JSON cannot hold.
func floatNumber(f float64) (json.Number, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", false
	}
	if f == 0 {
		return "0", true // -0 too, as JSON.stringify writes it
	}
	format := byte('f')
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	s := strconv.FormatFloat(f, format, -1, 64)
	if format == 'e' {
		// Go writes 1e-07 where JavaScript writes 1e-7. (Exponents from
		// 21 up have two digits already.)
		if i := strings.Index(s, "e-0"); i >= 0 {
			s = s[:i+2] + s[i+3:]
		}
	}
	return json.Number(s), true
}

// stringSize is the length of s encoded as a JSON string by encoding/json,
// which escapes <, > and & for HTML and replaces invalid UTF-8.
func stringSize(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6 // \ufffd
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// budget counts the bytes of a result's JSON encoding while it is built, so
// that a result too large fails before it is all built.
type budget struct {
	used, max int
}

// spend counts n more bytes and reports whether they still fit.
func (b *budget) spend(n int) bool {
	b.used += n
	return b.used <= b.max
}

// take counts the size of a value's encoding and returns the value, or an
// error when it no longer fits.
func (b *budget) take(v any, size int) (any, *Error) {
	if !b.spend(size) {
		return nil, tooLarge(b.max)
	}
	return v, nil
}

// fits reports whether n more bytes would fit, without counting them.
func (b *budget) fits(n int) bool {
	return n <= b.max-b.used
}

// path is where a value sits in a result, for error messages:
// result.items[2].name.
type path []segment

type segment struct {
	key   string
	index int // -1 for an object's key
}

func (p path) String() string {
	var b strings.Builder
	b.WriteString("result")
	for _, s := range p {
		switch {
		case s.index >= 0:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case isIdentifier(s.key):
			b.WriteString("." + s.key)
		default:
			b.WriteString("[" + strconv.Quote(s.key) + "]")
		}
	}
	return b.String()
}

// key is the last key of p as toJSON receives it: a property's name, or an
// element's index as a string.
func (p path) key() string {
	if len(p) == 0 {
		return ""
	}
	last := p[len(p)-1]
	if last.index >= 0 {
		return strconv.Itoa(last.index)
	}
	return last.key
}

func isIdentifier(s string) bool {
	for i, r := range s {
		if r != '_' && r != '$' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

func tooLarge(max int) *Error {
	return errorf(Output, "the result is larger than %s as JSON", formatBytes(int64(max)))
}

func notANumber(p path, f float64) *Error {
	name := "NaN"
	switch {
	case math.IsInf(f, 1):
		name = "Infinity"
	case math.IsInf(f, -1):
		name = "-Infinity"
	}
	return errorf(Runtime, "%s is %s, which is not a JSON number", p, name)
}
