package decider

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// MaxVariablesBytes bounds the JSON size of a workflow's variables
// (Conductor's maxWorkflowVariablesPayloadSizeThreshold).
const MaxVariablesBytes = 256 << 10

// IsOperator reports whether a task is a control-flow operator (SWITCH,
// FORK, JOIN, DO_WHILE...), which only the decider moves.
func IsOperator(t *workflow.Task) bool {
	return t.WorkflowTask != nil && operators[t.WorkflowTask.TaskType()]
}

// begun marks a task Baton carries out as started.
func (d *decision) begun(t *workflow.Task) {
	t.Status = workflow.TaskInProgress
	if t.StartTime == 0 {
		t.StartTime = d.now
		t.QueueWaitTime = d.now - t.ScheduledTime
	}
	d.touch(t)
}

// begin carries out a task of KindSystem as it is scheduled: it ends at once
// (scripts, SET_VARIABLE, ...), or starts and waits (JOIN, WAIT, a
// sub-workflow, ...), or opens its branches (SWITCH, FORK, DO_WHILE).
func (d *decision) begin(t *workflow.Task) {
	switch t.WorkflowTask.TaskType() {
	case workflow.TypeSwitch, workflow.TypeDecision:
		d.beginSwitch(t)
	case workflow.TypeForkJoin, workflow.TypeFork:
		d.end(t, workflow.TaskCompleted, "")
		for _, branch := range t.WorkflowTask.ForkTasks {
			if len(branch) > 0 {
				d.scheduleDef(branch[0])
			}
		}
	case workflow.TypeForkJoinDynamic:
		d.beginDynamicFork(t)
	case workflow.TypeJoin, workflow.TypeExclusiveJoin:
		d.begun(t)
		if t.TaskType == workflow.TypeJoin {
			t.InputData["joinOn"] = d.joinOn(t)
		}
		d.joins = append(d.joins, t)
	case workflow.TypeDoWhile:
		d.beginLoop(t)
	case workflow.TypeSubWorkflow:
		d.beginSubWorkflow(t)
	case workflow.TypeStartWorkflow:
		d.beginStartWorkflow(t)
	case workflow.TypeWait:
		d.beginWait(t)
	case workflow.TypeHuman:
		d.begun(t)
	case workflow.TypeInline:
		d.inline(t)
	case workflow.TypeLambda:
		d.lambda(t)
	case workflow.TypeJSONJQTransform:
		d.jq(t)
	case workflow.TypeSetVariable:
		d.setVariable(t)
	case workflow.TypeTerminate:
		d.terminateTask(t)
	case workflow.TypeEvent:
		d.event(t)
	case workflow.TypeNoop:
		d.end(t, workflow.TaskCompleted, "")
	case workflow.TypeDynamic:
		d.failDynamic(t)
	default:
		d.end(t, workflow.TaskFailedWithTerminalError, "Baton cannot carry out task type "+t.TaskType)
	}
}

// beginSwitch picks a SWITCH's (or DECISION's) case and starts it. The
// SWITCH stays IN_PROGRESS until the case's tasks are done, so that a JOIN
// on it waits for them.
func (d *decision) beginSwitch(t *workflow.Task) {
	wt := t.WorkflowTask
	var (
		v   any
		err error
	)
	switch {
	case wt.TaskType() == workflow.TypeDecision && wt.CaseValueParam != "":
		v = t.InputData[wt.CaseValueParam]
	case wt.TaskType() == workflow.TypeDecision:
		v, err = d.js(wt.CaseExpression, t.InputData)
	case wt.EvaluatorType == "value-param":
		v = t.InputData[wt.Expression]
	default:
		v, err = d.js(wt.Expression, t.InputData)
	}
	if err != nil {
		d.end(t, workflow.TaskFailed, "the case could not be evaluated: "+err.Error())
		return
	}
	c := caseString(v)
	branch, ok := wt.DecisionCases[c]
	if !ok {
		branch = wt.DefaultCase
	}
	if wt.TaskType() == workflow.TypeDecision {
		t.InputData["case"] = c
		t.OutputData["caseOutput"] = []any{c}
	} else {
		t.OutputData["evaluationResult"] = []any{c}
		t.OutputData["selectedCase"] = c
	}
	d.begun(t)
	if len(branch) == 0 {
		d.end(t, workflow.TaskCompleted, "")
		return
	}
	d.scheduleDef(branch[0])
}

// caseString is the case name of an evaluated value, as Java's
// String.valueOf gives it.
func caseString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// stopChild terminates the sub-workflow of a SUB_WORKFLOW task that ended
// or was cancelled while its child may still run.
func (d *decision) stopChild(t *workflow.Task, reason string) {
	if t.TaskType == workflow.TypeSubWorkflow && t.SubWorkflowID != "" {
		d.res.Commands = append(d.res.Commands, TerminateWorkflow{WorkflowID: t.SubWorkflowID, Reason: reason})
	}
}

// beginSubWorkflow starts a SUB_WORKFLOW's child, whose id is chosen here,
// once per attempt, and written with the task in the same commit. The task
// waits IN_PROGRESS until the child ends.
func (d *decision) beginSubWorkflow(t *workflow.Task) {
	wt := t.WorkflowTask
	sp := wt.SubWorkflowParam
	if sp == nil {
		d.end(t, workflow.TaskFailedWithTerminalError, "subWorkflowParam is missing")
		return
	}
	params := map[string]any{"name": sp.Name, "version": sp.Version, "priority": sp.Priority}
	if expr, ok := sp.WorkflowDefinition.(string); ok {
		// An expression that yields the definition; an inline object is
		// the child's own, with expressions for the child to resolve.
		params["workflowDefinition"] = expr
	}
	resolved, err := workflow.Evaluate(params, d.context(t.TaskID))
	if err != nil {
		d.end(t, workflow.TaskFailedWithTerminalError, "subWorkflowParam: "+err.Error())
		return
	}
	p, _ := resolved.(map[string]any)
	req := &workflow.StartRequest{
		Input:         maps.Clone(t.InputData),
		CorrelationID: d.w.CorrelationID,
		Priority:      d.w.Priority,
		TaskToDomain:  d.w.TaskToDomain,
	}
	req.Name, _ = p["name"].(string)
	if v, ok := intOf(p["version"]); ok {
		req.Version = int(v)
	}
	if v, ok := intOf(p["priority"]); ok {
		req.Priority = int(v)
	}
	if len(sp.TaskToDomain) > 0 {
		req.TaskToDomain = sp.TaskToDomain
	}
	def := p["workflowDefinition"]
	if def == nil {
		def = sp.WorkflowDefinition
	}
	if def != nil {
		inline, err := decodeDef(def)
		if err != nil {
			d.end(t, workflow.TaskFailedWithTerminalError, "subWorkflowParam.workflowDefinition: "+err.Error())
			return
		}
		req.WorkflowDef = inline
		if req.Name == "" {
			req.Name = inline.Name
		}
	}
	if req.Name == "" {
		d.end(t, workflow.TaskFailedWithTerminalError, "subWorkflowParam names no workflow")
		return
	}
	id := d.NewID()
	t.SubWorkflowID = id
	t.OutputData["subWorkflowId"] = id
	d.begun(t)
	d.res.Commands = append(d.res.Commands, StartWorkflow{
		WorkflowID: id, Request: req, ParentWorkflowID: d.w.WorkflowID, ParentTaskID: t.TaskID,
	})
}

// decodeDef turns an inline definition (an object, or one resolved from an
// expression) into a WorkflowDef.
func decodeDef(v any) (*workflow.WorkflowDef, error) {
	if def, ok := v.(*workflow.WorkflowDef); ok {
		return def, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("must be a workflow definition object, got %s", kindOf(v))
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	def := &workflow.WorkflowDef{}
	if err := workflow.Decode(data, def); err != nil {
		return nil, err
	}
	return def, nil
}

// beginStartWorkflow starts another workflow, fire and forget: the task
// completes with its id once it runs.
func (d *decision) beginStartWorkflow(t *workflow.Task) {
	raw, ok := t.InputData["startWorkflow"].(map[string]any)
	if !ok {
		d.end(t, workflow.TaskFailedWithTerminalError, "input startWorkflow must be an object with the workflow's name, version and input")
		return
	}
	data, err := json.Marshal(raw)
	req := &workflow.StartRequest{}
	if err == nil {
		err = workflow.Decode(data, req)
	}
	if err != nil {
		d.end(t, workflow.TaskFailedWithTerminalError, "input startWorkflow is not a start request: "+err.Error())
		return
	}
	if req.Name == "" && req.WorkflowDef == nil {
		d.end(t, workflow.TaskFailedWithTerminalError, "input startWorkflow names no workflow")
		return
	}
	id := d.NewID()
	t.OutputData["workflowId"] = id
	d.begun(t)
	d.res.Commands = append(d.res.Commands, StartWorkflow{WorkflowID: id, Request: req, ReplyTaskID: t.TaskID})
}

// beginWait starts a WAIT: until a time, for a duration, or until it is
// completed through the API.
func (d *decision) beginWait(t *workflow.Task) {
	d.begun(t)
	dur, _ := t.InputData["duration"].(string)
	until, _ := t.InputData["until"].(string)
	switch {
	case strings.TrimSpace(dur) != "":
		ms, err := parseDuration(dur)
		if err != nil {
			d.end(t, workflow.TaskFailedWithTerminalError, "duration: "+err.Error())
			return
		}
		t.WaitTimeout = d.now + ms
	case strings.TrimSpace(until) != "":
		at, err := parseUntil(until)
		if err != nil {
			d.end(t, workflow.TaskFailedWithTerminalError, "until: "+err.Error())
			return
		}
		t.WaitTimeout = at.UnixMilli()
	}
	if t.WaitTimeout != 0 && t.WaitTimeout <= d.now {
		d.end(t, workflow.TaskCompleted, "")
	}
}

// inline runs an INLINE task's script; its input is $, its output result.
func (d *decision) inline(t *workflow.Task) {
	expr, _ := t.InputData["expression"].(string)
	var (
		v   any
		err error
	)
	if et, _ := t.InputData["evaluatorType"].(string); et == "value-param" {
		v = t.InputData[expr]
	} else {
		v, err = d.js(expr, t.InputData)
	}
	d.scriptResult(t, v, err)
}

// lambda runs a LAMBDA task (Conductor's deprecated INLINE).
func (d *decision) lambda(t *workflow.Task) {
	expr, _ := t.InputData["scriptExpression"].(string)
	if expr == "" {
		expr = t.WorkflowTask.ScriptExpression
	}
	v, err := d.js(expr, t.InputData)
	d.scriptResult(t, v, err)
}

func (d *decision) scriptResult(t *workflow.Task, v any, err error) {
	if err != nil {
		t.OutputData["error"] = err.Error()
		d.end(t, workflow.TaskFailed, err.Error())
		return
	}
	t.OutputData["result"] = v
	d.end(t, workflow.TaskCompleted, "")
}

func (d *decision) js(expr string, input map[string]any) (any, error) {
	if d.Scripts == nil {
		return nil, fmt.Errorf("no script evaluator is configured")
	}
	return d.Scripts.JS(expr, input)
}

// jq runs a JSON_JQ_TRANSFORM over the task's input: output result (the
// first result), resultList (all) or error.
func (d *decision) jq(t *workflow.Task) {
	q, _ := t.InputData["queryExpression"].(string)
	if strings.TrimSpace(q) == "" {
		d.end(t, workflow.TaskFailedWithTerminalError, "input queryExpression is empty")
		return
	}
	if d.Scripts == nil {
		d.end(t, workflow.TaskFailed, "no script evaluator is configured")
		return
	}
	results, err := d.Scripts.JQ(q, t.InputData)
	if err != nil {
		t.OutputData["error"] = err.Error()
		d.end(t, workflow.TaskFailed, err.Error())
		return
	}
	var first any
	if len(results) > 0 {
		first = results[0]
	}
	t.OutputData["result"] = first
	t.OutputData["resultList"] = results
	d.end(t, workflow.TaskCompleted, "")
}

// setVariable merges the task's input into the workflow's variables, within
// MaxVariablesBytes.
func (d *decision) setVariable(t *workflow.Task) {
	vars := maps.Clone(d.w.Variables)
	if vars == nil {
		vars = map[string]any{}
	}
	maps.Copy(vars, t.InputData)
	data, err := json.Marshal(vars)
	switch {
	case err != nil:
		d.end(t, workflow.TaskFailedWithTerminalError, "the variables cannot be encoded: "+err.Error())
		return
	case len(data) > MaxVariablesBytes:
		d.end(t, workflow.TaskFailedWithTerminalError, fmt.Sprintf("the workflow's variables would take %d bytes, over the limit of %d; store large data elsewhere and keep a reference", len(data), MaxVariablesBytes))
		return
	}
	d.w.Variables = vars
	d.end(t, workflow.TaskCompleted, "")
}

// terminateTask ends the workflow with the status, reason and output the
// TERMINATE task gives.
func (d *decision) terminateTask(t *workflow.Task) {
	status, _ := t.InputData["terminationStatus"].(string)
	reason, _ := t.InputData["terminationReason"].(string)
	var ws workflow.Status
	switch status {
	case "COMPLETED":
		ws = workflow.StatusCompleted
	case "FAILED":
		ws = workflow.StatusFailed
	case "TERMINATED":
		ws = workflow.StatusTerminated
	default:
		d.end(t, workflow.TaskFailedWithTerminalError, fmt.Sprintf("terminationStatus is %q; use COMPLETED, FAILED or TERMINATED", status))
		return
	}
	out, _ := t.InputData["workflowOutput"].(map[string]any)
	t.OutputData = map[string]any{"output": out}
	d.end(t, workflow.TaskCompleted, "")
	t.Executed = true
	var failed *workflow.Task
	if ws == workflow.StatusFailed {
		failed = t
	}
	d.finish(ws, reason, failed, out)
}

// event publishes an EVENT task's input to its sink. Only Baton's internal
// conductor sink is available: "conductor" publishes on
// conductor:<workflow>:<task reference>, "conductor:q" on
// conductor:<workflow>:q.
func (d *decision) event(t *workflow.Task) {
	sink := strings.TrimSpace(t.WorkflowTask.Sink)
	if s, ok := t.InputData["sink"].(string); ok && s != "" {
		sink = s
	}
	var name string
	switch {
	case sink == "conductor":
		name = "conductor:" + d.w.WorkflowName + ":" + workflow.BaseRef(t.ReferenceTaskName)
	case strings.HasPrefix(sink, "conductor:"):
		name = "conductor:" + d.w.WorkflowName + ":" + strings.TrimPrefix(sink, "conductor:")
	default:
		provider, _, _ := strings.Cut(sink, ":")
		d.end(t, workflow.TaskFailedWithTerminalError, fmt.Sprintf("sink %q: Baton has no %q event provider; use the conductor sink (conductor or conductor:<queue>)", sink, provider))
		return
	}
	payload := maps.Clone(t.InputData)
	if payload == nil {
		payload = map[string]any{}
	}
	delete(payload, "sink")
	payload["workflowInstanceId"] = d.w.WorkflowID
	payload["workflowType"] = d.w.WorkflowName
	payload["workflowVersion"] = num(d.w.WorkflowVersion)
	payload["correlationId"] = orNil(d.w.CorrelationID)
	d.res.Commands = append(d.res.Commands, Publish{Event: name, Payload: payload, TaskID: t.TaskID})
	t.OutputData = maps.Clone(payload)
	t.OutputData["event_produced"] = name
	if AsyncComplete(t) {
		d.begun(t)
		return
	}
	d.end(t, workflow.TaskCompleted, "")
}

// AsyncComplete reports whether a system task waits IN_PROGRESS for an
// outside update once its work is done.
func AsyncComplete(t *workflow.Task) bool {
	if v, ok := t.InputData["asyncComplete"].(bool); ok {
		return v
	}
	return t.WorkflowTask != nil && t.WorkflowTask.AsyncComplete
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// intOf reads an integer from a JSON value.
func intOf(v any) (int64, bool) {
	switch v := v.(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case float64:
		return int64(v), v == math.Trunc(v)
	case int:
		return int64(v), true
	case int64:
		return v, true
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func floatOf(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// kindOf names a JSON value's kind for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int, int64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
