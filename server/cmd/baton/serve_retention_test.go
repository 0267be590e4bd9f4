package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server"
)

func TestRetentionFlags(t *testing.T) {
	parse := func(args ...string) (server.Config, error) {
		fs := newFlags("serve", "serve", io.Discard)
		apply := retentionFlags(fs)
		var cfg server.Config
		if err := fs.Parse(args); err != nil {
			return cfg, err
		}
		return cfg, apply(&cfg)
	}
	cfg, err := parse("--retention", "720h", "--retention-for", "audit=8760h", "--retention-for", "keep=0", "--archive-dir", "/var/baton/archive")
	require.NoError(t, err)
	require.Equal(t, 720*time.Hour, cfg.Retention)
	require.Equal(t, map[string]time.Duration{"audit": 8760 * time.Hour, "keep": 0}, cfg.RetentionByName)
	require.Equal(t, "/var/baton/archive", cfg.ArchiveDir)

	_, err = parse("--retention", "a month")
	require.ErrorContains(t, err, `--retention: "a month" is not a duration`)
	_, err = parse("--retention-for", "audit")
	require.ErrorContains(t, err, "is not NAME=DURATION")
	_, err = parse("--retention-for", "audit=-1h")
	require.ErrorContains(t, err, "is not a duration")

	t.Setenv("BATON_RETENTION", "24h")
	t.Setenv("BATON_RETENTION_FOR", "a=1h, b=2h")
	cfg, err = parse()
	require.NoError(t, err)
	require.Equal(t, 24*time.Hour, cfg.Retention)
	require.Equal(t, map[string]time.Duration{"a": time.Hour, "b": 2 * time.Hour}, cfg.RetentionByName)
	t.Setenv("BATON_RETENTION_FOR", "a")
	_, err = parse()
	require.ErrorContains(t, err, "BATON_RETENTION_FOR")
}
