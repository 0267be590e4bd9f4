package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// maxLogLines bounds the log lines a task panel shows of an attempt: the
// last ones (the API has them all).
const maxLogLines = 500

// maxTaskRows bounds the rows of an execution's task list and timeline
// rendered at once; larger executions page through them.
const maxTaskRows = 500

// executionView is what the execution page shows.
type executionView struct {
	W *workflow.Workflow
	// Tasks are the rows shown, Offset the index of the first, Total all.
	Tasks         []*workflow.Task
	Offset, Total int
	// Children are the sub-workflows this execution started, by task.
	Children []*workflow.Task
	// Span is the timeline's extent, Unix milliseconds.
	SpanStart, SpanEnd int64
	// Diagram is the execution's SVG.
	Diagram templ.Component
	// From is the change feed's position before the page was read
	// (data-live-from).
	From string
	// Unreached are the references of the definition's tasks not
	// scheduled yet: those the skip action takes.
	Unreached []string
}

func (c *console) execution(w http.ResponseWriter, r *http.Request) {
	// The position is read before the execution, so that the live view
	// resumes from it without missing a change committed in between.
	from := c.e.FeedPosition()
	wf, err := c.e.Workflow(r.Context(), r.PathValue("id"), true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := executionView{W: wf, Total: len(wf.Tasks), From: feedFrom(from)}
	if v.Diagram, err = c.executionDiagram(r.Context(), wf, r.URL.Query()); err != nil {
		c.fail(w, r, err)
		return
	}
	if o := r.URL.Query().Get("tasks"); o != "" {
		if _, err := fmt.Sscan(o, &v.Offset); err != nil || v.Offset < 0 || v.Offset >= max(v.Total, 1) {
			c.fail(w, r, badRequest(fmt.Sprintf("tasks=%q: want a task offset from 0 to %d", o, max(v.Total-1, 0))))
			return
		}
	}
	v.Tasks = wf.Tasks[v.Offset:min(v.Offset+maxTaskRows, v.Total)]
	if wf.Status == workflow.StatusRunning && wf.WorkflowDefinition != nil {
		v.Unreached = unreached(wf)
	}
	for _, t := range wf.Tasks {
		if t.SubWorkflowID != "" {
			v.Children = append(v.Children, t)
		}
	}
	v.SpanStart, v.SpanEnd = wf.StartTime, wf.EndTime
	if v.SpanStart == 0 {
		v.SpanStart = wf.CreateTime
	}
	if v.SpanEnd == 0 {
		v.SpanEnd = time.Now().UnixMilli()
	}
	for _, t := range wf.Tasks {
		if t.ScheduledTime > 0 && t.ScheduledTime < v.SpanStart {
			v.SpanStart = t.ScheduledTime
		}
		v.SpanEnd = max(v.SpanEnd, t.EndTime)
	}
	c.render(w, r, http.StatusOK, executionPage(v))
}

// unreached lists the references of a definition's tasks that the
// execution has not scheduled, in the definition's order.
func unreached(wf *workflow.Workflow) []string {
	seen := map[string]bool{}
	for _, t := range wf.Tasks {
		seen[t.ReferenceTaskName] = true
	}
	var refs []string
	workflow.Walk(wf.WorkflowDefinition.Tasks, "", func(t *workflow.WorkflowTask, _ string) {
		if t.TaskReferenceName != "" && !seen[t.TaskReferenceName] {
			refs = append(refs, t.TaskReferenceName)
		}
	})
	return refs
}

// maxSeq is the highest sequence number of the execution's tasks: the live
// view knows a task above it is new to the page.
func (v executionView) maxSeq() int {
	n := 0
	for _, t := range v.W.Tasks {
		n = max(n, t.Seq)
	}
	return n
}

// taskAttempts is a task panel: every attempt of one task reference (and
// iteration), oldest first, with the logs of each.
type taskAttempts struct {
	W        *workflow.Workflow
	Ref      string
	Attempts []*workflow.Task
	Logs     map[string][]workflow.TaskExecLog
}

func (c *console) taskPanel(w http.ResponseWriter, r *http.Request) {
	wf, err := c.e.Workflow(r.Context(), r.PathValue("id"), true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	id := r.PathValue("task")
	i := slices.IndexFunc(wf.Tasks, func(t *workflow.Task) bool { return t.TaskID == id })
	if i < 0 {
		c.fail(w, r, &engine.Error{Code: engine.NotFound, Msg: fmt.Sprintf("execution %s has no task %s", wf.WorkflowID, id)})
		return
	}
	picked := wf.Tasks[i]
	p := taskAttempts{W: wf, Ref: picked.ReferenceTaskName, Logs: map[string][]workflow.TaskExecLog{}}
	for _, t := range wf.Tasks {
		if t.ReferenceTaskName == picked.ReferenceTaskName && t.Iteration == picked.Iteration {
			p.Attempts = append(p.Attempts, t)
			logs, err := c.e.TaskLogs(r.Context(), t.TaskID)
			if err != nil {
				c.fail(w, r, err)
				return
			}
			if len(logs) > maxLogLines {
				logs = logs[len(logs)-maxLogLines:]
			}
			p.Logs[t.TaskID] = logs
		}
	}
	if !isHTMX(r) {
		c.render(w, r, http.StatusOK, taskPage(p))
		return
	}
	c.render(w, r, http.StatusOK, taskPanel(p))
}

// action runs an action of the execution page: the workflow's own
// (pause, resume, terminate, retry, restart) or a task's (rerun from it,
// skip it, complete it while it waits).
func (c *console) action(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, c.opts.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, badRequest("reading the form: "+err.Error()))
		return
	}
	id, action := r.PathValue("id"), r.PathValue("action")
	var err error
	switch action {
	case "rerun":
		err = c.e.RerunWorkflow(r.Context(), id, &workflow.RerunRequest{ReRunFromWorkflowID: id, ReRunFromTaskID: r.PostForm.Get("taskId")})
	case "skip":
		err = c.e.SkipTask(r.Context(), id, r.PostForm.Get("ref"), &workflow.SkipTaskRequest{})
	case "complete":
		// By task id, not reference: in a loop the reference names the
		// newest iteration, which may not be the one the panel showed.
		var out map[string]any
		out, err = jsonObject("output", r.PostForm.Get("output"))
		if err == nil {
			err = c.e.UpdateTask(r.Context(), &workflow.TaskResult{
				WorkflowInstanceID: id, TaskID: r.PostForm.Get("taskId"),
				Status: workflow.TaskCompleted, OutputData: out, WorkerID: "baton-console",
			})
		}
	default:
		err = c.workflowAction(r, id, action)
	}
	if err != nil {
		c.respond(w, r, false, action+": "+err.Error(), "")
		return
	}
	c.respond(w, r, true, action+": done", "/executions/"+url.PathEscape(id))
}

// jsonObject reads a form field holding a JSON object (numbers kept
// exact); blank is an empty one.
func jsonObject(field, s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var m map[string]any
	if err := workflow.Decode([]byte(s), &m); err != nil {
		return nil, badRequest(fmt.Sprintf("%s is not a JSON object: %v", field, err))
	}
	return m, nil
}

// maxJSONShown bounds the JSON a page shows of one value; the rest is a
// link away (the REST API's full document).
const maxJSONShown = 64 << 10

// prettyJSON renders a value as indented JSON for display, cut at
// maxJSONShown bytes (at a line's end); cut reports whether it was.
func prettyJSON(v any) (text string, cut bool) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("(not JSON: %v)", err), false
	}
	if len(b) <= maxJSONShown {
		return string(b), false
	}
	end := bytes.LastIndexByte(b[:maxJSONShown], '\n')
	if end < 0 {
		end = maxJSONShown
	}
	return string(b[:end]) + "\n…", true
}

// bar places a task attempt on the timeline: the queue wait (scheduled to
// started) and the run (started to ended, or to the span's end while it
// runs), in percent of the span.
type bar struct{ WaitLeft, WaitWidth, Left, Width float64 }

func (v executionView) bar(t *workflow.Task) bar {
	span := float64(max(v.SpanEnd-v.SpanStart, 1))
	pct := func(ms int64) float64 { return float64(ms-v.SpanStart) * 100 / span }
	var b bar
	start, end := t.StartTime, t.EndTime
	if end == 0 {
		end = v.SpanEnd
	}
	if t.ScheduledTime > 0 {
		waitEnd := start
		if waitEnd == 0 {
			waitEnd = end
		}
		b.WaitLeft, b.WaitWidth = pct(t.ScheduledTime), pct(waitEnd)-pct(t.ScheduledTime)
	}
	if start > 0 {
		b.Left, b.Width = pct(start), pct(end)-pct(start)
	}
	return b
}

// waiting reports whether a task waits for an outside completion the
// console may give (WAIT and HUMAN tasks in progress).
func waiting(t *workflow.Task) bool {
	return t.Status == workflow.TaskInProgress && (t.TaskType == workflow.TypeWait || t.TaskType == workflow.TypeHuman)
}

// taskURL is the address of a task's panel.
func taskURL(workflowID, taskID string) templ.SafeURL {
	return templ.SafeURL("/executions/" + url.PathEscape(workflowID) + "/tasks/" + url.PathEscape(taskID))
}

// feedFrom writes a feed position as live.ts reads it ("epoch:seq").
func feedFrom(p engine.Position) string {
	return p.Epoch + ":" + strconv.FormatUint(p.Seq, 10)
}

// execURL is the address of an execution's page.
func execURL(id string) string { return "/executions/" + url.PathEscape(id) }

// actionURL is the address of an action on an execution.
func actionURL(id, action string) string { return execURL(id) + "/" + action }
