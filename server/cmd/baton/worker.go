package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/worker"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/wasm"
)

func init() {
	commands["worker"] = command{"run a Wasm plugin as a polling worker: worker --plugin FILE.wasm", runWorker}
}

// runWorker runs a plugin on this machine as a worker of the server's
// queues: every task type and task name its manifest provides. It is the
// same module, the same limits and the same results as inside the server;
// only the key-value store differs: here it is this process's memory.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("worker", "worker --plugin FILE.wasm [flags]\n\nPolls the server for the tasks the plugin's manifest provides (taskTypes and workers)\nand runs them in the plugin until interrupted. Secrets come from BATON_SECRET_<NAME>.", stderr)
	server := serverFlag(fs)
	file := fs.String("plugin", "", "the plugin's module (required)")
	manifest := fs.String("manifest", "", "the plugin's manifest (default: plugin.json beside the module)")
	id := fs.String("worker-id", "", "this worker's id in task records (default: the host name)")
	domain := fs.String("domain", "", "the task domain to poll")
	cache := fs.String("cache-dir", "", "keep compiled modules here, so that a restart starts at once")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		return errors.New("worker: give the plugin with --plugin FILE.wasm and nothing else")
	}
	if *manifest == "" {
		*manifest = filepath.Join(filepath.Dir(*file), "plugin.json")
	}
	bin, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	mb, err := os.ReadFile(*manifest)
	if err != nil {
		return fmt.Errorf("worker: read the manifest (--manifest): %w", err)
	}
	m, err := wasm.ParseManifest(mb)
	if err != nil {
		return fmt.Errorf("worker: %s: %w", *manifest, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	host, err := wasm.NewHost(ctx, wasm.HostConfig{CacheDir: *cache, Logger: log})
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	defer host.Close(context.Background())
	p, err := host.Load(ctx, bin, m)
	if err != nil {
		return fmt.Errorf("worker: %s: %w", *file, err)
	}
	defer p.Close(context.Background())

	w := worker.New(worker.Options{
		Client: client.New(*server), WorkerID: *id, Domain: *domain,
		Concurrency: m.Limits.Concurrency, TotalConcurrency: m.Limits.Concurrency, Logger: log,
	})
	kv := &memoryKV{values: map[string][]byte{}, maxBytes: int64(m.Limits.KVBytes)}
	for _, q := range m.Provides() {
		w.HandleResult(q, func(ctx context.Context, t *workflow.Task) *workflow.TaskResult {
			return p.Run(ctx, t, wasm.Env{KV: kv})
		})
	}
	fmt.Fprintf(stderr, "baton worker: plugin %s (%s) polling %s on %s\n", m.Name, p.Digest(), strings.Join(m.Provides(), ", "), *server)
	return w.Run(ctx)
}

// memoryKV is the key-value store of a plugin run by baton worker, bounded
// by its limits.kvBytes as the server's is.
type memoryKV struct {
	mu       sync.Mutex
	values   map[string][]byte
	bytes    int64 // of the keys and values held
	maxBytes int64
}

func (kv *memoryKV) Get(_ context.Context, key string) ([]byte, bool, error) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	v, ok := kv.values[key]
	return v, ok, nil
}

func (kv *memoryKV) Put(_ context.Context, key string, value []byte) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	next := kv.bytes - kv.entryBytes(key) + int64(len(key)+len(value))
	if store.KVQuotaExceeded(kv.bytes, next, kv.maxBytes) {
		return &wasm.KVQuotaError{Bytes: next, Max: kv.maxBytes}
	}
	kv.values[key], kv.bytes = value, next
	return nil
}

func (kv *memoryKV) Delete(_ context.Context, key string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	kv.bytes -= kv.entryBytes(key)
	delete(kv.values, key)
	return nil
}

// entryBytes returns the bytes of key and its value, 0 when it has none.
func (kv *memoryKV) entryBytes(key string) int64 {
	v, ok := kv.values[key]
	if !ok {
		return 0
	}
	return int64(len(key) + len(v))
}
