package server_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// TestPluginKill9 kills the server with SIGKILL while a plugin runs a task:
// the acknowledged upload survives, the task the plugin held is handed back
// at the restart instead of waiting for a response timeout, and workflows
// started before the kill complete after it, on the plugin loaded from the
// compilation cache.
func TestPluginKill9(t *testing.T) {
	bin := wasmtest.BuildC(t, []string{"-O1"}, "testdata/hostile/hostile.c")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	srv := &child{t: t, addr: addr, dir: t.TempDir()}
	srv.start()
	defer func() { srv.kill() }()
	ctx := context.Background()
	c := client.New("http://" + addr)

	// Concurrency 1: the runaway holds the only slot, so the workflows
	// started after it wait in the queue when the server dies.
	_, _, err = c.PushPlugin(ctx, bin, []byte(`{"name":"hostile","taskTypes":["HOSTILE"],"limits":{"timeoutMs":3000,"concurrency":1}}`))
	require.NoError(t, err)
	_, err = c.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "hostile", Version: 1, Tasks: []*workflow.WorkflowTask{{
		Name: "h", TaskReferenceName: "h", Type: "HOSTILE",
		// An hour: were the task not handed back, it would wait that long.
		TaskDefinition:  &workflow.TaskDef{Name: "h", RetryCount: new(int), ResponseTimeoutSeconds: ptr(int64(3600))},
		InputParameters: map[string]any{"mode": "${workflow.input.mode}"},
	}}}, true, false)
	require.NoError(t, err)
	runaway, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "hostile", Input: map[string]any{"mode": "loop"}})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		w, err := c.Workflow(ctx, runaway, true)
		require.NoError(t, err)
		return w.Tasks[0].Status == workflow.TaskInProgress
	}, 20*time.Second, time.Millisecond)
	var benign []string
	for range 5 {
		id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: "hostile", Input: map[string]any{"mode": "ok"}})
		require.NoError(t, err)
		benign = append(benign, id)
	}
	srv.kill()

	began := time.Now()
	srv.start()
	list, err := c.Plugins(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1, "the acknowledged upload survived")
	end := func(id string) *workflow.Workflow {
		var w *workflow.Workflow
		require.Eventually(t, func() bool {
			w, err = c.Workflow(ctx, id, true)
			require.NoError(t, err)
			return w.Status.Terminal()
		}, 30*time.Second, 5*time.Millisecond, "workflow %s did not end", id)
		return w
	}
	w := end(runaway)
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Len(t, w.Tasks, 1)
	require.Equal(t, 2, w.Tasks[0].PollCount, "handed back at the restart and run again")
	require.Equal(t, "plugin exceeded its deadline of 3s", w.Tasks[0].ReasonForIncompletion)
	for _, id := range benign {
		require.Equal(t, workflow.StatusCompleted, end(id).Status)
	}
	t.Logf("from the restart to the last workflow's end: %v (the runaway's 3 s deadline included)", time.Since(began))
}
