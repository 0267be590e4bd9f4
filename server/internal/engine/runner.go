package engine

import (
	"context"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/decider"
)

// runnerID is the worker id of the tasks run inside the server.
const runnerID = "baton"

// startRunners starts the goroutines that carry out HTTP tasks. They poll
// the internal HTTP queue like any worker, so HTTP tasks obey the same
// leases, rate limits and concurrency limits.
func (e *Engine) startRunners() {
	ctx, cancel := context.WithCancel(context.Background())
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		<-e.stop
		cancel()
	}()
	for range e.cfg.HTTPRunners {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.runHTTP(ctx)
		}()
	}
}

// runHTTP carries out HTTP tasks until ctx ends.
func (e *Engine) runHTTP(ctx context.Context) {
	for ctx.Err() == nil {
		tasks, err := e.poll(ctx, PollRequest{TaskType: workflow.TypeHTTP, WorkerID: runnerID, Count: 1, Wait: e.cfg.MaxPollWait}, true)
		if err != nil {
			e.log.Warn("poll HTTP tasks", "err", err)
			continue
		}
		for _, t := range tasks {
			out := e.cfg.HTTP.Call(ctx, t.InputData)
			r := &workflow.TaskResult{
				TaskID: t.TaskID, WorkflowInstanceID: t.WorkflowInstanceID, PollCount: t.PollCount,
				Status: out.Status, OutputData: out.Output, ReasonForIncompletion: out.Reason, WorkerID: runnerID,
			}
			if r.OutputData == nil {
				r.OutputData = map[string]any{}
			}
			if out.Status == workflow.TaskCompleted && decider.AsyncComplete(t) {
				r.Status = workflow.TaskInProgress
			}
			if ctx.Err() != nil {
				// Stopping: the task goes back to the queue at the next start.
				return
			}
			if err := e.UpdateTask(context.Background(), r); err != nil {
				e.log.Warn("record an HTTP task's result", "task", t.TaskID, "err", err)
			}
		}
	}
}
