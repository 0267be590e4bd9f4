// Package script runs the scripts of Conductor workflows: JavaScript (INLINE
// tasks, SWITCH's javascript evaluator, DO_WHILE's loopCondition, event
// handlers' conditions) with goja, and jq (JSON_JQ_TRANSFORM tasks) with
// gojq, under limits of time, memory and output size.
//
// # What runs
//
// Evaluator.JS compiles an expression once (compiled scripts are cached by
// source) and runs it in a fresh goja runtime for every call, with a copy of
// the input bound to the global `$`. The expression is a script whose
// completion value is the result, as Conductor evaluates it:
// `$.a == 1 ? 'x' : 'y'` and `function f() { return $.v; } f();` both work.
// Calls share nothing but immutable compiled code, so a script's globals,
// `var`s and changes to built-in prototypes die with its runtime. A call of
// `$.a + 1` takes 6 to 20µs (BenchmarkJS, a busy two-core machine).
//
// Evaluator.JQ compiles a query once and runs it over a copy of the input,
// returning every result.
//
// Inputs are what encoding/json decodes with UseNumber; other Go values are
// converted through encoding/json. Results are map[string]any, []any,
// string, bool, nil and json.Number for every number, integers written
// without a decimal point. In JavaScript, numbers are doubles: an integer
// past 2^53 in the input, such as 9007199254740993, arrives rounded
// (9007199254740992), as in every JavaScript engine; BigInt values come out
// exact. jq keeps integers of any size exact. undefined becomes null, toJSON
// is applied (a Date becomes its ISO string), and a result JSON cannot hold
// fails rather than being dropped the way JSON.stringify drops it: NaN and
// Infinity are Runtime errors; functions, symbols, cycles and nesting past
// 1000 levels are Output errors.
//
// # No host access
//
// Scripts come with workflow definitions, written by the server's users
// rather than its operators, so they get the language and nothing of the
// host. JavaScript has the standard built-ins (Date and Math.random
// included) and no require, modules, timers, files, network or environment.
// It has a console whose methods do nothing: Conductor's scripts often call
// console.log, and their authors must not write into the server's log.
// goja's source maps are off, since goja would read the file a script's
// sourceMappingURL comment names from the server's disk. gojq's defaults
// already shut jq out: $ENV and env are empty, input and inputs are refused
// and modules cannot be loaded.
//
// # Limits
//
// Time: a timer interrupts the script when Limits.Timeout has passed,
// through goja's Runtime.Interrupt or the cancel of gojq's context; the
// error's Kind is Timeout. Function calls nest at most 1024 deep; a
// recursion without an end is a Runtime error.
//
// Memory: goja and gojq have no memory limit and Go cannot say which
// goroutine allocated what, so the limit is measured on the process's heap.
// While a call runs, a timer reads the bytes in heap objects every 2ms
// (runtime/metrics, about 1µs a reading). When they have grown by more than
// Limits.MaxMemory since the call began, a garbage collection (shared by the
// calls that need one at the same time) measures the live heap; if that
// grew by more than MaxMemory, the call is stopped with a Memory error.
// Garbage is free: a script may allocate many times the limit if little of
// it stays live. Growth of more than 4×MaxMemory stops the call without
// waiting for the collection, which can take long.
//
// goja runs each built-in as one step that Interrupt cannot stop, so
// guards stand in front of the built-ins whose cost is set by a number
// rather than by data the script already has: String.prototype.repeat,
// padStart and padEnd, Array.prototype.fill and join, and Array.from. A guard
// refuses a call that would make a string of more than MaxMemory/2
// characters or walk more than MaxMemory/256 elements, and stops the script
// with a Memory error that try/catch cannot catch: `'x'.repeat(1e9)` and
// `new Array(1e9).fill(0)` fail at once, having allocated nothing.
//
// Output: the result's JSON encoding, counted exactly as encoding/json
// writes it and for jq over all results, may take at most Limits.MaxOutput
// bytes; a larger result is an Output error, found before it is all built.
//
// # What the limits do not do
//
// The memory limit is approximate. Other goroutines' live allocations
// during a call count against it. Garbage in the heap when a call starts
// hides the call's growth until a collection frees it; the call's baseline
// then moves down, forgiving what the script held at that moment, so a
// script can reach about twice MaxMemory. A process with a large heap and
// heavy allocation can grow by 4×MaxMemory of other goroutines' garbage
// during one long call and stop it wrongly. And the heap is read only every
// 2ms and a script is stopped only between its steps, while a collection
// waiting for a step that copies a huge string holds up the watch too: a
// script that doubles a string (`s += s`) allocates twice as much at every
// step, and with a limit of 32 or 64 MiB was seen to allocate 256 to
// 512 MiB in all before it stopped.
//
// The guards cover mistakes: a runaway loop, a count taken from the wrong
// field, a recursion with no end. They do not make goja a sandbox for a
// hostile author, who can still make one step of a built-in run long or
// allocate much, beyond the reach of the timer and the heap check: spread
// or JSON.stringify of a sparse array a billion long, typed arrays
// (new Uint8Array(1e9)), Object.entries of a long string, a replace with a
// long replacement, a backtracking regular expression, or a guarded
// built-in reached by a name built at run time (s['rep' + 'eat']); in jq,
// `"x" * 2e9` (gojq allows 2 GiB) or setpath with an index near 2^29. Hostile
// scripts need a separate process with the operating system's limits.
package script
