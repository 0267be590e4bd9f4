package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// This file is a small JSONPath evaluator in the dialect of Jayway JsonPath,
// which Conductor uses for ${...} expressions. It is written here rather than
// taken from a library because numbers in Baton's documents are json.Number:
// filters must compare them numerically and selections must return them
// unchanged, and the work of one evaluation must be bounded.
//
// Semantics follow Jayway with Option.SUPPRESS_EXCEPTIONS: a definite path
// (no wildcard, deep scan, filter, slice or union) yields one value or null;
// any other path yields an array of the matches, possibly empty. A path that
// does not start with $ is read as if it started with "$.".

// jpath is a compiled path.
type jpath struct {
	relative bool // starts with @: relative to the filtered item
	segs     []jseg
	fn       string // trailing function, or ""
	definite bool
}

type jsegKind uint8

const (
	segName   jsegKind = iota // .name, ['a'], ['a','b']
	segIndex                  // [0], [0,2]
	segSlice                  // [1:3], [:2], [-2:]
	segWild                   // .*, [*]
	segFilter                 // [?(...)]
)

// jseg is one step of a path.
type jseg struct {
	kind    jsegKind
	descent bool // preceded by ".."
	names   []string
	indexes []int
	from    int
	to      int
	hasFrom bool
	hasTo   bool
	filter  fexpr
}

// fexpr is a filter expression: *fOr, *fAnd, *fNot or *fRel.
type fexpr any

type fOr struct{ l, r fexpr }
type fAnd struct{ l, r fexpr }
type fNot struct{ x fexpr }

// fRel is a relation, or an existence test when op is "".
type fRel struct {
	left, right operand
	op          string
}

// operand is a path or a literal of a filter.
type operand struct {
	path *jpath
	lit  any
	re   *regexp.Regexp
}

// The functions a path may end with.
var pathFunctions = []string{"avg", "first", "keys", "last", "length", "max", "min", "sum"}

// compilePath parses a path. Surrounding whitespace is ignored.
func compilePath(s string) (*jpath, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("the path is empty")
	}
	p := &jparser{s: s}
	jp, err := p.path(true)
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errorf("unexpected %q", p.peek())
	}
	return jp, nil
}

// jparser is a recursive-descent parser of paths and filters.
type jparser struct {
	s        string
	pos      int
	depth    int
	inFilter bool
}

func (p *jparser) eof() bool  { return p.pos >= len(p.s) }
func (p *jparser) peek() byte { return p.s[p.pos] }

func (p *jparser) peekIs(c byte) bool { return p.pos < len(p.s) && p.s[p.pos] == c }

func (p *jparser) errorf(format string, args ...any) error {
	return fmt.Errorf("JSONPath syntax error at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jparser) skipSpaces() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *jparser) enter() error {
	p.depth++
	if p.depth > MaxExpressionDepth {
		return fmt.Errorf("%w: JSONPath filters nest deeper than %d levels", ErrExpressionLimit, MaxExpressionDepth)
	}
	return nil
}

func (p *jparser) leave() { p.depth-- }

// path parses a path. top is true for the path of an expression, false for
// a path operand inside a filter, which ends where the path syntax ends.
func (p *jparser) path(top bool) (*jpath, error) {
	jp := &jpath{}
	switch {
	case p.peekIs('$'):
		p.pos++
	case p.peekIs('@'):
		if top {
			return nil, p.errorf("@ may only be used inside a filter [?(...)]")
		}
		jp.relative = true
		p.pos++
	case top && p.peekIs('.'):
		return nil, errors.New("the expression has no source before '.'; start it with workflow or a task reference name, as in ${workflow.input.x}")
	case top && !p.peekIs('['):
		// Conductor style: workflow.input.x means $.workflow.input.x.
		if err := p.dotName(jp, false); err != nil {
			return nil, err
		}
	case !top:
		return nil, p.errorf("a path must start with $ or @")
	}
	for !p.eof() {
		c := p.peek()
		if jp.fn != "" && (c == '.' || c == '[') {
			return nil, p.errorf("the function %s() must be the last part of the path", jp.fn)
		}
		switch {
		case c == '.':
			p.pos++
			descent := false
			if p.peekIs('.') {
				descent = true
				p.pos++
			}
			switch {
			case p.eof():
				return nil, p.errorf("the path ends with '.'")
			case p.peekIs('.'):
				return nil, p.errorf("too many dots")
			case p.peekIs('['):
				if err := p.bracket(jp, descent); err != nil {
					return nil, err
				}
			case p.peekIs('*'):
				p.pos++
				jp.segs = append(jp.segs, jseg{kind: segWild, descent: descent})
			default:
				if err := p.dotName(jp, descent); err != nil {
					return nil, err
				}
			}
		case c == '[':
			if err := p.bracket(jp, false); err != nil {
				return nil, err
			}
		case p.inFilter:
			jp.definite = definite(jp)
			return jp, nil
		case isSpace(c):
			return nil, p.errorf("a property name cannot contain spaces; write ['a b'] instead")
		default:
			return nil, p.errorf("unexpected %q", c)
		}
	}
	jp.definite = definite(jp)
	return jp, nil
}

func definite(jp *jpath) bool {
	for i, s := range jp.segs {
		if s.descent {
			return false
		}
		switch s.kind {
		case segWild, segFilter, segSlice:
			return false
		case segIndex:
			if len(s.indexes) != 1 {
				return false
			}
		case segName:
			if len(s.names) != 1 && i != len(jp.segs)-1 {
				return false
			}
		}
	}
	return true
}

// dotName parses the name after a "." (or at the start of a Conductor-style
// path), or a function call.
func (p *jparser) dotName(jp *jpath, descent bool) error {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '.' || c == '[' || c == '(' || isSpace(c) {
			break
		}
		if p.inFilter && strings.IndexByte("<>=~!)&|,]", c) >= 0 {
			break
		}
		p.pos++
	}
	name := p.s[start:p.pos]
	if name == "" {
		return p.errorf("a property name is empty")
	}
	if p.peekIs('(') {
		p.pos++
		if !p.peekIs(')') {
			return p.errorf("function arguments are not supported")
		}
		p.pos++
		if !slices.Contains(pathFunctions, name) {
			return p.errorf("unknown function %s(); use one of %s()", name, strings.Join(pathFunctions, "(), "))
		}
		if descent {
			return p.errorf("a function cannot follow '..'")
		}
		jp.fn = name
		return nil
	}
	jp.segs = append(jp.segs, jseg{kind: segName, descent: descent, names: []string{name}})
	return nil
}

// bracket parses a [...] step.
func (p *jparser) bracket(jp *jpath, descent bool) error {
	p.pos++ // [
	p.skipSpaces()
	if p.eof() {
		return p.errorf("'[' is not closed")
	}
	seg := jseg{descent: descent}
	switch c := p.peek(); {
	case c == '*':
		p.pos++
		seg.kind = segWild
	case c == '?':
		p.pos++
		p.skipSpaces()
		if !p.peekIs('(') {
			return p.errorf("a filter must be written [?(...)]")
		}
		p.pos++
		if err := p.enter(); err != nil {
			return err
		}
		saved := p.inFilter
		p.inFilter = true
		f, err := p.or()
		p.inFilter = saved
		p.leave()
		if err != nil {
			return err
		}
		p.skipSpaces()
		if !p.peekIs(')') {
			return p.errorf("the filter is not closed with ')'")
		}
		p.pos++
		seg.kind, seg.filter = segFilter, f
	case c == '\'' || c == '"':
		seg.kind = segName
		for {
			name, err := p.quoted()
			if err != nil {
				return err
			}
			seg.names = append(seg.names, name)
			p.skipSpaces()
			if !p.peekIs(',') {
				break
			}
			p.pos++
			p.skipSpaces()
			if !p.peekIs('\'') && !p.peekIs('"') {
				return p.errorf("a quoted property name must follow ','")
			}
		}
	case c == '-' || c == ':' || isDigit(c):
		from, hasFrom, err := p.integer()
		if err != nil {
			return err
		}
		p.skipSpaces()
		if p.peekIs(':') {
			p.pos++
			p.skipSpaces()
			to, hasTo, err := p.integer()
			if err != nil {
				return err
			}
			seg.kind, seg.from, seg.hasFrom, seg.to, seg.hasTo = segSlice, from, hasFrom, to, hasTo
			break
		}
		if !hasFrom {
			return p.errorf("an array index is missing")
		}
		seg.kind, seg.indexes = segIndex, []int{from}
		for p.peekIs(',') {
			p.pos++
			p.skipSpaces()
			n, ok, err := p.integer()
			if err != nil {
				return err
			}
			if !ok {
				return p.errorf("an array index is missing")
			}
			seg.indexes = append(seg.indexes, n)
			p.skipSpaces()
		}
	default:
		return p.errorf("unexpected %q after '['", c)
	}
	p.skipSpaces()
	if !p.peekIs(']') {
		return p.errorf("'[' is not closed with ']'")
	}
	p.pos++
	jp.segs = append(jp.segs, seg)
	return nil
}

// integer parses an optional integer; ok is false when there is none.
func (p *jparser) integer() (n int, ok bool, err error) {
	start := p.pos
	if p.peekIs('-') {
		p.pos++
	}
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return 0, false, nil
	}
	n, err = strconv.Atoi(p.s[start:p.pos])
	if err != nil {
		return 0, false, p.errorf("bad array index %q", p.s[start:p.pos])
	}
	return n, true, nil
}

// quoted parses a '...' or "..." string; a backslash escapes the next
// character.
func (p *jparser) quoted() (string, error) {
	q := p.peek()
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.s):
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
		case c == q:
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errorf("a string is not closed with %c", q)
}

func (p *jparser) or() (fexpr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.s[p.pos:], "||") {
			return l, nil
		}
		p.pos += 2
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &fOr{l, r}
	}
}

func (p *jparser) and() (fexpr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpaces()
		if !strings.HasPrefix(p.s[p.pos:], "&&") {
			return l, nil
		}
		p.pos += 2
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &fAnd{l, r}
	}
}

func (p *jparser) unary() (fexpr, error) {
	p.skipSpaces()
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	switch {
	case p.eof():
		return nil, p.errorf("the filter ends too early")
	case p.peek() == '!' && !strings.HasPrefix(p.s[p.pos:], "!="):
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &fNot{x}, nil
	case p.peek() == '(':
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		p.skipSpaces()
		if !p.peekIs(')') {
			return nil, p.errorf("'(' is not closed with ')'")
		}
		p.pos++
		return x, nil
	}
	return p.relation()
}

// The relational operators, longest first.
var (
	symbolOps = []string{"===", "!==", "==", "!=", "<=", ">=", "=~", "<", ">"}
	wordOps   = []string{"subsetof", "contains", "noneof", "anyof", "empty", "size", "nin", "in"}
)

func (p *jparser) relation() (fexpr, error) {
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	op := p.operator()
	if op == "" {
		if left.path == nil {
			return nil, p.errorf("a filter needs a path to test, such as @.x, or a comparison")
		}
		return &fRel{left: left}, nil
	}
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	if op == "=~" && right.re == nil {
		return nil, p.errorf("=~ needs a regular expression such as /ab+c/i on its right")
	}
	return &fRel{left: left, op: op, right: right}, nil
}

func (p *jparser) operator() string {
	rest := p.s[p.pos:]
	for _, op := range symbolOps {
		if strings.HasPrefix(rest, op) {
			p.pos += len(op)
			return op
		}
	}
	for _, op := range wordOps {
		if strings.HasPrefix(rest, op) && (len(rest) == len(op) || !isWordChar(rest[len(op)])) {
			p.pos += len(op)
			return op
		}
	}
	return ""
}

func isWordChar(c byte) bool {
	return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func (p *jparser) operand() (operand, error) {
	p.skipSpaces()
	if p.eof() {
		return operand{}, p.errorf("the filter ends too early")
	}
	switch c := p.peek(); {
	case c == '@' || c == '$':
		jp, err := p.path(false)
		return operand{path: jp}, err
	case c == '/':
		re, err := p.regex()
		return operand{re: re}, err
	}
	v, err := p.literal()
	return operand{lit: v}, err
}

// literal parses a string, number, true, false, null or an array of them.
func (p *jparser) literal() (any, error) {
	p.skipSpaces()
	if p.eof() {
		return nil, p.errorf("the filter ends too early")
	}
	switch c := p.peek(); {
	case c == '\'' || c == '"':
		return p.quoted()
	case c == '-' || isDigit(c):
		return p.number()
	case c == '[':
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		p.pos++
		list := []any{}
		p.skipSpaces()
		if p.peekIs(']') {
			p.pos++
			return list, nil
		}
		for {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			p.skipSpaces()
			if p.peekIs(',') {
				p.pos++
				continue
			}
			if p.peekIs(']') {
				p.pos++
				return list, nil
			}
			return nil, p.errorf("an array is not closed with ']'")
		}
	}
	for _, w := range []struct {
		word  string
		value any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		rest := p.s[p.pos:]
		if strings.HasPrefix(rest, w.word) && (len(rest) == len(w.word) || !isWordChar(rest[len(w.word)])) {
			p.pos += len(w.word)
			return w.value, nil
		}
	}
	return nil, p.errorf("unexpected %q in a filter", p.peek())
}

// number parses a JSON number.
func (p *jparser) number() (any, error) {
	start := p.pos
	if p.peekIs('-') {
		p.pos++
	}
	digits := func() int {
		n := 0
		for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
			p.pos++
			n++
		}
		return n
	}
	if digits() == 0 {
		return nil, p.errorf("bad number")
	}
	if p.peekIs('.') {
		p.pos++
		if digits() == 0 {
			return nil, p.errorf("bad number")
		}
	}
	if p.peekIs('e') || p.peekIs('E') {
		p.pos++
		if p.peekIs('+') || p.peekIs('-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.errorf("bad number")
		}
	}
	return json.Number(p.s[start:p.pos]), nil
}

// regex parses /pattern/flags. Jayway matches the whole string.
func (p *jparser) regex() (*regexp.Regexp, error) {
	p.pos++ // /
	var b strings.Builder
	closed := false
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '\\' && p.pos+1 < len(p.s) && p.s[p.pos+1] == '/' {
			b.WriteByte('/')
			p.pos += 2
			continue
		}
		p.pos++
		if c == '/' {
			closed = true
			break
		}
		b.WriteByte(c)
	}
	if !closed {
		return nil, p.errorf("a regular expression is not closed with /")
	}
	flags := ""
	for p.pos < len(p.s) && isWordChar(p.s[p.pos]) {
		switch f := p.s[p.pos]; f {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, rune(f)) {
				flags += string(f)
			}
		default:
			return nil, p.errorf("unsupported regular expression flag %q; use i, m or s", f)
		}
		p.pos++
	}
	pattern := `\A(?:` + b.String() + `)\z`
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, p.errorf("bad regular expression: %v", err)
	}
	return re, nil
}

// spend counts work and fails once an evaluation has done too much.
func (e *evaluator) spend(n int) error {
	e.steps += n
	if e.steps > maxEvalSteps {
		return fmt.Errorf("%w: the expression visits more than %d values", ErrExpressionLimit, maxEvalSteps)
	}
	return nil
}

// run evaluates a path from start; root is what $ means. ok is false when a
// definite path does not resolve.
func (e *evaluator) run(p *jpath, start, root any) (v any, ok bool, err error) {
	nodes := []any{start}
	for i := range p.segs {
		seg := &p.segs[i]
		leaf := i == len(p.segs)-1
		var next []any
		for _, n := range nodes {
			if seg.descent {
				next, err = e.descend(n, seg, leaf, root, next)
			} else {
				next, err = e.step(n, seg, leaf, root, next)
			}
			if err != nil {
				return nil, false, err
			}
		}
		nodes = next
		if len(nodes) == 0 {
			break
		}
	}
	for i, n := range nodes {
		if _, isRoot := n.(rootRef); isRoot {
			if nodes[i], err = e.rootDoc(); err != nil {
				return nil, false, err
			}
		}
	}
	if p.definite {
		if len(nodes) > 0 {
			v, ok = nodes[0], true
		}
	} else {
		v, ok = append([]any{}, nodes...), true
	}
	if p.fn != "" {
		if !ok {
			return nil, false, nil
		}
		v = applyFunction(p.fn, v)
		ok = v != nil
	}
	return v, ok, nil
}

// step applies one step to node n and appends the results to out.
func (e *evaluator) step(n any, seg *jseg, leaf bool, root any, out []any) ([]any, error) {
	if err := e.spend(1); err != nil {
		return nil, err
	}
	if _, isRoot := n.(rootRef); isRoot {
		if seg.kind == segName && len(seg.names) == 1 {
			if v, ok := e.source(seg.names[0]); ok {
				out = append(out, v)
			}
			return out, nil
		}
		doc, err := e.rootDoc()
		if err != nil {
			return nil, err
		}
		n = doc
	}
	switch seg.kind {
	case segName:
		m, ok := n.(map[string]any)
		if !ok {
			return out, nil
		}
		if len(seg.names) == 1 || !leaf {
			for _, name := range seg.names {
				if v, ok := m[name]; ok {
					out = append(out, v)
				}
			}
			return out, e.spend(len(seg.names))
		}
		merged := map[string]any{}
		for _, name := range seg.names {
			if v, ok := m[name]; ok {
				merged[name] = v
			}
		}
		return append(out, merged), e.spend(len(seg.names))
	case segIndex:
		list, ok := n.([]any)
		if !ok {
			return out, nil
		}
		for _, i := range seg.indexes {
			if i < 0 {
				i += len(list)
			}
			if i >= 0 && i < len(list) {
				out = append(out, list[i])
			}
		}
		return out, e.spend(len(seg.indexes))
	case segSlice:
		list, ok := n.([]any)
		if !ok {
			return out, nil
		}
		from, to := 0, len(list)
		if seg.hasFrom {
			from = seg.from
			if from < 0 {
				from = max(0, len(list)+from)
			}
		}
		if seg.hasTo {
			to = seg.to
			if to < 0 {
				to = len(list) + to
			}
		}
		to = min(to, len(list))
		if from < to {
			out = append(out, list[from:to]...)
			return out, e.spend(to - from)
		}
		return out, nil
	case segWild:
		switch t := n.(type) {
		case map[string]any:
			for _, k := range sortedKeys(t) {
				out = append(out, t[k])
			}
			return out, e.spend(len(t))
		case []any:
			out = append(out, t...)
			return out, e.spend(len(t))
		}
		return out, nil
	case segFilter:
		switch t := n.(type) {
		case map[string]any:
			ok, err := e.test(seg.filter, t, root)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, t)
			}
		case []any:
			for _, x := range t {
				ok, err := e.test(seg.filter, x, root)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, x)
				}
			}
		}
	}
	return out, nil
}

// descend applies a step after ".." to n and to every value below it, in
// document order (map members by key). As in Jayway, a filter after ".."
// tests every object.
func (e *evaluator) descend(n any, seg *jseg, leaf bool, root any, out []any) ([]any, error) {
	if _, isRoot := n.(rootRef); isRoot {
		doc, err := e.rootDoc()
		if err != nil {
			return nil, err
		}
		n = doc
	}
	var err error
	if seg.kind == segFilter {
		if m, ok := n.(map[string]any); ok {
			if err := e.spend(1); err != nil {
				return nil, err
			}
			ok, err := e.test(seg.filter, m, root)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, m)
			}
		}
	} else if out, err = e.step(n, seg, leaf, root, out); err != nil {
		return nil, err
	}
	switch t := n.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			switch t[k].(type) {
			case map[string]any, []any:
				if out, err = e.descend(t[k], seg, leaf, root, out); err != nil {
					return nil, err
				}
			}
		}
	case []any:
		for _, x := range t {
			switch x.(type) {
			case map[string]any, []any:
				if out, err = e.descend(x, seg, leaf, root, out); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// test evaluates a filter for one item.
func (e *evaluator) test(f fexpr, item, root any) (bool, error) {
	if err := e.spend(1); err != nil {
		return false, err
	}
	switch t := f.(type) {
	case *fOr:
		ok, err := e.test(t.l, item, root)
		if err != nil || ok {
			return ok, err
		}
		return e.test(t.r, item, root)
	case *fAnd:
		ok, err := e.test(t.l, item, root)
		if err != nil || !ok {
			return ok, err
		}
		return e.test(t.r, item, root)
	case *fNot:
		ok, err := e.test(t.x, item, root)
		return !ok, err
	case *fRel:
		return e.relate(t, item, root)
	}
	return false, nil
}

// value of an operand for one item; ok is false when a path is undefined.
func (e *evaluator) operandValue(o operand, item, root any) (any, bool, error) {
	if o.path == nil {
		return o.lit, true, nil
	}
	start := root
	if o.path.relative {
		start = item
	}
	return e.run(o.path, start, root)
}

func (e *evaluator) relate(r *fRel, item, root any) (bool, error) {
	l, lok, err := e.operandValue(r.left, item, root)
	if err != nil {
		return false, err
	}
	if r.op == "" {
		// An existence test; an indefinite path exists when it matches.
		if list, isList := l.([]any); isList && !r.left.path.definite && r.left.path.fn == "" {
			return len(list) > 0, nil
		}
		return lok, nil
	}
	if r.op == "=~" {
		s, isStr := l.(string)
		if !isStr {
			s, isStr = numberText(l)
		}
		return lok && isStr && r.right.re.MatchString(s), nil
	}
	rv, rok, err := e.operandValue(r.right, item, root)
	if err != nil {
		return false, err
	}
	switch r.op {
	case "==", "===":
		return lok && rok && equalValues(l, rv, r.op == "==="), nil
	case "!=", "!==":
		return !(lok && rok && equalValues(l, rv, r.op == "!==")), nil
	}
	if !lok || !rok {
		return r.op == "nin", nil
	}
	switch r.op {
	case "<", "<=", ">", ">=":
		c, ok := compareValues(l, rv)
		if !ok {
			return false, nil
		}
		switch r.op {
		case "<":
			return c < 0, nil
		case "<=":
			return c <= 0, nil
		case ">":
			return c > 0, nil
		}
		return c >= 0, nil
	case "in", "nin":
		list, ok := rv.([]any)
		if !ok {
			return false, nil
		}
		return containsValue(list, l) == (r.op == "in"), nil
	case "contains":
		switch t := l.(type) {
		case []any:
			return containsValue(t, rv), nil
		case string:
			s, ok := rv.(string)
			return ok && strings.Contains(t, s), nil
		}
		return false, nil
	case "subsetof", "anyof", "noneof":
		ll, ok1 := l.([]any)
		rl, ok2 := rv.([]any)
		if !ok1 || !ok2 {
			return false, nil
		}
		switch r.op {
		case "subsetof":
			for _, x := range ll {
				if !containsValue(rl, x) {
					return false, nil
				}
			}
			return true, nil
		case "anyof":
			for _, x := range ll {
				if containsValue(rl, x) {
					return true, nil
				}
			}
			return false, nil
		}
		for _, x := range ll {
			if containsValue(rl, x) {
				return false, nil
			}
		}
		return true, nil
	case "size":
		n, ok := length(l)
		if !ok {
			return false, nil
		}
		c, ok := compareValues(intNumber(int64(n)), rv)
		return ok && c == 0, nil
	case "empty":
		want, ok := rv.(bool)
		n, ok2 := length(l)
		return ok && ok2 && (n == 0) == want, nil
	}
	return false, nil
}

// length of an array, object or string (in UTF-16 units, as Java counts).
func length(v any) (int, bool) {
	switch t := v.(type) {
	case []any:
		return len(t), true
	case map[string]any:
		return len(t), true
	case string:
		return len(utf16.Encode([]rune(t))), true
	}
	return 0, false
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if equalValues(x, v, false) {
			return true
		}
	}
	return false
}

// equalValues compares JSON values; numbers compare by value. Unless strict,
// a number also equals a string that holds the same number, as in Jayway.
func equalValues(a, b any, strict bool) bool {
	an, aNum := numberText(a)
	bn, bNum := numberText(b)
	switch {
	case aNum && bNum:
		c, ok := compareNumbers(an, bn)
		return ok && c == 0
	case aNum || bNum:
		if strict {
			return false
		}
		if s, ok := a.(string); ok {
			c, ok := compareNumbers(s, bn)
			return ok && c == 0
		}
		if s, ok := b.(string); ok {
			c, ok := compareNumbers(an, s)
			return ok && c == 0
		}
		return false
	}
	switch at := a.(type) {
	case nil:
		return b == nil
	case string:
		bt, ok := b.(string)
		return ok && at == bt
	case bool:
		bt, ok := b.(bool)
		return ok && at == bt
	case []any:
		bt, ok := b.([]any)
		if !ok || len(at) != len(bt) {
			return false
		}
		for i := range at {
			if !equalValues(at[i], bt[i], strict) {
				return false
			}
		}
		return true
	case map[string]any:
		bt, ok := b.(map[string]any)
		if !ok || len(at) != len(bt) {
			return false
		}
		for k, v := range at {
			w, ok := bt[k]
			if !ok || !equalValues(v, w, strict) {
				return false
			}
		}
		return true
	}
	return false
}

// compareValues orders two numbers or two strings.
func compareValues(a, b any) (int, bool) {
	an, aNum := numberText(a)
	bn, bNum := numberText(b)
	if aNum && bNum {
		return compareNumbers(an, bn)
	}
	as, ok1 := a.(string)
	bs, ok2 := b.(string)
	if ok1 && ok2 {
		return strings.Compare(as, bs), true
	}
	return 0, false
}

// numberText returns the decimal text of a number value.
func numberText(v any) (string, bool) {
	switch t := v.(type) {
	case json.Number:
		return string(t), true
	case int:
		return strconv.Itoa(t), true
	case int8:
		return strconv.FormatInt(int64(t), 10), true
	case int16:
		return strconv.FormatInt(int64(t), 10), true
	case int32:
		return strconv.FormatInt(int64(t), 10), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case uint:
		return strconv.FormatUint(uint64(t), 10), true
	case uint8:
		return strconv.FormatUint(uint64(t), 10), true
	case uint16:
		return strconv.FormatUint(uint64(t), 10), true
	case uint32:
		return strconv.FormatUint(uint64(t), 10), true
	case uint64:
		return strconv.FormatUint(t, 10), true
	case float32:
		return strconv.FormatFloat(float64(t), 'g', -1, 32), true
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64), true
	}
	return "", false
}

// compareNumbers compares two numbers written in decimal. Integers compare
// exactly at any size; anything else compares as float64.
func compareNumbers(a, b string) (int, bool) {
	if isInteger(a) && isInteger(b) {
		x, y := new(big.Int), new(big.Int)
		if _, ok := x.SetString(a, 10); !ok {
			return 0, false
		}
		if _, ok := y.SetString(b, 10); !ok {
			return 0, false
		}
		return x.Cmp(y), true
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if !floatOK(err1) || !floatOK(err2) || math.IsNaN(x) || math.IsNaN(y) {
		return 0, false
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// floatOK accepts a parsed float, including one out of range (±Inf or 0).
func floatOK(err error) bool {
	return err == nil || errors.Is(err, strconv.ErrRange)
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// applyFunction applies a trailing path function to the result of the path
// before it; nil means no result.
func applyFunction(fn string, v any) any {
	switch fn {
	case "length":
		if n, ok := length(v); ok {
			return intNumber(int64(n))
		}
		return nil
	case "keys":
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		keys := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			keys = append(keys, k)
		}
		return keys
	case "first", "last":
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return nil
		}
		if fn == "first" {
			return list[0]
		}
		return list[len(list)-1]
	}
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	var nums []float64
	for _, x := range list {
		if s, ok := numberText(x); ok {
			if f, err := strconv.ParseFloat(s, 64); floatOK(err) {
				nums = append(nums, f)
			}
		}
	}
	if len(nums) == 0 {
		return nil
	}
	var r float64
	switch fn {
	case "min":
		r = slices.Min(nums)
	case "max":
		r = slices.Max(nums)
	case "sum", "avg":
		for _, f := range nums {
			r += f
		}
		if fn == "avg" {
			r /= float64(len(nums))
		}
	}
	return javaDouble(r)
}

// javaDouble writes a float64 the way Java's Double.toString does, since
// Jayway's aggregate functions return doubles: 6.0, 2.5, 1.0E7.
func javaDouble(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return json.Number(s)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+07, 1.5e-05
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	exp = strings.TrimPrefix(exp, "+")
	if strings.HasPrefix(exp, "-") {
		exp = "-" + strings.TrimLeft(exp[1:], "0")
	} else {
		exp = strings.TrimLeft(exp, "0")
	}
	return json.Number(mant + "E" + exp)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
