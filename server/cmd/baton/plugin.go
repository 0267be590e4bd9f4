package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/batonhq/baton/sdk/client"
)

func init() {
	commands["plugin"] = command{"manage WebAssembly plugins: plugin push|ls|get|versions|enable|disable|rm", runPlugin}
}

const pluginSynopsis = `plugin SUBCOMMAND [flags]

Subcommands:
  push FILE.wasm [--manifest plugin.json]
                                 upload a module as the plugin's next version, active and enabled
                                 (the manifest defaults to plugin.json beside FILE.wasm)
  ls                             list plugins: the active version of each
  get NAME [--version N]         show a version of a plugin with its manifest (the active one by default)
  versions NAME                  list the versions of a plugin
  enable NAME [--version N]      let a plugin run; --version makes that version the active one
  disable NAME                   stop a plugin from running (its versions are kept)
  rm NAME [--version N]          delete a version, or the plugin with all its versions and data`

// pluginFlags are the flags every plugin subcommand takes.
type pluginFlags struct {
	fs     *flag.FlagSet
	server *string
	output *string
}

func newPluginFlags(sub, synopsis string, stderr io.Writer) *pluginFlags {
	return newPluginFlagsOutput(sub, synopsis, "table", stderr)
}

func newPluginFlagsOutput(sub, synopsis, output string, stderr io.Writer) *pluginFlags {
	fs := newFlags("plugin "+sub, synopsis, stderr)
	return &pluginFlags{fs: fs, server: serverFlag(fs), output: fs.String("output", output, "table or json")}
}

// parse parses args and checks the output format and that there are n
// arguments.
func (f *pluginFlags) parse(args []string, n int, what string) error {
	if err := f.fs.Parse(reorder(args)); err != nil {
		return err
	}
	if *f.output != "table" && *f.output != "json" {
		return fmt.Errorf("%s: --output must be table or json, got %q", f.fs.Name(), *f.output)
	}
	if f.fs.NArg() != n {
		return fmt.Errorf("%s: give %s", f.fs.Name(), what)
	}
	return nil
}

func runPlugin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "push":
		return pluginPush(ctx, args[1:], stdout, stderr)
	case "ls", "list":
		return pluginList(ctx, args[1:], stdout, stderr)
	case "get":
		return pluginGet(ctx, args[1:], stdout, stderr)
	case "versions":
		return pluginVersions(ctx, args[1:], stdout, stderr)
	case "enable":
		return pluginEnable(ctx, args[1:], stdout, stderr)
	case "disable":
		return pluginDisable(ctx, args[1:], stdout, stderr)
	case "rm", "delete":
		return pluginRemove(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("plugin", pluginSynopsis, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fs.Usage()
	if sub == "" {
		return errors.New("plugin: no subcommand given")
	}
	return fmt.Errorf("plugin: unknown subcommand %q", sub)
}

func pluginPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newPluginFlags("push", "plugin push [flags] FILE.wasm\n\nUploads the module as the next version of the plugin its manifest names; the server checks it\n(size, manifest, ABI), makes it the active version and enables the plugin at once.", stderr)
	manifestPath := f.fs.String("manifest", "", "the plugin's manifest (default: plugin.json in the directory of FILE.wasm)")
	if err := f.parse(args, 1, "exactly one .wasm file"); err != nil {
		return err
	}
	modulePath := f.fs.Arg(0)
	if *manifestPath == "" {
		*manifestPath = filepath.Join(filepath.Dir(modulePath), "plugin.json")
	}
	info, err := os.Stat(modulePath)
	if err != nil {
		return err
	}
	if info.Size() > client.MaxPluginBytes {
		return fmt.Errorf("%s is %d bytes; a plugin module may be at most %d", modulePath, info.Size(), client.MaxPluginBytes)
	}
	module, err := os.ReadFile(modulePath)
	if err != nil {
		return err
	}
	manifest, err := os.ReadFile(*manifestPath)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no manifest: %s does not exist; write the plugin's plugin.json there or name it with --manifest", *manifestPath)
	}
	if err != nil {
		return err
	}
	p, created, err := client.New(*f.server).PushPlugin(ctx, module, manifest)
	if err != nil {
		return fmt.Errorf("push %s: %w", modulePath, err)
	}
	if *f.output == "json" {
		return writeIndented(stdout, p)
	}
	if created {
		fmt.Fprintf(stdout, "plugin %s version %d uploaded (%s), active and enabled\n", p.Name, p.Version, p.Digest)
	} else {
		fmt.Fprintf(stdout, "plugin %s version %d is this module and manifest already (%s); nothing uploaded\n", p.Name, p.Version, p.Digest)
	}
	return nil
}

func pluginList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newPluginFlags("ls", "plugin ls [flags]", stderr)
	if err := f.parse(args, 0, "no arguments"); err != nil {
		return err
	}
	list, err := client.New(*f.server).Plugins(ctx)
	if err != nil {
		return err
	}
	if *f.output == "json" {
		return writeIndented(stdout, list)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tENABLED\tDIGEST\tTASK TYPES\tWORKERS")
	for _, p := range list {
		enabled := yesNo(p.Enabled)
		if p.Enabled && p.OverCeiling != "" {
			enabled = "yes, not run: over the server's ceilings"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", p.Name, p.Version, enabled, shortDigest(p.Digest),
			dash(strings.Join(p.TaskTypes, ",")), dash(strings.Join(p.Workers, ",")))
	}
	return tw.Flush()
}

func pluginGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newPluginFlagsOutput("get", "plugin get [flags] NAME", "json", stderr)
	version := f.fs.Int("version", 0, "the version (default: the active one)")
	if err := f.parse(args, 1, "exactly one plugin name"); err != nil {
		return err
	}
	p, err := client.New(*f.server).Plugin(ctx, f.fs.Arg(0), *version)
	if err != nil {
		return err
	}
	if *f.output == "table" {
		return writeVersions(stdout, []*client.Plugin{p})
	}
	return writeIndented(stdout, p)
}

func pluginVersions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newPluginFlags("versions", "plugin versions [flags] NAME", stderr)
	if err := f.parse(args, 1, "exactly one plugin name"); err != nil {
		return err
	}
	list, err := client.New(*f.server).PluginVersions(ctx, f.fs.Arg(0))
	if err != nil {
		return err
	}
	if *f.output == "json" {
		return writeIndented(stdout, list)
	}
	return writeVersions(stdout, list)
}

// writeVersions prints versions of plugins as a table.
func writeVersions(w io.Writer, list []*client.Plugin) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSTATE\tDIGEST\tSIZE\tUPLOADED\tTASK TYPES\tWORKERS")
	for _, p := range list {
		state := "-"
		switch {
		case p.Active && p.Enabled && p.OverCeiling != "":
			state = "active, over the server's ceilings"
		case p.Active && p.Enabled:
			state = "active"
		case p.Active:
			state = "active, disabled"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", p.Name, p.Version, state, shortDigest(p.Digest), p.Size,
			when(p.CreatedTime, time.Local), dash(strings.Join(p.TaskTypes, ",")), dash(strings.Join(p.Workers, ",")))
	}
	return tw.Flush()
}

func pluginEnable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newPluginFlags("enable", "plugin enable [flags] NAME", stderr)
	version := f.fs.Int("version", 0, "make this version the active one (default: keep the active one)")
	if err := f.parse(args, 1, "exactly one plugin name"); err != nil {
		return err
	}
	p, err := client.New(*f.server).EnablePlugin(ctx, f.fs.Arg(0), *version)
	if err != nil {
		return err
	}
	if *f.output == "json" {
		return writeIndented(stdout, p)
	}
	fmt.Fprintf(stdout, "plugin %s enabled, version %d active\n", p.Name, p.Version)
	return nil
}

func pluginDisable(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newPluginFlags("disable", "plugin disable [flags] NAME", stderr)
	if err := f.parse(args, 1, "exactly one plugin name"); err != nil {
		return err
	}
	p, err := client.New(*f.server).DisablePlugin(ctx, f.fs.Arg(0))
	if err != nil {
		return err
	}
	if *f.output == "json" {
		return writeIndented(stdout, p)
	}
	fmt.Fprintf(stdout, "plugin %s disabled (version %d stays the active one)\n", p.Name, p.Version)
	return nil
}

func pluginRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newPluginFlags("rm", "plugin rm [flags] NAME\n\nDeletes the plugin with all its versions and key-value data, or one version with --version.\nRefused while running workflows have tasks the plugin serves.", stderr)
	version := f.fs.Int("version", 0, "delete only this version")
	if err := f.parse(args, 1, "exactly one plugin name"); err != nil {
		return err
	}
	name := f.fs.Arg(0)
	if err := client.New(*f.server).DeletePlugin(ctx, name, *version); err != nil {
		return err
	}
	if *version != 0 {
		fmt.Fprintf(stdout, "plugin %s version %d deleted\n", name, *version)
	} else {
		fmt.Fprintf(stdout, "plugin %s deleted\n", name)
	}
	return nil
}

// shortDigest cuts a digest to its algorithm and 12 hex digits.
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return algo + ":" + hex[:12]
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
