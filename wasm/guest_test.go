package wasm

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/batonhq/baton/wasm/wasmtest"
	"github.com/stretchr/testify/require"
)

// Modules the tests share. kitchen exercises the instructions the rewriter
// must decode; its functions are listed by their index (import 0 is WASI's
// sched_yield, so defined functions start at 1, which error messages name).
const (
	fnSpin  = 1 // loop { br 0 }
	fnExpo  = 2 // loop-free exponential recursion: expo(n) = 2*expo(n-1)
	fnBomb  = 3 // grows memory a page at a time until memory.grow fails
	fnFib   = 4 // recursive fib, no loop
	fnMix   = 5 // a loop using most opcodes; deterministic in n
	fnOps   = 6 // never called: table, reference, bulk and saturating opcodes
	fnTrap  = 7 // unreachable
	fnCount = 8 // a tight loop counting to n: the worst case for the checks
)

var (
	tVoid    = funcType{}
	tI32I32  = funcType{params: []byte{i32}, results: []byte{i32}}
	tVoidI32 = funcType{results: []byte{i32}}
	tI32Pair = funcType{params: []byte{i32}, results: []byte{i32, i32}}
	tyVoid   = uint32(0)
	tyI32    = uint32(1)
	tyToI32  = uint32(2)
	tyPair   = uint32(3)
)

func kitchen() module {
	selectI32 := []byte{0x1c, 1, i32}
	mix := cat(
		loopVoid,
		// br_table over i&3: +7, *31, ^i, nothing.
		blockVoid, blockVoid, blockVoid, blockVoid,
		localGet(2), i32c(3), []byte{0x71}, // i32.and
		[]byte{0x0e}, vec(3, u32(0), u32(1), u32(2)), u32(3),
		end, localGet(1), i32c(7), i32Add, localSet(1), br(2),
		end, localGet(1), i32c(31), i32Mul, localSet(1), br(1),
		end, localGet(1), localGet(2), i32Xor, localSet(1), br(0),
		end,
		// acc += table[0](i&7), a call_indirect to fib.
		localGet(1), localGet(2), i32c(7), []byte{0x71}, i32c(0), []byte{0x11}, u32(tyI32), u32(0), i32Add, localSet(1),
		// acc += i&1 ? acc : 3, a typed select.
		localGet(1), localGet(1), i32c(3), localGet(2), i32c(1), []byte{0x71}, selectI32, i32Add, localSet(1),
		// mem[16+(i&15)*4] = acc; acc += mem[16].
		localGet(2), i32c(15), []byte{0x71}, i32c(4), i32Mul, localGet(1), []byte{0x36, 2, 16},
		localGet(1), i32c(0), []byte{0x28, 2, 16}, i32Add, localSet(1),
		// memory.fill, memory.copy, memory.init, load8_u.
		i32c(100), localGet(2), i32c(8), []byte{0xfc, 11, 0},
		i32c(200), i32c(100), i32c(8), []byte{0xfc, 10, 0, 0},
		i32c(300), i32c(0), i32c(4), []byte{0xfc, 8, 0, 0},
		localGet(1), i32c(203), []byte{0x2d, 0, 0}, i32Add, i32c(302), []byte{0x2d, 0, 0}, i32Add, localSet(1),
		// acc ^= i32.trunc_sat_f64_s(f64(i) * 1e10), saturating.
		localGet(1), localGet(2), []byte{0xb7}, []byte{0x44, 0, 0, 0, 32, 95, 160, 2, 66}, []byte{0xa2}, []byte{0xfc, 2}, i32Xor, localSet(1),
		// acc += extend8_s(acc).
		localGet(1), localGet(1), []byte{0xc0}, i32Add, localSet(1),
		// acc += i*3 through a multi-value block [i32] -> [i32 i32].
		localGet(2), []byte{opBlock}, u32(tyPair), i32c(3), end, i32Mul, localGet(1), i32Add, localSet(1),
		// acc += i+1 through a loop with a parameter; 0x03 bytes in immediates.
		localGet(2), []byte{opLoop}, u32(tyI32), i32c(1), i32Add, end, localGet(1), i32Add, localSet(1),
		i64c(0x0303030303), []byte{0xa7}, localGet(1), i32Add, localSet(1),
		// i++ while i < n.
		localGet(2), i32c(1), i32Add, localTee(2), localGet(0), i32LtU, brIf(0),
		end,
		localGet(1),
	)
	ops := cat(
		i32c(0), []byte{0x25, 0}, []byte{0xd1}, drop, // table.get, ref.is_null
		i32c(0), []byte{0xd0, 0x70}, []byte{0x26, 0}, // ref.null func, table.set
		[]byte{0xfc, 16, 0}, drop, // table.size
		[]byte{0xd0, 0x70}, i32c(0), []byte{0xfc, 15, 0}, drop, // table.grow
		i32c(0), []byte{0xd2}, u32(fnFib), i32c(0), []byte{0xfc, 17, 0}, // ref.func, table.fill
		i32c(0), i32c(0), i32c(0), []byte{0xfc, 14, 0, 0}, // table.copy
		i32c(0), i32c(0), i32c(0), []byte{0xfc, 12, 0, 0}, // table.init
		[]byte{0xfc, 13, 0}, []byte{0xfc, 9, 0}, // elem.drop, data.drop
		i64c(-1), []byte{0xc4}, drop, // i64.extend32_s
		[]byte{0x43, 0, 0, 0x80, 0x3f}, []byte{0xfc, 1}, drop, // f32.const 1, i32.trunc_sat_f32_u
		[]byte{0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}, []byte{0xfc, 7}, drop, // f64.const 1, i64.trunc_sat_f64_u
		[]byte{0x01}, // nop
		blockVoid, i32c(1), []byte{opIf, blockEmpty}, end, end,
		i32c(0), i32c(1), i32c(1), []byte{0x1b}, drop, // select
		memSize, drop,
		[]byte{0x0f}, // return
	)
	return module{
		types:   []funcType{tVoid, tI32I32, tVoidI32, tI32Pair},
		imports: []importFunc{{"wasi_snapshot_preview1", "sched_yield", tyToI32}},
		funcs: []function{
			{typ: tyVoid, code: cat(loopVoid, br(0), end)},
			{typ: tyI32, code: cat(
				localGet(0), i32Eqz, ifI32, i32c(1), elseOp,
				localGet(0), i32c(1), i32Sub, call(fnExpo),
				localGet(0), i32c(1), i32Sub, call(fnExpo), i32Add, end)},
			{typ: tyToI32, code: cat(loopVoid, i32c(1), memGrow, i32c(-1), i32Ne, brIf(0), end, memSize)},
			{typ: tyI32, code: cat(
				localGet(0), i32c(2), i32LtU, ifI32, localGet(0), elseOp,
				localGet(0), i32c(1), i32Sub, call(fnFib),
				localGet(0), i32c(2), i32Sub, call(fnFib), i32Add, end)},
			{typ: tyI32, locals: []byte{i32, i32}, code: mix},
			{typ: tyVoid, code: ops},
			{typ: tyVoid, code: []byte{opUnreachable}},
			{typ: tyI32, locals: []byte{i32}, code: cat(
				loopVoid, localGet(1), i32c(1), i32Add, localTee(1), localGet(0), i32LtU, brIf(0), end, localGet(1))},
		},
		table:   1,
		elems:   []uint32{fnFib},
		memory:  &limits{min: 1},
		globals: [][]byte{{i32, 1, opI32Const, 5, opEnd}},
		exports: []export{
			{"spin", kindFunc, fnSpin}, {"expo", kindFunc, fnExpo}, {"bomb", kindFunc, fnBomb},
			{"fib", kindFunc, fnFib}, {"mix", kindFunc, fnMix}, {"trap", kindFunc, fnTrap}, {"count", kindFunc, fnCount},
			{"memory", kindMemory, 0}, {"g", kindGlobal, 0},
		},
		data:    []byte{1, 2, 3, 4},
		customs: map[string][]byte{"name": {}, ".debug_info": {1, 2, 3}},
	}
}

// newRuntime returns a Runtime closed with the test.
func newRuntime(t testing.TB, cfg Config) *Runtime {
	t.Helper()
	r, err := NewRuntime(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

func compile(t testing.TB, r *Runtime, bin []byte) *Module {
	t.Helper()
	m, err := r.Compile(context.Background(), bin)
	require.NoError(t, err)
	return m
}

func instantiate(t testing.TB, m *Module) *Instance {
	t.Helper()
	in, err := m.Instantiate(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { in.Close(context.Background()) })
	return in
}

// goGuestWasm builds testdata/goguest with the Go toolchain once per test
// binary: real Go wasip1 output, about 3 MB.
func goGuestWasm(t testing.TB) []byte { return wasmtest.BuildGo(t, "testdata/goguest") }

// goGuestCompiled is the Go guest instrumented and compiled once for the
// package's tests (a compile of its 3 MB takes seconds, tens under -race);
// instances made from it are independent of each other.
var goGuestCompiled struct {
	once sync.Once
	rt   *Runtime
	mod  *Module
	err  error
}

// goGuestModule returns the compiled Go guest.
func goGuestModule(t testing.TB) *Module {
	t.Helper()
	bin := goGuestWasm(t)
	goGuestCompiled.once.Do(func() {
		ctx := context.Background()
		if goGuestCompiled.rt, goGuestCompiled.err = NewRuntime(ctx, Config{}); goGuestCompiled.err == nil {
			goGuestCompiled.mod, goGuestCompiled.err = goGuestCompiled.rt.Compile(ctx, bin)
		}
	})
	require.NoError(t, goGuestCompiled.err, "compile the Go guest")
	return goGuestCompiled.mod
}

func TestMain(m *testing.M) {
	code := m.Run()
	if goGuestCompiled.rt != nil {
		_ = goGuestCompiled.rt.Close(context.Background())
	}
	os.Exit(code)
}
