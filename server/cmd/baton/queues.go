package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

func init() {
	commands["queues"] = command{"task queues and their workers: queues [TYPE [--domain D]]", runQueues}
	commands["overview"] = command{"executions by status, throughput, the busiest queues", runOverview}
}

func runQueues(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("queues", "queues [TYPE] [flags]", stderr)
	server := serverFlag(fs)
	output := fs.String("output", "table", "table or json")
	domain := fs.String("domain", "", "with TYPE: the domain of the queue (none when left out)")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("queues: --output must be table or json, got %q", *output)
	}
	c := client.New(*server)
	switch fs.NArg() {
	case 0:
		if *domain != "" {
			return fmt.Errorf("queues: --domain needs a task type: queues TYPE --domain %s", *domain)
		}
		queues, err := c.Queues(ctx, "")
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeIndented(stdout, queues)
		}
		return printQueues(stdout, queues)
	case 1:
		q, workers, err := c.Queue(ctx, fs.Arg(0), *domain)
		if err != nil {
			return err
		}
		if *output == "json" {
			return writeIndented(stdout, struct {
				*client.Queue
				WorkerStats []*client.QueueWorker `json:"workerStats"`
			}{q, workers})
		}
		if err := printQueues(stdout, []*client.Queue{q}); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WORKER\tDOMAIN\tLAST POLL\tPOLLS/MIN")
		for _, w := range workers {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", w.WorkerID, dash(w.Domain), w.LastPoll.UTC().Format(time.RFC3339), w.PollsLastMinute)
		}
		return tw.Flush()
	}
	return fmt.Errorf("queues takes at most one task type, got %q", fs.Args())
}

func printQueues(w io.Writer, queues []*client.Queue) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tDOMAIN\tDEPTH\tDELAYED\tIN FLIGHT\tOLDEST\tPOLLS/S\tOUT/S\tDONE/S\tFAILED/S\tWORKERS\tLAST POLL")
	for _, q := range queues {
		domain := dash(q.Domain)
		if q.Internal {
			domain = "(in server)"
		}
		last := "-"
		if !q.LastPoll.IsZero() {
			last = q.LastPoll.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", q.TaskType, domain, q.Depth, q.Delayed, q.InFlight,
			(time.Duration(q.OldestWaitingMs) * time.Millisecond).String(), rate(q.PollsPerSecond), rate(q.HandedOutPerSecond),
			rate(q.CompletedPerSecond), rate(q.FailedPerSecond), q.Workers, last)
	}
	return tw.Flush()
}

func rate(r float64) string { return strconv.FormatFloat(r, 'f', 2, 64) }

func runOverview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("overview", "overview [flags]", stderr)
	server := serverFlag(fs)
	output := fs.String("output", "table", "table or json")
	busiest := fs.Int("busiest", 10, "busiest queues to list, at most 100")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("overview: --output must be table or json, got %q", *output)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("overview takes no arguments, got %q", fs.Args())
	}
	o, err := client.New(*server).Overview(ctx, *busiest)
	if err != nil {
		return err
	}
	if *output == "json" {
		return writeIndented(stdout, o)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUNNING\tPAUSED\tCOMPLETED\tFAILED\tTIMED OUT\tTERMINATED")
	c := o.Counts
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\n", c[workflow.StatusRunning], c[workflow.StatusPaused], c[workflow.StatusCompleted],
		c[workflow.StatusFailed], c[workflow.StatusTimedOut], c[workflow.StatusTerminated])
	if err := tw.Flush(); err != nil {
		return err
	}
	var minute, hour client.Throughput
	for _, p := range o.PerSecond {
		add(&minute, p)
	}
	for _, p := range o.PerMinute {
		add(&hour, p)
	}
	fmt.Fprintf(stdout, "\nsince %s\n", o.Since.UTC().Format(time.RFC3339))
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAST\tSTARTED\tCOMPLETED\tFAILED\tTERMINATED\tFAILURE RATE")
	for _, l := range []struct {
		name string
		t    client.Throughput
	}{{"minute", minute}, {"hour", hour}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", l.name, l.t.Started, l.t.Completed, l.t.Failed, l.t.Terminated, rate(failureRate(l.t)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nbusiest by depth")
	if err := printQueues(stdout, o.BusiestByDepth); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nbusiest by age")
	return printQueues(stdout, o.BusiestByAge)
}

func add(sum *client.Throughput, p client.Throughput) {
	sum.Started += p.Started
	sum.Completed += p.Completed
	sum.Failed += p.Failed
	sum.Terminated += p.Terminated
}

func failureRate(t client.Throughput) float64 {
	if ended := t.Completed + t.Failed; ended > 0 {
		return float64(t.Failed) / float64(ended)
	}
	return 0
}
