package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testSearch covers ExecutionSearch: every filter and order, pages and
// their cursors, invalid queries, and the indexes following every change
// of an execution (status, end time, output, input), its removal and a
// restart. searchProperty (search_property.go) compares it with a
// brute-force filter over random executions.
func testSearch(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// The fixture: executions named by their ids, created a second apart
	// (t0 + n s), some ended.
	t0 := baseTime.UnixMilli()
	sec := func(n int) int64 { return t0 + int64(n)*1000 }
	fixture := func(t *testing.T) *searchWorld {
		t.Helper()
		w := newSearchWorld(t, setup(t))
		add := func(id, name string, version int, status workflow.Status, created, ended int, corr, idem string,
			input, output, variables map[string]any, reason string) {
			wf := searchWorkflow(id, name, version, status, sec(created))
			if ended > 0 {
				wf.EndTime = sec(ended)
			}
			wf.UpdateTime = max(wf.EndTime, wf.CreateTime+500)
			wf.CorrelationID, wf.IdempotencyKey = corr, idem
			wf.Input, wf.Output, wf.Variables, wf.ReasonForIncompletion = input, output, variables, reason
			w.create(wf)
		}
		add("a", "order", 1, workflow.StatusCompleted, 1, 5, "c1", "k1",
			map[string]any{"customer": "Alice Smith", "items": []any{"book", "pen"}}, map[string]any{"total": json.Number("12.5")}, nil, "")
		add("b", "order", 2, workflow.StatusFailed, 2, 4, "c1", "",
			map[string]any{"customer": "Bob"}, map[string]any{}, nil, "Payment declined by the bank")
		add("c", "order", 2, workflow.StatusRunning, 3, 0, "c2", "k1",
			map[string]any{"customer": "Carol", "express": true}, map[string]any{}, map[string]any{"step": "packing"}, "")
		add("d", "payment", 1, workflow.StatusCompleted, 4, 9, "", "k2",
			map[string]any{"amount": json.Number("99")}, map[string]any{"receipt": "R-42 ok"}, nil, "")
		add("e", "payment", 1, workflow.StatusTimedOut, 5, 7, "c3", "",
			map[string]any{"amount": json.Number("7")}, map[string]any{}, nil, "Task timed out")
		add("f", "shipping", 3, workflow.StatusPaused, 6, 0, "c2", "",
			map[string]any{"address": "1 Main Street"}, map[string]any{}, nil, "")
		add("g", "shipping", 3, workflow.StatusTerminated, 7, 8, "", "",
			map[string]any{"address": "2 Side Street"}, map[string]any{}, nil, "Terminated by Alice")
		add("h", "order", 1, workflow.StatusRunning, 8, 0, "", "",
			map[string]any{"customer": "Dave Smith"}, map[string]any{}, nil, "")
		return w
	}

	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		for _, c := range []struct {
			name string
			q    store.ExecutionQuery
			want []string
		}{
			{"All", store.ExecutionQuery{}, []string{"h", "g", "f", "e", "d", "c", "b", "a"}},
			{"Name", store.ExecutionQuery{Name: "order"}, []string{"h", "c", "b", "a"}},
			{"NameUnknown", store.ExecutionQuery{Name: "nope"}, []string{}},
			{"NamePrefixIsNotName", store.ExecutionQuery{Name: "ord"}, []string{}},
			{"Version", store.ExecutionQuery{Name: "order", Version: 2}, []string{"c", "b"}},
			{"Status", store.ExecutionQuery{Statuses: []workflow.Status{workflow.StatusRunning}}, []string{"h", "c"}},
			{"StatusCompleted", store.ExecutionQuery{Statuses: []workflow.Status{workflow.StatusCompleted}}, []string{"d", "a"}},
			{"Statuses", store.ExecutionQuery{Statuses: []workflow.Status{workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusFailed}},
				[]string{"e", "b"}},
			{"NameAndStatus", store.ExecutionQuery{Name: "order", Statuses: []workflow.Status{workflow.StatusRunning, workflow.StatusCompleted}},
				[]string{"h", "c", "a"}},
			{"Correlation", store.ExecutionQuery{CorrelationID: "c1"}, []string{"b", "a"}},
			{"CorrelationAndName", store.ExecutionQuery{CorrelationID: "c2", Name: "shipping"}, []string{"f"}},
			{"IdempotencyKey", store.ExecutionQuery{IdempotencyKey: "k1"}, []string{"c", "a"}},
			{"IdempotencyKeyAndCorrelation", store.ExecutionQuery{IdempotencyKey: "k1", CorrelationID: "c1"}, []string{"a"}},
			{"StartRange", store.ExecutionQuery{StartFrom: sec(3), StartTo: sec(6)}, []string{"e", "d", "c"}},
			{"StartFrom", store.ExecutionQuery{StartFrom: sec(7)}, []string{"h", "g"}},
			{"StartTo", store.ExecutionQuery{StartTo: sec(2)}, []string{"a"}},
			{"EndRange", store.ExecutionQuery{EndFrom: sec(5), EndTo: sec(9)}, []string{"g", "e", "a"}},
			{"EndToOnlyEnded", store.ExecutionQuery{EndTo: sec(6)}, []string{"b", "a"}},
			{"EndFromOnlyEnded", store.ExecutionQuery{EndFrom: 1}, []string{"g", "e", "d", "b", "a"}},
			{"StartAndEnd", store.ExecutionQuery{StartFrom: sec(2), EndTo: sec(8)}, []string{"e", "b"}},
			{"FreeTextInput", store.ExecutionQuery{FreeText: "smith"}, []string{"h", "a"}},
			{"FreeTextCase", store.ExecutionQuery{FreeText: "ALICE"}, []string{"g", "a"}},
			{"FreeTextTwoWords", store.ExecutionQuery{FreeText: "Alice smith"}, []string{"a"}},
			{"FreeTextWholeWords", store.ExecutionQuery{FreeText: "smit"}, []string{}},
			{"FreeTextOutput", store.ExecutionQuery{FreeText: "r-42"}, []string{"d"}},
			{"FreeTextNumber", store.ExecutionQuery{FreeText: "12.5"}, []string{"a"}},
			{"FreeTextKey", store.ExecutionQuery{FreeText: "express"}, []string{"c"}},
			{"FreeTextBoolean", store.ExecutionQuery{FreeText: "true"}, []string{"c"}},
			{"FreeTextArray", store.ExecutionQuery{FreeText: "pen"}, []string{"a"}},
			{"FreeTextVariables", store.ExecutionQuery{FreeText: "packing"}, []string{"c"}},
			{"FreeTextReason", store.ExecutionQuery{FreeText: "declined"}, []string{"b"}},
			{"FreeTextAcrossFields", store.ExecutionQuery{FreeText: "bob bank"}, []string{"b"}},
			{"FreeTextBlank", store.ExecutionQuery{FreeText: "  "}, []string{"h", "g", "f", "e", "d", "c", "b", "a"}},
			{"FreeTextAndStatus", store.ExecutionQuery{FreeText: "street", Statuses: []workflow.Status{workflow.StatusPaused}}, []string{"f"}},
			{"FreeTextAndName", store.ExecutionQuery{FreeText: "timed", Name: "payment"}, []string{"e"}},
			{"Everything", store.ExecutionQuery{Name: "order", Version: 1, Statuses: []workflow.Status{workflow.StatusCompleted},
				CorrelationID: "c1", IdempotencyKey: "k1", StartFrom: sec(1), StartTo: sec(2), EndFrom: sec(5), EndTo: sec(6),
				FreeText: "book"}, []string{"a"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				got := w.searchAll(c.q, 0)
				require.Equal(t, c.want, got)
				require.Equal(t, c.want, w.expect(c.q), "the brute-force filter disagrees with the table")
			})
		}
	})

	t.Run("Orders", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		// i is updated last; its update time is the latest.
		w.update("e", func(wf *workflow.Workflow) { wf.UpdateTime = sec(20) })
		for _, c := range []struct {
			name string
			q    store.ExecutionQuery
			want []string
		}{
			{"CreateDescending", store.ExecutionQuery{}, []string{"h", "g", "f", "e", "d", "c", "b", "a"}},
			{"CreateAscending", store.ExecutionQuery{Ascending: true}, []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
			// Not ended (EndTime 0) sorts as 0, ties by create time.
			{"EndDescending", store.ExecutionQuery{SortBy: store.SortEndTime}, []string{"d", "g", "e", "a", "b", "h", "f", "c"}},
			{"EndAscending", store.ExecutionQuery{SortBy: store.SortEndTime, Ascending: true}, []string{"c", "f", "h", "b", "a", "e", "g", "d"}},
			{"EndByName", store.ExecutionQuery{SortBy: store.SortEndTime, Name: "order"}, []string{"a", "b", "h", "c"}},
			{"EndByStatus", store.ExecutionQuery{SortBy: store.SortEndTime, Statuses: []workflow.Status{workflow.StatusRunning, workflow.StatusFailed}},
				[]string{"b", "h", "c"}},
			{"UpdateDescending", store.ExecutionQuery{SortBy: store.SortUpdateTime}, []string{"e", "d", "h", "g", "f", "a", "b", "c"}},
			{"UpdateAscending", store.ExecutionQuery{SortBy: store.SortUpdateTime, Ascending: true}, []string{"c", "b", "a", "f", "g", "h", "d", "e"}},
			{"UpdateByName", store.ExecutionQuery{SortBy: store.SortUpdateTime, Name: "payment"}, []string{"e", "d"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				require.Equal(t, c.want, w.searchAll(c.q, 0))
				require.Equal(t, c.want, w.expect(c.q), "the brute-force filter disagrees with the table")
				// The same one execution at a time.
				require.Equal(t, c.want, w.searchAll(c.q, 1))
			})
		}
	})

	t.Run("PageContent", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		page, err := w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{Name: "order", Limit: 2})
		require.NoError(t, err)
		require.Len(t, page.Executions, 2)
		require.NotEmpty(t, page.Next)
		for _, got := range page.Executions {
			want := *w.execs[got.WorkflowID]
			want.Tasks, want.WorkflowDefinition = nil, nil
			require.Equal(t, &want, got, "an execution without tasks and snapshot, with its input")
		}
		page, err = w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{Name: "order", Limit: 2, Cursor: page.Next})
		require.NoError(t, err)
		require.Equal(t, []string{"b", "a"}, ids(page.Executions))
		require.Empty(t, page.Next, "the last page has no cursor")

		page, err = w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{Name: "nope"})
		require.NoError(t, err)
		require.NotNil(t, page.Executions)
		require.Empty(t, page.Executions)
		require.Empty(t, page.Next)
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		t.Parallel()
		w := newSearchWorld(t, setup(t))
		var tr []*store.Transition
		for i := range store.DefaultSearchLimit + 5 {
			tr = append(tr, &store.Transition{Workflow: searchWorkflow(fmt.Sprintf("w%03d", i), "bulk", 1, workflow.StatusRunning, t0+int64(i))})
		}
		require.NoError(t, w.b.store.Commit(w.b.ctx, tr...))
		page, err := w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{})
		require.NoError(t, err)
		require.Len(t, page.Executions, store.DefaultSearchLimit)
		require.Equal(t, "w104", page.Executions[0].WorkflowID)
		page, err = w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{Cursor: page.Next, Limit: store.MaxSearchLimit})
		require.NoError(t, err)
		require.Equal(t, []string{"w004", "w003", "w002", "w001", "w000"}, ids(page.Executions))
	})

	t.Run("PagesWhileChanging", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		// Page through RUNNING, PAUSED and COMPLETED executions sorted by
		// end time, two at a time, while executions change between pages.
		q := store.ExecutionQuery{SortBy: store.SortEndTime, Limit: 2,
			Statuses: []workflow.Status{workflow.StatusRunning, workflow.StatusPaused, workflow.StatusCompleted}}
		page, err := w.b.store.ExecutionSearch(w.b.ctx, q)
		require.NoError(t, err)
		require.Equal(t, []string{"d", "a"}, ids(page.Executions))

		// An execution created meanwhile, one already listed that
		// completes again later, and one not listed yet that moves ahead
		// of the cursor: none is listed twice; the others are listed
		// once.
		w.create(searchWorkflow("new", "order", 1, workflow.StatusRunning, sec(30)))
		w.update("a", func(wf *workflow.Workflow) { wf.EndTime = sec(1) })
		w.update("f", func(wf *workflow.Workflow) {
			wf.Status, wf.EndTime = workflow.StatusCompleted, sec(40)
		})
		var rest []string
		for page.Next != "" {
			q.Cursor = page.Next
			page, err = w.b.store.ExecutionSearch(w.b.ctx, q)
			require.NoError(t, err)
			rest = append(rest, ids(page.Executions)...)
		}
		// f moved before the cursor and is missed (it changed); a moved
		// after it and is listed again (it changed too). The others that
		// did not change are each listed once.
		require.Equal(t, []string{"a", "new", "h", "c"}, rest)
	})

	t.Run("CursorOfAnotherQuery", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		page, err := w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{Name: "order", Limit: 1})
		require.NoError(t, err)
		_, err = w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{Name: "payment", Limit: 1, Cursor: page.Next})
		require.ErrorIs(t, err, store.ErrInvalid)
		require.ErrorContains(t, err, "cursor")
		// Another page size is the same query.
		page, err = w.b.store.ExecutionSearch(w.b.ctx, store.ExecutionQuery{Name: "order", Limit: 3, Cursor: page.Next})
		require.NoError(t, err)
		require.Equal(t, []string{"c", "b", "a"}, ids(page.Executions))
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, c := range []struct {
			name string
			q    store.ExecutionQuery
			msg  string
		}{
			{"LimitTooLarge", store.ExecutionQuery{Limit: store.MaxSearchLimit + 1}, "limit 1001"},
			{"LimitNegative", store.ExecutionQuery{Limit: -1}, "limit -1"},
			{"VersionWithoutName", store.ExecutionQuery{Version: 2}, "version 2"},
			{"VersionNegative", store.ExecutionQuery{Name: "order", Version: -1}, "version -1"},
			{"NegativeStart", store.ExecutionQuery{StartFrom: -5}, "negative"},
			{"NegativeEnd", store.ExecutionQuery{EndTo: -5}, "negative"},
			{"EmptyStartRange", store.ExecutionQuery{StartFrom: 10, StartTo: 10}, "empty"},
			{"EmptyEndRange", store.ExecutionQuery{EndFrom: 20, EndTo: 10}, "empty"},
			{"UnknownStatus", store.ExecutionQuery{Statuses: []workflow.Status{"DONE"}}, `"DONE"`},
			{"UnknownSort", store.ExecutionQuery{SortBy: "name"}, `"name"`},
			{"FreeTextWithoutWords", store.ExecutionQuery{FreeText: "?!"}, "no word"},
			{"TooManyWords", store.ExecutionQuery{FreeText: "a b c d e f g h i j k l m n o p q"}, "17 words"},
			{"MalformedCursor", store.ExecutionQuery{Cursor: "not a cursor"}, "malformed"},
			{"TruncatedCursor", store.ExecutionQuery{Cursor: "AQ"}, "malformed"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := b.store.ExecutionSearch(b.ctx, c.q)
				require.ErrorIs(t, err, store.ErrInvalid)
				require.ErrorContains(t, err, c.msg)
			})
		}
	})

	t.Run("StatusAndEndTimeFollowed", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		running := store.ExecutionQuery{Statuses: []workflow.Status{workflow.StatusRunning}}
		ended := store.ExecutionQuery{EndFrom: 1, SortBy: store.SortEndTime}

		// h completes.
		w.update("h", func(wf *workflow.Workflow) {
			wf.Status, wf.EndTime, wf.Output = workflow.StatusCompleted, sec(12), map[string]any{"result": "shipped"}
		})
		require.Equal(t, []string{"c"}, w.searchAll(running, 0))
		require.Equal(t, []string{"h", "d", "g", "e", "a", "b"}, w.searchAll(ended, 0))
		require.Equal(t, []string{"h"}, w.searchAll(store.ExecutionQuery{FreeText: "shipped"}, 0))

		// b is retried: RUNNING again, no end time, no reason.
		w.update("b", func(wf *workflow.Workflow) {
			wf.Status, wf.EndTime, wf.ReasonForIncompletion = workflow.StatusRunning, 0, ""
		})
		require.Equal(t, []string{"c", "b"}, w.searchAll(running, 0))
		require.Equal(t, []string{"h", "d", "g", "e", "a"}, w.searchAll(ended, 0))
		require.Empty(t, w.searchAll(store.ExecutionQuery{FreeText: "declined"}, 0))
		require.Equal(t, []string{"b"}, w.searchAll(store.ExecutionQuery{FreeText: "bob"}, 0), "the input is still indexed")

		// c pauses, then ends, then is restarted.
		w.update("c", func(wf *workflow.Workflow) { wf.Status = workflow.StatusPaused })
		require.Equal(t, []string{"b"}, w.searchAll(running, 0))
		require.Equal(t, []string{"f", "c"}, w.searchAll(store.ExecutionQuery{Statuses: []workflow.Status{workflow.StatusPaused}}, 0))
		w.update("c", func(wf *workflow.Workflow) { wf.Status, wf.EndTime = workflow.StatusTerminated, sec(13) })
		require.Equal(t, []string{"c", "h", "d", "g", "e", "a"}, w.searchAll(ended, 0))
		w.update("c", func(wf *workflow.Workflow) { wf.Status, wf.EndTime = workflow.StatusRunning, 0 })
		require.Equal(t, []string{"h", "d", "g", "e", "a"}, w.searchAll(ended, 0))
		require.Equal(t, []string{"c", "b"}, w.searchAll(running, 0))

		// Names, versions, correlation ids and keys may change too.
		w.update("d", func(wf *workflow.Workflow) {
			wf.WorkflowName, wf.WorkflowVersion, wf.CorrelationID, wf.IdempotencyKey = "refund", 4, "c9", ""
		})
		require.Equal(t, []string{"e"}, w.searchAll(store.ExecutionQuery{Name: "payment"}, 0))
		require.Equal(t, []string{"d"}, w.searchAll(store.ExecutionQuery{Name: "refund", Version: 4}, 0))
		require.Equal(t, []string{"d"}, w.searchAll(store.ExecutionQuery{CorrelationID: "c9"}, 0))
		require.Empty(t, w.searchAll(store.ExecutionQuery{IdempotencyKey: "k2"}, 0))
		w.requireAgrees()
	})

	t.Run("OutputAndVariablesFollowed", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		w.update("f", func(wf *workflow.Workflow) { wf.Variables = map[string]any{"note": "fragile parcel"} })
		require.Equal(t, []string{"f"}, w.searchAll(store.ExecutionQuery{FreeText: "fragile"}, 0))
		w.update("f", func(wf *workflow.Workflow) { wf.Variables = map[string]any{"note": "heavy parcel"} })
		require.Empty(t, w.searchAll(store.ExecutionQuery{FreeText: "fragile"}, 0))
		require.Equal(t, []string{"f"}, w.searchAll(store.ExecutionQuery{FreeText: "heavy street"}, 0))
		// A word of both the input and the output stays when the output
		// loses it.
		w.update("g", func(wf *workflow.Workflow) { wf.Output = map[string]any{"where": "Side"} })
		w.update("g", func(wf *workflow.Workflow) { wf.Output = map[string]any{} })
		require.Equal(t, []string{"g"}, w.searchAll(store.ExecutionQuery{FreeText: "side"}, 0))
		w.requireAgrees()
	})

	t.Run("InputChanged", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		// Without InputChanged the input is the one of the start.
		w.updateInput("a", map[string]any{"customer": "Erin"}, false)
		require.Equal(t, []string{"h", "a"}, w.searchAll(store.ExecutionQuery{FreeText: "smith"}, 0))
		require.Empty(t, w.searchAll(store.ExecutionQuery{FreeText: "erin"}, 0))
		w.updateInput("a", map[string]any{"customer": "Erin"}, true)
		require.Equal(t, []string{"h"}, w.searchAll(store.ExecutionQuery{FreeText: "smith"}, 0))
		require.Equal(t, []string{"a"}, w.searchAll(store.ExecutionQuery{FreeText: "erin"}, 0))
		w.requireAgrees()
	})

	t.Run("Removed", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		w.remove("a")
		w.remove("c")
		require.Equal(t, []string{"h", "b"}, w.searchAll(store.ExecutionQuery{Name: "order"}, 0))
		require.Empty(t, w.searchAll(store.ExecutionQuery{FreeText: "alice smith"}, 0))
		require.Empty(t, w.searchAll(store.ExecutionQuery{IdempotencyKey: "k1"}, 0))
		require.Equal(t, []string{"b"}, w.searchAll(store.ExecutionQuery{CorrelationID: "c1"}, 0))
		w.requireAgrees()

		// The id may be used again, and the new execution is found.
		w.create(searchWorkflow("a", "refund", 1, workflow.StatusRunning, sec(50)))
		require.Equal(t, []string{"a"}, w.searchAll(store.ExecutionQuery{Name: "refund"}, 0))
		w.requireAgrees()
	})

	t.Run("AfterRestart", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		w.b.restart(t)
		w.requireAgrees()
		w.update("h", func(wf *workflow.Workflow) { wf.Status, wf.EndTime = workflow.StatusFailed, sec(20) })
		require.Equal(t, []string{"h", "b"}, w.searchAll(store.ExecutionQuery{Statuses: []workflow.Status{workflow.StatusFailed}}, 0))
		w.requireAgrees()
	})

	t.Run("Property", func(t *testing.T) {
		t.Parallel()
		searchProperty(t, setup(t))
	})
}

// searchWorld keeps the executions a case committed, as committed, to
// check searches against a brute-force filter.
type searchWorld struct {
	t        *testing.T
	b        *testBundle
	execs    map[string]*workflow.Workflow
	versions map[string]uint64
}

func newSearchWorld(t *testing.T, b *testBundle) *searchWorld {
	return &searchWorld{t: t, b: b, execs: map[string]*workflow.Workflow{}, versions: map[string]uint64{}}
}

// searchWorkflow returns an execution with what every search reads.
func searchWorkflow(id, name string, version int, status workflow.Status, created int64) *workflow.Workflow {
	return &workflow.Workflow{
		WorkflowID: id, WorkflowName: name, WorkflowVersion: version, Status: status,
		Input: map[string]any{}, Output: map[string]any{},
		CreateTime: created, StartTime: created, UpdateTime: created,
	}
}

func (w *searchWorld) create(wf *workflow.Workflow) {
	w.t.Helper()
	require.NoError(w.t, w.b.store.Commit(w.b.ctx, &store.Transition{Workflow: wf}))
	w.execs[wf.WorkflowID], w.versions[wf.WorkflowID] = cloneWorkflow(w.t, wf), 1
}

// update commits a change of an execution.
func (w *searchWorld) update(id string, change func(*workflow.Workflow)) {
	w.t.Helper()
	wf := cloneWorkflow(w.t, w.execs[id])
	change(wf)
	w.commit(&store.Transition{Workflow: wf, Version: w.versions[id]})
}

// updateInput commits a new input, which is stored only when changed is
// set.
func (w *searchWorld) updateInput(id string, input map[string]any, changed bool) {
	w.t.Helper()
	wf := cloneWorkflow(w.t, w.execs[id])
	wf.Input = input
	w.commit(&store.Transition{Workflow: wf, Version: w.versions[id], InputChanged: changed})
}

func (w *searchWorld) commit(tr *store.Transition) {
	w.t.Helper()
	require.NoError(w.t, w.b.store.Commit(w.b.ctx, tr))
	id := tr.Workflow.WorkflowID
	input := w.execs[id].Input
	w.execs[id] = cloneWorkflow(w.t, tr.Workflow)
	if !tr.InputChanged {
		w.execs[id].Input = input
	}
	w.versions[id]++
}

func (w *searchWorld) remove(id string) {
	w.t.Helper()
	require.NoError(w.t, w.b.store.ExecutionRemove(w.b.ctx, id))
	delete(w.execs, id)
	delete(w.versions, id)
}

// searchAll follows every page of q (of limit executions, the default if
// 0) and returns the ids found, checking that none comes twice.
func (w *searchWorld) searchAll(q store.ExecutionQuery, limit int) []string {
	w.t.Helper()
	q.Limit = limit
	got := []string{}
	for {
		page, err := w.b.store.ExecutionSearch(w.b.ctx, q)
		require.NoError(w.t, err, "query %+v", q)
		if limit > 0 {
			require.LessOrEqual(w.t, len(page.Executions), limit)
		}
		for _, e := range page.Executions {
			require.NotContains(w.t, got, e.WorkflowID, "listed twice by %+v", q)
			got = append(got, e.WorkflowID)
		}
		if page.Next == "" {
			return got
		}
		require.NotEmpty(w.t, page.Executions, "a page with a cursor has executions")
		q.Cursor = page.Next
	}
}

// expect returns the ids q must find, by brute force.
func (w *searchWorld) expect(q store.ExecutionQuery) []string {
	return bruteForceSearch(w.execs, q)
}

// requireAgrees checks a few searches against the brute-force filter.
func (w *searchWorld) requireAgrees() {
	w.t.Helper()
	for _, q := range []store.ExecutionQuery{
		{}, {Ascending: true}, {SortBy: store.SortEndTime}, {SortBy: store.SortUpdateTime, Ascending: true},
		{Statuses: []workflow.Status{workflow.StatusRunning}}, {Name: "order"}, {FreeText: "street"}, {EndFrom: 1},
	} {
		require.Equal(w.t, w.expect(q), w.searchAll(q, 3), "query %+v", q)
	}
}

func ids(ws []*workflow.Workflow) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.WorkflowID)
	}
	return out
}

// cloneWorkflow returns a deep copy of a workflow, through JSON as a store
// would.
func cloneWorkflow(t *testing.T, w *workflow.Workflow) *workflow.Workflow {
	t.Helper()
	data, err := json.Marshal(w)
	require.NoError(t, err)
	var c workflow.Workflow
	require.NoError(t, workflow.Decode(data, &c))
	return &c
}

// bruteForceSearch filters and sorts executions as ExecutionQuery says,
// without any index, and returns their ids in order.
func bruteForceSearch(execs map[string]*workflow.Workflow, q store.ExecutionQuery) []string {
	words := textWords(q.FreeText)
	var match []*workflow.Workflow
	for _, w := range execs {
		switch {
		case q.Name != "" && w.WorkflowName != q.Name,
			q.Version != 0 && w.WorkflowVersion != q.Version,
			len(q.Statuses) > 0 && !slices.Contains(q.Statuses, w.Status),
			q.CorrelationID != "" && w.CorrelationID != q.CorrelationID,
			q.IdempotencyKey != "" && w.IdempotencyKey != q.IdempotencyKey,
			q.StartFrom != 0 && w.CreateTime < q.StartFrom,
			q.StartTo != 0 && w.CreateTime >= q.StartTo,
			(q.EndFrom != 0 || q.EndTo != 0) && w.EndTime <= 0,
			q.EndFrom != 0 && w.EndTime < q.EndFrom,
			q.EndTo != 0 && w.EndTime >= q.EndTo:
			continue
		}
		if len(words) > 0 {
			have := executionWords(w)
			if slices.ContainsFunc(words, func(word string) bool { return !have[word] }) {
				continue
			}
		}
		match = append(match, w)
	}
	key := func(w *workflow.Workflow) [2]int64 {
		switch q.SortBy {
		case store.SortEndTime:
			return [2]int64{w.EndTime, w.CreateTime}
		case store.SortUpdateTime:
			return [2]int64{w.UpdateTime}
		}
		return [2]int64{w.CreateTime}
	}
	slices.SortFunc(match, func(a, b *workflow.Workflow) int {
		ka, kb := key(a), key(b)
		c := 0
		switch {
		case ka[0] != kb[0]:
			c = cmpInt64(ka[0], kb[0])
		case ka[1] != kb[1]:
			c = cmpInt64(ka[1], kb[1])
		default:
			c = strings.Compare(a.WorkflowID, b.WorkflowID)
		}
		if !q.Ascending {
			c = -c
		}
		return c
	})
	out := []string{}
	for _, w := range match {
		out = append(out, w.WorkflowID)
	}
	return out
}

func cmpInt64(a, b int64) int {
	if a < b {
		return -1
	}
	return 1
}

// textWords splits text into lowercase words of letters and digits, on
// its own (not with store.Words), as the brute force's reference.
func textWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// executionWords are the words of an execution's input, output, variables
// and reasonForIncompletion: those of their JSON text (the test data has
// no null, no escaped character and fewer words than a store indexes).
func executionWords(w *workflow.Workflow) map[string]bool {
	have := map[string]bool{}
	for _, v := range []any{w.Input, w.Output, w.Variables} {
		data, _ := json.Marshal(v)
		if string(data) == "null" {
			continue
		}
		for _, word := range textWords(string(data)) {
			have[word] = true
		}
	}
	for _, word := range textWords(w.ReasonForIncompletion) {
		have[word] = true
	}
	return have
}
