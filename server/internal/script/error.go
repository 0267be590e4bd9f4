package script

import "fmt"

// Kind says which way a script failed.
type Kind int

const (
	// Syntax: the script does not parse or compile. Running it again cannot
	// help; its author has to fix it.
	Syntax Kind = iota + 1
	// Runtime: the script threw, failed on its input, recursed without end,
	// or returned a number JSON cannot hold (NaN, Infinity).
	Runtime
	// Timeout: the script ran longer than Limits.Timeout and was stopped.
	Timeout
	// Memory: the script grew the heap by more than Limits.MaxMemory, or
	// asked a built-in for more than that in one step, and was stopped.
	Memory
	// Output: the result is not JSON (it holds a function or a symbol, refers
	// to itself or nests too deeply) or its encoding is larger than
	// Limits.MaxOutput.
	Output
)

func (k Kind) String() string {
	switch k {
	case Syntax:
		return "syntax"
	case Runtime:
		return "runtime"
	case Timeout:
		return "timeout"
	case Memory:
		return "memory"
	case Output:
		return "output"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is every failure of a script. Msg says what went wrong in words for
// the workflow's author; it is meant for a task's reasonForIncompletion.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

func errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// formatBytes writes a limit the way it is usually configured: "64 MiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
