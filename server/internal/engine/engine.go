// Package engine moves executions forward: it loads an execution, asks the
// decider what follows an event, commits the result in one store
// transaction, and only then answers the caller and wakes whoever waits
// (long-polling workers, the timer).
//
// The engine is event-driven. A worker's completion leads to the next
// decision in the same call; nothing polls on the hot path. Deadlines
// (timeouts, retry delays) are the store's wake index, watched by one timer
// goroutine that sleeps until the earliest. Queues are an in-memory index of
// SCHEDULED tasks, rebuilt from the store at start-up.
//
// Every change of one execution happens under that execution's lock, so
// decisions about it are serial; different executions proceed in parallel
// and share durable writes through the store's group commit.
package engine

import (
	"context"
	"hash/maphash"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/httpcall"
	"github.com/batonhq/baton/server/internal/listener"
	"github.com/batonhq/baton/server/internal/script"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/wasm"
)

// Config configures an Engine.
type Config struct {
	// Store keeps everything. Required.
	Store store.Store
	// Logger receives operational messages. Default: discard.
	Logger *slog.Logger
	// Clock is the time source. Default: time.Now.
	Clock func() time.Time
	// NewID returns fresh workflow and task ids. Default: UUIDv7 strings,
	// which sort by creation time.
	NewID func() string
	// MaxPollWait caps how long a long-poll waits. Default: 30s.
	MaxPollWait time.Duration
	// Scripts evaluates JavaScript and jq. Default: script.New with its
	// default limits.
	Scripts decider.Scripts
	// HTTP carries out HTTP tasks. Default: httpcall.New with no internal
	// network allowed.
	HTTP *httpcall.Caller
	// HTTPRunners is how many HTTP tasks run at once. Default: 64.
	HTTPRunners int
	// Listener configures the delivery of status events (package
	// listener). Its Store, HTTP and Logger are the engine's.
	Listener listener.Config
	// Archive keeps executions that are removed with archiving asked
	// (RemoveWorkflow); nil when the server has no archive.
	Archive Archiver
	// Plugins configures the host of Wasm plugins (its compilation cache,
	// where secrets come from). Its Logger is the engine's.
	Plugins wasm.HostConfig
	// PluginCeilings bound what plugin manifests may claim on this server:
	// an upload over one is refused, and a stored version over one (a
	// ceiling lowered since it was uploaded) is kept but not run. Default:
	// none beyond the bounds of wasm.Limits.
	PluginCeilings wasm.Ceilings
	// FeedRing is how many recent changes the change feed keeps for
	// subscribers that resume (feed.go); one that resumes from further
	// back takes a snapshot. Default: DefaultFeedRing.
	FeedRing int
	// DryRunTime bounds the wall time of one dry run (dryrun.go), besides
	// its bound of steps. Default: DefaultDryRunTime.
	DryRunTime time.Duration
}

func (c *Config) withDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.NewID == nil {
		c.NewID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	if c.MaxPollWait <= 0 {
		c.MaxPollWait = 30 * time.Second
	}
	if c.Scripts == nil {
		c.Scripts = script.New(script.Limits{})
	}
	if c.HTTP == nil {
		c.HTTP = httpcall.New(httpcall.Config{})
	}
	if c.HTTPRunners <= 0 {
		c.HTTPRunners = 64
	}
	if c.FeedRing <= 0 {
		c.FeedRing = DefaultFeedRing
	}
	if c.DryRunTime <= 0 {
		c.DryRunTime = DefaultDryRunTime
	}
}

// lockStripes is the number of execution locks; executions hash onto them.
const lockStripes = 1024

// Engine runs workflows. Create it with New, then Start it.
type Engine struct {
	cfg     Config
	store   store.Store
	log     *slog.Logger
	seed    maphash.Seed
	locks   [lockStripes]sync.Mutex
	keys    keyLocks
	queues  *queues
	pollers *pollers
	// flows and overview are the figures of queues and executions
	// (queuestats.go, stats.go).
	flows    *flows
	overview *overview
	// watchers wait for changes of executions (ExecuteWorkflow).
	watchers watchers
	// feed publishes every committed change (feed.go).
	feed   *feed
	limits *limits
	defs   *defCache
	cache  *cache
	timer  *timer
	// listener delivers status events.
	listener *listener.Listener

	handlers  handlers
	handlerMu sync.Mutex // serializes changes of event handlers
	pluginMu  sync.Mutex // serializes changes of plugins (plugins.go)

	plugins *plugins

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns an engine over a store. It does nothing until Start.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errorf(InvalidArgument, "engine: Config.Store is required")
	}
	if err := cfg.PluginCeilings.Check(); err != nil {
		return nil, errorf(InvalidArgument, "engine: %v", err)
	}
	if n := cfg.Plugins.GuestSlots; n < 0 {
		return nil, errorf(InvalidArgument, "engine: plugin CPU slots: %d; it must be 1 or more (or 0 for the default, one fewer than GOMAXPROCS)", n)
	}
	cfg.withDefaults()
	lcfg := cfg.Listener
	lcfg.Store, lcfg.HTTP, lcfg.Logger = cfg.Store, cfg.HTTP.WithoutRedirects(), cfg.Logger
	l, err := listener.New(lcfg)
	if err != nil {
		return nil, errorf(InvalidArgument, "engine: %v", err)
	}
	e := &Engine{
		cfg:     cfg,
		store:   cfg.Store,
		log:     cfg.Logger,
		seed:    maphash.MakeSeed(),
		keys:    keyLocks{seed: maphash.MakeSeed()},
		queues:  newQueues(),
		pollers: newPollers(),
		limits:  newLimits(),
		defs:    newDefCache(cfg.Store),
		cache:   newCache(),
		feed:    newFeed(cfg.Clock, cfg.FeedRing),
		stop:    make(chan struct{}),
	}
	e.flows, e.overview = newFlows(), newOverview()
	e.listener = l
	e.timer = newTimer(e)
	hcfg := cfg.Plugins
	hcfg.Logger = cfg.Logger
	host, err := wasm.NewHost(context.Background(), hcfg)
	if err != nil {
		return nil, errorf(InvalidArgument, "engine: plugin host: %v", err)
	}
	e.plugins = newPlugins(host)
	return e, nil
}

// Start recovers state from the store (task definitions, queues, in-progress
// counts) and starts the timer, which at once handles every deadline that
// passed while the engine was down.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.defs.load(ctx); err != nil {
		return err
	}
	if err := e.loadCounts(ctx); err != nil {
		return err
	}
	if err := e.reloadHandlers(ctx); err != nil {
		return err
	}
	now := e.now().UnixMilli()
	// Tasks a runner of this server held when it stopped have nobody
	// working on them: they go back to their queue at once.
	var orphans []*workflow.Task
	err := e.store.ActiveTasks(ctx, func(t *workflow.Task) error {
		e.flows.recovered(t)
		switch {
		case t.Status == workflow.TaskInProgress && decider.KindOf(t) == decider.KindQueued && !t.CallbackFromWorker,
			t.Status == workflow.TaskInProgress && strings.HasPrefix(t.WorkerID, pluginWorkerPrefix) && !t.CallbackFromWorker:
			orphans = append(orphans, t)
		case t.Status == workflow.TaskInProgress && queued(t):
			e.limits.inProgress[t.TaskType]++
		case t.Status == workflow.TaskScheduled && queued(t):
			e.queues.push(queueItem(t), now)
		}
		return nil
	})
	if err != nil {
		return classify(err, "recover queues")
	}
	for _, t := range orphans {
		if err := e.transact(ctx, t.WorkflowInstanceID, decider.Release{TaskID: t.TaskID, PollCount: t.PollCount}); err != nil && isStoreFailure(err) {
			return err
		}
	}
	e.listener.Start()
	if err := e.recoverMessages(ctx); err != nil {
		e.listener.Stop()
		return err
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.timer.run()
	}()
	e.startRunners()
	if err := e.syncPlugins(ctx, ""); err != nil {
		// The plugins that loaded run; the others are logged and wait
		// for a fix (a new version, or a delete).
		e.log.Error("start plugins", "err", err)
	}
	return nil
}

// Stop stops the timer and waits for it. Calls in flight finish; the store
// stays open (its owner closes it).
func (e *Engine) Stop() {
	select {
	case <-e.stop:
	default:
		close(e.stop)
	}
	e.stopPlugins()
	e.wg.Wait()
	e.feed.stop()
	e.listener.Stop()
	_ = e.plugins.host.Close(context.Background())
}

func (e *Engine) now() time.Time { return e.cfg.Clock() }

// lock takes the lock of an execution and returns its unlock.
func (e *Engine) lock(workflowID string) func() {
	m := &e.locks[maphash.String(e.seed, workflowID)%lockStripes]
	m.Lock()
	return m.Unlock
}

// lockAll takes the locks of several executions in a fixed order.
func (e *Engine) lockAll(ids []string) func() {
	var stripes [lockStripes]bool
	for _, id := range ids {
		stripes[maphash.String(e.seed, id)%lockStripes] = true
	}
	var held []*sync.Mutex
	for i := range stripes {
		if stripes[i] {
			e.locks[i].Lock()
			held = append(held, &e.locks[i])
		}
	}
	return func() {
		for _, m := range held {
			m.Unlock()
		}
	}
}

func jitter(max int64) int64 {
	if max <= 0 {
		return 0
	}
	return rand.Int64N(max + 1)
}

// queued reports whether a task waits in a queue: for workers, or for a
// runner inside the server.
func queued(t *workflow.Task) bool { return decider.KindOf(t) != decider.KindSystem }

// QueueName is the name of the queue a task of a type waits in, in a
// domain or none: "[domain:]taskType", as Conductor names it.
func QueueName(taskType, domain string) string {
	if domain == "" {
		return taskType
	}
	return domain + ":" + taskType
}

// internalQueue is the queue of a task type run inside the server. Its name
// starts with a NUL byte, which no poll from outside may name.
func internalQueue(taskType string) string { return "\x00" + taskType }

// queueOf is the queue a task waits in.
func queueOf(t *workflow.Task) string {
	if decider.KindOf(t) == decider.KindQueued {
		return internalQueue(t.TaskType)
	}
	return QueueName(t.TaskType, t.Domain)
}

func queueItem(t *workflow.Task) item {
	return item{
		taskID:     t.TaskID,
		workflowID: t.WorkflowInstanceID,
		queue:      queueOf(t),
		taskType:   t.TaskType,
		priority:   t.WorkflowPriority,
		visible:    t.VisibleTime,
	}
}
