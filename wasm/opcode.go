package wasm

import "fmt"

// imm says what follows an opcode in the binary. The rewriter must know the
// length of every instruction to find each loop opcode, so every opcode it
// accepts is listed here with its immediates; an opcode with no entry is
// refused rather than guessed at.
type imm uint8

const (
	immUnknown  imm = iota // not an opcode the rewriter accepts
	immNone                // no immediate
	immBlock               // block type: 0x40, a value type, or an s33 type index
	immU32                 // one index (local, global, function, label, table)
	immU32x2               // two indexes (call_indirect: type, table)
	immBrTable             // vec(label) label
	immMemarg              // align, [memory index if align bit 6], offset
	immS32                 // i32.const
	immS64                 // i64.const
	immF32                 // f32.const: 4 bytes
	immF64                 // f64.const: 8 bytes
	immSelectT             // vec(value type)
	immRefType             // ref.null: one reference type byte
	immPrefixFC            // 0xFC: u32 sub-opcode, see fcImm
)

const (
	opUnreachable  = 0x00
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opEnd          = 0x0b
	opCall         = 0x10
	opCallIndirect = 0x11
	opDrop         = 0x1a
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opMemoryGrow   = 0x40
	opI32Const     = 0x41
	opI32Eqz       = 0x45
	opI32Ne        = 0x47
	opI32Sub       = 0x6b
	opI32LtS       = 0x48
	opI32ShrU      = 0x76
	opSelect       = 0x1b
	opPrefixFC     = 0xfc
	blockEmpty     = 0x40
	typeI32        = 0x7f
)

// opImm covers core wasm 1.0, sign extension (0xC0-0xC4), reference types
// (select t*, table.get/set, ref.null/is_null/func) and multi-value block
// types, which is what Go's wasip1 and clang's wasm32-wasi output use.
var opImm = func() (t [256]imm) {
	set := func(lo, hi byte, k imm) {
		for op := int(lo); op <= int(hi); op++ {
			t[op] = k
		}
	}
	set(0x00, 0x01, immNone)     // unreachable, nop
	set(0x02, 0x04, immBlock)    // block, loop, if
	set(0x05, 0x05, immNone)     // else
	set(0x0b, 0x0b, immNone)     // end
	set(0x0c, 0x0d, immU32)      // br, br_if
	set(0x0e, 0x0e, immBrTable)  // br_table
	set(0x0f, 0x0f, immNone)     // return
	set(0x10, 0x10, immU32)      // call
	set(0x11, 0x11, immU32x2)    // call_indirect
	set(0x1a, 0x1b, immNone)     // drop, select
	set(0x1c, 0x1c, immSelectT)  // select t*
	set(0x20, 0x26, immU32)      // local.get/set/tee, global.get/set, table.get/set
	set(0x28, 0x3e, immMemarg)   // loads and stores
	set(0x3f, 0x40, immU32)      // memory.size, memory.grow (memory index)
	set(0x41, 0x41, immS32)      // i32.const
	set(0x42, 0x42, immS64)      // i64.const
	set(0x43, 0x43, immF32)      // f32.const
	set(0x44, 0x44, immF64)      // f64.const
	set(0x45, 0xc4, immNone)     // numeric, conversions, sign extension
	set(0xd0, 0xd0, immRefType)  // ref.null
	set(0xd1, 0xd1, immNone)     // ref.is_null
	set(0xd2, 0xd2, immU32)      // ref.func
	set(0xfc, 0xfc, immPrefixFC) // saturating truncation, bulk memory, tables
	return t
}()

// fcImm is the number of u32 immediates of each 0xFC sub-opcode:
// 0-7 trunc_sat; 8 memory.init data mem; 9 data.drop; 10 memory.copy mem mem;
// 11 memory.fill mem; 12 table.init elem table; 13 elem.drop;
// 14 table.copy table table; 15 table.grow; 16 table.size; 17 table.fill.
var fcImm = [...]int{0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1}

// The 0xFC sub-opcodes whose cost grows with an operand (see meterCode).
const (
	fcMemoryInit = 8
	fcMemoryCopy = 10
	fcMemoryFill = 11
	fcTableInit  = 12
	fcTableCopy  = 14
	fcTableGrow  = 15
	fcTableFill  = 17
)

// opName names the opcodes a module is most likely to be refused for.
func opName(op byte) string {
	switch op {
	case 0xfd:
		return "SIMD prefix 0xfd (not supported: build without SIMD, e.g. no -msimd128)"
	case 0xfe:
		return "threads/atomics prefix 0xfe (not supported: build without threads)"
	case 0x06, 0x07, 0x08, 0x09, 0x18, 0x19, 0x1f:
		return fmt.Sprintf("exception-handling opcode %#02x (not supported)", op)
	case 0x12, 0x13:
		return fmt.Sprintf("tail-call opcode %#02x (not supported)", op)
	}
	return fmt.Sprintf("unknown opcode %#02x", op)
}

// skipImmediates advances r past the immediates of op, which has been read.
func skipImmediates(r *reader, op byte) error {
	switch opImm[op] {
	case immNone:
		return nil
	case immBlock:
		t, err := r.signed(33)
		if err != nil {
			return err
		}
		// Negative values are single-byte value types or 0x40 (empty);
		// non-negative ones are type indexes (multi-value).
		if t < -0x40 {
			return fmt.Errorf("invalid block type %d", t)
		}
		return nil
	case immU32:
		_, err := r.u32()
		return err
	case immU32x2:
		if _, err := r.u32(); err != nil {
			return err
		}
		_, err := r.u32()
		return err
	case immBrTable:
		n, err := r.u32()
		if err != nil {
			return err
		}
		for i := uint32(0); i <= n; i++ { // n targets and the default
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		return nil
	case immMemarg:
		align, err := r.u32()
		if err != nil {
			return err
		}
		if align&0x40 != 0 { // multi-memory: an explicit memory index follows
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		_, err = r.u32()
		return err
	case immS32:
		_, err := r.signed(32)
		return err
	case immS64:
		_, err := r.signed(64)
		return err
	case immF32:
		_, err := r.bytes(4)
		return err
	case immF64:
		_, err := r.bytes(8)
		return err
	case immSelectT:
		n, err := r.u32()
		if err != nil {
			return err
		}
		_, err = r.bytes(int(n))
		return err
	case immRefType:
		_, err := r.byte()
		return err
	case immPrefixFC:
		sub, err := r.u32()
		if err != nil {
			return err
		}
		if sub >= uint32(len(fcImm)) {
			return fmt.Errorf("unknown opcode 0xfc %d", sub)
		}
		for i := 0; i < fcImm[sub]; i++ {
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s", opName(op))
}
