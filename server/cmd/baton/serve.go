package main

import (
	"context"
	"io"
	"log/slog"

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
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return server.Run(ctx, server.Config{Addr: *addr, DataDir: *dir, NoSync: !sync, Logger: logger})
}
