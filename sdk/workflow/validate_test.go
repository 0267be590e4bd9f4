package workflow

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// baseDef is a valid three-task workflow that the validator cases break.
const baseDef = `{
	"name": "base_flow",
	"version": 1,
	"schemaVersion": 2,
	"tasks": [
		{"name": "fetch", "taskReferenceName": "fetch_ref", "type": "SIMPLE", "inputParameters": {"url": "${workflow.input.url}"}},
		{"name": "process", "taskReferenceName": "process_ref", "type": "SIMPLE", "inputParameters": {"body": "${fetch_ref.output.body}"}},
		{"name": "store", "taskReferenceName": "store_ref", "inputParameters": {"data": "${process_ref.output}"}}
	],
	"outputParameters": {"result": "${process_ref.output.result}"}
}`

func decodeDef(t testing.TB, s string) *WorkflowDef {
	t.Helper()
	var d WorkflowDef
	require.NoError(t, Decode([]byte(s), &d), s)
	return &d
}

// mustTask decodes one workflow task.
func mustTask(s string) *WorkflowTask {
	var wt WorkflowTask
	if err := Decode([]byte(s), &wt); err != nil {
		panic(err.Error() + ": " + s)
	}
	return &wt
}

// add appends tasks to the definition.
func add(tasks ...string) func(*WorkflowDef) {
	return func(d *WorkflowDef) {
		for _, s := range tasks {
			d.Tasks = append(d.Tasks, mustTask(s))
		}
	}
}

// registry looks task definitions up in a fixed set.
func registry(names ...string) func(string) *TaskDef {
	defs := map[string]*TaskDef{}
	for _, n := range names {
		defs[n] = &TaskDef{Name: n}
	}
	return func(name string) *TaskDef { return defs[name] }
}

func defaultOptions() ValidateOptions {
	return ValidateOptions{TaskDef: registry("fetch", "process", "store", "a", "b", "c")}
}

func intPtr(n int) *int       { return &n }
func int64Ptr(n int64) *int64 { return &n }

const (
	join      = `{"name": "join", "taskReferenceName": "join_ref", "type": "JOIN"}`
	validSwch = `{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "value-param", "expression": "k",
		"inputParameters": {"k": "${workflow.input.k}"}, "decisionCases": {"a": [{"name": "a", "taskReferenceName": "a_ref"}]}}`
)

func TestValidateWorkflowDef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		mutate   func(d *WorkflowDef)
		opts     *ValidateOptions
		pointer  string
		mentions []string
	}{
		// The workflow's own fields.
		{"missing name", func(d *WorkflowDef) { d.Name = "" }, nil, "/name", []string{"name is missing"}},
		{"blank name", func(d *WorkflowDef) { d.Name = "  " }, nil, "/name", []string{"name is missing"}},
		{"bad characters in the name", func(d *WorkflowDef) { d.Name = "orders.v2!" }, nil, "/name", []string{`"orders.v2!"`, `'.'`, `'!'`}},
		{"negative version", func(d *WorkflowDef) { d.Version = -1 }, nil, "/version", []string{"-1"}},
		{"no tasks", func(d *WorkflowDef) { d.Tasks, d.OutputParameters = nil, nil }, nil, "/tasks", []string{"at least one task"}},
		{"schemaVersion 1", func(d *WorkflowDef) { d.SchemaVersion = 1 }, nil, "/schemaVersion", []string{"schemaVersion is 1"}},
		{"workflow timeoutPolicy RETRY", func(d *WorkflowDef) { d.TimeoutPolicy = TimeoutRetry }, nil, "/timeoutPolicy", []string{`"RETRY"`, "TIME_OUT_WF or ALERT_ONLY"}},
		{"negative timeoutSeconds", func(d *WorkflowDef) { d.TimeoutSeconds = -5 }, nil, "/timeoutSeconds", []string{"-5"}},
		{"listener sink not a URL", func(d *WorkflowDef) { d.WorkflowStatusListenerSink = "kafka:status-topic" }, nil, "/workflowStatusListenerSink", []string{`"kafka:status-topic"`, "http:// or https://"}},
		{"listener sink without a host", func(d *WorkflowDef) { d.WorkflowStatusListenerSink = "https:///hook" }, nil, "/workflowStatusListenerSink", []string{"no host"}},
		{"listener sink malformed", func(d *WorkflowDef) { d.WorkflowStatusListenerSink = "http://[::1" }, nil, "/workflowStatusListenerSink", []string{"is not a URL"}},
		{"bad failureWorkflow expression", func(d *WorkflowDef) { d.FailureWorkflow = "${workflow.input.}" }, nil, "/failureWorkflow", []string{"${workflow.input.}"}},

		// Every task.
		{"null task", func(d *WorkflowDef) { d.Tasks = append(d.Tasks, nil) }, nil, "/tasks/3", []string{"null"}},
		{"task without a name", func(d *WorkflowDef) { d.Tasks[2].Name = "" }, nil, "/tasks/2/name", []string{`"store_ref"`, "no name"}},
		{"task without a reference name", func(d *WorkflowDef) { d.Tasks[2].TaskReferenceName = "" }, nil, "/tasks/2/taskReferenceName", []string{`"store"`, "no taskReferenceName"}},
		{"malformed reference name", func(d *WorkflowDef) { d.Tasks[2].TaskReferenceName = "store ref!" }, nil, "/tasks/2/taskReferenceName", []string{`"store ref!"`}},
		{"dotted reference name", func(d *WorkflowDef) { d.Tasks[2].TaskReferenceName = "store.v2" }, nil, "/tasks/2/taskReferenceName", []string{`"store.v2"`}},
		{"reference name too long", func(d *WorkflowDef) { d.Tasks[2].TaskReferenceName = strings.Repeat("r", 129) }, nil, "/tasks/2/taskReferenceName", []string{strings.Repeat("r", 129)}},
		{"reserved reference name", func(d *WorkflowDef) { d.Tasks[2].TaskReferenceName = "workflow" }, nil, "/tasks/2/taskReferenceName", []string{`"workflow"`, "reserved"}},
		{"duplicate reference name", func(d *WorkflowDef) { d.Tasks[2].TaskReferenceName = "fetch_ref" }, nil, "/tasks/2/taskReferenceName", []string{`"fetch_ref"`, "/tasks/0"}},
		{
			"duplicate reference name in a decision case",
			add(`{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "value-param", "expression": "k",
				"decisionCases": {"a": [{"name": "a", "taskReferenceName": "process_ref"}]}}`),
			nil, "/tasks/3/decisionCases/a/0/taskReferenceName", []string{`"process_ref"`, "/tasks/1"},
		},
		{
			"duplicate reference name under a case key with a slash",
			add(`{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "value-param", "expression": "k",
				"decisionCases": {"a/b~c": [{"name": "a", "taskReferenceName": "process_ref"}]}}`),
			nil, "/tasks/3/decisionCases/a~1b~0c/0/taskReferenceName", []string{`"process_ref"`},
		},
		{
			"duplicate reference name in the default case",
			add(`{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "value-param", "expression": "k",
				"decisionCases": {"a": [{"name": "a", "taskReferenceName": "a_ref"}]},
				"defaultCase": [{"name": "b", "taskReferenceName": "b_ref"}, {"name": "c", "taskReferenceName": "a_ref"}]}`),
			nil, "/tasks/3/defaultCase/1/taskReferenceName", []string{`"a_ref"`, "/tasks/3/decisionCases/a/0"},
		},
		{
			"duplicate reference name in a fork branch",
			add(`{"name": "fork", "taskReferenceName": "fork_ref", "type": "FORK_JOIN",
				"forkTasks": [[{"name": "a", "taskReferenceName": "a_ref"}], [{"name": "b", "taskReferenceName": "store_ref"}]]}`, join),
			nil, "/tasks/3/forkTasks/1/0/taskReferenceName", []string{`"store_ref"`, "/tasks/2"},
		},
		{
			"duplicate reference name in a loop",
			add(`{"name": "loop", "taskReferenceName": "loop_ref", "type": "DO_WHILE", "loopCondition": "false",
				"loopOver": [{"name": "a", "taskReferenceName": "a_ref"}, {"name": "b", "taskReferenceName": "loop_ref"}]}`),
			nil, "/tasks/3/loopOver/1/taskReferenceName", []string{`"loop_ref"`, "/tasks/3"},
		},
		{"unknown type", func(d *WorkflowDef) { d.Tasks[2].Type = "FOO" }, nil, "/tasks/2/type", []string{`"FOO"`, "SIMPLE", "JSON_JQ_TRANSFORM"}},
		{"lower-case type", func(d *WorkflowDef) { d.Tasks[2].Type = "simple" }, nil, "/tasks/2/type", []string{`"simple"`}},
		{"SIMPLE task without a registered definition", func(d *WorkflowDef) { d.Tasks[2].Name = "unregistered" }, nil, "/tasks/2/name", []string{`"unregistered"`, "inline taskDefinition"}},
		{"negative startDelay", func(d *WorkflowDef) { d.Tasks[0].StartDelay = -1 }, nil, "/tasks/0/startDelay", []string{"-1"}},
		{"negative retryCount", func(d *WorkflowDef) { d.Tasks[0].RetryCount = intPtr(-2) }, nil, "/tasks/0/retryCount", []string{"-2"}},

		// Expressions.
		{"malformed expression", func(d *WorkflowDef) { d.Tasks[0].InputParameters["url"] = "${workflow.input.}" }, nil, "/tasks/0/inputParameters/url", []string{"${workflow.input.}"}},
		{"unclosed expression", func(d *WorkflowDef) { d.Tasks[0].InputParameters["url"] = "http://${workflow.input.host" }, nil, "/tasks/0/inputParameters/url", []string{"${workflow.input.host"}},
		{"expression without a source", func(d *WorkflowDef) { d.Tasks[0].InputParameters["url"] = "${.input.url}" }, nil, "/tasks/0/inputParameters/url", []string{"no source"}},
		{
			"malformed expression deep in a parameter",
			func(d *WorkflowDef) {
				d.Tasks[0].InputParameters["headers"] = map[string]any{"list": []any{"ok", "${fetch_ref.output[}"}}
			},
			nil, "/tasks/0/inputParameters/headers/list/1", []string{"${fetch_ref.output[}"},
		},
		{"malformed expression under a key with ~ and /", func(d *WorkflowDef) { d.Tasks[0].InputParameters["a~/b"] = "${x y}" }, nil, "/tasks/0/inputParameters/a~0~1b", []string{"${x y}"}},
		{"reference to a task that does not exist", func(d *WorkflowDef) { d.Tasks[2].InputParameters["data"] = "${proces_ref.output}" }, nil, "/tasks/2/inputParameters/data", []string{`"proces_ref"`}},
		{"input of a task that does not exist, in text", func(d *WorkflowDef) { d.Tasks[2].InputParameters["data"] = "x ${ghost.input.y}" }, nil, "/tasks/2/inputParameters/data", []string{`"ghost"`}},
		{"malformed output expression", func(d *WorkflowDef) { d.OutputParameters["result"] = "${process_ref.output.result" }, nil, "/outputParameters/result", []string{"${process_ref.output.result"}},
		{"output of a task that does not exist", func(d *WorkflowDef) { d.OutputParameters["result"] = "${nope_ref.output.x}" }, nil, "/outputParameters/result", []string{`"nope_ref"`}},
		{"inputExpression of an unknown type", func(d *WorkflowDef) {
			d.Tasks[0].InputParameters = nil
			d.Tasks[0].InputExpression = &InputExpression{Type: "JQ", Expression: "workflow.input"}
		}, nil, "/tasks/0/inputExpression/type", []string{`"JQ"`}},
		{"malformed inputExpression", func(d *WorkflowDef) {
			d.Tasks[0].InputParameters = nil
			d.Tasks[0].InputExpression = &InputExpression{Type: "JSON_PATH", Expression: "workflow.input["}
		}, nil, "/tasks/0/inputExpression/expression", []string{"workflow.input["}},
		{"inputExpression with inputParameters", func(d *WorkflowDef) {
			d.Tasks[0].InputExpression = &InputExpression{Type: "JSON_PATH", Expression: "workflow.input"}
		}, nil, "/tasks/0/inputExpression", []string{"both inputParameters and inputExpression"}},
		{
			"malformed items expression",
			add(`{"name": "loop", "taskReferenceName": "loop_ref", "type": "DO_WHILE", "loopCondition": "false", "items": "${workflow.input.list[}",
				"loopOver": [{"name": "a", "taskReferenceName": "a_ref"}]}`),
			nil, "/tasks/3/items", []string{"${workflow.input.list[}"},
		},

		// Inline task definitions.
		{
			"inline taskDefinition problem",
			func(d *WorkflowDef) {
				d.Tasks[2].TaskDefinition = &TaskDef{Name: "store", TimeoutSeconds: 300, ResponseTimeoutSeconds: int64Ptr(600)}
			},
			nil, "/tasks/2/taskDefinition/responseTimeoutSeconds", []string{"responseTimeoutSeconds (600) must not exceed timeoutSeconds (300)"},
		},
		{"inline taskDefinition without a name", func(d *WorkflowDef) { d.Tasks[2].TaskDefinition = &TaskDef{RetryCount: intPtr(1)} }, nil, "/tasks/2/taskDefinition/name", []string{"no name"}},

		// Operators and system tasks.
		{"taskReferenceName with an iteration suffix", add(`{"name": "a", "taskReferenceName": "a__2"}`), nil, "/tasks/3/taskReferenceName", []string{`"a__2"`, "DO_WHILE"}},
		{"SWITCH without expression", add(`{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "value-param",
			"decisionCases": {"a": [{"name": "a", "taskReferenceName": "a_ref"}]}}`), nil, "/tasks/3/expression", []string{`"sw_ref"`, "no expression"}},
		{"SWITCH without evaluatorType", add(`{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "expression": "k",
			"decisionCases": {"a": [{"name": "a", "taskReferenceName": "a_ref"}]}}`), nil, "/tasks/3/evaluatorType", []string{`"sw_ref"`, "value-param"}},
		{"SWITCH with an unknown evaluatorType", add(`{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "python", "expression": "k",
			"decisionCases": {"a": [{"name": "a", "taskReferenceName": "a_ref"}]}}`), nil, "/tasks/3/evaluatorType", []string{`"python"`}},
		{"SWITCH without cases", add(`{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "value-param", "expression": "k",
			"defaultCase": [{"name": "a", "taskReferenceName": "a_ref"}]}`), nil, "/tasks/3/decisionCases", []string{`"sw_ref"`}},
		{"DECISION without caseValueParam", add(`{"name": "d", "taskReferenceName": "d_ref", "type": "DECISION",
			"decisionCases": {"a": [{"name": "a", "taskReferenceName": "a_ref"}]}}`), nil, "/tasks/3/caseValueParam", []string{`"d_ref"`, "caseExpression"}},
		{"FORK_JOIN without branches", add(`{"name": "fork", "taskReferenceName": "fork_ref", "type": "FORK_JOIN"}`, join), nil, "/tasks/3/forkTasks", []string{`"fork_ref"`}},
		{"FORK_JOIN at the end", add(`{"name": "fork", "taskReferenceName": "fork_ref", "type": "FORK_JOIN",
			"forkTasks": [[{"name": "a", "taskReferenceName": "a_ref"}]]}`), nil, "/tasks/3", []string{`"fork_ref"`, "JOIN"}},
		{"FORK followed by something else", add(`{"name": "fork", "taskReferenceName": "fork_ref", "type": "FORK",
			"forkTasks": [[{"name": "a", "taskReferenceName": "a_ref"}]]}`, `{"name": "b", "taskReferenceName": "b_ref"}`), nil, "/tasks/3", []string{`"fork_ref"`, "JOIN"}},
		{"JOIN on a task that does not exist", add(`{"name": "fork", "taskReferenceName": "fork_ref", "type": "FORK_JOIN",
			"forkTasks": [[{"name": "a", "taskReferenceName": "a_ref"}], [{"name": "b", "taskReferenceName": "b_ref"}]]}`,
			`{"name": "join", "taskReferenceName": "join_ref", "type": "JOIN", "joinOn": ["a_ref", "branch_z_ref"]}`), nil, "/tasks/4/joinOn/1", []string{`"branch_z_ref"`}},
		{"EXCLUSIVE_JOIN default on a task that does not exist", add(validSwch,
			`{"name": "x", "taskReferenceName": "x_ref", "type": "EXCLUSIVE_JOIN", "joinOn": ["a_ref"], "defaultExclusiveJoinTask": ["nope_ref"]}`),
			nil, "/tasks/4/defaultExclusiveJoinTask/0", []string{`"nope_ref"`}},
		{"DO_WHILE without loopCondition", add(`{"name": "loop", "taskReferenceName": "loop_ref", "type": "DO_WHILE",
			"loopOver": [{"name": "a", "taskReferenceName": "a_ref"}]}`), nil, "/tasks/3/loopCondition", []string{`"loop_ref"`}},
		{"DO_WHILE without body", add(`{"name": "loop", "taskReferenceName": "loop_ref", "type": "DO_WHILE", "loopCondition": "false"}`), nil, "/tasks/3/loopOver", []string{`"loop_ref"`}},
		{"SUB_WORKFLOW without subWorkflowParam", add(`{"name": "sub", "taskReferenceName": "sub_ref", "type": "SUB_WORKFLOW"}`), nil, "/tasks/3/subWorkflowParam", []string{`"sub_ref"`}},
		{"SUB_WORKFLOW without a name", add(`{"name": "sub", "taskReferenceName": "sub_ref", "type": "SUB_WORKFLOW", "subWorkflowParam": {"version": 1}}`), nil, "/tasks/3/subWorkflowParam/name", []string{`"sub_ref"`}},
		{"SUB_WORKFLOW with a negative version", add(`{"name": "sub", "taskReferenceName": "sub_ref", "type": "SUB_WORKFLOW", "subWorkflowParam": {"name": "child", "version": -3}}`), nil, "/tasks/3/subWorkflowParam/version", []string{"-3"}},
		{"SUB_WORKFLOW with an inline definition that has a problem", add(`{"name": "sub", "taskReferenceName": "sub_ref", "type": "SUB_WORKFLOW",
			"subWorkflowParam": {"workflowDefinition": {"name": "inner", "tasks": [{"name": "a", "taskReferenceName": "bad ref"}]}}}`),
			nil, "/tasks/3/subWorkflowParam/workflowDefinition/tasks/0/taskReferenceName", []string{`"bad ref"`}},
		{"SUB_WORKFLOW with a string definition", add(`{"name": "sub", "taskReferenceName": "sub_ref", "type": "SUB_WORKFLOW",
			"subWorkflowParam": {"workflowDefinition": "inner"}}`), nil, "/tasks/3/subWorkflowParam/workflowDefinition", []string{`"inner"`}},
		{"DYNAMIC without dynamicTaskNameParam", add(`{"name": "dyn", "taskReferenceName": "dyn_ref", "type": "DYNAMIC"}`), nil, "/tasks/3/dynamicTaskNameParam", []string{`"dyn_ref"`}},
		{"FORK_JOIN_DYNAMIC without its input name", add(`{"name": "dyn", "taskReferenceName": "dyn_ref", "type": "FORK_JOIN_DYNAMIC", "dynamicForkTasksParam": "tasks"}`, join),
			nil, "/tasks/3/dynamicForkTasksInputParamName", []string{`"dyn_ref"`}},
		{"FORK_JOIN_DYNAMIC with both parameter styles", add(`{"name": "dyn", "taskReferenceName": "dyn_ref", "type": "FORK_JOIN_DYNAMIC",
			"dynamicForkJoinTasksParam": "old", "dynamicForkTasksParam": "tasks", "dynamicForkTasksInputParamName": "inputs"}`, join),
			nil, "/tasks/3/dynamicForkJoinTasksParam", []string{`"dyn_ref"`}},
		{"FORK_JOIN_DYNAMIC at the end", add(`{"name": "dyn", "taskReferenceName": "dyn_ref", "type": "FORK_JOIN_DYNAMIC",
			"inputParameters": {"forkTaskName": "a", "forkTaskInputs": []}}`), nil, "/tasks/3", []string{`"dyn_ref"`, "JOIN"}},
		{"TERMINATE with a bad status", add(`{"name": "end", "taskReferenceName": "end_ref", "type": "TERMINATE", "inputParameters": {"terminationStatus": "DONE"}}`),
			nil, "/tasks/3/inputParameters/terminationStatus", []string{"DONE", "COMPLETED, FAILED or TERMINATED"}},
		{"TERMINATE without a status", add(`{"name": "end", "taskReferenceName": "end_ref", "type": "TERMINATE"}`),
			nil, "/tasks/3/inputParameters/terminationStatus", []string{`"end_ref"`}},
		{"optional TERMINATE", add(`{"name": "end", "taskReferenceName": "end_ref", "type": "TERMINATE", "optional": true, "inputParameters": {"terminationStatus": "COMPLETED"}}`),
			nil, "/tasks/3/optional", []string{`"end_ref"`}},
		{"INLINE without expression", add(`{"name": "js", "taskReferenceName": "js_ref", "type": "INLINE", "inputParameters": {"evaluatorType": "graaljs"}}`),
			nil, "/tasks/3/inputParameters/expression", []string{`"js_ref"`}},
		{"INLINE without evaluatorType", add(`{"name": "js", "taskReferenceName": "js_ref", "type": "INLINE", "inputParameters": {"expression": "1"}}`),
			nil, "/tasks/3/inputParameters/evaluatorType", []string{`"js_ref"`}},
		{"INLINE with an unknown evaluatorType", add(`{"name": "js", "taskReferenceName": "js_ref", "type": "INLINE", "inputParameters": {"expression": "1", "evaluatorType": "python"}}`),
			nil, "/tasks/3/inputParameters/evaluatorType", []string{`"python"`}},
		{"LAMBDA without scriptExpression", add(`{"name": "l", "taskReferenceName": "l_ref", "type": "LAMBDA"}`),
			nil, "/tasks/3/inputParameters/scriptExpression", []string{`"l_ref"`}},
		{"JSON_JQ_TRANSFORM without queryExpression", add(`{"name": "jq", "taskReferenceName": "jq_ref", "type": "JSON_JQ_TRANSFORM", "inputParameters": {"data": 1}}`),
			nil, "/tasks/3/inputParameters/queryExpression", []string{`"jq_ref"`}},
		{"HTTP without a request", add(`{"name": "call", "taskReferenceName": "call_ref", "type": "HTTP", "inputParameters": {"method": "GET"}}`),
			nil, "/tasks/3/inputParameters/http_request", []string{`"call_ref"`}},
		{"EVENT without sink", add(`{"name": "ev", "taskReferenceName": "ev_ref", "type": "EVENT"}`), nil, "/tasks/3/sink", []string{`"ev_ref"`}},
		{"WAIT with duration and until", add(`{"name": "w", "taskReferenceName": "w_ref", "type": "WAIT", "inputParameters": {"duration": "1m", "until": "2030-01-01 00:00 UTC"}}`),
			nil, "/tasks/3/inputParameters/until", []string{`"w_ref"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := decodeDef(t, baseDef)
			tt.mutate(d)
			opts := defaultOptions()
			if tt.opts != nil {
				opts = *tt.opts
			}
			diags := ValidateWorkflowDef(d, opts)
			require.Len(t, diags, 1, "%v", diags)
			require.Equal(t, tt.pointer, diags[0].Pointer)
			for _, m := range tt.mentions {
				require.Contains(t, diags[0].Message, m)
			}
			require.Error(t, diags.Err())
		})
	}
}

func TestValidateWorkflowDefAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(d *WorkflowDef)
		opts   ValidateOptions
	}{
		{"the base definition", func(*WorkflowDef) {}, defaultOptions()},
		{"unregistered tasks when registrations are not checked", func(d *WorkflowDef) { d.Tasks[2].Name = "unregistered" }, ValidateOptions{}},
		{"a webhook as the listener sink", func(d *WorkflowDef) {
			d.WorkflowStatusListenerEnabled, d.WorkflowStatusListenerSink = true, "https://hooks.example.com/baton?team=a"
		}, defaultOptions()},
		{"an inline taskDefinition instead of a registered one", func(d *WorkflowDef) {
			d.Tasks[2].Name = "unregistered"
			d.Tasks[2].TaskDefinition = &TaskDef{Name: "unregistered", RetryCount: intPtr(0)}
		}, defaultOptions()},
		{"a plugin type", func(d *WorkflowDef) { d.Tasks[2].Type = "WASM" }, ValidateOptions{
			TaskDef:    defaultOptions().TaskDef,
			ExtraTypes: func(typ string) bool { return typ == "WASM" },
		}},
		{"version 0, schemaVersion unset and a reference with dashes", func(d *WorkflowDef) {
			d.Version, d.SchemaVersion = 0, 0
			d.Tasks[2].TaskReferenceName = "Store-Ref_2"
		}, defaultOptions()},
		{"a flat HTTP task", add(`{"name": "call", "taskReferenceName": "call_ref", "type": "HTTP", "inputParameters": {"uri": "https://x", "method": "GET"}}`), defaultOptions()},
		{"an HTTP request in the registered inputTemplate", add(`{"name": "http_def", "taskReferenceName": "call_ref", "type": "HTTP"}`), ValidateOptions{
			TaskDef: func(name string) *TaskDef {
				if name == "http_def" {
					return &TaskDef{Name: name, InputTemplate: map[string]any{"http_request": map[string]any{"uri": "https://x"}}}
				}
				return defaultOptions().TaskDef(name)
			},
		}},
		{"a jq query in the inline inputTemplate", add(`{"name": "jq", "taskReferenceName": "jq_ref", "type": "JSON_JQ_TRANSFORM",
			"taskDefinition": {"name": "jq", "inputTemplate": {"queryExpression": "."}}}`), defaultOptions()},
		{"a TERMINATE status from an expression", add(`{"name": "end", "taskReferenceName": "end_ref", "type": "TERMINATE",
			"inputParameters": {"terminationStatus": "${workflow.input.status}"}}`), defaultOptions()},
		{"a dynamic fork by forkTaskName", add(`{"name": "dyn", "taskReferenceName": "dyn_ref", "type": "FORK_JOIN_DYNAMIC",
			"inputParameters": {"forkTaskName": "fetch", "forkTaskInputs": "${workflow.input.list}"}}`, join), defaultOptions()},
		{"a dynamic fork makes run-time references acceptable", add(`{"name": "dyn", "taskReferenceName": "dyn_ref", "type": "FORK_JOIN_DYNAMIC",
			"dynamicForkTasksParam": "tasks", "dynamicForkTasksInputParamName": "inputs",
			"inputParameters": {"tasks": "${workflow.input.tasks}", "inputs": "${workflow.input.inputs}"}}`,
			`{"name": "join", "taskReferenceName": "join_ref", "type": "JOIN", "joinOn": ["forked_1"]}`,
			`{"name": "a", "taskReferenceName": "after_ref", "inputParameters": {"x": "${forked_1.output.x}"}}`), defaultOptions()},
		{"a reference to a loop iteration", add(`{"name": "loop", "taskReferenceName": "loop_ref", "type": "DO_WHILE", "loopCondition": "false",
			"loopOver": [{"name": "a", "taskReferenceName": "body_ref"}]}`,
			`{"name": "b", "taskReferenceName": "after_ref", "inputParameters": {"x": "${body_ref__2.output.x}", "y": "${loop_ref.output.1.body_ref}"}}`), defaultOptions()},
		{"expressions that are not task references", func(d *WorkflowDef) {
			d.Tasks[0].InputParameters = map[string]any{
				"a": "${workflow.input.x}", "b": "${CPEWF_TASK_ID}", "c": "$${not.an.expression}", "d": "${}",
				"e": "${NETFLIX_ENV}", "f": "${workflow.variables.y}", "g": "${fetch_ref.status}", "h": "${workflow.input.${workflow.input.k}}",
			}
		}, defaultOptions()},
		{"an inline sub-workflow", add(`{"name": "sub", "taskReferenceName": "sub_ref", "type": "SUB_WORKFLOW",
			"subWorkflowParam": {"name": "inner", "workflowDefinition": {"name": "inner", "version": 1, "tasks": [{"name": "a", "taskReferenceName": "fetch_ref"}]}}}`), defaultOptions()},
		{"a sub-workflow definition from an expression", add(`{"name": "sub", "taskReferenceName": "sub_ref", "type": "SUB_WORKFLOW",
			"subWorkflowParam": {"name": "inner", "workflowDefinition": "${workflow.input.def}"}}`), defaultOptions()},
		{"an inputExpression", func(d *WorkflowDef) {
			d.Tasks[0].InputParameters = nil
			d.Tasks[0].InputExpression = &InputExpression{Type: "JSON_PATH", Expression: "workflow.input"}
		}, defaultOptions()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := decodeDef(t, baseDef)
			tt.mutate(d)
			diags := ValidateWorkflowDef(d, tt.opts)
			require.Empty(t, diags)
			require.NoError(t, diags.Err())
		})
	}
}

func TestValidateWorkflowDefReportsEverything(t *testing.T) {
	t.Parallel()
	d := decodeDef(t, `{
		"name": "bad name!",
		"version": -1,
		"schemaVersion": 1,
		"timeoutPolicy": "RETRY",
		"tasks": [
			{"name": "fetch", "taskReferenceName": "fetch_ref", "startDelay": -3, "inputParameters": {"url": "${workflow.input.}"}},
			{"name": "process", "taskReferenceName": "fetch_ref", "type": "SIMPLE"},
			{"name": "sw", "taskReferenceName": "sw_ref", "type": "SWITCH", "evaluatorType": "value-param",
				"decisionCases": {"x": [
					{"name": "ghost", "taskReferenceName": "ghost_ref", "inputParameters": {"a": "${nobody.output}"}},
					{"name": "mystery", "taskReferenceName": "m_ref", "type": "MYSTERY"}
				]}},
			{"name": "fork", "taskReferenceName": "fork_ref", "type": "FORK_JOIN", "forkTasks": [[
				{"name": "store", "taskReferenceName": "store_ref", "taskDefinition": {"name": "store", "retryLogic": "RANDOM"}}
			]]}
		],
		"outputParameters": {"r": "${fork_ref.output"}
	}`)
	diags := ValidateWorkflowDef(d, defaultOptions())
	pointers := make([]string, len(diags))
	for i, x := range diags {
		pointers[i] = x.Pointer
	}
	require.Equal(t, []string{
		"/name",
		"/version",
		"/schemaVersion",
		"/timeoutPolicy",
		"/tasks/0/startDelay",
		"/tasks/0/inputParameters/url",
		"/tasks/1/taskReferenceName",
		"/tasks/2/expression",
		"/tasks/2/decisionCases/x/0/name",
		"/tasks/2/decisionCases/x/0/inputParameters/a",
		"/tasks/2/decisionCases/x/1/type",
		"/tasks/3",
		"/tasks/3/forkTasks/0/0/taskDefinition/retryLogic",
		"/outputParameters/r",
	}, pointers, "%v", diags)
	require.Contains(t, diags.Error(), "14 problems:")
	require.Contains(t, diags.Error(), `/tasks/2/decisionCases/x/1/type: unknown task type "MYSTERY"`)
}

func TestValidateWorkflowDefNil(t *testing.T) {
	t.Parallel()
	diags := ValidateWorkflowDef(nil, ValidateOptions{})
	require.Len(t, diags, 1)
	require.Equal(t, "", diags[0].Pointer)
}

func TestKnownTaskTypes(t *testing.T) {
	t.Parallel()
	types := KnownTaskTypes()
	require.Contains(t, types, TypeSimple)
	require.Contains(t, types, TypeFork)
	require.Len(t, types, 22)
	types[0] = "CHANGED"
	require.Equal(t, TypeSimple, KnownTaskTypes()[0], "the list is a copy")
}

// TestValidateRealDefinitions checks that definitions written for Conductor,
// with every default spelled out as Conductor exports them, validate clean.
func TestValidateRealDefinitions(t *testing.T) {
	t.Parallel()
	var defs []*TaskDef
	readJSON(t, "taskdefs.json", &defs)
	registered := map[string]*TaskDef{}
	for _, d := range defs {
		require.Empty(t, ValidateTaskDef(d), d.Name)
		registered[d.Name] = d
	}
	opts := ValidateOptions{TaskDef: func(name string) *TaskDef { return registered[name] }}
	for _, file := range []string{"shipping_chain.json", "order_fulfillment.json"} {
		t.Run(file, func(t *testing.T) {
			t.Parallel()
			var def WorkflowDef
			readJSON(t, file, &def)
			require.Empty(t, ValidateWorkflowDef(&def, opts))
		})
	}
}

// TestShippingChainInputs runs the expressions of the shipping chain against
// an execution, with the quote task's registered inputTemplate.
func TestShippingChainInputs(t *testing.T) {
	t.Parallel()
	var def WorkflowDef
	readJSON(t, "shipping_chain.json", &def)
	var defs []*TaskDef
	readJSON(t, "taskdefs.json", &defs)

	w := &Workflow{
		WorkflowID:    "wf-7",
		CorrelationID: "c-1",
		Input:         WorkflowInput(&def, jsMap(t, `{"customerId": 42, "orderId": "o-9", "parcels": [{"kg": 2.5}]}`)),
		Tasks: []*Task{{
			TaskID: "t1", ReferenceTaskName: "get_customer_ref", Status: TaskCompleted, Seq: 1,
			OutputData: jsMap(t, `{"customer": {"name": "Ada", "email": "ada@example.com", "address": {"city": "Oslo"}}}`),
		}},
	}
	ctx := &Context{Workflow: w, TaskID: "t2"}
	require.Equal(t, "standard", w.Input["priority"])

	in, err := TaskInput(def.Tasks[1], defs[1], ctx)
	require.NoError(t, err)
	require.Equal(t, js(t, `{
		"address": {"city": "Oslo"},
		"parcels": [{"kg": 2.5}],
		"express": "standard",
		"currency": "EUR",
		"carriers": ["dhl", "ups"]
	}`), any(in))

	w.Tasks = append(w.Tasks,
		&Task{TaskID: "t2", ReferenceTaskName: "quote_shipment_ref", Status: TaskCompleted, Seq: 2, OutputData: jsMap(t, `{"quoteId": "q-1", "price": 12.40}`)},
		&Task{TaskID: "t3", ReferenceTaskName: "book_shipment_ref", Status: TaskCompleted, Seq: 3, OutputData: jsMap(t, `{"trackingNumber": "TN-1"}`)})
	in, err = TaskInput(def.Tasks[2], defs[2], &Context{Workflow: w, TaskID: "t3"})
	require.NoError(t, err)
	require.Equal(t, js(t, `{"quoteId": "q-1", "reference": "order-o-9-c-1", "contact": "ada@example.com", "labelFormat": "PDF"}`), any(in))

	out, err := WorkflowOutput(&def, &Context{Workflow: w})
	require.NoError(t, err)
	require.Equal(t, js(t, `{"trackingNumber": "TN-1", "price": 12.40, "customer": "Ada"}`), any(out))
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NoError(t, Decode(data, v), name)
}

func TestValidateTaskDef(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		def      TaskDef
		pointer  string
		mentions []string
	}{
		{"missing name", TaskDef{}, "/name", []string{"no name"}},
		{"negative retryCount", TaskDef{Name: "x", RetryCount: intPtr(-1)}, "/retryCount", []string{"-1"}},
		{"negative timeoutSeconds", TaskDef{Name: "x", TimeoutSeconds: -10}, "/timeoutSeconds", []string{"-10"}},
		{"negative totalTimeoutSeconds", TaskDef{Name: "x", TotalTimeoutSeconds: -7}, "/totalTimeoutSeconds", []string{"-7"}},
		{"zero responseTimeoutSeconds", TaskDef{Name: "x", ResponseTimeoutSeconds: int64Ptr(0)}, "/responseTimeoutSeconds", []string{"responseTimeoutSeconds is 0"}},
		{"responseTimeoutSeconds over timeoutSeconds", TaskDef{Name: "x", TimeoutSeconds: 300, ResponseTimeoutSeconds: int64Ptr(600)},
			"/responseTimeoutSeconds", []string{"responseTimeoutSeconds (600) must not exceed timeoutSeconds (300)"}},
		{"timeoutSeconds over totalTimeoutSeconds", TaskDef{Name: "x", TimeoutSeconds: 600, TotalTimeoutSeconds: 300},
			"/timeoutSeconds", []string{"timeoutSeconds (600) must not exceed totalTimeoutSeconds (300)"}},
		{"bad timeoutPolicy", TaskDef{Name: "x", TimeoutPolicy: "NEVER"}, "/timeoutPolicy", []string{`"NEVER"`, "RETRY, TIME_OUT_WF or ALERT_ONLY"}},
		{"bad retryLogic", TaskDef{Name: "x", RetryLogic: "RANDOM"}, "/retryLogic", []string{`"RANDOM"`, "EXPONENTIAL_BACKOFF"}},
		{"negative retryDelaySeconds", TaskDef{Name: "x", RetryDelaySeconds: int64Ptr(-4)}, "/retryDelaySeconds", []string{"-4"}},
		{"negative maxRetryDelaySeconds", TaskDef{Name: "x", MaxRetryDelaySeconds: -8}, "/maxRetryDelaySeconds", []string{"-8"}},
		{"negative backoffJitterMs", TaskDef{Name: "x", BackoffJitterMs: -9}, "/backoffJitterMs", []string{"-9"}},
		{"backoffScaleFactor 0", TaskDef{Name: "x", BackoffScaleFactor: intPtr(0)}, "/backoffScaleFactor", []string{"backoffScaleFactor is 0"}},
		{"negative rateLimitPerFrequency", TaskDef{Name: "x", RateLimitPerFrequency: intPtr(-1)}, "/rateLimitPerFrequency", []string{"-1"}},
		{"negative rateLimitFrequencyInSeconds", TaskDef{Name: "x", RateLimitFrequencyInSeconds: intPtr(-2)}, "/rateLimitFrequencyInSeconds", []string{"-2"}},
		{"rate limit without a window", TaskDef{Name: "x", RateLimitPerFrequency: intPtr(5)}, "/rateLimitFrequencyInSeconds", []string{"rateLimitPerFrequency is 5"}},
		{"rate limit with a zero window", TaskDef{Name: "x", RateLimitPerFrequency: intPtr(5), RateLimitFrequencyInSeconds: intPtr(0)}, "/rateLimitFrequencyInSeconds", []string{"rateLimitPerFrequency is 5"}},
		{"negative concurrentExecLimit", TaskDef{Name: "x", ConcurrentExecLimit: intPtr(-3)}, "/concurrentExecLimit", []string{"-3"}},
		{"negative pollTimeoutSeconds", TaskDef{Name: "x", PollTimeoutSeconds: int64Ptr(-6)}, "/pollTimeoutSeconds", []string{"-6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			diags := ValidateTaskDef(&tt.def)
			require.Len(t, diags, 1, "%v", diags)
			require.Equal(t, tt.pointer, diags[0].Pointer)
			for _, m := range tt.mentions {
				require.Contains(t, diags[0].Message, m)
			}
		})
	}
}

func TestValidateTaskDefAccepts(t *testing.T) {
	t.Parallel()
	for _, d := range []*TaskDef{
		{Name: "x"},
		{Name: "x", RetryCount: intPtr(0), TimeoutSeconds: 300, ResponseTimeoutSeconds: int64Ptr(300), TotalTimeoutSeconds: 300,
			TimeoutPolicy: TimeoutRetry, RetryLogic: RetryLinear, BackoffScaleFactor: intPtr(1), RateLimitPerFrequency: intPtr(10),
			RateLimitFrequencyInSeconds: intPtr(60), ConcurrentExecLimit: intPtr(0), PollTimeoutSeconds: int64Ptr(0)},
		{Name: "x", TimeoutSeconds: 0, ResponseTimeoutSeconds: int64Ptr(7200)},
		{Name: "x", RateLimitPerFrequency: intPtr(0)},
	} {
		require.Empty(t, ValidateTaskDef(d), "%+v", d)
	}
}

func TestValidateTaskDefReportsEverything(t *testing.T) {
	t.Parallel()
	diags := ValidateTaskDef(&TaskDef{RetryCount: intPtr(-1), TimeoutPolicy: "X", RetryLogic: "Y", ConcurrentExecLimit: intPtr(-1)})
	var pointers []string
	for _, d := range diags {
		pointers = append(pointers, d.Pointer)
	}
	require.Equal(t, []string{"/name", "/retryCount", "/timeoutPolicy", "/retryLogic", "/concurrentExecLimit"}, pointers)

	require.Len(t, ValidateTaskDef(nil), 1)
}

func TestDiagnostics(t *testing.T) {
	t.Parallel()
	var none Diagnostics
	require.NoError(t, none.Err())
	require.Equal(t, "no problems", none.Error())

	one := Diagnostics{{Pointer: "/name", Message: "the workflow name is missing"}}
	require.EqualError(t, one.Err(), "/name: the workflow name is missing")

	two := append(one, Diagnostic{Message: "the workflow definition is missing"})
	require.EqualError(t, two.Err(), "2 problems:\n  /name: the workflow name is missing\n  the workflow definition is missing")
}

func TestWalk(t *testing.T) {
	var def WorkflowDef
	require.NoError(t, json.Unmarshal([]byte(`{"name":"w","tasks":[
		{"name":"a","taskReferenceName":"a","type":"SIMPLE"},
		{"name":"s","taskReferenceName":"s","type":"SWITCH","decisionCases":{"y":[{"name":"c","taskReferenceName":"c","type":"SIMPLE"}],"x":[{"name":"b","taskReferenceName":"b","type":"SIMPLE"}]},
		 "defaultCase":[{"name":"d","taskReferenceName":"d","type":"SIMPLE"}]},
		{"name":"f","taskReferenceName":"f","type":"FORK_JOIN","forkTasks":[[{"name":"l","taskReferenceName":"l","type":"DO_WHILE","loopOver":[{"name":"e","taskReferenceName":"e","type":"SIMPLE"}]}]]},
		null]}`), &def))
	var got []string
	Walk(def.Tasks, "/tasks", func(t *WorkflowTask, ptr string) { got = append(got, t.TaskReferenceName+" "+ptr) })
	require.Equal(t, []string{
		"a /tasks/0", "s /tasks/1",
		"b /tasks/1/decisionCases/x/0", "c /tasks/1/decisionCases/y/0", "d /tasks/1/defaultCase/0",
		"f /tasks/2", "l /tasks/2/forkTasks/0/0", "e /tasks/2/forkTasks/0/0/loopOver/0",
	}, got)
}
