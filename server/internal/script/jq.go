package script

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// JQ runs a jq query over input and returns every result, in order, as JSON
// values like JS's. A query with no results returns an empty slice; `halt`
// ends the results early without an error.
func (e *Evaluator) JQ(query string, input any) ([]any, error) {
	code, err := e.queries.get(query, compileJQ)
	if err != nil {
		return nil, err
	}
	in, err := jqValue(input, 0)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	w := newWatch(func(err *Error) { cancel(err) })
	w.start(e)
	defer w.stop()
	results, err := run(w, func() ([]any, *Error) {
		x := goExporter{budget: budget{max: e.limits.MaxOutput}}
		results := []any{}
		iter := code.RunWithContext(ctx, in)
		for {
			v, ok := iter.Next()
			if !ok {
				return results, nil
			}
			if err, ok := v.(error); ok {
				var halt *gojq.HaltError
				if errors.As(err, &halt) && halt.ExitCode() == 0 {
					return results, nil
				}
				return nil, jqError(err)
			}
			out, err := x.value(v, 0)
			if err != nil {
				return nil, err
			}
			results = append(results, out)
		}
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// compileJQ compiles a query with gojq's defaults, which give it no host
// access: $ENV and env are empty, input and inputs are refused, and modules
// cannot be loaded.
func compileJQ(query string) (*gojq.Code, *Error) {
	parsed, err := gojq.Parse(query)
	if err != nil {
		var syntax *gojq.ParseError
		if errors.As(err, &syntax) {
			line, column := position(query, syntax.Offset)
			return nil, errorf(Syntax, "jq syntax error: %v (line %d, column %d)", err, line, column)
		}
		return nil, errorf(Syntax, "jq syntax error: %v", err)
	}
	code, err := gojq.Compile(parsed)
	if err != nil {
		return nil, errorf(Syntax, "jq: %v", err)
	}
	return code, nil
}

// position is the line and column, counted from 1, of a byte offset in src.
func position(src string, offset int) (line, column int) {
	offset = min(max(offset, 0), len(src))
	line = 1 + strings.Count(src[:offset], "\n")
	return line, offset - strings.LastIndex(src[:offset], "\n")
}

// jqError turns an error a query raised into an Error. error("bad") says
// "bad", not gojq's "error: bad".
func jqError(err error) *Error {
	var raised gojq.ValueError
	if errors.As(err, &raised) {
		if msg, ok := raised.Value().(string); ok {
			return errorf(Runtime, "%s", msg)
		}
	}
	return errorf(Runtime, "%v", err)
}

// jqValue copies an input value into the types gojq works with:
// map[string]any, []any, string, bool, nil and, for numbers, int when it is
// an integer that fits, *big.Int when it is a larger integer (so it stays
// exact) and float64 otherwise.
func jqValue(v any, depth int) (any, *Error) {
	if depth > maxDepth {
		return nil, tooDeep(Runtime, "input")
	}
	switch v := v.(type) {
	case nil, string, bool, float64, int:
		return v, nil
	case int64:
		return int(v), nil
	case json.Number:
		return jqNumber(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for key, e := range v {
			value, err := jqValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[key] = value
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			value, err := jqValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = value
		}
		return out, nil
	}
	plain, err := plainJSON(v)
	if err != nil {
		return nil, err
	}
	return jqValue(plain, depth)
}

func jqNumber(n json.Number) (any, *Error) {
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 0); err == nil {
		return int(i), nil
	}
	if !strings.ContainsAny(s, ".eE") {
		if i, ok := new(big.Int).SetString(s, 10); ok {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, errorf(Runtime, "the input holds %q, which is not a number", s)
	}
	return f, nil
}

// goExporter converts jq's results to JSON values: fresh maps and slices,
// and every number a json.Number.
type goExporter struct {
	budget budget
	path   path
}

func (x *goExporter) value(v any, depth int) (any, *Error) {
	if depth > maxDepth {
		return nil, tooDeep(Output, "result")
	}
	switch v := v.(type) {
	case nil:
		return x.budget.take(nil, 4)
	case bool:
		if v {
			return x.budget.take(true, 4)
		}
		return x.budget.take(false, 5)
	case string:
		return x.budget.take(v, stringSize(v))
	case int:
		n := json.Number(strconv.Itoa(v))
		return x.budget.take(n, len(n))
	case float64:
		n, ok := floatNumber(v)
		if !ok {
			return nil, notANumber(x.path, v)
		}
		return x.budget.take(n, len(n))
	case *big.Int:
		n := json.Number(v.String())
		return x.budget.take(n, len(n))
	case json.Number:
		return x.budget.take(v, len(v))
	case []any:
		if !x.budget.spend(2 + max(len(v)-1, 0)) {
			return nil, tooLarge(x.budget.max)
		}
		out := make([]any, len(v))
		for i, e := range v {
			x.path = append(x.path, segment{index: i})
			value, err := x.value(e, depth+1)
			x.path = x.path[:len(x.path)-1]
			if err != nil {
				return nil, err
			}
			out[i] = value
		}
		return out, nil
	case map[string]any:
		if !x.budget.spend(2 + max(len(v)-1, 0)) {
			return nil, tooLarge(x.budget.max)
		}
		out := make(map[string]any, len(v))
		for key, e := range v {
			if !x.budget.spend(stringSize(key) + 1) {
				return nil, tooLarge(x.budget.max)
			}
			x.path = append(x.path, segment{key: key, index: -1})
			value, err := x.value(e, depth+1)
			x.path = x.path[:len(x.path)-1]
			if err != nil {
				return nil, err
			}
			out[key] = value
		}
		return out, nil
	}
	return nil, errorf(Output, "%s is a %T, which is not JSON", x.path, v)
}
