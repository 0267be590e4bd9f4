package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of one validation. A schema can make validation exponential
// (nested anyOf) or endless ({"$ref": "#"} meets no value), so the work is
// counted and the recursion depth capped; passing either ends the task with
// a clear reason instead of running into the plugin's deadline.
const (
	maxErrors = 100
	maxDepth  = 512
	maxSteps  = 2_000_000
)

// verror is one reason a payload is invalid.
type verror struct {
	Path    string `json:"path"`    // JSON pointer into the payload; "" is the payload itself
	Message string `json:"message"` // what is wrong
}

// validation is one run of a schema over a payload.
type validation struct {
	errs      []verror
	truncated bool // more than maxErrors were found
	steps     int
	depth     int
	limit     error // set when a bound is passed: the result is void
}

// validate checks v against s and returns what is wrong (nil when v is
// valid), whether the list was cut at maxErrors, and an error if a bound of
// the work was passed.
func validate(s *schema, v any) ([]verror, bool, error) {
	st := &validation{}
	st.check(s, v, "")
	return st.errs, st.truncated, st.limit
}

func (st *validation) fail(path, format string, args ...any) {
	if len(st.errs) >= maxErrors {
		st.truncated = true
		return
	}
	st.errs = append(st.errs, verror{Path: path, Message: fmt.Sprintf(format, args...)})
}

// valid reports whether v matches s, without recording why not.
func (st *validation) valid(s *schema, v any, path string) bool {
	saved, truncated := st.errs, st.truncated
	st.errs = nil
	st.check(s, v, path)
	ok := len(st.errs) == 0
	st.errs, st.truncated = saved, truncated
	return ok
}

func (st *validation) check(s *schema, v any, path string) {
	if st.limit != nil {
		return
	}
	st.steps++
	if st.steps > maxSteps {
		st.limit = fmt.Errorf("validation took over %d steps; simplify the schema (nested anyOf/oneOf multiply the work)", maxSteps)
		return
	}
	st.depth++
	defer func() { st.depth-- }()
	if st.depth > maxDepth {
		st.limit = fmt.Errorf("validation went over %d levels deep at %s; does a $ref refer to itself without descending into the payload?", maxDepth, where(path))
		return
	}
	if s.always != nil {
		if !*s.always {
			st.fail(path, "no value is allowed here (the schema is false)")
		}
		return
	}
	if s.ref != nil {
		st.check(s.ref, v, path)
	}
	if len(s.types) > 0 && !slices.ContainsFunc(s.types, func(t string) bool { return hasType(v, t) }) {
		st.fail(path, "must be %s; it is %s", strings.Join(s.types, " or "), kindOf(v))
	}
	if s.hasEnum && !slices.ContainsFunc(s.enum, func(e any) bool { return equal(e, v) }) {
		st.fail(path, "must be one of %s", short(s.enum))
	}
	if s.hasConst && !equal(s.constVal, v) {
		st.fail(path, "must be %s", short(s.constVal))
	}
	switch v := v.(type) {
	case json.Number, float64:
		st.checkNumber(s, v, path)
	case string:
		st.checkString(s, v, path)
	case []any:
		st.checkArray(s, v, path)
	case map[string]any:
		st.checkObject(s, v, path)
	}
	for _, sub := range s.allOf {
		st.check(sub, v, path)
	}
	if len(s.anyOf) > 0 && !slices.ContainsFunc(s.anyOf, func(sub *schema) bool { return st.valid(sub, v, path) }) {
		st.fail(path, "must match at least one of the %d schemas in anyOf (%s); it matches none", len(s.anyOf), s.loc+"/anyOf")
	}
	if len(s.oneOf) > 0 {
		var matched []string
		for i, sub := range s.oneOf {
			if st.valid(sub, v, path) {
				matched = append(matched, strconv.Itoa(i))
			}
		}
		switch len(matched) {
		case 1:
		case 0:
			st.fail(path, "must match exactly one of the %d schemas in oneOf (%s); it matches none", len(s.oneOf), s.loc+"/oneOf")
		default:
			st.fail(path, "must match exactly one of the schemas in oneOf (%s); it matches %s", s.loc+"/oneOf", strings.Join(matched, " and "))
		}
	}
	if s.not != nil && st.valid(s.not, v, path) {
		st.fail(path, "must not match the schema in not (%s)", s.loc+"/not")
	}
	if s.ifSchema != nil {
		if st.valid(s.ifSchema, v, path) {
			if s.then != nil {
				st.check(s.then, v, path)
			}
		} else if s.elseS != nil {
			st.check(s.elseS, v, path)
		}
	}
}

func (st *validation) checkNumber(s *schema, v any, path string) {
	if s.multipleOf == nil && s.minimum == nil && s.maximum == nil && s.exclusiveMin == nil && s.exclusiveMax == nil {
		return
	}
	n, err := rat(v)
	if err != nil {
		st.fail(path, "%v", err)
		return
	}
	if s.multipleOf != nil && !new(big.Rat).Quo(n, s.multipleOf).IsInt() {
		st.fail(path, "must be a multiple of %s", ratText(s.multipleOf))
	}
	if s.minimum != nil && n.Cmp(s.minimum) < 0 {
		st.fail(path, "must be >= %s; it is %s", ratText(s.minimum), ratText(n))
	}
	if s.maximum != nil && n.Cmp(s.maximum) > 0 {
		st.fail(path, "must be <= %s; it is %s", ratText(s.maximum), ratText(n))
	}
	if s.exclusiveMin != nil && n.Cmp(s.exclusiveMin) <= 0 {
		st.fail(path, "must be > %s; it is %s", ratText(s.exclusiveMin), ratText(n))
	}
	if s.exclusiveMax != nil && n.Cmp(s.exclusiveMax) >= 0 {
		st.fail(path, "must be < %s; it is %s", ratText(s.exclusiveMax), ratText(n))
	}
}

func (st *validation) checkString(s *schema, v string, path string) {
	if s.minLength >= 0 || s.maxLength >= 0 {
		// Lengths count characters (code points), as the draft says.
		n := utf8.RuneCountInString(v)
		if s.minLength >= 0 && n < s.minLength {
			st.fail(path, "must be at least %d characters long; it has %d", s.minLength, n)
		}
		if s.maxLength >= 0 && n > s.maxLength {
			st.fail(path, "must be at most %d characters long; it has %d", s.maxLength, n)
		}
	}
	if s.pattern != nil && !s.pattern.MatchString(v) {
		st.fail(path, "must match the pattern %s", s.pattern)
	}
}

func (st *validation) checkArray(s *schema, v []any, path string) {
	if s.minItems >= 0 && len(v) < s.minItems {
		st.fail(path, "must have at least %d items; it has %d", s.minItems, len(v))
	}
	if s.maxItems >= 0 && len(v) > s.maxItems {
		st.fail(path, "must have at most %d items; it has %d", s.maxItems, len(v))
	}
	for i, e := range v {
		at := path + "/" + strconv.Itoa(i)
		switch {
		case i < len(s.prefixItems):
			st.check(s.prefixItems[i], e, at)
		case s.items != nil:
			st.check(s.items, e, at)
		}
	}
	if s.uniqueItems {
	unique:
		for i := 1; i < len(v); i++ {
			for j := range i {
				st.steps++
				if equal(v[i], v[j]) {
					st.fail(path, "items %d and %d are equal; the items must be unique", j, i)
					break unique
				}
			}
		}
	}
	if s.contains != nil {
		n := 0
		for i, e := range v {
			if st.valid(s.contains, e, path+"/"+strconv.Itoa(i)) {
				n++
			}
		}
		lo := 1
		if s.minContains >= 0 {
			lo = s.minContains
		}
		if n < lo {
			st.fail(path, "must have at least %d items matching contains (%s); it has %d", lo, s.loc+"/contains", n)
		}
		if s.maxContains >= 0 && n > s.maxContains {
			st.fail(path, "must have at most %d items matching contains (%s); it has %d", s.maxContains, s.loc+"/contains", n)
		}
	}
}

func (st *validation) checkObject(s *schema, v map[string]any, path string) {
	if s.minProperties >= 0 && len(v) < s.minProperties {
		st.fail(path, "must have at least %d properties; it has %d", s.minProperties, len(v))
	}
	if s.maxProps >= 0 && len(v) > s.maxProps {
		st.fail(path, "must have at most %d properties; it has %d", s.maxProps, len(v))
	}
	for _, name := range s.required {
		if _, ok := v[name]; !ok {
			st.fail(path, "property %q is required", name)
		}
	}
	for _, name := range sortedKeys(s.dependentRequired) {
		if _, ok := v[name]; !ok {
			continue
		}
		for _, dep := range s.dependentRequired[name] {
			if _, ok := v[dep]; !ok {
				st.fail(path, "property %q is required when %q is present", dep, name)
			}
		}
	}
	for _, name := range sortedKeys(s.dependentSchemas) {
		if _, ok := v[name]; ok {
			st.check(s.dependentSchemas[name], v, path)
		}
	}
	// Properties in name order, so that the errors come in a stable order.
	for _, name := range sortedKeys(v) {
		val, at := v[name], path+"/"+escapePointer(name)
		if s.propertyNames != nil && !st.valid(s.propertyNames, name, at) {
			st.fail(path, "property name %q does not match propertyNames (%s)", name, s.loc+"/propertyNames")
		}
		matched := false
		if sub, ok := s.properties[name]; ok {
			matched = true
			st.check(sub, val, at)
		}
		for _, p := range s.patternProperties {
			if p.re.MatchString(name) {
				matched = true
				st.check(p.s, val, at)
			}
		}
		if !matched && s.additionalProperties != nil {
			if a := s.additionalProperties.always; a != nil && !*a {
				st.fail(path, "property %q is not allowed (additionalProperties is false)", name)
				continue
			}
			st.check(s.additionalProperties, val, at)
		}
	}
}

// hasType reports whether v is of the JSON Schema type t.
func hasType(v any, t string) bool {
	k := kindOf(v)
	return k == t || (t == "number" && k == "integer")
}

// equal is JSON equality: numbers by value (1 equals 1.0), objects by
// members, arrays by items in order.
func equal(a, b any) bool {
	switch a := a.(type) {
	case json.Number, float64:
		ra, err := rat(a)
		if err != nil {
			return false
		}
		rb, err := rat(b)
		return err == nil && ra.Cmp(rb) == 0
	case []any:
		bl, ok := b.([]any)
		return ok && slices.EqualFunc(a, bl, equal)
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, av := range a {
			bv, ok := bm[k]
			if !ok || !equal(av, bv) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// ratText prints a number as a decimal when it has a short one.
func ratText(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	if n, exact := r.FloatPrec(); exact && n <= 20 {
		return r.FloatString(n)
	}
	return r.FloatString(10)
}

// short is v as JSON for a message, cut at 200 bytes.
func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
