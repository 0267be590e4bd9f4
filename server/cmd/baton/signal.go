package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

func init() {
	commands["signal"] = command{"complete or fail a waiting WAIT or HUMAN task: signal ID [REF]", runSignal}
}

// runSignal reports on a waiting task by reference name, or on whichever
// WAIT or HUMAN task blocks the execution (or one of its sub-workflows).
func runSignal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("signal", "signal [flags] ID [REF]", stderr)
	server := serverFlag(fs)
	status := fs.String("status", "COMPLETED", "the task's new status: COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS")
	output := fs.String("output", "", "the task's output, a JSON object")
	reason := fs.String("reason", "", "why the task failed")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return errors.New("signal: give a workflow id, and optionally a task reference name")
	}
	out, err := jsonObject("--output", *output)
	if err != nil {
		return fmt.Errorf("signal: %w", err)
	}
	s := workflow.TaskStatus(strings.ToUpper(*status))
	if !s.Valid() {
		return fmt.Errorf("signal: --status %q is not a task status; use COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR or IN_PROGRESS", *status)
	}
	held, err := client.New(*server).SignalTask(ctx, fs.Arg(0), fs.Arg(1), &workflow.TaskResult{
		Status: s, OutputData: out, ReasonForIncompletion: *reason,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, held)
	return nil
}
