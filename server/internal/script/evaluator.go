package script

import (
	"fmt"
	"time"

	"github.com/itchyny/gojq"
)

// Limits bound one call of a script. A zero field takes its default.
type Limits struct {
	// Timeout is the wall-clock time one call may take. Default 4s, the
	// script timeout of Conductor.
	Timeout time.Duration
	// MaxMemory is how many bytes one call may grow the Go heap by, not
	// counting the copy of its input. Default 64 MiB. The package
	// documentation explains how it is measured and how exact that is.
	MaxMemory int64
	// MaxOutput is how many bytes the result may take encoded as JSON by
	// encoding/json; for JQ, all results together. Default 1 MiB.
	MaxOutput int
}

const (
	defaultTimeout   = 4 * time.Second
	defaultMaxMemory = 64 << 20
	defaultMaxOutput = 1 << 20
)

func (l Limits) withDefaults() Limits {
	if l.Timeout == 0 {
		l.Timeout = defaultTimeout
	}
	if l.MaxMemory == 0 {
		l.MaxMemory = defaultMaxMemory
	}
	if l.MaxOutput == 0 {
		l.MaxOutput = defaultMaxOutput
	}
	return l
}

func (l Limits) validate() error {
	switch {
	case l.Timeout < 0:
		return fmt.Errorf("Limits.Timeout is negative: %s", l.Timeout)
	case l.MaxMemory < 0:
		return fmt.Errorf("Limits.MaxMemory is negative: %d", l.MaxMemory)
	case l.MaxOutput < 0:
		return fmt.Errorf("Limits.MaxOutput is negative: %d", l.MaxOutput)
	}
	return nil
}

// Evaluator runs JavaScript and jq scripts under its Limits. It keeps the
// compiled form of the scripts it has seen; every call otherwise starts from
// nothing. It is safe for concurrent use by many goroutines.
type Evaluator struct {
	limits   Limits
	programs cache[*jsProgram]
	queries  cache[*gojq.Code]
	gc       collector
}

// New returns an Evaluator with the limits l, whose zero fields take their
// defaults. A negative field is a programming error and panics.
func New(l Limits) *Evaluator {
	if err := l.validate(); err != nil {
		panic("script.New: " + err.Error())
	}
	return &Evaluator{limits: l.withDefaults()}
}
