package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/wasm"
)

// pluginWorkerPrefix starts the worker id of every task a plugin runs inside
// the server. A task leased under it when the server stopped has nobody
// working on it, so Start hands it back at once.
const pluginWorkerPrefix = "baton-plugin:"

// pluginPollWait is how long a plugin's poller waits for a task when the
// plugin serves several queues: its run slots are shared, and a long poll
// on a quiet queue would hold them from a busy one.
const pluginPollWait = time.Second

// pluginBeatEvery is how often, at most, a plugin's progress extends its
// task's lease.
const pluginBeatEvery = 2 * time.Second

// plugins is what runs of the uploaded plugins on this server: the active
// version of each enabled plugin, loaded in the wasm host, with pollers on
// the queues of the task types and task names it provides. Plugin tasks
// wait in queues like any worker's, so they obey the same leases, retries,
// timeouts and rate limits, and external workers (baton worker --plugin
// on another machine) may poll the same queues.
type plugins struct {
	host *wasm.Host
	// ctx ends when the engine stops: every run, retired or not, stops
	// polling and its running tasks are interrupted.
	ctx    context.Context
	cancel context.CancelFunc
	// open counts the runs whose plugin is not closed yet, retired ones
	// included; Stop waits for them.
	open sync.WaitGroup

	mu      sync.Mutex // serializes syncs
	stopped bool
	runs    map[string]*pluginRun
	// failed holds, by plugin, the active version that failed to load:
	// a sync does not try it again unless the plugin is the one changed.
	failed map[string]int
	// types maps each task type a loaded plugin provides to the plugin's
	// name, for the validation of workflow definitions. Read without mu.
	types atomic.Pointer[map[string]string]
	// inline maps each task type of a loaded inline plugin to its run
	// (inline.go). Read without mu.
	inline atomic.Pointer[map[string]*pluginRun]
}

func newPlugins(host *wasm.Host) *plugins {
	ctx, cancel := context.WithCancel(context.Background())
	return &plugins{host: host, ctx: ctx, cancel: cancel, runs: map[string]*pluginRun{}, failed: map[string]int{}}
}

// pluginRun is one loaded version of a plugin and its pollers.
type pluginRun struct {
	version *store.PluginVersion
	plugin  *wasm.Plugin
	stop    context.CancelFunc // stops polling; running tasks finish
	// polling counts the pollers, which run the tasks they lease.
	polling sync.WaitGroup
	// inlineRuns counts the tasks run inline in decisions (inline.go);
	// none starts once retired is set.
	inlineRuns sync.WaitGroup
	mu         sync.Mutex
	retired    bool
}

// enter counts an inline run of the plugin, unless it is retired: then the
// task waits in its queue for the version that runs now.
func (r *pluginRun) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.retired {
		return false
	}
	r.inlineRuns.Add(1)
	return true
}

// errPluginsStopped refuses plugin changes once the engine stops.
var errPluginsStopped = errorf(Unavailable, "the server is stopping; change plugins on another server or after the restart")

// preparePlugin checks that a module loads under its manifest (the ABI, its
// imports, its limits) before it is stored; its error says what is wrong.
// The caller closes the plugin returned after syncPlugins, which then
// shares its compiled module rather than compiling it again.
func (e *Engine) preparePlugin(ctx context.Context, bin []byte, m *wasm.Manifest) (*wasm.Plugin, error) {
	e.plugins.mu.Lock()
	stopped := e.plugins.stopped
	e.plugins.mu.Unlock()
	if stopped {
		return nil, errPluginsStopped
	}
	p, err := e.plugins.host.Load(ctx, bin, m)
	if err != nil {
		return nil, errorf(InvalidArgument, "%v", err)
	}
	return p, nil
}

// pluginType reports whether an enabled plugin provides a task type, for
// the validation of definitions.
func (e *Engine) pluginType(taskType string) bool {
	types := e.plugins.types.Load()
	if types == nil {
		return false
	}
	_, ok := (*types)[taskType]
	return ok
}

// syncPlugins makes the plugins that run match the stored states: the
// active version of each enabled plugin runs, nothing else. A version that
// stops running stops polling at once and finishes the tasks it runs in
// the background. A plugin that fails to load is logged and left out, and
// not tried again until it changes; the others run. The error is that of
// the plugin named changed, the one whose change the sync follows.
func (e *Engine) syncPlugins(ctx context.Context, changed string) error {
	p := e.plugins
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return errPluginsStopped
	}
	states, err := e.store.PluginStates(ctx)
	if err != nil {
		return classify(err, "read plugin states")
	}
	want := map[string]*store.PluginState{}
	for _, st := range states {
		if st.Enabled {
			want[st.Name] = st
		}
	}
	for name, r := range p.runs {
		if st := want[name]; st == nil || st.Active != r.version.Version {
			delete(p.runs, name)
			r.stop()
		}
	}
	var changedErr error
	for name, st := range want {
		if p.runs[name] != nil || (p.failed[name] == st.Active && name != changed) {
			continue
		}
		r, err := e.loadActive(ctx, st)
		if errors.Is(err, wasm.ErrOverCeiling) {
			e.log.Warn("plugin not run: its manifest is over this server's ceilings; it stays stored",
				"plugin", name, "version", st.Active, "reason", err)
		} else if err != nil {
			e.log.Error("load plugin", "plugin", name, "version", st.Active, "err", err)
		}
		if err != nil {
			p.failed[name] = st.Active
			if name == changed {
				changedErr = err
			}
			continue
		}
		delete(p.failed, name)
		p.runs[name] = r
		e.startPollers(r)
	}
	types, inline := map[string]string{}, map[string]*pluginRun{}
	for name, r := range p.runs {
		m := r.plugin.Manifest()
		for _, t := range m.TaskTypes {
			types[t] = name
			if m.Inline {
				inline[t] = r
			}
		}
	}
	p.types.Store(&types)
	p.inline.Store(&inline)
	if changedErr != nil {
		return errorf(Internal, "plugin %s failed to load: %v", changed, changedErr)
	}
	return nil
}

// loadActive loads the active version of a plugin.
func (e *Engine) loadActive(ctx context.Context, st *store.PluginState) (*pluginRun, error) {
	versions, err := e.store.PluginVersions(ctx, st.Name)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(versions, func(v *store.PluginVersion) bool { return v.Version == st.Active })
	if i < 0 {
		return nil, fmt.Errorf("active version %d is not stored", st.Active)
	}
	v := versions[i]
	m, err := e.cfg.PluginCeilings.ParseManifest(v.Manifest)
	if err != nil {
		return nil, err
	}
	bin, err := e.store.PluginModule(ctx, v.Digest)
	if err != nil {
		return nil, fmt.Errorf("read module %s: %w", v.Digest, err)
	}
	pl, err := e.plugins.host.Load(ctx, bin, m)
	if err != nil {
		return nil, err
	}
	return &pluginRun{version: v, plugin: pl}, nil
}

// stopPlugins stops every plugin when the engine stops: their tasks
// running are interrupted and left to Start, which hands them back. Later
// plugin changes are refused.
func (e *Engine) stopPlugins() {
	p := e.plugins
	p.mu.Lock()
	p.stopped = true
	clear(p.runs)
	p.inline.Store(nil)
	p.mu.Unlock()
	p.cancel()
	p.open.Wait()
}

// pluginWorkerID is the worker id of a plugin version's tasks.
func pluginWorkerID(v *store.PluginVersion) string {
	return fmt.Sprintf("%s%s@%d", pluginWorkerPrefix, v.Name, v.Version)
}

// startPollers starts the plugin's pollers: as many per queue it serves as
// it may run tasks at once. They share the plugin's run slots (its
// concurrency limit) and take one before they poll, so that a task is never
// leased to wait for a slot. Each reports a result and leases its next task
// in one call, and the commit that completes a task may hand it the next
// task of the same workflow at once.
func (e *Engine) startPollers(r *pluginRun) {
	m := r.plugin.Manifest()
	queues := m.Provides()
	domains := append([]string{""}, m.Domains...)
	slots := make(chan struct{}, m.Limits.Concurrency)
	wait := e.cfg.MaxPollWait
	if len(queues)*len(domains) > 1 {
		wait = min(wait, pluginPollWait)
	}
	// A retire stops the polling; the engine's stop, the running tasks
	// too. The plugin is closed once its pollers, which run the tasks they
	// lease, and its inline runs are done.
	pollCtx, stop := context.WithCancel(e.plugins.ctx)
	r.stop = stop
	runCtx := e.plugins.ctx
	e.plugins.open.Add(1)
	go func() {
		defer e.plugins.open.Done()
		<-pollCtx.Done()
		r.mu.Lock()
		r.retired = true
		r.mu.Unlock()
		r.polling.Wait()
		r.inlineRuns.Wait()
		r.plugin.Close(context.Background())
	}()
	worker := pluginWorkerID(r.version)
	for _, q := range queues {
		for _, d := range domains {
			req := PollRequest{TaskType: q, Domain: d, WorkerID: worker, Count: 1}
			for range m.Limits.Concurrency {
				r.polling.Add(1)
				go func() {
					defer r.polling.Done()
					e.pollPlugin(pollCtx, runCtx, r, req, slots, wait)
				}()
			}
		}
	}
}

// pollPlugin is one poller of a plugin's queue in one domain (req): take a
// run slot, poll for a task, run it and the tasks that its results fetch,
// give the slot back.
func (e *Engine) pollPlugin(ctx, runCtx context.Context, r *pluginRun, req PollRequest, slots chan struct{}, wait time.Duration) {
	first := req
	first.Wait = wait
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		tasks, err := e.poll(ctx, first, false)
		if err != nil && ctx.Err() == nil {
			e.log.Warn("poll plugin tasks", "plugin", r.version.Name, "queue", req.TaskType, "domain", req.Domain, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		var t *workflow.Task
		if len(tasks) > 0 {
			t = tasks[0]
		}
		for t != nil {
			t = e.runPlugin(ctx, runCtx, r, t, req)
		}
		<-slots
	}
}

// runPlugin runs one task and records its result. While the plugin's
// pollers run, the same call leases the next task of the queue and domain
// polled (next), which it returns.
func (e *Engine) runPlugin(pollCtx, ctx context.Context, r *pluginRun, t *workflow.Task, next PollRequest) *workflow.Task {
	worker := next.WorkerID
	var beat time.Time
	env := wasm.Env{
		KV: e.newPluginKV(r),
		// Progress extends the lease, at most once per pluginBeatEvery:
		// a plugin calling it in a loop must not make a commit per call.
		Progress: func(ctx context.Context, _ []byte) error {
			if time.Since(beat) < pluginBeatEvery {
				return nil
			}
			beat = time.Now()
			return e.UpdateTask(ctx, &workflow.TaskResult{TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID,
				PollCount: t.PollCount, WorkerID: worker, ExtendLease: true})
		},
	}
	res := r.plugin.Run(ctx, t, env)
	if ctx.Err() != nil && res.Status != workflow.TaskCompleted {
		// The engine is stopping and interrupted the plugin: the task is
		// handed back at the next start, not failed.
		return nil
	}
	res.TaskID, res.WorkflowInstanceID, res.PollCount, res.WorkerID = t.TaskID, t.WorkflowInstanceID, t.PollCount, worker
	rctx := context.WithoutCancel(ctx)
	var (
		leased []*workflow.Task
		err    error
	)
	if pollCtx.Err() == nil {
		leased, err = e.UpdateTaskAndPoll(rctx, res, next)
	} else {
		err = e.UpdateTask(rctx, res)
	}
	if err != nil && !leaseGone(err) {
		// The result itself could not be recorded (an output over the
		// server's or the store's limits): the attempt fails and says why,
		// rather than waiting leased for its response timeout.
		err = e.UpdateTask(rctx, unrecorded(t, worker, res, err))
	}
	if err != nil {
		e.log.Warn("record a plugin task's result", "plugin", r.version.Name, "task", t.TaskID, "err", err)
	}
	if len(leased) == 0 {
		return nil
	}
	return leased[0]
}

// unrecorded is the result that fails a plugin task's attempt whose own
// result res could not be recorded, for the reason err.
func unrecorded(t *workflow.Task, worker string, res *workflow.TaskResult, err error) *workflow.TaskResult {
	return &workflow.TaskResult{
		TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID, PollCount: t.PollCount, WorkerID: worker,
		Status: workflow.TaskFailed, ReasonForIncompletion: "the plugin's result could not be recorded: " + err.Error(), Logs: res.Logs,
	}
}

// leaseGone reports whether an update was refused because the task is no
// longer the caller's (its lease expired, it ended or it is gone) or the
// engine is stopping: then there is nothing to record.
func leaseGone(err error) bool {
	switch CodeOf(err) {
	case FailedPrecondition, NotFound, Unavailable:
		return true
	}
	return false
}

// pluginKV is the key-value store of one plugin, bounded by the
// limits.kvBytes of the version that runs, the active one. (While a new
// version takes over, the tasks the old one still runs write under its
// bound.)
type pluginKV struct {
	s        store.PluginStore
	plugin   string
	maxBytes int64
}

// newPluginKV returns the key-value store of a loaded plugin.
func (e *Engine) newPluginKV(r *pluginRun) pluginKV {
	return pluginKV{s: e.store, plugin: r.version.Name, maxBytes: int64(r.plugin.Manifest().Limits.KVBytes)}
}

func (kv pluginKV) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, err := kv.s.PluginKVGet(ctx, kv.plugin, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

func (kv pluginKV) Put(ctx context.Context, key string, value []byte) error {
	err := kv.s.PluginKVPut(ctx, kv.plugin, key, value, kv.maxBytes)
	var qe *store.KVQuotaError
	if errors.As(err, &qe) {
		return &wasm.KVQuotaError{Bytes: qe.Bytes, Max: qe.Max}
	}
	return err
}

func (kv pluginKV) Delete(ctx context.Context, key string) error {
	return kv.s.PluginKVDelete(ctx, kv.plugin, key)
}
