package plugin

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The SDK's JSON for the task it receives and the result it returns. Go
// compiled to wasm runs encoding/json's reflection some 20 times slower than
// native code (function calls are expensive there), which made it most of a
// Go plugin's time per task. The input's shape is known and its values are
// maps, slices, strings, numbers, booleans and null, so it is parsed by hand;
// the output is written by hand for those types, through encoding/json for
// any other. Where the hand-written code meets something it does not
// handle the same way (a field of the wrong type, an unusual value), the SDK
// falls back to encoding/json, so the results are the same.

// errFallback makes decodeFast's caller use encoding/json.
var errFallback = errors.New("fall back to encoding/json")

// decodeFast parses the input of baton_handle, numbers as json.Number.
func decodeFast(in []byte) (*Task, error) {
	p := parser{b: in, s: string(in)}
	var t *Task
	err := p.object(func(key string) error {
		if key != "task" {
			if foldsTo(key, "task") {
				return errFallback
			}
			return p.skip()
		}
		if p.null() {
			t = nil
			return nil
		}
		if t == nil { // a second "task" adds to the first, as in encoding/json
			t = &Task{}
		}
		return p.object(func(key string) error { return p.taskField(t, key) })
	})
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, errFallback
	}
	if t == nil {
		return nil, errors.New(`no "task"`)
	}
	return t, nil
}

func (p *parser) taskField(t *Task, key string) error {
	var s *string
	var n *int64
	var i *int
	switch key {
	case "taskId":
		s = &t.TaskID
	case "taskType":
		s = &t.TaskType
	case "taskDefName":
		s = &t.TaskDefName
	case "referenceTaskName":
		s = &t.ReferenceTaskName
	case "workflowInstanceId":
		s = &t.WorkflowInstanceID
	case "workflowType":
		s = &t.WorkflowType
	case "correlationId":
		s = &t.CorrelationID
	case "domain":
		s = &t.Domain
	case "seq":
		i = &t.Seq
	case "iteration":
		i = &t.Iteration
	case "retryCount":
		i = &t.RetryCount
	case "pollCount":
		i = &t.PollCount
	case "callbackAfterSeconds":
		n = &t.CallbackAfterSeconds
	case "responseTimeoutSeconds":
		n = &t.ResponseTimeoutSeconds
	case "scheduledTime":
		n = &t.ScheduledTime
	case "startTime":
		n = &t.StartTime
	case "inputData":
		p.ws()
		if p.null() {
			t.InputData = nil
			return nil
		}
		if t.InputData == nil {
			t.InputData = map[string]any{}
		}
		return p.members(t.InputData)
	default:
		for _, k := range taskKeys {
			if foldsTo(key, k) {
				return errFallback
			}
		}
		return p.skip()
	}
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '"' && s != nil {
		v, err := p.str()
		*s = v
		return err
	}
	if s != nil || p.i >= len(p.b) || (p.b[p.i] != '-' && (p.b[p.i] < '0' || p.b[p.i] > '9')) {
		return errFallback // null or another type: encoding/json says what
	}
	num, err := p.number()
	if err != nil {
		return err
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || (i != nil && int64(int(v)) != v) {
		return errFallback
	}
	if i != nil {
		*i = int(v)
	} else {
		*n = v
	}
	return nil
}

// taskKeys are the JSON names of Task's fields.
var taskKeys = []string{"taskId", "taskType", "taskDefName", "referenceTaskName", "workflowInstanceId",
	"workflowType", "correlationId", "domain", "seq", "iteration", "retryCount", "pollCount",
	"callbackAfterSeconds", "responseTimeoutSeconds", "scheduledTime", "startTime", "inputData"}

// foldsTo reports whether encoding/json, which matches names without
// regard to case, would take key for name.
func foldsTo(key, name string) bool {
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

// parser is a JSON parser producing map[string]any, []any, string,
// json.Number, bool and nil, as encoding/json with UseNumber does. Strings
// without escapes, keys and numbers are substrings of one copy of the input
// (s), rather than an allocation each: Go's allocator is a good part of a
// wasm guest's time.
type parser struct {
	b []byte
	s string // b as a string, for substrings
	i int
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// null consumes a null at p.i, if there is one.
func (p *parser) null() bool {
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// object parses an object, calling member with each key, p.i at its value.
func (p *parser) object(member func(key string) error) error {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '{' {
		return errFallback
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
			return errFallback
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return errFallback
		}
		p.i++
		if err := member(key); err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.b) {
			return errFallback
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return errFallback
		}
	}
}

// object0 parses an object into a new map.
func (p *parser) object0() (map[string]any, error) {
	m := map[string]any{}
	return m, p.members(m)
}

// members parses an object into m (a duplicate key keeps its last value).
func (p *parser) members(m map[string]any) error {
	return p.object(func(key string) error {
		v, err := p.value()
		m[key] = v
		return err
	})
}

// skip parses a value and drops it, building nothing.
func (p *parser) skip() error {
	p.ws()
	if p.i >= len(p.b) {
		return errFallback
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(func(string) error { return p.skip() })
	case c == '[':
		p.i++
		p.ws()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return nil
		}
		for {
			if err := p.skip(); err != nil {
				return err
			}
			p.ws()
			if p.i >= len(p.b) {
				return errFallback
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return nil
			default:
				return errFallback
			}
		}
	case c == '"':
		_, err := p.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := p.number()
		return err
	}
	_, err := p.value() // a literal
	return err
}

func (p *parser) value() (any, error) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, errFallback
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
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			s = append(s, v)
			p.ws()
			if p.i >= len(p.b) {
				return nil, errFallback
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return s, nil
			default:
				return nil, errFallback
			}
		}
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := p.number()
		return json.Number(n), err
	case p.null():
		return nil, nil
	case len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "true":
		p.i += 4
		return true, nil
	case len(p.b)-p.i >= 5 && string(p.b[p.i:p.i+5]) == "false":
		p.i += 5
		return false, nil
	}
	return nil, errFallback
}

// number scans a JSON number at p.i.
func (p *parser) number() (string, error) {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return "", errFallback
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return "", errFallback
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return "", errFallback
		}
	}
	return p.s[start:p.i], nil
}

// str parses a string at p.i (at its quote); invalid UTF-8 becomes U+FFFD
// byte by byte, as in encoding/json.
func (p *parser) str() (string, error) {
	p.i++
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.s[start:p.i]
			p.i++
			if !utf8.ValidString(s) {
				return string(appendValid(nil, p.b[start:p.i-1])), nil
			}
			return s, nil
		case c == '\\':
			return p.strEscaped(start)
		case c < 0x20:
			return "", errFallback
		}
		p.i++
	}
	return "", errFallback
}

// strEscaped is str for a string with escapes, p.i at the first.
func (p *parser) strEscaped(start int) (string, error) {
	buf := appendValid(make([]byte, 0, p.i-start+16), p.b[start:p.i])
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", errFallback
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
			return "", errFallback
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
				return "", errFallback
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
			return "", errFallback
		}
	}
	return "", errFallback
}

func (p *parser) hex4() (rune, bool) {
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

// appendResult appends r as JSON (the Result's json tags) to buf.
func appendResult(buf []byte, r *Result) ([]byte, error) {
	buf = append(buf, `{"status":`...)
	buf = appendString(buf, r.Status)
	if len(r.Output) > 0 {
		buf = append(buf, `,"outputData":`...)
		var err error
		if buf, err = appendValue(buf, r.Output); err != nil {
			return nil, err
		}
	}
	if r.Reason != "" {
		buf = append(buf, `,"reasonForIncompletion":`...)
		buf = appendString(buf, r.Reason)
	}
	if r.CallbackAfterSeconds != 0 {
		buf = append(buf, `,"callbackAfterSeconds":`...)
		buf = strconv.AppendInt(buf, r.CallbackAfterSeconds, 10)
	}
	return append(buf, '}'), nil
}

// appendValue appends v as JSON: by hand for the types JSON decodes into
// and the common scalars, through encoding/json for the others. Map keys are
// not sorted (the host decodes them into a map).
func appendValue(buf []byte, v any) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case string:
		return appendString(buf, v), nil
	case bool:
		return strconv.AppendBool(buf, v), nil
	case json.Number:
		if v == "" {
			return append(buf, '0'), nil // as encoding/json
		}
		p := parser{b: []byte(v), s: string(v)}
		if _, err := p.number(); err != nil || p.i != len(p.b) {
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
		first := true
		for k, e := range v {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, k)
			buf = append(buf, ':')
			if buf, err = appendValue(buf, e); err != nil {
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
			if buf, err = appendValue(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case map[string]string:
		if v == nil {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '{')
		first := true
		for k, e := range v {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, k)
			buf = append(buf, ':')
			buf = appendString(buf, e)
		}
		return append(buf, '}'), nil
	case []string:
		if v == nil {
			return append(buf, "null"...), nil
		}
		buf = append(buf, '[')
		for i, e := range v {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, e)
		}
		return append(buf, ']'), nil
	}
	return appendMarshal(buf, v)
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
func appendString(buf []byte, s string) []byte {
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
