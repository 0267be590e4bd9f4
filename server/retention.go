package server

import (
	"fmt"

	"github.com/batonhq/baton/server/internal/archive"
	"github.com/batonhq/baton/server/internal/engine"
)

// housekeeping is the removal of old executions: the archive they are
// written to first, and the background retention. Either may be absent.
type housekeeping struct {
	archive   *archive.Writer
	retention *engine.Retention
}

// archiver returns the engine's archive, nil without ArchiveDir.
func (h *housekeeping) archiver() engine.Archiver {
	if h.archive == nil {
		return nil // not a nil *archive.Writer in an interface
	}
	return h.archive
}

// openArchive opens the archive of cfg.ArchiveDir, if any.
func openArchive(cfg Config) (*housekeeping, error) {
	h := &housekeeping{}
	if cfg.ArchiveDir == "" {
		return h, nil
	}
	w, err := archive.Open(archive.Config{Dir: cfg.ArchiveDir})
	if err != nil {
		return nil, err
	}
	h.archive = w
	return h, nil
}

// newRetention prepares the retention of cfg over e, if any age is set.
// With an archive, every execution is archived before it is removed.
func (h *housekeeping) newRetention(cfg Config, e *engine.Engine) error {
	if cfg.Retention == 0 && len(cfg.RetentionByName) == 0 {
		return nil
	}
	r, err := engine.NewRetention(e, engine.RetentionConfig{
		Age: cfg.Retention, ByName: cfg.RetentionByName, Archive: h.archive != nil, Logger: cfg.Logger,
	})
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	h.retention = r
	return nil
}

func (h *housekeeping) stopRetention() {
	if h.retention != nil {
		h.retention.Stop()
	}
}

func (h *housekeeping) close() error {
	if h.archive != nil {
		return h.archive.Close()
	}
	return nil
}
