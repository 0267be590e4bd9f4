package badgerstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/storetest"
)

// TestSearchPlans runs the search cases again with bounds that make the
// few executions of the suite look many, so that every plan runs: with a
// bound of 1 no candidate set is small enough to check out of order and
// every search walks an index in order; with 7 both happen.
func TestSearchPlans(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 7} {
		t.Run(fmt.Sprint("cap=", limit), func(t *testing.T) {
			t.Parallel()
			storetest.RunArea(t, storetest.Harness{
				NewStore: func(t *testing.T) store.Store {
					s := open(t, Options{InMemory: true})
					s.searchCap = limit
					return s
				},
			}, "Search")
		})
	}
}

// TestSearchWordBound checks the bound on the words indexed per field: the
// first store.SearchWordsPerField distinct words, each cut at
// store.MaxWordBytes bytes.
func TestSearchWordBound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, Options{InMemory: true})

	words := make([]string, 300)
	for i := range words {
		words[i] = fmt.Sprintf("w%03d", i)
	}
	long := strings.Repeat("x", store.MaxWordBytes) + "tail"
	w := &workflow.Workflow{WorkflowID: "wf", WorkflowName: "bound", Status: workflow.StatusRunning,
		Input:  map[string]any{"text": strings.Join(words, " ")},
		Output: map[string]any{"long": long}}
	require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: w}))

	find := func(text string) []string {
		page, err := s.ExecutionSearch(ctx, store.ExecutionQuery{FreeText: text})
		require.NoError(t, err)
		return idsOf(page.Executions)
	}
	// The key "text" is the first word, then w000...
	require.Equal(t, []string{"wf"}, find("text"))
	require.Equal(t, []string{"wf"}, find("w254"))
	require.Empty(t, find("w255"), "the 257th distinct word of the input is not indexed")
	// A long word is cut, where it is indexed and where it is searched.
	require.Equal(t, []string{"wf"}, find(long))
	require.Equal(t, []string{"wf"}, find(strings.Repeat("x", store.MaxWordBytes)+"other"))
}

func idsOf(ws []*workflow.Workflow) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.WorkflowID)
	}
	return out
}

// TestIndexesOfOlderData checks executions written before the store kept
// search indexes (a head of 24 bytes, no index entry): one committed again
// is indexed by that commit; the others are indexed when the store opens.
func TestIndexesOfOlderData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)

	// What an older version wrote: head, record and input, and no marker.
	old := func(id string, input map[string]any) *workflow.Workflow {
		w := &workflow.Workflow{WorkflowID: id, WorkflowName: "legacy", WorkflowVersion: 1,
			Status: workflow.StatusRunning, CreateTime: 1000, Input: input}
		record := *w
		record.Input = nil
		require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
			h := head{Version: 1}
			return errors.Join(
				txn.Set(headKey(id), h.encode()),
				txn.Set(workflowKey(id), mustJSON(t, &record)),
				txn.Set(inputKey(id), mustJSON(t, input)),
				txn.Delete(indexedKey))
		}))
		return w
	}
	committed := old("committed", map[string]any{"color": "red"})
	old("untouched", map[string]any{"color": "blue"})

	search := func(s *Store, q store.ExecutionQuery) []string {
		page, err := s.ExecutionSearch(ctx, q)
		require.NoError(t, err)
		return idsOf(page.Executions)
	}
	require.Empty(t, search(s, store.ExecutionQuery{Name: "legacy"}))
	committed.Status = workflow.StatusCompleted
	committed.EndTime = 2000
	require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: committed, Version: 1}))
	require.Equal(t, []string{"committed"}, search(s, store.ExecutionQuery{Name: "legacy"}))
	require.Equal(t, []string{"committed"}, search(s, store.ExecutionQuery{FreeText: "red"}))
	require.NoError(t, s.Close())

	s = open(t, Options{Dir: dir})
	require.Equal(t, []string{"untouched", "committed"}, search(s, store.ExecutionQuery{Name: "legacy"}))
	require.Equal(t, []string{"untouched"}, search(s, store.ExecutionQuery{FreeText: "blue", Statuses: []workflow.Status{workflow.StatusRunning}}))
	require.Equal(t, []string{"committed"}, search(s, store.ExecutionQuery{SortBy: store.SortEndTime, EndFrom: 1}))
	require.NoError(t, s.ExecutionRemove(ctx, "untouched"))
	require.Equal(t, []string{"committed"}, search(s, store.ExecutionQuery{}))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}

// TestIndexWritesFollowChanges checks which index entries a commit
// writes: none when nothing indexed changed, and only those that moved
// otherwise.
func TestIndexWritesFollowChanges(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t, Options{InMemory: true})

	w := &workflow.Workflow{WorkflowID: "wf", WorkflowName: "order", WorkflowVersion: 1, Status: workflow.StatusRunning,
		CorrelationID: "c", CreateTime: 10_000, UpdateTime: 10_000, Input: map[string]any{"customer": "Ann"},
		Output: map[string]any{}}
	task := &workflow.Task{TaskID: "t1", WorkflowInstanceID: "wf", Seq: 1, Status: workflow.TaskScheduled}
	version := uint64(0)
	// indexWrites commits w and returns the index keys written, "-" before
	// those deleted.
	indexWrites := func(inputChanged bool) []string {
		t.Helper()
		p, err := prepareTransition(&store.Transition{Workflow: w, Version: version, Tasks: []*workflow.Task{task},
			InputChanged: inputChanged}, s.maxValueSize)
		require.NoError(t, err)
		var keys []string
		require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
			ops, err := plan(txn, &call{txs: []*transition{p}})
			if err != nil {
				return err
			}
			for _, o := range ops {
				if o.key[0] == 'x' {
					k := string(o.key[:4])
					if o.del {
						k = "-" + k
					}
					keys = append(keys, k)
				}
			}
			return apply(txn, ops)
		}))
		version++
		return keys
	}
	require.ElementsMatch(t, []string{"xa/c", "xn/o", "xs/R", "xa/u", "xc/c", "xw/a", "xw/c", "xt/w"}, indexWrites(false),
		"created: create time (all, name, status), update time, correlation id, the input's words")

	// The engine's usual commit: a task changes, the update time moves
	// within the same second.
	task.Status, w.UpdateTime = workflow.TaskInProgress, 10_400
	require.Empty(t, indexWrites(false))
	w.UpdateTime = 11_000
	require.Equal(t, []string{"-xa/u", "xa/u"}, indexWrites(false), "a new second moves the update-time entry")
	w.Variables = map[string]any{"customer": "Ann"}
	require.Equal(t, []string{}, append([]string{}, indexWrites(false)...), "no new word")
	w.Variables = map[string]any{"step": "2"}
	require.ElementsMatch(t, []string{"xw/s", "xw/2", "xt/w"}, indexWrites(false))

	// It completes: it leaves RUNNING's partition and enters the end-time
	// index; COMPLETED has no partition.
	w.Status, w.EndTime, w.UpdateTime = workflow.StatusCompleted, 11_500, 11_500
	require.ElementsMatch(t, []string{"-xs/R", "xa/e"}, indexWrites(false))
	// It is retried.
	w.Status, w.EndTime = workflow.StatusRunning, 0
	require.ElementsMatch(t, []string{"xs/R", "-xa/e"}, indexWrites(false))
	// It fails.
	w.Status, w.EndTime = workflow.StatusFailed, 11_700
	require.ElementsMatch(t, []string{"-xs/R", "xs/F", "xa/e", "xs/F"}, indexWrites(false))
	// A rerun with new input.
	w.Input = map[string]any{"customer": "Bo"}
	require.ElementsMatch(t, []string{"-xw/a", "xw/b", "xt/w"}, indexWrites(true))

	page, err := s.ExecutionSearch(ctx, store.ExecutionQuery{FreeText: "bo step", Statuses: []workflow.Status{workflow.StatusFailed}})
	require.NoError(t, err)
	require.Equal(t, []string{"wf"}, idsOf(page.Executions))
}
