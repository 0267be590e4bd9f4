package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file compiles a JSON Schema (draft 2020-12) into a tree of *schema
// and validates decoded JSON against it. Decoded JSON is what
// encoding/json produces with UseNumber: nil, bool, string, json.Number,
// []any, map[string]any (float64 is accepted too).
//
// Supported: type, enum, const, multipleOf, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, items,
// prefixItems, minItems, maxItems, uniqueItems, contains, minContains,
// maxContains, properties, patternProperties, additionalProperties,
// propertyNames, required, minProperties, maxProperties, dependentRequired,
// dependentSchemas, allOf, anyOf, oneOf, not, if/then/else, $defs, and $ref to
// a JSON pointer inside the same document (#, #/$defs/name, #/properties/a).
// Annotations (title, description, default, examples, format, ...) are
// ignored, as the draft says of format by default. Keywords the plugin knows
// but does not implement (unevaluatedProperties, $dynamicRef, ...) are refused
// when the schema is compiled rather than silently ignored, so that a schema
// never passes a payload it was meant to reject.

// unsupported are keywords refused with the reason or the alternative.
var unsupported = map[string]string{
	"unevaluatedProperties": "use additionalProperties",
	"unevaluatedItems":      "use items",
	"$dynamicRef":           "use $ref to #/$defs/name",
	"$recursiveRef":         "use $ref to #/$defs/name",
	"additionalItems":       "in draft 2020-12 write prefixItems for the tuple and items for the rest",
}

var typeNames = []string{"null", "boolean", "object", "array", "number", "string", "integer"}

// schema is one compiled (sub)schema.
type schema struct {
	loc    string // its JSON pointer in the schema document, for messages
	always *bool  // a boolean schema: true accepts everything, false nothing

	types    []string
	enum     []any
	hasEnum  bool
	constVal any
	hasConst bool

	multipleOf, minimum, maximum, exclusiveMin, exclusiveMax *big.Rat

	minLength, maxLength       int // -1: not set
	pattern                    *regexp.Regexp
	minItems, maxItems         int
	minContains, maxContains   int
	minProperties, maxProps    int
	uniqueItems                bool
	required                   []string
	dependentRequired          map[string][]string
	properties                 map[string]*schema
	patternProperties          []patternSchema
	additionalProperties       *schema
	propertyNames              *schema
	dependentSchemas           map[string]*schema
	prefixItems                []*schema
	items, contains            *schema
	allOf, anyOf, oneOf        []*schema
	not, ifSchema, then, elseS *schema
	ref                        *schema
}

type patternSchema struct {
	re *regexp.Regexp
	s  *schema
}

// compiler compiles one schema document. Subschemas are compiled once per
// location, so that $ref cycles end.
type compiler struct {
	root  any
	byLoc map[string]*schema
}

// compileSchema compiles a decoded schema document.
func compileSchema(doc any) (*schema, error) {
	c := &compiler{root: doc, byLoc: map[string]*schema{}}
	return c.compile(doc, "")
}

func (c *compiler) compile(v any, loc string) (*schema, error) {
	if s, ok := c.byLoc[loc]; ok {
		return s, nil
	}
	s := &schema{loc: loc, minLength: -1, maxLength: -1, minItems: -1, maxItems: -1,
		minContains: -1, maxContains: -1, minProperties: -1, maxProps: -1}
	c.byLoc[loc] = s
	switch v := v.(type) {
	case bool:
		s.always = &v
		return s, nil
	case map[string]any:
		return s, c.keywords(s, v, loc)
	default:
		return nil, fmt.Errorf("schema %s: a schema is an object or a boolean, not %s", where(loc), kindOf(v))
	}
}

func (c *compiler) keywords(s *schema, m map[string]any, loc string) error {
	// Keywords are compiled in a fixed order so that the first error
	// reported does not depend on map order.
	for _, k := range sortedKeys(m) {
		v := m[k]
		at := loc + "/" + escapePointer(k)
		if alt, ok := unsupported[k]; ok {
			return fmt.Errorf("schema %s: %s is not supported by this plugin; %s", where(at), k, alt)
		}
		var err error
		switch k {
		case "type":
			s.types, err = typeList(v, at)
		case "enum":
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("schema %s: enum must be an array", where(at))
			}
			s.enum, s.hasEnum = list, true
		case "const":
			s.constVal, s.hasConst = v, true
		case "multipleOf":
			if s.multipleOf, err = number(v, at); err == nil && s.multipleOf.Sign() <= 0 {
				err = fmt.Errorf("schema %s: multipleOf must be greater than 0", where(at))
			}
		case "minimum":
			s.minimum, err = number(v, at)
		case "maximum":
			s.maximum, err = number(v, at)
		case "exclusiveMinimum":
			s.exclusiveMin, err = number(v, at)
		case "exclusiveMaximum":
			s.exclusiveMax, err = number(v, at)
		case "minLength":
			s.minLength, err = count(v, at)
		case "maxLength":
			s.maxLength, err = count(v, at)
		case "minItems":
			s.minItems, err = count(v, at)
		case "maxItems":
			s.maxItems, err = count(v, at)
		case "minContains":
			s.minContains, err = count(v, at)
		case "maxContains":
			s.maxContains, err = count(v, at)
		case "minProperties":
			s.minProperties, err = count(v, at)
		case "maxProperties":
			s.maxProps, err = count(v, at)
		case "pattern":
			s.pattern, err = pattern(v, at)
		case "uniqueItems":
			b, ok := v.(bool)
			if !ok {
				return fmt.Errorf("schema %s: uniqueItems must be true or false", where(at))
			}
			s.uniqueItems = b
		case "required":
			s.required, err = stringList(v, at)
		case "dependentRequired":
			obj, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("schema %s: dependentRequired must be an object of arrays of names", where(at))
			}
			s.dependentRequired = map[string][]string{}
			for _, name := range sortedKeys(obj) {
				if s.dependentRequired[name], err = stringList(obj[name], at+"/"+escapePointer(name)); err != nil {
					return err
				}
			}
		case "properties", "dependentSchemas", "$defs", "definitions":
			obj, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("schema %s: %s must be an object of schemas", where(at), k)
			}
			subs := map[string]*schema{}
			for _, name := range sortedKeys(obj) {
				if subs[name], err = c.compile(obj[name], at+"/"+escapePointer(name)); err != nil {
					return err
				}
			}
			switch k {
			case "properties":
				s.properties = subs
			case "dependentSchemas":
				s.dependentSchemas = subs
			}
		case "patternProperties":
			obj, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("schema %s: patternProperties must be an object of schemas", where(at))
			}
			for _, p := range sortedKeys(obj) {
				pat := at + "/" + escapePointer(p)
				re, err := pattern(p, pat)
				if err != nil {
					return err
				}
				sub, err := c.compile(obj[p], pat)
				if err != nil {
					return err
				}
				s.patternProperties = append(s.patternProperties, patternSchema{re, sub})
			}
		case "items":
			if _, isList := v.([]any); isList {
				return fmt.Errorf("schema %s: items is an array; in draft 2020-12 write prefixItems for a tuple", where(at))
			}
			s.items, err = c.compile(v, at)
		case "prefixItems", "allOf", "anyOf", "oneOf":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return fmt.Errorf("schema %s: %s must be a non-empty array of schemas", where(at), k)
			}
			subs := make([]*schema, len(list))
			for i, e := range list {
				if subs[i], err = c.compile(e, at+"/"+strconv.Itoa(i)); err != nil {
					return err
				}
			}
			switch k {
			case "prefixItems":
				s.prefixItems = subs
			case "allOf":
				s.allOf = subs
			case "anyOf":
				s.anyOf = subs
			case "oneOf":
				s.oneOf = subs
			}
		case "additionalProperties":
			s.additionalProperties, err = c.compile(v, at)
		case "propertyNames":
			s.propertyNames, err = c.compile(v, at)
		case "contains":
			s.contains, err = c.compile(v, at)
		case "not":
			s.not, err = c.compile(v, at)
		case "if":
			s.ifSchema, err = c.compile(v, at)
		case "then":
			s.then, err = c.compile(v, at)
		case "else":
			s.elseS, err = c.compile(v, at)
		case "$ref":
			s.ref, err = c.resolve(v, at)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// resolve compiles the target of a $ref: a JSON pointer inside this
// document, written as a URI fragment.
func (c *compiler) resolve(v any, at string) (*schema, error) {
	ref, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("schema %s: $ref must be a string", where(at))
	}
	if !strings.HasPrefix(ref, "#") || (len(ref) > 1 && ref[1] != '/') {
		return nil, fmt.Errorf("schema %s: $ref %q: only references inside this schema are supported, such as #/$defs/name", where(at), ref)
	}
	ptr, err := url.PathUnescape(ref[1:])
	if err != nil {
		return nil, fmt.Errorf("schema %s: $ref %q is not a valid URI fragment: %v", where(at), ref, err)
	}
	target := c.root
	if ptr != "" {
		for _, tok := range strings.Split(ptr[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch node := target.(type) {
			case map[string]any:
				target, ok = node[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				ok = err == nil && i >= 0 && i < len(node)
				if ok {
					target = node[i]
				}
			default:
				ok = false
			}
			if !ok {
				return nil, fmt.Errorf("schema %s: $ref %q points at nothing in this schema", where(at), ref)
			}
		}
	}
	// The location is the pointer in its canonical form, so that a ref and
	// the definition it names share one compiled schema.
	return c.compile(target, ptr)
}

func typeList(v any, at string) ([]string, error) {
	var names []string
	switch v := v.(type) {
	case string:
		names = []string{v}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("schema %s: type must be a type name or an array of them", where(at))
			}
			names = append(names, s)
		}
	default:
		return nil, fmt.Errorf("schema %s: type must be a type name or an array of them", where(at))
	}
	for _, n := range names {
		if !slices.Contains(typeNames, n) {
			return nil, fmt.Errorf("schema %s: %q is not a type; use one of %s", where(at), n, strings.Join(typeNames, ", "))
		}
	}
	return names, nil
}

func stringList(v any, at string) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("schema %s: must be an array of property names", where(at))
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			return nil, fmt.Errorf("schema %s: must be an array of property names", where(at))
		}
	}
	return out, nil
}

func number(v any, at string) (*big.Rat, error) {
	r, err := rat(v)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %v", where(at), err)
	}
	return r, nil
}

func count(v any, at string) (int, error) {
	r, err := rat(v)
	if err != nil || !r.IsInt() || r.Sign() < 0 || !r.Num().IsInt64() || r.Num().Int64() > 1<<31 {
		return 0, fmt.Errorf("schema %s: must be a non-negative integer", where(at))
	}
	return int(r.Num().Int64()), nil
}

func pattern(v any, at string) (*regexp.Regexp, error) {
	p, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("schema %s: pattern must be a string", where(at))
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("schema %s: pattern %q is not a regular expression this plugin supports (Go RE2 syntax: no lookaround or backreferences): %v", where(at), p, err)
	}
	return re, nil
}

// maxExponent bounds the exponent of numbers compared exactly: 1e999999999
// would otherwise make a big.Rat of a billion digits.
const maxExponent = 1000

// rat returns a JSON number as an exact rational.
func rat(v any) (*big.Rat, error) {
	switch n := v.(type) {
	case json.Number:
		s := string(n)
		if i := strings.IndexAny(s, "eE"); i >= 0 {
			e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
			if err != nil || e > maxExponent || e < -maxExponent {
				return nil, fmt.Errorf("number %s is out of the range this plugin compares (exponent over %d)", s, maxExponent)
			}
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			return nil, fmt.Errorf("%s is not a number", s)
		}
		return r, nil
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(n) == nil {
			return nil, fmt.Errorf("%v is not a finite number", n)
		}
		return r, nil
	default:
		return nil, fmt.Errorf("must be a number, not %s", kindOf(v))
	}
}

// kindOf names the JSON type of a decoded value.
func kindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64:
		if r, err := rat(v); err == nil && r.IsInt() {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// where names a location for a message: a JSON pointer, or "(root)".
func where(loc string) string {
	if loc == "" {
		return "(root)"
	}
	return loc
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
