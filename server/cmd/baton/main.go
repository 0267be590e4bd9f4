// Command baton is Baton's single binary: the server and its command-line
// client.
//
//	baton serve                    run the server (API on http://127.0.0.1:8080, data in ./baton-data)
//	baton def put FILE...          register task and workflow definitions from JSON files
//	baton start NAME --input JSON  start a workflow and print its id
//	baton get ID                   print an execution as JSON
//	baton search [--tasks] [flags] search executions (or tasks) by name, status, time, text...
//	baton retry|restart|rerun|pause|resume|terminate ID...
//	                               operate on executions, a result line each
//	baton schedule put|ls|get|rm|pause|resume|next
//	                               manage workflow schedules (cron with seconds)
//	baton deadletters ls|redrive ID...|rm ID...
//	                               status events their webhook refused
//	baton queues [TYPE]            task queues: depth, in flight, oldest waiting, rates, workers
//	baton overview                 executions by status, throughput, the busiest queues
//	baton plugin push|ls|get|versions|enable|disable|rm
//	                               manage WebAssembly plugins (custom task types, in-server workers)
//	baton worker --plugin FILE.wasm
//	                               run a plugin as a polling worker on this machine
//	baton bench                    measure throughput and latency
//
// Run "baton COMMAND --help" for the flags of a command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. It prints its result to stdout and its usage
// and log to stderr.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"serve":    {"run the Baton server", runServe},
	"def":      {"manage definitions: def put FILE...", runDef},
	"start":    {"start a workflow and print its id", runStart},
	"get":      {"print a workflow execution as JSON", runGet},
	"bench":    {"measure workflows/s, tasks/s and latency", runBench},
	"schedule": {"manage workflow schedules: schedule put|ls|get|rm|pause|resume|next", runSchedule},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "baton:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return flag.ErrHelp
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Baton runs Conductor workflows: one binary, an embedded store, polled workers.")
	fmt.Fprintln(w, "\nUsage: baton COMMAND [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'baton COMMAND --help' for the flags of a command.")
}

// newFlags returns a flag set that prints its usage to stderr and returns
// errors instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: baton %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// env returns an environment variable or a default.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// envBool parses a boolean environment variable.
func envBool(name string, def bool) (bool, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return def, fmt.Errorf("%s=%q: want true or false", name, v)
}

// serverFlag adds the --server flag of client commands.
func serverFlag(fs *flag.FlagSet) *string {
	return fs.String("server", env("BATON_SERVER", "http://127.0.0.1:8080"), "Baton server URL (env BATON_SERVER)")
}
