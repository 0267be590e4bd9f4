// Package wasm runs Baton's WebAssembly plugins: modules users upload that
// implement custom system task types or work as lightweight workers. This
// comment is the reference of the plugin ABI, version 1, for plugin authors;
// Go plugins use sdk/plugin, which implements it.
//
// # Modules
//
// A plugin is a core WebAssembly module (wasm32; WASI preview 1 allowed; no
// Component Model) plus a manifest (Manifest: what it provides, its config,
// secrets, allowed hosts and limits). Only i32 and i64 cross the boundary.
// The module may use wasm 1.0 with sign extension, non-trapping
// float-to-int, bulk memory, reference types and multi-value; SIMD and
// threads are refused. Plugins are reactors: build Go with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, C with
// clang --target=wasm32-wasi -mexec-model=reactor.
//
// # Exports
//
// Checked at upload, with exact types:
//
//	memory                                  the linear memory, defined by the module (not imported)
//	baton_abi_v1  () -> ()                  the ABI marker; never called
//	baton_alloc   (size i32) -> i32         size bytes for the input; 0 means out of memory
//	baton_handle  (ptr i32, len i32) -> i64 run one task (below)
//	_initialize   () -> ()                  optional; called once per instance, before any task
//
// A module exporting _start is refused: it is a command, not a reactor.
//
// # One task
//
// The host calls baton_alloc(n), writes the n bytes of input there (the
// buffer is the guest's from then on), and calls baton_handle(ptr, n). The
// input is JSON:
//
//	{"task": {"taskId": "...", "taskType": "...", "taskDefName": "...",
//	          "referenceTaskName": "...", "status": "IN_PROGRESS",
//	          "workflowInstanceId": "...", "workflowType": "...",
//	          "correlationId": "...", "domain": "...", "seq": 1, "iteration": 0,
//	          "retryCount": 0, "pollCount": 1, "callbackAfterSeconds": 0,
//	          "responseTimeoutSeconds": 0, "scheduledTime": 0, "startTime": 0,
//	          "inputData": {...}, "outputData": {...}}}
//
// with these fields of Conductor's Task JSON, always present except
// correlationId and domain (absent when empty), and no others: the
// definitions (workflowTask, taskDefinition), counters and timestamps that
// a plugin has no use for and would spend time skipping over are left out.
// outputData is the task's output as the engine holds it (null for a new
// task). Object members come in no particular order. baton_handle returns
// ptr<<32 | len of its output, which must stay valid until the guest is
// called again. The output is JSON, a subset of Conductor's TaskResult:
//
//	{"status": "COMPLETED" | "FAILED" | "FAILED_WITH_TERMINAL_ERROR" | "IN_PROGRESS",
//	 "outputData": {...}, "reasonForIncompletion": "...", "callbackAfterSeconds": 30}
//
// FAILED is retried per the task definition; FAILED_WITH_TERMINAL_ERROR is
// not. IN_PROGRESS puts the task back in its queue for callbackAfterSeconds
// and calls the plugin again then, as a Conductor worker's IN_PROGRESS
// update does. Numbers keep their precision (they are decoded as
// json.Number).
//
// If bit 31 of len is set, the output is not a result but an error message
// (UTF-8 text, the first 4 KiB kept) from the SDK or the language runtime,
// such as a recovered panic: the task fails with the message as its reason
// and the instance is discarded. sdk/plugin reports panics so.
//
// An instance runs one task at a time and usually many tasks in turn, so
// globals persist from task to task; a plugin must not rely on that either
// way. An instance is discarded after any failure of its own (a trap, the
// deadline, an error-flagged, oversized or invalid output), after 10,000
// tasks, and once its memory has grown past 3/4 of its cap (a Go runtime
// never gives memory back).
//
// # Imports
//
// A module may import functions of wasi_snapshot_preview1 and these, of
// module baton, with exactly these types; any other import is refused at
// upload ("import baton.foo is not provided by ABI v1", "import env.x:
// plugins may import only baton and wasi_snapshot_preview1"). New features
// get new names (http_fetch_v2); a name never changes meaning.
//
//	log          (level i32, ptr i32, len i32) -> ()
//	config_get   (kptr i32, klen i32) -> i32
//	secret_get   (kptr i32, klen i32) -> i32
//	http_fetch   (req_ptr i32, req_len i32) -> i32
//	kv_get       (kptr i32, klen i32) -> i32
//	kv_put       (kptr i32, klen i32, vptr i32, vlen i32) -> i32
//	kv_delete    (kptr i32, klen i32) -> i32
//	progress     (ptr i32, len i32) -> i32
//	result_read  (buf i32, cap i32) -> i32
//
// Functions that return bytes stage them in the host and return their
// length n >= 0; the guest copies them with result_read(buf, cap), which
// copies min(cap, n) bytes and returns n (result_read(0, 0) is just the
// length). -1 means absent; -2 means failed, and the reason is staged
// instead. A staged result lasts until the next host call that stages one.
//
//   - log: level 0 DEBUG, 1 INFO, 2 WARN, 3 ERROR. Appends "LEVEL message"
//     to the task's execution log. A task's log (stdout and stderr
//     included) holds at most 64 KiB; past it one line "log truncated" is
//     added and the rest dropped.
//   - config_get: the manifest's config[key], or -1.
//   - secret_get: the secret key, which must be listed in the manifest's
//     secrets (else -2, "secret X is not declared in the manifest's
//     secrets"); its value comes from the server's environment,
//     BATON_SECRET_<KEY>, and is never stored; -1 when unset.
//   - http_fetch: the request is JSON, {"method": "GET", "url":
//     "https://...", "headers": {"K": "V"}, "body": "<text>"} or
//     "bodyBase64" for binary bodies; the staged response is {"status": 200,
//     "headers": {"K": ["V"]}, "bodyBase64": "..."}. -2 when the URL's
//     scheme is not http or https, its host is not in the manifest's
//     allowedHosts ("host evil.com is not in the plugin's allowedHosts"),
//     a redirect leads to such a host (up to 5 redirects are followed, each
//     checked), the response body exceeds 4 MiB, the task's deadline passes,
//     or the request fails. Go plugins use sdk/plugin/pluginhttp's Client,
//     an http.Client over http_fetch. allowedHosts entries are "host" (any port),
//     "host:port", "*.domain" (its subdomains, any port) and
//     "*.domain:port". The request JSON is at most 4 MiB. Whatever the
//     manifest allows, the address dialled may not be internal (loopback,
//     private, link-local, carrier-grade NAT, cloud metadata, NAT64,
//     unspecified, multicast) unless the server's operator re-allows the
//     network (HostConfig.AllowNetworks, baton serve --http-allow).
//   - kv_get, kv_put, kv_delete: a key-value store of the plugin's own.
//     Keys are 1 to 512 bytes, values at most 1 MiB, and all keys and values
//     together at most the manifest's limits.kvBytes: a kv_put past it fails
//     and changes nothing. kv_get returns n or -1; kv_put and kv_delete 0.
//     -2 on error, or where the server provides no store ("no key-value
//     store here").
//   - progress: a JSON object of at most 64 KiB, appended to the task's log
//     as "progress: <json>"; the server extends the task's lease (a
//     heartbeat, at most every 2 seconds). 0 or -2.
//
// A pointer and length outside the guest's memory traps the instance and
// fails the task ("plugin passed an out-of-bounds pointer to
// baton.kv_get"). Host functions end when the task's deadline passes.
//
// # Limits
//
// From the manifest's limits: memoryMiB caps each instance's linear memory
// (memory.grow past it returns -1; a module whose initial memory is larger
// is refused at upload); timeoutMs is the deadline of one task; output
// larger than maxOutputBytes fails the task ("plugin output is 2000000
// bytes; its limit is 1048576 (limits.maxOutputBytes)"); at most
// concurrency tasks of the plugin run at once on a server, the others wait;
// warm instances are kept started and idle. An inline plugin (manifest
// "inline": true) has a deadline of at most 1 s and output of at most
// 256 KiB: the server runs its tasks in the decision that schedules them
// (Plugin.TryRun) and commits their results with it.
//
// Guest code of all plugins shares the server's CPU slots (one fewer than
// its cores by default, HostConfig.GuestSlots): a task waits for one
// before its plugin runs, and the wait is not charged to its deadline,
// which starts when it first runs and is wall time from then on. A task
// that runs a couple of milliseconds while others wait yields its slot to
// them, at a loop iteration or a function call, and goes on after them;
// calls blocked in a host function (http_fetch, kv_*, progress, a sleep)
// hold no slot. Plugins share the slots fairly: a freed slot goes to the
// plugin whose calls have used the least of them, and a call of a plugin
// that has run little starts at once: on a slot lent beside the busy ones,
// for a couple of milliseconds at most (a plugin whose call runs that long
// there is not lent it again for a minute), or else by making a busier
// plugin's call yield at once. A plugin that spins therefore does not hold
// the others up, let alone until its deadline.
//
// # Sandbox
//
// No filesystem, no environment variables, no arguments, no sockets. The
// wall clock, the monotonic clock, sleeping and random numbers (crypto
// quality) are real. What the guest writes to stdout and stderr goes to the
// task's log, a line at a time, so a Go panic's trace lands there.
//
// # Failures
//
// Every failure of a plugin fails its task, with a reason saying what
// happened, and never more than that task: "plugin exceeded its deadline of
// 5s", "plugin trapped: wasm error: unreachable" (the wasm stack trace is
// in the task's log), "plugin panicked: <value>", "plugin returned invalid
// JSON: ...", "plugin returned status "DONE"; ...", the output limit above,
// and the error-flagged message of the guest.
//
// # Upload
//
// Host.Load checks, in order, each failure an error naming the problem: the
// module decodes and compiles; it exports baton_abi_v1 ("not a Baton plugin:
// it does not export baton_abi_v1"); baton_alloc and baton_handle with
// their types; no _start; its imports, as above; its memory is its own and
// exported; its initial memory is within limits.memoryMiB; an instance
// starts (it is kept as the first warm one). The size of the upload is
// bounded by the caller.
//
// # The host
//
// One Host holds one wazero runtime, with WASI and the baton module. A
// module is compiled once per digest (sha256 of its bytes; Digest), shared by
// the Plugins loaded from the same bytes, closed with the last of them, and
// kept in wazero's compilation cache (in memory, or on disk with
// HostConfig.CacheDir, so that a restart compiles nothing). Memory is capped
// per instance by a memory allocator (wazero's
// experimental.WithMemoryAllocator) rather than per runtime, so that
// plugins with different caps share the runtime and the compiled code.
// Plugin.Run takes an idle instance from the plugin's pool or starts one.
//
// The JSON of a call, the task written and the result read, goes through
// internal/plainjson, a reader and writer of plain values without
// reflection that leaves anything it would not handle exactly as
// encoding/json does to encoding/json; sdk/plugin uses it inside Go guests
// too, where reflection runs some 20 times slower than natively (Go code
// that allocates runs 15 times slower in wasm than natively, an
// allocation costing about a microsecond: RATIONALE.md, "A Go guest's call
// costs what Go compiled to wasm costs").
// BenchmarkRun, BenchmarkGoGuest and BenchmarkRunAsm measure each layer of
// a call.
//
// # Stopping runaways
//
// wazero's own mechanism, WithCloseOnContextDone, exits to Go at every loop
// iteration (up to 7x slower per call for Go guests) and never fires in
// loop-free code, so an exponential recursion runs on past its deadline.
// Instead, Instrument rewrites a module once, when it is uploaded: every
// loop body, and every function with a call outside its loops, starts with a
// check that counts down a fuel global, and every ChecksPerYield checks exits to Go (so that a
// garbage collection's stop-the-world is never held up by a guest) and traps
// if the exported interrupt global is set. Runtime compiles instrumented
// modules with wazero's compiler and without WithCloseOnContextDone;
// Instance.Call sets the interrupt global when the call's context is done
// (a Host's scheduler, when a plugin call's deadline passes or its context
// ends), so the guest traps at its next check, and the
// instance, which may have been stopped anywhere, is closed and never used
// again. Any other trap closes it too. RATIONALE.md ("Runaway plugins are
// stopped by checks inserted at upload") has the figures. What the checks
// do not cover: host functions (they honour the call's context
// themselves) and single instructions that run long by themselves,
// memory.fill and memory.copy, which are bounded by the memory cap.
package wasm
