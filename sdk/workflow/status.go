package workflow

// Status is the state of a workflow execution.
//
//	RUNNING <-> PAUSED
//	RUNNING -> COMPLETED | FAILED | TIMED_OUT | TERMINATED
//	PAUSED  -> TERMINATED | TIMED_OUT
type Status string

// The workflow statuses of Conductor.
const (
	StatusRunning    Status = "RUNNING"
	StatusPaused     Status = "PAUSED"
	StatusCompleted  Status = "COMPLETED"
	StatusFailed     Status = "FAILED"
	StatusTimedOut   Status = "TIMED_OUT"
	StatusTerminated Status = "TERMINATED"
)

// String returns the status name.
func (s Status) String() string { return string(s) }

// Terminal reports whether no further transition can happen without a
// restart, retry or rerun.
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusTimedOut, StatusTerminated:
		return true
	}
	return false
}

// Successful reports whether the status counts as a success.
func (s Status) Successful() bool {
	return s == StatusRunning || s == StatusPaused || s == StatusCompleted
}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusRunning, StatusPaused, StatusCompleted, StatusFailed, StatusTimedOut, StatusTerminated:
		return true
	}
	return false
}

// TaskStatus is the state of one task attempt.
//
//	SCHEDULED -> IN_PROGRESS (polled) | TIMED_OUT (poll timeout) | CANCELED | SKIPPED
//	IN_PROGRESS -> SCHEDULED (IN_PROGRESS update with callbackAfterSeconds)
//	IN_PROGRESS -> COMPLETED | FAILED | FAILED_WITH_TERMINAL_ERROR | TIMED_OUT | CANCELED
//	FAILED | TIMED_OUT -> a new SCHEDULED attempt (retry), or COMPLETED_WITH_ERRORS if optional
type TaskStatus string

// The task statuses of Conductor.
const (
	TaskScheduled               TaskStatus = "SCHEDULED"
	TaskInProgress              TaskStatus = "IN_PROGRESS"
	TaskCompleted               TaskStatus = "COMPLETED"
	TaskCompletedWithErrors     TaskStatus = "COMPLETED_WITH_ERRORS"
	TaskFailed                  TaskStatus = "FAILED"
	TaskFailedWithTerminalError TaskStatus = "FAILED_WITH_TERMINAL_ERROR"
	TaskTimedOut                TaskStatus = "TIMED_OUT"
	TaskCanceled                TaskStatus = "CANCELED"
	TaskSkipped                 TaskStatus = "SKIPPED"
)

// String returns the status name.
func (s TaskStatus) String() string { return string(s) }

// Terminal reports whether the attempt is over.
func (s TaskStatus) Terminal() bool {
	switch s {
	case TaskScheduled, TaskInProgress:
		return false
	}
	return true
}

// Successful reports whether the status lets the workflow go on.
func (s TaskStatus) Successful() bool {
	switch s {
	case TaskScheduled, TaskInProgress, TaskCompleted, TaskCompletedWithErrors, TaskSkipped:
		return true
	}
	return false
}

// Retriable reports whether a failed attempt in this status may be retried.
func (s TaskStatus) Retriable() bool {
	switch s {
	case TaskFailedWithTerminalError, TaskCanceled, TaskSkipped:
		return false
	}
	return true
}

// Valid reports whether s is one of the statuses above.
func (s TaskStatus) Valid() bool {
	switch s {
	case TaskScheduled, TaskInProgress, TaskCompleted, TaskCompletedWithErrors, TaskFailed,
		TaskFailedWithTerminalError, TaskTimedOut, TaskCanceled, TaskSkipped:
		return true
	}
	return false
}
