package wasm

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
)

// HostConfig configures a Host. The zero value works.
type HostConfig struct {
	// CacheDir keeps wazero's compiled code on disk, so that a restart
	// does not compile every plugin again; "" keeps it in memory. The
	// directory must be private to the process (wazero trusts its content).
	// Entries are keyed by the instrumented module (what is compiled), so a
	// change to Instrument compiles everything again, once.
	CacheDir string
	// LookupSecret returns the value of secret name (declared in a
	// manifest's secrets). Default: os.LookupEnv("BATON_SECRET_"+name).
	LookupSecret func(name string) (string, bool)
	// HTTPClient makes http_fetch's requests. Its CheckRedirect and Jar are
	// replaced per request. Default: a client whose dialer refuses
	// internal addresses (loopback, private, link-local, carrier-grade NAT,
	// NAT64, multicast, ...) but those in AllowNetworks, whatever a
	// manifest's allowedHosts say.
	HTTPClient *http.Client
	// AllowNetworks re-allows internal networks to the default
	// HTTPClient, as the server's --http-allow does for HTTP tasks.
	// Ignored with an HTTPClient.
	AllowNetworks []netip.Prefix
	// Logger receives what the host cannot put in a task's log.
	// Default: slog.Default().
	Logger *slog.Logger
	// GuestSlots is how many calls run guest code at once, all plugins
	// together (see sched). Default: GOMAXPROCS-1, at least 1, so that a
	// core stays for the rest of the process whatever plugins do.
	GuestSlots int
	// Slice is how long a guest runs while other calls wait for a slot
	// before it yields. Default DefaultSlice.
	Slice time.Duration
}

// Host runs plugins: one wazero runtime with WASI and the baton import
// module, and the compiled modules by digest. It is safe for concurrent use.
//
// Memory is capped per instance, not per runtime: each instance gets a
// memory allocator (wazero's experimental.WithMemoryAllocator) that refuses
// to grow past its plugin's limits.memoryMiB, so plugins with different caps
// share one runtime and one compiled module per digest.
type Host struct {
	rt           *Runtime
	cache        wazero.CompilationCache
	logger       *slog.Logger
	lookupSecret func(string) (string, bool)
	httpClient   *http.Client
	modConfig    wazero.ModuleConfig
	sched        *sched

	mu       sync.Mutex
	modules  map[string]*compiled // by digest
	compiles atomic.Int64
}

// compiled is a module compiled once for all the Plugins loaded from the
// same bytes; it is closed when the last of them is.
type compiled struct {
	ready chan struct{} // closed when mod or err is set
	mod   *Module
	err   error
	refs  int // under Host.mu
}

// Slots returns how many calls run guest code at once (HostConfig.GuestSlots
// or its default).
func (h *Host) Slots() int { return h.sched.slots }

// HostStats counts what a Host did, for tests and metrics.
type HostStats struct {
	Compiles int64 // modules instrumented and compiled (cache hits included)
	Modules  int   // compiled modules held now
	Yields   int64 // times a guest gave its CPU slot to a waiting call
	Lends    int64 // calls of a quiet plugin run at once on the lent slot
}

// NewHost makes a Host.
func NewHost(ctx context.Context, cfg HostConfig) (*Host, error) {
	h := &Host{
		logger:       cfg.Logger,
		lookupSecret: cfg.LookupSecret,
		httpClient:   cfg.HTTPClient,
		modules:      map[string]*compiled{},
		sched:        newSched(cfg.GuestSlots, cfg.Slice),
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	if h.lookupSecret == nil {
		h.lookupSecret = func(name string) (string, bool) { return os.LookupEnv("BATON_SECRET_" + name) }
	}
	if h.httpClient == nil {
		h.httpClient = defaultHTTPClient(cfg.AllowNetworks)
	}
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache in %s: %w", cfg.CacheDir, err)
		}
		h.cache = c
	} else {
		h.cache = wazero.NewCompilationCache()
	}
	// The runtime allows wasm32's whole 4 GiB; each instance's allocator
	// applies its plugin's cap.
	rt, err := makeRuntime(ctx, Config{MemoryLimitPages: 65536}, h.cache)
	if err != nil {
		_ = h.cache.Close(ctx)
		return nil, err
	}
	rt.sleep = true
	h.rt = rt
	b := rt.rt.NewHostModuleBuilder(importModule)
	for i := range hostFuncs {
		f := &hostFuncs[i]
		b.NewFunctionBuilder().WithGoModuleFunction(f.goFunc(), f.sig.params, f.sig.results).Export(f.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		_ = h.Close(ctx)
		return nil, fmt.Errorf("instantiate the %s host module: %w", importModule, err)
	}
	// Real clocks and randomness, and a real sleep cut short by the
	// call's deadline (rt.sleep, set per instance); still no files,
	// environment, arguments or sockets (wazero's defaults).
	h.modConfig = wazero.NewModuleConfig().
		WithSysWalltime().WithSysNanotime().
		WithRandSource(rand.Reader)
	return h, nil
}

// Close releases the runtime, every plugin's instances and the cache.
func (h *Host) Close(ctx context.Context) error {
	err := h.rt.Close(ctx)
	return errors.Join(err, h.cache.Close(ctx))
}

// Stats returns the host's counters.
func (h *Host) Stats() HostStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return HostStats{Compiles: h.compiles.Load(), Modules: len(h.modules), Yields: h.sched.yields.Load(), Lends: h.sched.lends.Load()}
}

// Digest is the content address of a module: "sha256:<hex>".
func Digest(bin []byte) string {
	sum := sha256.Sum256(bin)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Load checks bin against ABI v1 and m, compiles it (once per digest: Plugins
// loaded from the same bytes share the compiled code) and starts one
// instance as a smoke test, kept as the first warm instance. The checks, in
// order: the module decodes and compiles (after Instrument); it exports
// baton_abi_v1; baton_alloc and baton_handle with their exact types; no
// _start; imports only ABI v1's baton functions, with their exact types,
// and WASI; it defines its memory and exports it; its minimum memory is
// within m.Limits.MemoryMiB; it instantiates and initialises. Each failure
// is an error naming the problem. The size of bin is the caller's to bound.
func (h *Host) Load(ctx context.Context, bin []byte, m *Manifest) (*Plugin, error) {
	if m == nil {
		return nil, errors.New("load plugin: no manifest")
	}
	digest := Digest(bin)
	c, err := h.acquire(ctx, digest, bin)
	if err != nil {
		return nil, err
	}
	p, err := h.load(ctx, c, digest, m)
	if err != nil {
		h.release(ctx, digest, c)
		return nil, err
	}
	return p, nil
}

func (h *Host) load(ctx context.Context, c *compiled, digest string, m *Manifest) (*Plugin, error) {
	if err := checkABI(c.mod.cm); err != nil {
		return nil, err
	}
	memCap := uint64(m.Limits.MemoryMiB) << 20
	if memCap == 0 {
		memCap = DefaultMemoryMiB << 20
	}
	if mem := c.mod.cm.ExportedMemories()[exportMemory]; uint64(mem.Min())*65536 > memCap {
		return nil, fmt.Errorf("the plugin's memory starts at %d pages (%d MiB), over its limit of %d MiB (limits.memoryMiB)",
			mem.Min(), (uint64(mem.Min())*65536+(1<<20)-1)>>20, memCap>>20)
	}
	p := newPlugin(h, c, digest, m, memCap)
	p.live = 1
	in, err := p.newInstance(ctx)
	if err != nil {
		return nil, fmt.Errorf("the plugin failed to start: %w", err)
	}
	p.put(in, true)
	p.fill()
	return p, nil
}

// acquire returns the compiled module of digest, compiling bin if no
// Plugin holds it, and counts a reference to it.
func (h *Host) acquire(ctx context.Context, digest string, bin []byte) (*compiled, error) {
	h.mu.Lock()
	c, ok := h.modules[digest]
	if !ok {
		c = &compiled{ready: make(chan struct{})}
		h.modules[digest] = c
	}
	c.refs++
	h.mu.Unlock()
	if !ok {
		h.compiles.Add(1)
		c.mod, c.err = h.rt.Compile(ctx, bin)
		close(c.ready)
	}
	select {
	case <-c.ready:
	case <-ctx.Done():
		h.release(ctx, digest, c)
		return nil, fmt.Errorf("compile module: %w", context.Cause(ctx))
	}
	if c.err != nil {
		h.release(ctx, digest, c)
		return nil, c.err
	}
	return c, nil
}

// release drops a reference to c, closing it with the last.
func (h *Host) release(ctx context.Context, digest string, c *compiled) {
	h.mu.Lock()
	c.refs--
	last := c.refs == 0
	if last && h.modules[digest] == c {
		delete(h.modules, digest)
	}
	h.mu.Unlock()
	if last {
		<-c.ready
		if c.mod != nil {
			_ = c.mod.Close(ctx)
		}
	}
}
