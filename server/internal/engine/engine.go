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
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
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
}

// lockStripes is the number of execution locks; executions hash onto them.
const lockStripes = 1024

// Engine runs workflows. Create it with New, then Start it.
type Engine struct {
	cfg    Config
	store  store.Store
	log    *slog.Logger
	seed   maphash.Seed
	locks  [lockStripes]sync.Mutex
	queues *queues
	limits *limits
	defs   *defCache
	cache  *cache
	timer  *timer

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns an engine over a store. It does nothing until Start.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errorf(InvalidArgument, "engine: Config.Store is required")
	}
	cfg.withDefaults()
	e := &Engine{
		cfg:    cfg,
		store:  cfg.Store,
		log:    cfg.Logger,
		seed:   maphash.MakeSeed(),
		queues: newQueues(),
		limits: newLimits(),
		defs:   newDefCache(cfg.Store),
		cache:  newCache(),
		stop:   make(chan struct{}),
	}
	e.timer = newTimer(e)
	return e, nil
}

// Start recovers state from the store (task definitions, queues, in-progress
// counts) and starts the timer, which at once handles every deadline that
// passed while the engine was down.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.defs.load(ctx); err != nil {
		return err
	}
	now := e.now().UnixMilli()
	err := e.store.ActiveTasks(ctx, func(t *workflow.Task) error {
		switch {
		case t.Status == workflow.TaskInProgress:
			e.limits.inProgress[t.TaskType]++
		case t.Status == workflow.TaskScheduled && isWorkerTask(t):
			e.queues.push(queueItem(t), now)
		}
		return nil
	})
	if err != nil {
		return classify(err, "recover queues")
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.timer.run()
	}()
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
	e.wg.Wait()
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

// isWorkerTask reports whether a task is handed to polling workers.
func isWorkerTask(t *workflow.Task) bool {
	return t.WorkflowTask == nil || t.WorkflowTask.TaskType() == workflow.TypeSimple
}

// queueName is the queue a task waits in: "[domain:]taskType".
func queueName(taskType, domain string) string {
	if domain == "" {
		return taskType
	}
	return domain + ":" + taskType
}

func queueItem(t *workflow.Task) item {
	return item{
		taskID:     t.TaskID,
		workflowID: t.WorkflowInstanceID,
		queue:      queueName(t.TaskType, t.Domain),
		taskType:   t.TaskType,
		priority:   t.WorkflowPriority,
		visible:    t.VisibleTime,
	}
}
