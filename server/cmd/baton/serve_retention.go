package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/batonhq/baton/server"
)

// retentionFlags declares serve's retention and archive flags and returns
// what sets them into a server.Config once they are parsed.
func retentionFlags(fs *flag.FlagSet) func(*server.Config) error {
	age := fs.String("retention", env("BATON_RETENTION", "0"),
		"remove executions that ended longer ago than this, such as 720h; 0 keeps them (env BATON_RETENTION)")
	byName := &retentionByName{}
	if v := env("BATON_RETENTION_FOR", ""); v != "" {
		for _, f := range strings.Split(v, ",") {
			if err := byName.Set(strings.TrimSpace(f)); err != nil {
				// Reported when the flags are applied, with the variable's name.
				byName.envErr = fmt.Errorf("BATON_RETENTION_FOR: %w", err)
				break
			}
		}
	}
	fs.Var(byName, "retention-for",
		"NAME=DURATION: the retention of one workflow name instead of --retention (0 keeps them forever); repeatable (env BATON_RETENTION_FOR, comma-separated)")
	dir := fs.String("archive-dir", env("BATON_ARCHIVE_DIR", ""),
		"write executions here (JSON lines, a file per day) before retention removes them, and when a removal asks to archive (env BATON_ARCHIVE_DIR)")
	return func(cfg *server.Config) error {
		if byName.envErr != nil {
			return byName.envErr
		}
		d, err := time.ParseDuration(*age)
		if err != nil || d < 0 {
			return fmt.Errorf("--retention: %q is not a duration such as 720h (or 0 to keep executions)", *age)
		}
		cfg.Retention, cfg.RetentionByName, cfg.ArchiveDir = d, byName.ages, *dir
		return nil
	}
}

// retentionByName is the value of --retention-for.
type retentionByName struct {
	ages   map[string]time.Duration
	envErr error
}

func (r *retentionByName) String() string {
	var parts []string
	for name, d := range r.ages {
		parts = append(parts, name+"="+d.String())
	}
	return strings.Join(parts, ",")
}

func (r *retentionByName) Set(v string) error {
	name, text, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("%q is not NAME=DURATION, such as orders=2160h", v)
	}
	d, err := time.ParseDuration(text)
	if err != nil || d < 0 {
		return fmt.Errorf("%q: %q is not a duration such as 2160h (or 0 to keep them)", v, text)
	}
	if r.ages == nil {
		r.ages = map[string]time.Duration{}
	}
	r.ages[name] = d
	return nil
}
