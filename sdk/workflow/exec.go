package workflow

import "strings"

// Workflow is one execution of a workflow definition, in the JSON shape of
// Conductor's Workflow. Times are Unix milliseconds.
type Workflow struct {
	WorkflowID               string            `json:"workflowId"`
	WorkflowName             string            `json:"workflowName"`
	WorkflowVersion          int               `json:"workflowVersion"`
	Status                   Status            `json:"status"`
	CorrelationID            string            `json:"correlationId,omitempty"`
	Priority                 int               `json:"priority"`
	Input                    map[string]any    `json:"input"`
	Output                   map[string]any    `json:"output"`
	Variables                map[string]any    `json:"variables,omitempty"`
	ReasonForIncompletion    string            `json:"reasonForIncompletion,omitempty"`
	FailedReferenceTaskNames []string          `json:"failedReferenceTaskNames,omitempty"`
	FailedTaskNames          []string          `json:"failedTaskNames,omitempty"`
	ParentWorkflowID         string            `json:"parentWorkflowId,omitempty"`
	ParentWorkflowTaskID     string            `json:"parentWorkflowTaskId,omitempty"`
	ReRunFromWorkflowID      string            `json:"reRunFromWorkflowId,omitempty"`
	Event                    string            `json:"event,omitempty"`
	TaskToDomain             map[string]string `json:"taskToDomain,omitempty"`
	IdempotencyKey           string            `json:"idempotencyKey,omitempty"`
	LastRetriedTime          int64             `json:"lastRetriedTime,omitempty"`
	CreateTime               int64             `json:"createTime"`
	StartTime                int64             `json:"startTime"`
	UpdateTime               int64             `json:"updateTime,omitempty"`
	EndTime                  int64             `json:"endTime,omitempty"`
	CreatedBy                string            `json:"createdBy,omitempty"`
	OwnerApp                 string            `json:"ownerApp,omitempty"`
	SchemaVersion            int               `json:"schemaVersion,omitempty"`
	WorkflowDefinition       *WorkflowDef      `json:"workflowDefinition,omitempty"`
	Tasks                    []*Task           `json:"tasks"`

	// TimeoutAlerted is set once an ALERT_ONLY workflow timeout has been
	// recorded, so it is recorded once. Baton only.
	TimeoutAlerted bool `json:"timeoutAlerted,omitempty"`
	// Pending is a retry or restart of a large execution (a fork of
	// thousands of branches) under way: the decisions that follow it carry
	// it out a chunk at a time, so that no commit outgrows one store
	// transaction. Nil when there is none. Baton only.
	Pending *PendingOp `json:"pending,omitempty"`
}

// Kinds of PendingOp.
const (
	PendingRetry   = "RETRY"
	PendingRestart = "RESTART"
)

// PendingOp is what a retry or a restart has left to do (Workflow.Pending).
type PendingOp struct {
	// Op is PendingRetry or PendingRestart.
	Op string `json:"op"`
	// Seq, for a retry, is the Seq of the last task when it began: the
	// last attempts up to it that failed, timed out or were cancelled (only
	// cancelled with CanceledOnly: a rerun from a task of a fork, whose
	// other branches the end cancelled) and have no new attempt yet are
	// still to retry, with ResumeSubworkflowTasks as the retry asked.
	Seq                    int  `json:"seq,omitempty"`
	CanceledOnly           bool `json:"canceledOnly,omitempty"`
	ResumeSubworkflowTasks bool `json:"resumeSubworkflowTasks,omitempty"`
	// Record and Detail, for a restart (or a rerun from the start), are
	// the history entry it makes once the tasks are removed and the
	// execution runs again.
	Record string `json:"record,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// TaskByRef returns the latest attempt of the task with the reference name,
// or nil.
func (w *Workflow) TaskByRef(ref string) *Task {
	for i := len(w.Tasks) - 1; i >= 0; i-- {
		if w.Tasks[i].ReferenceTaskName == ref {
			return w.Tasks[i]
		}
	}
	return nil
}

// BaseRef returns a task reference name without the iteration suffixes that
// DO_WHILE loops add to the tasks of their bodies ("ref__2", and "ref__2__3"
// in a nested loop): the taskReferenceName of the definition. Definitions may
// not use reference names that end in such a suffix.
func BaseRef(ref string) string {
	for {
		i := strings.LastIndex(ref, "__")
		if i <= 0 || i+2 == len(ref) || !allDigits(ref[i+2:]) {
			return ref
		}
		ref = ref[:i]
	}
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// TaskByID returns the task with the id, or nil.
func (w *Workflow) TaskByID(id string) *Task {
	for _, t := range w.Tasks {
		if t.TaskID == id {
			return t
		}
	}
	return nil
}

// Task is one attempt of one task of an execution, in the JSON shape of
// Conductor's Task. Times are Unix milliseconds.
type Task struct {
	TaskID                      string         `json:"taskId"`
	TaskType                    string         `json:"taskType"`
	TaskDefName                 string         `json:"taskDefName"`
	ReferenceTaskName           string         `json:"referenceTaskName"`
	Status                      TaskStatus     `json:"status"`
	WorkflowInstanceID          string         `json:"workflowInstanceId"`
	WorkflowType                string         `json:"workflowType"`
	CorrelationID               string         `json:"correlationId,omitempty"`
	WorkflowPriority            int            `json:"workflowPriority"`
	InputData                   map[string]any `json:"inputData"`
	OutputData                  map[string]any `json:"outputData"`
	ReasonForIncompletion       string         `json:"reasonForIncompletion,omitempty"`
	Seq                         int            `json:"seq"`
	RetryCount                  int            `json:"retryCount"`
	PollCount                   int            `json:"pollCount"`
	RetriedTaskID               string         `json:"retriedTaskId,omitempty"`
	Retried                     bool           `json:"retried"`
	Executed                    bool           `json:"executed"`
	CallbackFromWorker          bool           `json:"callbackFromWorker"`
	WorkerID                    string         `json:"workerId,omitempty"`
	Domain                      string         `json:"domain,omitempty"`
	ScheduledTime               int64          `json:"scheduledTime"`
	StartTime                   int64          `json:"startTime"`
	EndTime                     int64          `json:"endTime"`
	UpdateTime                  int64          `json:"updateTime"`
	FirstStartTime              int64          `json:"firstStartTime,omitempty"`
	StartDelayInSeconds         int64          `json:"startDelayInSeconds"`
	CallbackAfterSeconds        int64          `json:"callbackAfterSeconds"`
	ResponseTimeoutSeconds      int64          `json:"responseTimeoutSeconds"`
	RateLimitPerFrequency       int            `json:"rateLimitPerFrequency"`
	RateLimitFrequencyInSeconds int            `json:"rateLimitFrequencyInSeconds"`
	IsolationGroupID            string         `json:"isolationGroupId,omitempty"`
	ExecutionNameSpace          string         `json:"executionNameSpace,omitempty"`
	Iteration                   int            `json:"iteration"`
	SubWorkflowID               string         `json:"subWorkflowId,omitempty"`
	ParentTaskID                string         `json:"parentTaskId,omitempty"`
	WorkflowTask                *WorkflowTask  `json:"workflowTask,omitempty"`
	TaskDefinition              *TaskDef       `json:"taskDefinition,omitempty"`
	QueueWaitTime               int64          `json:"queueWaitTime"`
	// WaitTimeout is when a WAIT task with a duration or an until ends,
	// Unix milliseconds; 0 while it waits for a signal.
	WaitTimeout int64 `json:"waitTimeout,omitempty"`

	// VisibleTime is the earliest time a worker may receive the task (after
	// startDelay, a retry delay or callbackAfterSeconds). Baton only.
	VisibleTime int64 `json:"visibleTime,omitempty"`
	// FirstScheduledTime is when the first attempt of this task was
	// scheduled; totalTimeoutSeconds is measured from it. Baton only.
	FirstScheduledTime int64 `json:"firstScheduledTime,omitempty"`
	// TimeoutAlerted is set once an ALERT_ONLY timeout of this attempt has
	// been recorded. Baton only.
	TimeoutAlerted bool `json:"timeoutAlerted,omitempty"`
}

// TaskResult is what a worker reports about a task, in the JSON shape of
// Conductor's TaskResult.
type TaskResult struct {
	WorkflowInstanceID    string         `json:"workflowInstanceId,omitempty"`
	TaskID                string         `json:"taskId"`
	Status                TaskStatus     `json:"status"`
	OutputData            map[string]any `json:"outputData,omitempty"`
	ReasonForIncompletion string         `json:"reasonForIncompletion,omitempty"`
	CallbackAfterSeconds  int64          `json:"callbackAfterSeconds,omitempty"`
	WorkerID              string         `json:"workerId,omitempty"`
	Logs                  []TaskExecLog  `json:"logs,omitempty"`
	SubWorkflowID         string         `json:"subWorkflowId,omitempty"`
	ExtendLease           bool           `json:"extendLease,omitempty"`

	// PollCount, when not zero, fences the update: it is accepted only if
	// the task is still in the lease handed out by that poll. Baton only;
	// Conductor workers leave it out.
	PollCount int `json:"pollCount,omitempty"`
}

// TaskExecLog is one line of a task's execution log.
type TaskExecLog struct {
	Log         string `json:"log"`
	TaskID      string `json:"taskId,omitempty"`
	CreatedTime int64  `json:"createdTime,omitempty"`
}

// StartRequest starts a workflow, in the JSON shape of Conductor's
// StartWorkflowRequest.
type StartRequest struct {
	Name                string            `json:"name"`
	Version             int               `json:"version,omitempty"`
	CorrelationID       string            `json:"correlationId,omitempty"`
	Input               map[string]any    `json:"input,omitempty"`
	TaskToDomain        map[string]string `json:"taskToDomain,omitempty"`
	WorkflowDef         *WorkflowDef      `json:"workflowDef,omitempty"`
	Priority            int               `json:"priority,omitempty"`
	IdempotencyKey      string            `json:"idempotencyKey,omitempty"`
	IdempotencyStrategy string            `json:"idempotencyStrategy,omitempty"`
	CreatedBy           string            `json:"createdBy,omitempty"`
}

// RerunRequest reruns an ended workflow, in the JSON shape of Conductor's
// RerunWorkflowRequest: from the start (no ReRunFromTaskID) or from a task,
// with new workflow input, task input or correlation id when given.
type RerunRequest struct {
	ReRunFromWorkflowID string         `json:"reRunFromWorkflowId,omitempty"`
	WorkflowInput       map[string]any `json:"workflowInput,omitempty"`
	ReRunFromTaskID     string         `json:"reRunFromTaskId,omitempty"`
	TaskInput           map[string]any `json:"taskInput,omitempty"`
	CorrelationID       string         `json:"correlationId,omitempty"`
}

// SkipTaskRequest gives a skipped task its input and output, in the JSON
// shape of Conductor's SkipTaskRequest.
type SkipTaskRequest struct {
	TaskInput  map[string]any `json:"taskInput,omitempty"`
	TaskOutput map[string]any `json:"taskOutput,omitempty"`
}
