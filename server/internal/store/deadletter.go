package store

import "context"

// DeadLetter is a message its consumer gave up on: a status listener event
// that its receiver refused too many times. It keeps the message as it was
// sent, so that it can be sent again (redriven) unchanged, under the same id.
type DeadLetter struct {
	// Message is the message as it was stored; its ID names the dead letter.
	Message *Message `json:"message"`
	// Attempts is how many times delivery was tried.
	Attempts int `json:"attempts"`
	// Error is why the last attempt failed.
	Error string `json:"error"`
	// Time is when the message became a dead letter, Unix milliseconds.
	Time int64 `json:"time"`
}

// Limits of DeadLetterList.
const (
	// DefaultDeadLetterLimit is the page size when the limit is 0.
	DefaultDeadLetterLimit = 100
	// MaxDeadLetterLimit is the largest page.
	MaxDeadLetterLimit = 1000
	// DeadLetterPageBytes bounds the stored size of one page: a page ends
	// early, after at least one dead letter, once it holds this much, so
	// that it fits an API response (a listener event alone may be 64 KiB).
	DeadLetterPageBytes = 1 << 20
)

// DeadLetters keeps the dead-letter list. Moves between the messages and
// the list are one transaction each, so a message is always in exactly one
// of the two (or acknowledged and gone).
type DeadLetters interface {
	// DeadLetterPut acknowledges the message d.Message.ID and keeps d in the
	// dead-letter list, in one transaction. It fails with ErrConflict when
	// the message is not stored (acknowledged already) and writes nothing.
	DeadLetterPut(ctx context.Context, d *DeadLetter) error
	// DeadLetterList returns up to limit dead letters (DefaultDeadLetterLimit
	// when 0; ErrInvalid when negative or over MaxDeadLetterLimit) whose ids
	// sort after the id after ("" for the first page), in id order, and
	// fewer once the page holds DeadLetterPageBytes: the next page starts
	// after the last id returned; an empty page is the end.
	DeadLetterList(ctx context.Context, after string, limit int) ([]*DeadLetter, error)
	// DeadLetterRedrive moves dead letters back to the messages, under
	// their ids, all in one transaction, and returns the messages. It fails
	// with ErrNotFound, and moves none, when an id is not in the list.
	DeadLetterRedrive(ctx context.Context, ids []string) ([]*Message, error)
	// DeadLetterDelete removes dead letters, all or none: ErrNotFound when
	// an id is not in the list.
	DeadLetterDelete(ctx context.Context, ids []string) error
}
