// Package listener delivers workflow and task status events to webhooks:
// Conductor's WorkflowStatusListener and TaskStatusListener, over HTTP.
//
// # Durability
//
// The engine writes a status event as a store message (Kind) in the same
// transaction as the status change it reports, so an event exists exactly
// when its change is committed, and writing it costs the change nothing but
// a few hundred bytes of that transaction. A definition without a listener
// writes nothing. After the commit the engine hands the message to a
// Listener, whose bounded pool of delivery goroutines POSTs it. The message
// is deleted (acknowledged) only once a receiver answered 2xx, or when it is
// moved to the dead-letter list after Config.MaxAttempts failed attempts;
// that move and the deletion are one transaction. Messages left when the
// server stops are delivered after the next start.
//
// # At least once
//
// Delivery is at least once: an event whose 2xx was received but not yet
// acknowledged when the server stopped is sent again after the restart, and
// a redriven dead letter may reach a receiver that had in fact processed it.
// Every event has an eventId, the same in every attempt and every redrive:
// receivers deduplicate on it. Events are sent in parallel and retried
// independently, so they may arrive out of order; each carries the time of
// its change, and the status it reports.
//
// # Retries
//
// A failed attempt (a connection error, a timeout of Config.Timeout, a
// status other than 2xx) is retried after an exponential back-off, from
// Config.MinBackoff doubling up to Config.MaxBackoff, with jitter (each
// wait is drawn between half and all of the back-off). The attempts are
// counted in memory: a restart gives an event a fresh count. A destination
// the server may not call (an internal address not allowed by --http-allow)
// or a malformed URL cannot get better and is dead-lettered at once.
//
// # The request
//
//	POST <workflowStatusListenerSink, else the server's --listener-url>
//	Content-Type: application/json
//	Baton-Event-Id: <eventId>
//	Baton-Event-Type: <type>
//	Baton-Signature: t=<Unix seconds>,v1=<hex HMAC-SHA256>   (with a signing secret)
//
// The body is an Event. The signature is computed, as Stripe's is, over
// the timestamp, a dot and the exact body bytes: HMAC-SHA256(secret,
// "<t>.<body>"), in lowercase hex. A receiver recomputes it with the shared
// secret, compares in constant time, and refuses a timestamp too far from
// its clock (five minutes is usual), which stops replays. sdk/client's
// VerifyListenerSignature does all three.
//
// # Event types
//
// Workflow events (when the definition sets workflowStatusListenerEnabled):
// WORKFLOW_STARTED, WORKFLOW_COMPLETED, WORKFLOW_FAILED,
// WORKFLOW_TIMED_OUT, WORKFLOW_TERMINATED (these four carry the output or
// reasonForIncompletion), WORKFLOW_PAUSED, WORKFLOW_RESUMED,
// WORKFLOW_RETRIED, WORKFLOW_RESTARTED and WORKFLOW_RERAN. Task events (the
// same definitions, for tasks whose task definition does not set
// taskStatusListenerEnabled to false): TASK_<status> for each commit that
// changes a task's status, with the status the task has after it (a task
// that passes through several within one commit, as a NOOP does, reports
// the last): SCHEDULED, IN_PROGRESS, COMPLETED, COMPLETED_WITH_ERRORS,
// FAILED, FAILED_WITH_TERMINAL_ERROR, TIMED_OUT, CANCELED or SKIPPED.
//
// Redirects are not followed: a 3xx answer is a failed attempt, so that an
// event is never acknowledged by a GET that a redirect made of its POST,
// nor its signed headers carried to another host.
package listener
