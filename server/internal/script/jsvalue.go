package script

import (
	"encoding/json"
	"errors"
	"maps"
	"math/big"
	"slices"
	"strconv"

	"github.com/dop251/goja"
)

// jsValue copies an input value into the runtime as plain JavaScript values.
// Objects and arrays are new JavaScript objects, not goja's wrappers of the Go
// maps, so a script that changes $ changes its copy only. Keys are added in
// sorted order, so that a script that walks them sees the same order every
// time it runs on the same input.
func jsValue(rt *goja.Runtime, v any, depth int) (goja.Value, *Error) {
	if depth > maxDepth {
		return nil, tooDeep(Runtime, "input")
	}
	switch v := v.(type) {
	case nil:
		return goja.Null(), nil
	case string:
		return rt.ToValue(v), nil
	case bool:
		return rt.ToValue(v), nil
	case json.Number:
		n, err := jsNumber(v)
		if err != nil {
			return nil, err
		}
		return rt.ToValue(n), nil
	case float64:
		return rt.ToValue(v), nil
	case int:
		return rt.ToValue(int64(v)), nil
	case int64:
		return rt.ToValue(v), nil
	case map[string]any:
		obj := rt.NewObject()
		for _, key := range slices.Sorted(maps.Keys(v)) {
			value, err := jsValue(rt, v[key], depth+1)
			if err != nil {
				return nil, err
			}
			// Defined, not set: a key "__proto__" is a property, as
			// JSON.parse makes it, not the object's prototype.
			if err := obj.DefineDataProperty(key, value, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
				return nil, errorf(Runtime, "copy the input's key %q: %v", key, err)
			}
		}
		return obj, nil
	case []any:
		items := make([]any, len(v))
		for i, e := range v {
			value, err := jsValue(rt, e, depth+1)
			if err != nil {
				return nil, err
			}
			items[i] = value
		}
		return rt.NewArray(items...), nil
	}
	plain, err := plainJSON(v)
	if err != nil {
		return nil, err
	}
	return jsValue(rt, plain, depth)
}

// jsNumber is an int64 when n is an integer that fits, else a float64. goja
// keeps integers up to 2^53 as integers and, like every JavaScript engine,
// rounds larger ones to doubles.
func jsNumber(n json.Number) (any, *Error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) { // out of range is ±Inf, as in JavaScript
		return nil, errorf(Runtime, "the input holds %q, which is not a number", string(n))
	}
	return f, nil
}

// jsExporter converts a script's result to JSON values, in the spirit of
// JSON.stringify: it calls toJSON (so a Date becomes its ISO string) and
// unwraps Number, String and Boolean objects. Where JSON.stringify would drop
// a value silently, it fails instead: a function or a symbol is an Output
// error and NaN or Infinity a Runtime one. undefined becomes null, also as a
// property's value, and a BigInt an exact json.Number.
type jsExporter struct {
	rt     *goja.Runtime
	budget budget
	path   path
	// parents are the objects being converted, outermost first, to tell a
	// cycle from a deep result.
	parents []*goja.Object
}

func (x *jsExporter) value(v goja.Value, depth int) (any, *Error) {
	if depth > maxDepth {
		return nil, tooDeep(Output, "result")
	}
	if obj, ok := v.(*goja.Object); ok {
		var err *Error
		if v, err = x.unwrap(obj); err != nil {
			return nil, err
		}
	}
	if obj, ok := v.(*goja.Object); ok {
		return x.object(obj, depth)
	}
	return x.primitive(v)
}

// unwrap applies toJSON and turns wrapper objects into their primitive.
func (x *jsExporter) unwrap(obj *goja.Object) (goja.Value, *Error) {
	if toJSON, ok := goja.AssertFunction(obj.Get("toJSON")); ok {
		v, err := toJSON(obj, x.rt.ToValue(x.path.key()))
		if err != nil {
			return nil, jsError(err)
		}
		next, ok := v.(*goja.Object)
		if !ok {
			return v, nil
		}
		obj = next
	}
	switch obj.ClassName() {
	case "Number":
		return obj.ToNumber(), nil
	case "String":
		return obj.ToString(), nil
	case "Boolean", "BigInt":
		// Their valueOf is their primitive.
		if valueOf, ok := goja.AssertFunction(obj.Get("valueOf")); ok {
			v, err := valueOf(obj)
			if err != nil {
				return nil, jsError(err)
			}
			return v, nil
		}
	}
	return obj, nil
}

func (x *jsExporter) object(obj *goja.Object, depth int) (any, *Error) {
	if _, ok := goja.AssertFunction(obj); ok {
		return nil, errorf(Output, "%s is a function, which is not JSON; return objects, arrays, strings, numbers, booleans or null", x.path)
	}
	if slices.Contains(x.parents, obj) {
		return nil, errorf(Output, "%s refers back to an object that contains it, which JSON cannot hold", x.path)
	}
	x.parents = append(x.parents, obj)
	defer func() { x.parents = x.parents[:len(x.parents)-1] }()

	if obj.ClassName() == "Array" {
		n := int(lengthOf(x.rt, obj))
		// Brackets and commas, and at least a byte an element: a length
		// past the budget fails without walking it.
		if !x.budget.fits(2*n + 1) {
			return nil, tooLarge(x.budget.max)
		}
		x.budget.spend(2 + max(n-1, 0))
		out := make([]any, n)
		for i := range n {
			x.path = append(x.path, segment{index: i})
			e, err := x.value(obj.Get(strconv.Itoa(i)), depth+1)
			x.path = x.path[:len(x.path)-1]
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}

	keys := obj.Keys()
	if !x.budget.spend(2 + max(len(keys)-1, 0)) {
		return nil, tooLarge(x.budget.max)
	}
	out := make(map[string]any, len(keys))
	for _, key := range keys {
		if !x.budget.spend(stringSize(key) + 1) {
			return nil, tooLarge(x.budget.max)
		}
		x.path = append(x.path, segment{key: key, index: -1})
		e, err := x.value(obj.Get(key), depth+1)
		x.path = x.path[:len(x.path)-1]
		if err != nil {
			return nil, err
		}
		out[key] = e
	}
	return out, nil
}

func (x *jsExporter) primitive(v goja.Value) (any, *Error) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) { // nil: a missing property
		return x.budget.take(nil, 4)
	}
	if _, ok := v.(*goja.Symbol); ok { // exports as its description
		return nil, errorf(Output, "%s is a symbol, which is not JSON; return objects, arrays, strings, numbers, booleans or null", x.path)
	}
	if s, ok := v.(goja.String); ok && !x.budget.fits(s.Length()+2) {
		return nil, tooLarge(x.budget.max) // without copying a huge string first
	}
	switch p := v.Export().(type) {
	case bool:
		if p {
			return x.budget.take(true, 4)
		}
		return x.budget.take(false, 5)
	case string:
		return x.budget.take(p, stringSize(p))
	case int64:
		n := json.Number(strconv.FormatInt(p, 10))
		return x.budget.take(n, len(n))
	case float64:
		n, ok := floatNumber(p)
		if !ok {
			return nil, notANumber(x.path, p)
		}
		return x.budget.take(n, len(n))
	case *big.Int:
		n := json.Number(p.String())
		return x.budget.take(n, len(n))
	default:
		return nil, errorf(Output, "%s is a %T, which is not JSON", x.path, p)
	}
}
