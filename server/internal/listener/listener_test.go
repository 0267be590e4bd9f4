package listener

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/httpcall"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// TestOverflowReadsTheStoreAgain: with a queue of one, the events that do
// not fit wait in the store only, and are all delivered once the queue
// drains, each acknowledged.
func TestOverflowReadsTheStoreAgain(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]int{}
	hook := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Header.Get("Baton-Event-Id")]++
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	const n = 50
	msgs := make([]*store.Message, n)
	for i := range msgs {
		msgs[i] = Message(fmt.Sprintf("ev-%03d", i), "", &Event{Type: "WORKFLOW_STARTED", WorkflowID: "wf", Time: 1})
	}
	require.NoError(t, st.Commit(t.Context(), &store.Transition{Send: msgs}))

	l, err := New(Config{
		Store: st, HTTP: httpcall.New(httpcall.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}),
		URL: hook.URL, Queue: 1, Workers: 1,
	})
	require.NoError(t, err)
	for _, m := range msgs {
		l.Enqueue(m) // all but the first overflow
	}
	l.Start()
	t.Cleanup(l.Stop)
	require.Eventually(t, func() bool {
		left := 0
		require.NoError(t, st.Messages(t.Context(), func(*store.Message) error { left++; return nil }))
		return left == 0
	}, 20*time.Second, 5*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, n)
}

// TestStopLetsAttemptsFinish: Stop waits for an attempt in flight, so an
// event the receiver answered is acknowledged and not sent again after the
// restart; an attempt still unanswered after the grace period is cut off
// and its event stays in the store.
func TestStopLetsAttemptsFinish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		delay time.Duration
		left  int
	}{
		{"answered within the grace", 300 * time.Millisecond, 0},
		{"not answered", time.Minute, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			arrived := make(chan struct{})
			hook := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the caller leave
				close(arrived)
				select {
				case <-time.After(tc.delay):
				case <-r.Context().Done():
				}
			}))
			t.Cleanup(hook.Close)
			st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
			require.NoError(t, err)
			t.Cleanup(func() { st.Close() })
			m := Message("ev-stop", "", &Event{Type: "WORKFLOW_STARTED", WorkflowID: "wf", Time: 1})
			require.NoError(t, st.Commit(t.Context(), &store.Transition{Send: []*store.Message{m}}))

			l, err := New(Config{
				Store: st, HTTP: httpcall.New(httpcall.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}),
				URL: hook.URL, Workers: 1,
			})
			require.NoError(t, err)
			l.Enqueue(m)
			l.Start()
			<-arrived
			begun := time.Now()
			l.Stop()
			require.Less(t, time.Since(begun), stopGrace+time.Second, "Stop waits no longer than its grace")
			left := 0
			require.NoError(t, st.Messages(t.Context(), func(*store.Message) error { left++; return nil }))
			require.Equal(t, tc.left, left)
		})
	}
}
