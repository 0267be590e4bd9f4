package api_test

import (
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTUpdateV2 completes every task of a workflow with
// POST /api/tasks/update-v2, each call answering the next task, as
// Conductor's newer SDK workers do.
func TestRESTUpdateV2(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	f := newFixture(t, env.engine)
	var polled []map[string]any
	env.mustREST(t, restCall{method: "GET", path: "/api/tasks/poll/batch/" + taskType + "?count=1&timeout=1000&workerid=host-1"}).json(t, &polled)
	require.Len(t, polled, 1)
	task := polled[0]
	for _, ref := range []string{"c", ""} {
		result := sdkTaskResult{
			WorkflowInstanceId: f.workflowID, TaskId: task["taskId"].(string), WorkerId: "host-1",
			Status: "COMPLETED", OutputDataRaw: double(t, task["inputData"].(map[string]any)),
		}
		r := env.rest(t, restCall{method: "POST", path: "/api/tasks/update-v2", body: jsonText(t, result)})
		if ref == "" {
			require.Equal(t, http.StatusNoContent, r.status, "nothing is left")
			break
		}
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		task = nil
		r.json(t, &task)
		require.Equal(t, ref, task["referenceTaskName"])
		require.Equal(t, "IN_PROGRESS", task["status"])
		require.Equal(t, "host-1", task["workerId"])
	}
	w, err := env.engine.Workflow(t.Context(), f.workflowID, false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, w.Status)
}

// TestConnectUpdateWithNext asks for the next task in the update call, and
// checks the refusals of bad next_* fields change nothing.
func TestConnectUpdateWithNext(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	f := newFixture(t, env.engine)
	c := newClients(env.h1, env.url)
	polled, err := c.tasks.PollTasks(testContext(t), connect.NewRequest(&batonv1.PollTasksRequest{TaskType: taskType, WorkerId: "w"}))
	require.NoError(t, err)
	require.Len(t, polled.Msg.GetTasks(), 1)
	b := polled.Msg.GetTasks()[0]

	for _, bad := range []*batonv1.UpdateTaskRequest{
		{NextCount: 1},
		{NextCount: 1001, NextTaskType: taskType},
		{NextCount: -1, NextTaskType: taskType},
	} {
		bad.Result = &batonv1.TaskResult{TaskId: b.GetTaskId(), Status: batonv1.TaskStatus_TASK_STATUS_COMPLETED, PollCount: b.GetPollCount()}
		_, err := c.tasks.UpdateTask(testContext(t), connect.NewRequest(bad))
		require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", bad)
	}
	task, err := env.engine.Task(t.Context(), b.GetTaskId())
	require.NoError(t, err)
	require.Equal(t, workflow.TaskInProgress, task.Status, "a refused update changes nothing")

	res, err := c.tasks.UpdateTask(testContext(t), connect.NewRequest(&batonv1.UpdateTaskRequest{
		Result: &batonv1.TaskResult{
			TaskId: b.GetTaskId(), WorkflowInstanceId: f.workflowID, WorkerId: "w", PollCount: b.GetPollCount(),
			Status: batonv1.TaskStatus_TASK_STATUS_COMPLETED, OutputJson: jsonText(t, double(t, decodeNumbers(t, b.GetInputJson()))),
		},
		NextCount: 5, NextTaskType: taskType,
	}))
	require.NoError(t, err)
	next := res.Msg.GetNextTasks()
	require.Len(t, next, 1, "the one task the update scheduled")
	require.Equal(t, "c", next[0].GetReferenceTaskName())
	require.Equal(t, batonv1.TaskStatus_TASK_STATUS_IN_PROGRESS, next[0].GetStatus())
	require.Equal(t, "w", next[0].GetWorkerId())
}
