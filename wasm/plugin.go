package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/batonhq/baton/sdk/workflow"
)

// Pool policy.
const (
	// recycleCalls is how many tasks an instance runs before it is
	// replaced: Go guests never return memory to the host.
	recycleCalls = 10_000
	// maxKeptStaged is the largest result_read or input buffer an idle
	// instance keeps (an http_fetch response can stage 4 MiB).
	maxKeptStaged = 64 << 10
	// minStartTimeout bounds an instance's initialisation when the
	// plugin's task timeout is shorter: a Go guest takes milliseconds to
	// start, more under load, and a runaway start is stopped all the same.
	minStartTimeout = 10 * time.Second
)

// Env is what one task's host functions reach beyond the manifest.
type Env struct {
	// KV is the plugin's key-value store; nil: kv_* fail with "no
	// key-value store here".
	KV KV
	// Progress is called with each progress JSON object (the caller
	// extends the task's lease); nil: progress is only logged.
	Progress func(ctx context.Context, data []byte) error
}

// KV is a key-value store scoped to one plugin. Put bounds the plugin's
// data by its manifest's limits.kvBytes: a put that would take the bytes
// of its keys and values over it changes nothing and returns a
// *KVQuotaError.
type KV interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// KVQuotaError is the error of a KV's Put refused by limits.kvBytes; it is
// kv_put's message to the guest.
type KVQuotaError struct {
	// Bytes is what the plugin's data would have been, keys and values.
	Bytes int64
	// Max is the plugin's limits.kvBytes.
	Max int64
}

func (e *KVQuotaError) Error() string {
	return fmt.Sprintf("the plugin's key-value data would be %d bytes; limits.kvBytes is %d", e.Bytes, e.Max)
}

// Plugin is a loaded plugin: its compiled module, manifest and pool of
// instances. It is safe for concurrent use.
type Plugin struct {
	h         *Host
	c         *compiled
	digest    string
	m         *Manifest
	memCap    uint64
	maxMem    uint64 // the memory's maximum as wazero applies it: declared, or 4 GiB
	timeout   time.Duration
	slots     chan struct{} // one per running call (or instance being started)
	maxCalls  int           // recycleCalls; tests lower it
	maxOutput int           // limits.maxOutputBytes, defaulted
	group     *group        // its calls, for the scheduler's fairness between plugins

	mu      sync.Mutex
	idle    []*instance
	live    int // instances started and not closed, at most cap(slots)
	closed  bool
	filling bool
	// extra counts the instances grow asked for beyond Warm.
	extra int
	fills sync.WaitGroup
}

// instance is a pooled instance with what its calls reuse.
type instance struct {
	*Instance
	ex            *exec           // its calls under the host's scheduler
	ctx           context.Context // what its host functions get: callKey is the instance
	alloc, handle api.Function
	stack         [2]uint64
	calls         int
	staged        []byte     // result_read's bytes
	input         []byte     // the last task's input, for its buffer
	cur           *callState // the call running, for the host functions, stdout and stderr
	cs            callState  // cur of a task's call
	stdout        lineWriter
	stderr        lineWriter
}

func newPlugin(h *Host, c *compiled, digest string, m *Manifest, memCap uint64) *Plugin {
	timeout := time.Duration(m.Limits.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = DefaultTimeoutMs * time.Millisecond
	}
	maxOutput := m.Limits.MaxOutputBytes
	if maxOutput <= 0 {
		maxOutput = DefaultMaxOutputBytes
	}
	conc := max(m.Limits.Concurrency, 1)
	maxMem := uint64(65536) << 16 // the runtime's limit, wasm32's 4 GiB
	if mem, ok := c.mod.cm.ExportedMemories()[exportMemory]; ok {
		if mx, declared := mem.Max(); declared {
			maxMem = min(maxMem, uint64(mx)<<16)
		}
	}
	return &Plugin{h: h, c: c, digest: digest, m: m, memCap: memCap, maxMem: maxMem, timeout: timeout,
		slots: make(chan struct{}, conc), maxCalls: recycleCalls, maxOutput: maxOutput, group: &group{}}
}

// Manifest returns the manifest the plugin was loaded with.
func (p *Plugin) Manifest() *Manifest { return p.m }

// Digest returns the digest of the plugin's module.
func (p *Plugin) Digest() string { return p.digest }

// Close stops taking calls and closes the idle instances; calls running
// finish, then their instances close. It releases the compiled module when
// no other Plugin holds it.
func (p *Plugin) Close(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.live -= len(idle)
	p.mu.Unlock()
	p.fills.Wait()
	for _, in := range idle {
		in.Close(ctx)
	}
	p.h.release(ctx, p.digest, p.c)
}

// newInstance instantiates the module with its memory cap and output
// writers and runs its initialisation in a CPU slot of the host's
// scheduler, under a deadline of the plugin's timeout, at least
// minStartTimeout: initialising a Go guest is guest code like a call.
func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	in := &instance{}
	in.stdout = lineWriter{in: in, prefix: "stdout: "}
	in.stderr = lineWriter{in: in, prefix: "stderr: "}
	c := &callState{p: p, in: in}
	in.cur = c
	in.ctx = context.WithValue(context.Background(), callKey{}, in)
	s := p.h.sched
	in.ex = s.newExec(p.group)
	if err := s.begin(in.ex, ctx, max(p.timeout, minStartTimeout)); err != nil {
		return nil, fmt.Errorf("no CPU slot before the context ended: %w", err)
	}
	err := p.start(in)
	stop := s.end(in.ex)
	c.endCall()
	in.stdout.flush()
	in.stderr.flush()
	in.cur = nil
	if err == nil && stop != nil { // stopped as the initialisation returned
		in.Close(ctx)
		err = stop
	}
	if err != nil {
		if c.fault != "" {
			return nil, errors.New(c.fault)
		}
		return nil, err
	}
	if in.alloc, err = in.function(exportAlloc); err == nil {
		in.handle, err = in.function(exportHandle)
	}
	if err != nil { // checkABI saw them: a bug
		in.Close(ctx)
		return nil, err
	}
	return in, nil
}

// start instantiates in's module and runs its start functions, in.ex
// begun.
func (p *Plugin) start(in *instance) error {
	mem := &cappedMemory{limit: p.memCap, ex: in.ex}
	ictx := experimental.WithMemoryAllocator(in.ctx, experimental.MemoryAllocatorFunc(func(_, _ uint64) experimental.LinearMemory {
		return mem
	}))
	inst, err := p.c.mod.instantiateOnly(ictx, p.h.modConfig.WithStdout(&in.stdout).WithStderr(&in.stderr))
	if err != nil {
		return err
	}
	inst.sleeper.ex = in.ex
	in.ex.bind(inst, mem, p.maxMem)
	in.Instance = inst
	for _, name := range initExports {
		fn := inst.mod.ExportedFunction(name)
		if fn == nil {
			continue
		}
		if err := inst.callExec(in.ctx, in.ex, name, fn, in.stack[:]); err != nil {
			inst.Close(in.ctx)
			return fmt.Errorf("initialise instance: %w", err)
		}
	}
	return nil
}

// take returns an idle instance or a new one.
func (p *Plugin) take(ctx context.Context) (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("the plugin is closed (unloaded or replaced)")
	}
	if in := p.takeIdle(); in != nil {
		p.mu.Unlock()
		return in, nil
	}
	p.live++ // the caller's slot has no instance, so live < cap(slots)
	p.mu.Unlock()
	in, err := p.newInstance(ctx)
	if err != nil {
		p.mu.Lock()
		p.live--
		p.mu.Unlock()
		return nil, fmt.Errorf("the plugin failed to start: %w", err)
	}
	return in, nil
}

// takeIdle takes an idle instance, or returns nil if none is; the caller
// holds p.mu.
func (p *Plugin) takeIdle() *instance {
	n := len(p.idle)
	if p.closed || n == 0 {
		return nil
	}
	in := p.idle[n-1]
	p.idle = p.idle[:n-1]
	return in
}

// put returns in to the pool if reuse is true and it may run more tasks, or
// closes it; it returns whether in went back to the pool.
func (p *Plugin) put(in *instance, reuse bool) bool {
	reuse = reuse && !in.isClosed() && in.calls < p.maxCalls && uint64(in.Memory().Size()) <= p.memCap/4*3
	p.mu.Lock()
	if reuse && !p.closed {
		p.idle = append(p.idle, in)
		p.mu.Unlock()
		return true
	}
	p.live--
	p.mu.Unlock()
	in.Close(context.Background())
	return false
}

// fill starts instances in the background until Warm are idle, each in a
// free slot so that instances never outnumber Concurrency.
func (p *Plugin) fill() {
	p.mu.Lock()
	if p.closed || p.filling || (len(p.idle) >= p.m.Limits.Warm && p.extra == 0) {
		p.mu.Unlock()
		return
	}
	p.filling = true
	p.fills.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.fills.Done()
		for p.fillOne() {
		}
		p.mu.Lock()
		p.filling = false
		p.mu.Unlock()
	}()
}

// grow starts one more instance in the background, beyond Warm, for a
// caller that found none idle (TryRun): the pool grows to what such calls
// use, up to Concurrency, without their waiting for an instance to start.
func (p *Plugin) grow() {
	p.mu.Lock()
	p.extra = min(p.extra+1, cap(p.slots))
	p.mu.Unlock()
	p.fill()
}

// fillOne starts one instance into the pool if fewer than Warm are idle
// or grow asked for one, a slot is free and instances do not already
// number Concurrency; it returns whether it did.
func (p *Plugin) fillOne() bool {
	select {
	case p.slots <- struct{}{}:
	default: // all slots busy: their instances come back
		return false
	}
	defer func() { <-p.slots }()
	p.mu.Lock()
	if p.live >= cap(p.slots) {
		p.extra = 0 // the pool is as large as it may be
	}
	beyond := len(p.idle) >= p.m.Limits.Warm
	if p.closed || (beyond && p.extra == 0) || p.live >= cap(p.slots) {
		p.mu.Unlock()
		return false
	}
	if beyond {
		p.extra--
	}
	p.live++
	p.mu.Unlock()
	in, err := p.newInstance(context.Background())
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.live--
		p.h.logger.Warn("plugin instance failed to start", "plugin", p.m.Name, "digest", p.digest, "err", err)
		return false
	}
	if p.closed {
		p.live--
		in.Close(context.Background())
		return false
	}
	p.idle = append(p.idle, in)
	return true
}

// Run runs task t on an instance of the pool: at most
// Limits.Concurrency at once (Run waits for a free slot until ctx ends),
// under the deadline Limits.TimeoutMs. It never fails: a trap, the deadline,
// an output that is too large, not JSON or has an unknown status, a panic
// reported by the guest, all become a FAILED result whose
// reasonForIncompletion says what happened, and the instance is discarded.
// The task's log (the guest's log calls, progress, stdout and stderr) is in
// the result's Logs.
func (p *Plugin) Run(ctx context.Context, t *workflow.Task, env Env) *workflow.TaskResult {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		res := &workflow.TaskResult{TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID}
		return failed(res, fmt.Sprintf("plugin %s had no free instance before the task's context ended: %v", p.m.Name, context.Cause(ctx)))
	}
	in, err := p.take(ctx)
	if err != nil {
		<-p.slots
		return failed(&workflow.TaskResult{TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID}, err.Error())
	}
	return p.run(ctx, in, t, env)
}

// TryRun is Run for a task that must not wait, neither for a slot nor for
// an instance to start. If one of the plugin's Limits.Concurrency slots is
// free now and an instance idle in it, it calls prepare, which returns the
// task to run (nil: none), and runs it there; otherwise it returns nil at
// once without calling prepare (and warms the pool).
func (p *Plugin) TryRun(ctx context.Context, env Env, prepare func() *workflow.Task) *workflow.TaskResult {
	select {
	case p.slots <- struct{}{}:
	default:
		return nil
	}
	p.mu.Lock()
	in := p.takeIdle()
	p.mu.Unlock()
	if in == nil {
		<-p.slots
		p.grow()
		return nil
	}
	t := prepare()
	if t == nil {
		p.put(in, true)
		<-p.slots
		return nil
	}
	return p.run(ctx, in, t, env)
}

// run runs t on in, in the slot the caller holds, and gives both back.
func (p *Plugin) run(ctx context.Context, in *instance, t *workflow.Task, env Env) *workflow.TaskResult {
	res := &workflow.TaskResult{TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID}
	c := &in.cs
	*c = callState{p: p, in: in, env: env, taskID: t.TaskID, task: true}
	reuse := p.call(ctx, in, c, t, res)
	res.Logs = c.logs
	// What the task staged is not the next task's to read.
	if cap(in.staged) > maxKeptStaged {
		in.staged = nil
	} else {
		in.staged = in.staged[:0]
	}
	discarded := !p.put(in, reuse)
	<-p.slots
	if discarded {
		p.fill() // after the slot is free, so that a replacement can take it
	}
	return res
}

func failed(res *workflow.TaskResult, reason string) *workflow.TaskResult {
	res.Status = workflow.TaskFailed
	res.ReasonForIncompletion = reason
	res.OutputData = nil
	res.CallbackAfterSeconds = 0
	return res
}

// call runs one task on in and fills res; it returns whether in may run
// another task.
func (p *Plugin) call(ctx context.Context, in *instance, c *callState, t *workflow.Task, res *workflow.TaskResult) bool {
	input, err := appendInput(in.input[:0], t)
	if err != nil {
		failed(res, fmt.Sprintf("encode the task for the plugin: %v", err))
		return true
	}
	if cap(input) <= maxKeptStaged {
		in.input = input // reused by the next call
	}
	s := p.h.sched
	if err := s.begin(in.ex, ctx, p.timeout); err != nil {
		failed(res, fmt.Sprintf("plugin %s got no CPU slot before the task's context ended: %v", p.m.Name, err))
		return true
	}
	in.cur = c
	in.calls++
	reuse := p.callGuest(in, c, input, res)
	if s.end(in.ex) != nil && reuse {
		// Stopped as the last call returned: the flag is set, so the
		// instance cannot run again; the result stands.
		in.Close(in.ctx)
		reuse = false
	}
	c.endCall()
	in.stdout.flush()
	in.stderr.flush()
	in.cur = nil
	return reuse
}

// callGuest makes the task's calls, in.ex begun, and fills res; it returns
// whether in may run another task.
func (p *Plugin) callGuest(in *instance, c *callState, input []byte, res *workflow.TaskResult) bool {
	in.stack[0] = uint64(len(input))
	if err := in.callExec(in.ctx, in.ex, exportAlloc, in.alloc, in.stack[:]); err != nil {
		p.callFailed(res, c, err)
		return false
	}
	ptr := api.DecodeU32(in.stack[0])
	if ptr == 0 {
		failed(res, fmt.Sprintf("plugin could not allocate %d bytes for its input (%s returned 0)", len(input), exportAlloc))
		return false
	}
	if !in.mem.Write(ptr, input) {
		failed(res, fmt.Sprintf("plugin's %s returned an out-of-bounds pointer", exportAlloc))
		return false
	}
	in.stack[0], in.stack[1] = uint64(ptr), uint64(len(input))
	if err := in.callExec(in.ctx, in.ex, exportHandle, in.handle, in.stack[:]); err != nil {
		p.callFailed(res, c, err)
		return false
	}
	optr, olen := uint32(in.stack[0]>>32), uint32(in.stack[0])
	if olen&errorFlag != 0 {
		olen &^= errorFlag
		msg, ok := in.mem.Read(optr, min(olen, maxErrorBytes))
		if !ok {
			failed(res, fmt.Sprintf("plugin's %s returned an out-of-bounds error message", exportHandle))
			return false
		}
		failed(res, strings.ToValidUTF8(string(msg), "\uFFFD"))
		return false
	}
	if limit := p.maxOutput; int(olen) > limit {
		failed(res, fmt.Sprintf("plugin output is %d bytes; its limit is %d (limits.maxOutputBytes)", olen, limit))
		return false
	}
	out, ok := in.mem.Read(optr, olen)
	if !ok {
		failed(res, fmt.Sprintf("plugin's %s returned an out-of-bounds output (%d bytes at %d)", exportHandle, olen, optr))
		return false
	}
	gr, err := decodeOutput(out)
	if err != nil {
		failed(res, fmt.Sprintf("plugin returned invalid JSON: %v (output starts %q)", err, excerpt(out)))
		return false
	}
	switch gr.Status {
	case workflow.TaskCompleted, workflow.TaskFailed, workflow.TaskFailedWithTerminalError:
	case workflow.TaskInProgress:
		if gr.CallbackAfterSeconds < 0 {
			failed(res, fmt.Sprintf("plugin returned IN_PROGRESS with callbackAfterSeconds %d; it must be 0 or more", gr.CallbackAfterSeconds))
			return false
		}
		res.CallbackAfterSeconds = gr.CallbackAfterSeconds
	default:
		failed(res, fmt.Sprintf("plugin returned status %q; ABI v1 allows COMPLETED, FAILED, FAILED_WITH_TERMINAL_ERROR and IN_PROGRESS", gr.Status))
		return false
	}
	res.Status = gr.Status
	res.OutputData = gr.OutputData
	res.ReasonForIncompletion = gr.Reason
	return true
}

// callFailed turns the error of a call into the task's reason; the full
// error (a trap's wasm stack trace) goes to the task's log.
func (p *Plugin) callFailed(res *workflow.TaskResult, c *callState, err error) {
	var tr *trapError
	switch {
	case errors.Is(err, ErrDeadline):
		failed(res, fmt.Sprintf("plugin exceeded its deadline of %v", p.timeout))
	case c.fault != "":
		failed(res, c.fault)
	case errors.As(err, &tr):
		first, _, _ := strings.Cut(tr.err.Error(), "\n")
		c.log("ERROR " + tr.err.Error())
		failed(res, "plugin trapped: "+first)
	default:
		failed(res, fmt.Sprintf("plugin call ended: %v", err))
	}
}

// excerpt is the start of b, for error messages.
func excerpt(b []byte) []byte {
	if len(b) > 64 {
		b = b[:64]
	}
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return bytes.Clone(b)
}

// lineWriter appends what the guest writes to stdout or stderr to the
// running call's log, a line at a time.
type lineWriter struct {
	in      *instance
	prefix  string
	partial []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.keep(b)
			break
		}
		w.keep(b[:i])
		w.flush()
		b = b[i+1:]
	}
	return n, nil
}

// keep appends b to the partial line, as much of it as the log can still
// take and one byte more: a line over the room left is logged as "log
// truncated" whatever its length, so the rest of it would only be held.
func (w *lineWriter) keep(b []byte) {
	room := maxLogBytes + 1
	if c := w.in.cur; c != nil {
		if c.logFull {
			return
		}
		room = maxLogBytes - c.logBytes - len(w.prefix) + 1
	}
	if room -= len(w.partial); room > 0 {
		w.partial = append(w.partial, b[:min(len(b), room)]...)
	}
}

// flush logs the partial line, if any, and drops a buffer larger than the
// log cap rather than keep it in an idle instance.
func (w *lineWriter) flush() {
	if len(w.partial) == 0 {
		return
	}
	if c := w.in.cur; c != nil {
		c.log(w.prefix + string(w.partial))
	}
	if cap(w.partial) > maxLogBytes {
		w.partial = nil
	} else {
		w.partial = w.partial[:0]
	}
}

// cappedMemory is a linear memory that refuses to grow past limit bytes:
// memory.grow returns -1 there, as wasm specifies. Its buffer is reserved
// with the limit as capacity at once, so that growing never copies it nor
// leaves the old one as garbage: a bomb growing a page at a time costs its
// cap, not several times it.
//
// On Linux the buffer is a mapping of its own (mapMemory), outside the Go
// heap: only the pages a guest touches are resident, and they go back to
// the system when the instance closes. From the Go heap, a plugin's every
// instance would count its whole cap towards the garbage collector's
// target and come out of memory the heap had used before, cleared page by
// page: 64 instances of a 16 MiB plugin made a server of 900 MB for a
// plugin that uses a few pages. The mapping is removed once nothing can
// reach the memory, so never under a call still running.
//
// It is also how a guest yields (Instrument's FlagYield): a grow made while
// the guest's yielding global is 1 is the check's, not the guest's; the
// guest yields its CPU slot (exec.yield) and the grow fails, leaving memory
// as it was.
type cappedMemory struct {
	buf    []byte
	mapped bool // buf's array is a mapping of mapMemory
	limit  uint64
	ex     *exec
	size   atomic.Uint64 // len(buf), for the scheduler to know a grow reaches Reallocate
}

func (m *cappedMemory) Reallocate(size uint64) []byte {
	if ex := m.ex; ex != nil && ex.yielding != nil && api.DecodeI32(ex.yielding.Get()) == 1 {
		ex.yield()
		return nil
	}
	if ex := m.ex; ex != nil {
		ex.unlend(size)
	}
	switch {
	case size > m.limit:
		return nil
	case m.buf == nil:
		if b, ok := mapMemory(m.limit); ok {
			m.buf, m.mapped = b[:size], true
			runtime.AddCleanup(m, unmapMemory, b)
		} else {
			m.buf = make([]byte, size, m.limit)
		}
	default:
		m.buf = m.buf[:size]
	}
	m.size.Store(size)
	return m.buf
}

// Free gives the memory back: at once for a mapping (which stays valid
// until the cleanup removes it), at the next collection otherwise.
func (m *cappedMemory) Free() {
	if m.mapped {
		dropMemory(m.buf[:cap(m.buf)])
		return
	}
	m.buf = nil
}
