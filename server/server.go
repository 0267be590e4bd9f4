// Package server is Baton's composition root: it opens the store, starts the
// engine and the workflow scheduler, and serves the API (Connect, gRPC,
// gRPC-Web and the Conductor-compatible REST layer) on one port.
//
//	s, err := server.New(server.Config{DataDir: "./baton-data"})
//	...
//	err = s.Start(ctx)
//	defer s.Stop(context.Background())
//
// The CLI (server/cmd/baton) and sdk/batontest both build on it.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/batonhq/baton/server/internal/api"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/httpcall"
	"github.com/batonhq/baton/server/internal/listener"
	"github.com/batonhq/baton/server/internal/scheduler"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
	"github.com/batonhq/baton/server/internal/ui"
	"github.com/batonhq/baton/server/internal/ui/live"
	"github.com/batonhq/baton/wasm"
)

// Config configures a Server.
type Config struct {
	// Addr is the address to listen on. Default "127.0.0.1:8080"; use
	// "127.0.0.1:0" for any free port.
	Addr string
	// DataDir is where the embedded store keeps its files. Default
	// "./baton-data". Ignored with InMemory.
	DataDir string
	// InMemory keeps everything in memory (for tests); nothing survives.
	InMemory bool
	// NoSync turns off the fsync of each group commit. Acknowledged work
	// then survives a crash of the process but not a power loss.
	NoSync bool
	// MaxBodyBytes bounds every request body. Default 4 MiB.
	MaxBodyBytes int64
	// Logger receives the server's log. Default: discard.
	Logger *slog.Logger
	// HTTPAllow lists internal networks (loopback, private, link-local)
	// that HTTP tasks and plugins' http_fetch may call; by default they may
	// call none, so that a workflow or a plugin cannot reach the server's
	// own network (SSRF).
	HTTPAllow []netip.Prefix
	// ListenerURL receives the status events (see package listener) of
	// definitions with workflowStatusListenerEnabled and no
	// workflowStatusListenerSink. Empty: only definitions with a sink send
	// events. Calls to it obey HTTPAllow like HTTP tasks.
	ListenerURL string
	// ListenerSecret signs every status event: the Baton-Signature header,
	// HMAC-SHA256 over "<timestamp>.<body>". Empty: unsigned.
	ListenerSecret string
	// ListenerAttempts is how many times an event is tried before it goes
	// to the dead-letter list. Default 10.
	ListenerAttempts int
	// ListenerBackoff is the wait before an event's first retry; it
	// doubles with each retry, up to 5 minutes, with jitter. Default 1s.
	ListenerBackoff time.Duration
	// Retention removes, in the background, the executions that ended
	// longer ago than it. Default 0: keep them.
	Retention time.Duration
	// RetentionByName gives the executions of a workflow name an age of
	// their own instead of Retention (0 keeps them forever).
	RetentionByName map[string]time.Duration
	// PluginCacheDir keeps the compiled code of Wasm plugins, so that a
	// restart loads them at once instead of compiling them again. Default:
	// wasm-cache in DataDir; with InMemory and no PluginCacheDir, plugins
	// are compiled at every start.
	PluginCacheDir string
	// PluginCeilings bound what uploaded plugins' manifests may claim (their
	// memory, timeout, concurrency and key-value data): an upload over one
	// is refused, and a stored plugin over one is kept but not run.
	// Default: the bounds of wasm.Limits only.
	PluginCeilings wasm.Ceilings
	// PluginCPUSlots is how many plugin calls run guest code at once, all
	// plugins together: the share of the machine's cores plugins may take
	// (Conductor's system task worker threads). Default (0): GOMAXPROCS-1,
	// at least 1, so that a core always stays for the engine and the API.
	PluginCPUSlots int
	// ArchiveDir, when set, is where executions are written (JSON lines,
	// fsynced) before retention removes them, and before a removal that
	// asks for archiving. Without it, such a removal is refused.
	ArchiveDir string
}

func (c *Config) withDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DataDir == "" && !c.InMemory {
		c.DataDir = "./baton-data"
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 4 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// Server is a running Baton.
type Server struct {
	cfg    Config
	house  *housekeeping
	conns  connTracker
	store  *badgerstore.Store
	engine *engine.Engine
	sched  *scheduler.Scheduler
	hub    *live.Hub // the console's websocket hub
	http   *http.Server
	ln     net.Listener
	served chan error
}

// New opens the store and prepares the engine and the API. Nothing listens
// until Start.
func New(cfg Config) (*Server, error) {
	cfg.withDefaults()
	st, err := badgerstore.Open(badgerstore.Options{
		Dir:      cfg.DataDir,
		InMemory: cfg.InMemory,
		Sync:     !cfg.NoSync,
		Logger:   cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	house, err := openArchive(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	plugins := wasm.HostConfig{CacheDir: cfg.PluginCacheDir, AllowNetworks: cfg.HTTPAllow, GuestSlots: cfg.PluginCPUSlots}
	if plugins.CacheDir == "" && !cfg.InMemory {
		plugins.CacheDir = filepath.Join(cfg.DataDir, "wasm-cache")
	}
	e, err := engine.New(engine.Config{
		Store:          st,
		Logger:         cfg.Logger,
		HTTP:           httpcall.New(httpcall.Config{Allow: cfg.HTTPAllow}),
		Archive:        house.archiver(),
		Plugins:        plugins,
		PluginCeilings: cfg.PluginCeilings,
		Listener: listener.Config{
			URL: cfg.ListenerURL, Secret: cfg.ListenerSecret,
			MaxAttempts: cfg.ListenerAttempts, MinBackoff: cfg.ListenerBackoff,
		},
	})
	if err == nil {
		err = house.newRetention(cfg, e)
	}
	if err != nil {
		st.Close()
		house.close()
		return nil, err
	}
	sched, err := scheduler.New(scheduler.Config{Store: st, Engine: e, Logger: cfg.Logger})
	if err != nil {
		st.Close()
		house.close()
		return nil, err
	}
	hub := live.New(e, live.Options{Logger: cfg.Logger})
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s := &Server{
		cfg:    cfg,
		house:  house,
		store:  st,
		engine: e,
		sched:  sched,
		hub:    hub,
		http: &http.Server{
			Handler: api.New(e, api.Options{
				Logger: cfg.Logger, MaxBodyBytes: cfg.MaxBodyBytes, Scheduler: sched,
				Console: ui.New(e, ui.Options{Logger: cfg.Logger, MaxBodyBytes: cfg.MaxBodyBytes, Live: hub}),
			}),
			Protocols:         &protocols,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
	}
	s.http.ConnState = s.conns.track
	return s, nil
}

// Start recovers the engine's state and starts serving. It fails with a
// clear message if the address is taken.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("address %s is already in use: stop the other process or choose another address (--addr, BATON_ADDR)", s.cfg.Addr)
		}
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	if err := s.engine.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	if err := s.sched.Start(ctx); err != nil {
		s.engine.Stop()
		ln.Close()
		return err
	}
	if r := s.house.retention; r != nil {
		if err := r.Start(ctx); err != nil {
			s.sched.Stop()
			s.engine.Stop()
			ln.Close()
			return err
		}
	}
	s.ln = ln
	s.served = make(chan error, 1)
	go func() { s.served <- s.http.Serve(ln) }()
	s.cfg.Logger.Info("baton is serving", "addr", ln.Addr().String(), "data", s.dataLabel(), "plugin_cpu_slots", s.engine.PluginCPUSlots())
	return nil
}

func (s *Server) dataLabel() string {
	if s.cfg.InMemory {
		return "in memory"
	}
	return s.cfg.DataDir
}

// Addr is the address the server listens on, once started.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the base URL of the API, once started.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Stop stops serving (letting calls in flight finish until ctx ends), stops
// the engine and closes the store.
func (s *Server) Stop(ctx context.Context) error {
	var errs []error
	s.sched.Stop() // before the engine, which it starts workflows on
	s.house.stopRetention()
	if s.ln != nil {
		s.engine.Stop() // ends long-polls, so that Shutdown need not wait for them
		s.hub.Close()   // and websockets, which Shutdown does not track
		// Shutdown waits up to 5s for connections that were opened but
		// never carried a request (HTTP clients leave some behind); they
		// have nothing in flight, so close them now.
		s.conns.closeNew()
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	} else {
		s.engine.Stop()
	}
	if err := s.store.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := s.house.close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run starts a server and serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		s.Stop(context.Background())
		return err
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Stop(stopCtx)
}

// connTracker knows the connections that have not carried a request yet.
type connTracker struct {
	mu    sync.Mutex
	fresh map[net.Conn]bool
}

func (t *connTracker) track(c net.Conn, state http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if state == http.StateNew {
		if t.fresh == nil {
			t.fresh = map[net.Conn]bool{}
		}
		t.fresh[c] = true
	} else {
		delete(t.fresh, c)
	}
}

func (t *connTracker) closeNew() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.fresh {
		c.Close()
	}
}
