package workflow

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Diagnostic is one problem found in a definition.
type Diagnostic struct {
	// Pointer is an RFC 6901 JSON pointer into the definition's JSON to the
	// member that is wrong or missing, such as /tasks/2/taskReferenceName.
	Pointer string `json:"pointer"`
	// Message says what is wrong and what to do about it.
	Message string `json:"message"`
}

// String returns "pointer: message".
func (d Diagnostic) String() string {
	if d.Pointer == "" {
		return d.Message
	}
	return d.Pointer + ": " + d.Message
}

// Diagnostics are all the problems found in a definition. As an error it
// lists them, one per line.
type Diagnostics []Diagnostic

// Error lists the problems.
func (d Diagnostics) Error() string {
	switch len(d) {
	case 0:
		return "no problems"
	case 1:
		return d[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(d))
	for _, x := range d {
		b.WriteString("\n  ")
		b.WriteString(x.String())
	}
	return b.String()
}

// Err returns d as an error, or nil when there are no problems.
func (d Diagnostics) Err() error {
	if len(d) == 0 {
		return nil
	}
	return d
}

// ValidateOptions are what the validator needs to know beyond the
// definition itself.
type ValidateOptions struct {
	// TaskDef returns the registered task definition with the name, or nil.
	// When TaskDef is nil, SIMPLE tasks are not checked for a registered
	// definition.
	TaskDef func(name string) *TaskDef
	// ExtraTypes reports whether a task type that is not one of Conductor's
	// (see KnownTaskTypes) is provided, by a plugin for instance. When it is
	// nil, no other type is admitted.
	ExtraTypes func(taskType string) bool
}

// knownTaskTypes are the task types of Conductor that Baton knows.
var knownTaskTypes = []string{
	TypeSimple, TypeDynamic, TypeForkJoin, TypeFork, TypeForkJoinDynamic, TypeDecision, TypeSwitch,
	TypeJoin, TypeExclusiveJoin, TypeDoWhile, TypeSubWorkflow, TypeStartWorkflow, TypeEvent, TypeWait,
	TypeHuman, TypeHTTP, TypeLambda, TypeInline, TypeTerminate, TypeJSONJQTransform, TypeSetVariable, TypeNoop,
}

// KnownTaskTypes returns the task types of Conductor that Baton knows.
func KnownTaskTypes() []string { return slices.Clone(knownTaskTypes) }

var (
	// validName is Conductor's ValidNameConstraint for workflow names.
	validName = regexp.MustCompile(`^[A-Za-z0-9_<>{}#\s-]+$`)
	// validRef is what a taskReferenceName may be: it is used as a
	// JSONPath property in ${ref.output...}, so no dots, spaces or brackets.
	validRef = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// The evaluator types SWITCH and INLINE accept.
var evaluatorTypes = []string{"value-param", "javascript", "graaljs"}

// maxInlineDepth bounds how deeply inline sub-workflow definitions are
// validated.
const maxInlineDepth = 16

// ValidateWorkflowDef returns every problem of a workflow definition at once,
// each with a JSON pointer into the definition: the workflow's own fields,
// every task in every nested list (decisionCases, defaultCase, forkTasks,
// loopOver), the parameters each task type needs, the ${...} expressions of
// inputParameters and outputParameters, references to tasks that do not
// exist, inline task definitions (as ValidateTaskDef) and inline
// sub-workflow definitions. It returns nil when the definition is valid.
func ValidateWorkflowDef(def *WorkflowDef, opts ValidateOptions) Diagnostics {
	if def == nil {
		return Diagnostics{{Message: "the workflow definition is missing"}}
	}
	v := &validator{opts: opts}
	v.workflow(def, "")
	return v.diags
}

// ValidateTaskDef returns every problem of a task definition, with JSON
// pointers relative to the task definition. It returns nil when the
// definition is valid.
func ValidateTaskDef(def *TaskDef) Diagnostics {
	if def == nil {
		return Diagnostics{{Message: "the task definition is missing"}}
	}
	v := &validator{}
	v.taskDef(def, "")
	return v.diags
}

// validator collects the diagnostics of one definition.
type validator struct {
	opts  ValidateOptions
	diags Diagnostics
	depth int // of inline sub-workflow definitions
	// refs maps each taskReferenceName of the workflow being checked to the
	// pointer of the first task that has it.
	refs map[string]string
	// dynamic is set when the workflow has a FORK_JOIN_DYNAMIC task, whose
	// forked tasks get reference names only at run time.
	dynamic bool
}

func (v *validator) add(ptr, format string, args ...any) {
	v.diags = append(v.diags, Diagnostic{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) workflow(def *WorkflowDef, base string) {
	switch {
	case strings.TrimSpace(def.Name) == "":
		v.add(base+"/name", "the workflow name is missing; give the workflow a name")
	case !validName.MatchString(def.Name):
		v.add(base+"/name", "workflow name %q contains %s; use only letters, digits, spaces and _ - < > { } #",
			def.Name, badChars(def.Name, validName))
	}
	if def.Version < 0 {
		v.add(base+"/version", "version is %d; it must be 0 or more", def.Version)
	}
	if def.SchemaVersion != 0 && def.SchemaVersion != 2 {
		v.add(base+"/schemaVersion", "schemaVersion is %d; only schema version 2 is supported (leave it out or set it to 2)", def.SchemaVersion)
	}
	switch def.TimeoutPolicy {
	case "", TimeoutWorkflow, TimeoutAlertOnly:
	default:
		v.add(base+"/timeoutPolicy", "timeoutPolicy is %q; a workflow's timeoutPolicy must be TIME_OUT_WF or ALERT_ONLY", def.TimeoutPolicy)
	}
	if def.TimeoutSeconds < 0 {
		v.add(base+"/timeoutSeconds", "timeoutSeconds is %d; it must be 0 (no timeout) or more", def.TimeoutSeconds)
	}
	if def.WorkflowStatusListenerSink != "" {
		v.listenerSink(def.WorkflowStatusListenerSink, base+"/workflowStatusListenerSink")
	}
	if len(def.Tasks) == 0 {
		v.add(base+"/tasks", "tasks is empty; a workflow needs at least one task")
	}
	v.refs = map[string]string{}
	v.collect(def.Tasks, base+"/tasks")
	v.tasks(def.Tasks, base+"/tasks")
	v.template(def.OutputParameters, base+"/outputParameters")
	v.template(def.FailureWorkflow, base+"/failureWorkflow")
}

// listenerSink checks a workflowStatusListenerSink: Baton delivers status
// events to webhooks, so the sink is an absolute http or https URL (Orkes'
// kafka: or conductor: sinks have no counterpart).
func (v *validator) listenerSink(sink, ptr string) {
	u, err := url.Parse(sink)
	switch {
	case err != nil:
		v.add(ptr, "workflowStatusListenerSink %q is not a URL (%v); set the http:// or https:// URL of the webhook that receives status events", sink, err)
	case u.Scheme != "http" && u.Scheme != "https":
		v.add(ptr, "workflowStatusListenerSink %q must be an http:// or https:// URL: status events are POSTed to a webhook", sink)
	case u.Host == "":
		v.add(ptr, "workflowStatusListenerSink %q has no host; set a URL such as https://hooks.example.com/baton", sink)
	}
}

// collect records the reference names of a task list and the lists nested
// in it, in the order tasks visits them.
func (v *validator) collect(list []*WorkflowTask, ptr string) {
	for i, t := range list {
		if t == nil {
			continue
		}
		p := ptr + "/" + strconv.Itoa(i)
		if t.TaskType() == TypeForkJoinDynamic {
			v.dynamic = true
		}
		if _, ok := v.refs[t.TaskReferenceName]; !ok && t.TaskReferenceName != "" {
			v.refs[t.TaskReferenceName] = p
		}
		children(t, p, v.collect)
	}
}

// Walk calls fn for every task of a list and of the lists nested in it
// (SWITCH cases in key order, then the default case, FORK branches,
// DO_WHILE bodies), depth first in document order, with each task's JSON
// pointer below ptr ("/tasks" for a definition's tasks). Nil entries are
// skipped.
func Walk(list []*WorkflowTask, ptr string, fn func(t *WorkflowTask, ptr string)) {
	for i, t := range list {
		if t == nil {
			continue
		}
		p := ptr + "/" + strconv.Itoa(i)
		fn(t, p)
		children(t, p, func(l []*WorkflowTask, lp string) { Walk(l, lp, fn) })
	}
}

// children calls fn for every task list nested in t.
func children(t *WorkflowTask, p string, fn func([]*WorkflowTask, string)) {
	for _, k := range sortedKeys(t.DecisionCases) {
		fn(t.DecisionCases[k], p+"/decisionCases/"+escapePointer(k))
	}
	if len(t.DefaultCase) > 0 {
		fn(t.DefaultCase, p+"/defaultCase")
	}
	for b, branch := range t.ForkTasks {
		fn(branch, p+"/forkTasks/"+strconv.Itoa(b))
	}
	if len(t.LoopOver) > 0 {
		fn(t.LoopOver, p+"/loopOver")
	}
}

// hasRef reports whether a task of the workflow has the reference name, or
// whether that cannot be known because a dynamic fork names tasks at run
// time. ref__N (an iteration of a DO_WHILE) counts as ref.
func (v *validator) hasRef(ref string) bool {
	if v.dynamic {
		return true
	}
	if _, ok := v.refs[ref]; ok {
		return true
	}
	_, ok := v.refs[loopRef(&Task{ReferenceTaskName: ref, Iteration: 1})]
	return ok
}

func (v *validator) tasks(list []*WorkflowTask, ptr string) {
	for i, t := range list {
		p := ptr + "/" + strconv.Itoa(i)
		if t == nil {
			v.add(p, "the task is null; remove it or fill it in")
			continue
		}
		v.task(t, p, list, i)
	}
}

func (v *validator) task(t *WorkflowTask, p string, list []*WorkflowTask, i int) {
	typ := t.TaskType()
	what := taskLabel(t)
	if strings.TrimSpace(t.Name) == "" {
		v.add(p+"/name", "%s has no name; set name to the task definition's name (SIMPLE) or to the system task's name", what)
	}
	ref := t.TaskReferenceName
	switch {
	case ref == "":
		v.add(p+"/taskReferenceName", "%s has no taskReferenceName; give it one that is unique in the workflow", what)
	case !validRef.MatchString(ref):
		v.add(p+"/taskReferenceName", "taskReferenceName %q is malformed; use 1 to 128 letters, digits, _ and -", ref)
	case ref == "workflow":
		v.add(p+"/taskReferenceName", "taskReferenceName %q is reserved for ${workflow...} expressions; rename the task", ref)
	case BaseRef(ref) != ref:
		v.add(p+"/taskReferenceName", "taskReferenceName %q ends in __<number>, which names the iterations of DO_WHILE loops; rename the task", ref)
	}
	if first, ok := v.refs[ref]; ok && first != p {
		v.add(p+"/taskReferenceName", "taskReferenceName %q is also used by the task at %s; every taskReferenceName must be unique in the workflow, including inside branches and loops", ref, first)
	}

	known := slices.Contains(knownTaskTypes, typ) || (v.opts.ExtraTypes != nil && v.opts.ExtraTypes(typ))
	if !known {
		v.add(p+"/type", "unknown task type %q; use one of %s", typ, strings.Join(knownTaskTypes, ", "))
	}
	if typ == TypeSimple && t.TaskDefinition == nil && v.opts.TaskDef != nil && t.Name != "" && v.opts.TaskDef(t.Name) == nil {
		v.add(p+"/name", "no task definition named %q is registered; register it or give the task an inline taskDefinition", t.Name)
	}
	if t.StartDelay < 0 {
		v.add(p+"/startDelay", "startDelay is %d; it must be 0 or more seconds", t.StartDelay)
	}
	if t.RetryCount != nil && *t.RetryCount < 0 {
		v.add(p+"/retryCount", "retryCount is %d; it must be 0 or more", *t.RetryCount)
	}

	v.template(t.InputParameters, p+"/inputParameters")
	if x := t.InputExpression; x != nil {
		v.inputExpression(x, len(t.InputParameters) > 0, p+"/inputExpression")
	}
	if s, ok := t.Items.(string); ok {
		v.template(s, p+"/items")
	}
	if t.TaskDefinition != nil {
		v.taskDef(t.TaskDefinition, p+"/taskDefinition")
	}
	if known {
		v.operator(t, typ, p, list, i)
	}
	children(t, p, v.tasks)
}

// taskLabel names a task in a message.
func taskLabel(t *WorkflowTask) string {
	switch {
	case t.TaskReferenceName != "":
		return fmt.Sprintf("%s task %q", t.TaskType(), t.TaskReferenceName)
	case t.Name != "":
		return fmt.Sprintf("%s task named %q", t.TaskType(), t.Name)
	}
	return "the " + t.TaskType() + " task"
}

func (v *validator) inputExpression(x *InputExpression, withParams bool, p string) {
	if withParams {
		v.add(p, "the task has both inputParameters and inputExpression; use one of them")
	}
	if x.Type != "" && x.Type != "JSON_PATH" {
		v.add(p+"/type", "inputExpression type is %q; the only type is JSON_PATH", x.Type)
	}
	switch {
	case strings.TrimSpace(x.Expression) == "":
		v.add(p+"/expression", "inputExpression has no expression; set it to a path such as workflow.input")
	case strings.Contains(x.Expression, "${"):
		v.template(x.Expression, p+"/expression")
	default:
		if err := checkExpression(x.Expression); err != nil {
			v.add(p+"/expression", "bad inputExpression: %v", err)
		}
	}
}

// template reports the malformed expressions of a template and the ones that
// refer to tasks the workflow does not have.
func (v *validator) template(tmpl any, ptr string) {
	walkStrings(tmpl, ptr, func(p, s string) {
		for _, x := range scanExpressions(s) {
			if x.err != nil {
				v.add(p, "bad expression: %v", x.err)
				continue
			}
			if ref, ok := taskRefOf(x.text); ok && !v.hasRef(ref) {
				v.add(p, "expression ${%s} refers to task %q, but no task in this workflow has that taskReferenceName; fix the reference or add the task", clip(x.text), ref)
			}
		}
	})
}

// taskRefOf returns the task reference an expression reads the input or
// output of, as in ${ref.output.x}.
func taskRefOf(expr string) (string, bool) {
	if strings.Contains(expr, "${") {
		return "", false
	}
	p, err := compilePath(expr)
	if err != nil || len(p.segs) < 2 {
		return "", false
	}
	src, io := p.segs[0], p.segs[1]
	if src.kind != segName || src.descent || len(src.names) != 1 || src.names[0] == "workflow" ||
		io.kind != segName || io.descent || len(io.names) != 1 || (io.names[0] != "input" && io.names[0] != "output") {
		return "", false
	}
	return src.names[0], true
}

// operator checks the parameters a task type needs.
func (v *validator) operator(t *WorkflowTask, typ, p string, list []*WorkflowTask, i int) {
	what := taskLabel(t)
	in := t.InputParameters
	switch typ {
	case TypeSwitch:
		switch {
		case t.EvaluatorType == "":
			v.add(p+"/evaluatorType", "%s has no evaluatorType; set it to value-param or javascript", what)
		case !slices.Contains(evaluatorTypes, t.EvaluatorType):
			v.add(p+"/evaluatorType", "evaluatorType is %q; use value-param, javascript or graaljs", t.EvaluatorType)
		}
		if strings.TrimSpace(t.Expression) == "" {
			v.add(p+"/expression", "%s has no expression; with value-param name the input parameter that holds the case, with javascript write a script that returns it", what)
		}
		if len(t.DecisionCases) == 0 {
			v.add(p+"/decisionCases", "%s has no decisionCases; add at least one case (\"value\": [tasks])", what)
		}
	case TypeDecision:
		if t.CaseValueParam == "" && t.CaseExpression == "" {
			v.add(p+"/caseValueParam", "%s needs caseValueParam or caseExpression; DECISION is deprecated, consider a SWITCH", what)
		}
		if len(t.DecisionCases) == 0 {
			v.add(p+"/decisionCases", "%s has no decisionCases; add at least one case (\"value\": [tasks])", what)
		}
	case TypeForkJoin, TypeFork:
		if len(t.ForkTasks) == 0 {
			v.add(p+"/forkTasks", "%s has no forkTasks; add at least one branch (a list of tasks)", what)
		}
		v.followedByJoin(t, p, list, i)
	case TypeForkJoinDynamic:
		switch {
		case hasKey(in, "forkTaskName") || hasKey(in, "forkTaskWorkflow"):
		case t.DynamicForkJoinTasksParam != "" && (t.DynamicForkTasksParam != "" || t.DynamicForkTasksInputParamName != ""):
			v.add(p+"/dynamicForkJoinTasksParam", "%s sets both dynamicForkJoinTasksParam and dynamicForkTasksParam/dynamicForkTasksInputParamName; use only the latter pair", what)
		case t.DynamicForkJoinTasksParam != "":
		default:
			if t.DynamicForkTasksParam == "" {
				v.add(p+"/dynamicForkTasksParam", "%s has no dynamicForkTasksParam; name the input parameter that holds the tasks to fork (with dynamicForkTasksInputParamName), or set inputParameters.forkTaskName or forkTaskWorkflow with forkTaskInputs", what)
			}
			if t.DynamicForkTasksInputParamName == "" {
				v.add(p+"/dynamicForkTasksInputParamName", "%s has no dynamicForkTasksInputParamName; name the input parameter that maps each forked task's reference name to its input", what)
			}
		}
		v.followedByJoin(t, p, list, i)
	case TypeJoin, TypeExclusiveJoin:
		for j, ref := range t.JoinOn {
			if !v.hasRef(ref) {
				v.add(p+"/joinOn/"+strconv.Itoa(j), "joinOn names %q, but no task in this workflow has that taskReferenceName; list the last task of each branch", ref)
			}
		}
		for j, ref := range t.DefaultExclusiveJoinTask {
			if !v.hasRef(ref) {
				v.add(p+"/defaultExclusiveJoinTask/"+strconv.Itoa(j), "defaultExclusiveJoinTask names %q, but no task in this workflow has that taskReferenceName", ref)
			}
		}
	case TypeDoWhile:
		if strings.TrimSpace(t.LoopCondition) == "" && t.Items == nil {
			v.add(p+"/loopCondition", "%s has no loopCondition (nor items); write a script that returns true while the loop should go on, such as \"if ($.%s['iteration'] < 3) { true; } else { false; }\"", what, t.TaskReferenceName)
		}
		if len(t.LoopOver) == 0 {
			v.add(p+"/loopOver", "%s has no loopOver; add the tasks of the loop body", what)
		}
	case TypeSubWorkflow:
		v.subWorkflow(t, p)
	case TypeDynamic:
		if t.DynamicTaskNameParam == "" {
			v.add(p+"/dynamicTaskNameParam", "%s has no dynamicTaskNameParam; name the input parameter that holds the name of the task to run", what)
		}
	case TypeTerminate:
		status, ok := in["terminationStatus"]
		s, isStr := status.(string)
		switch {
		case !ok || status == nil:
			v.add(p+"/inputParameters/terminationStatus", "%s has no inputParameters.terminationStatus; set it to COMPLETED, FAILED or TERMINATED", what)
		case !isStr || !(s == "COMPLETED" || s == "FAILED" || s == "TERMINATED" || strings.Contains(s, "${")):
			v.add(p+"/inputParameters/terminationStatus", "terminationStatus is %s; set it to COMPLETED, FAILED or TERMINATED", text(status))
		}
		if t.Optional {
			v.add(p+"/optional", "%s is optional; a TERMINATE task cannot be optional, remove optional", what)
		}
	case TypeInline:
		if s, _ := in["expression"].(string); strings.TrimSpace(s) == "" {
			v.add(p+"/inputParameters/expression", "%s has no inputParameters.expression; write the script to run", what)
		}
		switch et, _ := in["evaluatorType"].(string); {
		case et == "":
			v.add(p+"/inputParameters/evaluatorType", "%s has no inputParameters.evaluatorType; set it to javascript or graaljs", what)
		case !slices.Contains(evaluatorTypes, et):
			v.add(p+"/inputParameters/evaluatorType", "evaluatorType is %q; use javascript, graaljs or value-param", et)
		}
	case TypeLambda:
		if !hasKey(in, "scriptExpression") && t.ScriptExpression == "" {
			v.add(p+"/inputParameters/scriptExpression", "%s has no inputParameters.scriptExpression; write the script to run (LAMBDA is deprecated, consider INLINE)", what)
		}
	case TypeJSONJQTransform:
		if !hasKey(in, "queryExpression") && !v.inTemplate(t, "queryExpression") {
			v.add(p+"/inputParameters/queryExpression", "%s has no inputParameters.queryExpression; write the jq query to run", what)
		}
	case TypeHTTP:
		if !hasKey(in, "http_request") && !hasKey(in, "uri") && !v.inTemplate(t, "http_request") && !v.inTemplate(t, "uri") {
			v.add(p+"/inputParameters/http_request", "%s has no inputParameters.http_request (or uri); describe the request with uri and method", what)
		}
	case TypeEvent:
		if strings.TrimSpace(t.Sink) == "" {
			v.add(p+"/sink", "%s has no sink; set it to provider:destination, such as conductor:my_queue", what)
		}
	case TypeWait:
		d, _ := in["duration"].(string)
		u, _ := in["until"].(string)
		if strings.TrimSpace(d) != "" && strings.TrimSpace(u) != "" {
			v.add(p+"/inputParameters/until", "%s sets both duration and until; keep only one", what)
		}
	}
}

// followedByJoin checks that a fork is followed by a JOIN in its list.
func (v *validator) followedByJoin(t *WorkflowTask, p string, list []*WorkflowTask, i int) {
	if i+1 < len(list) && list[i+1] != nil && list[i+1].TaskType() == TypeJoin {
		return
	}
	v.add(p, "%s is not followed by a JOIN task; add a JOIN right after it in the same list, with joinOn naming the last task of each branch", taskLabel(t))
}

// inTemplate reports whether the task's definition, inline or registered,
// has the key in its inputTemplate.
func (v *validator) inTemplate(t *WorkflowTask, key string) bool {
	def := t.TaskDefinition
	if def == nil && v.opts.TaskDef != nil && t.Name != "" {
		def = v.opts.TaskDef(t.Name)
	}
	return def != nil && hasKey(def.InputTemplate, key)
}

func hasKey(m map[string]any, key string) bool {
	v, ok := m[key]
	return ok && v != nil
}

func (v *validator) subWorkflow(t *WorkflowTask, p string) {
	sp := t.SubWorkflowParam
	if sp == nil {
		v.add(p+"/subWorkflowParam", "%s has no subWorkflowParam; set subWorkflowParam.name (and version) to the workflow to start", taskLabel(t))
		return
	}
	p += "/subWorkflowParam"
	if strings.TrimSpace(sp.Name) == "" && sp.WorkflowDefinition == nil {
		v.add(p+"/name", "%s has no subWorkflowParam.name or workflowDefinition; name the workflow to start", taskLabel(t))
	}
	if sp.Version != nil && *sp.Version < 0 {
		v.add(p+"/version", "subWorkflowParam.version is %d; it must be 0 or more, or left out for the latest", *sp.Version)
	}
	var def *WorkflowDef
	switch wd := sp.WorkflowDefinition.(type) {
	case nil:
		return
	case string:
		if !strings.Contains(wd, "${") {
			v.add(p+"/workflowDefinition", "workflowDefinition is the string %q; give an inline workflow definition object or an expression that yields one", clip(wd))
		}
		v.template(wd, p+"/workflowDefinition")
		return
	case *WorkflowDef:
		def = wd
	case map[string]any:
		def = &WorkflowDef{}
		data, err := json.Marshal(wd)
		if err == nil {
			err = Decode(data, def)
		}
		if err != nil {
			v.add(p+"/workflowDefinition", "workflowDefinition is not a workflow definition: %v", err)
			return
		}
	default:
		v.add(p+"/workflowDefinition", "workflowDefinition is a %s; give an inline workflow definition object", jsonKind(wd))
		return
	}
	if def == nil {
		return
	}
	if v.depth >= maxInlineDepth {
		v.add(p+"/workflowDefinition", "inline workflow definitions nest deeper than %d levels; register the inner workflows and name them instead", maxInlineDepth)
		return
	}
	inner := &validator{opts: v.opts, depth: v.depth + 1}
	inner.workflow(def, p+"/workflowDefinition")
	v.diags = append(v.diags, inner.diags...)
}

// taskDef checks a task definition whose JSON is at base.
func (v *validator) taskDef(d *TaskDef, base string) {
	if strings.TrimSpace(d.Name) == "" {
		v.add(base+"/name", "the task definition has no name; set name to the task type workers poll for")
	}
	if d.RetryCount != nil && *d.RetryCount < 0 {
		v.add(base+"/retryCount", "retryCount is %d; it must be 0 or more", *d.RetryCount)
	}
	if d.TimeoutSeconds < 0 {
		v.add(base+"/timeoutSeconds", "timeoutSeconds is %d; it must be 0 (no timeout) or more", d.TimeoutSeconds)
	}
	if d.TotalTimeoutSeconds < 0 {
		v.add(base+"/totalTimeoutSeconds", "totalTimeoutSeconds is %d; it must be 0 (no limit) or more", d.TotalTimeoutSeconds)
	}
	if r := d.ResponseTimeoutSeconds; r != nil {
		switch {
		case *r < 1:
			v.add(base+"/responseTimeoutSeconds", "responseTimeoutSeconds is %d; it must be at least 1 second (or left out for %d)", *r, DefaultResponseTimeoutSeconds)
		case d.TimeoutSeconds > 0 && *r > d.TimeoutSeconds:
			v.add(base+"/responseTimeoutSeconds", "responseTimeoutSeconds (%d) must not exceed timeoutSeconds (%d); lower it or raise timeoutSeconds", *r, d.TimeoutSeconds)
		}
	}
	if d.TimeoutSeconds > 0 && d.TotalTimeoutSeconds > 0 && d.TimeoutSeconds > d.TotalTimeoutSeconds {
		v.add(base+"/timeoutSeconds", "timeoutSeconds (%d) must not exceed totalTimeoutSeconds (%d); lower it or raise totalTimeoutSeconds", d.TimeoutSeconds, d.TotalTimeoutSeconds)
	}
	switch d.TimeoutPolicy {
	case "", TimeoutRetry, TimeoutWorkflow, TimeoutAlertOnly:
	default:
		v.add(base+"/timeoutPolicy", "timeoutPolicy is %q; a task's timeoutPolicy must be RETRY, TIME_OUT_WF or ALERT_ONLY", d.TimeoutPolicy)
	}
	switch d.RetryLogic {
	case "", RetryFixed, RetryExponential, RetryLinear:
	default:
		v.add(base+"/retryLogic", "retryLogic is %q; use FIXED, EXPONENTIAL_BACKOFF or LINEAR_BACKOFF", d.RetryLogic)
	}
	if d.RetryDelaySeconds != nil && *d.RetryDelaySeconds < 0 {
		v.add(base+"/retryDelaySeconds", "retryDelaySeconds is %d; it must be 0 or more", *d.RetryDelaySeconds)
	}
	if d.MaxRetryDelaySeconds < 0 {
		v.add(base+"/maxRetryDelaySeconds", "maxRetryDelaySeconds is %d; it must be 0 (no cap) or more", d.MaxRetryDelaySeconds)
	}
	if d.BackoffJitterMs < 0 {
		v.add(base+"/backoffJitterMs", "backoffJitterMs is %d; it must be 0 or more", d.BackoffJitterMs)
	}
	if d.BackoffScaleFactor != nil && *d.BackoffScaleFactor < 1 {
		v.add(base+"/backoffScaleFactor", "backoffScaleFactor is %d; it must be 1 or more", *d.BackoffScaleFactor)
	}
	if r := d.RateLimitPerFrequency; r != nil && *r < 0 {
		v.add(base+"/rateLimitPerFrequency", "rateLimitPerFrequency is %d; it must be 0 (no limit) or more", *r)
	}
	if f := d.RateLimitFrequencyInSeconds; f != nil && *f < 0 {
		v.add(base+"/rateLimitFrequencyInSeconds", "rateLimitFrequencyInSeconds is %d; it must be 0 or more", *f)
	}
	if r := d.RateLimitPerFrequency; r != nil && *r > 0 && (d.RateLimitFrequencyInSeconds == nil || *d.RateLimitFrequencyInSeconds == 0) {
		v.add(base+"/rateLimitFrequencyInSeconds", "rateLimitPerFrequency is %d but rateLimitFrequencyInSeconds is not set; set the window, in seconds, the limit applies to", *r)
	}
	if c := d.ConcurrentExecLimit; c != nil && *c < 0 {
		v.add(base+"/concurrentExecLimit", "concurrentExecLimit is %d; it must be 0 (no limit) or more", *c)
	}
	if pt := d.PollTimeoutSeconds; pt != nil && *pt < 0 {
		v.add(base+"/pollTimeoutSeconds", "pollTimeoutSeconds is %d; it must be 0 (no timeout) or more", *pt)
	}
}

// badChars quotes the distinct characters of s that re rejects.
func badChars(s string, re *regexp.Regexp) string {
	var bad []string
	for _, r := range s {
		q := strconv.QuoteRune(r)
		if !re.MatchString(string(r)) && !slices.Contains(bad, q) {
			bad = append(bad, q)
		}
	}
	return strings.Join(bad, ", ")
}
