// The designer's document operations: inserting, removing, moving and
// duplicating tasks; setting and renaming members, adding and removing
// array elements and renaming a reference's uses (the inspector's edits);
// task templates and the clipboard.
// Each is a pure function of the definition's text that returns an Edit
// (edit.ts) against that text, or throws an Error whose message says what
// is wrong, so that every change the canvas, the palette or the inspector
// makes is one undoable step and the text outside its ranges stays byte for
// byte. Nothing here re-serialises a parsed value: what is copied (a pasted
// task, a moved block) is re-indented from its raw text, so large integers,
// escapes, unknown members and key order survive. New text takes the
// document's style: its indent unit and newlines, and one-line arrays and
// objects stay on one line.
//
// Pointers are JSON pointers (layout.ts's escapePointer). A slot is where
// layout.ts offers to insert: "<array>/<index>" inserts at that index of a
// task list (created when missing), "<switch>/decisionCases" adds a case,
// "<fork>/forkTasks" adds a branch. A block is what the canvas shows as one:
// a task, or a fork and the JOIN right after it.
//
// designer/ops_test.go runs these in goja over the fixtures and the engine's
// library and checks the results with the server's validator and layout.

import type { Change, Edit } from "./edit";
import { parse, JSONSyntaxError, type JNode } from "./jsontext";
import { escapePointer } from "./layout";

// Regular expressions are compiled once: goja compiles a literal each time
// it is evaluated, which costs more than the edit.
const spacedRe = /":\s/;
const indentRe = /\n([ \t]+)\S/g;
const countRe = /_\d+$/;
// refUseRe finds the task a ${...} expression reads: its source, the text
// up to the first ".", "[" or "}" (${ref.output.x}, ${ref['output']},
// ${ref.status}, ${ref}), as sdk/workflow/expr.go reads it. A "${" right
// after a "$" is the escape $${ of a literal "${", not an expression.
const refUseRe = /(?<!\$)\$\{([^.[{}$]+)(?=[.}[])/g;
const dollarRe = /\$\.([A-Za-z0-9_-]+)([.[])/g;
const refCharsRe = /[^A-Za-z0-9_-]+/g;
const edgeUnderscoresRe = /^_+|_+$/g;
const trailingUnderscoresRe = /_+$/;
const pluginTypeRe = /^[A-Z][A-Z0-9_]*$/;
const newlineRe = /\r?\n/g;
const regExpCharsRe = /[.*+?^${}()|[\]\\]/g;
const joinKeys = ["joinOn", "defaultExclusiveJoinTask"];

// isIndex reports whether a pointer token is an array index.
function isIndex(tok: string): boolean {
  if (tok === "" || (tok.length > 1 && tok[0] === "0")) return false;
  for (let i = 0; i < tok.length; i++) if (tok[i] < "0" || tok[i] > "9") return false;
  return true;
}

// ---- Reading the text ----

// Doc is a text parsed once, with its style.
class Doc {
  readonly root: JNode;
  readonly unit: string;
  readonly nl: string;
  readonly sp: string;

  constructor(readonly text: string, what = "the definition") {
    this.root = parseOrThrow(text, what);
    this.unit = indentUnit(text);
    this.nl = text.includes("\r\n") ? "\r\n" : "\n";
    // A text written without spaces after ':' keeps being so.
    this.sp = spacedRe.test(text) || !text.includes('":') ? " " : "";
  }

  // chain returns the nodes from the root down to ptr, as far as they
  // exist: chain(ptr).length - 1 tokens of ptr were found.
  chain(ptr: string): JNode[] {
    const out = [this.root];
    for (const tok of tokens(ptr)) {
      const c = child(out[out.length - 1], tok);
      if (!c) break;
      out.push(c);
    }
    return out;
  }

  // node returns the node at ptr, or undefined.
  node(ptr: string): JNode | undefined {
    const c = this.chain(ptr);
    return c.length - 1 === tokens(ptr).length ? c[c.length - 1] : undefined;
  }

  raw(n: JNode): string {
    return this.text.slice(n.from, n.to);
  }

  indentAt(pos: number): string {
    return indentAt(this.text, pos);
  }

  startsLine(pos: number): boolean {
    for (let i = pos - 1; i >= 0; i--) {
      const c = this.text[i];
      if (c === "\n") return true;
      if (c !== " " && c !== "\t") return false;
    }
    return true;
  }

  // compact reports whether new content of a container goes on one line:
  // when the container is on one line and, empty, so is its parent.
  compact(n: JNode, parent: JNode | undefined): boolean {
    if (this.raw(n).includes("\n")) return false;
    if (n.children.length > 0 || !parent) return true;
    return !this.raw(parent).includes("\n");
  }

  // childIndent is the indentation of a pretty container's children: that
  // of one that starts its line, else one unit more than the container's.
  childIndent(n: JNode): string {
    for (const c of n.children) if (this.startsLine(c.keyFrom)) return this.indentAt(c.keyFrom);
    return this.indentAt(n.from) + this.unit;
  }
}

// docOf returns the Doc of a text; the last few are kept, as the canvas
// asks about one text many times (every slot a drag passes over).
const recent: Doc[] = [];
function docOf(text: string, what?: string): Doc {
  const i = recent.findIndex((d) => d.text === text);
  if (i >= 0) {
    const d = recent[i];
    recent.splice(i, 1);
    recent.unshift(d);
    return d;
  }
  const d = new Doc(text, what);
  recent.unshift(d);
  if (recent.length > 4) recent.pop();
  return d;
}

function parseOrThrow(text: string, what: string): JNode {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof JSONSyntaxError) throw new Error(`${what} is not valid JSON (${e.message} at offset ${e.pos}); fix it first`);
    throw e;
  }
}

// indentUnit is the smallest indentation of the text's lines, two spaces
// when no line is indented.
function indentUnit(text: string): string {
  let unit = "";
  const re = indentRe;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(text)) !== null && n++ < 200) {
    if (unit === "" || m[1].length < unit.length) unit = m[1];
  }
  if (unit === "") return "  ";
  return unit[0] === "\t" ? "\t" : unit;
}

// indentAt is the leading white space of the line of text holding pos.
export function indentAt(text: string, pos: number): string {
  const s = text.lastIndexOf("\n", pos - 1) + 1;
  let e = s;
  while (e < pos && (text[e] === " " || text[e] === "\t")) e++;
  return text.slice(s, e);
}

// dedent is how setMember (typed) takes a multi-line value back: raw, the
// value's text on a line indented by indent, with its later lines relative
// to its first, as the inspector shows it to be edited.
export function dedent(raw: string, indent: string): string {
  return indent === "" ? raw : raw.split("\n" + indent).join("\n");
}

// tokens are a JSON pointer's reference tokens, unescaped.
export function tokens(ptr: string): string[] {
  if (ptr === "") return [];
  if (ptr[0] !== "/") throw new Error(`${JSON.stringify(ptr)} is not a JSON pointer: it must start with /`);
  return ptr
    .slice(1)
    .split("/")
    .map((t) => t.split("~1").join("/").split("~0").join("~"));
}

export function parentPointer(ptr: string): string {
  return ptr.slice(0, ptr.lastIndexOf("/"));
}

// lastToken is the member name or index a pointer ends in, unescaped.
export function lastToken(ptr: string): string {
  return tokens(ptr).pop() ?? "";
}

// child is an object's member (the last of repeated names, as JSON.parse
// keeps) or an array's element.
function child(n: JNode, tok: string): JNode | undefined {
  if (n.kind === "object") {
    for (let i = n.children.length - 1; i >= 0; i--) if (n.children[i].key === tok) return n.children[i];
    return undefined;
  }
  if (n.kind === "array" && isIndex(tok)) return n.children[Number(tok)];
  return undefined;
}

function member(n: JNode | undefined, key: string): JNode | undefined {
  return n && n.kind === "object" ? child(n, key) : undefined;
}

function memberStr(n: JNode | undefined, key: string): string {
  const m = member(n, key);
  return m && m.kind === "string" ? (m.str as string) : "";
}

function taskType(t: JNode | undefined): string {
  return memberStr(t, "type") || "SIMPLE";
}

const forkTypes = ["FORK_JOIN", "FORK", "FORK_JOIN_DYNAMIC"];

// taskLists calls fn for every task list nested in a task: SWITCH cases and
// default, FORK branches, a DO_WHILE's body.
function taskLists(t: JNode, fn: (list: JNode) => void) {
  if (t.kind !== "object") return;
  const dc = member(t, "decisionCases");
  if (dc && dc.kind === "object") for (const c of dc.children) if (c.kind === "array") fn(c);
  for (const key of ["defaultCase", "loopOver"]) {
    const l = member(t, key);
    if (l && l.kind === "array") fn(l);
  }
  const ft = member(t, "forkTasks");
  if (ft && ft.kind === "array") for (const b of ft.children) if (b.kind === "array") fn(b);
}

// eachTask calls fn for every task of a list and of the lists nested in it.
function eachTask(list: JNode, fn: (t: JNode) => void) {
  for (const t of list.children) {
    if (t.kind !== "object") continue;
    fn(t);
    taskLists(t, (l) => eachTask(l, fn));
  }
}

// docRefs are the reference names the definition's tasks use.
function docRefs(d: Doc): Set<string> {
  const used = new Set<string>(["workflow"]);
  const tasks = member(d.root, "tasks");
  if (tasks && tasks.kind === "array") {
    eachTask(tasks, (t) => {
      const r = memberStr(t, "taskReferenceName");
      if (r) used.add(r);
    });
  }
  return used;
}

// ---- Writing new text ----

// Out is a value to write: raw JSON text (a scalar, copied as it was; or,
// typed, JSON text as a person wrote it, its later lines indented relative
// to the line it goes on), or an object or array whose members are written
// in the style of where it goes. Object keys are raw JSON strings.
type Out = { raw: string; typed?: boolean } | { members: [string, Out][] } | { items: Out[] };

function raw(s: string): Out {
  return { raw: s };
}

function toOut(d: Doc, n: JNode, str?: (n: JNode) => string): Out {
  switch (n.kind) {
    case "object":
      return { members: n.children.map((c) => [d.text.slice(c.keyFrom, c.keyTo), toOut(d, c, str)] as [string, Out]) };
    case "array":
      return { items: n.children.map((c) => toOut(d, c, str)) };
    case "string":
      return raw(str ? str(n) : d.raw(n));
  }
  return raw(d.raw(n));
}

// write writes a value whose first line starts at indentation ind (after
// the indentation), on one line when compact.
function write(d: Doc, o: Out, ind: string, compact: boolean): string {
  if ("raw" in o) return o.typed ? o.raw.replace(newlineRe, d.nl + ind) : o.raw;
  const inner = ind + d.unit;
  if ("members" in o) {
    if (o.members.length === 0) return "{}";
    if (compact) return "{" + o.members.map(([k, v]) => k + ":" + d.sp + write(d, v, "", true)).join("," + d.sp) + "}";
    const body = o.members.map(([k, v]) => inner + k + ": " + write(d, v, inner, false));
    return "{" + d.nl + body.join("," + d.nl) + d.nl + ind + "}";
  }
  if (o.items.length === 0) return "[]";
  if (compact) return "[" + o.items.map((i) => write(d, i, "", true)).join("," + d.sp) + "]";
  // Short lists of scalars and empty lists (joinOn, items, a fork's new
  // branches) read best on one line.
  if (o.items.every((i) => "raw" in i || ("items" in i ? i.items : i.members).length === 0)) {
    const line = "[" + o.items.map((i) => write(d, i, "", true)).join(", ") + "]";
    if (line.length < 64) return line;
  }
  return "[" + d.nl + o.items.map((i) => inner + write(d, i, inner, false)).join("," + d.nl) + d.nl + ind + "]";
}

// insertAt inserts entries into a container (an array, or an object with
// entries as [key, value] pairs) before its index-th child.
function insertAt(d: Doc, n: JNode, parent: JNode | undefined, index: number, entries: (Out | [string, Out])[]): Change {
  const compact = d.compact(n, parent);
  const one = (e: Out | [string, Out], ind: string) =>
    Array.isArray(e) ? e[0] + ":" + (compact ? d.sp : " ") + write(d, e[1], ind, compact) : write(d, e, ind, compact);
  const kids = n.children;
  if (kids.length === 0) {
    if (compact) return { from: n.from + 1, to: n.to - 1, insert: entries.map((e) => one(e, "")).join("," + d.sp) };
    const close = d.indentAt(n.from);
    const ind = close + d.unit;
    return { from: n.from + 1, to: n.to - 1, insert: d.nl + ind + entries.map((e) => one(e, ind)).join("," + d.nl + ind) + d.nl + close };
  }
  const ind = compact ? "" : d.childIndent(n);
  const sep = compact ? "," + d.sp : "," + d.nl + ind;
  const body = entries.map((e) => one(e, ind)).join(sep);
  if (index < kids.length) return { from: kids[index].keyFrom, to: kids[index].keyFrom, insert: body + sep };
  const end = kids[kids.length - 1].to;
  return { from: end, to: end, insert: sep + body };
}

// removeAt removes the children [i, j) of a container with their commas.
function removeAt(n: JNode, i: number, j: number): Change {
  const kids = n.children;
  if (j < kids.length) return { from: kids[i].keyFrom, to: kids[j].keyFrom, insert: "" };
  if (i > 0) return { from: kids[i - 1].to, to: kids[j - 1].to, insert: "" };
  return { from: n.from + 1, to: n.to - 1, insert: "" };
}

// setAt sets the value at ptr, creating the objects on the way that do not
// exist yet (or are null).
function setAt(d: Doc, ptr: string, o: Out): Change {
  const toks = tokens(ptr);
  if (toks.length === 0) throw new Error("cannot replace the whole definition with an edit of a member");
  const chain = d.chain(ptr);
  const k = chain.length - 1; // tokens found
  if (k === toks.length) {
    const n = chain[k];
    return { from: n.from, to: n.to, insert: write(d, o, d.indentAt(n.keyFrom), !d.raw(chain[k - 1]).includes("\n")) };
  }
  // Wrap the value in the objects that are missing below chain[k].
  let v = o;
  for (let i = toks.length - 1; i > k; i--) v = { members: [[JSON.stringify(toks[i]), v]] };
  const cur = chain[k];
  if (cur.kind === "object") return insertAt(d, cur, chain[k - 1], cur.children.length, [[JSON.stringify(toks[k]), v]]);
  if (cur.kind === "null" && k > 0) return setAt(d, "/" + toks.slice(0, k).map(escapePointer).join("/"), { members: [[JSON.stringify(toks[k]), v]] });
  const at = "/" + toks.slice(0, k).map(escapePointer).join("/");
  throw new Error(`cannot set ${ptr}: ${k === 0 ? "the definition" : at} is ${describe(cur)}, not an object`);
}

function describe(n: JNode): string {
  return n.kind === "array" ? "an array" : n.kind === "object" ? "an object" : n.kind === "string" ? "a string" : n.kind === "number" ? "a number" : n.kind;
}

// ---- Reference names ----

// uniqueRef is ref made unique against used: ref_2, ref_3... (a ref that
// already ends in _N counts up from its base), at most 128 characters and
// never ending in __N, which names a loop's iterations: the base loses its
// trailing underscores, also where the 128-character cut leaves some.
function uniqueRef(ref: string, used: Set<string>): string {
  let base = ref.replace(countRe, "").replace(trailingUnderscoresRe, "");
  if (base === "") base = ref.replace(trailingUnderscoresRe, "") || "task";
  for (let n = 2; ; n++) {
    const suffix = "_" + n;
    const cand = base.slice(0, 128 - suffix.length).replace(trailingUnderscoresRe, "") + suffix;
    if (!used.has(cand)) return cand;
  }
}

// refUses calls fn with the offset and source of every ${...} expression
// in a string's raw JSON text (refUseRe): the one reading of a string's
// reference names that pasting (Renamer) and renaming (renameRefUses)
// share.
function refUses(raw: string, fn: (at: number, ref: string) => void) {
  for (const m of raw.matchAll(refUseRe)) fn((m.index as number) + 2, m[1]);
}

// Renamer makes the reference names of tasks to insert unique against a
// document and rewrites the references to the renamed ones inside them.
class Renamer {
  // names are the new reference names by their string node.
  private readonly names = new Map<JNode, string>();
  // refs maps an old name to its new one, for references.
  private readonly refs = new Map<string, string>();

  constructor(private readonly d: Doc, tasks: JNode[], used: Set<string>) {
    const seen = new Set<string>();
    const visit = (t: JNode) => {
      const r = member(t, "taskReferenceName");
      if (!r || r.kind !== "string" || r.str === "") return;
      const old = r.str as string;
      if (used.has(old)) {
        const name = uniqueRef(old, used);
        this.names.set(r, name);
        // ${workflow...} reads the workflow, whatever a task is called.
        if (!seen.has(old) && old !== "workflow") this.refs.set(old, name);
        used.add(name);
      } else used.add(old);
      seen.add(old);
    };
    for (const t of tasks) {
      visit(t);
      taskLists(t, (l) => eachTask(l, visit));
    }
  }

  // task writes a task with its new names.
  task(t: JNode): Out {
    const d = this.d;
    if (t.kind !== "object") return toOut(d, t, (s) => this.exprs(s));
    const typ = taskType(t);
    const members: [string, Out][] = t.children.map((c) => {
      const key = d.text.slice(c.keyFrom, c.keyTo);
      const name = this.names.get(c);
      if (name !== undefined) return [key, raw(JSON.stringify(name))];
      switch (c.key) {
        case "decisionCases":
          if (c.kind === "object") return [key, { members: c.children.map((cc) => [d.text.slice(cc.keyFrom, cc.keyTo), this.list(cc)] as [string, Out]) }];
          break;
        case "defaultCase":
        case "loopOver":
          return [key, this.list(c)];
        case "forkTasks":
          if (c.kind === "array") return [key, { items: c.children.map((b) => this.list(b)) }];
          break;
        case "joinOn":
        case "defaultExclusiveJoinTask":
          if ((typ === "JOIN" || typ === "EXCLUSIVE_JOIN") && c.kind === "array") {
            return [key, { items: c.children.map((e) => (e.kind === "string" && this.refs.has(e.str as string) ? raw(JSON.stringify(this.refs.get(e.str as string))) : toOut(d, e))) }];
          }
          break;
        case "loopCondition":
          if (typ === "DO_WHILE" && c.kind === "string") return [key, raw(this.dollars(this.exprs(c)))];
          break;
      }
      return [key, toOut(d, c, (s) => this.exprs(s))];
    });
    return { members };
  }

  list(l: JNode): Out {
    return l.kind === "array" ? { items: l.children.map((t) => this.task(t)) } : toOut(this.d, l, (s) => this.exprs(s));
  }

  // exprs rewrites the ${ref...} expressions (refUses) of a string's raw
  // text (reference names need no escaping).
  private exprs(s: JNode): string {
    const text = this.d.raw(s);
    if (this.refs.size === 0) return text;
    let out = "";
    let last = 0;
    refUses(text, (at, ref) => {
      const neu = this.refs.get(ref);
      if (neu === undefined) return;
      out += text.slice(last, at) + neu;
      last = at + ref.length;
    });
    return out + text.slice(last);
  }

  // dollars rewrites $.ref. and $.ref[ in a DO_WHILE's loop condition,
  // where $ holds the loop's tasks by reference name. Elsewhere (INLINE and
  // SWITCH scripts) $ is only the task's input (the engine's systask.go),
  // so $.name there is an input parameter and stays.
  private dollars(text: string): string {
    if (this.refs.size === 0) return text;
    return text.replace(dollarRe, (m, ref: string, rest: string) => (this.refs.has(ref) ? "$." + this.refs.get(ref) + rest : m));
  }
}

// tasksOf reads tasks JSON: one task object or an array of them.
function tasksOf(d: Doc): JNode[] {
  const r = d.root;
  const list = r.kind === "array" ? r.children : [r];
  if (list.length === 0) throw new Error("there are no tasks to insert");
  for (const t of list) if (t.kind !== "object") throw new Error(`a task is a JSON object, not ${describe(t)}`);
  return list;
}

// ---- Slots and blocks ----

// place inserts task values at a slot and returns the change and the
// pointer of the first one.
function place(d: Doc, slot: string, tasks: Out[]): { change: Change; select: string } {
  const last = lastToken(slot);
  const owner = parentPointer(slot);
  if (last === "decisionCases" || last === "forkTasks") {
    const t = d.node(owner);
    if (!t || t.kind !== "object") throw new Error(`there is no task at ${owner} to add a ${last === "forkTasks" ? "branch" : "case"} to`);
    const m = member(t, last);
    if (last === "decisionCases") {
      const keys = new Set(m && m.kind === "object" ? m.children.map((c) => c.key) : []);
      let n = 1;
      while (keys.has("case_" + n)) n++;
      const name = "case_" + n;
      return { change: setAt(d, slot + "/" + escapePointer(name), { items: tasks }), select: slot + "/" + escapePointer(name) + "/0" };
    }
    if (m && m.kind === "array") {
      return { change: insertAt(d, m, t, m.children.length, [{ items: tasks }]), select: slot + "/" + m.children.length + "/0" };
    }
    return { change: setAt(d, slot, { items: [{ items: tasks }] }), select: slot + "/0/0" };
  }
  if (!isIndex(last)) throw new Error(`${JSON.stringify(slot)} is not a slot: it ends in an index, /decisionCases or /forkTasks`);
  const index = Number(last);
  const chain = d.chain(owner);
  const arr = chain.length - 1 === tokens(owner).length ? chain[chain.length - 1] : undefined;
  if (arr && arr.kind === "array") {
    if (index > arr.children.length) throw new Error(`${owner} has ${arr.children.length} tasks: cannot insert at ${index}`);
    return { change: insertAt(d, arr, chain[chain.length - 2], index, tasks), select: slot };
  }
  if (arr && arr.kind !== "null") throw new Error(`${owner} is ${describe(arr)}, not a list of tasks`);
  if (index !== 0) throw new Error(`${owner} has no tasks yet: insert at ${owner}/0`);
  return { change: setAt(d, owner, { items: tasks }), select: slot };
}

// Block is a task of a list, with the JOIN of a fork.
interface Block {
  list: JNode;
  listPtr: string;
  index: number;
  n: number;
}

// blockOf finds the block of the task at ptr: a fork and the JOIN after it
// are one block, from either.
function blockOf(d: Doc, ptr: string): Block {
  const listPtr = parentPointer(ptr);
  const list = d.node(listPtr);
  const idx = lastToken(ptr);
  if (ptr === "" || !list || list.kind !== "array" || !isIndex(idx) || Number(idx) >= list.children.length) {
    throw new Error(`there is no task at ${ptr || "the top"}`);
  }
  let index = Number(idx);
  const t = list.children[index];
  if (t.kind !== "object") throw new Error(`${ptr} is ${describe(t)}, not a task`);
  const isFork = (n: JNode | undefined) => n !== undefined && n.kind === "object" && forkTypes.includes(taskType(n));
  const isJoin = (n: JNode | undefined) => n !== undefined && n.kind === "object" && taskType(n) === "JOIN";
  if (isJoin(t) && isFork(list.children[index - 1])) index--;
  const n = isFork(list.children[index]) && isJoin(list.children[index + 1]) ? 2 : 1;
  return { list, listPtr, index, n };
}

function blockTasks(b: Block): JNode[] {
  return b.list.children.slice(b.index, b.index + b.n);
}

// shifted is a pointer of the text before the removal of b as it reads
// after it: later tasks of b's list move up by b.n.
function shifted(ptr: string, b: Block): string {
  const pre = b.listPtr + "/";
  if (!ptr.startsWith(pre)) return ptr;
  const rest = ptr.slice(pre.length);
  const cut = rest.indexOf("/");
  const i = Number(cut < 0 ? rest : rest.slice(0, cut));
  if (!(i >= b.index + b.n)) return ptr;
  return pre + (i - b.n) + (cut < 0 ? "" : rest.slice(cut));
}

// taskPointer is the pointer of the task that ptr is in (or is), "" when
// it is in none.
function taskPointer(ptr: string): string {
  const toks = tokens(ptr);
  let out = "";
  let cur = "";
  let i = 0;
  const idx = (t: string | undefined) => t !== undefined && isIndex(t);
  if (toks[0] !== "tasks" || !idx(toks[1])) return "";
  cur = "/tasks/" + toks[1];
  out = cur;
  i = 2;
  for (;;) {
    const k = toks[i];
    if ((k === "decisionCases" || k === "forkTasks") && toks[i + 1] !== undefined && idx(toks[i + 2])) {
      cur += "/" + k + "/" + escapePointer(toks[i + 1]) + "/" + toks[i + 2];
      i += 3;
    } else if ((k === "defaultCase" || k === "loopOver") && idx(toks[i + 1])) {
      cur += "/" + k + "/" + toks[i + 1];
      i += 2;
    } else return out;
    out = cur;
  }
}

// ---- The operations ----

// insertTasks inserts tasks (JSON text of a task or an array of tasks) at
// a slot. Their reference names, nested ones too, are made unique against
// the definition and each other (ref_2, ref_3...), and the references to a
// renamed task inside them follow: ${ref.output...} and ${ref.input...} in
// any string, $.ref in a DO_WHILE's loopCondition and in INLINE and SWITCH
// scripts, JOIN joinOn entries. The edit selects the first inserted task.
export function insertTasks(text: string, slot: string, tasks: string): Edit {
  const d = docOf(text);
  const src = docOf(tasks, "the text of the tasks");
  const list = tasksOf(src);
  const r = new Renamer(src, list, docRefs(d));
  const p = place(d, slot, list.map((t) => r.task(t)));
  return { changes: [p.change], select: p.select };
}

// removeTask removes the block of the task at pointer: the task, or a fork
// and its JOIN. An emptied SWITCH case or branch stays, empty.
export function removeTask(text: string, pointer: string): Edit {
  const d = docOf(text);
  const b = blockOf(d, pointer);
  return { changes: [removeAt(b.list, b.index, b.index + b.n)] };
}

// moveTask moves the block of the task at from to a slot, in one edit; its
// reference names stay. A slot inside the block is refused.
export function moveTask(text: string, from: string, slot: string): Edit {
  const d = docOf(text);
  const b = blockOf(d, from);
  const first = b.listPtr + "/" + b.index;
  // target is the list or the task the slot is in.
  const target = parentPointer(slot);
  const last = lastToken(slot);
  for (let i = 0; i < b.n; i++) {
    const p = b.listPtr + "/" + (b.index + i);
    if (target === p || target.startsWith(p + "/")) throw new Error("cannot move a task into itself");
  }
  if (isIndex(last) && target === b.listPtr) {
    const to = Number(last);
    if (to >= b.index && to <= b.index + b.n) return { changes: [], select: first };
  }
  const tasks = blockTasks(b).map((t) => toOut(d, t));
  const p = place(d, slot, tasks);
  const cut = removeAt(b.list, b.index, b.index + b.n);
  const changes = [cut, p.change].sort((x, y) => x.from - y.from || x.to - y.to);
  if (changes[0].to > changes[1].from) throw new Error("cannot move the task there: the edits overlap");
  return { changes, select: shifted(p.select, b) };
}

// duplicateTask copies the block of the task at pointer right after it,
// with unique reference names, and selects the copy.
export function duplicateTask(text: string, pointer: string): Edit {
  const d = docOf(text);
  const b = blockOf(d, pointer);
  return insertTasks(text, b.listPtr + "/" + (b.index + b.n), blockText(text, pointer));
}

// blockText is the block of the task at pointer as a JSON array of its raw
// tasks' text (for the clipboard).
export function blockText(text: string, pointer: string): string {
  const d = docOf(text);
  return "[" + blockTasks(blockOf(d, pointer)).map((t) => d.raw(t)).join(", ") + "]";
}

// setMember sets (or, value undefined, removes) the member key of the
// object at objectPointer (or the element key of an array) to the raw JSON
// text value: replaced where it is, added at the end of the object, with
// the objects on the way created when missing (/tasks/2/inputParameters).
// The value is written in the document's style; typed, it is written as a
// person typed it (the inspector's JSON fields), its later lines indented
// under the line it goes on. The edit selects the task the object is in, so
// the inspector keeps its task.
export function setMember(text: string, objectPointer: string, key: string, value: string | undefined, typed = false): Edit {
  const d = docOf(text);
  const select = taskPointer(objectPointer);
  const ptr = objectPointer + "/" + escapePointer(key);
  if (value === undefined) {
    const chain = d.chain(ptr);
    if (chain.length - 1 !== tokens(ptr).length) return { changes: [], select };
    const obj = chain[chain.length - 2];
    if (obj.kind !== "object") throw new Error(`${objectPointer || "the definition"} is ${describe(obj)}, not an object`);
    const i = obj.children.lastIndexOf(chain[chain.length - 1]);
    return { changes: [removeAt(obj, i, i + 1)], select };
  }
  const v = new Doc(value, `the value of ${key}`);
  return { changes: [setAt(d, ptr, typed ? { raw: value.trim(), typed } : toOut(v, v.root))], select };
}

// appendElement adds the raw JSON text value at the end of the array at
// arrayPointer (a fork's branch, a JOIN's joinOn name), written like the
// elements before it; a missing or null array is created holding it.
export function appendElement(text: string, arrayPointer: string, value: string): Edit {
  const d = docOf(text);
  const v = new Doc(value, "the new element");
  const chain = d.chain(arrayPointer);
  const arr = chain.length - 1 === tokens(arrayPointer).length ? chain[chain.length - 1] : undefined;
  const select = taskPointer(arrayPointer);
  if (!arr || arr.kind === "null") return { changes: [setAt(d, arrayPointer, { items: [toOut(v, v.root)] })], select };
  if (arr.kind !== "array") throw new Error(`${arrayPointer || "the definition"} is ${describe(arr)}, not an array: edit it in the JSON`);
  return { changes: [insertAt(d, arr, chain[chain.length - 2], arr.children.length, [toOut(v, v.root)])], select };
}

// removeElement removes the element index of the array at arrayPointer
// with its comma; an element that is not there changes nothing.
export function removeElement(text: string, arrayPointer: string, index: number): Edit {
  const d = docOf(text);
  const arr = d.node(arrayPointer);
  const select = taskPointer(arrayPointer);
  if (!arr || arr.kind !== "array" || !(index >= 0 && index < arr.children.length)) return { changes: [], select };
  return { changes: [removeAt(arr, index, index + 1)], select };
}

// renameMember renames a member of the object at objectPointer (a SWITCH
// case), keeping its place and value.
export function renameMember(text: string, objectPointer: string, oldKey: string, newKey: string): Edit {
  const d = docOf(text);
  const obj = d.node(objectPointer);
  if (!obj || obj.kind !== "object") throw new Error(`there is no object at ${objectPointer || "the top"}`);
  const m = child(obj, oldKey);
  if (!m) throw new Error(`${objectPointer} has no member ${JSON.stringify(oldKey)}`);
  const select = taskPointer(objectPointer);
  if (oldKey === newKey) return { changes: [], select };
  if (child(obj, newKey)) throw new Error(`${objectPointer} already has a member ${JSON.stringify(newKey)}; pick another name`);
  return { changes: [{ from: m.keyFrom, to: m.keyTo, insert: JSON.stringify(newKey) }], select };
}

// renameRefUses rewrites the uses of the task reference name old in the
// definition's strings to neu: ${old...} expressions (refUses), $.old in
// loop conditions too (elsewhere, in a script, $.name is an input
// parameter), and old as a name a JOIN waits on. The reference name itself
// is not changed: that is the caller's own edit. ${workflow...} reads the
// workflow whatever a task is called, so old "workflow" changes nothing.
export function renameRefUses(text: string, old: string, neu: string): Edit {
  const d = docOf(text);
  if (old === "workflow" || old === neu) return { changes: [] };
  const dollar = new RegExp("(?<!\\$)\\$\\." + old.replace(regExpCharsRe, "\\$&") + "(?=[.\\[])", "g");
  const changes: Change[] = [];
  const visit = (n: JNode, key: string | undefined, inJoin: boolean) => {
    if (n.kind === "object" || n.kind === "array") {
      for (const c of n.children) visit(c, c.key, n.kind === "array" && key !== undefined && joinKeys.includes(key));
      return;
    }
    if (n.kind !== "string") return;
    if (inJoin && n.str === old) {
      changes.push({ from: n.from, to: n.to, insert: JSON.stringify(neu) });
      return;
    }
    const raw = d.raw(n);
    const at: number[] = [];
    refUses(raw, (i, ref) => {
      if (ref === old) at.push(i);
    });
    if (key === "loopCondition") for (const m of raw.matchAll(dollar)) at.push((m.index as number) + 2);
    at.sort((x, y) => x - y);
    for (const i of at) changes.push({ from: n.from + i, to: n.from + i + old.length, insert: neu });
  };
  visit(d.root, undefined, false);
  return { changes };
}

// ---- Templates ----

// PaletteType is a task type the palette offers. needs says what a
// template of it must be given: the name of a task definition (opts.name)
// or of a workflow (opts.name).
export interface PaletteType {
  type: string;
  label: string;
  description: string;
  group: "worker" | "system" | "operator";
  needs?: "taskDef" | "workflow";
}

export const paletteTypes: PaletteType[] = [
  { type: "SIMPLE", label: "Worker task", description: "Runs a task definition's name on an external worker that polls for it", group: "worker", needs: "taskDef" },
  { type: "HTTP", label: "HTTP", description: "Calls an HTTP endpoint and outputs the response", group: "system" },
  { type: "INLINE", label: "Inline script", description: "Evaluates a JavaScript expression over its input", group: "system" },
  { type: "JSON_JQ_TRANSFORM", label: "JQ transform", description: "Transforms its input with a jq query", group: "system" },
  { type: "WAIT", label: "Wait", description: "Waits for a duration, until a time, or until completed through the API", group: "system" },
  { type: "HUMAN", label: "Human", description: "Waits until a person completes it through the API", group: "system" },
  { type: "EVENT", label: "Event", description: "Publishes its input as an event that event handlers act on", group: "system" },
  { type: "NOOP", label: "No-op", description: "Does nothing; a placeholder", group: "system" },
  { type: "SWITCH", label: "Switch", description: "Runs the case its expression selects, or the default case", group: "operator" },
  { type: "FORK_JOIN", label: "Fork / join", description: "Runs branches in parallel, then joins them", group: "operator" },
  { type: "DO_WHILE", label: "Do while", description: "Runs its body again while its loop condition holds", group: "operator" },
  { type: "DYNAMIC", label: "Dynamic", description: "Runs the task its input names", group: "operator" },
  { type: "FORK_JOIN_DYNAMIC", label: "Dynamic fork", description: "Forks one branch per item of its input, then joins them", group: "operator" },
  { type: "SET_VARIABLE", label: "Set variable", description: "Sets workflow variables, read as ${workflow.variables.name}", group: "operator" },
  { type: "SUB_WORKFLOW", label: "Sub-workflow", description: "Runs another workflow and waits for it", group: "operator", needs: "workflow" },
  { type: "START_WORKFLOW", label: "Start workflow", description: "Starts another workflow without waiting for it", group: "operator", needs: "workflow" },
  { type: "TERMINATE", label: "Terminate", description: "Ends the workflow with a status", group: "operator" },
];

export interface TemplateOptions {
  // name is the task definition of a SIMPLE task, the workflow of a
  // SUB_WORKFLOW or START_WORKFLOW.
  name?: string;
  // type is a plugin's task type, as its manifest declares it, when the
  // template's type is "PLUGIN".
  type?: string;
}

// refOf makes a reference name from a name: its letters, digits, _ and -.
function refOf(name: string, fallback: string): string {
  const r = name.replace(refCharsRe, "_").replace(edgeUnderscoresRe, "").slice(0, 100);
  return r === "" || r === "workflow" ? fallback : r;
}

function need(type: string, opts: TemplateOptions, what: string): string {
  const n = (opts.name || "").trim();
  if (n === "") throw new Error(`a ${type} task needs the name of ${what}`);
  return n;
}

// taskTemplate is the JSON text (an array: a block) of a new task of a
// type the palette offers, or of a plugin's task type (type "PLUGIN" with
// opts.type). Each is valid as it is and runs without further input; its
// reference names derive from the type and are made unique on insertion.
export function taskTemplate(type: string, opts: TemplateOptions = {}): string {
  const task = (name: string, ref: string, typ: string, rest: object = {}) => ({ name, taskReferenceName: ref, type: typ, ...rest });
  let tasks: object[];
  switch (type) {
    case "SIMPLE": {
      const name = need(type, opts, "a task definition");
      tasks = [task(name, refOf(name, "task"), "SIMPLE", { inputParameters: {} })];
      break;
    }
    case "HTTP":
      tasks = [task("http", "http", type, { inputParameters: { http_request: { uri: "https://example.com", method: "GET" } } })];
      break;
    case "INLINE":
      tasks = [task("inline", "inline", type, { inputParameters: { evaluatorType: "graaljs", expression: "(function () { return $.value * 2; })();", value: 21 } })];
      break;
    case "JSON_JQ_TRANSFORM":
      tasks = [task("jq", "jq", type, { inputParameters: { queryExpression: ".items | map(. * 2)", items: [1, 2, 3] } })];
      break;
    case "SET_VARIABLE":
      tasks = [task("set_variable", "set_variable", type, { inputParameters: { myVariable: "value" } })];
      break;
    case "WAIT":
      tasks = [task("wait", "wait", type, { inputParameters: { duration: "5s" } })];
      break;
    case "HUMAN":
      tasks = [task("human", "human", type, { inputParameters: {} })];
      break;
    case "TERMINATE":
      tasks = [task("terminate", "terminate", type, { inputParameters: { terminationStatus: "COMPLETED" } })];
      break;
    case "EVENT":
      tasks = [task("event", "event", type, { sink: "conductor", inputParameters: {} })];
      break;
    case "NOOP":
      tasks = [task("noop", "noop", type)];
      break;
    case "SWITCH":
      tasks = [
        task("switch", "switch", type, {
          evaluatorType: "value-param",
          expression: "switchCaseValue",
          inputParameters: { switchCaseValue: "${workflow.input.case}" },
          decisionCases: { case_1: [] },
          defaultCase: [],
        }),
      ];
      break;
    case "FORK_JOIN":
      // An empty joinOn makes the JOIN wait for the last task of each
      // branch (the engine's rule), which stays right as tasks are added.
      tasks = [task("fork", "fork", type, { forkTasks: [[], []] }), task("join", "join", "JOIN", { joinOn: [] })];
      break;
    case "DO_WHILE":
      // The validator wants a body; a NOOP holds the place.
      tasks = [
        task("loop", "loop", type, {
          loopCondition: "if ($.loop['iteration'] < 3) { true; } else { false; }",
          loopOver: [task("noop", "loop_body", "NOOP")],
        }),
      ];
      break;
    case "DYNAMIC":
      tasks = [task("dynamic", "dynamic", type, { dynamicTaskNameParam: "taskToExecute", inputParameters: { taskToExecute: "NOOP" } })];
      break;
    case "FORK_JOIN_DYNAMIC":
      tasks = [
        task("dynamic_fork", "dynamic_fork", type, { inputParameters: { forkTaskName: "noop", forkTaskType: "NOOP", forkTaskInputs: [{ n: 1 }, { n: 2 }] } }),
        task("dynamic_join", "dynamic_join", "JOIN"),
      ];
      break;
    case "SUB_WORKFLOW": {
      const name = need(type, opts, "a workflow");
      tasks = [task(name, refOf(name, "sub_workflow"), type, { subWorkflowParam: { name } })];
      break;
    }
    case "START_WORKFLOW": {
      const name = need(type, opts, "a workflow");
      tasks = [task("start_" + name, refOf("start_" + name, "start_workflow"), type, { inputParameters: { startWorkflow: { name, input: {} } } })];
      break;
    }
    case "PLUGIN": {
      const typ = (opts.type || "").trim();
      if (!pluginTypeRe.test(typ)) throw new Error(`${JSON.stringify(typ)} is not a plugin task type: those are upper case letters, digits and _`);
      const ref = typ.toLowerCase();
      tasks = [task(ref, ref, typ, { inputParameters: {} })];
      break;
    }
    default:
      throw new Error(`the palette has no ${JSON.stringify(type)} task`);
  }
  return JSON.stringify(tasks, null, 2);
}

// ---- The clipboard ----

// clipboardPayload wraps a block's text (blockText) as what the designer
// copies: {"batonClipboard":1,"tasks":[...]}, its raw tasks inside.
export function clipboardPayload(block: string): string {
  return '{"batonClipboard":1,"tasks":' + block + "}";
}

// pastePayload reads what a person may paste as tasks to insert: the
// designer's clipboard payload, a workflow definition (its tasks), an
// array of tasks or one task. It returns their raw JSON text, or null when
// the text is not tasks.
export function pastePayload(clipboardText: string): string | null {
  let root: JNode;
  try {
    root = parse(clipboardText);
  } catch {
    return null;
  }
  const isTask = (n: JNode) =>
    n.kind === "object" && ["taskReferenceName", "type"].some((k) => member(n, k)?.kind === "string") && !member(n, "tasks");
  const list = (n: JNode | undefined) =>
    n && n.kind === "array" && n.children.length > 0 && n.children.every(isTask) ? clipboardText.slice(n.from, n.to) : null;
  if (root.kind === "array") return list(root);
  if (root.kind !== "object") return null;
  if (member(root, "batonClipboard")) return list(member(root, "tasks"));
  if (member(root, "tasks")) return list(member(root, "tasks"));
  return isTask(root) ? clipboardText.slice(root.from, root.to) : null;
}
