// Package decider is Baton's workflow state machine. It is pure: given an
// execution, its definition, the time and one event, Decide returns the new
// state of the execution and what changed. It reads no clock, store or
// network; the engine supplies all of that and commits the result.
//
// # How an execution moves
//
// Decide first applies the event (a start, a poll that leased a task, a
// worker's update, a tick of the execution's timer, pause, resume or
// terminate), then checks every deadline against Input.Now, then advances:
// each task whose attempt ended and that was not yet handled is handled once
// (the task's Executed flag), either by scheduling what follows it, by
// scheduling a retry, or by ending the workflow. Finally it computes WakeAt,
// the earliest deadline still ahead, for the engine's timer.
//
// Task statuses (see workflow.TaskStatus):
//
//	SCHEDULED --lease--> IN_PROGRESS --update--> COMPLETED | FAILED | FAILED_WITH_TERMINAL_ERROR | CANCELED
//	IN_PROGRESS --IN_PROGRESS update--> SCHEDULED (visible again after callbackAfterSeconds)
//	SCHEDULED --pollTimeoutSeconds--> TIMED_OUT
//	IN_PROGRESS --responseTimeoutSeconds, timeoutSeconds--> TIMED_OUT
//	FAILED | TIMED_OUT --retries left--> new SCHEDULED attempt (retryCount+1)
//	FAILED | TIMED_OUT --no retries, optional--> COMPLETED_WITH_ERRORS
//
// Workflow statuses (see workflow.Status):
//
//	RUNNING <--pause/resume--> PAUSED
//	RUNNING --last task done--> COMPLETED
//	RUNNING --task failed, no retries--> FAILED (TIMED_OUT if it timed out, TERMINATED if canceled)
//	RUNNING | PAUSED --timeoutSeconds with TIME_OUT_WF--> TIMED_OUT
//	RUNNING | PAUSED --terminate--> TERMINATED
package decider
