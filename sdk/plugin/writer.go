package plugin

import (
	"fmt"
	"math"
	"strconv"

	"github.com/batonhq/baton/internal/plainjson"
)

// Writer writes a task's output as JSON as it goes, for a HandleJSON
// handler: the members of outputData, each a Key and then one value (a
// String, Int, ... or an object or array between Begin and End calls).
// It builds no map, so a plugin's output costs what its bytes cost.
//
// A misuse (a value without its key in an object, a key in an array, an
// End that closes nothing, a NaN) is kept as the Writer's error, and the
// task then fails with it; writing goes on, ignored.
type Writer struct {
	buf []byte
	// The container open: whether it is an object, whether it holds a
	// value (so that the next takes a comma), and for an object whether a
	// key waits for its value. The fields are plain so that a value costs
	// a Go guest few loads.
	object, comma, keyed bool
	// outer holds the containers around the one open, innermost last: 'O'
	// for an object, 'A' for an array (each holds a value: the one open).
	outer []byte
	err   error
}

// reset starts an output, with outputData's object open.
func (w *Writer) reset() {
	w.buf, w.outer, w.err = append(w.buf[:0], '{'), w.outer[:0], nil
	w.object, w.comma, w.keyed = true, false, false
}

// finish returns outputData's object, or the first misuse.
func (w *Writer) finish() ([]byte, error) {
	if w.err == nil && len(w.outer) != 0 {
		w.fail("%d objects or arrays are not closed", len(w.outer))
	}
	if w.err == nil && w.keyed {
		w.fail("key without a value")
	}
	if w.err != nil {
		return nil, fmt.Errorf("plugin output: %w", w.err)
	}
	w.buf = append(w.buf, '}')
	return w.buf, nil
}

func (w *Writer) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

// Key writes the name of the next member of the object open.
func (w *Writer) Key(k string) {
	if w.err != nil {
		return
	}
	if !w.object || w.keyed {
		w.fail("key %q where a value belongs", k)
		return
	}
	if w.comma {
		w.buf = append(w.buf, ',')
	}
	w.buf = plainjson.AppendString(w.buf, k)
	w.buf = append(w.buf, ':')
	w.keyed = true
}

// value readies the writer for a value: after a key in an object, or as
// the next element of an array (with its comma). It is small enough to be
// inlined: a call costs a Go guest more than the check.
func (w *Writer) value() bool {
	if w.err != nil || w.object && !w.keyed {
		return w.unkeyed()
	}
	if w.comma && !w.object {
		w.buf = append(w.buf, ',')
	}
	w.keyed, w.comma = false, true
	return true
}

// unkeyed is value's way out: the writer failed, or a value comes without
// its key.
func (w *Writer) unkeyed() bool {
	if w.err == nil {
		w.fail("value without a key in an object")
	}
	return false
}

// String writes a string.
func (w *Writer) String(s string) {
	if w.value() {
		w.buf = plainjson.AppendString(w.buf, s)
	}
}

// Int writes an integer.
func (w *Writer) Int(n int64) {
	if w.value() {
		w.buf = strconv.AppendInt(w.buf, n, 10)
	}
}

// Float writes a number; NaN and infinities, which JSON has not, are
// errors.
func (w *Writer) Float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		w.fail("unsupported value %v (JSON has no NaN or infinity)", f)
		return
	}
	if w.value() {
		var err error
		w.buf, err = plainjson.AppendValue(w.buf, f)
		if err != nil {
			w.fail("%v", err)
		}
	}
}

// Bool writes a boolean.
func (w *Writer) Bool(b bool) {
	if w.value() {
		w.buf = strconv.AppendBool(w.buf, b)
	}
}

// Null writes null.
func (w *Writer) Null() {
	if w.value() {
		w.buf = append(w.buf, "null"...)
	}
}

// Value writes a value of the input as it is there (its text is copied,
// nothing is built). A Missing value is an error.
func (w *Writer) Value(v Value) {
	if !v.Exists() {
		w.fail("a missing value written")
		return
	}
	if w.value() {
		w.buf = append(w.buf, v.JSON()...)
	}
}

// Any writes a value of the types Task.InputData holds, or any other that
// encoding/json writes.
func (w *Writer) Any(v any) {
	if w.value() {
		var err error
		if w.buf, err = plainjson.AppendValue(w.buf, v); err != nil {
			w.fail("%v", err)
		}
	}
}

// BeginObject opens an object, whose members follow as Key and value.
func (w *Writer) BeginObject() { w.begin(true) }

// EndObject closes the object opened last.
func (w *Writer) EndObject() { w.end(true) }

// BeginArray opens an array, whose elements follow.
func (w *Writer) BeginArray() { w.begin(false) }

// EndArray closes the array opened last.
func (w *Writer) EndArray() { w.end(false) }

func (w *Writer) begin(object bool) {
	if !w.value() {
		return
	}
	outer := byte('A')
	if w.object {
		outer = 'O'
	}
	w.outer = append(w.outer, outer)
	w.object, w.comma = object, false
	if object {
		w.buf = append(w.buf, '{')
	} else {
		w.buf = append(w.buf, '[')
	}
}

func (w *Writer) end(object bool) {
	if w.err != nil {
		return
	}
	closer := byte(']')
	if object {
		closer = '}'
	}
	if len(w.outer) == 0 || w.object != object || w.keyed {
		w.fail("%c closes nothing open", closer)
		return
	}
	outer := w.outer[len(w.outer)-1]
	w.outer = w.outer[:len(w.outer)-1]
	w.object, w.comma = outer == 'O', true
	w.buf = append(w.buf, closer)
}
