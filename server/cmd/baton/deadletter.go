package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/batonhq/baton/sdk/client"
)

func init() {
	commands["deadletters"] = command{"status events the webhook refused: deadletters ls|redrive ID...|rm ID...", runDeadLetters}
}

func runDeadLetters(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = "deadletters ls|redrive ID...|rm ID... [flags]"
	if len(args) == 0 {
		newFlags("deadletters", synopsis, stderr).Usage()
		return errors.New("deadletters: give a subcommand: ls, redrive or rm")
	}
	sub, args := args[0], args[1:]
	fs := newFlags("deadletters "+sub, synopsis, stderr)
	server := serverFlag(fs)
	output := fs.String("output", "table", "table or json")
	var after *string
	var limit *int
	switch sub {
	case "ls":
		after = fs.String("after", "", "list the dead letters after this id (the last id of the previous page)")
		limit = fs.Int("limit", 100, "most dead letters to list, at most 1000")
	case "redrive", "rm":
	default:
		fs.Usage()
		return fmt.Errorf("deadletters: unknown subcommand %q; use ls, redrive or rm", sub)
	}
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if *output != "table" && *output != "json" {
		return fmt.Errorf("deadletters %s: --output must be table or json, got %q", sub, *output)
	}
	c := client.New(*server)
	if sub == "ls" {
		if fs.NArg() > 0 {
			return fmt.Errorf("deadletters ls takes no arguments, got %q", fs.Args())
		}
		list, err := c.DeadLetters(ctx, *after, *limit)
		if err != nil {
			return err
		}
		return printDeadLetters(stdout, *output, list)
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("deadletters %s: give one or more dead letter ids (deadletters ls lists them)", sub)
	}
	var err error
	if sub == "redrive" {
		err = c.RedriveDeadLetters(ctx, fs.Args()...)
	} else {
		err = c.DeleteDeadLetters(ctx, fs.Args()...)
	}
	if err != nil {
		return err // all or none: nothing was done
	}
	result := map[string]string{"redrive": "redriven", "rm": "deleted"}[sub]
	if *output == "json" {
		type line struct {
			ID     string `json:"id"`
			Result string `json:"result"`
		}
		lines := make([]line, fs.NArg())
		for i, id := range fs.Args() {
			lines[i] = line{id, result}
		}
		return writeIndented(stdout, lines)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRESULT")
	for _, id := range fs.Args() {
		fmt.Fprintf(tw, "%s\t%s\n", id, result)
	}
	return tw.Flush()
}

func printDeadLetters(w io.Writer, output string, list []*client.DeadLetter) error {
	if output == "json" {
		if list == nil {
			list = []*client.DeadLetter{}
		}
		return writeIndented(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWORKFLOW ID\tTYPE\tATTEMPTS\tTIME\tERROR")
	for _, d := range list {
		var ev struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(d.Event, &ev)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.WorkflowID, ev.Type, strconv.Itoa(d.Attempts),
			d.Time.UTC().Format(time.RFC3339), clipText(d.Error, 80))
	}
	return tw.Flush()
}
