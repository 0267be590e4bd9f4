package ui_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/workflow"
)

// TestQueuesAndOverviewPages: the queues page shows what waits and who
// polls; the overview counts executions by status.
func TestQueuesAndOverviewPages(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	require.NoError(t, c.RegisterTaskDefs(t.Context(), &workflow.TaskDef{Name: "resize"}))
	def := &workflow.WorkflowDef{Name: "queued", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{
		{Name: "resize", TaskReferenceName: "resize", Type: workflow.TypeSimple},
	}}
	for range 3 {
		start(t, c, def, "", nil)
	}
	done := start(t, c, waitDef("ended"), "", nil)
	require.NoError(t, c.TerminateWorkflow(t.Context(), done, "test"))
	tasks, err := c.PollTasks(t.Context(), "resize", "worker-7", "", 1, time.Second)
	require.NoError(t, err)
	require.Len(t, tasks, 1)

	_, body := get(t, srv.URL()+"/queues")
	row := regexp.MustCompile(`(?s)<tr data-queue="resize">.*?</tr>`).FindString(body)
	require.NotEmpty(t, row, body)
	cells := regexp.MustCompile(`<td class="num">([^<]*)</td>`).FindAllStringSubmatch(row, -1)
	require.Equal(t, "2", cells[0][1], "two tasks ready")
	require.Equal(t, "1", cells[2][1], "one in flight")

	_, body = get(t, srv.URL()+"/queues/resize")
	require.Contains(t, body, "worker-7")

	_, body = get(t, srv.URL()+"/")
	count := func(status string) string {
		m := regexp.MustCompile(`data-count="` + status + `"><div class="n">(\d+)</div>`).FindStringSubmatch(body)
		require.NotNil(t, m, status)
		return m[1]
	}
	require.Equal(t, "3", count("RUNNING"))
	require.Equal(t, "1", count("TERMINATED"))
	require.Equal(t, "0", count("COMPLETED"))
	require.Contains(t, body, `data-queue="resize"`, "the busiest queues")
}
