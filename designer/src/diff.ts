// The structural diff the designer shows before it saves: between the
// version opened and the text now, which tasks were added, removed,
// changed (and in which members) or moved, and which of the workflow's own
// members changed. Tasks are matched by taskReferenceName, so a task that
// moved into a SWITCH case is the same task at another pointer, not a
// removal and an addition. Values are compared as JSON, not as text:
// whitespace and key order are not changes, and numbers are compared by
// their digits (9007199254740993 and ...992 differ, as they do for the
// server).

import { type JNode, parse as parseJSON } from "./jsontext";
import { escapePointer } from "./layout";

// TaskRef is one task of a definition: its reference name, type and JSON
// pointer (in the text after the change; for a removed task, before it).
export interface TaskRef {
  ref: string;
  type: string;
  path: string;
}

// ChangedTask is a task in both texts whose members differ: members are
// their names, a nested object's member as "inputParameters.url".
export interface ChangedTask extends TaskRef {
  members: string[];
}

// MovedTask is a task in both texts that is in another list, or at
// another place among the tasks its list kept; from is its pointer before.
export interface MovedTask extends TaskRef {
  from: string;
}

export interface Diff {
  added: TaskRef[];
  removed: TaskRef[];
  changed: ChangedTask[];
  moved: MovedTask[];
  // workflow is the workflow's own members that changed (tasks aside).
  workflow: string[];
}

// Num is a JSON number as written, so that digits beyond float64's
// precision count.
class Num {
  constructor(readonly raw: string) {}
}

type Value = null | boolean | string | Num | Value[] | { [k: string]: Value };

// The members that hold tasks: the tasks are compared on their own; the
// member itself is compared with each task replaced by its reference name,
// so that a case added or tasks reordered still changes it.
const taskLists = ["decisionCases", "defaultCase", "forkTasks", "loopOver"];

// diff compares two definitions' texts; before "" is a new workflow. It
// throws a JSONSyntaxError when after is not JSON; a before that is not
// JSON counts as nothing.
export function diff(before: string, after: string): Diff {
  const bRoot = parseOrNull(before);
  const aRoot = parse(after);
  const b = tasksOf(bRoot);
  const a = tasksOf(aRoot);
  const out: Diff = { added: [], removed: [], changed: [], moved: [], workflow: [] };
  for (const [key, t] of a.byKey) {
    const old = b.byKey.get(key);
    if (!old) {
      out.added.push(ref(t));
      continue;
    }
    const members = changedMembers(old.task, t.task, true);
    if (members.length > 0) out.changed.push({ ...ref(t), members });
    if (old.list !== t.list || keptIndex(old, b, a) !== keptIndex(t, a, b)) out.moved.push({ ...ref(t), from: old.path });
  }
  for (const [key, t] of b.byKey) if (!a.byKey.has(key)) out.removed.push(ref(t));
  out.workflow = changedMembers(isObj(bRoot) ? bRoot : {}, isObj(aRoot) ? aRoot : {}, false).filter((m) => m !== "tasks" && !m.startsWith("tasks."));
  return out;
}

// empty says whether a diff found nothing.
export function empty(d: Diff): boolean {
  return d.added.length + d.removed.length + d.changed.length + d.moved.length + d.workflow.length === 0;
}

interface Found {
  key: string;
  task: { [k: string]: Value };
  path: string;
  list: string; // the array it is in: its task's key and member
  refs: string[]; // the keys of that array's tasks, in order
}

interface Tasks {
  byKey: Map<string, Found>;
}

function ref(f: Found): TaskRef {
  const t = f.task.type;
  const r = f.task.taskReferenceName;
  return { ref: typeof r === "string" ? r : "", type: typeof t === "string" ? t : "", path: f.path };
}

// keptIndex is where a task is among the tasks of its list that are in the
// same list in the other text: inserting or removing a neighbour does not
// move it, swapping it with one does.
function keptIndex(f: Found, mine: Tasks, other: Tasks): number {
  const kept = f.refs.filter((k) => {
    const o = other.byKey.get(k);
    const m = mine.byKey.get(k);
    return o !== undefined && m !== undefined && o.list === m.list;
  });
  return kept.indexOf(f.key);
}

// tasksOf finds every task of a definition, keyed by reference name (a
// repeated or missing one by its pointer, which the validator refuses
// anyway).
function tasksOf(root: Value): Tasks {
  const byKey = new Map<string, Found>();
  // list names an array by its task and member, not its pointer: a list
  // whose task moved is the same list.
  const walk = (list: Value, ptr: string, listID: string) => {
    if (!Array.isArray(list)) return;
    const found: Found[] = [];
    list.forEach((t, i) => {
      if (!isObj(t)) return;
      const path = ptr + "/" + i;
      const r = t.taskReferenceName;
      let key = typeof r === "string" && r !== "" ? "ref:" + r : "at:" + path;
      if (byKey.has(key)) key = "at:" + path;
      const f: Found = { key, task: t, path, list: listID, refs: [] };
      byKey.set(key, f);
      found.push(f);
      const cases = t.decisionCases;
      const within = (member: string) => [path + member, key + member] as const;
      if (isObj(cases)) for (const k of Object.keys(cases)) walk(cases[k], ...within("/decisionCases/" + escapePointer(k)));
      walk(t.defaultCase, ...within("/defaultCase"));
      if (Array.isArray(t.forkTasks)) t.forkTasks.forEach((br, j) => walk(br, ...within("/forkTasks/" + j)));
      walk(t.loopOver, ...within("/loopOver"));
    });
    const keys = found.map((f) => f.key);
    for (const f of found) f.refs = keys;
  };
  if (isObj(root)) walk(root.tasks, "/tasks", "/tasks");
  return { byKey };
}

// changedMembers names the members of two objects that differ; a member
// that is an object on both sides is named by its own members that differ
// ("inputParameters.url"). For a task, its lists of tasks are compared by
// reference names only.
function changedMembers(a: { [k: string]: Value }, b: { [k: string]: Value }, task: boolean): string[] {
  const out: string[] = [];
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of names) {
    let x: Value | undefined = a[k];
    let y: Value | undefined = b[k];
    if (task && taskLists.includes(k)) {
      x = refsOnly(x);
      y = refsOnly(y);
    }
    if (canonical(x) === canonical(y)) continue;
    if (isObj(x) && isObj(y) && !(task && taskLists.includes(k))) {
      for (const m of new Set([...Object.keys(x), ...Object.keys(y)])) if (canonical(x[m]) !== canonical(y[m])) out.push(k + "." + m);
    } else out.push(k);
  }
  return out.sort();
}

// refsOnly replaces each task in a member that holds tasks by its
// reference name.
function refsOnly(v: Value | undefined): Value | undefined {
  if (Array.isArray(v)) return v.map((e) => (isObj(e) ? (e.taskReferenceName ?? null) : refsOnly(e) ?? null));
  if (isObj(v)) {
    const o: { [k: string]: Value } = {};
    for (const k of Object.keys(v)) o[k] = refsOnly(v[k]) ?? null;
    return o;
  }
  return v;
}

// canonical writes a value with its keys sorted, without whitespace, and
// numbers by their digits; undefined (a missing member) is "".
function canonical(v: Value | undefined): string {
  if (v === undefined) return "";
  if (v instanceof Num) return numKey(v.raw);
  if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
  if (isObj(v))
    return (
      "{" +
      Object.keys(v)
        .sort()
        .map((k) => JSON.stringify(k) + ":" + canonical(v[k]))
        .join(",") +
      "}"
    );
  return JSON.stringify(v);
}

// numKey is a number's canonical digits: an integer as written (JSON has
// no leading zeros), others as float64 does.
function numKey(raw: string): string {
  if (/^-?\d+$/.test(raw)) return raw === "-0" ? "0" : raw;
  return String(Number(raw));
}

function isObj(v: Value | undefined): v is { [k: string]: Value } {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) && !(v instanceof Num);
}

function parseOrNull(text: string): Value {
  if (text.trim() === "") return null;
  try {
    return parse(text);
  } catch {
    return null;
  }
}

// parse reads JSON keeping each number's digits: jsontext's tree, which
// says where the text is wrong, turned into values.
function parse(text: string): Value {
  return value(parseJSON(text), text);
}

function value(n: JNode, text: string): Value {
  switch (n.kind) {
    case "object": {
      const o: { [k: string]: Value } = {};
      // A repeated member: the last one counts, as for JSON.parse and Go.
      // defineProperty, not o[k] =, so that a member named __proto__ is a
      // member.
      for (const c of n.children) Object.defineProperty(o, c.key!, { value: value(c, text), enumerable: true, writable: true, configurable: true });
      return o;
    }
    case "array":
      return n.children.map((c) => value(c, text));
    case "string":
      return n.str!;
    case "number":
      return new Num(text.slice(n.from, n.to));
    case "true":
      return true;
    case "false":
      return false;
    case "null":
      return null;
  }
}
