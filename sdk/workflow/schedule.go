package workflow

// Schedule starts a workflow at the instants of a cron expression, in the
// JSON shape of Conductor's WorkflowSchedule (the scheduler module, REST
// under /api/scheduler). Times are Unix milliseconds.
//
// The server fires each instant (slot) of the expression at most once, and
// exactly once unless the schedule is paused, catch-up is off, or the
// server was down at the time (see the scheduler's documentation).
type Schedule struct {
	// Name identifies the schedule.
	Name string `json:"name"`
	// CronExpression is a Spring cron expression with seconds, such as
	// "0 */5 * * * *" (every five minutes).
	CronExpression string `json:"cronExpression"`
	// ZoneID is the IANA time zone the expression is read in ("UTC" when
	// empty), such as "Europe/Paris".
	ZoneID string `json:"zoneId,omitempty"`
	// RunCatchupScheduleInstances fires, after the server was down, every
	// slot missed meanwhile; without it the missed slots collapse into one
	// run.
	RunCatchupScheduleInstances bool `json:"runCatchupScheduleInstances"`
	// Paused schedules fire nothing.
	Paused bool `json:"paused"`
	// PausedReason says why the schedule was paused.
	PausedReason string `json:"pausedReason,omitempty"`
	// StartWorkflowRequest is what each slot starts. Its input gets the
	// scheduler's fields (_startedByScheduler, _scheduledTime,
	// _executedTime, _executionId, _schedulerCron).
	StartWorkflowRequest *StartRequest `json:"startWorkflowRequest"`
	// ScheduleStartTime, when set, is the first instant a slot may have.
	ScheduleStartTime int64 `json:"scheduleStartTime,omitempty"`
	// ScheduleEndTime, when set, is the last instant a slot may have.
	ScheduleEndTime int64 `json:"scheduleEndTime,omitempty"`
	// Description is free text.
	Description string `json:"description,omitempty"`
	// CronSchedules is Conductor's list of several expressions; Baton
	// refuses it (one schedule per expression).
	CronSchedules []CronSchedule `json:"cronSchedules,omitempty"`

	// Set by the server.
	CreateTime  int64  `json:"createTime,omitempty"`
	UpdatedTime int64  `json:"updatedTime,omitempty"`
	CreatedBy   string `json:"createdBy,omitempty"`
	UpdatedBy   string `json:"updatedBy,omitempty"`
	// NextRunTime is the next slot that will fire; 0 when none will (paused,
	// or past ScheduleEndTime).
	NextRunTime int64 `json:"nextRunTime,omitempty"`
	// LastScheduledTime is the slot most recently fired (Baton).
	LastScheduledTime int64 `json:"lastScheduledTime,omitempty"`
	// LastWorkflowID is the execution that slot started (Baton).
	LastWorkflowID string `json:"lastWorkflowId,omitempty"`
	// LastError says why the workflow of a slot could not start, such as a
	// deleted definition; empty after a slot that started (Baton).
	LastError string `json:"lastError,omitempty"`
	// LastErrorTime is when LastError happened (Baton).
	LastErrorTime int64 `json:"lastErrorTime,omitempty"`
}

// CronSchedule is one expression of Conductor's multi-cron schedules.
type CronSchedule struct {
	CronExpression string `json:"cronExpression"`
	ZoneID         string `json:"zoneId,omitempty"`
}
