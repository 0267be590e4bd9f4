package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testTaskSearch covers TaskSearch: every filter, pages and cursors,
// invalid queries, the indexes following a task's changes, its removal, its
// execution's removal and a restart, and a brute-force comparison over
// random tasks and changes (taskSearchProperty).
func testTaskSearch(t *testing.T, h Harness) {
	setup := setupFunc(h)
	t0 := baseTime.UnixMilli()
	sec := func(n int) int64 { return t0 + int64(n)*1000 }

	// The fixture: tasks named by their ids, scheduled a second apart.
	fixture := func(t *testing.T) *taskWorld {
		t.Helper()
		w := newTaskWorld(t, setup(t))
		w.execution("w1", "order")
		w.execution("w2", "payment")
		add := func(id, wfID, taskType string, status workflow.TaskStatus, scheduled, started, ended int, reason string) {
			task := &workflow.Task{
				TaskID: id, TaskType: taskType, TaskDefName: taskType, ReferenceTaskName: id + "_ref",
				Status: status, WorkflowInstanceID: wfID, WorkflowType: w.execs[wfID].WorkflowName,
				ScheduledTime: sec(scheduled), UpdateTime: sec(max(scheduled, started, ended)) + 100,
				ReasonForIncompletion: reason, InputData: map[string]any{}, OutputData: map[string]any{},
			}
			if started > 0 {
				task.StartTime = sec(started)
			}
			if ended > 0 {
				task.EndTime = sec(ended)
			}
			w.write(task)
		}
		add("a", "w1", "charge", workflow.TaskCompleted, 1, 2, 3, "")
		add("b", "w1", "ship", workflow.TaskFailed, 2, 3, 4, "Carrier refused the parcel")
		add("c", "w1", "charge", workflow.TaskScheduled, 3, 0, 0, "")
		add("d", "w2", "charge", workflow.TaskInProgress, 4, 5, 0, "")
		add("e", "w2", "notify", workflow.TaskTimedOut, 5, 6, 7, "Response timed out")
		add("f", "w2", "charge", workflow.TaskFailed, 6, 7, 8, "card refused")
		return w
	}

	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		for _, c := range []struct {
			name string
			q    store.TaskQuery
			want []string
		}{
			{"All", store.TaskQuery{}, []string{"f", "e", "d", "c", "b", "a"}},
			{"Ascending", store.TaskQuery{Ascending: true}, []string{"a", "b", "c", "d", "e", "f"}},
			{"Type", store.TaskQuery{TaskType: "charge"}, []string{"f", "d", "c", "a"}},
			{"TypeUnknown", store.TaskQuery{TaskType: "char"}, []string{}},
			{"Status", store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskFailed}}, []string{"f", "b"}},
			{"StatusCompleted", store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskCompleted}}, []string{"a"}},
			{"Statuses", store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskScheduled, workflow.TaskInProgress}}, []string{"d", "c"}},
			{"WorkflowName", store.TaskQuery{WorkflowName: "payment"}, []string{"f", "e", "d"}},
			{"WorkflowID", store.TaskQuery{WorkflowID: "w1"}, []string{"c", "b", "a"}},
			{"WorkflowIDAndType", store.TaskQuery{WorkflowID: "w1", TaskType: "charge", Ascending: true}, []string{"a", "c"}},
			{"Scheduled", store.TaskQuery{ScheduledFrom: sec(2), ScheduledTo: sec(5)}, []string{"d", "c", "b"}},
			{"Started", store.TaskQuery{StartFrom: sec(5)}, []string{"f", "e", "d"}},
			{"StartedOnlySet", store.TaskQuery{StartTo: sec(4)}, []string{"b", "a"}},
			{"Ended", store.TaskQuery{EndFrom: 1}, []string{"f", "e", "b", "a"}},
			{"Updated", store.TaskQuery{UpdateFrom: sec(7)}, []string{"f", "e"}},
			{"Text", store.TaskQuery{FreeText: "REFUSED"}, []string{"f", "b"}},
			{"TextAllWords", store.TaskQuery{FreeText: "refused card"}, []string{"f"}},
			{"TextWholeWord", store.TaskQuery{FreeText: "refuse"}, []string{}},
			{"Combined", store.TaskQuery{TaskType: "charge", WorkflowName: "payment", Statuses: []workflow.TaskStatus{workflow.TaskFailed}, FreeText: "card"},
				[]string{"f"}},
		} {
			require.Equal(t, c.want, w.searchAll(c.q, 0), c.name)
			require.Equal(t, c.want, w.searchAll(c.q, 1), c.name+", one per page")
			require.Equal(t, w.expect(c.q), c.want, c.name+": the brute force agrees")
		}
	})

	t.Run("Pages", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		page, err := w.b.store.TaskSearch(w.b.ctx, store.TaskQuery{TaskType: "charge", Limit: 3})
		require.NoError(t, err)
		require.Equal(t, []string{"f", "d", "c"}, taskIDs(page.Tasks))
		require.NotEmpty(t, page.Next)
		// The tasks come whole, with their definition task.
		require.Equal(t, "w2", page.Tasks[0].WorkflowInstanceID)
		require.Equal(t, "card refused", page.Tasks[0].ReasonForIncompletion)

		next, err := w.b.store.TaskSearch(w.b.ctx, store.TaskQuery{TaskType: "charge", Limit: 3, Cursor: page.Next})
		require.NoError(t, err)
		require.Equal(t, []string{"a"}, taskIDs(next.Tasks))
		require.Empty(t, next.Next)

		_, err = w.b.store.TaskSearch(w.b.ctx, store.TaskQuery{TaskType: "ship", Cursor: page.Next})
		require.ErrorIs(t, err, store.ErrInvalid, "a cursor of another query")
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, q := range []store.TaskQuery{
			{Limit: -1},
			{Limit: store.MaxSearchLimit + 1},
			{Statuses: []workflow.TaskStatus{"DONE"}},
			{ScheduledFrom: -1},
			{EndFrom: 5, EndTo: 5},
			{FreeText: "..."},
			{FreeText: strings.Repeat("w ", 1) + strings.Repeat("x", 0) + "a b c d e f g h i j k l m n o p q"},
			{Cursor: "!!"},
		} {
			_, err := b.store.TaskSearch(b.ctx, q)
			require.ErrorIs(t, err, store.ErrInvalid, "%+v", q)
		}
	})

	t.Run("FollowsChanges", func(t *testing.T) {
		t.Parallel()
		w := fixture(t)
		// c starts, then fails with a reason; a heartbeat changes nothing
		// indexed.
		w.update("c", func(task *workflow.Task) { task.Status, task.StartTime = workflow.TaskInProgress, sec(9) })
		require.Equal(t, []string{"d", "c"}, w.searchAll(store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskInProgress}}, 0))
		w.update("c", func(task *workflow.Task) { task.PollCount++ })
		w.update("c", func(task *workflow.Task) {
			task.Status, task.EndTime, task.ReasonForIncompletion = workflow.TaskFailed, sec(10), "parcel lost"
		})
		require.Equal(t, []string{"c", "b"}, w.searchAll(store.TaskQuery{FreeText: "parcel"}, 0))
		require.Equal(t, []string{"d"}, w.searchAll(store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskInProgress}}, 0))
		// The reason changes: the old words no longer find it.
		w.update("b", func(task *workflow.Task) { task.ReasonForIncompletion = "address unknown" })
		require.Equal(t, []string{"c"}, w.searchAll(store.TaskQuery{FreeText: "parcel"}, 0))
		w.requireAgrees()

		// A task removed by a transition, then a whole execution.
		w.removeTask("f")
		require.Equal(t, []string{"d", "c", "a"}, w.searchAll(store.TaskQuery{TaskType: "charge"}, 0))
		w.requireAgrees()
		w.removeExecution("w1")
		require.Equal(t, []string{"e", "d"}, w.searchAll(store.TaskQuery{}, 0))
		require.Equal(t, []string{}, w.searchAll(store.TaskQuery{FreeText: "address"}, 0))
		w.requireAgrees()

		w.b.restart(t)
		w.requireAgrees()
	})

	t.Run("Property", func(t *testing.T) {
		t.Parallel()
		taskSearchProperty(t, setup(t))
	})
}

// taskWorld keeps what was committed, to compare searches with.
type taskWorld struct {
	t        *testing.T
	b        *testBundle
	execs    map[string]*workflow.Workflow
	versions map[string]uint64
	tasks    map[string]*workflow.Task
}

func newTaskWorld(t *testing.T, b *testBundle) *taskWorld {
	return &taskWorld{t: t, b: b, execs: map[string]*workflow.Workflow{}, versions: map[string]uint64{},
		tasks: map[string]*workflow.Task{}}
}

func (w *taskWorld) execution(id, name string) {
	w.t.Helper()
	wf := searchWorkflow(id, name, 1, workflow.StatusRunning, baseTime.UnixMilli())
	require.NoError(w.t, w.b.store.Commit(w.b.ctx, &store.Transition{Workflow: wf}))
	w.execs[id], w.versions[id] = wf, 1
}

// write commits a task (new or changed) in a transition of its execution.
func (w *taskWorld) write(tasks ...*workflow.Task) {
	w.t.Helper()
	wfID := tasks[0].WorkflowInstanceID
	tr := &store.Transition{Workflow: w.execs[wfID], Version: w.versions[wfID]}
	for _, task := range tasks {
		task.Seq = cmp.Or(task.Seq, len(w.tasks)+1)
		tr.Tasks = append(tr.Tasks, cloneTask(w.t, task))
	}
	require.NoError(w.t, w.b.store.Commit(w.b.ctx, tr))
	w.versions[wfID]++
	for _, task := range tasks {
		w.tasks[task.TaskID] = cloneTask(w.t, task)
	}
}

func (w *taskWorld) update(id string, change func(*workflow.Task)) {
	w.t.Helper()
	task := cloneTask(w.t, w.tasks[id])
	change(task)
	w.write(task)
}

func (w *taskWorld) removeTask(id string) {
	w.t.Helper()
	task := w.tasks[id]
	wfID := task.WorkflowInstanceID
	tr := &store.Transition{Workflow: w.execs[wfID], Version: w.versions[wfID], Removed: []*workflow.Task{task}}
	require.NoError(w.t, w.b.store.Commit(w.b.ctx, tr))
	w.versions[wfID]++
	delete(w.tasks, id)
}

func (w *taskWorld) removeExecution(wfID string) {
	w.t.Helper()
	require.NoError(w.t, w.b.store.ExecutionRemove(w.b.ctx, wfID))
	delete(w.execs, wfID)
	delete(w.versions, wfID)
	for id, task := range w.tasks {
		if task.WorkflowInstanceID == wfID {
			delete(w.tasks, id)
		}
	}
}

// searchAll follows every page of q and returns the task ids found,
// checking that none comes twice.
func (w *taskWorld) searchAll(q store.TaskQuery, limit int) []string {
	w.t.Helper()
	q.Limit = limit
	got := []string{}
	for {
		page, err := w.b.store.TaskSearch(w.b.ctx, q)
		require.NoError(w.t, err, "query %+v", q)
		if limit > 0 {
			require.LessOrEqual(w.t, len(page.Tasks), limit)
		}
		for _, task := range page.Tasks {
			require.NotContains(w.t, got, task.TaskID, "listed twice by %+v", q)
			require.Equal(w.t, w.tasks[task.TaskID].Status, task.Status, "task %s as committed", task.TaskID)
			got = append(got, task.TaskID)
		}
		if page.Next == "" {
			return got
		}
		require.NotEmpty(w.t, page.Tasks, "a page with a cursor has tasks")
		q.Cursor = page.Next
	}
}

func (w *taskWorld) expect(q store.TaskQuery) []string { return bruteForceTaskSearch(w.tasks, q) }

func (w *taskWorld) requireAgrees() {
	w.t.Helper()
	for _, q := range []store.TaskQuery{
		{}, {Ascending: true}, {TaskType: "charge"}, {Statuses: []workflow.TaskStatus{workflow.TaskFailed}},
		{WorkflowName: "order"}, {FreeText: "refused"}, {EndFrom: 1}, {WorkflowID: "w2"},
	} {
		require.Equal(w.t, w.expect(q), w.searchAll(q, 2), "query %+v", q)
	}
}

func taskIDs(ts []*workflow.Task) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.TaskID)
	}
	return out
}

func cloneTask(t *testing.T, task *workflow.Task) *workflow.Task {
	t.Helper()
	c := *task
	return &c
}

// bruteForceTaskSearch filters and sorts tasks as TaskQuery says, without
// any index.
func bruteForceTaskSearch(tasks map[string]*workflow.Task, q store.TaskQuery) []string {
	words := textWords(q.FreeText)
	in := func(v, from, to int64) bool { return (from == 0 || v >= from) && (to == 0 || v < to) }
	set := func(v, from, to int64) bool { return from == 0 && to == 0 || v > 0 && in(v, from, to) }
	var match []*workflow.Task
	for _, t := range tasks {
		switch {
		case q.TaskType != "" && t.TaskType != q.TaskType,
			q.WorkflowName != "" && t.WorkflowType != q.WorkflowName,
			q.WorkflowID != "" && t.WorkflowInstanceID != q.WorkflowID,
			len(q.Statuses) > 0 && !slices.Contains(q.Statuses, t.Status),
			!in(t.ScheduledTime, q.ScheduledFrom, q.ScheduledTo),
			!set(t.StartTime, q.StartFrom, q.StartTo),
			!set(t.EndTime, q.EndFrom, q.EndTo),
			!in(t.UpdateTime, q.UpdateFrom, q.UpdateTo):
			continue
		}
		have := textWords(t.ReasonForIncompletion)
		if slices.ContainsFunc(words, func(word string) bool { return !slices.Contains(have, word) }) {
			continue
		}
		match = append(match, t)
	}
	slices.SortFunc(match, func(a, b *workflow.Task) int {
		c := cmp.Compare(a.ScheduledTime, b.ScheduledTime)
		if c == 0 {
			c = strings.Compare(a.TaskID, b.TaskID)
		}
		if !q.Ascending {
			c = -c
		}
		return c
	})
	out := []string{}
	for _, t := range match {
		out = append(out, t.TaskID)
	}
	return out
}

// taskSearchProperty creates random tasks in a few executions, changes
// them at random (status, times, reason, removal of a task or of an
// execution) and checks, between the changes, that random searches
// followed page by page find exactly what a brute-force filter finds, in
// the same order.
func taskSearchProperty(t *testing.T, b *testBundle) {
	seed := uint64(1)
	if s := os.Getenv(SeedEnv); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "%s must be an unsigned integer", SeedEnv)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("task search property ran with seed %d; %s=%d repeats it", seed, SeedEnv, seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, 0x7a5c))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	types := []string{"charge", "ship", "notify", "HTTP"}
	statuses := []workflow.TaskStatus{workflow.TaskScheduled, workflow.TaskInProgress, workflow.TaskCompleted,
		workflow.TaskFailed, workflow.TaskTimedOut, workflow.TaskCanceled}
	t0 := baseTime.UnixMilli()
	at := func(n int) int64 { return t0 + int64(rng.IntN(n))*500 }
	reason := func() string {
		words := make([]string, 1+rng.IntN(3))
		for i := range words {
			words[i] = pick(genWords)
		}
		return strings.Join(words, " ")
	}

	w := newTaskWorld(t, b)
	for i := range 12 {
		w.execution(fmt.Sprintf("wf-%02d", i), pick(genNames))
	}
	wfIDs := func() []string {
		ids := make([]string, 0, len(w.execs))
		for id := range w.execs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}
	newTask := func(n int) {
		wfID := pick(wfIDs())
		task := &workflow.Task{
			TaskID: fmt.Sprintf("t-%04d", n), TaskType: pick(types), Status: statuses[rng.IntN(len(statuses))],
			WorkflowInstanceID: wfID, WorkflowType: w.execs[wfID].WorkflowName, ScheduledTime: at(100),
			InputData: map[string]any{}, OutputData: map[string]any{},
		}
		if task.Status != workflow.TaskScheduled {
			task.StartTime = task.ScheduledTime + int64(rng.IntN(10))*500
		}
		if task.Status.Terminal() {
			task.EndTime = task.StartTime + int64(rng.IntN(10))*500
			if task.Status != workflow.TaskCompleted && rng.IntN(2) == 0 {
				task.ReasonForIncompletion = reason()
			}
		}
		task.UpdateTime = max(task.ScheduledTime, task.StartTime, task.EndTime) + int64(rng.IntN(1000))
		w.write(task)
	}
	n := 0
	for range 300 {
		newTask(n)
		n++
	}
	query := func() (store.TaskQuery, int) {
		var q store.TaskQuery
		if rng.IntN(3) == 0 {
			q.TaskType = pick(append(types, "none"))
		}
		if rng.IntN(3) == 0 {
			for range 1 + rng.IntN(2) {
				q.Statuses = append(q.Statuses, statuses[rng.IntN(len(statuses))])
			}
		}
		if rng.IntN(4) == 0 {
			q.WorkflowName = pick(genNames)
		}
		if rng.IntN(6) == 0 {
			q.WorkflowID = fmt.Sprintf("wf-%02d", rng.IntN(13))
		}
		timeRange := func() (from, to int64) {
			if rng.IntN(2) == 0 {
				from = at(120)
			}
			if rng.IntN(2) == 0 {
				to = at(120)
			}
			if from != 0 && to != 0 {
				from, to = min(from, to), max(from, to)
				if from == to {
					to = 0
				}
			}
			return from, to
		}
		switch rng.IntN(8) {
		case 0:
			q.ScheduledFrom, q.ScheduledTo = timeRange()
		case 1:
			q.StartFrom, q.StartTo = timeRange()
		case 2:
			q.EndFrom, q.EndTo = timeRange()
		case 3:
			q.UpdateFrom, q.UpdateTo = timeRange()
		}
		if rng.IntN(4) == 0 {
			q.FreeText = pick(genWords)
			if rng.IntN(3) == 0 {
				q.FreeText += " " + strings.ToUpper(pick(genWords))
			}
		}
		q.Ascending = rng.IntN(2) == 0
		return q, rng.IntN(6)
	}
	check := func(round int) {
		for i := range 40 {
			q, limit := query()
			require.Equal(t, w.expect(q), w.searchAll(q, limit), "round %d, query %d: %+v, limit %d", round, i, q, limit)
		}
	}
	check(0)
	for i := range 400 {
		ids := make([]string, 0, len(w.tasks))
		for id := range w.tasks {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		switch r := rng.IntN(20); {
		case r < 12 && len(ids) > 0:
			w.update(pick(ids), func(task *workflow.Task) {
				task.Status = statuses[rng.IntN(len(statuses))]
				task.UpdateTime += int64(rng.IntN(2000))
				if task.Status.Terminal() {
					task.EndTime = task.UpdateTime
				}
				if rng.IntN(2) == 0 {
					task.ReasonForIncompletion = reason()
				}
				if rng.IntN(10) == 0 {
					task.ScheduledTime = at(100)
				}
			})
		case r < 16:
			newTask(n)
			n++
		case r < 19 && len(ids) > 0:
			w.removeTask(pick(ids))
		case len(w.execs) > 2:
			w.removeExecution(pick(wfIDs()))
		}
		if (i+1)%100 == 0 {
			check(i + 1)
		}
	}
}
