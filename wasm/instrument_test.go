package wasm

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// plain instantiates bin as is, without instrumentation, in its own wazero
// runtime: the reference the instrumented module is compared with.
func plain(t testing.TB, bin []byte, closeOnDone bool) api.Module {
	t.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCloseOnContextDone(closeOnDone))
	t.Cleanup(func() { _ = rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	mod, err := rt.InstantiateModule(ctx, must(rt.CompileModule(ctx, bin)), wazero.NewModuleConfig().WithStartFunctions("_initialize"))
	require.NoError(t, err)
	return mod
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestInstrumentInsertsChecks(t *testing.T) {
	t.Parallel()
	bin := module{
		types:   []funcType{tVoid},
		funcs:   []function{{typ: 0, locals: []byte{i64}, code: cat(loopVoid, br(0), end)}},
		globals: [][]byte{{i32, 0, opI32Const, 0, opEnd}, {i64, 1, 0x42, 0, opEnd}},
		exports: []export{{"spin", kindFunc, 0}},
	}.encode()
	out, st, err := Instrument(bin)
	require.NoError(t, err)
	require.Equal(t, Stats{Functions: 1, Loops: 1}, st)

	// The new globals are 2 to 5, after the two defined ones; the module
	// had no memory, so it gets one of 0 pages. The function makes no call,
	// so its loop's check is its only one.
	check := wantCheck(2, 3, 5)
	want := module{
		types:  []funcType{tVoid},
		funcs:  []function{{typ: 0, locals: []byte{i64}, code: cat(loopVoid, check, br(0), end)}},
		memory: &limits{min: 0},
		globals: [][]byte{
			{i32, 0, opI32Const, 0, opEnd}, {i64, 1, 0x42, 0, opEnd},
			{i32, 1, opI32Const, 0, opEnd}, cat([]byte{i32, 1}, i32c(ChecksPerYield), end), {i32, 1, opI32Const, 0, opEnd},
			{i32, 1, opI32Const, 0, opEnd},
		},
		exports: []export{{"spin", kindFunc, 0}, {InterruptExport, kindGlobal, 2}, {YieldingExport, kindGlobal, 5}},
	}.encode()
	require.Equal(t, want, out)
}

// TestInstrumentEntryChecks: a function gets a check at entry when it has a
// call outside its loops, since a recursion could otherwise run without
// passing a check; a call inside a loop follows that loop's check.
func TestInstrumentEntryChecks(t *testing.T) {
	t.Parallel()
	callIndirect := []byte{0x11, 0, 0}
	for _, c := range []struct {
		name  string
		code  []byte
		entry bool
	}{
		{"no call", []byte{0x01}, false},
		{"call", call(0), true},
		{"call_indirect", cat(i32c(0), callIndirect), true},
		{"call in a block", cat(blockVoid, call(0), end), true},
		{"call in an if", cat(i32c(1), []byte{opIf, blockEmpty}, call(0), end), true},
		{"call in a loop", cat(loopVoid, call(0), end), false},
		{"call in a block in a loop", cat(loopVoid, blockVoid, call(0), end, end), false},
		{"call in a block around a loop", cat(blockVoid, loopVoid, end, call(0), end), true},
		{"call after a loop", cat(loopVoid, end, call(0)), true},
		{"call_indirect after a loop in a loop", cat(loopVoid, loopVoid, end, i32c(0), callIndirect, end), false},
		{"Go's shape: blocks, a loop, br_table, calls", cat(blockVoid, loopVoid, blockVoid, i32c(0),
			[]byte{0x0e}, vec(0), u32(0), end, call(0), br(0), end, end), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := module{types: []funcType{tVoid}, funcs: []function{{typ: 0, code: c.code}}}
			out, st, err := Instrument(m.encode())
			require.NoError(t, err)
			require.Equal(t, Stats{Functions: 1, EntryChecks: map[bool]int{true: 1}[c.entry], Loops: bytes.Count(c.code, loopVoid)}, st)
			check := wantCheck(0, 1, 3)
			body := bytes.ReplaceAll(c.code, loopVoid, cat(loopVoid, check))
			if c.entry {
				body = cat(check, body)
			}
			m.funcs[0].code = body
			m.memory = &limits{min: 0}
			m.globals = [][]byte{{i32, 1, opI32Const, 0, opEnd}, cat([]byte{i32, 1}, i32c(ChecksPerYield), end), {i32, 1, opI32Const, 0, opEnd}, {i32, 1, opI32Const, 0, opEnd}}
			m.exports = []export{{InterruptExport, kindGlobal, 0}, {YieldingExport, kindGlobal, 3}}
			require.Equal(t, m.encode(), out)
		})
	}
}

// wantCheck is the check Instrument documents, spelled with the assembler.
func wantCheck(interrupt, fuel, yielding uint32) []byte {
	return cat(
		globalGet(interrupt), []byte{opIf, blockEmpty},
		globalGet(interrupt), i32c(FlagYield), []byte{opI32Ne, opIf, blockEmpty, opUnreachable, opEnd},
		i32c(1), globalSet(yielding), i32c(1), memGrow, drop, i32c(0), globalSet(yielding),
		end,
		globalGet(fuel), i32c(1), i32Sub, globalSet(fuel), globalGet(fuel), i32Eqz,
		[]byte{opIf, blockEmpty},
		i32c(ChecksPerYield), globalSet(fuel),
		i32c(0), memGrow, drop,
		end,
	)
}

func TestInstrumentAddsMissingSections(t *testing.T) {
	t.Parallel()
	start := uint32(0)
	bin := module{
		types: []funcType{tVoid},
		funcs: []function{{typ: 0, code: []byte{0x01}}},
		start: &start,
	}.encode()
	out, _, err := Instrument(bin)
	require.NoError(t, err)
	want := module{
		types:   []funcType{tVoid},
		funcs:   []function{{typ: 0, code: []byte{0x01}}}, // no call, no loop: no check
		memory:  &limits{min: 0},
		globals: [][]byte{{i32, 1, opI32Const, 0, opEnd}, cat([]byte{i32, 1}, i32c(ChecksPerYield), end), {i32, 1, opI32Const, 0, opEnd}, {i32, 1, opI32Const, 0, opEnd}},
		exports: []export{{InterruptExport, kindGlobal, 0}, {YieldingExport, kindGlobal, 3}, {StartExport, kindFunc, 0}},
	}.encode()
	require.Equal(t, want, out, "the start section becomes an export")
}

// A memory section that declares no memory gets the one the checks need,
// in place: a second memory section would be out of order.
func TestInstrumentEmptyMemorySection(t *testing.T) {
	t.Parallel()
	bin := cat(header,
		section(secType, vec(1, cat([]byte{0x60}, vec(0, nil), vec(0, nil)))),
		section(secFunction, vec(1, u32(0))),
		section(secMemory, vec(0)),
		section(secCode, vec(1, cat(u32(2), []byte{0, opEnd}))))
	out, _, err := Instrument(bin)
	require.NoError(t, err)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	_, err = rt.CompileModule(ctx, bin)
	require.NoError(t, err, "the module is valid as uploaded")
	_, err = rt.CompileModule(ctx, out)
	require.NoError(t, err, "and stays valid once rewritten")
}

func TestInstrumentKitchen(t *testing.T) {
	t.Parallel()
	out, st, err := Instrument(kitchen().encode())
	require.NoError(t, err)
	require.Equal(t, 8, st.Functions)
	require.Equal(t, 5, st.Loops, "spin, bomb, count and mix's two loops; the 0x03 bytes in immediates are not loops")
	require.Equal(t, []string{".debug_info"}, st.Dropped)
	// wazero validates the result.
	r := newRuntime(t, Config{})
	_, err = r.rt.CompileModule(context.Background(), out)
	require.NoError(t, err)
}

func TestInstrumentRefuses(t *testing.T) {
	t.Parallel()
	withCode := func(code ...byte) []byte {
		m := kitchen()
		m.funcs = append(m.funcs[:0:0], function{typ: tyVoid, code: code})
		m.exports, m.elems, m.table = nil, nil, 0
		return m.encode()
	}
	reserved := kitchen()
	reserved.exports = append(reserved.exports, export{InterruptExport, kindFunc, fnSpin})
	start := kitchen()
	start.exports = append(start.exports, export{StartExport, kindFunc, fnSpin})
	ownFuel := kitchen() // one global, so the interrupt would be 1 and the fuel 2
	ownFuel.funcs[fnSpin-1].code = cat(loopVoid, i32c(ChecksPerYield), globalSet(2), br(0), end)
	ownFlag := kitchen() // the interrupt flag itself
	ownFlag.funcs[fnSpin-1].code = cat(loopVoid, i32c(0), globalSet(1), br(0), end)
	unknownSection := kitchen()
	unknownSection.extraSec = section(13, []byte{0})

	for _, tc := range []struct {
		name string
		bin  []byte
		want []string
	}{
		{"simd", withCode(i32c(0)[0], 0, 0xfd, 12, 0, 0), []string{"function 1", "0xfd", "SIMD"}},
		{"threads", withCode(0xfe, 0x00, 0, 0), []string{"function 1", "0xfe", "threads"}},
		{"unknown 0xfc", withCode(0xfc, 18), []string{"function 1", "0xfc 18"}},
		{"unknown opcode", withCode(0xd3), []string{"function 1", "unknown opcode 0xd3"}},
		{"exceptions", withCode(0x06, blockEmpty, opEnd), []string{"function 1", "exception-handling opcode 0x06"}},
		{"tail call", withCode(0x12, 0), []string{"function 1", "tail-call opcode 0x12"}},
		{"empty", nil, []string{"not a wasm module"}},
		{"body without end", withCode(loopVoid...), []string{"function 1", "without its final end"}},
		{"reserved interrupt", reserved.encode(), []string{`exports "baton.interrupt"`, "rename"}},
		{"reserved start", start.encode(), []string{`exports "baton.start"`}},
		{"unknown section", unknownSection.encode(), []string{"unknown section id 13"}},
		{"global out of range", ownFuel.encode(), []string{"function 1", "global 2", "does not exist"}},
		{"writes the interrupt flag", ownFlag.encode(), []string{"function 1", "global 1", "does not exist"}},
		{"garbage", []byte("not wasm at all"), []string{"not a wasm module"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Instrument(tc.bin)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// A truncated module is refused, never a panic.
func TestInstrumentTruncated(t *testing.T) {
	t.Parallel()
	bin := kitchen().encode()
	for n := range len(bin) {
		_, _, _ = Instrument(bin[:n])
	}
}

// Rewriting never changes what a deterministic function returns.
func TestInstrumentKeepsResults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bin := kitchen().encode()
	want := plain(t, bin, false)
	got := instantiate(t, compile(t, newRuntime(t, Config{}), bin))
	for _, c := range []struct {
		fn   string
		args []uint64
	}{
		{"fib", seq(0, 20)}, {"expo", seq(0, 12)}, {"mix", seq(0, 300)}, {"count", []uint64{0, 1, 9_999, 10_000, 10_001, 30_000}},
	} {
		for _, a := range c.args {
			w, err := want.ExportedFunction(c.fn).Call(ctx, a)
			require.NoError(t, err)
			g, err := got.Call(ctx, c.fn, a)
			require.NoError(t, err)
			require.Equal(t, w, g, "%s(%d)", c.fn, a)
		}
	}
	// Memory written by mix is the same too.
	wm, _ := want.Memory().Read(0, 512)
	gm, _ := got.Memory().Read(0, 512)
	require.Equal(t, wm, gm)
}

func seq(lo, hi uint64) []uint64 {
	var s []uint64
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

// FuzzInstrument: Instrument never panics, and whatever wazero accepts
// before instrumentation it accepts after.
func FuzzInstrument(f *testing.F) {
	f.Add(kitchen().encode())
	f.Add(module{types: []funcType{tVoid}, funcs: []function{{typ: 0, code: cat(loopVoid, br(0), end)}}}.encode())
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	f.Fuzz(func(t *testing.T, bin []byte) {
		out, _, err := Instrument(bin)
		if err != nil {
			return
		}
		if cm, err := rt.CompileModule(ctx, bin); err == nil {
			_ = cm.Close(ctx)
			cm, err := rt.CompileModule(ctx, out)
			require.NoError(t, err, "the instrumented module no longer compiles")
			_ = cm.Close(ctx)
		}
	})
}

// TestInterruptAtEveryCheck: a set interrupt flag traps the guest at its
// very next check, not at the next exit to Go (every ChecksPerYield checks).
func TestInterruptAtEveryCheck(t *testing.T) {
	t.Parallel()
	// three loops three times and returns.
	bin := module{
		types: []funcType{tVoid},
		funcs: []function{{typ: 0, locals: []byte{i32}, code: cat(
			loopVoid, localGet(0), i32c(1), i32Add, localTee(0), i32c(3), i32LtU, brIf(0), end)}},
		exports: []export{{"three", kindFunc, 0}},
	}.encode()
	in := instantiate(t, compile(t, newRuntime(t, Config{}), bin))
	_, err := in.Call(context.Background(), "three")
	require.NoError(t, err)
	in.interrupt()
	_, err = in.Call(context.Background(), "three")
	var tr *trapError
	require.ErrorAs(t, err, &tr, "the flag set, the next check traps")
	require.ErrorContains(t, err, "unreachable")
}

// TestInstrumentBoundsTables: every table gets a maximum, so that the
// tables together never exceed MaxTableEntries; tables over the bound, too
// many tables and imported tables are refused.
func TestInstrumentBoundsTables(t *testing.T) {
	t.Parallel()
	tables := func(ts ...[]byte) []byte {
		return append(append([]byte{}, header...), section(secTable, vec(len(ts), ts...))...)
	}
	noMax := func(min uint32) []byte { return cat([]byte{0x70, 0}, u32(min)) }
	withMax := func(min, max uint32) []byte { return cat([]byte{0x70, 1}, u32(min), u32(max)) }

	out, _, err := Instrument(tables(noMax(10), withMax(5, 100), noMax(0)))
	require.NoError(t, err)
	// The first takes all the headroom above the minimums (which add up
	// to 15), the others none: the maximums add up to the bound.
	want := section(secTable, vec(3, withMax(10, MaxTableEntries-5), withMax(5, 5), withMax(0, 0)))
	require.Contains(t, string(out), string(want))

	out, _, err = Instrument(tables(withMax(1, 1<<30)))
	require.NoError(t, err)
	require.Contains(t, string(out), string(section(secTable, vec(1, withMax(1, MaxTableEntries)))))

	for _, tc := range []struct {
		name string
		bin  []byte
		want string
	}{
		{"minimum over the bound", tables(noMax(MaxTableEntries + 1)), "tables start with 262145 entries; at most 262144"},
		{"minimums over the bound", tables(noMax(MaxTableEntries/2+1), noMax(MaxTableEntries/2)), "tables start with 262145 entries"},
		{"too many tables", tables(noMax(0), noMax(0), noMax(0), noMax(0), noMax(0)), "defines 5 tables; at most 4"},
		{"max below min", tables(withMax(5, 4)), "maximum of 4 below its minimum of 5"},
		{"imported table", append(append([]byte{}, header...), section(secImport,
			vec(1, cat(str("env"), str("tbl"), []byte{kindTable, 0x70, 0}, u32(1))))...), "import env.tbl is a table; a module must define its tables"},
	} {
		_, _, err := Instrument(tc.bin)
		require.ErrorContains(t, err, tc.want, tc.name)
	}
}
