package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
)

const scheduleSynopsis = `schedule SUBCOMMAND [flags]

Subcommands:
  put FILE...              create or replace schedules (WorkflowSchedule JSON objects, or arrays of them)
  ls [--workflow NAME]     list schedules
  get NAME                 show a schedule
  rm NAME...               delete schedules
  pause NAME [--reason R]  stop a schedule from firing
  resume NAME              fire again, from the first slot after now
  next CRON [-n N] [--zone Z] [--start MS] [--end MS]
                           preview when a cron expression fires`

// scheduleFlags are the flags every schedule subcommand takes.
type scheduleFlags struct {
	fs     *flag.FlagSet
	server *string
	output *string
}

func newScheduleFlags(sub, synopsis string, stderr io.Writer) *scheduleFlags {
	fs := newFlags("schedule "+sub, synopsis, stderr)
	return &scheduleFlags{fs: fs, server: serverFlag(fs), output: fs.String("output", "table", "table or json")}
}

// parse parses args and checks the output format and the number of
// arguments (at least min, at most max; max < 0 for any).
func (f *scheduleFlags) parse(args []string, minArgs, maxArgs int, what string) error {
	if err := f.fs.Parse(reorder(args)); err != nil {
		return err
	}
	if *f.output != "table" && *f.output != "json" {
		return fmt.Errorf("schedule %s: --output must be table or json, got %q", f.fs.Name()[len("schedule "):], *f.output)
	}
	if n := f.fs.NArg(); n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		return fmt.Errorf("%s: give %s", f.fs.Name(), what)
	}
	return nil
}

func runSchedule(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "put":
		return schedulePut(ctx, args[1:], stdout, stderr)
	case "ls", "list":
		return scheduleList(ctx, args[1:], stdout, stderr)
	case "get":
		return scheduleGet(ctx, args[1:], stdout, stderr)
	case "rm", "delete":
		return scheduleRemove(ctx, args[1:], stdout, stderr)
	case "pause":
		return schedulePause(ctx, args[1:], stdout, stderr)
	case "resume":
		return scheduleResume(ctx, args[1:], stdout, stderr)
	case "next":
		return scheduleNext(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("schedule", scheduleSynopsis, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Usage()
	if sub == "" {
		return errors.New("schedule: no subcommand given")
	}
	return fmt.Errorf("schedule: unknown subcommand %q", sub)
}

// readSchedules reads WorkflowSchedule objects from a file: one object or
// an array of them.
func readSchedules(name string) ([]*workflow.Schedule, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	trimmed := bytes.TrimSpace(data)
	var out []*workflow.Schedule
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = workflow.Decode(trimmed, &out)
	} else {
		var sc workflow.Schedule
		err = workflow.Decode(trimmed, &sc)
		out = append(out, &sc)
	}
	if err != nil {
		return nil, fmt.Errorf("%s is not a WorkflowSchedule JSON object or array of them: %w", name, err)
	}
	return out, nil
}

func schedulePut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newScheduleFlags("put", "schedule put [flags] FILE...\n\nEach FILE holds a WorkflowSchedule JSON object (Conductor's shape) or an array of them;\na schedule of the same name is replaced.", stderr)
	if err := f.parse(args, 1, -1, "one or more files"); err != nil {
		return err
	}
	var all []*workflow.Schedule
	for _, name := range f.fs.Args() {
		scs, err := readSchedules(name)
		if err != nil {
			return err
		}
		all = append(all, scs...)
	}
	c := client.New(*f.server)
	var saved []*workflow.Schedule
	for _, sc := range all {
		out, err := c.SaveSchedule(ctx, sc)
		if err != nil {
			return fmt.Errorf("save schedule %s: %w", sc.Name, err)
		}
		saved = append(saved, out)
	}
	return writeSchedules(stdout, *f.output, saved)
}

func scheduleList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newScheduleFlags("ls", "schedule ls [flags]", stderr)
	flow := f.fs.String("workflow", "", "only the schedules of this workflow")
	if err := f.parse(args, 0, 0, "no arguments (filter with --workflow)"); err != nil {
		return err
	}
	list, err := client.New(*f.server).Schedules(ctx, *flow)
	if err != nil {
		return err
	}
	return writeSchedules(stdout, *f.output, list)
}

func scheduleGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newScheduleFlags("get", "schedule get [flags] NAME", stderr)
	if err := f.parse(args, 1, 1, "exactly one schedule name"); err != nil {
		return err
	}
	sc, err := client.New(*f.server).Schedule(ctx, f.fs.Arg(0))
	if err != nil {
		return err
	}
	if *f.output == "json" {
		return writeIndented(stdout, sc)
	}
	return writeSchedules(stdout, "table", []*workflow.Schedule{sc})
}

func scheduleRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newScheduleFlags("rm", "schedule rm [flags] NAME...", stderr)
	if err := f.parse(args, 1, -1, "one or more schedule names"); err != nil {
		return err
	}
	c := client.New(*f.server)
	return eachSchedule(ctx, f, stdout, func(name string) error { return c.DeleteSchedule(ctx, name) })
}

func schedulePause(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newScheduleFlags("pause", "schedule pause [flags] NAME...", stderr)
	reason := f.fs.String("reason", "", "why it is paused (kept as pausedReason)")
	if err := f.parse(args, 1, -1, "one or more schedule names"); err != nil {
		return err
	}
	c := client.New(*f.server)
	return eachSchedule(ctx, f, stdout, func(name string) error { return c.PauseSchedule(ctx, name, *reason) })
}

func scheduleResume(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newScheduleFlags("resume", "schedule resume [flags] NAME...", stderr)
	if err := f.parse(args, 1, -1, "one or more schedule names"); err != nil {
		return err
	}
	c := client.New(*f.server)
	return eachSchedule(ctx, f, stdout, func(name string) error { return c.ResumeSchedule(ctx, name) })
}

// scheduleResult is one line of the output of rm, pause and resume.
type scheduleResult struct {
	Name  string `json:"name"`
	Error string `json:"error,omitempty"`
}

// eachSchedule applies do to every named schedule and prints a result
// line for each, as the execution operations do.
func eachSchedule(ctx context.Context, f *scheduleFlags, stdout io.Writer, do func(name string) error) error {
	results := []scheduleResult{}
	failed := 0
	for _, name := range f.fs.Args() {
		r := scheduleResult{Name: name}
		if err := do(name); err != nil {
			if ctx.Err() != nil {
				return err
			}
			r.Error = err.Error()
			failed++
		}
		results = append(results, r)
	}
	if *f.output == "json" {
		if err := writeIndented(stdout, results); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCHEDULE\tRESULT")
		for _, r := range results {
			result := "ok"
			if r.Error != "" {
				result = r.Error
			}
			fmt.Fprintf(tw, "%s\t%s\n", r.Name, result)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%s: %d of %d failed", f.fs.Name(), failed, len(results))
	}
	return nil
}

// nextTime is one instant of schedule next's JSON output.
type nextTime struct {
	EpochMillis int64  `json:"epochMillis"`
	Time        string `json:"time"`
}

func scheduleNext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newScheduleFlags("next", "schedule next [flags] CRON\n\nCRON is a Spring cron expression with seconds, quoted: \"0 0 9 * * MON-FRI\".", stderr)
	n := f.fs.Int("n", 5, "how many instants (1-1000)")
	zone := f.fs.String("zone", "UTC", "IANA time zone the expression is read in")
	start := f.fs.Int64("start", 0, "earliest instant, Unix milliseconds (0: now)")
	end := f.fs.Int64("end", 0, "latest instant, Unix milliseconds (0: none)")
	if err := f.parse(args, 1, 1, "exactly one cron expression, quoted"); err != nil {
		return err
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		// The server says what is wrong with the zone; show its words.
		loc = time.UTC
	}
	times, err := client.New(*f.server).NextScheduleTimes(ctx, f.fs.Arg(0), *zone, *start, *end, *n)
	if err != nil {
		return err
	}
	out := make([]nextTime, len(times))
	for i, ms := range times {
		out[i] = nextTime{EpochMillis: ms, Time: time.UnixMilli(ms).In(loc).Format(time.RFC3339)}
	}
	if *f.output == "json" {
		return writeIndented(stdout, out)
	}
	for _, t := range out {
		fmt.Fprintln(stdout, t.Time)
	}
	return nil
}

// writeSchedules prints schedules as a table or as a JSON array.
func writeSchedules(w io.Writer, output string, list []*workflow.Schedule) error {
	if output == "json" {
		if list == nil {
			list = []*workflow.Schedule{}
		}
		return writeIndented(w, list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tWORKFLOW\tCRON\tZONE\tSTATE\tNEXT RUN\tLAST RUN\tLAST ERROR")
	for _, sc := range list {
		zone := sc.ZoneID
		if zone == "" {
			zone = "UTC"
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		flow := ""
		if sc.StartWorkflowRequest != nil {
			flow = sc.StartWorkflowRequest.Name
		}
		state := "active"
		if sc.Paused {
			state = "paused"
			if sc.PausedReason != "" {
				state += " (" + sc.PausedReason + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", sc.Name, flow, sc.CronExpression, zone, state,
			when(sc.NextRunTime, loc), when(sc.LastScheduledTime, loc), dash(sc.LastError))
	}
	return tw.Flush()
}

// when formats Unix milliseconds in a zone; "-" for none.
func when(ms int64, loc *time.Location) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).In(loc).Format(time.RFC3339)
}
