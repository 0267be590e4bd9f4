package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// Limits of expression evaluation. They keep a hostile or broken definition
// from using unbounded time or memory; real definitions are far below them.
const (
	// MaxExpressionLen is the longest ${...} expression, in bytes.
	MaxExpressionLen = 64 << 10
	// MaxExpressionDepth is how deeply ${...} expressions may nest inside
	// each other, and how deeply JSONPath filters may nest.
	MaxExpressionDepth = 32
	// maxInterpolatedLen is the longest string that interpolation may build.
	maxInterpolatedLen = 4 << 20
	// maxEvalSteps bounds the nodes one Evaluate call may visit or produce
	// while it resolves JSONPath (wildcards, deep scans, filters, unions).
	maxEvalSteps = 1 << 20
)

// ErrExpressionLimit is wrapped by the errors of Evaluate and Expressions when
// an expression is too long, nests too deeply or costs too much to resolve.
var ErrExpressionLimit = errors.New("expression limit exceeded")

// Context is what ${...} expressions can see while a task's input or a
// workflow's output is computed.
type Context struct {
	// Workflow is the execution. Expressions read its input, output,
	// variables and context fields as ${workflow.*}, and its tasks as
	// ${<taskReferenceName>.*}. Nil means an empty execution.
	Workflow *Workflow
	// TaskID is the id of the task whose input is being computed; it is
	// what ${CPEWF_TASK_ID} resolves to.
	TaskID string
	// Document, when not nil, is what expressions read instead of an
	// execution: ${a.b} is member a, then b, of Document. Event handlers
	// read an event's payload so.
	Document map[string]any
}

// Evaluate resolves the ${...} expressions in template with Conductor's
// semantics (ParametersUtils.getTaskInputV2) and returns a new value;
// template is not changed. Maps (map[string]any) and slices ([]any) are walked
// recursively, strings are resolved, and other values are returned as they
// are.
//
// A string that is exactly one ${expr} becomes the value the expression
// resolves to, keeping its JSON type (object, array, json.Number, bool, null).
// Expressions embedded in text are interpolated: strings as they are, numbers
// as written, null as "null", and objects and arrays as compact JSON (where
// Conductor would print a Java toString). ${} resolves to "", $${x} is the
// literal text ${x}, and nested expressions such as
// ${workflow.input.${workflow.input.key}} are resolved inside out. A "${"
// without its closing brace is left as text.
//
// The sources are workflow (input, output, variables, status, workflowId,
// parentWorkflowId, parentWorkflowTaskId, workflowType, version,
// correlationId, reasonForIncompletion, schemaVersion, createTime,
// idempotencyKey, taskToDomain), any task reference name (input, output,
// status, taskId, retryCount, referenceTaskName, taskType, scheduledTime,
// startTime, endTime, workerId, reasonForIncompletion, callbackAfterSeconds,
// pollCount, taskDefName, iteration, correlationId, workflowInstanceId; the
// latest attempt, and inside DO_WHILE the latest iteration when the ref is
// written without its __N suffix) and CPEWF_TASK_ID. The rest of the path is
// Jayway-style JSONPath: .key, ['key'], [0], [-1], [0,2], [1:3], [*], .*,
// ..key, filters such as [?(@.price > 10 && @.name == 'x')] and the functions
// length(), keys(), first(), last(), min(), max(), sum() and avg(). Map
// members are visited in key order.
//
// Unknown sources, paths that do not resolve and malformed paths resolve to
// null, as in Conductor. Baton has no access to the environment or secrets:
// ${workflow.env.*}, ${workflow.secrets.*} and environment variable names
// such as ${NETFLIX_ENV} resolve to null too.
//
// The error, which wraps ErrExpressionLimit, is returned only when an
// expression is longer than MaxExpressionLen, nests deeper than
// MaxExpressionDepth, builds too long a string, or visits too many nodes.
func Evaluate(template any, ctx *Context) (any, error) {
	return newEvaluator(ctx).value(template)
}

// Expressions returns the expressions found in v (strings, maps and slices,
// walked recursively with map keys in order), each as the text between "${"
// and "}"; a nested expression is listed after the one that contains it.
// The error describes the first malformed expression: an unclosed "${", an
// empty source, a JSONPath syntax error, or one over the limits of Evaluate.
func Expressions(v any) ([]string, error) {
	var (
		out   []string
		first error
	)
	walkStrings(v, "", func(ptr, s string) {
		for _, x := range scanExpressions(s) {
			if x.err != nil && first == nil {
				first = x.err
				if ptr != "" {
					first = fmt.Errorf("%s: %w", ptr, x.err)
				}
			}
			if x.err == nil || x.text != "" {
				out = append(out, x.text)
			}
		}
	})
	return out, first
}

// WorkflowInput returns the input of a new execution: input with
// def.InputTemplate merged in, where a template value is used for a key that
// input lacks or holds null (Java's putIfAbsent). It returns a new map.
func WorkflowInput(def *WorkflowDef, input map[string]any) map[string]any {
	out := make(map[string]any, len(input))
	maps.Copy(out, input)
	if def != nil {
		putIfAbsent(out, def.InputTemplate)
	}
	return out
}

// TaskInput computes the input of a task the way Conductor does
// (ParametersUtils.getTaskInputV2): def.InputTemplate (def may be nil) is
// merged into wt.InputParameters with putIfAbsent, the result is evaluated
// with Evaluate, and keys that resolved to null are refilled with their
// inputTemplate value, unevaluated. When wt.InputExpression is set
// ({"type": "JSON_PATH", "expression": "workflow.input"}), the object it
// selects is the input instead of wt.InputParameters, and the evaluated
// inputTemplate fills the keys it lacks.
func TaskInput(wt *WorkflowTask, def *TaskDef, ctx *Context) (map[string]any, error) {
	var template map[string]any
	if def != nil {
		template = def.InputTemplate
	}
	e := newEvaluator(ctx)
	var out map[string]any
	if wt != nil && wt.InputExpression != nil {
		in, err := e.inputExpression(wt.InputExpression)
		if err != nil {
			return nil, err
		}
		tmpl, err := e.value(template)
		if err != nil {
			return nil, fmt.Errorf("inputTemplate: %w", err)
		}
		out = in
		if m, ok := tmpl.(map[string]any); ok {
			putIfAbsent(out, m)
		}
	} else {
		params := map[string]any{}
		if wt != nil {
			maps.Copy(params, wt.InputParameters)
		}
		for k, v := range template {
			if params[k] == nil {
				params[k] = v
			}
		}
		v, err := e.value(params)
		if err != nil {
			return nil, err
		}
		out = v.(map[string]any)
	}
	for k, v := range out {
		if v == nil {
			if tv, ok := template[k]; ok {
				out[k] = cloneJSON(tv)
			}
		}
	}
	return out, nil
}

// WorkflowOutput computes the output of an execution: def.OutputParameters
// evaluated with Evaluate when there are any, otherwise the output of the
// last executed task (the terminal task with the highest Seq), or nil when no
// task has finished.
func WorkflowOutput(def *WorkflowDef, ctx *Context) (map[string]any, error) {
	if def != nil && len(def.OutputParameters) > 0 {
		v, err := Evaluate(def.OutputParameters, ctx)
		if err != nil {
			return nil, err
		}
		return v.(map[string]any), nil
	}
	if ctx == nil || ctx.Workflow == nil {
		return nil, nil
	}
	var last *Task
	for _, t := range ctx.Workflow.Tasks {
		if t != nil && t.Status.Terminal() && (last == nil || t.Seq > last.Seq) {
			last = t
		}
	}
	if last == nil || last.OutputData == nil {
		return nil, nil
	}
	return cloneJSON(last.OutputData).(map[string]any), nil
}

// putIfAbsent copies the values of src into dst for the keys dst lacks or
// maps to nil, like Java's Map.putIfAbsent.
func putIfAbsent(dst, src map[string]any) {
	for k, v := range src {
		if dst[k] == nil {
			dst[k] = cloneJSON(v)
		}
	}
}

// inputExpression resolves a task's inputExpression to the object it selects.
func (e *evaluator) inputExpression(x *InputExpression) (map[string]any, error) {
	if x.Type != "" && x.Type != "JSON_PATH" {
		return nil, fmt.Errorf("inputExpression type %q is not supported; use JSON_PATH", x.Type)
	}
	var v any
	if strings.Contains(x.Expression, "${") {
		r, err := e.value(x.Expression)
		if err != nil {
			return nil, fmt.Errorf("inputExpression: %w", err)
		}
		v = r
	} else {
		r, err := e.resolve(x.Expression)
		if err != nil {
			return nil, fmt.Errorf("inputExpression: %w", err)
		}
		v = cloneJSON(r)
	}
	switch m := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	}
	return nil, fmt.Errorf("inputExpression %q selects a %s, not an object; a task input must be an object", x.Expression, jsonKind(v))
}

// evaluator resolves expressions against one Context. It caches what it
// builds from the execution and counts the work it does.
type evaluator struct {
	ctx      *Context
	steps    int
	workflow map[string]any
	tasks    map[*Task]map[string]any
	root     map[string]any
	paths    map[string]*jpath
}

func newEvaluator(ctx *Context) *evaluator {
	if ctx == nil {
		ctx = &Context{}
	}
	return &evaluator{ctx: ctx}
}

// value evaluates a template value.
func (e *evaluator) value(v any) (any, error) {
	switch t := v.(type) {
	case string:
		return e.str(t, 0)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			r, err := e.value(x)
			if err != nil {
				return nil, prefixErr(k, err)
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			r, err := e.value(x)
			if err != nil {
				return nil, prefixErr(strconv.Itoa(i), err)
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// templateError is an error at a place inside a template.
type templateError struct {
	ptr string // JSON pointer inside the template
	err error
}

func (e *templateError) Error() string { return e.ptr + ": " + e.err.Error() }
func (e *templateError) Unwrap() error { return e.err }

func prefixErr(token string, err error) error {
	if te, ok := err.(*templateError); ok {
		return &templateError{ptr: "/" + escapePointer(token) + te.ptr, err: te.err}
	}
	return &templateError{ptr: "/" + escapePointer(token), err: err}
}

// str resolves the expressions in one template string. depth is how many
// expressions enclose s.
func (e *evaluator) str(s string, depth int) (any, error) {
	spans, _ := scanTemplate(s)
	if len(spans) == 0 {
		return unescape(s), nil
	}
	if depth >= MaxExpressionDepth {
		return nil, fmt.Errorf("%w: expressions nest deeper than %d levels", ErrExpressionLimit, MaxExpressionDepth)
	}
	values := make([]any, len(spans))
	for i, sp := range spans {
		if sp.end-sp.start > MaxExpressionLen {
			return nil, fmt.Errorf("%w: an expression is %d bytes long, more than %d", ErrExpressionLimit, sp.end-sp.start, MaxExpressionLen)
		}
		inner, err := e.str(s[sp.start+2:sp.end-1], depth+1)
		if err != nil {
			return nil, err
		}
		path := inner.(string)
		if len(path) > MaxExpressionLen {
			return nil, fmt.Errorf("%w: a nested expression resolved to a path of %d bytes, more than %d", ErrExpressionLimit, len(path), MaxExpressionLen)
		}
		v, err := e.resolve(path)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	if depth == 0 && len(spans) == 1 && spans[0].start == 0 && spans[0].end == len(s) {
		return cloneJSON(values[0]), nil
	}
	var b strings.Builder
	last := 0
	for i, sp := range spans {
		b.WriteString(unescape(s[last:sp.start]))
		b.WriteString(text(values[i]))
		last = sp.end
		if b.Len() > maxInterpolatedLen {
			return nil, fmt.Errorf("%w: interpolation builds a string longer than %d bytes", ErrExpressionLimit, maxInterpolatedLen)
		}
	}
	b.WriteString(unescape(s[last:]))
	return b.String(), nil
}

// resolve reads one path (the text of a ${...} with its nested expressions
// already resolved) from the context.
func (e *evaluator) resolve(path string) (any, error) {
	if strings.TrimSpace(path) == "" {
		return "", nil
	}
	if path == "CPEWF_TASK_ID" {
		if e.ctx.TaskID == "" {
			return nil, nil
		}
		return e.ctx.TaskID, nil
	}
	p, ok := e.paths[path]
	if !ok {
		var err error
		p, err = compilePath(path)
		if err != nil {
			p = nil // Conductor logs the bad path and resolves it to null
		}
		if e.paths == nil {
			e.paths = map[string]*jpath{}
		}
		e.paths[path] = p
	}
	if p == nil {
		return nil, nil
	}
	v, _, err := e.run(p, rootRef{}, rootRef{})
	return v, err
}

// unescape turns the escape $${ into ${.
func unescape(s string) string {
	if !strings.Contains(s, "$${") {
		return s
	}
	return strings.ReplaceAll(s, "$${", "${")
}

// text is how a value reads when interpolated into a string.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case json.Number:
		return string(t)
	case bool:
		return strconv.FormatBool(t)
	}
	if n, ok := numberText(v); ok {
		return n
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// span is one top-level ${...} of a template string: s[start:end].
type span struct{ start, end int }

// scanTemplate finds the top-level expressions of s the way Conductor's
// pattern does: a "${" not preceded by "$", up to the brace that balances its
// "{" (every brace counts). open is the offset of the first "${" that has no
// balancing brace, or -1; such text is not an expression.
func scanTemplate(s string) (spans []span, open int) {
	open = -1
	first := strings.Index(s, "${")
	if first < 0 {
		return nil, -1
	}
	closing := matchBraces(s[first:], first)
	for i := first; i+1 < len(s); i++ {
		if s[i] != '$' || s[i+1] != '{' || (i > 0 && s[i-1] == '$') {
			continue
		}
		end, ok := closing[i+1]
		if !ok {
			if open < 0 {
				open = i
			}
			continue
		}
		spans = append(spans, span{i, end + 1})
		i = end
	}
	return spans, open
}

// matchBraces maps the offset of each "{" in s to the offset of the "}" that
// balances it; off is added to every offset.
func matchBraces(s string, off int) map[int]int {
	closing := map[int]int{}
	var stack []int
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			stack = append(stack, i+off)
		case '}':
			if n := len(stack); n > 0 {
				closing[stack[n-1]] = i + off
				stack = stack[:n-1]
			}
		}
	}
	return closing
}

// found is one expression reported by scanExpressions.
type found struct {
	text string // between "${" and "}"
	err  error
}

// scanExpressions lists the expressions of one template string, nested ones
// after their container, with an error for each malformed one.
func scanExpressions(s string) []found {
	var out []found
	scanInto(s, 0, &out)
	return out
}

func scanInto(s string, depth int, out *[]found) {
	spans, open := scanTemplate(s)
	if open >= 0 {
		*out = append(*out, found{err: fmt.Errorf("%q has a \"${\" without its closing \"}\"; close it, or write $${ for a literal ${", clip(s[open:]))})
	}
	for _, sp := range spans {
		inner := s[sp.start+2 : sp.end-1]
		if depth >= MaxExpressionDepth {
			*out = append(*out, found{text: inner, err: fmt.Errorf("%w: expressions nest deeper than %d levels", ErrExpressionLimit, MaxExpressionDepth)})
			return
		}
		if sp.end-sp.start > MaxExpressionLen {
			*out = append(*out, found{text: clip(inner), err: fmt.Errorf("%w: an expression is %d bytes long, more than %d", ErrExpressionLimit, sp.end-sp.start, MaxExpressionLen)})
			continue
		}
		*out = append(*out, found{text: inner, err: checkExpression(inner)})
		scanInto(inner, depth+1, out)
	}
}

// checkExpression reports a syntax error in the text of one expression.
// Nested expressions are replaced by 0 first, since their values are not
// known yet.
func checkExpression(inner string) error {
	path := inner
	if spans, _ := scanTemplate(inner); len(spans) > 0 {
		var b strings.Builder
		last := 0
		for _, sp := range spans {
			b.WriteString(unescape(inner[last:sp.start]))
			b.WriteString("0")
			last = sp.end
		}
		b.WriteString(unescape(inner[last:]))
		path = b.String()
	} else {
		path = unescape(path)
	}
	if strings.TrimSpace(path) == "" || path == "CPEWF_TASK_ID" {
		return nil
	}
	if _, err := compilePath(path); err != nil {
		return fmt.Errorf("${%s}: %w", clip(inner), err)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// walkStrings calls fn for every string in v with its JSON pointer below
// ptr. Map keys are visited in order.
func walkStrings(v any, ptr string, fn func(ptr, s string)) {
	switch t := v.(type) {
	case string:
		fn(ptr, t)
	case map[string]any:
		for _, k := range sortedKeys(t) {
			walkStrings(t[k], ptr+"/"+escapePointer(k), fn)
		}
	case []any:
		for i, x := range t {
			walkStrings(x, ptr+"/"+strconv.Itoa(i), fn)
		}
	}
}

// escapePointer escapes one JSON pointer token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// cloneJSON copies the maps and slices of a JSON-like value, so that a
// resolved value never aliases the execution it was read from.
func cloneJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = cloneJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = cloneJSON(x)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = x
		}
		return out
	}
	return v
}

// jsonKind names the JSON type of a value for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if _, ok := numberText(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// rootRef stands for the root of the expression document ({"workflow": …,
// "<ref>": …}) until a path needs more of it than one source.
type rootRef struct{}

// source returns the document of one source: workflow or a task reference.
func (e *evaluator) source(name string) (any, bool) {
	if doc := e.ctx.Document; doc != nil {
		v, ok := doc[name]
		return v, ok
	}
	if name == "workflow" {
		return e.workflowDoc(), true
	}
	t := e.taskByRef(name)
	if t == nil {
		return nil, false
	}
	return e.taskDoc(t), true
}

// rootDoc builds the whole expression document.
func (e *evaluator) rootDoc() (map[string]any, error) {
	if e.root != nil {
		return e.root, nil
	}
	if e.ctx.Document != nil {
		e.root = e.ctx.Document
		return e.root, nil
	}
	root := map[string]any{}
	if w := e.ctx.Workflow; w != nil {
		if err := e.spend(len(w.Tasks)); err != nil {
			return nil, err
		}
		for _, t := range w.Tasks {
			if t != nil {
				root[loopRef(t)] = e.taskDoc(t)
			}
		}
	}
	root["workflow"] = e.workflowDoc()
	e.root = root
	return root, nil
}

// taskByRef returns the latest attempt of the task with the reference name.
// Inside a DO_WHILE, tasks are named ref__N; a ref without the suffix
// resolves to the latest iteration, as in Conductor.
func (e *evaluator) taskByRef(ref string) *Task {
	w := e.ctx.Workflow
	if w == nil {
		return nil
	}
	for i := len(w.Tasks) - 1; i >= 0; i-- {
		t := w.Tasks[i]
		if t != nil && (t.ReferenceTaskName == ref || loopRef(t) == ref) {
			return t
		}
	}
	return nil
}

// loopRef is the reference name of a task without the __N iteration
// suffixes of DO_WHILE loops.
func loopRef(t *Task) string {
	if t.Iteration <= 0 {
		return t.ReferenceTaskName
	}
	return BaseRef(t.ReferenceTaskName)
}

// workflowDoc is what ${workflow.*} reads.
func (e *evaluator) workflowDoc() map[string]any {
	if e.workflow != nil {
		return e.workflow
	}
	w := e.ctx.Workflow
	if w == nil {
		w = &Workflow{}
	}
	schema := w.SchemaVersion
	if schema == 0 && w.WorkflowDefinition != nil {
		schema = w.WorkflowDefinition.SchemaVersion
	}
	e.workflow = map[string]any{
		"input":                 orEmpty(w.Input),
		"output":                orEmpty(w.Output),
		"variables":             orEmpty(w.Variables),
		"status":                orNull(string(w.Status)),
		"workflowId":            orNull(w.WorkflowID),
		"parentWorkflowId":      orNull(w.ParentWorkflowID),
		"parentWorkflowTaskId":  orNull(w.ParentWorkflowTaskID),
		"workflowType":          orNull(w.WorkflowName),
		"version":               intNumber(int64(w.WorkflowVersion)),
		"correlationId":         orNull(w.CorrelationID),
		"reasonForIncompletion": orNull(w.ReasonForIncompletion),
		"schemaVersion":         intNumber(int64(schema)),
		"createTime":            intNumber(w.CreateTime),
		"idempotencyKey":        orNull(w.IdempotencyKey),
		"taskToDomain":          cloneJSON(orEmptyStrings(w.TaskToDomain)),
	}
	return e.workflow
}

// taskDoc is what ${<ref>.*} reads.
func (e *evaluator) taskDoc(t *Task) map[string]any {
	if d, ok := e.tasks[t]; ok {
		return d
	}
	d := map[string]any{
		"input":                 orEmpty(t.InputData),
		"output":                orEmpty(t.OutputData),
		"taskType":              orNull(t.TaskType),
		"referenceTaskName":     orNull(t.ReferenceTaskName),
		"retryCount":            intNumber(int64(t.RetryCount)),
		"correlationId":         orNull(t.CorrelationID),
		"pollCount":             intNumber(int64(t.PollCount)),
		"taskDefName":           orNull(t.TaskDefName),
		"scheduledTime":         intNumber(t.ScheduledTime),
		"startTime":             intNumber(t.StartTime),
		"endTime":               intNumber(t.EndTime),
		"workflowInstanceId":    orNull(t.WorkflowInstanceID),
		"taskId":                orNull(t.TaskID),
		"reasonForIncompletion": orNull(t.ReasonForIncompletion),
		"callbackAfterSeconds":  intNumber(t.CallbackAfterSeconds),
		"workerId":              orNull(t.WorkerID),
		"iteration":             intNumber(int64(t.Iteration)),
	}
	if t.Status != "" {
		d["status"] = string(t.Status)
	}
	if e.tasks == nil {
		e.tasks = map[*Task]map[string]any{}
	}
	e.tasks[t] = d
	return d
}

// orNull maps an unset string field to null, as Java's null.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// orEmpty maps a nil map to an empty one: Conductor's maps are never null.
func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func orEmptyStrings(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func intNumber(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }
