package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/batonhq/baton/server"
)

func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	sync, err := envBool("BATON_SYNC", true)
	if err != nil {
		return err
	}
	fs := newFlags("serve", "serve [flags]", stderr)
	addr := fs.String("addr", env("BATON_ADDR", "127.0.0.1:8080"), "address to listen on (env BATON_ADDR)")
	dir := fs.String("data-dir", env("BATON_DATA_DIR", "./baton-data"), "directory of the embedded store (env BATON_DATA_DIR)")
	fs.BoolVar(&sync, "sync", sync, "fsync every group commit; false survives a process crash but not a power loss (env BATON_SYNC)")
	allow := fs.String("http-allow", env("BATON_HTTP_ALLOW", ""), "comma-separated networks HTTP tasks and plugins may call although internal, e.g. 127.0.0.1/32,10.0.0.0/8 (env BATON_HTTP_ALLOW)")
	listenerURL := fs.String("listener-url", env("BATON_LISTENER_URL", ""), "default webhook for workflow and task status events of definitions with workflowStatusListenerEnabled and no workflowStatusListenerSink (env BATON_LISTENER_URL)")
	listenerSecret := fs.String("listener-secret", env("BATON_LISTENER_SECRET", ""), "secret signing status events (Baton-Signature: t=...,v1=HMAC-SHA256 of \"<t>.<body>\"); prefer the env BATON_LISTENER_SECRET, which ps does not show")
	attempts, err := envInt("BATON_LISTENER_ATTEMPTS", 10)
	if err != nil {
		return err
	}
	fs.IntVar(&attempts, "listener-attempts", attempts, "attempts to deliver a status event before it goes to the dead letters (env BATON_LISTENER_ATTEMPTS)")
	retention := retentionFlags(fs)
	plugins := servePluginFlags(fs)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server to this file until it stops (baton bench -cpuprofile)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	nets, err := parsePrefixes(*allow)
	if err != nil {
		return err
	}
	if attempts < 1 {
		return fmt.Errorf("--listener-attempts is %d; it must be 1 or more", attempts)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := server.Config{
		Addr: *addr, DataDir: *dir, NoSync: !sync, Logger: logger, HTTPAllow: nets,
		ListenerURL: *listenerURL, ListenerSecret: *listenerSecret, ListenerAttempts: attempts,
	}
	if err := retention(&cfg); err != nil {
		return err
	}
	if err := plugins(&cfg); err != nil {
		return err
	}
	return server.Run(ctx, cfg)
}

// startCPUProfile profiles the process's CPU into a file; stop writes it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// parsePrefixes reads a comma-separated list of networks; a bare address
// is a network of one.
func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("--http-allow: %q is not a network (such as 10.0.0.0/8) or an address", f)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// envInt parses an integer environment variable.
func envInt(name string, def int) (int, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, fmt.Errorf("%s=%q: want a whole number", name, v)
	}
	return n, nil
}
