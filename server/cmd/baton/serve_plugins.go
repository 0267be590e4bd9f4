package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/batonhq/baton/server"
)

// servePluginFlags declares serve's flags for plugins, the ceilings on what
// their manifests may claim and their CPU slots, and returns what sets them
// into a server.Config once they are parsed. The engine checks their
// ranges.
func servePluginFlags(fs *flag.FlagSet) func(*server.Config) error {
	memory := fs.String("plugin-max-memory-mib", env("BATON_PLUGIN_MAX_MEMORY_MIB", "0"),
		"the most memory (limits.memoryMiB) a plugin may claim; uploads over it are refused, stored plugins over it not run; 0: up to 4096 (env BATON_PLUGIN_MAX_MEMORY_MIB)")
	timeout := fs.String("plugin-max-timeout", env("BATON_PLUGIN_MAX_TIMEOUT", "0"),
		"the longest task deadline (limits.timeoutMs) a plugin may claim, such as 30s; 0: up to 15m (env BATON_PLUGIN_MAX_TIMEOUT)")
	concurrency := fs.String("plugin-max-concurrency", env("BATON_PLUGIN_MAX_CONCURRENCY", "0"),
		"the most tasks at once (limits.concurrency) a plugin may claim; 0: up to 256 (env BATON_PLUGIN_MAX_CONCURRENCY)")
	kvBytes := fs.String("plugin-max-kv-bytes", env("BATON_PLUGIN_MAX_KV_BYTES", "0"),
		"the most key-value data (limits.kvBytes) a plugin may claim, in bytes; 0: up to 1073741824 (env BATON_PLUGIN_MAX_KV_BYTES)")
	slots := fs.String("plugin-cpu-slots", env("BATON_PLUGIN_CPU_SLOTS", "0"),
		"how many plugin calls run guest code at once, all plugins together; 0: one fewer than GOMAXPROCS, at least 1 (env BATON_PLUGIN_CPU_SLOTS)")
	return func(cfg *server.Config) error {
		c := &cfg.PluginCeilings
		for _, f := range []struct {
			flag, value string
			dst         *int
		}{
			{"plugin-max-memory-mib", *memory, &c.MemoryMiB},
			{"plugin-max-concurrency", *concurrency, &c.Concurrency},
			{"plugin-max-kv-bytes", *kvBytes, &c.KVBytes},
			{"plugin-cpu-slots", *slots, &cfg.PluginCPUSlots},
		} {
			n, err := strconv.Atoi(f.value)
			if err != nil {
				return fmt.Errorf("--%s: %q is not a whole number", f.flag, f.value)
			}
			*f.dst = n
		}
		d, err := time.ParseDuration(*timeout)
		if err != nil || d%time.Millisecond != 0 {
			return fmt.Errorf("--plugin-max-timeout: %q is not a duration of whole milliseconds, such as 30s (or 0 for no ceiling)", *timeout)
		}
		c.TimeoutMs = int(d.Milliseconds())
		return nil
	}
}
