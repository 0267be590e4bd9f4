package badgerstore

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// openRetries is how many times Open is retried after a power cut left
// empty log files behind.
const openRetries = 3

// Badger wraps its errors with %v, not %w, so they are recognised by text.
const (
	// errTextNewFile is z.NewFile's message: Badger found an empty memtable
	// (.mem) or value log (.vlog) file, as a power cut leaves them
	// (dgraph-io/badger#2207).
	errTextNewFile = "Create a new file"
	// errTextLocked is in the error of a directory another process holds.
	errTextLocked = "Cannot acquire directory lock"
)

// openDB opens Badger. When a power cut left zero-length .mem or .vlog
// files, Badger refuses to open (the file is new to it, which it reports as
// an error); such files hold nothing, so they are removed and the open is
// retried. Badger resizes a file it fails on, so a retry may succeed even
// when nothing is left to remove.
func openDB(opts badger.Options, logger *slog.Logger) (*badger.DB, error) {
	for attempt := 0; ; attempt++ {
		db, err := badger.Open(opts)
		switch {
		case err == nil:
			return db, nil
		case strings.Contains(err.Error(), errTextLocked):
			return nil, fmt.Errorf("data directory %s is in use by another Baton process; stop it or choose another directory: %w", opts.Dir, err)
		case opts.InMemory || attempt == openRetries || !strings.Contains(err.Error(), errTextNewFile):
			return nil, fmt.Errorf("open data directory %s: %w", opts.Dir, err)
		}
		removed, rerr := removeEmptyLogFiles(opts.Dir)
		if rerr != nil {
			return nil, fmt.Errorf("open data directory %s: %w (while removing empty log files: %w)", opts.Dir, err, rerr)
		}
		logger.Warn("data directory was not closed cleanly (power loss?); retrying open",
			"dir", opts.Dir, "attempt", attempt+1, "removed", removed, "err", err)
	}
}

// removeEmptyLogFiles removes the zero-length *.mem and *.vlog files in dir
// and returns their names.
func removeEmptyLogFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	removed := []string{}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || (filepath.Ext(name) != ".mem" && filepath.Ext(name) != ".vlog") {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if info.Size() != 0 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, name)
	}
	return removed, errors.Join(errs...)
}
