package plugin

import (
	"iter"
	"strconv"

	"github.com/batonhq/baton/internal/plainjson"
)

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of Value; Missing is the Value of a member or element that is
// not there.
const (
	Missing Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"missing", "null", "boolean", "number", "string", "array", "object"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is a JSON value of the task's input read where it lies: getting a
// member, an element, a number or a string builds no map, slice or string
// (a string with escapes is the exception). It is the fast way through a
// large input in a Go plugin, where allocating costs ten times what it
// does natively; see Task.In and HandleJSON.
//
// A Value is valid until the handler returns; the strings it gives may be
// kept. The zero Value is Missing.
type Value struct {
	doc *doc
	i   int32
}

// doc is a parsed input: its text and its nodes.
type doc struct {
	text  string
	nodes []plainjson.Node
}

func (v Value) node() *plainjson.Node { return &v.doc.nodes[v.i] }

// kinds maps a node's kind to a Value's.
var kinds = [256]Kind{
	plainjson.KindObject: Object, plainjson.KindArray: Array, plainjson.KindString: String,
	plainjson.KindNumber: Number, plainjson.KindTrue: Bool, plainjson.KindFalse: Bool, plainjson.KindNull: Null,
}

// Kind returns the value's kind, Missing for the zero Value.
func (v Value) Kind() Kind {
	if v.doc == nil {
		return Missing
	}
	return kinds[v.doc.nodes[v.i].Kind]
}

// Exists reports whether the value is there (not Missing).
func (v Value) Exists() bool { return v.doc != nil }

// Get returns the member key of an object (its last, if the key repeats,
// as encoding/json keeps); Missing if v is not an object or has no such
// member.
func (v Value) Get(key string) Value {
	found := Value{}
	if v.Kind() != Object {
		return found
	}
	nodes := v.doc.nodes
	for k := v.i + 1; k < nodes[v.i].Next; k = nodes[k+1].Next {
		if v.doc.equal(k, key) { // a key's value is the node after it
			found = Value{v.doc, k + 1}
		}
	}
	return found
}

// Index returns element i of an array; Missing if v is not an array or is
// shorter.
func (v Value) Index(i int) Value {
	if v.Kind() != Array {
		return Value{}
	}
	nodes := v.doc.nodes
	for c := v.i + 1; c < nodes[v.i].Next; c = nodes[c].Next {
		if i == 0 {
			return Value{v.doc, c}
		}
		i--
	}
	return Value{}
}

// Len returns the number of members of an object or elements of an array,
// 0 for any other value.
func (v Value) Len() int {
	k := v.Kind()
	if k != Object && k != Array {
		return 0
	}
	n := 0
	nodes := v.doc.nodes
	for c := v.i + 1; c < nodes[v.i].Next; c = nodes[c].Next {
		n++
	}
	if k == Object {
		n /= 2
	}
	return n
}

// Members yields the members of an object in their order, each key as
// its string; nothing for any other value.
func (v Value) Members() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		if v.Kind() != Object {
			return
		}
		nodes := v.doc.nodes
		for k := v.i + 1; k < nodes[v.i].Next; k = nodes[k+1].Next {
			if !yield(v.doc.str(k), Value{v.doc, k + 1}) {
				return
			}
		}
	}
}

// Elements yields the elements of an array with their indexes; nothing for
// any other value.
func (v Value) Elements() iter.Seq2[int, Value] {
	return func(yield func(int, Value) bool) {
		if v.Kind() != Array {
			return
		}
		nodes := v.doc.nodes
		j := 0
		for c := v.i + 1; c < nodes[v.i].Next; c = nodes[c].Next {
			if !yield(j, Value{v.doc, c}) {
				return
			}
			j++
		}
	}
}

// Str returns a string's value; false for any other value.
func (v Value) Str() (string, bool) {
	if v.doc == nil || v.doc.nodes[v.i].Kind != plainjson.KindString {
		return "", false
	}
	return v.doc.str(v.i), true
}

// Int returns a number that is an integer in int64's range; false for any
// other value.
func (v Value) Int() (int64, bool) {
	if v.Kind() != Number {
		return 0, false
	}
	n, err := strconv.ParseInt(v.JSON(), 10, 64)
	return n, err == nil
}

// Float returns a number as the nearest float64; false for any other value
// or a number beyond float64's range.
func (v Value) Float() (float64, bool) {
	if v.Kind() != Number {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.JSON(), 64)
	return f, err == nil
}

// Bool returns a boolean's value; false, false for any other value.
func (v Value) Bool() (b, ok bool) {
	if v.Kind() != Bool {
		return false, false
	}
	return v.node().Kind == plainjson.KindTrue, true
}

// JSON returns the value's text as it is in the input (a string's with its
// quotes and escapes); "" for Missing.
func (v Value) JSON() string {
	if v.doc == nil {
		return ""
	}
	n := v.node()
	return v.doc.text[n.Start:n.End]
}

// Any returns the value built as Task.InputData's values are: map[string]any,
// []any, string, json.Number, bool or nil; nil for Missing.
func (v Value) Any() any {
	if v.doc == nil {
		return nil
	}
	p := plainjson.NewParser([]byte(v.JSON()))
	a, err := p.Value()
	if err != nil { // the text was parsed already
		panic("plugin: a parsed value does not parse again: " + err.Error())
	}
	return a
}

// str returns the value of string node i.
func (d *doc) str(i int32) string {
	if n := &d.nodes[i]; n.Plain {
		return d.text[n.Start+1 : n.End-1]
	}
	return d.unescape(i)
}

// unescape returns the value of string node i, which has escapes or
// invalid UTF-8.
func (d *doc) unescape(i int32) string {
	n := &d.nodes[i]
	s, err := plainjson.NewParser([]byte(d.text[n.Start:n.End])).Str()
	if err != nil {
		panic("plugin: a parsed string does not parse again: " + err.Error())
	}
	return s
}

// equal reports whether string node i's value is s.
func (d *doc) equal(i int32, s string) bool {
	if n := &d.nodes[i]; n.Plain {
		return d.text[n.Start+1:n.End-1] == s
	}
	return d.unescape(i) == s
}
