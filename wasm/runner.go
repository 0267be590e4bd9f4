package wasm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

var (
	// ErrDeadline is returned by a call that did not return before its
	// context's deadline; the instance it ran in is closed.
	ErrDeadline = errors.New("plugin exceeded its deadline")
	// ErrClosed is returned by a call on an instance closed after a trap, a
	// deadline or Close. Instantiate a new one.
	ErrClosed = errors.New("plugin instance is closed after a trap, a deadline or Close; instantiate a new one")
)

// DefaultMemoryLimitPages is the memory cap of a Runtime whose Config leaves
// it zero: 4096 pages of 64 KiB, 256 MiB per instance.
const DefaultMemoryLimitPages = 4096

// Config configures a Runtime.
type Config struct {
	// MemoryLimitPages caps the linear memory of every instance, in 64 KiB
	// pages: memory.grow beyond it returns -1, a module declaring a larger
	// minimum is refused at Compile, and a larger maximum is lowered to it.
	// Default DefaultMemoryLimitPages.
	MemoryLimitPages uint32
}

// Runtime compiles and runs plugins. It is safe for concurrent use; the
// instances it makes are not.
type Runtime struct {
	rt wazero.Runtime
	// sleep gives instances a real nanosleep (WASI poll_oneoff's clock
	// subscriptions) that returns when the running call's context ends;
	// false keeps wazero's default, which returns at once.
	sleep bool
}

// NewRuntime makes a Runtime with WASI (no files, no environment, wazero's
// fake clocks and deterministic randomness) available to plugins.
func NewRuntime(ctx context.Context, cfg Config) (*Runtime, error) {
	return makeRuntime(ctx, cfg, nil)
}

// makeRuntime is NewRuntime with a compilation cache (nil: none).
func makeRuntime(ctx context.Context, cfg Config, cache wazero.CompilationCache) (*Runtime, error) {
	if cfg.MemoryLimitPages == 0 {
		cfg.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if cfg.MemoryLimitPages > 65536 {
		return nil, fmt.Errorf("memory limit of %d pages is over wasm32's 65536 (4 GiB)", cfg.MemoryLimitPages)
	}
	// Runaways are stopped by the checks Instrument inserts, not by wazero's
	// context checks, which cost up to 7x per call and miss loop-free code
	// (RATIONALE.md, "Runaway plugins are stopped by checks inserted at upload").
	rc := wazero.NewRuntimeConfigCompiler().
		WithCloseOnContextDone(false).
		WithMemoryLimitPages(cfg.MemoryLimitPages)
	if cache != nil {
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	return &Runtime{rt: rt}, nil
}

// Close releases the runtime and every module and instance made by it.
func (r *Runtime) Close(ctx context.Context) error { return r.rt.Close(ctx) }

// Module is a plugin instrumented and compiled, ready to instantiate.
type Module struct {
	r     *Runtime
	cm    wazero.CompiledModule
	Stats Stats // what Instrument inserted
}

// Compile instruments the wasm module bin (see Instrument) and compiles it.
func (r *Runtime) Compile(ctx context.Context, bin []byte) (*Module, error) {
	out, st, err := Instrument(bin)
	if err != nil {
		return nil, fmt.Errorf("instrument module: %w", err)
	}
	cm, err := r.rt.CompileModule(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("compile module: %w", err)
	}
	return &Module{r: r, cm: cm, Stats: st}, nil
}

// Close releases the compiled code. Instances already made keep working.
func (m *Module) Close(ctx context.Context) error { return m.cm.Close(ctx) }

// Instantiate makes a new instance and runs its initialisation (the start
// function, then a reactor's _initialize) as interruptible calls under ctx,
// so that a runaway initialisation is stopped at ctx's deadline too.
func (m *Module) Instantiate(ctx context.Context) (*Instance, error) {
	return m.instantiate(ctx, wazero.NewModuleConfig())
}

// instantiate is Instantiate with a module configuration (clocks, output,
// randomness); the name and start functions are set here.
func (m *Module) instantiate(ctx context.Context, mc wazero.ModuleConfig) (*Instance, error) {
	in, err := m.instantiateOnly(ctx, mc)
	if err != nil {
		return nil, err
	}
	for _, name := range initExports {
		if in.mod.ExportedFunction(name) == nil {
			continue
		}
		if _, err := in.Call(ctx, name); err != nil {
			in.Close(ctx)
			return nil, fmt.Errorf("initialise instance: %w", err)
		}
	}
	return in, nil
}

// initExports are the functions that initialise an instance, in order: the
// module's start function, then a reactor's _initialize.
var initExports = []string{StartExport, exportInit}

// instantiateOnly is instantiate without the initialisation: the caller
// calls initExports itself.
func (m *Module) instantiateOnly(ctx context.Context, mc wazero.ModuleConfig) (*Instance, error) {
	sl := &sleeper{}
	if m.r.sleep {
		mc = mc.WithNanosleep(sl.sleep)
	}
	mod, err := m.r.rt.InstantiateModule(ctx, m.cm, mc.WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("instantiate module: %w", err)
	}
	flag, ok := mod.ExportedGlobal(InterruptExport).(api.MutableGlobal)
	if !ok { // Compile always instruments, so this is a bug, not bad input
		_ = mod.Close(ctx)
		return nil, fmt.Errorf("instantiate module: no mutable %s global", InterruptExport)
	}
	return &Instance{mod: mod, flag: flag, fns: map[string]api.Function{}, mem: mod.Memory(), sleeper: sl}, nil
}

// Instance is one instantiation of a Module. It runs one call at a time.
// After a trap or a deadline it is closed and every later call returns
// ErrClosed: a guest's state after a trap (a Go guest's runtime after a
// panic, say) cannot be trusted.
type Instance struct {
	mod  api.Module
	flag api.MutableGlobal
	fns  map[string]api.Function // wazero allocates a call engine per ExportedFunction
	mem  api.Memory
	*sleeper

	mu     sync.Mutex // orders interrupt against close
	closed bool
}

// Call calls the exported function name. When ctx is done before the call
// returns, the guest is interrupted at its next check (see Instrument), the
// instance is closed, and Call returns ErrDeadline (or
// context.Canceled). Any other trap closes the instance as well.
func (in *Instance) Call(ctx context.Context, name string, params ...uint64) ([]uint64, error) {
	if in.isClosed() {
		return nil, fmt.Errorf("call %s: %w", name, ErrClosed)
	}
	fn, err := in.function(name)
	if err != nil {
		return nil, err
	}
	stack := make([]uint64, max(len(params), len(fn.Definition().ResultTypes())))
	copy(stack, params)
	if err := in.call(ctx, name, fn, stack); err != nil {
		return nil, err
	}
	return stack[:len(fn.Definition().ResultTypes())], nil
}

// function returns the exported function name, cached.
func (in *Instance) function(name string) (api.Function, error) {
	if fn, ok := in.fns[name]; ok {
		return fn, nil
	}
	fn := in.mod.ExportedFunction(name)
	if fn == nil {
		return nil, fmt.Errorf("call %s: the plugin exports no function %q", name, name)
	}
	in.fns[name] = fn
	return fn, nil
}

// call is Call on a function looked up already, with its parameters and
// results in stack (wazero's CallWithStack: no allocation per call).
func (in *Instance) call(ctx context.Context, name string, fn api.Function, stack []uint64) error {
	if in.isClosed() {
		return fmt.Errorf("call %s: %w", name, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return in.stopped(ctx, name)
	}
	stop := context.AfterFunc(ctx, in.interrupt)
	err := in.callHooked(ctx, name, fn, stack)
	if !stop() && err == nil {
		// The interrupt ran or is running as the call returned: the flag
		// is or will be set, so the instance cannot be used again.
		in.Close(ctx)
		return in.stopped(ctx, name)
	}
	return err
}

// sleeper is an instance's nanosleep. wazero's own calls time.Sleep,
// which the interrupt flag cannot cut short, since the guest checks it only
// when it runs: a plugin sleeping an hour would hold its call, deadline or
// not. This one returns when the running call ends (its context, or for a
// plugin's call its deadline); the guest then traps at its next check and
// the call fails with the deadline. A plugin's call gives its CPU slot up
// while it sleeps.
type sleeper struct {
	// done is the running call's ctx.Done() (Instance.Call). The guest,
	// and so sleep, runs on the goroutine of the call, which sets done
	// around it.
	done <-chan struct{}
	// ex is the scheduler's view of a plugin's instance; nil for an
	// Instance of a Runtime.
	ex *exec
}

func (s *sleeper) sleep(ns int64) {
	if ns <= 0 {
		return
	}
	d := time.Duration(ns)
	var wake, parent <-chan struct{}
	if ex := s.ex; ex != nil && ex.parent != nil {
		if !ex.deadline.IsZero() {
			d = max(min(d, time.Until(ex.deadline)), 0)
		}
		wake, parent = ex.wake, ex.parent.Done()
		ex.block()
		defer ex.unblock()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done: // nil outside Instance.Call: the timer alone
	case <-wake: // stopped; unblock sees it and does not wait
	case <-parent:
	}
	if s.ex != nil {
		// Woken by the deadline or the context: stop the call now, so
		// that unblock does not take a slot for it.
		s.ex.stopIfOver()
	}
}

// callHooked is call once in.interrupt is registered on ctx. A call made
// or returning after ctx is done closes in and returns ErrDeadline (or
// ctx's cause).
func (in *Instance) callHooked(ctx context.Context, name string, fn api.Function, stack []uint64) error {
	if in.isClosed() {
		return fmt.Errorf("call %s: %w", name, ErrClosed)
	}
	if ctx.Err() != nil {
		in.Close(ctx)
		return in.stopped(ctx, name)
	}
	in.done = ctx.Done()
	err := fn.CallWithStack(ctx, stack)
	in.done = nil
	if ctx.Err() != nil {
		// The hook ran or will run: the flag is or will be set.
		in.Close(ctx)
		return in.stopped(ctx, name)
	}
	if err != nil {
		in.Close(ctx)
		return &trapError{fn: name, err: err}
	}
	return nil
}

// callExec is a plugin's call of fn under the scheduler, which holds its
// deadline and context (ex, begun by the caller): a call made or returning
// after ex's call was stopped closes in and returns ErrDeadline (or the
// context's cause). ctx is what the host functions get (the instance's).
func (in *Instance) callExec(ctx context.Context, ex *exec, name string, fn api.Function, stack []uint64) error {
	if in.isClosed() {
		return fmt.Errorf("call %s: %w", name, ErrClosed)
	}
	if err := ex.stopped(); err != nil {
		in.Close(ctx)
		return fmt.Errorf("call %s: %w", name, err)
	}
	err := fn.CallWithStack(ctx, stack)
	if stop := ex.stopped(); stop != nil {
		// The flag is set: the instance cannot run again.
		in.Close(ctx)
		return fmt.Errorf("call %s: %w", name, stop)
	}
	if err != nil {
		in.Close(ctx)
		return &trapError{fn: name, err: err}
	}
	return nil
}

// trapError is a call that trapped (or whose host function failed).
type trapError struct {
	fn  string
	err error
}

func (e *trapError) Error() string {
	return fmt.Sprintf("call %s: plugin trapped, instance discarded: %v", e.fn, e.err)
}

func (e *trapError) Unwrap() error { return e.err }

func (in *Instance) stopped(ctx context.Context, name string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("call %s: %w", name, ErrDeadline)
	}
	return fmt.Errorf("call %s: %w", name, context.Cause(ctx))
}

func (in *Instance) isClosed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closed
}

// interrupt makes the guest trap at its next check.
func (in *Instance) interrupt() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed {
		in.flag.Set(FlagStop)
	}
}

// askYield makes the guest yield at its next check, unless it is to trap.
func (in *Instance) askYield() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed && in.flag.Get() == 0 {
		in.flag.Set(FlagYield)
	}
}

// clearYield takes back askYield, unless the guest is to trap.
func (in *Instance) clearYield() {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed && in.flag.Get() == FlagYield {
		in.flag.Set(0)
	}
}

// Memory returns the instance's linear memory, nil if it has none.
func (in *Instance) Memory() api.Memory { return in.mem }

// Close releases the instance. It is safe to call more than once.
func (in *Instance) Close(ctx context.Context) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.closed {
		in.closed = true
		// A call may be running: make it trap at its next check, since
		// its deadline will find the instance closed and set nothing.
		in.flag.Set(FlagStop)
		_ = in.mod.Close(ctx)
	}
}
