package httpcall

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	defaultTimeout     = 3000 * time.Millisecond
	maxTimeout         = 24 * time.Hour
	defaultContentType = "application/json"
)

// methods are the methods Conductor's HTTP task allows.
var methods = []string{"GET", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE"}

// request is a task's http_request, checked.
type request struct {
	url            *url.URL
	method         string
	header         http.Header
	host           string // the Host header to send, if not the URL's
	body           []byte // nil: no body
	connectTimeout time.Duration
	readTimeout    time.Duration
}

// fields reads a task input's fields by name, and names them in errors the
// way the input spells them.
type fields struct {
	m      map[string]any
	prefix string // "http_request." or ""
}

func (f fields) get(key string) (any, bool) {
	v, ok := f.m[key]
	return v, ok && v != nil
}

func (f fields) errorf(key, format string, args ...any) error {
	return fmt.Errorf("%s%s %s", f.prefix, key, fmt.Sprintf(format, args...))
}

// parseRequest reads the request from a task's input. Its errors are
// user-facing: they say which field is wrong and how.
func parseRequest(input map[string]any) (*request, error) {
	f := fields{m: input}
	if v, ok := input["http_request"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("http_request must be an object, got %s", describe(v))
		}
		f = fields{m: m, prefix: "http_request."}
	}

	r := &request{header: http.Header{}}
	var err error
	if r.url, err = parseURL(f); err != nil {
		return nil, err
	}
	if r.method, err = parseMethod(f); err != nil {
		return nil, err
	}
	if err = parseHeaders(f, r.header); err != nil {
		return nil, err
	}
	if host := r.header.Get("Host"); host != "" {
		r.host = host // net/http sends Request.Host, not a Host header
		r.header.Del("Host")
	}
	if r.body, err = parseBody(f); err != nil {
		return nil, err
	}
	accept, err := stringField(f, "accept", defaultContentType)
	if err != nil {
		return nil, err
	}
	if r.header.Get("Accept") == "" {
		r.header.Set("Accept", accept)
	}
	contentType, err := stringField(f, "contentType", defaultContentType)
	if err != nil {
		return nil, err
	}
	if r.body != nil && r.header.Get("Content-Type") == "" {
		r.header.Set("Content-Type", contentType)
	}
	if r.connectTimeout, err = parseTimeout(f, "connectionTimeOut"); err != nil {
		return nil, err
	}
	if r.readTimeout, err = parseTimeout(f, "readTimeOut"); err != nil {
		return nil, err
	}
	return r, nil
}

func parseURL(f fields) (*url.URL, error) {
	v, ok := f.get("uri")
	if !ok {
		if _, eureka := f.get("vipAddress"); eureka {
			return nil, f.errorf("uri", "is missing; vipAddress (Eureka discovery) is not supported, set uri to the URL to call")
		}
		return nil, f.errorf("uri", "is missing; set it to the http:// or https:// URL to call")
	}
	s, ok := v.(string)
	if !ok {
		return nil, f.errorf("uri", "must be a string, got %s", describe(v))
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, f.errorf("uri", "is empty; set it to the http:// or https:// URL to call")
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, f.errorf("uri", "%q is not a valid URL: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if u.Scheme == "" {
			return nil, f.errorf("uri", "%q has no scheme; write it as http://... or https://...", s)
		}
		return nil, f.errorf("uri", "%q has the scheme %q; only http and https are supported", s, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, f.errorf("uri", "%q has no host", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, f.errorf("uri", "%q has the invalid port %q", s, p)
		}
	}
	return u, nil
}

func parseMethod(f fields) (string, error) {
	v, ok := f.get("method")
	if !ok {
		return http.MethodGet, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", f.errorf("method", "must be a string, got %s", describe(v))
	}
	m := strings.ToUpper(strings.TrimSpace(s))
	if m == "" {
		return http.MethodGet, nil
	}
	if !slices.Contains(methods, m) {
		return "", f.errorf("method", "%q is not allowed; use one of %s", s, strings.Join(methods, ", "))
	}
	return m, nil
}

// parseHeaders adds the input's headers to h. Values may be strings, lists
// of strings, or other scalars (numbers, booleans), which are formatted as
// text, as Conductor does.
func parseHeaders(f fields, h http.Header) error {
	v, ok := f.get("headers")
	if !ok {
		return nil
	}
	var m map[string]any
	switch hs := v.(type) {
	case map[string]any:
		m = hs
	case map[string]string:
		m = make(map[string]any, len(hs))
		for k, s := range hs {
			m[k] = s
		}
	case map[string][]string:
		m = make(map[string]any, len(hs))
		for k, s := range hs {
			m[k] = s
		}
	default:
		return f.errorf("headers", "must be an object of header names to values, got %s", describe(v))
	}
	for _, name := range slices.Sorted(maps.Keys(m)) { // sorted: the same input, the same error
		if !validHeaderName(name) {
			return f.errorf("headers", "has the invalid header name %q", name)
		}
		values, err := headerValues(m[name])
		if err != nil {
			return f.errorf("headers", "%q %v", name, err)
		}
		for _, value := range values {
			if !validHeaderValue(value) {
				return f.errorf("headers", "%q has a value with a line break or control character", name)
			}
			h.Add(name, value)
		}
	}
	return nil
}

func headerValues(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := scalarText(e)
			if !ok {
				return nil, fmt.Errorf("has a list value that is not a string: %s", describe(e))
			}
			out = append(out, s)
		}
		return out, nil
	case []string:
		return x, nil
	}
	s, ok := scalarText(v)
	if !ok {
		return nil, fmt.Errorf("must be a string or a list of strings, got %s", describe(v))
	}
	return []string{s}, nil
}

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	}
	return "", false
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether value has no control characters other
// than tab, so that it cannot split the header.
func validHeaderValue(value string) bool {
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// parseBody returns the bytes to send: a string as-is, anything else as JSON.
func parseBody(f fields) ([]byte, error) {
	v, ok := f.get("body")
	if !ok {
		return nil, nil
	}
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, f.errorf("body", "cannot be encoded as JSON: %v", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func stringField(f fields, key, def string) (string, error) {
	v, ok := f.get(key)
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", f.errorf(key, "must be a string, got %s", describe(v))
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	if !validHeaderValue(s) {
		return "", f.errorf(key, "has a line break or control character")
	}
	return s, nil
}

// parseTimeout reads a timeout in milliseconds. Numbers may arrive as
// json.Number, float64 or int, or as text; 0 means the default.
func parseTimeout(f fields, key string) (time.Duration, error) {
	v, ok := f.get(key)
	if !ok {
		return defaultTimeout, nil
	}
	var ms float64
	var err error
	switch x := v.(type) {
	case json.Number:
		ms, err = x.Float64()
	case float64:
		ms = x
	case int:
		ms = float64(x)
	case int64:
		ms = float64(x)
	case string:
		ms, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		err = errors.New("not a number")
	}
	if err != nil || math.IsNaN(ms) || ms < 0 || ms > float64(maxTimeout.Milliseconds()) {
		return 0, f.errorf(key, "must be a number of milliseconds from 0 to %d, got %s", maxTimeout.Milliseconds(), describe(v))
	}
	if ms == 0 {
		return defaultTimeout, nil
	}
	return max(time.Duration(ms*float64(time.Millisecond)), time.Millisecond), nil
}

// describe names a value in an error: its JSON text, clipped, or its type.
func describe(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("a %T", v)
	}
	return clip(string(b), 100)
}

// clip shortens s to at most n bytes, at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
