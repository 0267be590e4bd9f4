package wasm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/batonhq/baton/sdk/workflow"
)

// Caps of the host functions (doc.go states them for plugin authors).
const (
	maxLogBytes   = 64 << 10 // log per task, guest output included
	maxKVKeyBytes = 512
	maxKVValue    = 1 << 20
	maxErrorBytes = 4 << 10 // an error-flagged output kept as the reason
	// maxProgressBytes bounds one progress object: it is logged and
	// handed to the engine, which keeps it with the task.
	maxProgressBytes = 64 << 10
)

// callKey is the context key of the instance whose call (its cur) a host
// function serves.
type callKey struct{}

// callState is what the host functions of one call (or one instance's
// initialisation) work on. It lives as long as the call.
type callState struct {
	p      *Plugin
	in     *instance
	env    Env
	taskID string
	task   bool // false while the instance initialises: no task to log into

	logs     []workflow.TaskExecLog
	logBytes int
	logFull  bool

	// fault is set by a host function just before it traps the guest (a
	// pointer out of bounds): the task's reason.
	fault string

	// ctx is the context of the blocking host calls, made at the first:
	// it ends with the call's context or at its deadline.
	ctx    context.Context
	cancel context.CancelFunc
}

// blocking gives the call's CPU slot up for a host call that waits (the
// network, the store, the engine) and returns the context it waits under;
// unblock takes a slot again after it.
func (c *callState) blocking() context.Context {
	ex := c.in.ex
	if ex == nil || ex.parent == nil { // an instance outside a Host's pool (benchmarks)
		return context.Background()
	}
	if c.ctx == nil {
		if ex.deadline.IsZero() {
			c.ctx = ex.parent
		} else {
			c.ctx, c.cancel = context.WithDeadline(ex.parent, ex.deadline)
		}
	}
	ex.block()
	return c.ctx
}

func (c *callState) unblock() {
	if ex := c.in.ex; ex != nil && ex.parent != nil {
		ex.unblock()
	}
}

// endCall releases what the call's blocking host calls held.
func (c *callState) endCall() {
	if c.cancel != nil {
		c.cancel()
	}
	c.ctx, c.cancel = nil, nil
}

// errFault is the panic value a host function traps the guest with.
var errFault = errors.New("plugin fault")

// log appends one line to the task's log, within maxLogBytes.
func (c *callState) log(line string) {
	if c.logFull {
		return
	}
	if c.logBytes+len(line) > maxLogBytes {
		c.logFull = true
		line = "log truncated"
	}
	c.logBytes += len(line)
	if !c.task {
		c.p.h.logger.Debug("plugin output while starting", "plugin", c.p.m.Name, "line", line)
		return
	}
	c.logs = append(c.logs, workflow.TaskExecLog{Log: line, TaskID: c.taskID, CreatedTime: time.Now().UnixMilli()})
}

// read returns the guest's bytes at ptr,n (a view: copy before the guest
// runs again), or traps the guest if they are out of its memory.
func (c *callState) read(mod api.Module, fn string, ptr, n uint32) []byte {
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		c.fault = fmt.Sprintf("plugin passed an out-of-bounds pointer to %s.%s", importModule, fn)
		panic(errFault)
	}
	return b
}

// stage keeps b for result_read and returns its length.
func (c *callState) stage(b []byte) int32 {
	c.in.staged = append(c.in.staged[:0], b...)
	return int32(len(b))
}

// fail stages the reason of a failure and returns -2.
func (c *callState) fail(format string, args ...any) int32 {
	c.in.staged = fmt.Appendf(c.in.staged[:0], format, args...)
	return retFailed
}

// hostFunc is one function of the baton import module.
type hostFunc struct {
	name string
	sig  signature
	fn   func(c *callState, mod api.Module, p []uint64) int32
}

var hostFuncs = []hostFunc{
	{"log", sig(3), hostLog},
	{"config_get", sig(2, vI32), hostConfigGet},
	{"secret_get", sig(2, vI32), hostSecretGet},
	{"http_fetch", sig(2, vI32), hostHTTPFetch},
	{"kv_get", sig(2, vI32), hostKVGet},
	{"kv_put", sig(4, vI32), hostKVPut},
	{"kv_delete", sig(2, vI32), hostKVDelete},
	{"progress", sig(2, vI32), hostProgress},
	{"result_read", sig(2, vI32), hostResultRead},
}

var hostFuncByName = func() map[string]*hostFunc {
	m := make(map[string]*hostFunc, len(hostFuncs))
	for i := range hostFuncs {
		m[hostFuncs[i].name] = &hostFuncs[i]
	}
	return m
}()

// goFunc adapts f to wazero's allocation-free host function form.
func (f *hostFunc) goFunc() api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		in, _ := ctx.Value(callKey{}).(*instance)
		if in == nil || in.cur == nil { // a call the host did not make (none today)
			panic(fmt.Errorf("%s.%s called outside a plugin call", importModule, f.name))
		}
		r := f.fn(in.cur, mod, stack)
		if len(f.sig.results) > 0 {
			stack[0] = api.EncodeI32(r)
		}
	}
}

func u32p(v uint64) uint32 { return api.DecodeU32(v) }

var levelNames = [...]string{"DEBUG", "INFO", "WARN", "ERROR"}

func hostLog(c *callState, mod api.Module, p []uint64) int32 {
	level := int32(u32p(p[0]))
	msg := c.read(mod, "log", u32p(p[1]), u32p(p[2])) // traps on a bad pointer, full log or not
	if c.logFull {
		return 0
	}
	// Past the room left the line becomes "log truncated": copy no more
	// of it than shows that it did not fit.
	if room := maxLogBytes - c.logBytes + 1; len(msg) > room {
		msg = msg[:room]
	}
	level = min(max(level, 0), 3)
	c.log(levelNames[level] + " " + string(msg))
	return 0
}

func hostConfigGet(c *callState, mod api.Module, p []uint64) int32 {
	key := c.read(mod, "config_get", u32p(p[0]), u32p(p[1]))
	v, ok := c.p.m.Config[string(key)]
	if !ok {
		return retAbsent
	}
	c.in.staged = append(c.in.staged[:0], v...)
	return int32(len(v))
}

func hostSecretGet(c *callState, mod api.Module, p []uint64) int32 {
	name := string(c.read(mod, "secret_get", u32p(p[0]), u32p(p[1])))
	if !slices.Contains(c.p.m.Secrets, name) {
		return c.fail("secret %s is not declared in the manifest's secrets", name)
	}
	v, ok := c.p.h.lookupSecret(name)
	if !ok {
		return retAbsent
	}
	c.in.staged = append(c.in.staged[:0], v...)
	return int32(len(v))
}

func hostHTTPFetch(c *callState, mod api.Module, p []uint64) int32 {
	raw := c.read(mod, "http_fetch", u32p(p[0]), u32p(p[1]))
	if len(raw) > maxFetchRequest {
		return c.fail("http_fetch: the request is %d bytes; at most %d (4 MiB) are allowed", len(raw), maxFetchRequest)
	}
	req := bytes.Clone(raw)
	ctx := c.blocking()
	resp, err := c.p.fetch(ctx, req)
	c.unblock()
	if err != nil {
		return c.fail("%v", err)
	}
	return c.stage(resp)
}

// kvKey reads and checks a key.
func kvKey(c *callState, mod api.Module, fn string, ptr, n uint32) (string, error) {
	key := c.read(mod, fn, ptr, n)
	if c.env.KV == nil {
		return "", errors.New("no key-value store here")
	}
	if len(key) == 0 || len(key) > maxKVKeyBytes {
		return "", fmt.Errorf("a key is 1 to %d bytes; this one is %d", maxKVKeyBytes, len(key))
	}
	return string(key), nil
}

func hostKVGet(c *callState, mod api.Module, p []uint64) int32 {
	key, err := kvKey(c, mod, "kv_get", u32p(p[0]), u32p(p[1]))
	if err != nil {
		return c.fail("kv_get: %v", err)
	}
	ctx := c.blocking()
	v, ok, err := c.env.KV.Get(ctx, key)
	c.unblock()
	switch {
	case err != nil:
		return c.fail("kv_get %q: %v", key, err)
	case !ok:
		return retAbsent
	}
	return c.stage(v)
}

func hostKVPut(c *callState, mod api.Module, p []uint64) int32 {
	key, err := kvKey(c, mod, "kv_put", u32p(p[0]), u32p(p[1]))
	if err != nil {
		return c.fail("kv_put: %v", err)
	}
	n := u32p(p[3])
	if n > maxKVValue {
		return c.fail("kv_put %q: the value is %d bytes; at most %d are allowed", key, n, maxKVValue)
	}
	v := bytes.Clone(c.read(mod, "kv_put", u32p(p[2]), n))
	ctx := c.blocking()
	err = c.env.KV.Put(ctx, key, v)
	c.unblock()
	if err != nil {
		return c.fail("kv_put %q: %v", key, err)
	}
	return 0
}

func hostKVDelete(c *callState, mod api.Module, p []uint64) int32 {
	key, err := kvKey(c, mod, "kv_delete", u32p(p[0]), u32p(p[1]))
	if err != nil {
		return c.fail("kv_delete: %v", err)
	}
	ctx := c.blocking()
	err = c.env.KV.Delete(ctx, key)
	c.unblock()
	if err != nil {
		return c.fail("kv_delete %q: %v", key, err)
	}
	return 0
}

func hostProgress(c *callState, mod api.Module, p []uint64) int32 {
	raw := c.read(mod, "progress", u32p(p[0]), u32p(p[1]))
	if len(raw) > maxProgressBytes {
		return c.fail("progress: the object is %d bytes; at most %d (64 KiB) are allowed", len(raw), maxProgressBytes)
	}
	data := bytes.Clone(raw)
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return c.fail("progress takes a JSON object")
	}
	c.log("progress: " + string(data))
	if c.env.Progress != nil {
		ctx := c.blocking()
		err := c.env.Progress(ctx, data)
		c.unblock()
		if err != nil {
			return c.fail("progress: %v", err)
		}
	}
	return 0
}

func hostResultRead(c *callState, mod api.Module, p []uint64) int32 {
	buf, capacity := u32p(p[0]), u32p(p[1])
	staged := c.in.staged
	if k := min(int(capacity), len(staged)); k > 0 {
		if !mod.Memory().Write(buf, staged[:k]) {
			c.fault = fmt.Sprintf("plugin passed an out-of-bounds pointer to %s.result_read", importModule)
			panic(errFault)
		}
	}
	return int32(len(staged))
}
