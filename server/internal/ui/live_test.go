package ui_test

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// stepsDef is a workflow of three SIMPLE "step" tasks in a row.
func stepsDef(t *testing.T, c *client.Client, name string, retries int) *workflow.WorkflowDef {
	t.Helper()
	require.NoError(t, c.RegisterTaskDefs(t.Context(), &workflow.TaskDef{Name: "step", RetryCount: &retries}))
	def := &workflow.WorkflowDef{Name: name, Version: 1, SchemaVersion: 2}
	for _, ref := range []string{"one", "two", "three"} {
		def.Tasks = append(def.Tasks, &workflow.WorkflowTask{Name: "step", TaskReferenceName: ref, Type: workflow.TypeSimple})
	}
	return def
}

// work polls one "step" task and reports it with status.
func work(t *testing.T, c *client.Client, status workflow.TaskStatus) *workflow.Task {
	t.Helper()
	tasks, err := c.PollTasks(t.Context(), "step", "test-worker", "", 1, 5*time.Second)
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	r := &workflow.TaskResult{WorkflowInstanceID: tasks[0].WorkflowInstanceID, TaskID: tasks[0].TaskID, Status: status, WorkerID: "test-worker"}
	if status == workflow.TaskFailed {
		r.ReasonForIncompletion = "the test said so"
	}
	require.NoError(t, c.UpdateTask(t.Context(), r))
	return tasks[0]
}

// taskStatus is the JS for the status of the task row of a reference.
func taskStatus(ref string) string {
	return `[...document.querySelectorAll("#task-table tr[data-task-row]")].filter(r => r.children[1].textContent.trim() === "` + ref + `").map(r => r.querySelector(".badge").dataset.status).pop()`
}

const workflowStatus = `document.querySelector("h1 [data-workflow-id]").dataset.status`

// TestLiveExecution: an open execution page follows its tasks from
// scheduled to completed, and the workflow to COMPLETED, without a reload.
func TestLiveExecution(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	id := start(t, c, stepsDef(t, c, "live", 0), "", nil)
	b := newBrowser(t, srv.URL())
	b.open("/executions/" + id)
	b.waitFor(`document.querySelector("[data-live-indicator]").dataset.state === "live"`, 10*time.Second)
	b.do(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	require.Equal(t, "SCHEDULED", eval[string](b, taskStatus("one")))
	require.Equal(t, "RUNNING", eval[string](b, workflowStatus))

	for _, ref := range []string{"one", "two", "three"} {
		b.waitFor(taskStatus(ref)+` === "SCHEDULED"`, 10*time.Second)
		b.waitFor(`document.querySelector('.diagram [data-task-ref="`+ref+`"]')?.dataset.status === "SCHEDULED"`, 10*time.Second)
		work(t, c, workflow.TaskCompleted)
		b.waitFor(taskStatus(ref)+` === "COMPLETED"`, 10*time.Second)
		b.waitFor(`document.querySelector('.diagram [data-task-ref="`+ref+`"]')?.dataset.status === "COMPLETED"`, 10*time.Second)
	}
	b.waitFor(workflowStatus+` === "COMPLETED"`, 10*time.Second)
	b.waitFor(`document.querySelector("h1 [data-workflow-id]").textContent === "COMPLETED"`, 10*time.Second)
	require.True(t, eval[bool](b, `window.notReloaded === true`), "the page was patched, not reloaded")
	b.shot("completed")
}

// proxy is a TCP proxy in front of the server whose connections a test can
// cut, as a network failure does.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *proxy) url() string { return "http://" + p.ln.Addr().String() }

// cut closes every connection made so far.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestLiveReconnect: when its connection is cut, the page says it is
// reconnecting, comes back, and catches up with what happened meanwhile.
func TestLiveReconnect(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	id := start(t, c, stepsDef(t, c, "reconnect", 0), "", nil)
	p := newProxy(t, strings.TrimPrefix(srv.URL(), "http://"))
	b := newBrowser(t, p.url())
	b.open("/executions/" + id)
	indicator := `document.querySelector("[data-live-indicator]").dataset.state`
	b.waitFor(indicator+` === "live"`, 10*time.Second)
	b.do(chromedp.Evaluate[chromedp.Void](`window.states = []; new MutationObserver(() => window.states.push(document.querySelector("[data-live-indicator]").dataset.state)).observe(document.querySelector("[data-live-indicator]"), {attributes: true})`))

	p.cut()
	work(t, c, workflow.TaskCompleted) // committed while the page is cut off
	b.waitFor(`window.states.includes("reconnecting")`, 10*time.Second)
	b.waitFor(indicator+` === "live"`, 20*time.Second)
	b.waitFor(taskStatus("one")+` === "COMPLETED"`, 10*time.Second)
	b.waitFor(taskStatus("two")+` === "SCHEDULED"`, 10*time.Second)
	work(t, c, workflow.TaskCompleted)
	work(t, c, workflow.TaskCompleted)
	b.waitFor(workflowStatus+` === "COMPLETED"`, 10*time.Second)
	b.shot("caught-up")
}

// TestRetryFromPage: a failed workflow is retried from its page; the page
// shows the retry run to completion.
func TestRetryFromPage(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	id := start(t, c, stepsDef(t, c, "retry", 0), "", nil)
	work(t, c, workflow.TaskCompleted)
	work(t, c, workflow.TaskFailed)
	require.Eventually(t, func() bool {
		w, err := c.Workflow(t.Context(), id, false)
		return err == nil && w.Status == workflow.StatusFailed
	}, 10*time.Second, 10*time.Millisecond)

	b := newBrowser(t, srv.URL())
	b.open("/executions/" + id)
	require.Equal(t, "FAILED", eval[string](b, workflowStatus))
	require.Contains(t, eval[string](b, `document.querySelector("#workflow-facts").textContent`), "the test said so")
	b.waitFor(`document.querySelector("[data-live-indicator]").dataset.state === "live"`, 10*time.Second)
	b.shot("failed")
	b.do(chromedp.Click(`#workflow-actions button.primary`)) // Retry; its confirmation is accepted
	b.waitFor(`document.querySelector("#action-result").textContent.includes("retry: done")`, 10*time.Second)
	b.waitFor(workflowStatus+` === "RUNNING"`, 10*time.Second)
	b.waitFor(`[...document.querySelectorAll("#task-table tr[data-task-row]")].filter(r => r.children[1].textContent.trim() === "two").length === 2`, 10*time.Second)
	work(t, c, workflow.TaskCompleted)
	work(t, c, workflow.TaskCompleted)
	b.waitFor(workflowStatus+` === "COMPLETED"`, 10*time.Second)
	b.waitFor(`document.querySelector("#workflow-actions").textContent.includes("Restart") && !document.querySelector("#workflow-actions").textContent.includes("Retry")`, 10*time.Second)
	b.shot("retried")
}
