package decider

import "fmt"

// Code classifies why an event was refused.
type Code int

// Why an event was refused.
const (
	// InvalidArgument: the event itself is malformed.
	InvalidArgument Code = iota + 1
	// NotFound: the event names a task the execution does not have.
	NotFound
	// FailedPrecondition: the execution or task is not in a state that
	// accepts the event (a duplicate or stale completion, a terminated
	// workflow, ...).
	FailedPrecondition
)

// String names the code.
func (c Code) String() string {
	switch c {
	case InvalidArgument:
		return "invalid argument"
	case NotFound:
		return "not found"
	case FailedPrecondition:
		return "failed precondition"
	}
	return fmt.Sprintf("Code(%d)", int(c))
}

// Rejection is a refused event. Nothing of it was applied.
type Rejection struct {
	Code Code
	Msg  string
}

func (r *Rejection) Error() string { return r.Msg }

func reject(code Code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Msg: fmt.Sprintf(format, args...)}
}
