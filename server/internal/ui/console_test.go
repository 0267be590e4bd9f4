package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// waitDef is a workflow of one WAIT task: it runs until signalled.
func waitDef(name string) *workflow.WorkflowDef {
	return &workflow.WorkflowDef{
		Name: name, Version: 1, SchemaVersion: 2,
		Tasks: []*workflow.WorkflowTask{{Name: "hold", TaskReferenceName: "hold", Type: workflow.TypeWait}},
	}
}

// start registers def (once) and starts it with a correlation id and input.
func start(t *testing.T, c *client.Client, def *workflow.WorkflowDef, corr string, input map[string]any) string {
	t.Helper()
	_, err := c.RegisterWorkflowDef(t.Context(), def, true, false)
	require.NoError(t, err)
	id, err := c.StartWorkflow(t.Context(), &workflow.StartRequest{Name: def.Name, CorrelationID: corr, Input: input})
	require.NoError(t, err)
	return id
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestEscapesUserData: an execution whose input, correlation id and
// reason hold markup shows it as text on every page that shows them.
func TestEscapesUserData(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	id := start(t, c, waitDef("escape"), evil, map[string]any{"note": evil})
	require.NoError(t, c.TerminateWorkflow(t.Context(), id, evil))
	for _, path := range []string{"/executions/" + id, "/executions?correlationId=x", "/executions"} {
		status, body := get(t, srv.URL()+path)
		require.Equal(t, http.StatusOK, status, path)
		require.NotContains(t, body, "<script>alert", path)
		require.NotContains(t, body, "<img src=x", path)
	}
	_, body := get(t, srv.URL()+"/executions/"+id)
	require.Contains(t, body, "&lt;script&gt;alert(", "the input is shown, as text")
}

// TestCrossSiteActionRefused: a POST from another site cannot act on a
// workflow, while the same POST from the console's own page can.
func TestCrossSiteActionRefused(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	id := start(t, c, waitDef("csrf"), "", nil)

	post := func(headers map[string]string) int {
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/executions/"+id+"/pause", strings.NewReader(""))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusForbidden, post(map[string]string{"Sec-Fetch-Site": "cross-site"}))
	require.Equal(t, http.StatusForbidden, post(map[string]string{"Origin": "https://evil.example"}))
	w, err := c.Workflow(t.Context(), id, false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, w.Status, "a refused request changed nothing")

	// The REST API on the same origin is guarded alike.
	req, err := http.NewRequest(http.MethodPut, srv.URL()+"/api/workflow/"+id+"/pause", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	w, err = c.Workflow(t.Context(), id, false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusRunning, w.Status, "a refused request changed nothing")

	require.Equal(t, http.StatusOK, post(map[string]string{"Sec-Fetch-Site": "same-origin", "HX-Request": "true"}))
	w, err = c.Workflow(t.Context(), id, false)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusPaused, w.Status)
}

// TestBadInput: malformed queries and forms get a page that says what was
// wrong, and change nothing.
func TestBadInput(t *testing.T) {
	srv := batontest.New(t)
	for path, want := range map[string]string{
		"/executions?status=DONE":        "unknown status",
		"/executions?limit=0":            "a page holds 1 to 500",
		"/executions?from=yesterday":     "want a time like",
		"/executions/nope":               "nope",
		"/definitions/nope/1":            "nope",
		"/definitions/x/zero":            "want a number",
		"/no/such/page":                  "no page at /no/such/page",
		"/executions?sort=name&order=up": "unknown sort",
	} {
		status, body := get(t, srv.URL()+path)
		require.GreaterOrEqual(t, status, 400, path)
		require.Contains(t, body, want, path)
	}
}

// TestSearchByCorrelationID: the executions page finds one execution by
// its correlation id, and the search is in the URL.
func TestSearchByCorrelationID(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	var ids []string
	for i := range 3 {
		ids = append(ids, start(t, c, waitDef("search"), fmt.Sprintf("order-%d", i), nil))
	}
	b := newBrowser(t, srv.URL())
	b.open("/executions")
	require.Equal(t, 3, eval[int](b, `document.querySelectorAll("#execution-rows tr").length`))
	b.do(
		chromedp.SendKeys(`input[name=correlationId]`, "order-1"),
		chromedp.Submit(`input[name=correlationId]`),
	)
	b.waitFor(`location.search.includes("correlationId=order-1")`, 10*time.Second)
	b.waitFor(`document.querySelectorAll("#execution-rows tr").length === 1`, 10*time.Second)
	require.Equal(t, ids[1], eval[string](b, `document.querySelector("#execution-rows tr").dataset.workflowId`))
	require.Equal(t, "order-1", eval[string](b, `document.querySelector("input[name=correlationId]").value`), "the form shows the search")
	b.shot("search")
}

// TestDarkMode: the console follows the system's dark setting, and the
// toggle switches theme and keeps the choice across pages.
func TestDarkMode(t *testing.T) {
	srv := batontest.New(t)
	start(t, srv.Client(), waitDef("dark"), "", nil)
	b := newBrowser(t, srv.URL())
	bg := `getComputedStyle(document.body).backgroundColor`
	b.open("/executions")
	require.Equal(t, "rgb(255, 255, 255)", eval[string](b, bg), "light by default")
	b.do(chromedp.Click(`[data-theme-toggle]`))
	b.waitFor(bg+` === "rgb(13, 17, 23)"`, 5*time.Second)
	b.shot("dark")
	b.open("/definitions")
	require.Equal(t, "rgb(13, 17, 23)", eval[string](b, bg), "the choice holds on the next page, rendered by the server")
	require.Equal(t, "dark", eval[string](b, `document.documentElement.dataset.theme`))
	b.do(chromedp.Click(`[data-theme-toggle]`))
	b.waitFor(bg+` === "rgb(255, 255, 255)"`, 5*time.Second)
}

// postForm posts a form as the console's own page does (htmx).
func postForm(t *testing.T, url string, form url.Values) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("HX-Request", "true")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(b)
}

// TestTaskActions: complete a waiting task by its id, with an output, and
// skip a task the workflow has not reached.
func TestTaskActions(t *testing.T) {
	srv := batontest.New(t)
	c := srv.Client()
	id := start(t, c, waitDef("complete"), "", nil)
	w, err := c.Workflow(t.Context(), id, true)
	require.NoError(t, err)
	body := postForm(t, srv.URL()+"/executions/"+id+"/complete", url.Values{"taskId": {w.Tasks[0].TaskID}, "output": {`{"approved": true}`}})
	require.Contains(t, body, "complete: done")
	w, err = c.Workflow(t.Context(), id, true)
	require.NoError(t, err)
	require.Equal(t, workflow.StatusCompleted, w.Status)
	require.Equal(t, true, w.Tasks[0].OutputData["approved"])

	body = postForm(t, srv.URL()+"/executions/"+id+"/complete", url.Values{"taskId": {w.Tasks[0].TaskID}, "output": {`[1]`}})
	require.Contains(t, body, "output is not a JSON object")

	id = start(t, c, stepsDef(t, c, "skipping", 0), "", nil)
	_, page := get(t, srv.URL()+"/executions/"+id)
	require.Contains(t, page, `<option value="three">three</option>`, "a task not reached yet is offered")
	body = postForm(t, srv.URL()+"/executions/"+id+"/skip", url.Values{"ref": {"three"}})
	require.Contains(t, body, "skip: done")
	work(t, c, workflow.TaskCompleted)
	work(t, c, workflow.TaskCompleted)
	require.Eventually(t, func() bool {
		w, err := c.Workflow(t.Context(), id, true)
		return err == nil && w.Status == workflow.StatusCompleted
	}, 10*time.Second, 10*time.Millisecond)
	w, err = c.Workflow(t.Context(), id, true)
	require.NoError(t, err)
	var statuses []string
	for _, t := range w.Tasks {
		statuses = append(statuses, t.ReferenceTaskName+":"+string(t.Status))
	}
	require.ElementsMatch(t, []string{"one:COMPLETED", "two:COMPLETED", "three:SKIPPED"}, statuses)
}
