package wasm

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Reserved export names added by Instrument. A module that already exports
// any of them is refused.
const (
	// InterruptExport is the mutable i32 global that, once set to FlagStop,
	// makes the guest trap at its next check (a loop iteration, or the
	// entry of a function that calls outside its loops).
	InterruptExport = "baton.interrupt"
	// StartExport is the module's start function, if it had one. Instrument
	// removes the start section so that the host can run the start function
	// as an ordinary, interruptible call after instantiation.
	StartExport = "baton.start"
	// YieldingExport is the mutable i32 global the check sets to 1 around
	// the memory.grow it makes to yield (see Instrument), so that the
	// host's memory allocator tells that grow from the guest's own.
	YieldingExport = "baton.yielding"
)

// newGlobalCount is how many globals Instrument adds: $interrupt, $fuel,
// $scratch and $yielding.
const newGlobalCount = 4

// Values of the interrupt global.
const (
	// FlagStop makes the guest trap at its next check.
	FlagStop = 1
	// FlagYield makes the guest yield at its next check: it calls
	// memory.grow by one page with the yielding global set, and continues
	// when the grow returns (the host fails it: memory is unchanged).
	FlagYield = 2
)

// Section ids (core spec 5.5.2).
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

// sectionRank is the order non-custom sections must appear in; data count (12)
// goes between element and code.
var sectionRank = map[byte]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5, secGlobal: 6,
	secExport: 7, secStart: 8, secElement: 9, secDataCount: 10, secCode: 11, secData: 12,
}

// Export kinds.
const (
	kindFunc   = 0
	kindTable  = 1
	kindMemory = 2
	kindGlobal = 3
)

var header = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// ChecksPerYield is how many checks a guest passes between two exits to Go.
// Go's garbage collector stops the world by waiting for every goroutine to
// reach a safe point, and a goroutine running wasm code reaches none until
// the code calls out to Go; without these exits, one runaway plugin would
// hold a stop-the-world, and with it the whole process, forever. A check
// costs about 0.6 ns in a tight loop and an exit about 40 ns (measured on the
// development VM), so a spinning guest yields every few microseconds at a
// cost under 1%.
const ChecksPerYield = 10000

// Bounds of a module's tables, which live in host memory outside the
// memory cap (8 bytes an entry in wazero). Go's wasip1 linker puts every
// function in its one table with no maximum (about 10,000 entries for a
// plugin using net/http and encoding/json), clang a table of the functions
// whose address is taken; 1<<18 entries leaves a Go program 25 times that
// and costs at most 2 MiB an instance.
const (
	// MaxTableEntries bounds the entries of all of a module's tables
	// together, at their maximum sizes.
	MaxTableEntries = 1 << 18
	// MaxTables is how many tables a module may define.
	MaxTables = 4
)

// Stats says what Instrument inserted.
type Stats struct {
	Functions   int      // defined functions
	EntryChecks int      // functions given a check at entry: those with a call outside every loop
	Loops       int      // loop opcodes, each given a check at the top of its body
	Dropped     []string // custom sections dropped because they point into the code
}

// Instrument returns a copy of the wasm module bin in which every loop body
// starts with a check, and so does every defined function that has a call
// outside all of its loops. The check first traps if
// a new global, exported as InterruptExport, is FlagStop (or yields if it is
// FlagYield, below); then it counts down
// a second new global, $fuel, and every ChecksPerYield checks exits to Go
// (memory.grow by 0 pages, the cheapest exit wasm code can make without an
// import), so that the Go scheduler and garbage collector can stop the
// goroutine:
//
//	global.get $interrupt
//	if
//	  global.get $interrupt
//	  i32.const FlagYield
//	  i32.ne
//	  if
//	    unreachable
//	  end
//	  i32.const 1
//	  global.set $yielding
//	  i32.const 1
//	  memory.grow
//	  drop
//	  i32.const 0
//	  global.set $yielding
//	end
//	global.get $fuel
//	i32.const 1
//	i32.sub
//	global.set $fuel
//	global.get $fuel
//	i32.eqz
//	if
//	  i32.const ChecksPerYield
//	  global.set $fuel
//	  i32.const 0
//	  memory.grow
//	  drop
//	end
//
// A host that sets the interrupt global to FlagStop from another goroutine
// thus makes the guest trap at its next check: no runaway, loop or loop-free
// recursion, outlives its deadline by more than one iteration of its longest
// loop body (whose bulk operations are bounded by its memory cap) or the run
// of a function up to its first check. The flag is read at every check, not
// only at the exits to Go: a loop whose body is one large memory.fill would
// run ChecksPerYield bodies between two exits, which is minutes. For the same
// reason bulk memory and table operations take fuel by their size (see
// meterCode), through a third new global, $scratch, so that the exits to Go
// stay microseconds apart.
//
// A function needs no check at entry when each of its calls is inside a
// loop, whose check then runs before the call (wasm cannot branch into a
// loop but through its top), nor when it makes no call, since it then runs
// straight-line code and loops only: every cycle of the program, a loop or a
// recursion, still passes a check. Go's wasm code wraps the body of every
// function that branches in one loop (its jumps between basic blocks go
// through that loop's top), so three Go functions in four need none.
//
// A host that sets the interrupt global to FlagYield makes the guest call
// into Go at its next check without trapping: memory.grow by one page, with
// a fourth new global, exported as YieldingExport, set to 1 around it. A host whose memory
// allocator sees a grow while that global is 1 knows it for a yield, does
// what it yields for (gives the CPU to another plugin), resets the interrupt
// global and fails the grow, so that memory is unchanged and the guest goes
// on. wasm has no cheaper way to call the host without an import, and an
// import would shift every function index. The slow path costs nothing
// until the flag is set: the fast path is the same global.get and if.
//
// Tables are bounded like memory, since table.grow allocates host memory: a
// table may start with at most MaxTableEntries entries, its maximum is
// lowered to MaxTableEntries (table.grow past it returns -1), a module may
// define at most MaxTables tables, and it may not import one.
//
// Every index space is unchanged: the new globals come after the existing
// ones, nothing is imported, and a module without a memory is given one of
// zero pages (memory 0; there was none to shift). The start section, if any,
// is removed and its function exported as StartExport, so that it runs as an
// interruptible call after instantiation rather than inside it.
//
// Custom sections that point into the code section by byte offset (DWARF
// ".debug_*", "sourceMappingURL", "external_debug_info", and the linker's
// "linking" and "reloc.*") are dropped, since the inserted checks move the code;
// the others, "name" among them (it refers to indexes, not offsets), are kept.
//
// Instrument accepts core wasm 1.0 with sign extension, non-trapping
// float-to-int, bulk memory, reference types and multi-value; it refuses SIMD,
// threads and any other opcode, naming it and the function it is in.
func Instrument(bin []byte) ([]byte, Stats, error) {
	var st Stats
	if len(bin) < len(header) || !bytes.Equal(bin[:len(header)], header) {
		return nil, st, errors.New("not a wasm module: it must start with \\0asm and version 1")
	}
	type section struct {
		id   byte
		name string // custom sections only
		body []byte
	}
	var (
		sections       []section
		imported       importCounts
		definedGlobals uint32
		definedMems    uint32
		definedFuncs   = -1
		startFunc      = -1
		lastRank       int
	)
	r := &reader{b: bin, pos: len(header)}
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return nil, st, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, st, fmt.Errorf("section %d: %w", id, err)
		}
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, st, fmt.Errorf("section %d: size %d runs past the end of the module", id, size)
		}
		s := section{id: id, body: body}
		if id == secCustom {
			cr := &reader{b: body}
			if s.name, err = cr.name(); err != nil {
				return nil, st, fmt.Errorf("custom section: %w", err)
			}
			sections = append(sections, s)
			continue
		}
		rank, ok := sectionRank[id]
		if !ok {
			return nil, st, fmt.Errorf("unknown section id %d (only core wasm sections are accepted)", id)
		}
		if rank <= lastRank {
			return nil, st, fmt.Errorf("section %d is out of order or repeated", id)
		}
		lastRank = rank
		sr := &reader{b: body}
		switch id {
		case secImport:
			if imported, err = countImports(sr); err != nil {
				return nil, st, fmt.Errorf("import section: %w", err)
			}
		case secFunction:
			n, err := sr.u32()
			if err != nil {
				return nil, st, fmt.Errorf("function section: %w", err)
			}
			definedFuncs = int(n)
		case secTable:
			if s.body, err = boundTables(sr); err != nil {
				return nil, st, fmt.Errorf("table section: %w", err)
			}
		case secMemory:
			if definedMems, err = sr.u32(); err != nil {
				return nil, st, fmt.Errorf("memory section: %w", err)
			}
		case secGlobal:
			if definedGlobals, err = sr.u32(); err != nil {
				return nil, st, fmt.Errorf("global section: %w", err)
			}
		case secExport:
			if err := checkExports(sr); err != nil {
				return nil, st, fmt.Errorf("export section: %w", err)
			}
		case secStart:
			f, err := sr.u32()
			if err != nil {
				return nil, st, fmt.Errorf("start section: %w", err)
			}
			startFunc = int(f)
			continue // dropped: exported as StartExport instead
		}
		sections = append(sections, s)
	}

	interrupt := imported.globals + definedGlobals
	fuel := interrupt + 1
	yielding := interrupt + 3
	ins := inserts{
		check:      checkCode(interrupt, fuel, yielding),
		meterMem:   meterCode(fuel, fuel+1, meterMemShift),
		meterTable: meterCode(fuel, fuel+1, meterTableShift),
	}

	// The new globals: mutable i32s, $interrupt = 0, $fuel = ChecksPerYield,
	// $scratch = 0 (meterCode's) and $yielding = 0.
	newGlobals := []byte{typeI32, 1, opI32Const, 0, opEnd, typeI32, 1, opI32Const}
	newGlobals = append(appendS32(newGlobals, ChecksPerYield), opEnd)
	newGlobals = append(newGlobals, typeI32, 1, opI32Const, 0, opEnd, typeI32, 1, opI32Const, 0, opEnd)
	newExports := appendExport(nil, InterruptExport, kindGlobal, interrupt)
	newExports = appendExport(newExports, YieldingExport, kindGlobal, yielding)
	nExports := uint32(2)
	if startFunc >= 0 {
		newExports = appendExport(newExports, StartExport, kindFunc, uint32(startFunc))
		nExports++
	}

	out := append(make([]byte, 0, len(bin)+len(bin)/4+64), header...)
	emit := func(id byte, body []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	wroteMemory := imported.memories+definedMems > 0
	wroteGlobal, wroteExport, sawCode := false, false, false
	// flush writes the sections Instrument adds when no existing one has been
	// met before a section that must come after them.
	flush := func(rank int) {
		if !wroteMemory && rank > sectionRank[secMemory] {
			emit(secMemory, []byte{1, 0, 0}) // one memory, no maximum, 0 pages
			wroteMemory = true
		}
		if !wroteGlobal && rank > sectionRank[secGlobal] {
			emit(secGlobal, append(appendU32(nil, newGlobalCount), newGlobals...))
			wroteGlobal = true
		}
		if !wroteExport && rank > sectionRank[secExport] {
			emit(secExport, append(appendU32(nil, nExports), newExports...))
			wroteExport = true
		}
	}
	for _, s := range sections {
		if s.id == secCustom {
			if dropsCustom(s.name) {
				st.Dropped = append(st.Dropped, s.name)
				continue
			}
			emit(s.id, s.body)
			continue
		}
		flush(sectionRank[s.id])
		switch s.id {
		case secMemory:
			if !wroteMemory { // a memory section that declares none
				emit(s.id, appendToVec(s.body, 1, []byte{0, 0}))
				wroteMemory = true
				continue
			}
			emit(s.id, s.body)
		case secGlobal:
			emit(s.id, appendToVec(s.body, newGlobalCount, newGlobals))
			wroteGlobal = true
		case secExport:
			emit(s.id, appendToVec(s.body, nExports, newExports))
			wroteExport = true
		case secCode:
			body, err := instrumentCode(s.body, imported.funcs, interrupt, &ins, &st)
			if err != nil {
				return nil, st, err
			}
			if st.Functions != max(definedFuncs, 0) {
				return nil, st, fmt.Errorf("code section has %d bodies but the function section declares %d", st.Functions, max(definedFuncs, 0))
			}
			sawCode = true
			emit(s.id, body)
		default:
			emit(s.id, s.body)
		}
	}
	flush(sectionRank[secData] + 1)
	if definedFuncs > 0 && !sawCode {
		return nil, st, fmt.Errorf("function section declares %d functions but there is no code section", definedFuncs)
	}
	return out, st, nil
}

// checkCode is the check inserted at loop headers and function entries
// (see Instrument).
func checkCode(interrupt, fuel, yielding uint32) []byte {
	c := appendU32([]byte{opGlobalGet}, interrupt)
	c = appendU32(append(c, opIf, blockEmpty, opGlobalGet), interrupt)
	c = append(c, opI32Const, FlagYield, opI32Ne, opIf, blockEmpty, opUnreachable, opEnd)
	c = appendU32(append(c, opI32Const, 1, opGlobalSet), yielding)
	c = append(c, opI32Const, 1, opMemoryGrow, 0, opDrop)
	c = appendU32(append(c, opI32Const, 0, opGlobalSet), yielding)
	c = append(c, opEnd, opGlobalGet)
	c = appendU32(c, fuel)
	c = append(c, opI32Const, 1, opI32Sub, opGlobalSet)
	c = appendU32(c, fuel)
	c = appendU32(append(c, opGlobalGet), fuel)
	c = append(c, opI32Eqz, opIf, blockEmpty, opI32Const)
	c = appendS32(c, ChecksPerYield)
	c = appendU32(append(c, opGlobalSet), fuel)
	return append(c, opI32Const, 0, opMemoryGrow, 0, opDrop, opEnd)
}

// Bulk operations take fuel by their size: one unit per 64 bytes of memory
// (a check costs about as long as filling or copying that much), one per 8
// table entries (an entry is 8 bytes of host memory).
const (
	meterMemShift   = 6
	meterTableShift = 3
)

// inserts is what Instrument inserts into function bodies.
type inserts struct {
	check      []byte // at loop headers and function entries
	meterMem   []byte // before memory.init, memory.copy and memory.fill
	meterTable []byte // before table.init, table.copy, table.grow and table.fill
}

// meterCode is inserted before a bulk operation, whose size n is on top of
// the stack: it takes n>>shift fuel, leaving at least 1, so that one large
// operation brings the next exit to Go as close as the checks it is worth.
// Without it a loop of 16 MiB fills would run ChecksPerYield of them, many
// seconds, between two exits, and hold any stop-the-world (and the timer
// that sets the interrupt flag) as long:
//
//	global.set $scratch
//	global.get $fuel
//	global.get $scratch
//	i32.const shift
//	i32.shr_u
//	i32.sub
//	global.set $fuel
//	i32.const 1
//	global.get $fuel
//	global.get $fuel
//	i32.const 1
//	i32.lt_s
//	select
//	global.set $fuel
//	global.get $scratch
func meterCode(fuel, scratch uint32, shift byte) []byte {
	c := appendU32([]byte{opGlobalSet}, scratch)
	c = appendU32(append(c, opGlobalGet), fuel)
	c = appendU32(append(c, opGlobalGet), scratch)
	c = append(c, opI32Const, shift, opI32ShrU, opI32Sub, opGlobalSet)
	c = appendU32(c, fuel)
	c = appendU32(append(c, opI32Const, 1, opGlobalGet), fuel)
	c = appendU32(append(c, opGlobalGet), fuel)
	c = append(c, opI32Const, 1, opI32LtS, opSelect, opGlobalSet)
	c = appendU32(c, fuel)
	return appendU32(append(c, opGlobalGet), scratch)
}

// appendToVec re-encodes a vector section body with added more entries,
// extra, after its existing ones.
func appendToVec(body []byte, added uint32, extra []byte) []byte {
	r := &reader{b: body}
	n, _ := r.u32() // the count was read once already
	out := appendU32(make([]byte, 0, len(body)+len(extra)+5), n+added)
	out = append(out, body[r.pos:]...)
	return append(out, extra...)
}

func appendExport(dst []byte, name string, kind byte, index uint32) []byte {
	dst = appendU32(dst, uint32(len(name)))
	dst = append(dst, name...)
	dst = append(dst, kind)
	return appendU32(dst, index)
}

// dropsCustom reports whether a custom section refers to code by byte offset
// and so would be wrong once checks are inserted.
func dropsCustom(name string) bool {
	return strings.HasPrefix(name, ".debug_") || strings.HasPrefix(name, "reloc.") ||
		name == "linking" || name == "sourceMappingURL" || name == "external_debug_info"
}

// importCounts counts imports of the kinds whose index spaces Instrument
// adds to or indexes: imports come first in their index spaces.
type importCounts struct{ funcs, memories, globals uint32 }

func countImports(r *reader) (importCounts, error) {
	var c importCounts
	n, err := r.u32()
	if err != nil {
		return c, err
	}
	for i := uint32(0); i < n; i++ {
		mod, err := r.name()
		if err != nil {
			return c, err
		}
		name, err := r.name()
		if err != nil {
			return c, err
		}
		kind, err := r.byte()
		if err != nil {
			return c, err
		}
		switch kind {
		case kindFunc:
			c.funcs++
			_, err = r.u32()
		case kindTable:
			// Its bounds would be the exporter's; plugins import from
			// the host only, which exports no table.
			return c, fmt.Errorf("import %s.%s is a table; a module must define its tables", mod, name)
		case kindMemory:
			c.memories++
			err = skipLimits(r)
		case kindGlobal:
			c.globals++
			_, err = r.bytes(2) // value type, mutability
		default:
			return c, fmt.Errorf("import %d has unsupported kind %#x", i, kind)
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// boundTables returns the table section read by r with every table's
// maximum lowered so that the tables together never exceed MaxTableEntries
// entries; it refuses more than MaxTables tables, or tables whose minimum
// sizes together exceed the bound. The headroom above the minimums goes to
// the tables in order, the first (the one compilers emit) first.
func boundTables(r *reader) ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	if n > MaxTables {
		return nil, fmt.Errorf("the module defines %d tables; at most %d are allowed", n, MaxTables)
	}
	type table struct {
		ref      byte
		min, max uint64
	}
	tables := make([]table, n)
	var mins uint64
	for i := range tables {
		t := &tables[i]
		if t.ref, err = r.byte(); err != nil {
			return nil, err
		}
		flags, err := r.byte()
		if err != nil {
			return nil, err
		}
		if flags > 1 {
			return nil, fmt.Errorf("table %d has unsupported limits flags %#x", i, flags)
		}
		min, err := r.u32()
		if err != nil {
			return nil, err
		}
		t.min, t.max = uint64(min), MaxTableEntries
		if flags == 1 {
			max, err := r.u32()
			if err != nil {
				return nil, err
			}
			if max < min {
				return nil, fmt.Errorf("table %d has a maximum of %d below its minimum of %d", i, max, min)
			}
			t.max = uint64(max)
		}
		mins += t.min
	}
	if !r.done() {
		return nil, fmt.Errorf("%d bytes after the last table", len(r.b)-r.pos)
	}
	if mins > MaxTableEntries {
		return nil, fmt.Errorf("the module's tables start with %d entries; at most %d are allowed", mins, MaxTableEntries)
	}
	headroom := MaxTableEntries - mins
	out := appendU32(nil, n)
	for _, t := range tables {
		max := min(t.max, t.min+headroom)
		headroom -= max - t.min
		out = append(out, t.ref, 1)
		out = appendU32(appendU32(out, uint32(t.min)), uint32(max))
	}
	return out, nil
}

func skipLimits(r *reader) error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if flags > 3 { // bit 0: has max; bit 1: shared
		return fmt.Errorf("unsupported limits flags %#x", flags)
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&1 != 0 {
		_, err = r.u32()
	}
	return err
}

// checkExports refuses a module that already uses a reserved export name.
func checkExports(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.name()
		if err != nil {
			return err
		}
		if name == InterruptExport || name == StartExport || name == YieldingExport {
			return fmt.Errorf("the module exports %q, a name reserved for the host; rename that export", name)
		}
		if _, err := r.bytes(1); err != nil {
			return err
		}
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// instrumentCode rewrites the code section: each body gets check after
// every loop opcode, and after its local declarations if it has a call
// outside its loops, and a new size. globals is the number of globals the
// module had.
func instrumentCode(sec []byte, importedFuncs, globals uint32, ins *inserts, st *Stats) ([]byte, error) {
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return nil, fmt.Errorf("code section: %w", err)
	}
	out := appendU32(make([]byte, 0, len(sec)+len(sec)/8), n)
	var body []byte
	for i := uint32(0); i < n; i++ {
		fn := importedFuncs + i
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", fn, err)
		}
		b, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("function %d: body size %d runs past the code section", fn, size)
		}
		loops, entry, nb, err := instrumentBody(body[:0], b, globals, ins)
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", fn, err)
		}
		body = nb
		st.Functions++
		st.Loops += loops
		if entry {
			st.EntryChecks++
		}
		out = appendU32(out, uint32(len(body)))
		out = append(out, body...)
	}
	if !r.done() {
		return nil, fmt.Errorf("code section: %d bytes after the last body", len(sec)-r.pos)
	}
	return out, nil
}

// instrumentBody appends the instrumented body b to dst and says whether it
// was given a check at entry. It decodes every instruction so that a byte
// equal to the loop opcode inside an immediate is never taken for one.
//
// A global index at or past globals is refused: it is invalid in the module
// as uploaded, but would be valid once the new globals exist, and a guest
// that set its own fuel could never be interrupted.
func instrumentBody(dst, b []byte, globals uint32, ins *inserts) (loops int, entryCheck bool, out []byte, err error) {
	r := &reader{b: b}
	groups, err := r.u32()
	if err != nil {
		return 0, false, nil, err
	}
	for g := uint32(0); g < groups; g++ {
		if _, err := r.u32(); err != nil {
			return 0, false, nil, err
		}
		if _, err := r.byte(); err != nil {
			return 0, false, nil, err
		}
	}
	dst = append(dst, b[:r.pos]...)
	entryAt := len(dst)
	copied := r.pos
	// open holds, for each enclosing block, whether it is a loop; inLoops
	// counts the loops among them.
	var open []bool
	inLoops := 0
	for {
		at := r.pos
		op, err := r.byte()
		if err != nil {
			return 0, false, nil, errors.New("body ends without its final end opcode")
		}
		if opImm[op] == immUnknown {
			return 0, false, nil, fmt.Errorf("%s at body offset %d", opName(op), at)
		}
		if op == opGlobalGet || op == opGlobalSet {
			g, err := r.u32()
			if err != nil {
				return 0, false, nil, fmt.Errorf("opcode %#02x at body offset %d: %w", op, at, err)
			}
			if g >= globals {
				return 0, false, nil, fmt.Errorf("global %d used at body offset %d does not exist (the module has %d globals)", g, at, globals)
			}
			continue
		}
		if op == opPrefixFC {
			sr := reader{b: b, pos: r.pos}
			sub, _ := sr.u32() // checked by skipImmediates below
			var meter []byte
			switch sub {
			case fcMemoryInit, fcMemoryCopy, fcMemoryFill:
				meter = ins.meterMem
			case fcTableInit, fcTableCopy, fcTableGrow, fcTableFill:
				meter = ins.meterTable
			}
			if meter != nil {
				dst = append(dst, b[copied:at]...)
				dst = append(dst, meter...)
				copied = at
			}
		}
		if err := skipImmediates(r, op); err != nil {
			return 0, false, nil, fmt.Errorf("opcode %#02x at body offset %d: %w", op, at, err)
		}
		switch op {
		case opBlock, opIf:
			open = append(open, false)
		case opLoop:
			open = append(open, true)
			inLoops++
			loops++
			dst = append(dst, b[copied:r.pos]...)
			dst = append(dst, ins.check...)
			copied = r.pos
		case opCall, opCallIndirect:
			entryCheck = entryCheck || inLoops == 0
		case opEnd:
			if len(open) == 0 {
				if !r.done() {
					return 0, false, nil, fmt.Errorf("%d bytes after the function's final end", len(b)-r.pos)
				}
				dst = append(dst, b[copied:]...)
				if entryCheck {
					dst = slices.Insert(dst, entryAt, ins.check...)
				}
				return loops, entryCheck, dst, nil
			}
			if open[len(open)-1] {
				inLoops--
			}
			open = open[:len(open)-1]
		}
	}
}
