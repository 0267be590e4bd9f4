package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/store"
)

// testDeadLetters covers the DeadLetters methods: a message moved to the
// dead-letter list leaves the messages in the same transaction, is listed
// in id order, page by page, and goes back to the messages unchanged when
// redriven; every move is all or none.
func testDeadLetters(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// send stores n listener messages, ids in order.
	send := func(t *testing.T, b *testBundle, n int) []*store.Message {
		t.Helper()
		prefix := newID("dl")
		ms := make([]*store.Message, n)
		for i := range ms {
			ms[i] = &store.Message{
				ID: fmt.Sprintf("%s-%03d", prefix, i), Kind: "listener", WorkflowID: newID("wf"),
				Body: json.RawMessage(fmt.Sprintf(`{"event":{"n":9007199254740993,"i":%d}}`, i)),
				Time: baseTime.UnixMilli() + int64(i),
			}
		}
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Send: ms}))
		return ms
	}
	messageIDs := func(t *testing.T, b *testBundle) []string {
		t.Helper()
		ids := []string{}
		require.NoError(t, b.store.Messages(b.ctx, func(m *store.Message) error {
			ids = append(ids, m.ID)
			return nil
		}))
		return ids
	}
	deadIDs := func(t *testing.T, b *testBundle) []string {
		t.Helper()
		list, err := b.store.DeadLetterList(b.ctx, "", store.MaxDeadLetterLimit)
		require.NoError(t, err)
		ids := []string{}
		for _, d := range list {
			ids = append(ids, d.Message.ID)
		}
		return ids
	}
	dead := func(m *store.Message, attempts int) *store.DeadLetter {
		return &store.DeadLetter{Message: m, Attempts: attempts, Error: "HTTP 500 Internal Server Error: boom", Time: baseTime.UnixMilli()}
	}

	t.Run("PutMovesTheMessage", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 2)
		require.NoError(t, b.store.DeadLetterPut(b.ctx, dead(ms[0], 5)))
		require.Equal(t, []string{ms[1].ID}, messageIDs(t, b))
		list, err := b.store.DeadLetterList(b.ctx, "", 0)
		require.NoError(t, err)
		require.Len(t, list, 1)
		got := list[0]
		require.Equal(t, 5, got.Attempts)
		require.Equal(t, "HTTP 500 Internal Server Error: boom", got.Error)
		require.Equal(t, baseTime.UnixMilli(), got.Time)
		require.Equal(t, ms[0].ID, got.Message.ID)
		require.Equal(t, ms[0].Kind, got.Message.Kind)
		require.Equal(t, ms[0].WorkflowID, got.Message.WorkflowID)
		require.JSONEq(t, string(ms[0].Body), string(got.Message.Body))
	})

	t.Run("PutOfAnAcknowledgedMessageConflicts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 1)
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{ms[0].ID}}))
		err := b.store.DeadLetterPut(b.ctx, dead(ms[0], 1))
		require.ErrorIs(t, err, store.ErrConflict)
		require.Empty(t, deadIDs(t, b))
	})

	t.Run("AckAfterPutConflicts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 1)
		require.NoError(t, b.store.DeadLetterPut(b.ctx, dead(ms[0], 1)))
		err := b.store.Commit(b.ctx, &store.Transition{Ack: []string{ms[0].ID}})
		require.ErrorIs(t, err, store.ErrConflict)
		require.Equal(t, []string{ms[0].ID}, deadIDs(t, b))
	})

	t.Run("AckAndPutRaceOneWins", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 20)
		var wg sync.WaitGroup
		errs := make([][2]error, len(ms))
		for i, m := range ms {
			wg.Add(2)
			go func() { defer wg.Done(); errs[i][0] = b.store.Commit(b.ctx, &store.Transition{Ack: []string{m.ID}}) }()
			go func() { defer wg.Done(); errs[i][1] = b.store.DeadLetterPut(b.ctx, dead(m, 1)) }()
		}
		wg.Wait()
		deadSet := map[string]bool{}
		for _, id := range deadIDs(t, b) {
			deadSet[id] = true
		}
		for i, m := range ms {
			acked, put := errs[i][0] == nil, errs[i][1] == nil
			require.True(t, acked != put, "message %d: exactly one of ack (%v) and put (%v) succeeds", i, errs[i][0], errs[i][1])
			require.Equal(t, put, deadSet[m.ID])
		}
		require.Empty(t, messageIDs(t, b))
	})

	t.Run("ListPages", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 7)
		for _, m := range ms {
			require.NoError(t, b.store.DeadLetterPut(b.ctx, dead(m, 1)))
		}
		var got []string
		after := ""
		for {
			page, err := b.store.DeadLetterList(b.ctx, after, 3)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), 3)
			if len(page) == 0 {
				break
			}
			for _, d := range page {
				got = append(got, d.Message.ID)
			}
			after = page[len(page)-1].Message.ID
		}
		var want []string
		for _, m := range ms {
			want = append(want, m.ID)
		}
		require.Equal(t, want, got)

		for _, limit := range []int{-1, store.MaxDeadLetterLimit + 1} {
			_, err := b.store.DeadLetterList(b.ctx, "", limit)
			require.ErrorIs(t, err, store.ErrInvalid, "limit %d", limit)
		}
	})

	t.Run("ListPagesBoundedInBytes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		big := strings.Repeat("x", 60<<10) // about a listener event's size cap
		var ms []*store.Message
		for i := range 40 {
			ms = append(ms, &store.Message{ID: fmt.Sprintf("%s-%03d", newID("big"), i), Kind: "listener",
				Body: json.RawMessage(fmt.Sprintf(`{"pad":%q}`, big)), Time: baseTime.UnixMilli()})
		}
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Send: ms}))
		for _, m := range ms {
			require.NoError(t, b.store.DeadLetterPut(b.ctx, dead(m, 1)))
		}
		seen, pages, after := 0, 0, ""
		for {
			page, err := b.store.DeadLetterList(b.ctx, after, store.MaxDeadLetterLimit)
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			size := 0
			for _, d := range page {
				size += len(d.Message.Body)
			}
			require.LessOrEqual(t, size, store.DeadLetterPageBytes, "a page stays within its byte bound")
			seen += len(page)
			pages++
			after = page[len(page)-1].Message.ID
		}
		require.Equal(t, len(ms), seen, "every dead letter is listed once")
		require.Greater(t, pages, 1)
	})

	t.Run("RedriveMovesBack", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 3)
		for _, m := range ms {
			require.NoError(t, b.store.DeadLetterPut(b.ctx, dead(m, 4)))
		}
		got, err := b.store.DeadLetterRedrive(b.ctx, []string{ms[2].ID, ms[0].ID})
		require.NoError(t, err)
		require.Len(t, got, 2)
		require.Equal(t, ms[2].ID, got[0].ID)
		require.Equal(t, ms[0].ID, got[1].ID)
		require.Equal(t, ms[0].Kind, got[1].Kind)
		require.JSONEq(t, string(ms[0].Body), string(got[1].Body))
		require.Equal(t, []string{ms[0].ID, ms[2].ID}, messageIDs(t, b))
		require.Equal(t, []string{ms[1].ID}, deadIDs(t, b))

		// A redriven message is a message again: acknowledged once.
		require.NoError(t, b.store.Commit(b.ctx, &store.Transition{Ack: []string{ms[0].ID}}))
		require.Equal(t, []string{ms[2].ID}, messageIDs(t, b))
	})

	t.Run("RedriveAndDeleteAreAllOrNone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 2)
		require.NoError(t, b.store.DeadLetterPut(b.ctx, dead(ms[0], 1)))
		_, err := b.store.DeadLetterRedrive(b.ctx, []string{ms[0].ID, "no-such-id"})
		require.ErrorIs(t, err, store.ErrNotFound)
		err = b.store.DeadLetterDelete(b.ctx, []string{ms[0].ID, ms[1].ID}) // ms[1] is a message, not a dead letter
		require.ErrorIs(t, err, store.ErrNotFound)
		require.Equal(t, []string{ms[0].ID}, deadIDs(t, b))
		require.Equal(t, []string{ms[1].ID}, messageIDs(t, b))

		_, err = b.store.DeadLetterRedrive(b.ctx, []string{ms[0].ID, ms[0].ID})
		require.ErrorIs(t, err, store.ErrInvalid)
		_, err = b.store.DeadLetterRedrive(b.ctx, nil)
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorIs(t, b.store.DeadLetterDelete(b.ctx, nil), store.ErrInvalid)

		require.NoError(t, b.store.DeadLetterDelete(b.ctx, []string{ms[0].ID}))
		require.Empty(t, deadIDs(t, b))
		require.Equal(t, []string{ms[1].ID}, messageIDs(t, b))
	})

	t.Run("SurvivesRestart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ms := send(t, b, 1)
		require.NoError(t, b.store.DeadLetterPut(b.ctx, dead(ms[0], 3)))
		b.restart(t)
		require.Equal(t, []string{ms[0].ID}, deadIDs(t, b))
		require.Empty(t, messageIDs(t, b))
	})
}
