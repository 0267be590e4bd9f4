// Package wasm is the host side of Baton's WebAssembly plugins: the wazero
// runtime that runs the modules users upload, with their limits. It will hold
// the plugin ABI (guest exports, the host import module), the compilation
// cache keyed by module digest, instance pools, host functions and per-plugin
// limits (DESIGN.md §6).
//
// This first piece is how a runaway plugin is stopped. wazero's own
// mechanism, WithCloseOnContextDone, exits to Go at every loop iteration (up
// to 7x slower per call for Go guests) and never fires in loop-free code, so
// an exponential recursion runs on past its deadline. Instead, Instrument
// rewrites a module once, when it is uploaded: every defined function and
// every loop body starts with a check that counts down a fuel global, and
// every ChecksPerYield checks exits to Go (so that a garbage collection's
// stop-the-world is never held up by a guest) and traps if the exported
// interrupt global is set. Runtime compiles instrumented modules with
// wazero's compiler and without WithCloseOnContextDone; Instance.Call sets the
// interrupt global when the call's context is done, so the guest traps within
// ChecksPerYield calls or loop iterations, and the instance, which may have
// been stopped anywhere, is closed and never used again. Any other trap
// closes it too. RATIONALE.md ("Runaway plugins are stopped by checks
// inserted at upload") has the figures.
//
// Memory is capped per Runtime (Config.MemoryLimitPages): memory.grow past the
// cap returns -1, as wasm specifies, and a module whose minimum is over it is
// refused at Compile.
//
// What the checks do not cover: host functions (they must honour the call's
// context themselves) and single instructions that run long by themselves,
// memory.fill and memory.copy, which are bounded by the memory cap.
package wasm
