package badgerstore

import (
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// valueLogGCLoop reclaims value-log space, which Badger leaves to the
// application, until Close. Values under Badger's ValueThreshold (1 MiB)
// live in the LSM tree and never need it; larger ones do.
func (s *Store) valueLogGCLoop(interval time.Duration) {
	defer close(s.gcDone)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-s.stopGC:
			return
		case <-ticker.C:
			s.runValueLogGC()
		}
	}
}

// runValueLogGC rewrites value-log files while at least half of one is
// garbage, as Badger's documentation advises.
func (s *Store) runValueLogGC() {
	for {
		select {
		case <-s.stopGC:
			return
		default:
		}
		err := s.db.RunValueLogGC(0.5)
		switch {
		case err == nil:
			continue
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
		default:
			s.logger.Warn("value log GC failed", "err", err)
		}
		return
	}
}
