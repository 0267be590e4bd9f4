package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

func runDef(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "put" {
		fs := newFlags("def", "def put [flags] FILE...", stderr)
		serverFlag(fs)
		if err := fs.Parse(args); err != nil {
			return err
		}
		fs.Usage()
		return errors.New("usage: baton def put FILE")
	}
	fs := newFlags("def put", "def put [flags] FILE...\n\nEach FILE holds a workflow definition, a task definition, or a JSON array of them;\ntask definitions are registered first, workflow definitions replace the version they name.", stderr)
	server := serverFlag(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("def put: no files given")
	}
	var (
		tasks []*workflow.TaskDef
		flows []*workflow.WorkflowDef
	)
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		t, f, err := parseDefs(data)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		tasks = append(tasks, t...)
		flows = append(flows, f...)
	}
	c := client.New(*server)
	if len(tasks) > 0 {
		if err := c.RegisterTaskDefs(ctx, tasks...); err != nil {
			return fmt.Errorf("register task definitions: %w", err)
		}
		for _, t := range tasks {
			fmt.Fprintf(stdout, "task definition %s registered\n", t.Name)
		}
	}
	for _, f := range flows {
		version, err := c.RegisterWorkflowDef(ctx, f, true, false)
		if err != nil {
			return fmt.Errorf("register workflow definition %s: %w", f.Name, err)
		}
		fmt.Fprintf(stdout, "workflow definition %s version %d registered\n", f.Name, version)
	}
	return nil
}

// parseDefs reads definitions from a file: an object or an array of
// objects; an object with "tasks" is a workflow definition.
func parseDefs(data []byte) ([]*workflow.TaskDef, []*workflow.WorkflowDef, error) {
	var raws []json.RawMessage
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, nil, fmt.Errorf("not valid JSON: %w", err)
		}
	} else {
		raws = []json.RawMessage{trimmed}
	}
	var (
		tasks []*workflow.TaskDef
		flows []*workflow.WorkflowDef
	)
	for i, raw := range raws {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(raw, &probe); err != nil {
			return nil, nil, fmt.Errorf("definition %d is not a JSON object: %w", i, err)
		}
		if _, ok := probe["tasks"]; ok {
			var f workflow.WorkflowDef
			if err := workflow.Decode(raw, &f); err != nil {
				return nil, nil, fmt.Errorf("definition %d: %w", i, err)
			}
			flows = append(flows, &f)
			continue
		}
		var t workflow.TaskDef
		if err := workflow.Decode(raw, &t); err != nil {
			return nil, nil, fmt.Errorf("definition %d: %w", i, err)
		}
		tasks = append(tasks, &t)
	}
	return tasks, flows, nil
}

func runStart(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("start", "start [flags] NAME", stderr)
	server := serverFlag(fs)
	input := fs.String("input", "{}", "workflow input as a JSON object")
	version := fs.Int("version", 0, "definition version (0 = latest)")
	correlation := fs.String("correlation-id", "", "correlation id")
	priority := fs.Int("priority", 0, "priority 0-99 (higher runs first)")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("start: give exactly one workflow name")
	}
	var in map[string]any
	if err := workflow.Decode([]byte(*input), &in); err != nil {
		return fmt.Errorf("--input is not a JSON object: %w", err)
	}
	id, err := client.New(*server).StartWorkflow(ctx, &workflow.StartRequest{
		Name: fs.Arg(0), Version: *version, Input: in, CorrelationID: *correlation, Priority: *priority,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, id)
	return nil
}

func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("get", "get [flags] ID", stderr)
	server := serverFlag(fs)
	tasks := fs.Bool("tasks", true, "include the tasks")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("get: give exactly one workflow id")
	}
	w, err := client.New(*server).Workflow(ctx, fs.Arg(0), *tasks)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(w)
}

// reorder moves flags before positional arguments, so that
// "start NAME --input {}" works as well as "start --input {} NAME".
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if !bytes.ContainsRune([]byte(a), '=') && i+1 < len(args) && !isBoolFlag(a) {
				i++
				flags = append(flags, args[i])
			}
		default:
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}

func isBoolFlag(a string) bool {
	switch a {
	case "-tasks", "--tasks", "-h", "--help", "-help", "-latest", "--latest",
		"-resume-subworkflow-tasks", "--resume-subworkflow-tasks", "-asc", "--asc",
		"-archive", "--archive", "-terminate", "--terminate":
		return true
	}
	return false
}
