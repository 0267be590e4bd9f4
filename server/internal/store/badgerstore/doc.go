// Package badgerstore implements store.Store on Badger
// (github.com/dgraph-io/badger/v4), the embedded key-value store of a
// single-node Baton. One process owns a data directory (Badger locks it);
// replicas need the PostgreSQL store.
//
// # Key layout
//
// Every key starts with a two-letter prefix and a slash. A name or id inside
// a key that is followed by more key bytes ends with a NUL byte (so that "a"
// sorts before "ab" and a prefix scan of "a" never sees "ab"); names and ids
// may therefore not contain NUL. Numbers are 8-byte big-endian, signed ones
// with the sign bit flipped, so keys sort like the numbers.
//
//	td/<name>                        TaskDef
//	wd/<name> NUL <version>          WorkflowDef; versions sort numerically, the
//	                                 last key under a name is the latest version
//	eh/<workflow id>                 execution head: version, wakeAt, history count (3 big-endian
//	                                 words), then the indexed fields (indexFields: name, status,
//	                                 correlation id, idempotency key, version, create, end and
//	                                 update time, hashes of the word sets); a head of 24 bytes is
//	                                 of an execution committed before the indexes existed
//	wf/<workflow id>                 Workflow, without its tasks, snapshot and input
//	ws/<workflow id>                 the definition snapshot, written at the start and when a
//	                                 transition says DefinitionChanged
//	wi/<workflow id>                 the workflow's input, written at the start and when a
//	                                 transition says InputChanged
//	tk/<workflow id> NUL <seq> <task id>
//	                                 Task; an execution's tasks scan in Seq order; a
//	                                 task of the definition is kept without its
//	                                 workflowTask, taken from ws/ when read (by
//	                                 reference name, less DO_WHILE suffixes: ref__2
//	                                 runs ref)
//	ti/<task id>                     where the task is: big-endian seq, then the workflow id; then
//	                                 NUL and the task's search index fields (taskFields: type,
//	                                 status, workflow name, scheduled, start, end and update
//	                                 times, reason words; an active task's status, start and
//	                                 update times as of its last ti/ write, its ac/ entry has
//	                                 the current ones); without them, a task written before the
//	                                 store kept task indexes (Open indexes those once)
//	ac/<workflow id> NUL <seq> <task id>
//	                                 present while the task's status is not terminal (same
//	                                 suffix as its tk/ key); value: its status, start and
//	                                 update times, for the task search (empty in data written
//	                                 before the task indexes)
//	wk/<wakeAt unix nanos> <workflow id>
//	                                 empty; one per execution with a WakeAt
//	hi/<workflow id> NUL <n>         the history events of the n-th transition that
//	                                 had any, as one JSON array (0, 1, ...)
//	lg/<task id> NUL <n>             log line n of the task
//	lc/<task id>                     number of log lines of the task
//	ms/<message id>                  Message, from the transition that sent it to the
//	                                 one that acknowledged it; scans in id order
//	ev/<name>                        EventHandler
//	sc/<name>                        store.ScheduleRecord
//	sg/<name>                        big-endian uint64: the last version of a deleted schedule,
//	                                 so that versions of a name never repeat
//	dl/<message id>                  DeadLetter: a message moved out of ms/ (deadletter.go)
//	rm/<workflow id>                 empty; the execution is being removed (its head is gone,
//	                                 the rest is deleted in chunks; remove.go)
//	pv/<plugin> NUL <version>        store.PluginVersion (plugin.go)
//	pn/<plugin>                      store.PluginState: the active version, enabled
//	pm/<digest>                      a module's header (size, chunk count); the module exists
//	                                 once it is written, with the version that first uses it
//	pc/<digest> NUL <n>              the n-th chunk of a module (1 MiB, a little less in memory)
//	pr/<digest> NUL <plugin> NUL <version>
//	                                 empty; the version uses the module, which is deleted with
//	                                 its last reference
//	pk/<plugin> NUL <key>            the plugin's key-value data, deleted with the plugin
//	pt/<plugin>                      big-endian uint64: the bytes of the plugin's keys and
//	                                 values, rewritten by every key-value write; absent: not
//	                                 counted yet (data written before it was kept, or a deletion
//	                                 of the plugin interrupted), counted by the next write
//
// The search indexes (index.go; a name in them is cut at 256 bytes and its
// NUL bytes replaced, so an entry may stand for more than one name: every
// search checks the real values):
//
//	xa/c <create time> <workflow id>
//	xn/<name> NUL c <create time> <workflow id>
//	xs/<status> NUL c <create time> <workflow id>
//	                                 the create-time index: every execution, by name, by status
//	                                 (no partition for COMPLETED); value: version and name
//	xa/e <end time> <create time> <workflow id>
//	xs/<status> NUL e <end time> <create time> <workflow id>
//	                                 the end-time index, of executions that have ended or whose
//	                                 status is neither RUNNING nor PAUSED; value: version,
//	                                 status and name
//	xa/u <update second> <workflow id>
//	                                 the update-time index, to the second; empty
//	xc/<correlation id> NUL <workflow id>
//	xk/<idempotency key> NUL <workflow id>
//	                                 empty; exact matches
//	xw/<word> NUL <create time> <workflow id>
//	                                 empty; a posting: the execution has the word
//	xt/<workflow id>                 the words of the input, then all the words, that the
//	                                 execution's postings were written from
//	ya/<scheduled time> <task id>
//	yt/<task type> NUL <scheduled time> <task id>
//	yn/<workflow name> NUL <scheduled time> <task id>
//	ys/<task status> NUL <scheduled time> <task id>
//	yw/<word> NUL <scheduled time> <task id>
//	ye/<end time> <task id>
//	                                 empty; the task index (taskindex.go): every task, by type,
//	                                 by workflow name, by ended status but COMPLETED, by word of
//	                                 its reasonForIncompletion, and ended tasks by end time
//
// Values are JSON (encoding/json), decoded with workflow.Decode so that
// numbers in free-form maps come back as json.Number. The execution head is
// kept apart from the workflow so that checking a guard never decodes a
// whole workflow. The indexes (ti, ac, wk) are derived in the same
// transaction as what they index: ac from each written task's status, wk
// from the old and new WakeAt in the head. The engine rebuilds its queues
// from ac, its timer from wk and the work between executions that a crash
// interrupted from ms.
//
// # Search indexes
//
// ExecutionSearch reads indexes that the committer writes in the same
// transaction as the execution, derived from its indexed fields before the
// transition (in the head it reads anyway) and after: a transition that
// changes none of them writes no index entry, and one that does moves only
// the entries it changes. Their cost was measured on every commit of
// `baton bench` (sync on): each entry written costs about as much as any
// other key, mostly in Badger's memtable, so the layout keeps the entries
// an execution writes in its life few:
//
//   - The create-time entries' value holds only what does not change during
//     a run (version, name), so that a status change moves the status
//     partition's entry and rewrites nothing else. Executions that complete
//     (most) are in no status partition: a search for COMPLETED walks the
//     whole index or a name's, where most entries match, reading heads.
//   - A RUNNING or PAUSED execution that has not ended is not in the
//     end-time index: a search sorted by end time finds such executions in
//     the create-time partitions of those statuses, at end time 0, so
//     starting an execution writes no end-time entry and ending it writes
//     one or two. The end-time index has no name partition: a name's
//     executions are found by their entries' values, or, when they are
//     few, through the name's create-time partition.
//   - The update time changes with almost every commit: its index is kept
//     to the second, in one partition, with no value, so that an entry
//     moves at most once a second; searches sorted by it read each entry's
//     head for the exact time and the filters.
//   - Free text: the words (store.Words) of the input, written at the start
//     and when InputChanged, and of the output, variables and
//     reasonForIncompletion, at most store.SearchWordsPerField distinct
//     words of each (store.ValueWords), each one posting. The head keeps a
//     hash of each word set, so the text is split in the caller's goroutine
//     but postings are rewritten only when a set changed; xt says which
//     postings to delete then, and is itself rewritten only when the words
//     changed.
//
// The task indexes follow the same rule: the committer reads a written
// task's ti/ record anyway (to find where it is), so the record keeps the
// fields its entries were derived from, and a write moves only the entries
// whose fields changed. A task writes ya, yt and yn when created, ye and
// (if it did not complete) ys and yw when it ends, and its ti/ record when
// created and when it ends: a poll or a heartbeat updates only the ac/
// entry, as before, whose value now holds the status and times. Open
// indexes, once, the tasks stored before the task indexes existed (marker
// yv/). tasksearch.go says how a task search picks a partition.
//
// search.go says how a query picks among the indexes; every plan checks
// every condition of the query, from the entries' values or the heads, so
// the indexes need only be supersets of what they stand for.
//
// ExecutionRemove goes through the committer as a call of its own: it
// reads the head, deletes every key of the execution (its index entries
// from the head's fields and xt, its tasks found by scanning tk/, their ti,
// ac and log keys) in the batch's transaction, and fails with
// store.ErrNotFound when there is no head. A Commit that the committer
// takes after it finds no head either. An execution of more than a few
// thousand keys (a large fork, a task with many log lines) would not fit
// one Badger transaction: its first call deletes the head, the record and
// the index entries and writes a tombstone (rm/), further calls delete the
// rest a chunk at a time and the last deletes the tombstone. The execution
// is gone for every reader from the first call on (readers that reach a
// leftover task, log or history by id check the tombstone), its id cannot
// be used again until the tombstone is gone, and Open finishes a removal
// that a crash interrupted.
//
// A removed task (Transition.Removed) loses its tk, ti and ac keys and its
// logs (lg, lc) in the transition that removes it; ti says where its record
// is. A task both written and removed by one transition is removed, with
// the log lines the transition had for it. A message is written by the
// transition that sends it and deleted by the one that acknowledges it:
// sending an id that is stored fails the transition with ErrExists,
// acknowledging one that is not with ErrConflict, so that a message is
// carried out once.
//
// Values stay in Badger's LSM tree while under its ValueThreshold (1 MiB);
// larger ones go to the value log, which a background goroutine garbage
// collects every five minutes (value_log_gc.go). In memory, Badger refuses
// values over 1 MiB, and Commit says so before trying.
//
// # Group commit
//
// All writes of executions, tasks, indexes, history, logs and messages go
// through one goroutine, the committer (committer.go). Commit and
// TaskLogAppend validate and encode their values in the caller's goroutine,
// then queue a call. The committer takes every call waiting (up to 1024
// calls or about 4 MiB) and applies them in one read-write transaction: for
// each call, it checks all its guards first, reading through the
// transaction so that it sees the calls before it, and writes nothing of a
// call whose guard fails, which gets its error alone. The guards are the
// execution's version, the execution owning each task written or removed,
// and the messages sent (new) and acknowledged (stored): of two calls in
// one batch that acknowledge the same message, the second sees the first's
// delete and fails. The committer then commits once; with Options.Sync
// Badger fsyncs its write-ahead log in that commit (SyncWrites), so one
// fsync serves the whole batch. Only then is every caller answered. When
// Badger finds the transaction too big (ErrTxnTooBig), the calls before the
// one that did not fit are committed in a transaction of their own and the
// batch goes on in a new one.
//
// A call whose context ends before its batch reaches it returns the
// context's error and writes nothing; once the batch has it, the caller
// waits for the real outcome. Close stops taking calls, lets the committer
// answer every call already queued, then closes Badger.
//
// Definitions (task and workflow definitions, event handlers) are written
// directly in their own transactions: they are rare and share no key with
// the committer, which is therefore the only writer of the keys it reads and
// never meets a Badger conflict.
//
// # Opening after a power cut
//
// Without Sync, a power cut can leave empty memtable (.mem) or value-log
// (.vlog) files, on which badger.Open fails with "Create a new file"
// (dgraph-io/badger#2207). Open then removes the empty files and retries, up
// to three times, logging what it removed. (Badger itself resizes the file it
// failed on, so the retry can succeed with nothing removed.) Files are
// removed only after Badger failed that way, having held the directory lock,
// never before a first attempt: a server already running in the directory
// creates such files, empty for an instant, and they must not be touched.
package badgerstore
