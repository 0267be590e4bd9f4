package decider

import "github.com/batonhq/baton/sdk/workflow"

// Kind is who carries out a task.
type Kind int

const (
	// KindWorker tasks wait in the queue named by their type for external
	// workers (SIMPLE, and types Baton does not know).
	KindWorker Kind = iota
	// KindQueued tasks wait in an internal queue for a runner inside the
	// server (HTTP), under the same lease rules as workers.
	KindQueued
	// KindSystem tasks are carried out by the decider itself: operators,
	// scripts, WAIT, HUMAN, sub-workflows, events.
	KindSystem
)

// systemTypes are the task types the decider carries out.
var systemTypes = map[string]bool{
	workflow.TypeDynamic: true, workflow.TypeForkJoin: true, workflow.TypeFork: true,
	workflow.TypeForkJoinDynamic: true, workflow.TypeDecision: true, workflow.TypeSwitch: true,
	workflow.TypeJoin: true, workflow.TypeExclusiveJoin: true, workflow.TypeDoWhile: true,
	workflow.TypeSubWorkflow: true, workflow.TypeStartWorkflow: true, workflow.TypeEvent: true,
	workflow.TypeWait: true, workflow.TypeHuman: true, workflow.TypeLambda: true,
	workflow.TypeInline: true, workflow.TypeTerminate: true, workflow.TypeJSONJQTransform: true,
	workflow.TypeSetVariable: true, workflow.TypeNoop: true,
}

// operators are the control-flow types, which move only by the decider:
// no worker or API may update them, and they are never retried.
var operators = map[string]bool{
	workflow.TypeForkJoin: true, workflow.TypeFork: true, workflow.TypeForkJoinDynamic: true,
	workflow.TypeDecision: true, workflow.TypeSwitch: true, workflow.TypeJoin: true,
	workflow.TypeExclusiveJoin: true, workflow.TypeDoWhile: true,
}

// KindOf says who carries out a task.
func KindOf(t *workflow.Task) Kind {
	if t.WorkflowTask == nil {
		return KindWorker
	}
	typ := t.WorkflowTask.TaskType()
	switch {
	case typ == workflow.TypeHTTP:
		return KindQueued
	case systemTypes[typ]:
		return KindSystem
	}
	return KindWorker
}
