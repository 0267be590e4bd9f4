package engine

import (
	"errors"
	"fmt"

	"github.com/batonhq/baton/server/internal/decider"
	"github.com/batonhq/baton/server/internal/store"
)

// Code classifies an engine error; the API maps it to a Connect code and an
// HTTP status.
type Code int

// Error codes.
const (
	// Internal: a bug or a store failure; the message is for operators.
	Internal Code = iota
	// InvalidArgument: the request is malformed or invalid.
	InvalidArgument
	// NotFound: the named definition, workflow or task does not exist.
	NotFound
	// AlreadyExists: a record that must be new exists already.
	AlreadyExists
	// FailedPrecondition: the target is not in a state that allows the
	// request (a duplicate completion, terminating a completed workflow).
	FailedPrecondition
	// Unavailable: the engine is stopping or not started; retry elsewhere
	// or later.
	Unavailable
)

// String names the code.
func (c Code) String() string {
	switch c {
	case InvalidArgument:
		return "invalid argument"
	case NotFound:
		return "not found"
	case AlreadyExists:
		return "already exists"
	case FailedPrecondition:
		return "failed precondition"
	case Unavailable:
		return "unavailable"
	}
	return "internal"
}

// Error is an error with a Code and a message that says what was wrong.
type Error struct {
	Code Code
	Msg  string
	// Details carries structured detail, such as validation diagnostics.
	Details any
}

func (e *Error) Error() string { return e.Msg }

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the Code of err: the code of an *Error in its chain, or
// Internal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// classify turns decider rejections and store sentinels into engine errors.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var r *decider.Rejection
	if errors.As(err, &r) {
		switch r.Code {
		case decider.InvalidArgument:
			return &Error{Code: InvalidArgument, Msg: r.Msg}
		case decider.NotFound:
			return &Error{Code: NotFound, Msg: r.Msg}
		default:
			return &Error{Code: FailedPrecondition, Msg: r.Msg}
		}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errorf(NotFound, "%s not found", what)
	case errors.Is(err, store.ErrExists):
		return errorf(AlreadyExists, "%s already exists", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}
