package live

import (
	"slices"

	"github.com/batonhq/baton/server/internal/engine"
)

// coalesce turns queued changes (in sequence order) into the deltas to
// send, one per execution, each at the place of that execution's last
// change and with its sequence number, so the numbers a client sees still
// grow. A later summary replaces an earlier one; the tasks of an
// execution subscription are merged by task id, the latest state of each.
//
// Moving an execution's earlier changes to the place of its last loses
// nothing for a client that resumes in between: an execution subscription
// has no other execution's change in between, and the other subscriptions
// carry only summaries, which the last one replaces.
func (s *stream) coalesce(batch []*engine.Change) []*message {
	last := make(map[string]int, 1) // workflow id -> index of its last change
	for i, c := range batch {
		last[c.Workflow.WorkflowID] = i
	}
	var (
		out     []*message
		pending = make(map[string]*message, len(last))
	)
	for i, c := range batch {
		if !s.execution || c.Version > s.version {
			id := c.Workflow.WorkflowID
			m := pending[id]
			if m == nil {
				m = &message{Type: "delta", Epoch: s.epoch, first: c.Seq}
				pending[id] = m
			}
			s.merge(m, c)
		}
		// A change the snapshot holds is skipped, but its execution's
		// delta still goes out at its last change.
		id := c.Workflow.WorkflowID
		if last[id] == i && pending[id] != nil {
			m := pending[id]
			m.Seq = c.Seq
			out = append(out, m)
		}
	}
	return out
}

// merge adds a change to a delta.
func (s *stream) merge(m *message, c *engine.Change) {
	w := c.Workflow
	m.Workflow, m.Version, m.Merged = &w, c.Version, m.Merged+1
	m.Deleted = m.Deleted || c.Deleted
	if !s.execution {
		return
	}
	if m.index == nil {
		m.index = make(map[string]int, len(c.Tasks))
	}
	for _, t := range c.Tasks {
		if i, ok := m.index[t.TaskID]; ok {
			m.Tasks[i] = t
		} else {
			m.index[t.TaskID] = len(m.Tasks)
			m.Tasks = append(m.Tasks, t)
		}
	}
	if len(c.RemovedTasks) == 0 {
		return
	}
	m.RemovedTasks = append(m.RemovedTasks, c.RemovedTasks...)
	gone := make(map[string]bool, len(c.RemovedTasks))
	for _, id := range c.RemovedTasks {
		gone[id] = true
	}
	m.Tasks = slices.DeleteFunc(m.Tasks, func(t engine.TaskSummary) bool { return gone[t.TaskID] })
	clear(m.index)
	for i, t := range m.Tasks {
		m.index[t.TaskID] = i
	}
}
