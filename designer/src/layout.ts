// The designer's layout engine: a port of designer/layout/layout.go and
// exec.go (the algorithm is described in designer/layout/doc.go, the Graph
// shape in designer/layout/graph.go). It lays out a workflow definition as
// the designer holds it, and an execution of one, exactly as the console
// does: toJSON(layout(def)) is byte for byte what
// json.MarshalIndent(layout.Layout(def), "", "  ") writes, and
// toJSON(layoutExecution(def, wf, view)) what LayoutExecution's graph
// writes. designer/layout/ts_test.go keeps them equal: it bundles this file
// with esbuild, runs it in goja on every fixture in
// designer/testdata/fixtures, every workflow of the engine's library
// (server/internal/engine/testdata/library) and executions of the fixtures,
// and compares. Change both together. svg.ts draws the graph as svg.go
// does.
//
// What JavaScript does differently from Go is handled here: strings are
// UTF-16, so SWITCH case keys (and a stack's status counts) are sorted by
// code point as Go sorts UTF-8, and lone surrogates become U+FFFD as Go's
// JSON decoder makes them; Go's JSON encoder escapes <, >, &, U+2028 and
// U+2029, which toJSON does too. All sizes are even, so halving stays
// integral; half() truncates anyway, as Go's integer division does. Members
// of the wrong type, which Go's decoder would refuse, read as empty.

// A workflow definition as the designer holds it (Conductor's JSON). Only
// the members the layout reads are declared; anything else is ignored.
export interface WorkflowDef {
  name?: string;
  version?: number;
  tasks?: (WorkflowTask | null)[] | null;
}

export interface WorkflowTask {
  name?: string;
  taskReferenceName?: string;
  type?: string;
  decisionCases?: { [key: string]: (WorkflowTask | null)[] | null } | null;
  defaultCase?: (WorkflowTask | null)[] | null;
  forkTasks?: ((WorkflowTask | null)[] | null)[] | null;
  loopOver?: (WorkflowTask | null)[] | null;
  subWorkflowParam?: { name?: string; version?: number | null } | null;
}

// The laid-out graph, in the field order of graph.go's JSON; optional
// members are absent when Go omits them.
export interface Graph {
  name: string;
  version?: number;
  w: number;
  h: number;
  execution?: Execution;
  nodes: Node[];
  edges: Edge[];
  slots: Slot[];
}

export interface Execution {
  workflowId: string;
  status: string;
  parentWorkflowId?: string;
}

export interface Node {
  id: string;
  kind: string;
  ref?: string;
  name?: string;
  type?: string;
  path?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  parent?: string;
  sub?: SubRef;
  status?: string;
  taskId?: string;
  taskRef?: string;
  attempt?: number;
  dimmed?: boolean;
  iteration?: number;
  iterations?: number;
  subWorkflowId?: string;
  stack?: Stack;
}

export interface Stack {
  total: number;
  completed: number;
  counts?: { [status: string]: number };
  expanded?: boolean;
}

// An execution (Conductor's Workflow JSON): only what the overlay reads.
export interface Workflow {
  workflowId?: string;
  workflowName?: string;
  workflowVersion?: number;
  status?: string;
  parentWorkflowId?: string;
  workflowDefinition?: WorkflowDef | null;
  tasks?: (Task | null)[] | null;
}

// A task attempt of an execution.
export interface Task {
  taskId?: string;
  taskType?: string;
  taskDefName?: string;
  referenceTaskName?: string;
  status?: string;
  inputData?: { [key: string]: unknown } | null;
  outputData?: { [key: string]: unknown } | null;
  seq?: number;
  retryCount?: number;
  iteration?: number;
  subWorkflowId?: string;
}

// View is what an execution diagram shows (exec.go's View): the iteration
// of each loop and which dynamic forks are expanded, by reference name.
export interface View {
  iterations?: { [ref: string]: number };
  expanded?: { [ref: string]: boolean };
}

export interface SubRef {
  name: string;
  version?: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface Label {
  text: string;
  x: number;
  y: number;
}

export interface Edge {
  from: string;
  to: string;
  kind?: string;
  points: Point[];
  label?: Label;
  dimmed?: boolean;
}

export interface Slot {
  path: string;
  kind: string;
  x: number;
  y: number;
}

// Node kinds, edge kinds and slot kinds, as in graph.go.
export const KindStart = "start";
export const KindEnd = "end";
export const KindTask = "task";
export const KindSwitch = "switch";
export const KindFork = "fork";
export const KindJoin = "join";
export const KindDynamic = "dynamic";
export const KindLoop = "loop";
export const KindSubWorkflow = "subworkflow";
export const KindTerminate = "terminate";
export const KindMerge = "merge";
export const KindStack = "stack";

export const EdgeFlow = "";
export const EdgeDynamic = "dynamic";
export const EdgeBack = "back";

export const SlotBetween = "between";
export const SlotEmpty = "empty";
export const SlotBody = "body";
export const SlotCase = "case";
export const SlotBranch = "branch";

// Sizes and gaps in pixels, the constants of layout.go.
const margin = 16;
const nodeW = 180;
const nodeH = 48;
const termW = 88;
const termH = 32;
const mergeD = 16;
const vGap = 48;
const bus = 32;
const hGap = 32;
const emptyW = 96;
const loopHeader = 32;
const loopPad = 24;
export const slotR = 10;
const backInset = 8;
const slotGap = 12;
const headerW = nodeW + 2 * (slotGap + 2 * slotR);
const labelDX = 14;
const labelDY = 14;
const stackPad = 16;
const stackHead = 32;
const childGap = 16;
const stackCols = 4;
const autoExpand = 6;

const enum BlockKind {
  Task,
  Switch,
  Fork,
  Dynamic,
  Loop,
}

// A task of a definition after decoding: what Go's WorkflowTask holds.
interface DefTask {
  name: string;
  ref: string;
  type: string; // TaskType(): SIMPLE when empty
  cases: [string, (WorkflowTask | null)[] | null][]; // decisionCases, keys sorted
  defaultCase: (WorkflowTask | null)[] | null;
  forkTasks: ((WorkflowTask | null)[] | null)[];
  loopOver: (WorkflowTask | null)[] | null;
  sub: SubRef | null; // set when subWorkflowParam is
}

// One task of a sequence with what it holds (layout.go's block).
interface Block {
  kind: BlockKind;
  task: DefTask;
  path: string;
  idx: number;
  join: DefTask | null;
  joinPath: string;
  lanes: Seq[];
  labels: string[];
  lanesW: number;
  lanesH: number;
  body: Seq | null;
  w: number;
  h: number;
  // Execution only: a loop's shown iteration and its count, a dynamic
  // fork's branches.
  iter: number;
  iters: number;
  inner: string;
  stack: Stack | null;
  refs: string[];
  children: (Task | null)[];
  stackW: number;
  stackH: number;
}

// A task list: a workflow's tasks, a case, a branch, a loop body.
interface Seq {
  path: string;
  emptyKind: string;
  n: number;
  blocks: Block[];
  w: number;
  h: number;
}

// half is Go's n/2 on ints.
function half(n: number): number {
  return Math.trunc(n / 2);
}

// goString is what Go's JSON decoder makes of a string member: "" for a
// missing one (or one of another type, which Go would refuse), and lone
// surrogates replaced by U+FFFD.
function goString(v: unknown): string {
  if (typeof v !== "string") return "";
  if (!hasSurrogate(v)) return v;
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < v.length) {
      const d = v.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += v[i] + v[i + 1];
        i++;
        continue;
      }
    }
    out += c >= 0xd800 && c <= 0xdfff ? "\ufffd" : v[i];
  }
  return out;
}

// hasSurrogate is a loop rather than a regular expression: goja runs
// this one far faster.
function hasSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

function goInt(v: unknown): number {
  return typeof v === "number" ? Math.trunc(v) : 0;
}

// compareCodePoints orders well-formed strings by Unicode code point, as
// Go's sort.Strings orders their UTF-8 bytes. UTF-16 code units differ from
// that order only between a surrogate (part of a code point above U+FFFF)
// and a unit from U+E000 up, so those two ranges swap places.
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    x = x >= 0xe000 ? x - 0x800 : x >= 0xd800 ? x + 0x2000 : x;
    y = y >= 0xe000 ? y - 0x800 : y >= 0xd800 ? y + 0x2000 : y;
    return x - y;
  }
  return a.length - b.length;
}

const taskTypes = {
  simple: "SIMPLE",
  forkJoin: "FORK_JOIN",
  fork: "FORK",
  forkJoinDynamic: "FORK_JOIN_DYNAMIC",
  decision: "DECISION",
  switch: "SWITCH",
  join: "JOIN",
  exclusiveJoin: "EXCLUSIVE_JOIN",
  doWhile: "DO_WHILE",
  subWorkflow: "SUB_WORKFLOW",
  terminate: "TERMINATE",
};

function taskType(t: WorkflowTask | null | undefined): string {
  const typ = t ? goString(t.type) : "";
  return typ === "" ? taskTypes.simple : typ;
}

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list<T>(v: unknown): T[] | null {
  return Array.isArray(v) ? v : null;
}

function has(m: unknown, key: string): m is { [key: string]: unknown } {
  return isObject(m) && Object.prototype.hasOwnProperty.call(m, key);
}

// decodeTask reads what the layout needs of a task; a null task counts as
// one with no fields.
function decodeTask(t: WorkflowTask | null | undefined): DefTask {
  const src: WorkflowTask = t || {};
  // Keys are decoded as Go decodes them; two that become equal keep the
  // later value, as a Go map does.
  const byKey = new Map<string, (WorkflowTask | null)[] | null>();
  if (isObject(src.decisionCases)) {
    for (const [k, v] of Object.entries(src.decisionCases)) byKey.set(goString(k), list<WorkflowTask | null>(v));
  }
  const cases = Array.from(byKey.entries()).sort((a, b) => compareCodePoints(a[0], b[0]));
  let sub: SubRef | null = null;
  const p = src.subWorkflowParam;
  if (isObject(p)) {
    sub = { name: goString(p.name) };
    const version = goInt(p.version);
    if (version !== 0) sub.version = version;
  }
  return {
    name: goString(src.name),
    ref: goString(src.taskReferenceName),
    type: taskType(src),
    cases,
    defaultCase: list<WorkflowTask | null>(src.defaultCase),
    forkTasks: Array.isArray(src.forkTasks) ? src.forkTasks.map((br) => list<WorkflowTask | null>(br)) : [],
    loopOver: list<WorkflowTask | null>(src.loopOver),
    sub,
  };
}

function newSeq(tasks: (WorkflowTask | null)[] | null, path: string, emptyKind: string): Seq {
  const l = tasks || [];
  const s: Seq = { path, emptyKind, n: l.length, blocks: [], w: 0, h: 0 };
  for (let i = 0; i < l.length; i++) {
    const t = decodeTask(l[i]);
    const b: Block = {
      kind: BlockKind.Task, task: t, path: path + "/" + i, idx: i, join: null, joinPath: "",
      lanes: [], labels: [], lanesW: 0, lanesH: 0, body: null, w: 0, h: 0,
      iter: 0, iters: 0, inner: "", stack: null, refs: [], children: [], stackW: 0, stackH: 0,
    };
    switch (t.type) {
      case taskTypes.switch:
      case taskTypes.decision:
        b.kind = BlockKind.Switch;
        for (const [k, tasks] of t.cases) {
          b.lanes.push(newSeq(tasks, b.path + "/decisionCases/" + escapePointer(k), SlotEmpty));
          b.labels.push(k);
        }
        b.lanes.push(newSeq(t.defaultCase, b.path + "/defaultCase", SlotEmpty));
        b.labels.push("default");
        break;
      case taskTypes.forkJoin:
      case taskTypes.fork:
      case taskTypes.forkJoinDynamic:
        b.kind = BlockKind.Fork;
        if (t.type === taskTypes.forkJoinDynamic) {
          // Its branches come from its input: forkTasks are ignored.
          b.kind = BlockKind.Dynamic;
        } else {
          t.forkTasks.forEach((br, j) => b.lanes.push(newSeq(br, b.path + "/forkTasks/" + j, SlotEmpty)));
        }
        if (i + 1 < l.length && l[i + 1] && taskType(l[i + 1]) === taskTypes.join) {
          i++;
          b.join = decodeTask(l[i]);
          b.joinPath = path + "/" + i;
        }
        break;
      case taskTypes.doWhile:
        b.kind = BlockKind.Loop;
        b.body = newSeq(t.loopOver, b.path + "/loopOver", SlotBody);
        break;
    }
    s.blocks.push(b);
  }
  return s;
}

// escapePointer escapes a member name (a SWITCH case key) as a JSON
// pointer token (RFC 6901): "~" becomes "~0" and "/" becomes "~1".
export function escapePointer(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

function kindOf(typ: string): string {
  switch (typ) {
    case taskTypes.switch:
    case taskTypes.decision:
      return KindSwitch;
    case taskTypes.forkJoin:
    case taskTypes.fork:
      return KindFork;
    case taskTypes.join:
    case taskTypes.exclusiveJoin:
      return KindJoin;
    case taskTypes.forkJoinDynamic:
      return KindDynamic;
    case taskTypes.doWhile:
      return KindLoop;
    case taskTypes.subWorkflow:
      return KindSubWorkflow;
    case taskTypes.terminate:
      return KindTerminate;
  }
  return KindTask;
}

// Statuses (sdk/workflow/status.go).
function workflowTerminal(s: string): boolean {
  return s === "COMPLETED" || s === "FAILED" || s === "TIMED_OUT" || s === "TERMINATED";
}

function taskTerminal(s: string): boolean {
  return s !== "SCHEDULED" && s !== "IN_PROGRESS";
}

function taskSuccessful(s: string): boolean {
  return s === "SCHEDULED" || s === "IN_PROGRESS" || s === "COMPLETED" || s === "COMPLETED_WITH_ERRORS" || s === "SKIPPED";
}

// What a block inherits from where it sits: the iteration suffix of the
// loops around it, whether its lane was not taken, its container.
interface Scope {
  suffix: string;
  dim: boolean;
  parent: string;
}

const topScope: Scope = { suffix: "", dim: false, parent: "" };

// ExecCtx is the execution a layout overlays: each task's latest attempt
// by its reference name (with loop suffixes).
class ExecCtx {
  readonly byRef = new Map<string, Task>();
  readonly ended: boolean;

  constructor(readonly wf: Workflow, readonly status: string, readonly view: View) {
    this.ended = workflowTerminal(status);
    for (const t of list<Task | null>(wf.tasks) || []) {
      if (!isObject(t)) continue;
      const ref = goString(t.referenceTaskName);
      const cur = this.byRef.get(ref);
      if (cur === undefined || goInt(t.seq) >= goInt(cur.seq)) this.byRef.set(ref, t);
    }
  }

  // overlay gives a node the state of the latest attempt of its task.
  overlay(n: Rec, ref: string, dim: boolean): void {
    n.taskRef = ref;
    const t = this.byRef.get(ref);
    n.dimmed = dim || (t === undefined && this.ended);
    if (t === undefined) return;
    n.status = goString(t.status);
    n.taskId = goString(t.taskId);
    n.attempt = goInt(t.retryCount);
    n.subWorkflowId = goString(t.subWorkflowId);
  }

  // iteration picks the iteration of a loop to show and the suffix its
  // body's tasks carry in it.
  iteration(bl: Block, sc: Scope): void {
    const ref = bl.task.ref;
    const t = this.byRef.get(ref + sc.suffix);
    if (t !== undefined) bl.iters = goInt(t.iteration);
    bl.iter = bl.iters;
    if (has(this.view.iterations, ref)) {
      const n = goInt(this.view.iterations[ref]);
      if (n >= 1 && n <= bl.iters) bl.iter = n;
    }
    bl.inner = sc.suffix + "__" + Math.max(bl.iter, 1);
  }

  // takenLane returns the index of the lane an ended SWITCH took, or -1
  // while it has not decided (or failed to).
  takenLane(bl: Block, sc: Scope): number {
    const t = this.byRef.get(bl.task.ref + sc.suffix);
    const status = t === undefined ? "" : goString(t.status);
    if (t === undefined || !taskTerminal(status) || !taskSuccessful(status)) return -1;
    const sel = selectedCase(t.outputData);
    for (let i = 0; i < bl.labels.length - 1; i++) {
      if (bl.labels[i] === sel) return i;
    }
    return bl.labels.length - 1;
  }

  // stack tallies the branches of a dynamic fork (those its input lists
  // under forkedTasks) and sizes its stack.
  stack(bl: Block, sc: Scope): void {
    const ref = bl.task.ref;
    const t = this.byRef.get(ref + sc.suffix);
    if (t === undefined) return;
    const forked = (isObject(t.inputData) && list<unknown>(t.inputData.forkedTasks)) || [];
    const counts = new Map<string, number>();
    const st: Stack = { total: forked.length, completed: 0 };
    bl.refs = forked.map((r) => goString(r));
    bl.children = bl.refs.map((r) => this.byRef.get(r) || null);
    for (const c of bl.children) {
      if (c === null) continue;
      const status = goString(c.status);
      counts.set(status, (counts.get(status) || 0) + 1);
      if (taskTerminal(status) && taskSuccessful(status)) st.completed++;
    }
    if (counts.size > 0) {
      // Go writes a map's keys sorted.
      st.counts = {};
      for (const k of Array.from(counts.keys()).sort(compareCodePoints)) st.counts[k] = counts.get(k) as number;
    }
    let expanded = st.total <= autoExpand;
    if (has(this.view.expanded, ref)) expanded = this.view.expanded[ref] === true;
    if (expanded) st.expanded = true;
    bl.stack = st;
    if (expanded && st.total > 0) {
      const cols = Math.min(st.total, stackCols);
      const rows = Math.trunc((st.total + cols - 1) / cols);
      bl.stackW = 2 * stackPad + cols * nodeW + (cols - 1) * childGap;
      bl.stackH = stackHead + rows * nodeH + (rows - 1) * childGap + stackPad;
    }
  }

  // placeChildren lays out the branches of an expanded stack in rows.
  placeChildren(b: Builder, bl: Block, st: Rec): void {
    const stack = bl.stack as Stack;
    st.status = stackStatus(stack);
    if (!stack.expanded) return;
    const cols = Math.max(Math.min(bl.refs.length, stackCols), 1);
    bl.refs.forEach((ref, i) => {
      const n = rec(st.id + "/" + ref, KindTask, st.x + stackPad + (i % cols) * (nodeW + childGap),
        st.y + stackHead + Math.trunc(i / cols) * (nodeH + childGap), nodeW, nodeH, st.id);
      n.ref = ref;
      const c = bl.children[i];
      if (c !== null) {
        n.name = goString(c.taskDefName);
        n.type = goString(c.taskType);
        n.kind = kindOf(n.type);
      }
      this.overlay(n, ref, st.dimmed);
      b.add(n);
    });
  }
}

// selectedCase is the case a SWITCH chose (selectedCase, else the first
// evaluationResult), or a legacy DECISION (the first caseOutput), from its
// output. A result that is not a string is written as Go's fmt.Sprint
// writes a boolean, null or an integer; Go keeps a number's JSON text
// ("1.0" stays "1.0") and writes arrays and objects its own way, which
// String does not, but no case key is written like those in practice.
function selectedCase(out: unknown): string {
  if (!isObject(out)) return "";
  if (typeof out.selectedCase === "string") return goString(out.selectedCase);
  for (const key of ["evaluationResult", "caseOutput"]) {
    const r = out[key];
    if (Array.isArray(r) && r.length > 0) {
      const v: unknown = r[0];
      if (typeof v === "string") return goString(v);
      return v === null || v === undefined ? "<nil>" : String(v);
    }
  }
  return "";
}

// stackStatus is the status a stack shows: the worst of its branches.
function stackStatus(st: Stack): string {
  if (st.total === 0) return "";
  const counts = st.counts || {};
  for (const s of ["FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "CANCELED", "IN_PROGRESS", "SCHEDULED"]) {
    if (counts[s] > 0) return s;
  }
  if (st.completed < st.total) return "SCHEDULED";
  if (counts["COMPLETED_WITH_ERRORS"] > 0) return "COMPLETED_WITH_ERRORS";
  return "COMPLETED";
}

function measureSeq(b: Builder, s: Seq, sc: Scope): void {
  if (s.blocks.length === 0) {
    s.w = emptyW;
    s.h = vGap;
    return;
  }
  s.w = 0;
  s.h = vGap;
  for (const bl of s.blocks) {
    measure(b, bl, sc);
    s.w = Math.max(s.w, bl.w);
    s.h += bl.h + vGap;
  }
}

function measure(b: Builder, bl: Block, sc: Scope): void {
  switch (bl.kind) {
    case BlockKind.Task:
      bl.w = nodeW;
      bl.h = nodeH;
      break;
    case BlockKind.Switch:
    case BlockKind.Fork: {
      bl.lanesW = 0;
      bl.lanesH = 0;
      bl.lanes.forEach((l, i) => {
        measureSeq(b, l, sc);
        if (i > 0) bl.lanesW += hGap;
        bl.lanesW += l.w;
        bl.lanesH = Math.max(bl.lanesH, l.h);
      });
      const bottom = bl.kind === BlockKind.Fork ? nodeH : mergeD;
      bl.w = Math.max(headerW, bl.lanesW);
      bl.h = nodeH + bus + bl.lanesH + bus + bottom;
      break;
    }
    case BlockKind.Dynamic:
      bl.stackW = nodeW;
      bl.stackH = nodeH;
      if (b.x !== null) b.x.stack(bl, sc);
      bl.w = Math.max(nodeW, bl.stackW);
      bl.h = nodeH + vGap + bl.stackH + vGap + nodeH;
      break;
    case BlockKind.Loop: {
      const body = bl.body as Seq;
      let inner = sc;
      if (b.x !== null) {
        b.x.iteration(bl, sc);
        inner = { ...sc, suffix: bl.inner };
      }
      measureSeq(b, body, inner);
      bl.w = Math.max(body.w, nodeW) + 2 * loopPad;
      bl.h = loopHeader + body.h;
      break;
    }
  }
}

// Rec is a node while it is built: every member of Node, with Go's zero
// values, turned into a Node (Go's field order, empty members left out)
// once the graph is done.
interface Rec {
  id: string;
  kind: string;
  ref: string;
  name: string;
  type: string;
  path: string;
  x: number;
  y: number;
  w: number;
  h: number;
  parent: string;
  sub: SubRef | null;
  status: string;
  taskId: string;
  taskRef: string;
  attempt: number;
  dimmed: boolean;
  iteration: number;
  iterations: number;
  subWorkflowId: string;
  stack: Stack | null;
}

function rec(id: string, kind: string, x: number, y: number, w: number, h: number, parent: string): Rec {
  return {
    id, kind, ref: "", name: "", type: "", path: "", x, y, w, h, parent, sub: null,
    status: "", taskId: "", taskRef: "", attempt: 0, dimmed: false, iteration: 0, iterations: 0, subWorkflowId: "", stack: null,
  };
}

function toNode(r: Rec): Node {
  const n = { id: r.id, kind: r.kind } as Node;
  if (r.ref !== "") n.ref = r.ref;
  if (r.name !== "") n.name = r.name;
  if (r.type !== "") n.type = r.type;
  if (r.path !== "") n.path = r.path;
  n.x = r.x;
  n.y = r.y;
  n.w = r.w;
  n.h = r.h;
  if (r.parent !== "") n.parent = r.parent;
  if (r.sub !== null) n.sub = r.sub.version === undefined ? { name: r.sub.name } : { name: r.sub.name, version: r.sub.version };
  if (r.status !== "") n.status = r.status;
  if (r.taskId !== "") n.taskId = r.taskId;
  if (r.taskRef !== "") n.taskRef = r.taskRef;
  if (r.attempt !== 0) n.attempt = r.attempt;
  if (r.dimmed) n.dimmed = true;
  if (r.iteration !== 0) n.iteration = r.iteration;
  if (r.iterations !== 0) n.iterations = r.iterations;
  if (r.subWorkflowId !== "") n.subWorkflowId = r.subWorkflowId;
  if (r.stack !== null) n.stack = r.stack;
  return n;
}

// What placing a sequence or a block yields: the node control enters by
// and the one it leaves by (null for an empty sequence), and whether it
// ends its lane.
interface Placed {
  first: Rec | null;
  last: Rec | null;
  term: boolean;
}

// Builder lays out one graph, appending nodes, edges and slots in the
// order layout.go does. x is null for a definition.
class Builder {
  readonly nodes: Rec[] = [];
  readonly edges: Edge[] = [];
  readonly slots: Slot[] = [];
  // dimmed holds the dimmed edges until finish sets their flag, which
  // comes after the label in Go's field order.
  private readonly dimmed = new Set<Edge>();
  private readonly ids = new Map<string, number>();

  constructor(readonly x: ExecCtx | null) {}

  // id returns a unique node id for a reference name.
  id(ref: string, path: string): string {
    let id = ref;
    if (id === "" || id[0] === "$") id = "$task:" + path;
    const n = (this.ids.get(id) || 0) + 1;
    this.ids.set(id, n);
    if (n > 1) id += "#" + n;
    return id;
  }

  add(n: Rec): Rec {
    this.nodes.push(n);
    return n;
  }

  // taskNode adds the node of a task, with its execution overlay.
  taskNode(t: DefTask, path: string, x: number, y: number, w: number, h: number, sc: Scope): Rec {
    const n = rec(this.id(t.ref, path), kindOf(t.type), x, y, w, h, sc.parent);
    n.ref = t.ref;
    n.name = t.name;
    n.type = t.type;
    n.path = path;
    if (t.sub !== null && n.kind === KindSubWorkflow) n.sub = t.sub;
    if (this.x !== null) this.x.overlay(n, t.ref + sc.suffix, sc.dim);
    return this.add(n);
  }

  slot(path: string, kind: string, x: number, y: number): void {
    this.slots.push({ path, kind, x, y });
  }

  // edge adds an edge through the points, dropping repeated points and the
  // middle of three on one line.
  edge(from: Rec, to: Rec, kind: string, dim: boolean, ...pts: Point[]): Edge {
    const out: Point[] = [];
    for (const p of pts) {
      const k = out.length;
      if (k > 0 && out[k - 1].x === p.x && out[k - 1].y === p.y) continue;
      if (k > 1) {
        const a = out[k - 2];
        const m = out[k - 1];
        if ((a.x === m.x && m.x === p.x) || (a.y === m.y && m.y === p.y)) {
          out[k - 1] = p;
          continue;
        }
      }
      out.push(p);
    }
    const e = { from: from.id, to: to.id } as Edge;
    if (kind !== EdgeFlow) e.kind = kind;
    e.points = out;
    this.edges.push(e);
    if (dim || from.dimmed || to.dimmed) this.dimmed.add(e);
    return e;
  }

  // placeSeq places a sequence with its top-left corner at (x, y).
  placeSeq(s: Seq, x: number, y: number, sc: Scope): Placed {
    const cx = x + half(s.w);
    let first: Rec | null = null;
    let last: Rec | null = null;
    let term = false;
    for (const bl of s.blocks) {
      this.slot(s.path + "/" + bl.idx, SlotBetween, cx, y + half(vGap));
      y += vGap;
      const p = this.place(bl, cx - half(bl.w), y, sc);
      const entry = p.first as Rec;
      if (last !== null && !term) this.edge(last, entry, EdgeFlow, false, pt(cx, last.y + last.h), pt(cx, entry.y));
      if (first === null) first = entry;
      last = p.last;
      term = p.term;
      y += bl.h;
    }
    this.slot(s.path + "/" + s.n, s.blocks.length === 0 ? s.emptyKind : SlotBetween, cx, y + half(vGap));
    return { first, last, term };
  }

  place(bl: Block, x: number, y: number, sc: Scope): Placed {
    const cx = x + half(bl.w);
    const t = bl.task;
    switch (bl.kind) {
      case BlockKind.Switch:
      case BlockKind.Fork:
        return this.placeSplit(bl, x, y, sc);
      case BlockKind.Dynamic: {
        const n = this.taskNode(t, bl.path, cx - half(nodeW), y, nodeW, nodeH, sc);
        const sy = y + nodeH + vGap;
        const st = rec("$stack:" + n.id, KindStack, cx - half(bl.stackW), sy, bl.stackW, bl.stackH, sc.parent);
        st.stack = bl.stack;
        st.dimmed = n.dimmed;
        this.add(st);
        if (bl.stack !== null) (this.x as ExecCtx).placeChildren(this, bl, st);
        const j = this.joinNode(bl, n, cx, sy + bl.stackH + vGap, sc);
        this.edge(n, st, EdgeDynamic, false, pt(cx, y + nodeH), pt(cx, sy));
        this.edge(st, j, EdgeDynamic, false, pt(cx, sy + bl.stackH), pt(cx, j.y));
        return { first: n, last: j, term: false };
      }
      case BlockKind.Loop: {
        const n = this.taskNode(t, bl.path, x, y, bl.w, bl.h, sc);
        n.iteration = bl.iter;
        n.iterations = bl.iters;
        const inner: Scope = { ...sc, parent: n.id };
        if (this.x !== null) {
          inner.suffix = bl.inner;
          inner.dim = n.dimmed;
        }
        const body = bl.body as Seq;
        const top = y + loopHeader;
        const p = this.placeSeq(body, cx - half(body.w), top, inner);
        const bottom = y + bl.h;
        if (p.first === null) {
          this.edge(n, n, EdgeFlow, false, pt(cx, top), pt(cx, bottom));
        } else {
          this.edge(n, p.first, EdgeFlow, false, pt(cx, top), pt(cx, p.first.y));
          const last = p.last as Rec;
          if (!p.term) this.edge(last, n, EdgeFlow, false, pt(cx, last.y + last.h), pt(cx, bottom));
        }
        const rx = x + bl.w - half(loopPad);
        this.edge(n, n, EdgeBack, false, pt(rx, bottom - backInset), pt(rx, top + backInset));
        return { first: n, last: n, term: false };
      }
    }
    const n = this.taskNode(t, bl.path, x, y, nodeW, nodeH, sc);
    return { first: n, last: n, term: n.kind === KindTerminate };
  }

  // joinNode adds the JOIN that closes a fork, or a synthetic one when the
  // definition has none.
  joinNode(bl: Block, fork: Rec, cx: number, y: number, sc: Scope): Rec {
    if (bl.join !== null) return this.taskNode(bl.join, bl.joinPath, cx - half(nodeW), y, nodeW, nodeH, sc);
    const j = rec("$join:" + fork.id, KindJoin, cx - half(nodeW), y, nodeW, nodeH, sc.parent);
    j.dimmed = fork.dimmed;
    return this.add(j);
  }

  // placeSplit places a SWITCH or a FORK_JOIN: its node, its lanes side by
  // side under it, and the merge dot or JOIN under them.
  placeSplit(bl: Block, x: number, y: number, sc: Scope): Placed {
    const cx = x + half(bl.w);
    const n = this.taskNode(bl.task, bl.path, cx - half(nodeW), y, nodeW, nodeH, sc);
    const top = y + nodeH + bus;
    const by = top + bl.lanesH + bus;
    let m: Rec;
    let addKind = SlotBranch;
    let addPath = bl.path + "/forkTasks";
    if (bl.kind === BlockKind.Switch) {
      addKind = SlotCase;
      addPath = bl.path + "/decisionCases";
      m = rec("$merge:" + n.id, KindMerge, cx - half(mergeD), by, mergeD, mergeD, sc.parent);
      m.dimmed = n.dimmed;
      this.add(m);
    } else {
      m = this.joinNode(bl, n, cx, by, sc);
    }
    this.slot(addPath, addKind, cx + half(nodeW) + slotGap + slotR, y + half(nodeH));
    const taken = bl.kind === BlockKind.Switch && this.x !== null ? this.x.takenLane(bl, sc) : -1;
    const upper = y + nodeH + half(bus);
    const lower = by - half(bus);
    let lx = x + half(bl.w - bl.lanesW);
    if (bl.lanes.length === 0) this.edge(n, m, EdgeFlow, false, pt(cx, y + nodeH), pt(cx, by));
    bl.lanes.forEach((l, i) => {
      const lcx = lx + half(l.w);
      const lsc: Scope = { ...sc, dim: sc.dim || (taken >= 0 && i !== taken) };
      const p = this.placeSeq(l, lx, top, lsc);
      let e: Edge;
      if (p.first === null) {
        e = this.edge(n, m, EdgeFlow, lsc.dim, pt(cx, y + nodeH), pt(cx, upper), pt(lcx, upper), pt(lcx, lower), pt(cx, lower), pt(cx, by));
      } else {
        e = this.edge(n, p.first, EdgeFlow, false, pt(cx, y + nodeH), pt(cx, upper), pt(lcx, upper), pt(lcx, p.first.y));
        const last = p.last as Rec;
        if (!p.term) this.edge(last, m, EdgeFlow, false, pt(lcx, last.y + last.h), pt(lcx, lower), pt(cx, lower), pt(cx, by));
      }
      if (bl.kind === BlockKind.Switch) e.label = { text: bl.labels[i], x: lcx + labelDX, y: top + labelDY };
      lx += l.w + hGap;
    });
    return { first: n, last: m, term: false };
  }

  // finish writes the nodes in Go's field order, and the dimmed flag of
  // the edges after their labels.
  finish(g: Graph): Graph {
    g.nodes = this.nodes.map(toNode);
    for (const e of this.dimmed) e.dimmed = true;
    g.edges = this.edges;
    g.slots = this.slots;
    return g;
  }
}

function pt(x: number, y: number): Point {
  return { x, y };
}

// layout lays out a definition top to bottom, as layout.Layout does. It
// never fails: whatever the definition holds is drawn (a FORK with no JOIN
// after it ends in a synthetic join, tasks after a TERMINATE are drawn
// unconnected).
export function layout(def: WorkflowDef | null | undefined): Graph {
  return build(def || {}, null, null);
}

// layoutExecution lays out an execution of a definition (the execution's
// own copy when def is null), as layout.LayoutExecution does: the
// definition's graph with the status of each task's latest attempt, the
// iteration view selects of each loop, each dynamic fork's branches as a
// stack (or one by one), and the nodes of paths not taken dimmed.
export function layoutExecution(def: WorkflowDef | null | undefined, wf: Workflow, view?: View): Graph {
  let d = def || (isObject(wf.workflowDefinition) ? wf.workflowDefinition : null);
  if (!d) d = { name: goString(wf.workflowName), version: goInt(wf.workflowVersion) };
  const status = goString(wf.status);
  const execution: Execution = { workflowId: goString(wf.workflowId), status };
  const parent = goString(wf.parentWorkflowId);
  if (parent !== "") execution.parentWorkflowId = parent;
  return build(d, new ExecCtx(wf, status, view || {}), execution);
}

function build(d: WorkflowDef, x: ExecCtx | null, execution: Execution | null): Graph {
  const g = { name: goString(d.name) } as Graph;
  const version = goInt(d.version);
  if (version !== 0) g.version = version;
  g.w = 0;
  g.h = 0;
  if (execution !== null) g.execution = execution;
  const b = new Builder(x);
  const s = newSeq(list<WorkflowTask | null>(d.tasks), "/tasks", SlotEmpty);
  measureSeq(b, s, topScope);
  const inner = Math.max(s.w, termW);
  g.w = inner + 2 * margin;
  const cx = margin + half(inner);
  const start = b.add(rec("$start", KindStart, cx - half(termW), margin, termW, termH, ""));
  const p = b.placeSeq(s, cx - half(s.w), margin + termH, topScope);
  const end = b.add(rec("$end", KindEnd, cx - half(termW), margin + termH + s.h, termW, termH, ""));
  g.h = end.y + termH + margin;
  if (x !== null && x.ended) end.status = x.status;
  if (p.first === null) {
    b.edge(start, end, EdgeFlow, false, pt(cx, start.y + termH), pt(cx, end.y));
  } else {
    b.edge(start, p.first, EdgeFlow, false, pt(cx, start.y + termH), pt(cx, p.first.y));
    const last = p.last as Rec;
    if (!p.term) b.edge(last, end, EdgeFlow, false, pt(cx, last.y + last.h), pt(cx, end.y));
  }
  return b.finish(g);
}

const goEscapes: { [c: string]: string } = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

// toJSON writes a graph as Go's json.MarshalIndent(g, "", "  ") does.
// JSON.stringify already matches it but for the characters Go escapes
// and JavaScript does not, which only occur inside strings.
export function toJSON(g: Graph): string {
  return JSON.stringify(g, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => goEscapes[c]);
}
