package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
)

// TestKitchensink runs Conductor's documented kitchensink workflow
// (testdata/kitchensink.json, as Conductor's documentation writes it)
// through the Conductor REST API, answering its tasks as the documentation
// does with curl: EVENT, DYNAMIC, DECISION, FORK_JOIN_DYNAMIC with a
// sub-workflow branch, JOIN, HTTP and a deep-scan JSONPath output.
func TestKitchensink(t *testing.T) {
	t.Parallel()
	// The definition calls Elasticsearch at localhost:9200; a stand-in
	// answers there (on another port, with the URI rewritten, only if 9200
	// is taken on this machine).
	def, err := os.ReadFile("testdata/kitchensink.json")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:9200")
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Logf("port 9200 is taken; the HTTP task calls %s instead", ln.Addr())
		def = bytes.ReplaceAll(def, []byte("localhost:9200"), []byte(ln.Addr().String()))
	}
	es := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"hits":{"total":2,"hits":[{"_source":{"workflowId":"wf-a","status":"COMPLETED"}},{"_source":{"workflowId":"wf-b","status":"FAILED"}}]}}`)
	})}
	go es.Serve(ln)
	t.Cleanup(func() { es.Close() })

	srv, err := server.New(server.Config{
		Addr: "127.0.0.1:0", InMemory: true,
		HTTPAllow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, srv.Start(ctx))
	t.Cleanup(func() { srv.Stop(context.Background()) })
	api := srv.URL() + "/api"

	var taskDefs []map[string]any
	for _, name := range []string{"task_1", "task_4", "task_5", "task_10", "task_11", "task_30"} {
		taskDefs = append(taskDefs, map[string]any{"name": name, "retryCount": 0, "ownerEmail": "example@email.com"})
	}
	call(t, "POST", api+"/metadata/taskdefs", taskDefs, http.StatusOK)
	sub := `{"name": "sub_flow_1", "version": 1, "schemaVersion": 2, "ownerEmail": "example@email.com",
		"tasks": [{"name": "task_5", "taskReferenceName": "task_5", "type": "SIMPLE", "inputParameters": {"mod": "${workflow.input.mod}"}}]}`
	call(t, "POST", api+"/metadata/workflow", json.RawMessage(sub), http.StatusOK)
	call(t, "POST", api+"/metadata/workflow", json.RawMessage(def), http.StatusOK)
	id := string(call(t, "POST", api+"/workflow/kitchensink", map[string]any{"task2Name": "task_5"}, http.StatusOK))

	// The documentation's worker output, for every task.
	output := map[string]any{
		"mod": 5, "taskToExecute": "task_1", "oddEven": 0,
		"dynamicTasks": []any{
			map[string]any{"name": "task_1", "taskReferenceName": "task_1_1", "type": "SIMPLE"},
			map[string]any{"name": "sub_workflow_4", "taskReferenceName": "wf_dyn", "type": "SUB_WORKFLOW", "subWorkflowParam": map[string]any{"name": "sub_flow_1"}},
		},
		"inputs": map[string]any{"task_1_1": map[string]any{}, "wf_dyn": map[string]any{}},
	}
	answered := map[string]int{}
	var w workflow.Workflow
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		require.NoError(t, workflow.Decode(call(t, "GET", api+"/workflow/"+id, nil, http.StatusOK), &w))
		if w.Status.Terminal() {
			break
		}
		for _, typ := range []string{"task_1", "task_4", "task_5", "task_10", "task_11", "task_30"} {
			var tasks []*workflow.Task
			require.NoError(t, workflow.Decode(call(t, "GET", api+"/tasks/poll/batch/"+typ+"?count=5&timeout=10", nil, http.StatusOK), &tasks))
			for _, task := range tasks {
				answered[task.ReferenceTaskName]++
				call(t, "POST", api+"/tasks", map[string]any{
					"taskId": task.TaskID, "workflowInstanceId": task.WorkflowInstanceID, "status": "COMPLETED", "outputData": output,
				}, http.StatusOK)
			}
		}
	}
	require.Equal(t, workflow.StatusCompleted, w.Status, "reason: %s", w.ReasonForIncompletion)
	require.Equal(t, []any{"COMPLETED", "FAILED"}, w.Output["statues"])
	require.Equal(t, []any{"wf-a", "wf-b"}, w.Output["workflowIds"])
	// task_1, task_2 (DYNAMIC: task_5), task_4, the dynamic branch task_1_1,
	// task_5 in the sub-workflow of branch wf_dyn, and task_30.
	require.Equal(t, map[string]int{"task_1": 1, "task_2": 1, "task_4": 1, "task_1_1": 1, "task_5": 1, "task_30": 1}, answered)
	byRef := map[string]*workflow.Task{}
	for _, task := range w.Tasks {
		byRef[task.ReferenceTaskName] = task
		require.Equal(t, workflow.TaskCompleted, task.Status, "task %s", task.ReferenceTaskName)
	}
	require.Equal(t, "conductor:kitchensink:event_0", byRef["event_0"].OutputData["event_produced"])
	require.Equal(t, "task_5", byRef["task_2"].TaskType, "DYNAMIC ran the task its input named")
	require.Equal(t, []any{"0"}, byRef["oddEvenDecision"].OutputData["caseOutput"])
	require.Contains(t, byRef["join1"].OutputData, "task_1_1")
	require.Contains(t, byRef["join1"].OutputData, "wf_dyn")
	require.NotEmpty(t, byRef["wf_dyn"].SubWorkflowID)
	require.EqualValues(t, json.Number("200"), byRef["get_es_1"].OutputData["response"].(map[string]any)["statusCode"])
}

// call makes one REST call and returns the body, requiring the status.
func call(t *testing.T, method, url string, body any, status int) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, status, res.StatusCode, "%s %s: %s", method, url, strings.TrimSpace(string(data)))
	return data
}
