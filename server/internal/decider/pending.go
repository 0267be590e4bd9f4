package decider

import (
	"slices"

	"github.com/batonhq/baton/sdk/workflow"
)

// Work that touches every task of an execution (ending it, retrying it,
// restarting it) does not fit in one store transaction when the execution
// has thousands of tasks (a dynamic fork of ten thousand branches). Such
// work is done a chunk per decision: the decision that begins it does the
// first chunk and asks to be woken at once (wakeAt), and each decision that
// follows (Input.Continue) does the next, until none is left. Every commit
// stays one transaction, and what it holds is a consistent state: an ended
// workflow some of whose tasks are still to cancel, a running one with
// failed tasks still to retry (Workflow.Pending), an ended one whose tasks
// are being removed to restart it (Workflow.Pending).

// Chunk sizes. A cancelled task is rewritten whole, as it was written when
// it was created (forkChunk per decision); a retried one costs two writes
// (the old attempt and the new); a removed one, deletes of its keys only.
const (
	cancelChunk = forkChunk
	retryChunk  = forkChunk / 2
	removeChunk = forkChunk
)

// Unfinished reports whether decisions about an execution have work left
// for the decisions that follow: an ended workflow with tasks still to
// cancel, or a retry or restart under way.
func Unfinished(w *workflow.Workflow) bool {
	if w.Pending != nil {
		return true
	}
	if !w.Status.Terminal() {
		return false
	}
	for i := len(w.Tasks) - 1; i >= 0; i-- {
		if !w.Tasks[i].Status.Terminal() {
			return true
		}
	}
	return false
}

// carryOn does the next chunk of the work earlier decisions left.
func (d *decision) carryOn() {
	if d.chunked {
		return // the event did a chunk already
	}
	switch p := d.w.Pending; {
	case p != nil && p.Op == workflow.PendingRestart:
		d.restartMore()
	case p != nil && p.Op == workflow.PendingRetry:
		d.retryMore()
	default:
		d.cancelOpen()
	}
}

// cancelOpen cancels, oldest first, up to cancelChunk of the tasks an ended
// workflow has left open, and terminates the sub-workflows they run. While
// open tasks are left, the workflow asks to be woken at once (wakeAt), and
// the next decision cancels the next chunk. Meanwhile nothing of it runs: its
// tasks are not handed out (lease) and updates to them are refused (update),
// as for any ended workflow, and the engine took them all out of its queues
// when the status changed. Its end was recorded, and its parent, failure
// workflow and listeners told, once, by the decision that ended it.
func (d *decision) cancelOpen() {
	w := d.w
	if d.chunked || !w.Status.Terminal() || w.Pending != nil {
		return
	}
	d.chunked = true
	n := 0
	for _, t := range w.Tasks {
		if t.Status.Terminal() || d.gone[t] {
			continue
		}
		if n == cancelChunk {
			return
		}
		n++
		t.Status = workflow.TaskCanceled
		t.EndTime = d.now
		t.Executed = true
		if w.ReasonForIncompletion != "" {
			t.ReasonForIncompletion = "workflow " + string(w.Status) + ": " + w.ReasonForIncompletion
		}
		d.touch(t)
		d.stopChild(t, "the parent workflow ended as "+string(w.Status))
	}
}

// openLeft reports whether an ended workflow still has tasks to cancel. It
// looks from the newest task, the likeliest to be open.
func (d *decision) openLeft() bool {
	for i := len(d.w.Tasks) - 1; i >= 0; i-- {
		if t := d.w.Tasks[i]; !t.Status.Terminal() && !d.gone[t] {
			return true
		}
	}
	return false
}

// toRetry returns, in Seq order, the last attempts up to Seq bound that
// failed, timed out or were cancelled (only cancelled if canceledOnly) and
// have no new attempt.
func (d *decision) toRetry(bound int, canceledOnly bool) []*workflow.Task {
	failed := map[string]*workflow.Task{}
	for _, t := range d.w.Tasks {
		if t.Seq > bound {
			continue
		}
		switch t.Status {
		case workflow.TaskFailed, workflow.TaskFailedWithTerminalError, workflow.TaskTimedOut, workflow.TaskCanceled:
			failed[t.ReferenceTaskName] = t
		default:
			delete(failed, t.ReferenceTaskName)
		}
	}
	tasks := make([]*workflow.Task, 0, len(failed))
	for _, t := range failed {
		if !t.Retried && (!canceledOnly || t.Status == workflow.TaskCanceled) {
			tasks = append(tasks, t)
		}
	}
	slices.SortFunc(tasks, func(a, b *workflow.Task) int { return a.Seq - b.Seq })
	return tasks
}

// retryMore retries the next chunk of the failed tasks a retry left
// (Workflow.Pending). Until none is left the workflow does not advance
// (advance), so that a JOIN does not take a branch still to retry for a
// failed one, nor the workflow end before all are retried.
func (d *decision) retryMore() {
	d.chunked = true
	p := d.w.Pending
	tasks := d.toRetry(p.Seq, p.CanceledOnly)
	if len(tasks) <= retryChunk {
		d.w.Pending = nil
	} else {
		tasks = tasks[:retryChunk]
	}
	d.retryTasks(tasks, p.ResumeSubworkflowTasks, "")
}

// restartMore removes the next chunk of the tasks of an execution being
// restarted, and once few enough are left, removes them and runs it again.
func (d *decision) restartMore() {
	d.chunked = true
	if len(d.w.Tasks) > removeChunk {
		d.removeNewest(removeChunk)
		return
	}
	p := d.w.Pending
	d.w.Pending = nil
	// The input gets the defaults of a definition the restart may have
	// replaced in an earlier decision.
	d.res.InputChanged = true
	d.runAgain(p.Record, p.Detail)
}

// removeNewest removes the n newest tasks. What is left is the beginning of
// the execution, as it was before those tasks were scheduled.
func (d *decision) removeNewest(n int) {
	keep, i := len(d.w.Tasks)-n, 0
	d.remove(func(*workflow.Task) bool {
		i++
		return i > keep
	})
}
