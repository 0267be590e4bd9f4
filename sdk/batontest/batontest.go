// Package batontest runs a real Baton server inside a test process, on a
// temporary directory and a free loopback port, so that users can test their
// workers and workflows against the real engine.
//
//	func TestGreeting(t *testing.T) {
//		srv := batontest.New(t)
//		c := srv.Client() // or any HTTP client at srv.URL()
//		...
//	}
//
// It is the one package under sdk that imports the server: embedding the
// server is its whole purpose.
package batontest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/server"
)

// Server is an in-process Baton server.
type Server struct {
	srv *server.Server
	dir string
	own bool // whether dir was made by Start and is removed by Close
}

// Options configure Start. The zero value is a server on a new temporary
// directory with fsync off (tests need no power-loss durability).
type Options struct {
	// DataDir keeps the store here instead of in a new temporary directory.
	DataDir string
	// Sync turns on the fsync of every group commit.
	Sync bool
	// PluginCacheDir keeps compiled Wasm plugins here instead of in the
	// data directory, so that tests can share it.
	PluginCacheDir string
}

// Start starts a server. Close it when done.
func Start(opts Options) (*Server, error) {
	s := &Server{dir: opts.DataDir}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "batontest-")
		if err != nil {
			return nil, err
		}
		s.dir, s.own = dir, true
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", DataDir: s.dir, NoSync: !opts.Sync, PluginCacheDir: opts.PluginCacheDir})
	if err != nil {
		s.cleanup()
		return nil, err
	}
	if err := srv.Start(context.Background()); err != nil {
		srv.Stop(context.Background())
		s.cleanup()
		return nil, err
	}
	s.srv = srv
	return s, nil
}

// New starts a server for a test and closes it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start(Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("batontest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("batontest: close: %v", err)
		}
	})
	return s
}

// URL is the server's base URL, such as "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.srv.URL() }

// Client returns a client of the server.
func (s *Server) Client() *client.Client { return client.New(s.URL()) }

// Close stops the server and removes its temporary directory.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Stop(ctx)
	s.cleanup()
	return err
}

func (s *Server) cleanup() {
	if s.own {
		os.RemoveAll(s.dir)
	}
}
