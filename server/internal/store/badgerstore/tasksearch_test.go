package badgerstore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/storetest"
)

// TestTaskIndexesOfOlderData opens a directory whose tasks were stored
// before the task indexes (ti/ records without fields, no entries, no
// marker): Open indexes them, once.
func TestTaskIndexesOfOlderData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)

	w := &workflow.Workflow{WorkflowID: "wf", WorkflowName: "legacy", WorkflowVersion: 1, Status: workflow.StatusRunning,
		CreateTime: 1000, Input: map[string]any{}}
	tasks := []*workflow.Task{
		{TaskID: "t1", TaskType: "charge", Status: workflow.TaskFailed, WorkflowInstanceID: "wf", Seq: 1,
			ScheduledTime: 1000, EndTime: 1500, ReasonForIncompletion: "card declined"},
		{TaskID: "t2", TaskType: "ship", Status: workflow.TaskScheduled, WorkflowInstanceID: "wf", Seq: 2, ScheduledTime: 2000},
	}
	require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: w, Tasks: tasks}))
	search := func(s *Store, q store.TaskQuery) []string {
		page, err := s.TaskSearch(ctx, q)
		require.NoError(t, err)
		ids := []string{}
		for _, task := range page.Tasks {
			ids = append(ids, task.TaskID)
		}
		return ids
	}
	require.Equal(t, []string{"t2", "t1"}, search(s, store.TaskQuery{}))

	// Make it what an older version wrote.
	require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
		for _, task := range tasks {
			if err := txn.Set(taskIndexKey(task.TaskID), taskRef{WorkflowID: "wf", Seq: task.Seq}.encode()); err != nil {
				return err
			}
		}
		// Active-task entries were empty.
		if err := txn.Set(activeKey("wf", 2, "t2"), []byte{}); err != nil {
			return err
		}
		for _, prefix := range []string{prefixTaskAll, prefixTaskType, prefixTaskName, prefixTaskStatus, prefixTaskWord, prefixTaskEnd} {
			opts := badger.DefaultIteratorOptions
			opts.Prefix = []byte(prefix)
			it := txn.NewIterator(opts)
			var keys [][]byte
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
		}
		return txn.Delete(taskIndexedKey)
	}))
	require.Empty(t, search(s, store.TaskQuery{}))
	require.NoError(t, s.Close())

	s = open(t, Options{Dir: dir})
	require.Equal(t, []string{"t2", "t1"}, search(s, store.TaskQuery{}))
	require.Equal(t, []string{"t1"}, search(s, store.TaskQuery{FreeText: "declined", WorkflowName: "legacy"}))
	require.Equal(t, []string{"t2"}, search(s, store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskScheduled}}))
	require.Equal(t, []string{"t2"}, search(s, store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskScheduled}, TaskType: "ship"}))
	// The indexed task moves with its next write.
	tasks[1].Status = workflow.TaskInProgress
	require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: w, Version: 1, Tasks: tasks[1:]}))
	require.Empty(t, search(s, store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskScheduled}}))
	require.Equal(t, []string{"t2"}, search(s, store.TaskQuery{Statuses: []workflow.TaskStatus{workflow.TaskInProgress}}))
}

// TestTaskSearchPlans runs the task search cases again with search caps
// that make the few tasks of the suite look many, so that every plan runs:
// active tasks and end-time ranges checked out of order or not, partitions
// counted to the end or not.
func TestTaskSearchPlans(t *testing.T) {
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
			}, "TaskSearch")
		})
	}
}

// TestTaskIndexesOfMuchOlderData backfills more index entries than one
// Badger transaction holds: tasks whose failure reasons have hundreds of
// words each.
func TestTaskIndexesOfMuchOlderData(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	var reason []string
	for i := range 200 {
		reason = append(reason, fmt.Sprintf("word%d", i))
	}
	var all []*workflow.Task
	for w := range 10 {
		id := fmt.Sprintf("wf%d", w)
		var tasks []*workflow.Task
		for i := range 80 {
			tasks = append(tasks, &workflow.Task{TaskID: fmt.Sprintf("%s-t%d", id, i), TaskType: "charge", Status: workflow.TaskFailed,
				WorkflowInstanceID: id, Seq: i + 1, ScheduledTime: 1000, EndTime: 1500, ReasonForIncompletion: strings.Join(reason, " ")})
		}
		wf := &workflow.Workflow{WorkflowID: id, WorkflowName: "legacy", WorkflowVersion: 1, Status: workflow.StatusRunning, CreateTime: 1000}
		require.NoError(t, s.Commit(ctx, &store.Transition{Workflow: wf, Tasks: tasks}))
		all = append(all, tasks...)
	}
	// Make it what an older version wrote.
	require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
		for _, task := range all {
			ref := taskRef{WorkflowID: task.WorkflowInstanceID, Seq: task.Seq}
			if err := txn.Set(taskIndexKey(task.TaskID), ref.encode()); err != nil {
				return err
			}
		}
		return txn.Delete(taskIndexedKey)
	}))
	require.NoError(t, s.db.DropPrefix([]byte(prefixTaskAll), []byte(prefixTaskType), []byte(prefixTaskName),
		[]byte(prefixTaskStatus), []byte(prefixTaskWord), []byte(prefixTaskEnd)))
	require.NoError(t, s.Close())

	s = open(t, Options{Dir: dir})
	page, err := s.TaskSearch(ctx, store.TaskQuery{FreeText: "word199", Limit: store.MaxSearchLimit})
	require.NoError(t, err)
	require.Len(t, page.Tasks, len(all))
}
