package script

import (
	"math"
	"strings"

	"github.com/dop251/goja"
)

// elementCost bounds the elements a guarded built-in may walk in one step to
// MaxMemory/elementCost. Measured with goja, walking one element grows the
// heap by 16 to 120 bytes (fill on an array-like object is the worst; up to
// 760 bytes are allocated, most of it collected on the way) and takes up to
// 2µs, so at the default 64 MiB one step stays below half the limit and
// about half a second.
const elementCost = 256

// guards stand in front of the built-ins whose cost is set by a number
// rather than by data the script already built. goja runs a built-in as one
// step that Runtime.Interrupt cannot stop, so `'x'.repeat(1e9)` or
// `new Array(1e9).fill(0)` would allocate gigabytes before the watch could
// act; a guard refuses such a call before it starts and halts the script
// with a Memory error.
type guards struct {
	rt *goja.Runtime
	w  *watch
	// maxChars is the longest string a guarded built-in may make: two
	// bytes a character, as goja stores strings that are not ASCII.
	maxChars float64
	// maxElements is the most array elements a guarded built-in may walk.
	maxElements int64
	maxMemory   int64
}

// check inspects a call of a built-in before it runs. It may return the call
// with its this and arguments converted to primitives, so that a conversion
// that runs script code (valueOf, toString) runs once, not twice.
type check func(goja.FunctionCall) (goja.FunctionCall, *Error)

// guarded lists the built-ins guards stand in front of.
var guarded = [...]struct {
	owner string // the global constructor that holds it
	proto bool   // held by the owner's prototype, not by the owner
	name  string
	check func(*guards) check
}{
	{"String", true, "repeat", func(g *guards) check { return g.repeat }},
	{"String", true, "padStart", func(g *guards) check { return g.pad("String.prototype.padStart") }},
	{"String", true, "padEnd", func(g *guards) check { return g.pad("String.prototype.padEnd") }},
	{"Array", true, "fill", func(g *guards) check { return g.elements("Array.prototype.fill", thisValue) }},
	{"Array", true, "join", func(g *guards) check { return g.join }},
	{"Array", false, "from", func(g *guards) check { return g.elements("Array.from", firstArgument) }},
}

// builtins is a set of the built-ins in guarded, by index.
type builtins uint8

// A script reaches a built-in, or the console, by its name. So a runtime gets
// only the guards, and the console, whose names the script's source holds:
// each guard costs goja some 8µs to build and the console 9µs, and most
// scripts use none of them. A script that can build code at run time (eval,
// Function, a function's constructor) gets them all. A script that builds a
// name itself, s['rep' + 'eat'](1e9), goes around its guard: guards are for
// mistakes; the package documentation lists what a hostile author can still
// do.
func runtimeNeeds(src string) (guards builtins, console bool) {
	if strings.Contains(src, "eval") || strings.Contains(src, "Function") || strings.Contains(src, "constructor") {
		return 1<<len(guarded) - 1, true
	}
	for i, b := range guarded {
		if strings.Contains(src, b.name) {
			guards |= 1 << i
		}
	}
	return guards, strings.Contains(src, "console")
}

func addGuards(rt *goja.Runtime, w *watch, maxMemory int64, set builtins) error {
	g := &guards{
		rt:          rt,
		w:           w,
		maxChars:    float64(maxMemory / 2),
		maxElements: maxMemory / elementCost,
		maxMemory:   maxMemory,
	}
	for i, b := range guarded {
		if set&(1<<i) == 0 {
			continue
		}
		owner := rt.Get(b.owner).ToObject(rt)
		if b.proto {
			owner = owner.Get("prototype").ToObject(rt)
		}
		if err := g.wrap(owner, b.name, b.check(g)); err != nil {
			return err
		}
	}
	return nil
}

// wrap replaces the built-in obj[name] with one that runs check first.
func (g *guards) wrap(obj *goja.Object, name string, check check) error {
	builtin, ok := goja.AssertFunction(obj.Get(name))
	if !ok {
		return errorf(Runtime, "the built-in %s is not a function", name)
	}
	return obj.Set(name, func(call goja.FunctionCall) goja.Value {
		call, err := check(call)
		if err != nil {
			// The halt makes the refusal uncatchable; the throw ends
			// the built-in here.
			g.w.halt(err)
			panic(g.rt.NewGoError(err))
		}
		v, thrown := builtin(call.This, call.Arguments...)
		if thrown != nil {
			panic(thrown) // goja rethrows its exceptions as they were
		}
		return v
	})
}

func (g *guards) tooLong(builtin string, chars float64) *Error {
	return errorf(Memory, "%s would make a string of %.0f characters, too long for the %s a script may use; the script was stopped",
		builtin, chars, formatBytes(g.maxMemory))
}

func (g *guards) tooMany(builtin string, elements int64) *Error {
	return errorf(Memory, "%s would walk %d elements, too many for the %s a script may use; the script was stopped",
		builtin, elements, formatBytes(g.maxMemory))
}

func (g *guards) repeat(call goja.FunctionCall) (goja.FunctionCall, *Error) {
	s, ok := stringOf(call.This)
	if !ok {
		return call, nil // the built-in throws its TypeError
	}
	count := call.Argument(0).ToNumber()
	call = goja.FunctionCall{This: s, Arguments: []goja.Value{count}}
	n := float64(s.Length()) * count.ToFloat()
	if n > g.maxChars && !math.IsInf(n, 1) { // the built-in refuses Infinity itself
		return call, g.tooLong("String.prototype.repeat", n)
	}
	return call, nil
}

func (g *guards) pad(builtin string) check {
	return func(call goja.FunctionCall) (goja.FunctionCall, *Error) {
		s, ok := stringOf(call.This)
		if !ok {
			return call, nil
		}
		length := call.Argument(0).ToNumber()
		args := append([]goja.Value{length}, call.Arguments[min(1, len(call.Arguments)):]...)
		call = goja.FunctionCall{This: s, Arguments: args}
		if n := length.ToFloat(); n > g.maxChars {
			return call, g.tooLong(builtin, n)
		}
		return call, nil
	}
}

func (g *guards) join(call goja.FunctionCall) (goja.FunctionCall, *Error) {
	n := lengthOf(g.rt, call.This)
	if n > g.maxElements {
		return call, g.tooMany("Array.prototype.join", n)
	}
	sep := call.Argument(0)
	if goja.IsUndefined(sep) {
		return call, nil // a comma
	}
	s, ok := sep.ToString().(goja.String)
	if !ok {
		return call, nil
	}
	call = goja.FunctionCall{This: call.This, Arguments: []goja.Value{s}}
	if chars := float64(n-1) * float64(s.Length()); chars > g.maxChars {
		return call, g.tooLong("Array.prototype.join", chars)
	}
	return call, nil
}

// elements refuses a call whose array, picked from the call by arg, has
// more elements than a guarded built-in may walk.
func (g *guards) elements(builtin string, arg func(goja.FunctionCall) goja.Value) check {
	return func(call goja.FunctionCall) (goja.FunctionCall, *Error) {
		if n := lengthOf(g.rt, arg(call)); n > g.maxElements {
			return call, g.tooMany(builtin, n)
		}
		return call, nil
	}
}

func thisValue(call goja.FunctionCall) goja.Value     { return call.This }
func firstArgument(call goja.FunctionCall) goja.Value { return call.Argument(0) }

// stringOf converts v to a string as String.prototype methods do with their
// this. It reports false for null and undefined, which they refuse.
func stringOf(v goja.Value) (goja.String, bool) {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil, false
	}
	s, ok := v.ToString().(goja.String)
	return s, ok
}

// lengthOf is the length a built-in reads from v: a string's, or its
// "length" property as an integer between 0 and 2^53-1.
func lengthOf(rt *goja.Runtime, v goja.Value) int64 {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0
	}
	if s, ok := v.(goja.String); ok {
		return int64(s.Length())
	}
	n := v.ToObject(rt).Get("length")
	if n == nil {
		return 0
	}
	f := n.ToFloat()
	switch {
	case math.IsNaN(f) || f <= 0:
		return 0
	case f > 1<<53-1:
		return 1<<53 - 1
	}
	return int64(f)
}
