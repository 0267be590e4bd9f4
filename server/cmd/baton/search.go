package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

func init() {
	commands["search"] = command{"search workflow executions, or tasks with --tasks", runSearch}
}

// listFlag is a flag that may be repeated, each value also split at commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// timeFlag is a point in time given as RFC 3339 or as a duration before
// now ("2h" is two hours ago; "3d" three days).
type timeFlag struct {
	t   time.Time
	now func() time.Time
}

func (f *timeFlag) String() string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(v string) error {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		f.t = t
		return nil
	}
	d, err := parseAgo(v)
	if err != nil {
		return fmt.Errorf("want an RFC 3339 time (2026-01-02T15:04:05Z) or a duration before now (90m, 2h, 3d), got %q", v)
	}
	f.t = f.now().Add(-d)
	return nil
}

// parseAgo reads a positive Go duration, or a whole number of days ("3d").
func parseAgo(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("bad number of days %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad duration %q", v)
	}
	return d, nil
}

// searchFlags are the flags of baton search; some apply to workflows only,
// some to tasks only.
type searchFlags struct {
	fs     *flag.FlagSet
	server *string
	output *string
	tasks  *bool

	name, correlationID, idempotencyKey, text, sort, cursor *string
	taskType, workflowID                                    *string
	version, limit                                          *int
	asc                                                     *bool
	statuses                                                listFlag

	startedAfter, startedBefore, endedAfter, endedBefore timeFlag
	scheduledAfter, scheduledBefore                      timeFlag
	updatedAfter, updatedBefore                          timeFlag
}

func newSearchFlags(stderr io.Writer, now func() time.Time) *searchFlags {
	fs := newFlags("search", "search [--tasks] [flags]", stderr)
	f := &searchFlags{fs: fs, server: serverFlag(fs)}
	f.output = fs.String("output", "table", "table or json")
	f.tasks = fs.Bool("tasks", false, "search task attempts instead of workflow executions")
	f.name = fs.String("name", "", "workflow name")
	f.version = fs.Int("version", 0, "workflow version (with --name; workflows only)")
	fs.Var(&f.statuses, "status", "status, repeatable or comma-separated (RUNNING,FAILED...; for tasks SCHEDULED,IN_PROGRESS,FAILED...)")
	f.correlationID = fs.String("correlation-id", "", "correlation id (workflows only)")
	f.idempotencyKey = fs.String("idempotency-key", "", "idempotency key (workflows only)")
	f.taskType = fs.String("type", "", "task type (tasks only)")
	f.workflowID = fs.String("workflow-id", "", "id of the tasks' execution (tasks only)")
	times := []struct {
		f          *timeFlag
		name, help string
	}{
		{&f.startedAfter, "started-after", "started at or after this time"},
		{&f.startedBefore, "started-before", "started before this time"},
		{&f.endedAfter, "ended-after", "ended at or after this time"},
		{&f.endedBefore, "ended-before", "ended before this time"},
		{&f.scheduledAfter, "scheduled-after", "scheduled at or after this time (tasks only)"},
		{&f.scheduledBefore, "scheduled-before", "scheduled before this time (tasks only)"},
		{&f.updatedAfter, "updated-after", "updated at or after this time (tasks only)"},
		{&f.updatedBefore, "updated-before", "updated before this time (tasks only)"},
	}
	for _, t := range times {
		t.f.now = now
		fs.Var(t.f, t.name, t.help+": RFC 3339, or a duration before now (2h, 3d)")
	}
	f.text = fs.String("text", "", "words that must all occur in the input, output, variables or failure reason (tasks: the failure reason)")
	f.sort = fs.String("sort", "start", "workflows: order by start, end or update time (tasks are ordered by scheduled time)")
	f.asc = fs.Bool("asc", false, "oldest first (default newest first)")
	f.limit = fs.Int("limit", 20, "results per page, at most 1000")
	f.cursor = fs.String("cursor", "", "continue a search: the cursor printed after the previous page, with the same filters")
	return f
}

// setFlags names the flags given on the command line.
func (f *searchFlags) setFlags() map[string]bool {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newSearchFlags(stderr, time.Now)
	if err := f.fs.Parse(reorder(args)); err != nil {
		return err
	}
	switch {
	case f.fs.NArg() > 0:
		return fmt.Errorf("search: unexpected argument %q; filters are flags (baton search --help)", f.fs.Arg(0))
	case *f.output != "table" && *f.output != "json":
		return fmt.Errorf("search: --output must be table or json, got %q", *f.output)
	}
	c := client.New(*f.server)
	if *f.tasks {
		return f.searchTasks(ctx, c, stdout, stderr)
	}
	return f.searchWorkflows(ctx, c, stdout, stderr)
}

// refuse fails when a flag of the other kind of search is given.
func (f *searchFlags) refuse(kind string, names ...string) error {
	set := f.setFlags()
	for _, n := range names {
		if set[n] {
			return fmt.Errorf("search: --%s does not apply to a search of %s", n, kind)
		}
	}
	return nil
}

func (f *searchFlags) searchWorkflows(ctx context.Context, c *client.Client, stdout, stderr io.Writer) error {
	if err := f.refuse("workflows", "type", "workflow-id", "scheduled-after", "scheduled-before", "updated-after", "updated-before"); err != nil {
		return err
	}
	q := client.WorkflowQuery{
		Name: *f.name, Version: *f.version, CorrelationID: *f.correlationID, IdempotencyKey: *f.idempotencyKey,
		StartedAfter: f.startedAfter.t, StartedBefore: f.startedBefore.t, EndedAfter: f.endedAfter.t, EndedBefore: f.endedBefore.t,
		Text: *f.text, Ascending: *f.asc, Limit: *f.limit, Cursor: *f.cursor,
	}
	for _, s := range f.statuses {
		st := workflow.Status(strings.ToUpper(s))
		if !st.Valid() {
			return fmt.Errorf("search: --status %s is not a workflow status (RUNNING, PAUSED, COMPLETED, FAILED, TIMED_OUT, TERMINATED)", s)
		}
		q.Statuses = append(q.Statuses, st)
	}
	switch *f.sort {
	case "start", "create":
		q.SortBy = client.SortCreateTime
	case "end":
		q.SortBy = client.SortEndTime
	case "update":
		q.SortBy = client.SortUpdateTime
	default:
		return fmt.Errorf("search: --sort must be start, end or update, got %q", *f.sort)
	}
	page, err := c.SearchWorkflows(ctx, q)
	if err != nil {
		return fmt.Errorf("search workflows: %w", err)
	}
	if *f.output == "json" {
		return writeIndented(stdout, struct {
			Workflows  []*workflow.Workflow `json:"workflows"`
			NextCursor string               `json:"nextCursor,omitempty"`
		}{page.Workflows, page.Next})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tNAME\tVERSION\tSTATUS\tSTARTED\tENDED\tCORRELATION ID")
	for _, w := range page.Workflows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", w.WorkflowID, w.WorkflowName, w.WorkflowVersion, w.Status,
			tableTime(w.CreateTime), tableTime(w.EndTime), dash(w.CorrelationID))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	nextPage(stderr, page.Next)
	return nil
}

func (f *searchFlags) searchTasks(ctx context.Context, c *client.Client, stdout, stderr io.Writer) error {
	if err := f.refuse("tasks", "version", "correlation-id", "idempotency-key", "sort"); err != nil {
		return err
	}
	q := client.TaskQuery{
		TaskType: *f.taskType, WorkflowName: *f.name, WorkflowID: *f.workflowID,
		ScheduledAfter: f.scheduledAfter.t, ScheduledBefore: f.scheduledBefore.t,
		StartedAfter: f.startedAfter.t, StartedBefore: f.startedBefore.t,
		EndedAfter: f.endedAfter.t, EndedBefore: f.endedBefore.t,
		UpdatedAfter: f.updatedAfter.t, UpdatedBefore: f.updatedBefore.t,
		Text: *f.text, Ascending: *f.asc, Limit: *f.limit, Cursor: *f.cursor,
	}
	for _, s := range f.statuses {
		st := workflow.TaskStatus(strings.ToUpper(s))
		if !st.Valid() {
			return fmt.Errorf("search: --status %s is not a task status (SCHEDULED, IN_PROGRESS, COMPLETED, FAILED, TIMED_OUT, CANCELED, ...)", s)
		}
		q.Statuses = append(q.Statuses, st)
	}
	page, err := c.SearchTasks(ctx, q)
	if err != nil {
		return fmt.Errorf("search tasks: %w", err)
	}
	if *f.output == "json" {
		return writeIndented(stdout, struct {
			Tasks      []*workflow.Task `json:"tasks"`
			NextCursor string           `json:"nextCursor,omitempty"`
		}{page.Tasks, page.Next})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK ID\tTYPE\tREFERENCE\tSTATUS\tSCHEDULED\tENDED\tWORKFLOW ID")
	for _, t := range page.Tasks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.TaskID, t.TaskType, t.ReferenceTaskName, t.Status,
			tableTime(t.ScheduledTime), tableTime(t.EndTime), t.WorkflowInstanceID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	nextPage(stderr, page.Next)
	return nil
}

// nextPage tells, on stderr so that stdout stays one table, how to get the
// next page.
func nextPage(stderr io.Writer, next string) {
	if next != "" {
		fmt.Fprintf(stderr, "more results: repeat with --cursor %s\n", next)
	}
}

// tableTime formats Unix milliseconds in UTC to the second; "-" for 0.
func tableTime(ms int64) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}
