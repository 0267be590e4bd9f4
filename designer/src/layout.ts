// The designer's layout engine: a port of Layout in designer/layout/layout.go
// (the algorithm is described in designer/layout/doc.go, the Graph shape in
// designer/layout/graph.go). It lays out a workflow definition, as the
// designer holds it, exactly as the console does: toJSON(layout(def)) is
// byte for byte what the Go package's json.MarshalIndent(layout.Layout(def),
// "", "  ") writes. designer/layout/ts_test.go keeps the two equal: it
// bundles this file, runs it in goja on every fixture in
// designer/testdata/fixtures and every workflow of the engine's library, and
// compares. Change both together.
//
// Only the definition layout (with its slots) is ported; the execution
// overlay (exec.go) and the SVG renderer (svg.go) are not.
//
// Two things JavaScript does differently from Go, handled here: strings are
// UTF-16, so SWITCH case keys are sorted by code point as Go sorts UTF-8,
// and lone surrogates become U+FFFD as Go's JSON decoder makes them; and
// Go's JSON encoder escapes <, >, &, U+2028 and U+2029, which toJSON does
// too. All sizes are even, so halving stays integral; half() truncates
// anyway, as Go's integer division does.

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
  nodes: Node[];
  edges: Edge[];
  slots: Slot[];
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
const slotR = 10;
const backInset = 8;
const slotGap = 12;
const headerW = nodeW + 2 * (slotGap + 2 * slotR);
const labelDX = 14;
const labelDY = 14;

const enum BlockKind {
  Task,
  Switch,
  Fork,
  Dynamic,
  Loop,
}

// A task of a definition after decoding: what Go's WorkflowTask holds.
interface Task {
  name: string;
  ref: string;
  type: string; // TaskType(): SIMPLE when empty
  cases: [string, (WorkflowTask | null)[] | null | undefined][]; // decisionCases, keys sorted
  defaultCase: (WorkflowTask | null)[] | null | undefined;
  forkTasks: ((WorkflowTask | null)[] | null)[];
  loopOver: (WorkflowTask | null)[] | null | undefined;
  sub: SubRef | null; // set when subWorkflowParam is
}

// One task of a sequence with what it holds (layout.go's block).
interface Block {
  kind: BlockKind;
  task: Task;
  path: string;
  idx: number;
  join: Task | null;
  joinPath: string;
  lanes: Seq[];
  labels: string[];
  lanesW: number;
  lanesH: number;
  body: Seq | null;
  w: number;
  h: number;
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

function list(v: unknown): (WorkflowTask | null)[] | null {
  return Array.isArray(v) ? v : null;
}

// decodeTask reads what the layout needs of a task; a null task counts as
// one with no fields.
function decodeTask(t: WorkflowTask | null | undefined): Task {
  const src: WorkflowTask = t || {};
  // Keys are decoded as Go decodes them; two that become equal keep the
  // later value, as a Go map does.
  const byKey = new Map<string, (WorkflowTask | null)[] | null>();
  if (isObject(src.decisionCases)) {
    for (const [k, v] of Object.entries(src.decisionCases)) byKey.set(goString(k), list(v));
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
    defaultCase: list(src.defaultCase),
    forkTasks: Array.isArray(src.forkTasks) ? src.forkTasks.map(list) : [],
    loopOver: list(src.loopOver),
    sub,
  };
}

function newSeq(tasks: (WorkflowTask | null)[] | null | undefined, path: string, emptyKind: string): Seq {
  const l = tasks || [];
  const s: Seq = { path, emptyKind, n: l.length, blocks: [], w: 0, h: 0 };
  for (let i = 0; i < l.length; i++) {
    const t = decodeTask(l[i]);
    const b: Block = {
      kind: BlockKind.Task, task: t, path: path + "/" + i, idx: i, join: null, joinPath: "",
      lanes: [], labels: [], lanesW: 0, lanesH: 0, body: null, w: 0, h: 0, stackW: 0, stackH: 0,
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

// escapePointer escapes a SWITCH case key as a JSON pointer token
// (RFC 6901): "~" becomes "~0" and "/" becomes "~1".
function escapePointer(s: string): string {
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

function measureSeq(s: Seq): void {
  if (s.blocks.length === 0) {
    s.w = emptyW;
    s.h = vGap;
    return;
  }
  s.w = 0;
  s.h = vGap;
  for (const bl of s.blocks) {
    measure(bl);
    s.w = Math.max(s.w, bl.w);
    s.h += bl.h + vGap;
  }
}

function measure(bl: Block): void {
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
        measureSeq(l);
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
      bl.w = Math.max(nodeW, bl.stackW);
      bl.h = nodeH + vGap + bl.stackH + vGap + nodeH;
      break;
    case BlockKind.Loop: {
      const body = bl.body as Seq;
      measureSeq(body);
      bl.w = Math.max(body.w, nodeW) + 2 * loopPad;
      bl.h = loopHeader + body.h;
      break;
    }
  }
}

// Where a block sits: its container node's id (a loop), "" for none.
type Parent = string;

// What placing a sequence or a block yields: the node control enters by
// and the one it leaves by (null for an empty sequence), and whether it
// ends its lane.
interface Placed {
  first: Node | null;
  last: Node | null;
  term: boolean;
}

// Builder lays out one graph, appending nodes, edges and slots in the
// order layout.go does.
class Builder {
  readonly g: Graph;
  private readonly ids = new Map<string, number>();

  constructor(g: Graph) {
    this.g = g;
  }

  // id returns a unique node id for a reference name.
  id(ref: string, path: string): string {
    let id = ref;
    if (id === "" || id[0] === "$") id = "$task:" + path;
    const n = (this.ids.get(id) || 0) + 1;
    this.ids.set(id, n);
    if (n > 1) id += "#" + n;
    return id;
  }

  // node appends a node built with Go's field order, leaving out the
  // members Go omits when empty.
  node(id: string, kind: string, x: number, y: number, w: number, h: number, parent: Parent, t?: Task, path?: string): Node {
    const n: Node = { id, kind } as Node;
    if (t) {
      if (t.ref !== "") n.ref = t.ref;
      if (t.name !== "") n.name = t.name;
      n.type = t.type;
      if (path) n.path = path;
    }
    n.x = x;
    n.y = y;
    n.w = w;
    n.h = h;
    if (parent !== "") n.parent = parent;
    if (t && t.sub && kind === KindSubWorkflow) n.sub = t.sub.version === undefined ? { name: t.sub.name } : { name: t.sub.name, version: t.sub.version };
    this.g.nodes.push(n);
    return n;
  }

  taskNode(t: Task, path: string, x: number, y: number, w: number, h: number, parent: Parent): Node {
    return this.node(this.id(t.ref, path), kindOf(t.type), x, y, w, h, parent, t, path);
  }

  slot(path: string, kind: string, x: number, y: number): void {
    this.g.slots.push({ path, kind, x, y });
  }

  // edge adds an edge through the points, dropping repeated points and the
  // middle of three on one line.
  edge(from: Node, to: Node, kind: string, ...pts: Point[]): Edge {
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
    const e: Edge = kind === EdgeFlow ? { from: from.id, to: to.id, points: out } : { from: from.id, to: to.id, kind, points: out };
    this.g.edges.push(e);
    return e;
  }

  // placeSeq places a sequence with its top-left corner at (x, y).
  placeSeq(s: Seq, x: number, y: number, parent: Parent): Placed {
    const cx = x + half(s.w);
    let first: Node | null = null;
    let last: Node | null = null;
    let term = false;
    for (const bl of s.blocks) {
      this.slot(s.path + "/" + bl.idx, SlotBetween, cx, y + half(vGap));
      y += vGap;
      const p = this.place(bl, cx - half(bl.w), y, parent);
      const entry = p.first as Node;
      if (last !== null && !term) this.edge(last, entry, EdgeFlow, pt(cx, last.y + last.h), pt(cx, entry.y));
      if (first === null) first = entry;
      last = p.last;
      term = p.term;
      y += bl.h;
    }
    this.slot(s.path + "/" + s.n, s.blocks.length === 0 ? s.emptyKind : SlotBetween, cx, y + half(vGap));
    return { first, last, term };
  }

  place(bl: Block, x: number, y: number, parent: Parent): Placed {
    const cx = x + half(bl.w);
    const t = bl.task;
    switch (bl.kind) {
      case BlockKind.Switch:
      case BlockKind.Fork:
        return this.placeSplit(bl, x, y, parent);
      case BlockKind.Dynamic: {
        const n = this.taskNode(t, bl.path, cx - half(nodeW), y, nodeW, nodeH, parent);
        const sy = y + nodeH + vGap;
        const st = this.node("$stack:" + n.id, KindStack, cx - half(bl.stackW), sy, bl.stackW, bl.stackH, parent);
        const j = this.joinNode(bl, n, cx, sy + bl.stackH + vGap, parent);
        this.edge(n, st, EdgeDynamic, pt(cx, y + nodeH), pt(cx, sy));
        this.edge(st, j, EdgeDynamic, pt(cx, sy + bl.stackH), pt(cx, j.y));
        return { first: n, last: j, term: false };
      }
      case BlockKind.Loop: {
        const n = this.taskNode(t, bl.path, x, y, bl.w, bl.h, parent);
        const body = bl.body as Seq;
        const top = y + loopHeader;
        const p = this.placeSeq(body, cx - half(body.w), top, n.id);
        const bottom = y + bl.h;
        if (p.first === null) {
          this.edge(n, n, EdgeFlow, pt(cx, top), pt(cx, bottom));
        } else {
          this.edge(n, p.first, EdgeFlow, pt(cx, top), pt(cx, p.first.y));
          const last = p.last as Node;
          if (!p.term) this.edge(last, n, EdgeFlow, pt(cx, last.y + last.h), pt(cx, bottom));
        }
        const rx = x + bl.w - half(loopPad);
        this.edge(n, n, EdgeBack, pt(rx, bottom - backInset), pt(rx, top + backInset));
        return { first: n, last: n, term: false };
      }
    }
    const n = this.taskNode(t, bl.path, x, y, nodeW, nodeH, parent);
    return { first: n, last: n, term: n.kind === KindTerminate };
  }

  // joinNode adds the JOIN that closes a fork, or a synthetic one when the
  // definition has none.
  joinNode(bl: Block, fork: Node, cx: number, y: number, parent: Parent): Node {
    if (bl.join !== null) return this.taskNode(bl.join, bl.joinPath, cx - half(nodeW), y, nodeW, nodeH, parent);
    return this.node("$join:" + fork.id, KindJoin, cx - half(nodeW), y, nodeW, nodeH, parent);
  }

  // placeSplit places a SWITCH or a FORK_JOIN: its node, its lanes side by
  // side under it, and the merge dot or JOIN under them.
  placeSplit(bl: Block, x: number, y: number, parent: Parent): Placed {
    const cx = x + half(bl.w);
    const n = this.taskNode(bl.task, bl.path, cx - half(nodeW), y, nodeW, nodeH, parent);
    const top = y + nodeH + bus;
    const by = top + bl.lanesH + bus;
    let m: Node;
    let addKind = SlotBranch;
    let addPath = bl.path + "/forkTasks";
    if (bl.kind === BlockKind.Switch) {
      addKind = SlotCase;
      addPath = bl.path + "/decisionCases";
      m = this.node("$merge:" + n.id, KindMerge, cx - half(mergeD), by, mergeD, mergeD, parent);
    } else {
      m = this.joinNode(bl, n, cx, by, parent);
    }
    this.slot(addPath, addKind, cx + half(nodeW) + slotGap + slotR, y + half(nodeH));
    const upper = y + nodeH + half(bus);
    const lower = by - half(bus);
    let lx = x + half(bl.w - bl.lanesW);
    if (bl.lanes.length === 0) this.edge(n, m, EdgeFlow, pt(cx, y + nodeH), pt(cx, by));
    bl.lanes.forEach((l, i) => {
      const lcx = lx + half(l.w);
      const p = this.placeSeq(l, lx, top, parent);
      let e: Edge;
      if (p.first === null) {
        e = this.edge(n, m, EdgeFlow, pt(cx, y + nodeH), pt(cx, upper), pt(lcx, upper), pt(lcx, lower), pt(cx, lower), pt(cx, by));
      } else {
        e = this.edge(n, p.first, EdgeFlow, pt(cx, y + nodeH), pt(cx, upper), pt(lcx, upper), pt(lcx, p.first.y));
        const last = p.last as Node;
        if (!p.term) this.edge(last, m, EdgeFlow, pt(lcx, last.y + last.h), pt(lcx, lower), pt(cx, lower), pt(cx, by));
      }
      if (bl.kind === BlockKind.Switch) e.label = { text: bl.labels[i], x: lcx + labelDX, y: top + labelDY };
      lx += l.w + hGap;
    });
    return { first: n, last: m, term: false };
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
  const d: WorkflowDef = def || {};
  const g: Graph = { name: goString(d.name) } as Graph;
  const version = goInt(d.version);
  if (version !== 0) g.version = version;
  g.w = 0;
  g.h = 0;
  g.nodes = [];
  g.edges = [];
  g.slots = [];
  const b = new Builder(g);
  const s = newSeq(list(d.tasks), "/tasks", SlotEmpty);
  measureSeq(s);
  const inner = Math.max(s.w, termW);
  g.w = inner + 2 * margin;
  const cx = margin + half(inner);
  const start = b.node("$start", KindStart, cx - half(termW), margin, termW, termH, "");
  const p = b.placeSeq(s, cx - half(s.w), margin + termH, "");
  const end = b.node("$end", KindEnd, cx - half(termW), margin + termH + s.h, termW, termH, "");
  g.h = end.y + termH + margin;
  if (p.first === null) {
    b.edge(start, end, EdgeFlow, pt(cx, start.y + termH), pt(cx, end.y));
  } else {
    b.edge(start, p.first, EdgeFlow, pt(cx, start.y + termH), pt(cx, p.first.y));
    const last = p.last as Node;
    if (!p.term) b.edge(last, end, EdgeFlow, pt(cx, last.y + last.h), pt(cx, end.y));
  }
  return g;
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
