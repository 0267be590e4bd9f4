package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

// An operation acts on executions by id. Its flags are declared by setup,
// which returns what to do for one id once they are parsed.
type operation struct {
	name, synopsis string
	setup          func(fs *flag.FlagSet) func(ctx context.Context, c *client.Client, id string) error
}

var operations = []operation{
	{"pause", "pause [flags] ID...", func(*flag.FlagSet) func(context.Context, *client.Client, string) error {
		return func(ctx context.Context, c *client.Client, id string) error { return c.PauseWorkflow(ctx, id) }
	}},
	{"resume", "resume [flags] ID...", func(*flag.FlagSet) func(context.Context, *client.Client, string) error {
		return func(ctx context.Context, c *client.Client, id string) error { return c.ResumeWorkflow(ctx, id) }
	}},
	{"terminate", "terminate [flags] ID...", func(fs *flag.FlagSet) func(context.Context, *client.Client, string) error {
		reason := fs.String("reason", "", "why, recorded on each execution")
		return func(ctx context.Context, c *client.Client, id string) error {
			return c.TerminateWorkflow(ctx, id, *reason)
		}
	}},
	{"retry", "retry [flags] ID...", func(fs *flag.FlagSet) func(context.Context, *client.Client, string) error {
		resume := fs.Bool("resume-subworkflow-tasks", false, "retry a failed sub-workflow's child instead of starting a new one")
		return func(ctx context.Context, c *client.Client, id string) error { return c.RetryWorkflow(ctx, id, *resume) }
	}},
	{"restart", "restart [flags] ID...", func(fs *flag.FlagSet) func(context.Context, *client.Client, string) error {
		latest := fs.Bool("latest", false, "run the latest version of the definition")
		return func(ctx context.Context, c *client.Client, id string) error {
			return c.RestartWorkflow(ctx, id, *latest)
		}
	}},
	{"rerun", "rerun [flags] ID...", func(fs *flag.FlagSet) func(context.Context, *client.Client, string) error {
		from := fs.String("from-task", "", "id of the task to rerun from (default: from the start)")
		input := fs.String("input", "", "new workflow input, a JSON object")
		taskInput := fs.String("task-input", "", "new input of the task rerun from, a JSON object")
		correlation := fs.String("correlation-id", "", "new correlation id")
		return func(ctx context.Context, c *client.Client, id string) error {
			req := &workflow.RerunRequest{ReRunFromTaskID: *from, CorrelationID: *correlation}
			var err error
			if req.WorkflowInput, err = jsonObject("--input", *input); err != nil {
				return err
			}
			if req.TaskInput, err = jsonObject("--task-input", *taskInput); err != nil {
				return err
			}
			return c.RerunWorkflow(ctx, id, req)
		}
	}},
	{"rm", "rm [flags] ID...", removeOp},
}

func init() {
	for _, op := range operations {
		commands[op.name] = command{op.name + " executions by id, a result line each", op.run}
	}
}

// opResult is one line of an operation's output.
type opResult struct {
	WorkflowID string `json:"workflowId"`
	Error      string `json:"error,omitempty"`
}

func (op operation) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(op.name, op.synopsis, stderr)
	server := serverFlag(fs)
	output := fs.String("output", "table", "table or json")
	do := op.setup(fs)
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("%s: --output must be table or json, got %q", op.name, *output)
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%s: give one or more workflow ids", op.name)
	}
	c := client.New(*server)
	results := make([]opResult, 0, fs.NArg())
	failed := 0
	for _, id := range fs.Args() {
		r := opResult{WorkflowID: id}
		if err := do(ctx, c, id); err != nil {
			if ctx.Err() != nil {
				return err
			}
			r.Error = err.Error()
			failed++
		}
		results = append(results, r)
	}
	if *output == "json" {
		if err := writeIndented(stdout, results); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WORKFLOW ID\tRESULT")
		for _, r := range results {
			result := "ok"
			if r.Error != "" {
				result = r.Error
			}
			fmt.Fprintf(tw, "%s\t%s\n", r.WorkflowID, result)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%s: %d of %d failed", op.name, failed, len(results))
	}
	return nil
}

// jsonObject decodes an optional JSON object flag.
func jsonObject(flagName, text string) (map[string]any, error) {
	if text == "" {
		return nil, nil
	}
	var m map[string]any
	if err := workflow.Decode([]byte(text), &m); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %w", flagName, err)
	}
	if m == nil {
		return nil, errors.New(flagName + " must be a JSON object, not null")
	}
	return m, nil
}
