package plainjson

import "unicode/utf8"

// A Tree is the parse of one JSON value as a flat list of nodes, built
// without a map, a slice or a string per value: the text stays where it is
// and each node says where its value is. It is what a Go guest reads its
// input through when building map[string]any would cost more than its work
// (sdk/plugin's Value).

// Node kinds, as the first byte of the value's text.
const (
	KindObject = '{'
	KindArray  = '['
	KindString = '"'
	KindNumber = '0'
	KindTrue   = 't'
	KindFalse  = 'f'
	KindNull   = 'n'
)

// Node is one value of a Tree. An object's node is followed by its
// members, each a key (a string node) and then the value's nodes; an
// array's by its elements' nodes.
type Node struct {
	Kind byte
	// Plain is set for a string whose text is its value: no escapes and
	// valid UTF-8. Otherwise the value is read with Parser.Str.
	Plain bool
	// Start and End delimit the value's text; for a string, with its
	// quotes.
	Start, End int32
	// Next is the index of the node after this value's nodes.
	Next int32
}

// maxDepth bounds the nesting a Tree follows, as encoding/json does.
const maxDepth = 10000

// Tree parses one value into nodes (appended to nodes[:0]), with its
// offsets into the Parser's input; ErrFallback if it is not valid JSON.
//
// It is one loop with a stack of the containers open, reading locals: a Go
// guest pays for every call and every field it reads through a pointer,
// and a recursive parser made several calls a value.
func (p *Parser) Tree(nodes []Node) ([]Node, error) {
	b := p.b
	i := p.i
	nodes = nodes[:0]
	var small [32]int32
	open := small[:0] // the containers' nodes, innermost last
	object := false   // the innermost container is an object
	for {
		// A value: an object member's key first.
		i = skipWS(b, i)
		if object {
			if i >= len(b) || b[i] != '"' {
				return nodes, ErrFallback
			}
			end, plain, ok := p.scanStr(i)
			if !ok {
				return nodes, ErrFallback
			}
			nodes = append(nodes, Node{Kind: KindString, Plain: plain, Start: int32(i), End: int32(end), Next: int32(len(nodes) + 1)})
			i = skipWS(b, end)
			if i >= len(b) || b[i] != ':' {
				return nodes, ErrFallback
			}
			i = skipWS(b, i+1)
		}
		if i >= len(b) {
			return nodes, ErrFallback
		}
		me := int32(len(nodes))
		n := Node{Start: int32(i), Next: me + 1}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(open) == maxDepth {
				return nodes, ErrFallback
			}
			n.Kind = c
			nodes = append(nodes, n)
			open = append(open, me)
			object = c == '{'
			i = skipWS(b, i+1)
			if i < len(b) && (b[i] == '}' && object || b[i] == ']' && !object) {
				goto closing // empty
			}
			continue
		case c == '"':
			end, plain, ok := p.scanStr(i)
			if !ok {
				return nodes, ErrFallback
			}
			n.Kind, n.Plain, i = KindString, plain, end
		case c == '-' || c >= '0' && c <= '9':
			p.i = i
			if _, err := p.number(); err != nil {
				return nodes, err
			}
			n.Kind, i = KindNumber, p.i
		case c == 't' && len(b)-i >= 4 && string(b[i:i+4]) == "true":
			n.Kind, i = KindTrue, i+4
		case c == 'f' && len(b)-i >= 5 && string(b[i:i+5]) == "false":
			n.Kind, i = KindFalse, i+5
		case c == 'n' && len(b)-i >= 4 && string(b[i:i+4]) == "null":
			n.Kind, i = KindNull, i+4
		default:
			return nodes, ErrFallback
		}
		n.End = int32(i)
		nodes = append(nodes, n)
		// After a value: the next one, or the end of containers.
		i = skipWS(b, i)
	closing:
		for {
			if len(open) == 0 {
				p.i = i
				return nodes, nil
			}
			if i >= len(b) {
				return nodes, ErrFallback
			}
			if b[i] == ',' {
				i++
				break
			}
			if b[i] != '}' && b[i] != ']' || (b[i] == '}') != object {
				return nodes, ErrFallback
			}
			c := open[len(open)-1]
			open = open[:len(open)-1]
			nodes[c].End, nodes[c].Next = int32(i+1), int32(len(nodes))
			if len(open) > 0 {
				object = nodes[open[len(open)-1]].Kind == KindObject
			}
			i = skipWS(b, i+1)
		}
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// scanStr scans the string at b[i] (its quote) and returns the offset after
// it and whether its text is its value (no escapes, valid UTF-8). A string
// of plain ASCII, the common case, is only scanned; others are checked by
// str.
func (p *Parser) scanStr(i int) (end int, plain, ok bool) {
	b := p.b
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		if c == '"' {
			return j + 1, true, true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	p.i = i
	s, err := p.str()
	if err != nil {
		return 0, false, false
	}
	return p.i, len(s) == p.i-i-2 && s == p.s[i+1:p.i-1], true
}

// Text returns the Parser's input, which a Tree's offsets index.
func (p *Parser) Text() string { return p.s }
