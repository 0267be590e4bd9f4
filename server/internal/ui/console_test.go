package ui_test

import (
	"fmt"
	"io"
	"net/http"
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
