package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testMessages covers Transition.Send and Ack and Store.Messages: work one
// execution leaves for another, stored with the sender's transition and
// consumed once.
func testMessages(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// newMessages returns n messages whose ids sort in the order returned,
	// as the engine's UUIDv7 ids do.
	newMessages := func(n int) []*store.Message {
		prefix := newID("msg")
		ms := make([]*store.Message, n)
		for i := range ms {
			ms[i] = &store.Message{
				ID:         fmt.Sprintf("%s-%03d", prefix, i),
				Kind:       "start_sub_workflow",
				WorkflowID: newID("wf"),
				Body:       json.RawMessage(fmt.Sprintf(`{"n":9007199254740993,"i":%d,"list":[1,"two",null]}`, i)),
				Time:       baseTime.UnixMilli() + int64(i),
			}
		}
		return ms
	}
	listMessages := func(t *testing.T, b *testBundle) []*store.Message {
		t.Helper()
		ms := []*store.Message{}
		require.NoError(t, b.store.Messages(b.ctx, func(m *store.Message) error {
			ms = append(ms, m)
			return nil
		}))
		return ms
	}
	// requireMessages checks that exactly these messages are stored, in
	// this order. Bodies are compared as JSON: a store may reformat them.
	requireMessages := func(t *testing.T, b *testBundle, want ...*store.Message) {
		t.Helper()
		got := listMessages(t, b)
		require.Len(t, got, len(want))
		for i, w := range want {
			g := got[i]
			require.Equal(t, w.ID, g.ID, "message %d", i)
			require.Equal(t, w.Kind, g.Kind, "message %s", w.ID)
			require.Equal(t, w.WorkflowID, g.WorkflowID, "message %s", w.ID)
			require.Equal(t, w.Time, g.Time, "message %s", w.ID)
			if len(w.Body) == 0 {
				require.Empty(t, g.Body, "message %s", w.ID)
			} else {
				require.JSONEq(t, string(w.Body), string(g.Body), "message %s", w.ID)
			}
		}
	}
	requireVersion := func(t *testing.T, b *testBundle, wfID string, want uint64) {
		t.Helper()
		exec, err := b.store.ExecutionGet(b.ctx, wfID)
		require.NoError(t, err)
		require.Equal(t, want, exec.Version)
	}

	t.Run("SendListedInIDOrder", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		requireMessages(t, b)
		ms := newMessages(4)
		ms[2].WorkflowID, ms[2].Body = "", nil

		// Sent out of order, by an execution's creation, its update and a
		// transition without a workflow.
		tr := &store.Transition{Workflow: newWorkflow(newID("wf")), Send: []*store.Message{ms[3], ms[1]}}
		require.NoError(t, b.store.Commit(b.ctx, tr))
		next := update(tr, 1)
		next.Send = []*store.Message{ms[2]}
		require.NoError(t, b.store.Commit(b.ctx, next, &store.Transition{Send: []*store.Message{ms[0]}}))

		requireMessages(t, b, ms...)
		requireVersion(t, b, tr.Workflow.WorkflowID, 2)
	})

	t.Run("AckDeletes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		ms := newMessages(3)
		tr := create(t, b, time.Time{})
		next := update(tr, 1)
		next.Send = ms
		require.NoError(t, b.store.Commit(b.ctx, next))

		next = update(tr, 2)
		next.Ack = []string{ms[1].ID, ms[0].ID}
		next.History = []store.Event{{Type: "CHILD_STARTED"}}
		require.NoError(t, b.store.Commit(b.ctx, next))
		requireMessages(t, b, ms[2])
		requireVersion(t, b, tr.Workflow.WorkflowID, 3)

		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{ms[2].ID}}))
		requireMessages(t, b)
	})

	t.Run("AckTwice", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		m := newMessages(1)[0]
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Send: []*store.Message{m}}))
		task := newTask("", 1)
		trA := create(t, b, time.Time{})
		trB := create(t, b, baseTime, task)

		first := update(trA, 1)
		first.Ack = []string{m.ID}
		require.NoError(t, b.store.Commit(b.ctx, first))

		// The second consumer loses and writes nothing of its transition.
		sent := newMessages(1)[0]
		second := update(trB, 1)
		second.Workflow.Status = workflow.StatusCompleted
		second.WakeAt = time.Time{}
		done := clone(t, task)
		done.Status = workflow.TaskCompleted
		second.Tasks = []*workflow.Task{done}
		second.History = []store.Event{{Type: "SECOND"}}
		second.Logs = []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "second"}}
		second.Ack = []string{m.ID}
		second.Send = []*store.Message{sent}
		require.ErrorIs(t, b.store.Commit(b.ctx, second), store.ErrConflict)

		requireExecution(t, b, trB.Workflow, 1, baseTime, task)
		history, err := b.store.HistoryList(b.ctx, trB.Workflow.WorkflowID)
		require.NoError(t, err)
		require.Len(t, history, 1)
		logs, err := b.store.TaskLogList(b.ctx, task.TaskID)
		require.NoError(t, err)
		require.Empty(t, logs)
		require.Equal(t, []string{task.TaskID}, activeTaskIDs(t, b))
		requireMessages(t, b)

		// Without a workflow too.
		require.ErrorIs(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{m.ID}}), store.ErrConflict)
		require.ErrorIs(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{"never-sent"}}), store.ErrConflict)
	})

	t.Run("AckTwiceInOneCall", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		m := newMessages(1)[0]
		trA := create(t, b, time.Time{})
		trB := create(t, b, time.Time{})
		send := update(trA, 1)
		send.Send = []*store.Message{m}
		require.NoError(t, b.store.Commit(b.ctx, send))

		ackA, ackB := update(trA, 2), update(trB, 1)
		ackA.Ack, ackB.Ack = []string{m.ID}, []string{m.ID}
		require.ErrorIs(t, b.store.Commit(b.ctx, ackA, ackB), store.ErrConflict)
		requireVersion(t, b, trA.Workflow.WorkflowID, 2)
		requireVersion(t, b, trB.Workflow.WorkflowID, 1)
		requireMessages(t, b, m)

		// Sent and consumed within one call: each transition sees those
		// before it.
		later := newMessages(1)[0]
		send = update(trA, 2)
		send.Send = []*store.Message{later}
		ackB = update(trB, 1)
		ackB.Ack = []string{later.ID, m.ID}
		require.NoError(t, b.store.Commit(b.ctx, send, ackB))
		requireMessages(t, b)
		requireVersion(t, b, trB.Workflow.WorkflowID, 2)
	})

	t.Run("ConcurrentAck", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// Racers each update their own execution and consume the same
		// message; whether or not their calls share a batch, one wins.
		const racers = 16
		m := newMessages(1)[0]
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Send: []*store.Message{m}}))
		trs := make([]*store.Transition, racers)
		for i := range trs {
			trs[i] = create(t, b, time.Time{})
		}
		start := make(chan struct{})
		results := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				next := update(trs[i], 1)
				next.Ack = []string{m.ID}
				<-start
				results[i] = b.store.Commit(b.ctx, next)
			})
		}
		close(start)
		wg.Wait()

		var won int
		for i, err := range results {
			if err == nil {
				won++
				requireVersion(t, b, trs[i].Workflow.WorkflowID, 2)
				continue
			}
			require.ErrorIs(t, err, store.ErrConflict)
			requireVersion(t, b, trs[i].Workflow.WorkflowID, 1)
		}
		require.Equal(t, 1, won)
		requireMessages(t, b)
	})

	t.Run("SendExisting", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		m := newMessages(1)[0]
		tr := create(t, b, time.Time{})
		next := update(tr, 1)
		next.Send = []*store.Message{m}
		require.NoError(t, b.store.Commit(b.ctx, next))

		dup := *m
		dup.Kind, dup.Body = "other", json.RawMessage(`{"other":true}`)
		for _, send := range [][]*store.Message{{&dup}, {newMessages(1)[0], &dup}} {
			next = update(tr, 2)
			next.Send = send
			require.ErrorIs(t, b.store.Commit(b.ctx, next), store.ErrExists)
			requireVersion(t, b, tr.Workflow.WorkflowID, 2)
			requireMessages(t, b, m)
		}

		// Twice in one transition.
		fresh := newMessages(1)[0]
		require.ErrorIs(t, b.store.Commit(b.ctx, &store.Transition{Send: []*store.Message{fresh, fresh}}), store.ErrExists)
		requireMessages(t, b, m)
	})

	t.Run("FailedGuardPassesNoMessages", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		stored, sent, alone := newMessages(1)[0], newMessages(1)[0], newMessages(1)[0]
		tr := create(t, b, time.Time{})
		next := update(tr, 1)
		next.Send = []*store.Message{stored}
		require.NoError(t, b.store.Commit(b.ctx, next))

		stale := update(tr, 1)
		stale.Send = []*store.Message{sent}
		stale.Ack = []string{stored.ID}
		require.ErrorIs(t, b.store.Commit(b.ctx, stale), store.ErrConflict)
		requireMessages(t, b, stored)

		// A transition without a workflow in the same call is not written
		// either: a call is all or none.
		require.ErrorIs(t, b.store.Commit(b.ctx, &store.Transition{Send: []*store.Message{alone}}, stale), store.ErrConflict)
		requireMessages(t, b, stored)

		// A create of an existing execution passes none either.
		again := &store.Transition{Workflow: newWorkflow(tr.Workflow.WorkflowID), Send: []*store.Message{sent}, Ack: []string{stored.ID}}
		require.ErrorIs(t, b.store.Commit(b.ctx, again), store.ErrExists)
		requireMessages(t, b, stored)
		requireVersion(t, b, tr.Workflow.WorkflowID, 2)
	})

	t.Run("WithoutWorkflowRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		task := newTask("", 1)
		for _, c := range []struct {
			name string
			edit func(tr *store.Transition)
		}{
			{"Version", func(tr *store.Transition) { tr.Version = 1 }},
			{"WakeAt", func(tr *store.Transition) { tr.WakeAt = baseTime }},
			{"Tasks", func(tr *store.Transition) { tr.Tasks = []*workflow.Task{task} }},
			{"Removed", func(tr *store.Transition) { tr.Removed = []*workflow.Task{task} }},
			{"History", func(tr *store.Transition) { tr.History = []store.Event{{Type: "X"}} }},
			{"Logs", func(tr *store.Transition) { tr.Logs = []workflow.TaskExecLog{{TaskID: task.TaskID, Log: "x"}} }},
		} {
			tr := &store.Transition{Send: newMessages(1)}
			c.edit(tr)
			err := b.store.Commit(b.ctx, tr)
			require.Error(t, err, c.name)
			require.ErrorContains(t, err, c.name)
		}
		// Nor is one that passes no message on (a forgotten workflow, more
		// likely than a transition meant to do nothing).
		require.Error(t, b.store.Commit(b.ctx, &store.Transition{}))
		require.Error(t, b.store.Commit(b.ctx, nil))
		// Nor messages without an id.
		require.Error(t, b.store.Commit(b.ctx, &store.Transition{Send: []*store.Message{{Kind: "x"}}}))
		require.Error(t, b.store.Commit(b.ctx, &store.Transition{Send: []*store.Message{nil}}))
		require.Error(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{""}}))

		requireMessages(t, b)
		_, err := b.store.TaskGet(b.ctx, task.TaskID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, ok, err := b.store.NextWake(b.ctx)
		require.NoError(t, err)
		require.False(t, ok)
	})

	t.Run("MessagesStopsOnError", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Send: newMessages(3)}))
		stop := errors.New("stop")
		var calls int
		err := b.store.Messages(b.ctx, func(*store.Message) error {
			calls++
			return stop
		})
		require.ErrorIs(t, err, stop)
		require.Equal(t, 1, calls)
	})

	t.Run("SurviveRestart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		ms := newMessages(3)
		tr := create(t, b, time.Time{})
		next := update(tr, 1)
		next.Send = ms
		require.NoError(t, b.store.Commit(b.ctx, next))
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{ms[1].ID}}))

		b.restart(t)
		requireMessages(t, b, ms[0], ms[2])
		// Consumed once, across the restart too.
		require.ErrorIs(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{ms[1].ID}}), store.ErrConflict)
		dup := *ms[0]
		require.ErrorIs(t, b.store.Commit(b.ctx, &store.Transition{Send: []*store.Message{&dup}}), store.ErrExists)
		next = update(tr, 2)
		next.Ack = []string{ms[0].ID, ms[2].ID}
		require.NoError(t, b.store.Commit(b.ctx, next))
		requireMessages(t, b)
	})
}
