package workflow

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// js decodes JSON the way Baton does (numbers as json.Number).
func js(t testing.TB, s string) any {
	t.Helper()
	var v any
	require.NoError(t, Decode([]byte(s), &v), s)
	return v
}

func jsMap(t testing.TB, s string) map[string]any {
	t.Helper()
	m, ok := js(t, s).(map[string]any)
	require.True(t, ok, s)
	return m
}

// setup returns the execution the expression tests read: a workflow whose
// fetch task failed once and was retried, and a DO_WHILE body that ran twice.
func setup(t testing.TB) *Context {
	t.Helper()
	w := &Workflow{
		WorkflowID:           "wf-1",
		WorkflowName:         "order_fulfillment",
		WorkflowVersion:      3,
		Status:               StatusRunning,
		CorrelationID:        "corr-9",
		ParentWorkflowID:     "parent-1",
		ParentWorkflowTaskID: "parent-task-1",
		SchemaVersion:        2,
		CreateTime:           1700000000000,
		IdempotencyKey:       "idem-1",
		TaskToDomain:         map[string]string{"fetch": "blue"},
		Input: jsMap(t, `{
			"orderId": "o-42",
			"count": 3,
			"big": 9007199254740993,
			"price": 12.50,
			"flag": true,
			"nothing": null,
			"key": "orderId",
			"keyOfKey": "key",
			"nested": {"a": {"b": "deep"}},
			"items": [
				{"sku": "a", "price": 5, "qty": 1, "tags": ["x"]},
				{"sku": "b", "price": 15, "qty": 2, "tags": []},
				{"sku": "c", "price": 9007199254740993, "qty": 3}
			],
			"names": ["ann", "bob"],
			"weird key": "spaced",
			"grid": [[[[[1]]]]]
		}`),
		Output:    jsMap(t, `{"done": false}`),
		Variables: jsMap(t, `{"attempts": 2, "region": "eu"}`),
		Tasks: []*Task{
			{
				TaskID: "t-fetch-1", TaskType: "SIMPLE", TaskDefName: "fetch", ReferenceTaskName: "fetch",
				Status: TaskFailed, ReasonForIncompletion: "boom", Seq: 1, WorkflowInstanceID: "wf-1",
				InputData: jsMap(t, `{"url": "http://a/1"}`), OutputData: jsMap(t, `{"error": "boom"}`),
			},
			{
				TaskID: "t-fetch-2", TaskType: "SIMPLE", TaskDefName: "fetch", ReferenceTaskName: "fetch",
				Status: TaskCompleted, Seq: 2, RetryCount: 1, PollCount: 4, WorkerID: "worker-7",
				CorrelationID: "corr-9", WorkflowInstanceID: "wf-1", ScheduledTime: 1700000001000,
				StartTime: 1700000002000, EndTime: 1700000003000, CallbackAfterSeconds: 30,
				InputData:  jsMap(t, `{"url": "http://a/1"}`),
				OutputData: jsMap(t, `{"body": {"id": 7, "items": [1, 2]}, "status": 200}`),
			},
			{
				TaskID: "t-body-1", TaskType: "SIMPLE", TaskDefName: "body", ReferenceTaskName: "body__1",
				Status: TaskCompleted, Seq: 3, Iteration: 1, OutputData: jsMap(t, `{"n": 1}`),
			},
			{
				TaskID: "t-body-2", TaskType: "SIMPLE", TaskDefName: "body", ReferenceTaskName: "body__2",
				Status: TaskCompleted, Seq: 4, Iteration: 2, OutputData: jsMap(t, `{"n": 2}`),
			},
		},
	}
	return &Context{Workflow: w, TaskID: "t-current"}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		template string
		want     string // JSON
	}{
		// Type preservation: a string that is exactly one expression.
		{"object keeps its type", "${workflow.input.nested}", `{"a": {"b": "deep"}}`},
		{"array keeps its type", "${workflow.input.names}", `["ann", "bob"]`},
		{"number keeps its type", "${workflow.input.count}", `3`},
		{"large integer is exact", "${workflow.input.big}", `9007199254740993`},
		{"decimal is as written", "${workflow.input.price}", `12.50`},
		{"bool keeps its type", "${workflow.input.flag}", `true`},
		{"null value", "${workflow.input.nothing}", `null`},
		{"missing key is null", "${workflow.input.missing}", `null`},
		{"missing parent is null", "${workflow.input.missing.deeper}", `null`},
		{"whole input", "${workflow.input.nested.a}", `{"b": "deep"}`},

		// Interpolation.
		{"interpolated string", "order ${workflow.input.orderId}!", `"order o-42!"`},
		{"interpolated number", "n=${workflow.input.count}", `"n=3"`},
		{"interpolated large integer", "id-${workflow.input.big}", `"id-9007199254740993"`},
		{"interpolated null", "a-${workflow.input.missing}-b", `"a-null-b"`},
		{"interpolated object is JSON", "n=${workflow.input.nested}", `"n={\"a\":{\"b\":\"deep\"}}"`},
		{"interpolated array is JSON", "${workflow.input.names} ", `"[\"ann\",\"bob\"] "`},
		{"two expressions are interpolated", "${workflow.input.orderId}${workflow.input.count}", `"o-423"`},
		{"url path", "http://x/${fetch.output.body.id}/y?n=${workflow.input.count}", `"http://x/7/y?n=3"`},

		// Empty expressions, escapes, unclosed braces.
		{"empty expression", "${}", `""`},
		{"blank expression", "${   }", `""`},
		{"empty expression in text", "x${}y", `"xy"`},
		{"escape", "$${workflow.input.orderId}", `"${workflow.input.orderId}"`},
		{"escape next to an expression", "$${a} and ${workflow.input.count}", `"${a} and 3"`},
		{"escape inside an expression", "${workflow.input.count} $${x} $$${y}", `"3 ${x} $${y}"`},
		{"unclosed brace is text", "${workflow.input.orderId", `"${workflow.input.orderId"`},
		{"no expression", "plain $ text {x}", `"plain $ text {x}"`},

		// Nesting, resolved inside out.
		{"nested expression", "${workflow.input.${workflow.input.key}}", `"o-42"`},
		{"nested twice", "${workflow.input.${workflow.input.${workflow.input.keyOfKey}}}", `"o-42"`},
		{"nested expression in text", "id=${workflow.input.${workflow.input.key}}", `"id=o-42"`},
		{"nested expression resolving to null", "${workflow.input.${workflow.input.missing}}", `null`},

		// Workflow context.
		{"workflowId", "${workflow.workflowId}", `"wf-1"`},
		{"status", "${workflow.status}", `"RUNNING"`},
		{"correlationId", "${workflow.correlationId}", `"corr-9"`},
		{"parentWorkflowId", "${workflow.parentWorkflowId}", `"parent-1"`},
		{"parentWorkflowTaskId", "${workflow.parentWorkflowTaskId}", `"parent-task-1"`},
		{"workflowType is the name", "${workflow.workflowType}", `"order_fulfillment"`},
		{"version", "${workflow.version}", `3`},
		{"schemaVersion", "${workflow.schemaVersion}", `2`},
		{"createTime", "${workflow.createTime}", `1700000000000`},
		{"idempotencyKey", "${workflow.idempotencyKey}", `"idem-1"`},
		{"taskToDomain", "${workflow.taskToDomain.fetch}", `"blue"`},
		{"unset reasonForIncompletion is null", "${workflow.reasonForIncompletion}", `null`},
		{"output", "${workflow.output.done}", `false`},
		{"variables", "${workflow.variables.region}", `"eu"`},
		{"all variables", "${workflow.variables}", `{"attempts": 2, "region": "eu"}`},

		// Tasks resolve to their latest attempt.
		{"task output", "${fetch.output.body.id}", `7`},
		{"task input", "${fetch.input.url}", `"http://a/1"`},
		{"task status is the latest attempt's", "${fetch.status}", `"COMPLETED"`},
		{"taskId", "${fetch.taskId}", `"t-fetch-2"`},
		{"retryCount", "${fetch.retryCount}", `1`},
		{"referenceTaskName", "${fetch.referenceTaskName}", `"fetch"`},
		{"taskType", "${fetch.taskType}", `"SIMPLE"`},
		{"scheduledTime", "${fetch.scheduledTime}", `1700000001000`},
		{"startTime", "${fetch.startTime}", `1700000002000`},
		{"endTime", "${fetch.endTime}", `1700000003000`},
		{"workerId", "${fetch.workerId}", `"worker-7"`},
		{"reasonForIncompletion of the latest attempt", "${fetch.reasonForIncompletion}", `null`},
		{"callbackAfterSeconds", "${fetch.callbackAfterSeconds}", `30`},
		{"pollCount", "${fetch.pollCount}", `4`},
		{"taskDefName", "${fetch.taskDefName}", `"fetch"`},
		{"iteration", "${fetch.iteration}", `0`},
		{"task correlationId", "${fetch.correlationId}", `"corr-9"`},
		{"workflowInstanceId", "${fetch.workflowInstanceId}", `"wf-1"`},
		{"loop task without suffix is the latest iteration", "${body.output.n}", `2`},
		{"loop task iteration", "${body.iteration}", `2`},
		{"loop task with its suffix", "${body__1.output.n}", `1`},

		// System parameters, unknown sources, no environment.
		{"CPEWF_TASK_ID", "${CPEWF_TASK_ID}", `"t-current"`},
		{"CPEWF_TASK_ID in text", "id:${CPEWF_TASK_ID}", `"id:t-current"`},
		{"unknown task", "${nosuch.output.x}", `null`},
		{"unknown source", "${nosuch}", `null`},
		{"workflow.env is not read", "${workflow.env.HOME}", `null`},
		{"workflow.secrets are not read", "${workflow.secrets.token}", `null`},
		{"NETFLIX_ENV is not read", "${NETFLIX_ENV}", `null`},
		{"HOME is not read", "${HOME}", `null`},
		{"PATH is not read in text", "p=${PATH}", `"p=null"`},

		// JSONPath.
		{"explicit root", "${$.workflow.input.orderId}", `"o-42"`},
		{"bracket root", "${$['workflow']['input']['orderId']}", `"o-42"`},
		{"index", "${workflow.input.items[0].sku}", `"a"`},
		{"negative index", "${workflow.input.items[-1].sku}", `"c"`},
		{"index out of range", "${workflow.input.items[9].sku}", `null`},
		{"index on an object", "${workflow.input.nested[0]}", `null`},
		{"property of an array", "${workflow.input.items.sku}", `null`},
		{"union of indexes", "${workflow.input.items[0,2].sku}", `["a", "c"]`},
		{"slice", "${workflow.input.items[1:].sku}", `["b", "c"]`},
		{"slice with end", "${workflow.input.items[:2].sku}", `["a", "b"]`},
		{"negative slice", "${workflow.input.items[-2:].sku}", `["b", "c"]`},
		{"wildcard", "${workflow.input.items[*].sku}", `["a", "b", "c"]`},
		{"wildcard on an object, in key order", "${workflow.variables.*}", `[2, "eu"]`},
		{"quoted key", "${workflow.input['weird key']}", `"spaced"`},
		{"double-quoted key", `${workflow.input["weird key"]}`, `"spaced"`},
		{"several keys", "${workflow.input['orderId','count','missing']}", `{"orderId": "o-42", "count": 3}`},
		{"deep scan", "${workflow.input..sku}", `["a", "b", "c"]`},
		{"deep scan finds nothing", "${workflow.input..nope}", `[]`},
		{"wildcard finds nothing", "${workflow.input.missing[*]}", `[]`},
		{"filter greater than", "${workflow.input.items[?(@.price > 10)].sku}", `["b", "c"]`},
		{"filter on a large integer", "${workflow.input.items[?(@.price == 9007199254740993)].sku}", `["c"]`},
		{"filter on a large integer is exact", "${workflow.input.items[?(@.price == 9007199254740992)].sku}", `[]`},
		{"filter keeps numbers unchanged", "${workflow.input.items[?(@.sku == 'c')].price}", `[9007199254740993]`},
		{"filter equals string", "${workflow.input.items[?(@.sku == 'b')].qty}", `[2]`},
		{"filter with double quotes", `${workflow.input.items[?(@.sku == "b")].qty}`, `[2]`},
		{"filter not equals", "${workflow.input.items[?(@.sku != 'b')].sku}", `["a", "c"]`},
		{"filter and", "${workflow.input.items[?(@.price > 1 && @.qty < 3)].sku}", `["a", "b"]`},
		{"filter or", "${workflow.input.items[?(@.qty == 1 || @.qty == 3)].sku}", `["a", "c"]`},
		{"filter with parentheses", "${workflow.input.items[?((@.qty == 1 || @.qty == 3) && @.sku != 'a')].sku}", `["c"]`},
		{"filter in", "${workflow.input.items[?(@.sku in ['a', 'c'])].sku}", `["a", "c"]`},
		{"filter nin", "${workflow.input.items[?(@.sku nin ['a', 'c'])].sku}", `["b"]`},
		{"filter exists", "${workflow.input.items[?(@.tags)].sku}", `["a", "b"]`},
		{"filter does not exist", "${workflow.input.items[?(!@.tags)].sku}", `["c"]`},
		{"filter empty", "${workflow.input.items[?(@.tags empty true)].sku}", `["b"]`},
		{"filter size", "${workflow.input.items[?(@.tags size 1)].sku}", `["a"]`},
		{"filter contains", "${workflow.input.items[?(@.tags contains 'x')].sku}", `["a"]`},
		{"filter regex", "${workflow.input.items[?(@.sku =~ /[AB]/i)].sku}", `["a", "b"]`},
		{"filter regex matches the whole string", "${workflow.input.items[?(@.sku =~ /x?/)].sku}", `[]`},
		{"filter against the root", "${workflow.input.items[?(@.qty >= $.workflow.input.count)].sku}", `["c"]`},
		{"filter against a task", "${workflow.input.items[?(@.qty == $.fetch.output.body.items[1])].sku}", `["b"]`},
		{"filter number against numeric string", "${workflow.input.items[?(@.qty == '2')].sku}", `["b"]`},
		{"filter strict equality", "${workflow.input.items[?(@.qty === '2')].sku}", `[]`},
		{"filter on strings orders them", "${workflow.input.items[?(@.sku < 'b')].sku}", `["a"]`},
		{"filter on an object tests the object", "${workflow.input.nested[?(@.a.b == 'deep')]}", `[{"a": {"b": "deep"}}]`},
		{"deep scan with a filter", "${workflow.input..[?(@.qty > 2)].sku}", `["c"]`},
		{"length of an array", "${workflow.input.items.length()}", `3`},
		{"length of a match list", "${workflow.input.items[?(@.price > 10)].length()}", `2`},
		{"keys", "${workflow.input.nested.a.keys()}", `["b"]`},
		{"first", "${workflow.input.names.first()}", `"ann"`},
		{"last", "${workflow.input.items[*].sku.last()}", `"c"`},
		{"sum is a Java double", "${workflow.input.items[*].qty.sum()}", `6.0`},
		{"min", "${workflow.input.items[*].qty.min()}", `1.0`},
		{"max", "${workflow.input.items[*].qty.max()}", `3.0`},
		{"avg", "${workflow.input.names.avg()}", `null`},
		{"whitespace around the path", "${ workflow.input.orderId }", `"o-42"`},

		// Malformed paths resolve to null, as in Conductor.
		{"path ending with a dot", "${workflow.input.}", `null`},
		{"unclosed bracket", "${workflow.input.items[0}", `null`},
		{"space in a name", "a${workflow.input.weird key}b", `"anullb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Evaluate(tt.template, setup(t))
			require.NoError(t, err)
			require.Equal(t, js(t, tt.want), got)
		})
	}
}

func TestEvaluateNumbersStayJSONNumbers(t *testing.T) {
	t.Parallel()
	ctx := setup(t)
	for _, tmpl := range []string{"${workflow.input.big}", "${workflow.version}", "${fetch.retryCount}"} {
		got, err := Evaluate(tmpl, ctx)
		require.NoError(t, err)
		require.IsType(t, json.Number(""), got, tmpl)
	}
	got, err := Evaluate("${workflow.input.items[?(@.price > 10)].price}", ctx)
	require.NoError(t, err)
	require.Equal(t, []any{json.Number("15"), json.Number("9007199254740993")}, got)
}

func TestEvaluateWalksTemplates(t *testing.T) {
	t.Parallel()
	template := jsMap(t, `{
		"id": "${workflow.input.orderId}",
		"n": 5,
		"big": 9007199254740993,
		"ok": true,
		"none": null,
		"list": ["${workflow.input.count}", "x-${workflow.input.count}", 1.5, ["${workflow.variables.region}"]],
		"obj": {"deep": {"v": "${fetch.output.body}"}}
	}`)
	got, err := Evaluate(template, setup(t))
	require.NoError(t, err)
	require.Equal(t, js(t, `{
		"id": "o-42",
		"n": 5,
		"big": 9007199254740993,
		"ok": true,
		"none": null,
		"list": [3, "x-3", 1.5, ["eu"]],
		"obj": {"deep": {"v": {"id": 7, "items": [1, 2]}}}
	}`), got)
	require.Equal(t, "${workflow.input.orderId}", template["id"], "the template is not changed")
}

func TestEvaluateDoesNotAlias(t *testing.T) {
	t.Parallel()
	ctx := setup(t)
	got, err := Evaluate(map[string]any{"in": "${workflow.input.nested}", "list": "${workflow.input.items[*]}"}, ctx)
	require.NoError(t, err)
	m := got.(map[string]any)
	m["in"].(map[string]any)["a"] = "changed"
	m["list"].([]any)[0].(map[string]any)["sku"] = "changed"
	require.Equal(t, js(t, `{"a": {"b": "deep"}}`), ctx.Workflow.Input["nested"])
	require.Equal(t, "a", ctx.Workflow.Input["items"].([]any)[0].(map[string]any)["sku"])
}

func TestEvaluateEmptyContext(t *testing.T) {
	t.Parallel()
	for _, ctx := range []*Context{nil, {}} {
		got, err := Evaluate(map[string]any{
			"x":     "${workflow.input.x}",
			"in":    "${workflow.input}",
			"id":    "${CPEWF_TASK_ID}",
			"task":  "${t.output}",
			"wf":    "${workflow.workflowId}",
			"text":  "v=${workflow.input.x}",
			"whole": "${$.*}",
		}, ctx)
		require.NoError(t, err)
		require.Equal(t, map[string]any{
			"x": nil, "in": map[string]any{}, "id": nil, "task": nil, "wf": nil, "text": "v=null",
			"whole": []any{map[string]any{
				"input": map[string]any{}, "output": map[string]any{}, "variables": map[string]any{},
				"status": nil, "workflowId": nil, "parentWorkflowId": nil, "parentWorkflowTaskId": nil,
				"workflowType": nil, "version": json.Number("0"), "correlationId": nil,
				"reasonForIncompletion": nil, "schemaVersion": json.Number("0"), "createTime": json.Number("0"),
				"idempotencyKey": nil, "taskToDomain": map[string]any{},
			}},
		}, got)
	}
}

func TestEvaluateCPEWFTaskIDUnset(t *testing.T) {
	t.Parallel()
	ctx := setup(t)
	ctx.TaskID = ""
	got, err := Evaluate("${CPEWF_TASK_ID}", ctx)
	require.NoError(t, err)
	require.Nil(t, got)
}

func TestEvaluateLimits(t *testing.T) {
	t.Parallel()
	ctx := setup(t)
	ctx.Workflow.Input["text"] = strings.Repeat("x", 1<<20)

	nest := func(n int) string {
		return strings.Repeat("${workflow.input.", n) + "key" + strings.Repeat("}", n)
	}
	union := "[" + strings.TrimSuffix(strings.Repeat("0,", 100), ",") + "]"
	tests := []struct {
		name     string
		template string
		ok       bool
	}{
		{"nesting at the limit", nest(MaxExpressionDepth), true},
		{"nesting over the limit", nest(MaxExpressionDepth + 1), false},
		{"expression at the length limit", "${workflow.input['" + strings.Repeat("k", MaxExpressionLen-22) + "']}", true},
		{"expression over the length limit", "${workflow.input['" + strings.Repeat("k", MaxExpressionLen) + "']}", false},
		{"too much work", "${workflow.input.grid" + strings.Repeat(union, 4) + "}", false},
		{"interpolation too long", strings.Repeat("${workflow.input.text}", 5), false},
		{"interpolation under the limit", strings.Repeat("${workflow.input.text}", 3), true},
		{"filters nested too deeply resolve to null", "${workflow.input" + strings.Repeat("[?(@", 40) + strings.Repeat(")]", 40) + "}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Evaluate(tt.template, ctx)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrExpressionLimit)
		})
	}
}

func TestEvaluateErrorNamesThePlace(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("${", MaxExpressionDepth+1) + strings.Repeat("}", MaxExpressionDepth+1)
	_, err := Evaluate(map[string]any{"a/b": []any{"ok", deep}}, setup(t))
	require.ErrorIs(t, err, ErrExpressionLimit)
	require.ErrorContains(t, err, "/a~1b/1: ")
}

func TestExpressions(t *testing.T) {
	t.Parallel()
	got, err := Expressions(jsMap(t, `{
		"b": ["${fetch.output.x}", {"c": "a ${workflow.input.y} b ${workflow.variables.z}"}],
		"a": "${workflow.input.${workflow.input.key}}",
		"n": 1,
		"e": "$${not.an.expression} ${} ${CPEWF_TASK_ID}"
	}`))
	require.NoError(t, err)
	require.Equal(t, []string{
		"workflow.input.${workflow.input.key}", "workflow.input.key",
		"fetch.output.x",
		"workflow.input.y", "workflow.variables.z",
		"", "CPEWF_TASK_ID",
	}, got)

	none, err := Expressions("plain text")
	require.NoError(t, err)
	require.Empty(t, none)
}

func TestExpressionsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		template any
		mentions []string
		limit    bool
	}{
		{"unclosed", "x ${workflow.input.a", []string{"${workflow.input.a", "closing"}, false},
		{"unclosed nested", "${workflow.input.${workflow.input.a}", []string{"closing"}, false},
		{"empty source", "${.input.x}", []string{"no source"}, false},
		{"path ending with a dot", "${workflow.input.}", []string{"${workflow.input.}", "ends with '.'"}, false},
		{"unclosed bracket", "${workflow.input.items[0}", []string{"${workflow.input.items[0}", "not closed"}, false},
		{"space in a name", "${workflow.input.a b}", []string{"${workflow.input.a b}", "['a b']"}, false},
		{"unknown function", "${workflow.input.x.foo()}", []string{"foo()"}, false},
		{"function not last", "${workflow.input.x.length().y}", []string{"length()"}, false},
		{"bad filter", "${workflow.input.items[?(@.price >)]}", []string{"${workflow.input.items[?(@.price >)]}"}, false},
		{"filter without ?(", "${workflow.input.items[?@.x]}", []string{"[?(...)]"}, false},
		{"bad regex", "${workflow.input.items[?(@.sku =~ /(/)]}", []string{"regular expression"}, false},
		{"@ outside a filter", "${@.x}", []string{"@"}, false},
		{"unclosed string", "${workflow.input['a}", []string{"not closed"}, false},
		{"bad nested path", "${workflow.input.${workflow.input.}}", []string{"${workflow.input.}"}, false},
		{"error names the place", map[string]any{"a": []any{"ok", "${x.}"}}, []string{"/a/1: ", "${x.}"}, false},
		{"too long", "${workflow.input." + strings.Repeat("k", MaxExpressionLen) + "}", []string{"bytes long"}, true},
		{"too deep", strings.Repeat("${", MaxExpressionDepth+1) + "x" + strings.Repeat("}", MaxExpressionDepth+1), []string{"nest deeper"}, true},
		{"filters too deep", "${workflow.input" + strings.Repeat("[?(@", 40) + strings.Repeat(")]", 40) + "}", []string{"nest deeper"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Expressions(tt.template)
			require.Error(t, err)
			for _, m := range tt.mentions {
				require.ErrorContains(t, err, m)
			}
			if tt.limit {
				require.ErrorIs(t, err, ErrExpressionLimit)
			}
		})
	}
}

func TestWorkflowInput(t *testing.T) {
	t.Parallel()
	def := &WorkflowDef{InputTemplate: jsMap(t, `{"region": "eu", "retries": 3, "given": "template", "nulled": "template", "obj": {"a": 1}}`)}
	input := jsMap(t, `{"given": "input", "nulled": null, "extra": 9007199254740993}`)

	got := WorkflowInput(def, input)
	require.Equal(t, js(t, `{
		"region": "eu", "retries": 3, "given": "input", "nulled": "template",
		"obj": {"a": 1}, "extra": 9007199254740993
	}`), got)
	require.Equal(t, js(t, `{"given": "input", "nulled": null, "extra": 9007199254740993}`), any(input), "the input is not changed")

	got["obj"].(map[string]any)["a"] = "changed"
	require.Equal(t, json.Number("1"), def.InputTemplate["obj"].(map[string]any)["a"], "the template is not aliased")

	require.Equal(t, map[string]any{}, WorkflowInput(nil, nil))
	require.Equal(t, map[string]any{"a": "b"}, WorkflowInput(&WorkflowDef{}, map[string]any{"a": "b"}))
	require.Equal(t, map[string]any{"region": "eu"}, WorkflowInput(&WorkflowDef{InputTemplate: map[string]any{"region": "eu"}}, nil))
}

func TestTaskInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params string // JSON of inputParameters
		expr   *InputExpression
		tmpl   string // JSON of the TaskDef's inputTemplate; "" for no TaskDef
		want   string
	}{
		{
			name:   "parameters are evaluated",
			params: `{"id": "${workflow.input.orderId}", "body": "${fetch.output.body}", "n": 2, "url": "http://x/${fetch.output.body.id}"}`,
			want:   `{"id": "o-42", "body": {"id": 7, "items": [1, 2]}, "n": 2, "url": "http://x/7"}`,
		},
		{
			name:   "template fills absent keys and is evaluated",
			params: `{"id": "${workflow.input.orderId}"}`,
			tmpl:   `{"region": "${workflow.variables.region}", "timeout": 30, "id": "template"}`,
			want:   `{"id": "o-42", "region": "eu", "timeout": 30}`,
		},
		{
			name:   "template fills keys given as null",
			params: `{"timeout": null}`,
			tmpl:   `{"timeout": 30}`,
			want:   `{"timeout": 30}`,
		},
		{
			name:   "keys resolving to null are refilled from the template, unevaluated",
			params: `{"mode": "${workflow.input.missing}", "other": "${workflow.input.missing}"}`,
			tmpl:   `{"mode": "${workflow.input.missing}"}`,
			want:   `{"mode": "${workflow.input.missing}", "other": null}`,
		},
		{
			name:   "keys resolving to null are refilled with the template value",
			params: `{"mode": "${workflow.input.nothing}"}`,
			tmpl:   `{"mode": "fast"}`,
			want:   `{"mode": "fast"}`,
		},
		{
			name:   "CPEWF_TASK_ID",
			params: `{"me": "${CPEWF_TASK_ID}"}`,
			want:   `{"me": "t-current"}`,
		},
		{
			name: "no parameters and no definition",
			want: `{}`,
		},
		{
			name: "inputExpression passes a whole object",
			expr: &InputExpression{Type: "JSON_PATH", Expression: "workflow.input.nested"},
			want: `{"a": {"b": "deep"}}`,
		},
		{
			name: "inputExpression with a root",
			expr: &InputExpression{Type: "JSON_PATH", Expression: "$.fetch.output.body"},
			tmpl: `{"extra": "${workflow.input.count}", "id": 0}`,
			want: `{"id": 7, "items": [1, 2], "extra": 3}`,
		},
		{
			name: "inputExpression written as an expression",
			expr: &InputExpression{Type: "JSON_PATH", Expression: "${workflow.variables}"},
			want: `{"attempts": 2, "region": "eu"}`,
		},
		{
			name: "inputExpression that selects nothing",
			expr: &InputExpression{Type: "JSON_PATH", Expression: "workflow.input.missing"},
			want: `{}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wt := &WorkflowTask{Name: "x", TaskReferenceName: "x", InputExpression: tt.expr}
			if tt.params != "" {
				wt.InputParameters = jsMap(t, tt.params)
			}
			var def *TaskDef
			if tt.tmpl != "" {
				def = &TaskDef{Name: "x", InputTemplate: jsMap(t, tt.tmpl)}
			}
			got, err := TaskInput(wt, def, setup(t))
			require.NoError(t, err)
			require.Equal(t, js(t, tt.want), any(got))
			if tt.params != "" {
				require.Equal(t, js(t, tt.params), any(wt.InputParameters), "inputParameters are not changed")
			}
			if tt.tmpl != "" {
				require.Equal(t, js(t, tt.tmpl), any(def.InputTemplate), "the inputTemplate is not changed")
			}
		})
	}
}

func TestTaskInputErrors(t *testing.T) {
	t.Parallel()
	ctx := setup(t)
	_, err := TaskInput(&WorkflowTask{InputExpression: &InputExpression{Type: "JSON_PATH", Expression: "workflow.input.count"}}, nil, ctx)
	require.ErrorContains(t, err, "selects a number, not an object")

	_, err = TaskInput(&WorkflowTask{InputExpression: &InputExpression{Type: "JQ", Expression: "."}}, nil, ctx)
	require.ErrorContains(t, err, `"JQ" is not supported`)

	deep := strings.Repeat("${", MaxExpressionDepth+1) + strings.Repeat("}", MaxExpressionDepth+1)
	_, err = TaskInput(&WorkflowTask{InputParameters: map[string]any{"x": deep}}, nil, ctx)
	require.ErrorIs(t, err, ErrExpressionLimit)
	require.ErrorContains(t, err, "/x: ")
}

func TestWorkflowOutput(t *testing.T) {
	t.Parallel()
	ctx := setup(t)

	got, err := WorkflowOutput(&WorkflowDef{OutputParameters: jsMap(t, `{"id": "${fetch.output.body.id}", "order": "${workflow.input.orderId}"}`)}, ctx)
	require.NoError(t, err)
	require.Equal(t, js(t, `{"id": 7, "order": "o-42"}`), any(got))

	// Without outputParameters: the output of the terminal task with the
	// highest seq; the running task after it does not count.
	ctx.Workflow.Tasks = append(ctx.Workflow.Tasks,
		&Task{TaskID: "t-late", ReferenceTaskName: "late", Status: TaskInProgress, Seq: 9, OutputData: map[string]any{"no": true}})
	ctx.Workflow.Tasks[0], ctx.Workflow.Tasks[3] = ctx.Workflow.Tasks[3], ctx.Workflow.Tasks[0]
	got, err = WorkflowOutput(&WorkflowDef{}, ctx)
	require.NoError(t, err)
	require.Equal(t, js(t, `{"n": 2}`), any(got))
	got["n"] = "changed"
	require.Equal(t, json.Number("2"), ctx.Workflow.TaskByRef("body__2").OutputData["n"], "the task output is not aliased")

	got, err = WorkflowOutput(nil, &Context{Workflow: &Workflow{Tasks: []*Task{{Status: TaskScheduled, Seq: 1}}}})
	require.NoError(t, err)
	require.Nil(t, got)

	got, err = WorkflowOutput(&WorkflowDef{}, nil)
	require.NoError(t, err)
	require.Nil(t, got)
}
