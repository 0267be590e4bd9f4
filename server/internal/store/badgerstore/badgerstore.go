package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/server/internal/store"
)

var _ store.Store = (*Store)(nil)

// Options configure a Store.
type Options struct {
	// Dir is the data directory. Required unless InMemory.
	Dir string
	// InMemory keeps everything in memory and nothing on disk (tests, and
	// the in-process server of sdk/batontest). Dir must then be empty.
	InMemory bool
	// Sync makes each group commit wait for an fsync of Badger's write-ahead
	// log (SyncWrites), so an acknowledged commit survives power loss. The
	// server turns it on by default. Without it a commit survives a crash of
	// the process, not of the machine.
	Sync bool
	// Logger receives Badger's warnings and errors and the store's own
	// notes. Defaults to discarding them.
	Logger *slog.Logger
	// ValueLogGCInterval is how often value-log GC looks for space to
	// reclaim (value_log_gc.go). Default DefaultValueLogGCInterval;
	// negative turns it off. Ignored with InMemory.
	ValueLogGCInterval time.Duration
}

// DefaultValueLogGCInterval is the default of Options.ValueLogGCInterval.
const DefaultValueLogGCInterval = 5 * time.Minute

// gcInterval is the value-log GC interval, 0 for none.
func (o *Options) gcInterval() time.Duration {
	switch {
	case o.InMemory || o.ValueLogGCInterval < 0:
		return 0
	case o.ValueLogGCInterval == 0:
		return DefaultValueLogGCInterval
	}
	return o.ValueLogGCInterval
}

func (o *Options) validate() error {
	switch {
	case o.InMemory && o.Dir != "":
		return fmt.Errorf("badgerstore: Dir must be empty with InMemory (got %q)", o.Dir)
	case !o.InMemory && o.Dir == "":
		return errors.New("badgerstore: Dir is required unless InMemory is set")
	}
	return nil
}

// Store is the Badger implementation of store.Store.
type Store struct {
	db     *badger.DB
	logger *slog.Logger
	// maxValueSize bounds one encoded record, 0 for no bound of ours.
	maxValueSize int
	// searchCap bounds the candidates a search checks out of order
	// (search.go); 0 for defaultSearchCap. Tests lower it to reach every
	// plan with few executions.
	searchCap int

	// calls feeds the committer. closeMu is held for reading while a call
	// is sent, so that Close can close the channel once no one sends.
	calls   chan *call
	closeMu sync.RWMutex
	closed  bool

	// pluginMu orders the writes of plugin records; pluginKVMu keeps
	// key-value writes apart from the deletion of a plugin, and
	// pluginKVLocks the key-value writes of one plugin apart from one
	// another (plugin.go).
	pluginMu      sync.Mutex
	pluginKVMu    sync.RWMutex
	pluginKVLocks [16]sync.Mutex

	committerDone chan struct{}
	stopGC        chan struct{}
	gcDone        chan struct{}
}

// Open opens the store, creating the data directory if needed. See Options.
func Open(opts Options) (*Store, error) { return openWith(opts, nil) }

// openWith is Open with a change to Badger's options (tests).
func openWith(opts Options, tweak func(badger.Options) badger.Options) (*Store, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "badgerstore")

	bopts := badger.DefaultOptions(opts.Dir).
		WithInMemory(opts.InMemory).
		WithSyncWrites(opts.Sync).
		WithLogger(badgerLogger{logger})
	if tweak != nil {
		bopts = tweak(bopts)
	}
	db, err := openDB(bopts, logger)
	if err != nil {
		return nil, err
	}

	s := &Store{
		db:            db,
		logger:        logger,
		maxValueSize:  maxValueSize(opts),
		calls:         make(chan *call, maxBatchCalls),
		committerDone: make(chan struct{}),
		stopGC:        make(chan struct{}),
		gcDone:        make(chan struct{}),
	}
	if err := s.backfillIndexes(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := s.backfillTaskIndexes(); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	go s.commitLoop()
	if interval := opts.gcInterval(); interval > 0 {
		go s.valueLogGCLoop(interval)
	} else {
		close(s.gcDone)
	}
	// A crash may have interrupted the removal of a large execution:
	// finish it before anyone can read the store.
	if err := s.finishRemovals(context.Background()); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	// Or an upload of a plugin between its module and its version.
	if err := s.cleanModuleChunks(context.Background()); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// maxValueSize is the largest record Badger accepts in memory: less than
// its value threshold, which cannot exceed 1 MiB (a value of exactly the
// threshold passes Badger's check in memory but makes its write to the
// memtable panic, as if it were to go to a value log). On disk larger
// values go to the value log, and only a whole transaction is bounded
// (ErrTxnTooBig).
func maxValueSize(opts Options) int {
	if opts.InMemory {
		return 1<<20 - 1
	}
	return 0
}

// Close stops accepting commits, waits until every commit already accepted
// is written and answered, stops value-log GC and closes Badger.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	close(s.calls)
	s.closeMu.Unlock()

	<-s.committerDone
	close(s.stopGC)
	<-s.gcDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close badger: %w", err)
	}
	return nil
}

// badgerLogger passes Badger's warnings and errors to slog and drops its
// chatty informational and debug lines.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(format string, args ...any) {
	b.l.Error(strings.TrimSpace(fmt.Sprintf(format, args...)), "source", "badger")
}

func (b badgerLogger) Warningf(format string, args ...any) {
	b.l.Warn(strings.TrimSpace(fmt.Sprintf(format, args...)), "source", "badger")
}

func (badgerLogger) Infof(string, ...any)  {}
func (badgerLogger) Debugf(string, ...any) {}
