package wasm

// A tiny wasm assembler for tests: enough to hand-encode the modules the
// rewriter must handle, byte for byte, without external tools.

const (
	i32 = 0x7f
	i64 = 0x7e
)

// funcType is a function signature.
type funcType struct{ params, results []byte }

// function is a defined function: its type index, locals, and its body's
// instructions without the final end.
type function struct {
	typ    uint32
	locals []byte // one value type per local
	code   []byte
}

type export struct {
	name  string
	kind  byte
	index uint32
}

type importFunc struct {
	module, name string
	typ          uint32
}

// module is a wasm module description; encode turns it into bytes.
type module struct {
	types     []funcType
	imports   []importFunc
	memImport *importFunc // a memory import (typ is its minimum), after the functions
	funcs     []function
	table     uint32 // size of a funcref table, 0 for none
	elems     []uint32
	memory    *limits
	globals   [][]byte // each: value type, mutability, init expression (with end)
	exports   []export
	start     *uint32
	data      []byte // one active segment at offset 0, if non-nil
	customs   map[string][]byte
	extraSec  []byte // appended verbatim, for malformed-module tests
}

type limits struct {
	min uint32
	max *uint32
}

func u32(v uint32) []byte { return appendU32(nil, v) }

func s64(v int64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(out, c)
		}
		out = append(out, c|0x80)
	}
}

func str(s string) []byte { return append(u32(uint32(len(s))), s...) }

func vec(n int, items ...[]byte) []byte {
	out := u32(uint32(n))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func section(id byte, body []byte) []byte {
	return append(append([]byte{id}, u32(uint32(len(body)))...), body...)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func (m module) encode() []byte {
	out := append([]byte{}, header...)
	for name, body := range m.customs {
		out = append(out, section(secCustom, cat(str(name), body))...)
	}
	if len(m.types) > 0 {
		var items [][]byte
		for _, t := range m.types {
			items = append(items, cat([]byte{0x60}, vec(len(t.params), t.params), vec(len(t.results), t.results)))
		}
		out = append(out, section(secType, vec(len(items), items...))...)
	}
	if len(m.imports) > 0 || m.memImport != nil {
		var items [][]byte
		for _, im := range m.imports {
			items = append(items, cat(str(im.module), str(im.name), []byte{kindFunc}, u32(im.typ)))
		}
		if im := m.memImport; im != nil {
			items = append(items, cat(str(im.module), str(im.name), []byte{kindMemory, 0}, u32(im.typ)))
		}
		out = append(out, section(secImport, vec(len(items), items...))...)
	}
	if len(m.funcs) > 0 {
		var items [][]byte
		for _, f := range m.funcs {
			items = append(items, u32(f.typ))
		}
		out = append(out, section(secFunction, vec(len(items), items...))...)
	}
	if m.table > 0 {
		out = append(out, section(secTable, cat(u32(1), []byte{0x70, 0}, u32(m.table)))...)
	}
	if m.memory != nil {
		lim := cat([]byte{0}, u32(m.memory.min))
		if m.memory.max != nil {
			lim = cat([]byte{1}, u32(m.memory.min), u32(*m.memory.max))
		}
		out = append(out, section(secMemory, cat(u32(1), lim))...)
	}
	if len(m.globals) > 0 {
		out = append(out, section(secGlobal, vec(len(m.globals), m.globals...))...)
	}
	if len(m.exports) > 0 {
		var items [][]byte
		for _, e := range m.exports {
			items = append(items, cat(str(e.name), []byte{e.kind}, u32(e.index)))
		}
		out = append(out, section(secExport, vec(len(items), items...))...)
	}
	if m.start != nil {
		out = append(out, section(secStart, u32(*m.start))...)
	}
	if len(m.elems) > 0 {
		var idx [][]byte
		for _, f := range m.elems {
			idx = append(idx, u32(f))
		}
		// Active segment for table 0 at offset 0.
		out = append(out, section(secElement, cat(u32(1), []byte{0, opI32Const, 0, opEnd}, vec(len(idx), idx...)))...)
	}
	if m.data != nil {
		out = append(out, section(secDataCount, u32(1))...)
	}
	if len(m.funcs) > 0 {
		var items [][]byte
		for _, f := range m.funcs {
			var groups [][]byte
			for _, l := range f.locals {
				groups = append(groups, []byte{1, l})
			}
			body := cat(vec(len(groups), groups...), f.code, []byte{opEnd})
			items = append(items, cat(u32(uint32(len(body))), body))
		}
		out = append(out, section(secCode, vec(len(items), items...))...)
	}
	if m.data != nil {
		out = append(out, section(secData, cat(u32(1), []byte{0, opI32Const, 0, opEnd}, str(string(m.data))))...)
	}
	return append(out, m.extraSec...)
}

// Instruction helpers.
func i32c(v int32) []byte       { return cat([]byte{opI32Const}, s64(int64(v))) }
func i64c(v int64) []byte       { return cat([]byte{0x42}, s64(v)) }
func localGet(i uint32) []byte  { return cat([]byte{0x20}, u32(i)) }
func localSet(i uint32) []byte  { return cat([]byte{0x21}, u32(i)) }
func localTee(i uint32) []byte  { return cat([]byte{0x22}, u32(i)) }
func call(f uint32) []byte      { return cat([]byte{0x10}, u32(f)) }
func br(l uint32) []byte        { return cat([]byte{0x0c}, u32(l)) }
func brIf(l uint32) []byte      { return cat([]byte{0x0d}, u32(l)) }
func globalGet(g uint32) []byte { return cat([]byte{opGlobalGet}, u32(g)) }
func globalSet(g uint32) []byte { return cat([]byte{0x24}, u32(g)) }

var (
	end       = []byte{opEnd}
	elseOp    = []byte{0x05}
	i32Add    = []byte{0x6a}
	i32Sub    = []byte{0x6b}
	i32Mul    = []byte{0x6c}
	i32Eqz    = []byte{0x45}
	i32LtU    = []byte{0x49}
	i32Ne     = []byte{0x47}
	i32Xor    = []byte{0x73}
	drop      = []byte{0x1a}
	memGrow   = []byte{0x40, 0}
	memSize   = []byte{0x3f, 0}
	blockVoid = []byte{opBlock, blockEmpty}
	loopVoid  = []byte{opLoop, blockEmpty}
	ifI32     = []byte{opIf, i32}
)

func ptr[T any](v T) *T { return &v }
