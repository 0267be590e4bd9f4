package script

import (
	"errors"
	"fmt"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// maxCallDepth is how deeply a script may nest function calls. Conductor's
// scripts rarely nest more than a few calls; the bound turns a recursion
// without an end into an error long before it costs much memory or, through
// built-ins that call back into the script, Go stack.
const maxCallDepth = 1024

// JS runs a Conductor JavaScript expression with input bound to the global
// `$` and returns its completion value as JSON values: map[string]any,
// []any, string, bool, json.Number or nil (for null and undefined). The
// expression is a script, not a function body: its value is the value of
// the last statement evaluated, as in `$.a == 1 ? 'x' : 'y'` or
// `function f() { return $.v; } f();`.
func (e *Evaluator) JS(expression string, input map[string]any) (any, error) {
	program, err := e.programs.get(expression, compileJS)
	if err != nil {
		return nil, err
	}
	rt := goja.New()
	w := newWatch(func(err *Error) { rt.Interrupt(err) })
	if err := e.prepare(rt, w, program, input); err != nil {
		return nil, err
	}
	w.start(e)
	defer w.stop()
	v, err := run(w, func() (any, *Error) {
		v, err := rt.RunProgram(program.program)
		if err != nil {
			return nil, jsError(err)
		}
		x := jsExporter{rt: rt, budget: budget{max: e.limits.MaxOutput}}
		return x.value(v, 0)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// jsProgram is a compiled script and what its runtime must provide.
type jsProgram struct {
	program *goja.Program
	guards  builtins
	console bool
}

func compileJS(src string) (*jsProgram, *Error) {
	// Source maps are off: goja would read the file a
	// sourceMappingURL comment names from the host's disk.
	ast, err := parser.ParseFile(nil, "", src, 0, parser.WithDisableSourceMaps)
	if err != nil {
		return nil, jsSyntaxError(err)
	}
	program, err := goja.CompileAST(ast, false)
	if err != nil {
		return nil, jsSyntaxError(err)
	}
	p := &jsProgram{program: program}
	p.guards, p.console = runtimeNeeds(src)
	return p, nil
}

func jsSyntaxError(err error) *Error {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return errorf(Syntax, "SyntaxError: %s (line %d, column %d)", list[0].Message, list[0].Position.Line, list[0].Position.Column)
	}
	var compile *goja.CompilerSyntaxError
	if errors.As(err, &compile) && compile.File != nil {
		p := compile.File.Position(compile.Offset)
		return errorf(Syntax, "SyntaxError: %s (line %d, column %d)", compile.Message, p.Line, p.Column)
	}
	return errorf(Syntax, "%v", err)
}

// prepare readies a fresh runtime for one call: limits, the guards and the
// console the program needs, and `$`.
func (e *Evaluator) prepare(rt *goja.Runtime, w *watch, p *jsProgram, input map[string]any) *Error {
	rt.SetMaxCallStackSize(maxCallDepth)
	rt.SetParserOptions(parser.WithDisableSourceMaps) // for eval and Function
	if err := addGuards(rt, w, e.limits.MaxMemory, p.guards); err != nil {
		return errorf(Runtime, "prepare the script's built-ins: %v", err)
	}
	if p.console {
		if err := addConsole(rt); err != nil {
			return errorf(Runtime, "prepare the script's console: %v", err)
		}
	}
	dollar, serr := jsValue(rt, input, 0)
	if serr != nil {
		return serr
	}
	if err := rt.Set("$", dollar); err != nil {
		return errorf(Runtime, "bind the input to $: %v", err)
	}
	return nil
}

// addConsole gives scripts the console Conductor's scripts often call. Its
// methods do nothing: a script's output belongs in its result, and a
// workflow's author could otherwise write into the server's log.
func addConsole(rt *goja.Runtime) error {
	console := rt.NewObject()
	nothing := rt.ToValue(func(goja.FunctionCall) goja.Value { return goja.Undefined() })
	for _, name := range []string{"log", "info", "warn", "error", "debug"} {
		if err := console.Set(name, nothing); err != nil {
			return err
		}
	}
	return rt.Set("console", console)
}

// jsError turns what goja returned into an Error.
func jsError(err error) *Error {
	var stopped *Error
	if errors.As(err, &stopped) { // an interruption by the watch or a guard
		return stopped
	}
	var overflow *goja.StackOverflowError
	if errors.As(err, &overflow) {
		return errorf(Runtime, "the script nested function calls more than %d deep and was stopped; does a recursion never end?", maxCallDepth)
	}
	var thrown *goja.Exception
	if errors.As(err, &thrown) {
		return errorf(Runtime, "%s", describe(thrown))
	}
	return errorf(Runtime, "%v", err)
}

// describe says what a script threw and where: "Error: boom (line 1,
// column 7)".
func describe(thrown *goja.Exception) string {
	msg := valueString(thrown.Value())
	stack := thrown.Stack()
	for i := range stack {
		// Frames of built-ins have no position; the script's first frame
		// is where it went wrong.
		if p := stack[i].Position(); p.Line > 0 {
			return fmt.Sprintf("%s (line %d, column %d)", msg, p.Line, p.Column)
		}
	}
	return msg
}

// valueString converts a thrown value to a string the way JavaScript would,
// which may run the value's own toString.
func valueString(v goja.Value) (s string) {
	if v == nil {
		return "undefined"
	}
	defer func() {
		if recover() != nil {
			s = "a value whose toString fails"
		}
	}()
	return v.String()
}
