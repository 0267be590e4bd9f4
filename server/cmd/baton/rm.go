package main

import (
	"context"
	"flag"
	"strconv"

	"github.com/batonhq/baton/sdk/client"
)

// removeOp is `baton rm`: remove executions, terminating them first with
// --terminate, archived as --archive says or, without it, as the server
// decides (it archives when it has an archive directory).
func removeOp(fs *flag.FlagSet) func(context.Context, *client.Client, string) error {
	terminate := fs.Bool("terminate", false, "terminate executions that have not ended, then remove them")
	reason := fs.String("reason", "", "why, recorded on each execution terminated")
	archive := &optionalBool{}
	fs.Var(archive, "archive", "write each execution to the server's archive first (default: when the server has an archive directory); refused by a server without one")
	return func(ctx context.Context, c *client.Client, id string) error {
		_, err := c.RemoveWorkflow(ctx, id, client.RemoveOptions{Terminate: *terminate, Reason: *reason, Archive: archive.value})
		return err
	}
}

// optionalBool is a boolean flag that tells whether it was given.
type optionalBool struct{ value *bool }

func (b *optionalBool) IsBoolFlag() bool { return true }

func (b *optionalBool) String() string {
	if b == nil || b.value == nil {
		return ""
	}
	return strconv.FormatBool(*b.value)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.value = &v
	return nil
}
