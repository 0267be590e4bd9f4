package engine

import (
	"slices"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/wasm"
)

// maxInlineRuns bounds the plugin tasks one change runs inline, so that a
// loop of them holds its workflow for a bounded time: the tasks after that
// wait in their queue for the plugin's pollers.
const maxInlineRuns = 16

// runInline runs the tasks of inline plugins (wasm.Manifest.Inline) that a
// change scheduled, in the change: each is leased to the plugin, run under
// the execution's lock, and its result decided, so that the start or the
// completion that scheduled it commits its result too, and so on for the
// tasks those results schedule. A task stays in its queue, for the
// plugin's pollers, when its domain is not one the plugin serves, its task
// definition's limits hold it or older tasks wait behind those limits, no
// instance of the plugin is idle now (none is started under the lock), or
// the change has run maxInlineRuns already. It returns how to give back
// the in-progress counts of the tasks it left IN_PROGRESS (a result of
// IN_PROGRESS, or a run that the engine's stop interrupted) if the commit
// fails, or nil.
func (e *Engine) runInline(c *change, ex *store.Execution) (undo func()) {
	runs := e.plugins.inline.Load()
	if runs == nil || len(*runs) == 0 {
		return nil
	}
	var held []string // task types counted IN_PROGRESS by this change
	seen := map[string]bool{}
	for n := 0; n < maxInlineRuns && ex.Workflow.Status == workflow.StatusRunning; n++ {
		now := e.now().UnixMilli()
		i := slices.IndexFunc(c.res.Changed, func(t *workflow.Task) bool {
			r := (*runs)[t.TaskType]
			return !seen[t.TaskID] && t.Status == workflow.TaskScheduled && t.VisibleTime <= now && r != nil &&
				(t.Domain == "" || slices.Contains(r.plugin.Manifest().Domains, t.Domain)) && decider.KindOf(t) == decider.KindWorker
		})
		if i < 0 {
			break
		}
		t := c.res.Changed[i]
		seen[t.TaskID] = true
		if ended, ok := e.runInlineTask(c, ex, (*runs)[t.TaskType], t, now); ok && !ended {
			held = append(held, t.TaskType)
		}
	}
	if len(held) == 0 {
		return nil
	}
	return func() {
		for _, taskType := range held {
			e.limits.release(taskType)
		}
	}
}

// runInlineTask leases t to the plugin of r within the change, runs it and
// decides its result. ok is false if it did not run (t stays queued);
// ended, whether t left IN_PROGRESS in the change.
func (e *Engine) runInlineTask(c *change, ex *store.Execution, r *pluginRun, t *workflow.Task, now int64) (ended, ok bool) {
	td := e.defs.task(t.TaskType)
	if limited(td) && e.queues.backlog(QueueName(t.TaskType, t.Domain)) {
		// Older tasks wait behind the limit: this one must not go
		// ahead of them when it has room. (Without limits, the pollers
		// serve the queue as fast as they can whatever runs inline.)
		return false, false
	}
	if !e.limits.reserve(t.TaskType, td, now) {
		return false, false
	}
	if !r.enter() {
		e.limits.release(t.TaskType)
		return false, false
	}
	defer r.inlineRuns.Done()
	worker := pluginWorkerID(r.version)
	var leased workflow.Task
	ctx := e.plugins.ctx
	res := r.plugin.TryRun(ctx, wasm.Env{KV: e.newPluginKV(r)}, func() *workflow.Task {
		if e.decideMore(c, ex, decider.Lease{TaskID: t.TaskID, WorkerID: worker}) != nil {
			return nil
		}
		leased = *t // t is the execution's, which the result changes
		return &leased
	})
	if res == nil {
		e.limits.release(t.TaskType)
		return false, false
	}
	if ctx.Err() != nil && res.Status != workflow.TaskCompleted {
		// The engine is stopping and interrupted the plugin: the task is
		// committed leased and handed back at the next start, as a
		// poller's is.
		return false, true
	}
	res.TaskID, res.WorkflowInstanceID, res.PollCount, res.WorkerID = leased.TaskID, leased.WorkflowInstanceID, leased.PollCount, worker
	if err := e.decideMore(c, ex, decider.Update{Result: res}); err != nil {
		// The decider refused the result (an output it cannot take): the
		// attempt fails and says why.
		err = e.decideMore(c, ex, decider.Update{Result: unrecorded(&leased, worker, res, err)})
		if err != nil {
			// Left leased: its response timeout retries it.
			e.log.Warn("record an inline plugin task's result", "plugin", r.version.Name, "task", t.TaskID, "err", err)
		}
	}
	if t.Status == workflow.TaskInProgress {
		return false, true
	}
	e.limits.ended(t.TaskType)
	return true, true
}
