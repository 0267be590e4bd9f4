package badgerstore

import (
	"github.com/dgraph-io/badger/v4"

	"github.com/batonhq/baton/sdk/workflow"
)

// A task's WorkflowTask is usually a task of the execution's definition
// snapshot. Such tasks are stored without it (it would be encoded again with
// every change of the task) and get it back from the snapshot when read.
// Tasks whose WorkflowTask is not the snapshot's own (made at run time) keep
// theirs.

// getSnapshot reads the definition snapshot of an execution; nil if none.
func getSnapshot(txn *badger.Txn, wfID string) (*workflow.WorkflowDef, error) {
	var def workflow.WorkflowDef
	ok, err := getJSON(txn, snapshotKey(wfID), &def)
	if err != nil || !ok {
		return nil, err
	}
	return &def, nil
}

// definitionTasks indexes every workflow task of a definition, at any depth,
// by reference name.
func definitionTasks(def *workflow.WorkflowDef) map[string]*workflow.WorkflowTask {
	if def == nil {
		return nil
	}
	m := map[string]*workflow.WorkflowTask{}
	var walk func([]*workflow.WorkflowTask)
	walk = func(tasks []*workflow.WorkflowTask) {
		for _, wt := range tasks {
			if wt == nil {
				continue
			}
			m[wt.TaskReferenceName] = wt
			for _, branch := range wt.DecisionCases {
				walk(branch)
			}
			walk(wt.DefaultCase)
			for _, branch := range wt.ForkTasks {
				walk(branch)
			}
			walk(wt.LoopOver)
		}
	}
	walk(def.Tasks)
	return m
}

// snapshotTask returns the workflow task of the snapshot that a task with
// the reference name runs. The tasks of a DO_WHILE's body are named after
// their iteration ("ref__2", "ref__2__3" in a nested loop) and run the
// workflow task of the base name ("ref").
func snapshotTask(defTasks map[string]*workflow.WorkflowTask, ref string) *workflow.WorkflowTask {
	return defTasks[workflow.BaseRef(ref)]
}

// attachWorkflowTask gives a task read without its WorkflowTask the one of
// the snapshot it runs. A task is stored without it only when this finds
// the very one it had (prepareExecution), so the task reads back as it was
// written.
func attachWorkflowTask(t *workflow.Task, defTasks map[string]*workflow.WorkflowTask) {
	if t.WorkflowTask == nil {
		t.WorkflowTask = snapshotTask(defTasks, t.ReferenceTaskName)
	}
}
