// Completion of ${...} expressions: which expressions a task may use, and
// where in a field's text one is being typed. Pure (no DOM), so that
// designer/expr_test.go runs it in goja; the inspector's fields and the
// JSON editor (inspector.ts) both complete from it.
//
// A task may read what exists when it is scheduled: the workflow's input,
// id, correlation id and variables, and the input and output of the tasks
// UPSTREAM of it: earlier in its sequence and in every enclosing sequence
// (with whatever those tasks hold: a finished fork's branches, a SWITCH's
// cases, a loop's body), the operators enclosing it, and in a loop body the
// body's other tasks (their previous iteration). Never a task of a sibling
// fork branch or of another SWITCH case, never a task downstream.

import { tokens } from "./doc";
import { WorkflowDef, WorkflowTask, escapePointer } from "./layout";

// Task is a workflow task with the members completion reads.
export interface Task extends WorkflowTask {
  inputParameters?: { [key: string]: unknown } | null;
}

// At is a task and its JSON pointer.
export interface At {
  path: string;
  task: Task;
}

// Expr is one completion: the expression and what it is.
export interface Expr {
  text: string;
  detail: string;
}

// outputKeysByType are the output keys the engine sets for its system
// tasks (server/internal/decider), the ones worth offering.
const outputKeysByType: { [type: string]: string[] } = {
  INLINE: ["result"],
  LAMBDA: ["result"],
  HTTP: ["response", "response.body", "response.statusCode", "response.headers"],
  JSON_JQ_TRANSFORM: ["result", "resultList"],
  SWITCH: ["evaluationResult", "selectedCase"],
  DECISION: ["caseOutput"],
  DO_WHILE: ["iteration"],
  SUB_WORKFLOW: ["subWorkflowId"],
  START_WORKFLOW: ["workflowId"],
};

type Seq = (WorkflowTask | null)[] | null | undefined;

// children are the task lists nested in a task, with their pointers'
// suffixes, in document order as JSON.parse keeps it.
function children(t: WorkflowTask, path: string): [string, Seq][] {
  const out: [string, Seq][] = [];
  if (t.decisionCases && typeof t.decisionCases === "object" && !Array.isArray(t.decisionCases))
    for (const k of Object.keys(t.decisionCases)) out.push([path + "/decisionCases/" + escapePointer(k), t.decisionCases[k]]);
  out.push([path + "/defaultCase", t.defaultCase]);
  if (Array.isArray(t.forkTasks)) t.forkTasks.forEach((b, i) => out.push([path + "/forkTasks/" + i, b]));
  out.push([path + "/loopOver", t.loopOver]);
  return out;
}

function isTask(t: unknown): t is Task {
  return t !== null && typeof t === "object" && !Array.isArray(t);
}

// walk calls fn for every task of a sequence and the tasks nested in it,
// depth first, in document order.
function walk(seq: Seq, path: string, fn: (at: At) => void) {
  if (!Array.isArray(seq)) return;
  seq.forEach((t, i) => {
    if (!isTask(t)) return;
    const p = path + "/" + i;
    fn({ path: p, task: t });
    for (const [cp, c] of children(t, p)) walk(c, cp, fn);
  });
}

// tasksIn lists every task of a definition with its pointer, in document
// order (a SWITCH's cases in the order JSON.parse gives).
export function tasksIn(def: WorkflowDef | null | undefined): At[] {
  const out: At[] = [];
  if (def) walk(def.tasks, "/tasks", (at) => out.push(at));
  return out;
}

// upstream lists the tasks upstream of the task at path (see the file's
// comment), in document order. For "" (the workflow itself, whose output
// is computed at its end) it is every task.
export function upstream(def: WorkflowDef | null | undefined, path: string): At[] {
  const all = tasksIn(def);
  if (path === "") return all;
  if (!def) return [];
  const segs = path.startsWith("/") ? tokens(path) : [];
  if (segs[0] !== "tasks") return [];
  const keep = new Set<string>();
  const addAll = (seq: Seq, seqPath: string, from: number, to: number) => {
    if (!Array.isArray(seq)) return;
    for (let j = from; j < Math.min(to, seq.length); j++) {
      const t = seq[j];
      if (!isTask(t)) continue;
      keep.add(seqPath + "/" + j);
      for (const [cp, c] of children(t, seqPath + "/" + j)) walk(c, cp, (at) => keep.add(at.path));
    }
  };
  let seq: Seq = def.tasks;
  let seqPath = "/tasks";
  let k = 1;
  for (;;) {
    const i = Number(segs[k]);
    if (!Array.isArray(seq) || !Number.isInteger(i) || i < 0 || i >= seq.length) return [];
    addAll(seq, seqPath, 0, i);
    const cur = seq[i];
    const curPath = seqPath + "/" + i;
    if (k + 1 >= segs.length) break; // cur is the task asked about
    if (!isTask(cur)) return [];
    keep.add(curPath); // an enclosing operator has run (or is running)
    const field = segs[k + 1];
    if (field === "decisionCases" && k + 2 < segs.length) {
      const cases = cur.decisionCases;
      seq = cases && typeof cases === "object" ? cases[segs[k + 2]] : null;
      seqPath = curPath + "/decisionCases/" + escapePointer(segs[k + 2]);
      k += 3;
    } else if (field === "forkTasks" && k + 2 < segs.length) {
      seq = Array.isArray(cur.forkTasks) ? cur.forkTasks[Number(segs[k + 2])] : null;
      seqPath = curPath + "/forkTasks/" + segs[k + 2];
      k += 3;
    } else if (field === "defaultCase" || field === "loopOver") {
      seq = field === "defaultCase" ? cur.defaultCase : cur.loopOver;
      seqPath = curPath + "/" + field;
      k += 2;
      // A loop body's later tasks ran in the previous iteration.
      if (field === "loopOver") addAll(seq, seqPath, Number(segs[k]) + 1, Infinity);
    } else return [];
  }
  keep.delete(path);
  return all.filter((at) => keep.has(at.path));
}

// expressions lists the ${...} expressions valid at the task at path (""
// the workflow's own fields). outputKeys gives the output keys of SIMPLE
// tasks by task definition name (the task definitions' outputKeys).
export function expressions(def: WorkflowDef | null | undefined, path: string, outputKeys?: { [name: string]: string[] }): Expr[] {
  const out: Expr[] = [];
  const seen = new Set<string>();
  const add = (text: string, detail: string) => {
    if (seen.has(text)) return;
    seen.add(text);
    out.push({ text, detail });
  };
  const d = (def ?? {}) as WorkflowDef & { inputParameters?: unknown; variables?: unknown };
  add("${workflow.input}", "the workflow's input");
  if (Array.isArray(d.inputParameters))
    for (const p of d.inputParameters) if (typeof p === "string" && p !== "") add("${workflow.input." + p + "}", "workflow input");
  add("${workflow.workflowId}", "this execution's id");
  add("${workflow.correlationId}", "the correlation id it was started with");
  const up = upstream(def, path);
  const vars: string[] = [];
  if (d.variables && typeof d.variables === "object" && !Array.isArray(d.variables)) vars.push(...Object.keys(d.variables));
  for (const at of up)
    if (at.task.type === "SET_VARIABLE" && isTask(at.task.inputParameters)) vars.push(...Object.keys(at.task.inputParameters));
  for (const v of vars) if (v !== "") add("${workflow.variables." + v + "}", "workflow variable");
  for (const at of up) {
    const ref = at.task.taskReferenceName;
    if (typeof ref !== "string" || ref === "") continue;
    const type = typeof at.task.type === "string" && at.task.type !== "" ? at.task.type : "SIMPLE";
    add("${" + ref + ".output}", `output of ${ref} (${type})`);
    let keys = outputKeysByType[type] ?? [];
    if (type === "SIMPLE" && outputKeys && typeof at.task.name === "string") keys = outputKeys[at.task.name] ?? [];
    if (type === "DO_WHILE" && isTask(at.task.inputParameters) && "items" in at.task.inputParameters)
      keys = [...keys, "loopItem", "loopIndex"];
    for (const key of keys) add("${" + ref + ".output." + key + "}", `output of ${ref} (${type})`);
    add("${" + ref + ".input}", `input of ${ref} (${type})`);
  }
  return out;
}

// Context is an expression being typed in a field: it starts at from (its
// "${") and what is typed so far runs to the caret.
export interface Context {
  from: number;
  typed: string;
}

// contextAt finds the ${...} being typed before the caret: the last "${"
// before it that no "}" closes. explicit (Ctrl+Space) completes at the
// caret when none is open.
export function contextAt(text: string, caret: number, explicit: boolean): Context | null {
  const before = text.slice(0, caret);
  const open = before.lastIndexOf("${");
  if (open >= 0 && !before.slice(open).includes("}")) return { from: open, typed: before.slice(open) };
  return explicit ? { from: caret, typed: "" } : null;
}

// filter keeps the expressions that start with what is typed, then those
// that contain it anywhere (past its "${"), case-insensitively.
export function filter(list: Expr[], typed: string): Expr[] {
  const t = typed.toLowerCase();
  const inner = t.startsWith("${") ? t.slice(2) : t;
  const starts: Expr[] = [];
  const contains: Expr[] = [];
  for (const e of list) {
    const x = e.text.toLowerCase();
    if (x.startsWith(t)) starts.push(e);
    else if (inner !== "" && x.includes(inner)) contains.push(e);
  }
  return [...starts, ...contains];
}

// complete applies a picked expression to a field's text: it replaces what
// was typed (and a "}" right after the caret, which an editor that closes
// brackets put there), and says where the caret goes.
export function complete(text: string, ctx: Context, caret: number, pick: string): { text: string; caret: number } {
  const end = text[caret] === "}" && ctx.typed.startsWith("${") ? caret + 1 : caret;
  return { text: text.slice(0, ctx.from) + pick + text.slice(end), caret: ctx.from + pick.length };
}

// taskAt is the pointer of the innermost task whose JSON holds the offset
// pos of a text, given where its values are (jsontext.ts's scan); "" when
// pos is outside every task.
export function taskAt(def: WorkflowDef | null | undefined, locs: ReadonlyMap<string, { valueFrom: number; to: number }>, pos: number): string {
  let best = "";
  for (const at of tasksIn(def)) {
    const l = locs.get(at.path);
    if (l && l.valueFrom < pos && pos < l.to && at.path.length > best.length) best = at.path;
  }
  return best;
}
