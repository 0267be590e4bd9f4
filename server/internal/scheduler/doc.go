// Package scheduler starts workflows on cron schedules, as Conductor's
// scheduler module does: a schedule (workflow.Schedule) names a Spring cron
// expression with seconds, a time zone, optional start and end times, and
// the start request of the workflow to run at each instant the expression
// names (a slot).
//
// # Exactly once per slot
//
// The execution a slot starts has an id derived from the schedule's name
// and the slot's instant (SlotID). The engine creates an execution in one
// store transaction that refuses an id already taken, so the start of a
// slot's execution and the record that the slot fired are the same write:
// a crash before it leaves the slot unfired (it fires after the restart,
// see catch-up below), a crash after it finds the id taken and the slot
// counted as fired. Each schedule record also keeps how far its slots
// have been dealt with (store.ScheduleRecord.Done), written after the
// starts; it saves work and bounds what is looked at, while the ids alone
// decide what fired.
//
// # Which slots fire
//
// A slot fires when it is at or after scheduleStartTime, at or before
// scheduleEndTime, after the slots dealt with and at or before now:
//
//   - Saving a schedule (creating or updating it) and resuming it deal with
//     every slot up to that instant: the next slot after it is the first to
//     fire. Slots that passed while a schedule was paused never fire,
//     whatever runCatchupScheduleInstances says. This is what Conductor does
//     (its save and resume compute the next run from now).
//   - Slots missed while the server was down (or busy) fire after it comes
//     back: all of them, oldest first, with runCatchupScheduleInstances;
//     without it, one run only, for the oldest missed slot, and the others
//     are skipped. Conductor behaves alike: the queued message of the
//     pending slot is delivered late, once, and the next run is computed
//     from the current time.
//   - Catch-up fires at most Config.CatchUpBatch slots of one schedule per
//     pass, then lets other due schedules run before the next batch, so a
//     schedule with a long backlog (a per-second expression after a day
//     down) does not hold up the others. Every missed slot still fires.
//   - Paused schedules fire nothing.
//   - Conductor ignores scheduleStartTime and scheduleEndTime when catch-up
//     is on; Baton applies them always.
//
// A slot whose workflow cannot start for a reason that will not pass by
// itself (the definition was deleted, the request is invalid) is dealt
// with all the same: the error is kept on the schedule (lastError,
// lastErrorTime) and the next slot fires as usual. A failure that may pass
// (the store, the engine stopping) leaves the slot to be tried again after
// Config.RetryDelay.
//
// # Input
//
// The workflow's input is the start request's input plus Conductor's
// fields: _startedByScheduler (the schedule's name), _scheduledTime (the
// slot, Unix ms), _executedTime (when it was started, Unix ms),
// _executionId (the execution's id, SlotID) and _schedulerCron (the
// expression and its zone, "0 0 * * * * UTC").
//
// # Running
//
// One goroutine keeps a heap of the next slot of every active schedule,
// sleeps until the earliest, and is woken when a schedule is saved,
// paused, resumed or deleted. Times come from Config.Clock.
package scheduler
