// The designer's inspector (section[data-inspector]): a form for the
// selected task, by its type, or for the workflow's own fields when no
// task is selected; and ${...} completion, in the form's text fields and in
// the JSON editor's strings (expr.ts says what is valid where).
//
// The form is drawn from the text, after every edit from either side, and
// each committed field change (on change or when the field loses the
// focus, not per keystroke) is one Edit of the text applied with
// Designer.apply: one undo step, and nothing outside the value's range
// changes. A value that is not a plain string is shown as its JSON text, as
// written, and written back as typed (never JSON.parse then stringify: a
// large integer would be rounded). Redrawing morphs the form in place, so
// that the focused field keeps its focus, caret and any text not yet
// committed.

import type { Designer } from "./designer";
import type { Edit } from "./edit";
import { appendElement, dedent, indentAt, lastToken, parentPointer, removeElement, renameMember, renameRefUses, setMember } from "./doc";
import { Loc, scan } from "./jsontext";
import { catalog, type TaskDefInfo } from "./catalog";
import { escapePointer } from "./layout";
import { Context, Expr, complete, contextAt, expressions, filter, taskAt, tasksIn, upstream } from "./expr";
import { Completion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { syntaxTree } from "@codemirror/language";
import type { EditorView } from "@codemirror/view";

type Locs = ReadonlyMap<string, Loc>;

// ---- Reading the text by JSON pointer ----
// (The edits themselves are doc.ts's: setMember, renameMember,
// appendElement, removeElement, renameRefUses.)

// childrenOf are the pointers of the members or elements of the value at
// ptr, in document order.
function childrenOf(locs: Locs, ptr: string): string[] {
  const out: string[] = [];
  for (const p of locs.keys()) if (p.startsWith(ptr + "/") && !p.slice(ptr.length + 1).includes("/")) out.push(p);
  return out.sort((a, b) => locs.get(a)!.from - locs.get(b)!.from);
}

// ---- The form ----

// Task types whose fields the form knows; any other is a plugin's.
const builtIn = new Set([
  "SIMPLE", "DYNAMIC", "FORK_JOIN", "FORK", "FORK_JOIN_DYNAMIC", "DECISION", "SWITCH", "JOIN", "EXCLUSIVE_JOIN",
  "DO_WHILE", "SUB_WORKFLOW", "START_WORKFLOW", "EVENT", "WAIT", "HUMAN", "HTTP", "LAMBDA", "INLINE", "TERMINATE",
  "JSON_JQ_TRANSFORM", "SET_VARIABLE", "NOOP",
]);

// The input parameters each type's own fields show, left out of the
// generic list.
const ownInputs: { [type: string]: string[] } = {
  HTTP: ["http_request"],
  INLINE: ["evaluatorType", "expression"],
  LAMBDA: ["scriptExpression"],
  JSON_JQ_TRANSFORM: ["queryExpression"],
  WAIT: ["duration", "until"],
  TERMINATE: ["terminationStatus", "terminationReason", "workflowOutput"],
  DO_WHILE: ["items", "keepLastN"],
  START_WORKFLOW: ["startWorkflow"],
};

// loopIterationRe matches the names the engine gives a DO_WHILE body's
// tasks for each iteration (ref__1, ref__2...; sdk/workflow BaseRef).
const loopIterationRe = /.__\d+$/;

const httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

// PluginType is what the form says of the plugin implementing a task type.
interface PluginType {
  name: string;
  version: number;
  enabled: boolean;
  description: string;
}

// Field options: how a value is shown and written.
interface FieldOpts {
  // string: a JSON string (a value of another JSON type shows as JSON);
  // json: JSON text, written as typed; number: a JSON number.
  mode?: "string" | "json" | "number";
  textarea?: boolean;
  list?: string; // a datalist's id
  options?: string[]; // a select's choices
  keep?: boolean; // empty writes "" rather than removing the member
  hint?: string;
  placeholder?: string;
}

// A node of the form under construction.
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: { [k: string]: string } = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
}

class Inspector {
  private readonly section: HTMLElement;
  private readonly form: HTMLElement;
  private readonly lists: HTMLElement;
  private readonly popup: HTMLUListElement;
  private readonly status: HTMLElement;
  private taskDefs = new Map<string, TaskDefInfo>();
  private workflows: string[] = [];
  private plugins = new Map<string, PluginType>();
  private pluginsLoaded = false;
  private rendering = false;
  private retry: (() => void) | null = null;
  // A reference renamed while its old name is still used: the form offers
  // to update the uses.
  private renamed: { path: string; old: string; neu: string } | null = null;
  private comp: { input: HTMLInputElement | HTMLTextAreaElement; ctx: Context; items: Expr[]; index: number } | null = null;

  constructor(private readonly d: Designer) {
    const s = d.root.querySelector<HTMLElement>("section[data-inspector]");
    if (!s) throw new Error("designer: the page has no section[data-inspector]");
    this.section = s;
    s.textContent = "";
    this.form = h("div", { class: "insp-form", "data-insp-form": "" });
    this.status = h("p", { class: "insp-status", role: "status", "aria-live": "polite", hidden: "" });
    this.lists = h("div", { hidden: "" });
    this.popup = h("ul", { id: "insp-complete", class: "insp-complete", role: "listbox", "aria-label": "Expressions", "data-insp-complete": "", hidden: "" });
    s.append(this.form, this.status, this.lists, this.popup);
    s.hidden = false;
    this.events();
    d.onParse(() => {
      this.render();
      const r = this.retry;
      this.retry = null;
      r?.();
    });
    d.onSelect((p) => {
      if (this.renamed && this.renamed.path !== p) this.renamed = null;
      this.closeCompletion();
      this.render();
    });
    catalog.onChange(() => this.fromCatalog());
    this.fromCatalog();
    catalog.load();
  }

  // fromCatalog takes what the fields offer from the catalog (catalog.ts):
  // task definitions, workflow names and plugins. Each is optional:
  // without it a field is a plain input.
  private fromCatalog() {
    this.taskDefs.clear();
    this.plugins.clear();
    for (const t of catalog.taskDefs ?? []) this.taskDefs.set(t.name, t);
    this.workflows = catalog.workflows ?? [];
    this.pluginsLoaded = catalog.plugins !== null;
    for (const p of catalog.plugins ?? []) {
      let description = "";
      try {
        description = String((JSON.parse(p.manifestJson || "{}") as { description?: string }).description ?? "");
      } catch {
        // a manifest the server accepted is JSON; say nothing otherwise
      }
      for (const t of p.taskTypes) this.plugins.set(t, { name: p.name, version: p.version, enabled: p.enabled, description });
    }
    this.lists.textContent = "";
    this.lists.append(
      this.datalist("insp-taskdefs", [...this.taskDefs.keys()].sort()),
      this.datalist("insp-workflows", this.workflows),
    );
    this.render();
  }

  private datalist(id: string, values: string[]): HTMLDataListElement {
    return h("datalist", { id }, ...values.map((v) => h("option", { value: v })));
  }

  // outputKeys are the SIMPLE tasks' output keys, from their definitions.
  outputKeys(): { [name: string]: string[] } {
    const out: { [name: string]: string[] } = {};
    for (const [n, t] of this.taskDefs) if (Array.isArray(t.outputKeys)) out[n] = t.outputKeys.filter((k) => typeof k === "string");
    return out;
  }

  // ---- reading the document ----

  private raw(ptr: string): string | undefined {
    const l = this.d.valueLocs.get(ptr);
    return l ? this.d.text.slice(l.valueFrom, l.to) : undefined;
  }

  private value(ptr: string): unknown {
    const r = this.raw(ptr);
    if (r === undefined) return undefined;
    try {
      return JSON.parse(r); // for reading only: nothing parsed is written back
    } catch {
      return undefined;
    }
  }

  // ---- drawing ----

  render() {
    if (this.rendering) return;
    const def = this.d.def;
    const next = h("div", { class: "insp-form", "data-insp-form": "" });
    if (def) {
      const path = this.d.selection;
      if (path && this.d.valueLocs.has(path)) this.taskForm(next, path);
      else this.workflowForm(next);
    }
    this.rendering = true;
    try {
      morph(this.form, next);
    } finally {
      this.rendering = false;
    }
    if (this.comp && !this.form.contains(this.comp.input)) this.closeCompletion();
  }

  private workflowForm(f: HTMLElement) {
    const name = this.value("/name");
    f.append(h("h2", {}, "Workflow ", h("span", { class: "muted" }, typeof name === "string" ? name : "")));
    f.append(h("p", { class: "muted insp-hint" }, "Select a task on the canvas to edit it."));
    const g = this.group(f, "Definition");
    this.field(g, "Name", "/name", { keep: true });
    this.field(g, "Description", "/description", { textarea: true });
    this.field(g, "Version", "/version", { mode: "number" });
    this.stringList(g, "Input parameters", "/inputParameters");
    this.kv(g, "Output parameters", "/outputParameters", [], "out");
    const o = this.group(f, "Timeouts and failure");
    this.field(o, "Timeout (seconds)", "/timeoutSeconds", { mode: "number" });
    this.field(o, "Timeout policy", "/timeoutPolicy", { options: ["", "TIME_OUT_WF", "ALERT_ONLY"] });
    this.field(o, "Failure workflow", "/failureWorkflow", { list: "insp-workflows" });
    this.field(o, "Owner email", "/ownerEmail");
    this.field(o, "Schema version", "/schemaVersion", { mode: "number" });
  }

  private taskForm(f: HTMLElement, p: string) {
    const t = this.value(p);
    if (!t || typeof t !== "object" || Array.isArray(t)) {
      f.append(h("p", { class: "muted" }, `${p} is not a task object: edit it in the JSON.`));
      return;
    }
    const task = t as { [k: string]: unknown };
    const type = typeof task.type === "string" && task.type !== "" ? task.type : "SIMPLE";
    const ref = typeof task.taskReferenceName === "string" ? task.taskReferenceName : "";
    f.append(h("h2", {}, h("span", { class: "insp-type" }, type), " ", ref), h("p", { class: "muted insp-path mono" }, p));
    const g = this.group(f, "Task");
    const names = h("div", { class: "insp-row" });
    g.append(names);
    this.field(names, "Name", p + "/name", { keep: true, list: type === "SIMPLE" ? "insp-taskdefs" : undefined });
    this.field(names, "Reference name", p + "/taskReferenceName", { keep: true });
    if (this.renamed && this.renamed.path === p) this.renameOffer(g);

    const s = this.group(f, type);
    switch (type) {
      case "SIMPLE":
        this.simple(s, task);
        break;
      case "SWITCH":
        this.switchFields(s, p, task);
        break;
      case "DECISION":
        s.append(h("p", { class: "insp-note" }, "DECISION is Conductor's legacy SWITCH: its caseValueParam and caseExpression are edited in the JSON; a SWITCH with evaluatorType value-param or javascript does the same."));
        this.cases(s, p, false);
        break;
      case "FORK_JOIN":
      case "FORK":
        this.forkFields(s, p, task);
        break;
      case "JOIN":
      case "EXCLUSIVE_JOIN":
        // The references a JOIN may wait for: the tasks upstream of it.
        s.append(this.datalist("insp-refs", upstream(this.d.def, p).map((at) => at.task.taskReferenceName ?? "").filter((r) => r !== "")));
        this.stringList(s, "Waits for (joinOn)", p + "/joinOn", "insp-refs");
        break;
      case "DO_WHILE":
        this.field(s, "Loop condition", p + "/loopCondition", { textarea: true, keep: true, placeholder: "if ($.loop['iteration'] < 3) { true; } else { false; }" });
        if ("evaluatorType" in task) this.field(s, "Evaluator", p + "/evaluatorType", { options: ["javascript", "graaljs", "value-param"] });
        this.field(s, "Items (iterate over a list)", p + "/inputParameters/items", { mode: "json", hint: "a list, or an expression giving one; each iteration's item is ${ref.output.loopItem}" });
        this.field(s, "Keep last N iterations", p + "/inputParameters/keepLastN", { mode: "number" });
        break;
      case "SUB_WORKFLOW":
        this.field(s, "Workflow", p + "/subWorkflowParam/name", { list: "insp-workflows", keep: true });
        this.field(s, "Version", p + "/subWorkflowParam/version", { mode: "number", hint: "empty: the latest" });
        break;
      case "START_WORKFLOW":
        this.field(s, "Workflow", p + "/inputParameters/startWorkflow/name", { list: "insp-workflows", keep: true });
        this.field(s, "Version", p + "/inputParameters/startWorkflow/version", { mode: "number" });
        this.field(s, "Correlation id", p + "/inputParameters/startWorkflow/correlationId");
        this.field(s, "Input", p + "/inputParameters/startWorkflow/input", { mode: "json", textarea: true });
        break;
      case "HTTP": {
        const r = p + "/inputParameters/http_request";
        this.field(s, "URI", r + "/uri", { keep: true, placeholder: "https://…" });
        this.field(s, "Method", r + "/method", { options: httpMethods });
        this.kv(s, "Headers", r + "/headers", [], "header");
        this.field(s, "Body", r + "/body", { mode: "json", textarea: true, hint: "JSON, or a string" });
        const tr = h("div", { class: "insp-row" });
        s.append(tr);
        this.field(tr, "Connect timeout (ms)", r + "/connectionTimeOut", { mode: "json" });
        this.field(tr, "Read timeout (ms)", r + "/readTimeOut", { mode: "json" });
        break;
      }
      case "INLINE":
        this.field(s, "Evaluator", p + "/inputParameters/evaluatorType", { options: ["javascript", "graaljs"] });
        this.field(s, "Expression", p + "/inputParameters/expression", { textarea: true, keep: true, hint: "inputs are $.name; the value of the last statement is the output's result" });
        break;
      case "LAMBDA":
        this.field(s, "Script", p + "/inputParameters/scriptExpression", { textarea: true, keep: true });
        break;
      case "JSON_JQ_TRANSFORM":
        this.field(s, "jq query", p + "/inputParameters/queryExpression", { textarea: true, keep: true, hint: "inputs are .name" });
        break;
      case "WAIT":
        this.field(s, "Duration", p + "/inputParameters/duration", { placeholder: "10m, 2h 30s" });
        this.field(s, "Until", p + "/inputParameters/until", { placeholder: "2026-01-31 17:00 UTC" });
        s.append(h("p", { class: "muted insp-hint" }, "Neither: it waits until it is completed through the API."));
        break;
      case "TERMINATE":
        this.field(s, "Status", p + "/inputParameters/terminationStatus", { options: ["COMPLETED", "FAILED", "TERMINATED"] });
        this.field(s, "Reason", p + "/inputParameters/terminationReason");
        this.field(s, "Workflow output", p + "/inputParameters/workflowOutput", { mode: "json", textarea: true });
        break;
      case "SET_VARIABLE":
        s.append(h("p", { class: "muted insp-hint" }, "Each input parameter becomes a workflow variable: ${workflow.variables.name}."));
        break;
      case "EVENT":
        this.field(s, "Sink", p + "/sink", { keep: true, placeholder: "conductor:queue_name" });
        break;
      case "HUMAN":
        s.append(h("p", { class: "muted insp-hint" }, "Waits until a person completes it through the API or the console."));
        break;
      case "DYNAMIC":
        this.field(s, "Task name parameter", p + "/dynamicTaskNameParam", { keep: true });
        break;
      case "FORK_JOIN_DYNAMIC":
        this.field(s, "Tasks parameter", p + "/dynamicForkTasksParam");
        this.field(s, "Inputs parameter", p + "/dynamicForkTasksInputParamName");
        break;
      case "NOOP":
        break;
      default:
        this.plugin(s, type);
    }
    if (s.childElementCount <= 1) s.remove();
    this.kv(f, "Input parameters", p + "/inputParameters", ownInputs[type] ?? [], "param");
    const o = this.group(f, "Options");
    this.field(o, "Description", p + "/description");
    const row = h("div", { class: "insp-row" });
    o.append(row);
    this.check(row, "Optional", p + "/optional");
    if (type === "HTTP" || type === "EVENT" || !builtIn.has(type)) this.check(row, "Async complete", p + "/asyncComplete");
    this.field(row, "Start delay (s)", p + "/startDelay", { mode: "number" });
  }

  private group(parent: HTMLElement, legend: string): HTMLFieldSetElement {
    const g = h("fieldset", { class: "insp-group", "data-key": "group:" + legend }, h("legend", {}, legend));
    parent.append(g);
    return g;
  }

  private simple(s: HTMLElement, task: { [k: string]: unknown }) {
    const name = typeof task.name === "string" ? task.name : "";
    const td = this.taskDefs.get(name);
    if (td) {
      if (td.description) s.append(h("p", { class: "insp-note" }, td.description));
      if (td.inputKeys?.length) s.append(h("p", { class: "muted insp-hint" }, "Inputs: " + td.inputKeys.join(", ")));
      if (td.outputKeys?.length) s.append(h("p", { class: "muted insp-hint" }, "Outputs: " + td.outputKeys.join(", ")));
    } else if (this.taskDefs.size > 0 && name !== "")
      s.append(h("p", { class: "insp-note warn" }, `No task definition is registered as "${name}": a worker polls for it by this name.`));
  }

  private plugin(s: HTMLElement, type: string) {
    // A plugin uploaded since the page opened shows when the palette's
    // refresh of the catalog brings it.
    const pl = this.plugins.get(type);
    if (pl) {
      s.append(
        h("p", { class: "insp-note", "data-insp-plugin": pl.name }, `Implemented by the plugin ${pl.name} v${pl.version}`, pl.enabled ? "" : " (disabled)", pl.description ? ": " + pl.description : "."),
      );
    } else
      s.append(
        h("p", { class: "insp-note warn" }, this.pluginsLoaded ? `${type} is not a built-in type and no plugin implements it: upload one on the Plugins page, or fix the type in the JSON.` : `${type} is not a built-in type (a plugin's?).`),
      );
  }

  private switchFields(s: HTMLElement, p: string, task: { [k: string]: unknown }) {
    this.field(s, "Evaluator", p + "/evaluatorType", { options: ["value-param", "javascript", "graaljs"], keep: true });
    const js = task.evaluatorType === "javascript" || task.evaluatorType === "graaljs";
    const params = task.inputParameters && typeof task.inputParameters === "object" ? Object.keys(task.inputParameters) : [];
    const listId = "insp-switch-params";
    if (!js) s.append(this.datalist(listId, params));
    this.field(s, "Expression", p + "/expression", js ? { textarea: true, keep: true, hint: "inputs are $.name; its value picks the case" } : { keep: true, list: listId, hint: "the input parameter whose value picks the case" });
    this.cases(s, p, true);
  }

  // cases lists a SWITCH's cases: rename, remove, add; the default case
  // is a lane of its own.
  private cases(s: HTMLElement, p: string, editable: boolean) {
    const list = h("div", { class: "insp-list", "data-key": "cases", "aria-label": "Cases" });
    s.append(h("h3", {}, "Cases"), list);
    const casesPtr = p + "/decisionCases";
    const kids = this.d.valueLocs.has(casesPtr) && this.raw(casesPtr)?.startsWith("{") ? childrenOf(this.d.valueLocs, casesPtr) : [];
    kids.forEach((c, i) => {
      const n = this.value(c);
      const row = h("div", { class: "insp-kv", "data-key": "case#" + i });
      const key = h("input", { "data-bind": "key", "data-ptr": c, "data-key": "case#" + i + ":key", "aria-label": "Case value", "data-orig": lastToken(c) });
      key.value = lastToken(c);
      if (!editable) key.readOnly = true;
      row.append(key, h("span", { class: "muted" }, tasksLabel(n)));
      if (editable) row.append(h("button", { type: "button", "data-action": "remove", "data-ptr": c, "aria-label": `Remove case ${lastToken(c)}`, title: "Remove this case and its tasks" }, "×"));
      list.append(row);
    });
    const def = this.value(p + "/defaultCase");
    list.append(h("div", { class: "insp-kv insp-default", "data-key": "default" }, h("span", {}, "default"), h("span", { class: "muted" }, tasksLabel(def))));
    if (editable) s.append(h("button", { type: "button", "data-action": "add-case", "data-ptr": casesPtr }, "Add case"));
  }

  private forkFields(s: HTMLElement, p: string, task: { [k: string]: unknown }) {
    const list = h("div", { class: "insp-list", "data-key": "branches", "aria-label": "Branches" });
    s.append(h("h3", {}, "Branches"), list);
    const kids = Array.isArray(task.forkTasks) ? childrenOf(this.d.valueLocs, p + "/forkTasks") : [];
    kids.forEach((b, i) => {
      list.append(
        h("div", { class: "insp-kv", "data-key": "branch#" + i },
          h("span", {}, `Branch ${i + 1}`),
          h("span", { class: "muted" }, tasksLabel(this.value(b))),
          h("button", { type: "button", "data-action": "remove", "data-ptr": b, "aria-label": `Remove branch ${i + 1}`, title: "Remove this branch and its tasks" }, "×"),
        ),
      );
    });
    s.append(h("button", { type: "button", "data-action": "add-branch", "data-ptr": p + "/forkTasks" }, "Add branch"));
    // The JOIN that follows the fork says which branches it waits for.
    const seq = parentPointer(p);
    const join = this.value(seq + "/" + (Number(lastToken(p)) + 1)) as { type?: string; taskReferenceName?: string; joinOn?: unknown } | undefined;
    if (join && join.type === "JOIN") {
      const on = Array.isArray(join.joinOn) ? join.joinOn.map(String).join(", ") : "";
      s.append(h("p", { class: "muted insp-hint", "data-insp-join": "" }, `Joined by ${join.taskReferenceName ?? "its JOIN"}, which waits for: ${on || "nothing (joinOn is empty)"}.`));
    } else s.append(h("p", { class: "insp-note warn" }, "No JOIN follows this fork: add one after it."));
  }

  // renameOffer offers to update the uses of a renamed reference, when the
  // new name can take them: a use rewritten to an empty name, to
  // "workflow" or to a loop iteration's name would read something else,
  // and to another task's name would silently read that task.
  private renameOffer(g: HTMLElement) {
    const r = this.renamed!;
    const n = renameRefUses(this.d.text, r.old, r.neu).changes.length;
    if (n === 0) return;
    const uses = `${n} expression${n === 1 ? "" : "s"} still use${n === 1 ? "s" : ""} the old name ${r.old}`;
    const why = this.refusal(r.path, r.neu);
    if (why) {
      g.append(h("p", { class: "insp-note warn", "data-key": "rename-offer", "data-insp-rename-refused": "" }, `${uses}; they are not updated, as ${why}.`));
      return;
    }
    g.append(
      h("p", { class: "insp-note", "data-key": "rename-offer" }, `${uses}. `,
        h("button", { type: "button", "data-action": "rename-uses" }, `Update to ${r.neu}`)),
    );
  }

  // refusal says why the uses of a reference cannot follow it to the name
  // neu given to the task at path, or "" when they can.
  private refusal(path: string, neu: string): string {
    if (neu.trim() === "") return "the new name is empty";
    if (neu === "workflow") return '"workflow" is reserved for ${workflow...} expressions';
    if (loopIterationRe.test(neu)) return `${neu} ends in __<number>, which names a loop's iterations`;
    const other = tasksIn(this.d.def).find((at) => at.path !== path && at.task.taskReferenceName === neu);
    if (other) return `${neu} is the reference name of the task at ${other.path} too`;
    return "";
  }

  // field adds a labelled input for the value at ptr.
  private field(parent: HTMLElement, label: string, ptr: string, o: FieldOpts = {}) {
    const raw = this.raw(ptr);
    let mode = o.mode ?? "string";
    let shown = "";
    if (raw !== undefined) {
      if (mode === "number" && !/^-?\d/.test(raw)) mode = "json";
      if (raw.startsWith('"') && mode !== "number") {
        shown = JSON.parse(raw) as string;
        mode = "string";
      } else {
        if (mode === "string") mode = "json"; // not a string: its JSON as written
        shown = dedent(raw, indentAt(this.d.text, this.d.valueLocs.get(ptr)!.from));
      }
    }
    const attrs: { [k: string]: string } = { "data-bind": "value", "data-ptr": ptr, "data-mode": mode, "data-key": "f:" + ptr, "data-orig": shown };
    if (!o.keep) attrs["data-empty"] = "remove";
    if (o.placeholder) attrs.placeholder = o.placeholder;
    let control: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;
    if (o.options) {
      const sel = h("select", attrs);
      const opts = [...o.options];
      if (!opts.includes(shown)) opts.unshift(shown);
      for (const v of opts) sel.append(h("option", { value: v }, v === "" ? "(not set)" : v));
      sel.value = shown;
      control = sel;
    } else if (o.textarea || shown.includes("\n")) {
      const ta = h("textarea", { ...attrs, rows: String(Math.min(10, Math.max(2, shown.split("\n").length))), spellcheck: "false", "data-expr": "" });
      ta.value = shown;
      control = ta;
    } else {
      const inp = h("input", { ...attrs, type: "text", spellcheck: "false" });
      if (o.list) inp.setAttribute("list", o.list);
      if (mode !== "number" && !/\/(name|taskReferenceName)$/.test(ptr)) {
        inp.setAttribute("data-expr", "");
        inp.setAttribute("aria-autocomplete", "list");
      }
      inp.value = shown;
      control = inp;
    }
    if (mode === "json" && raw !== undefined) {
      control.classList.add("raw");
      control.title = "JSON, written as typed";
    }
    const lab = h("label", { "data-key": "l:" + ptr }, h("span", {}, label), control);
    if (o.hint) lab.append(h("small", { class: "muted" }, o.hint));
    if (mode === "json" && raw !== undefined && (o.mode ?? "string") === "string") lab.append(h("small", { class: "muted" }, "JSON, written as typed"));
    parent.append(lab);
  }

  private check(parent: HTMLElement, label: string, ptr: string) {
    const raw = this.raw(ptr);
    const c = h("input", { type: "checkbox", "data-bind": "bool", "data-ptr": ptr, "data-key": "f:" + ptr });
    c.checked = raw === "true";
    parent.append(h("label", { class: "check insp-check", "data-key": "l:" + ptr }, c, h("span", {}, label)));
  }

  // kv lists an object's members as key / value rows: rename, edit,
  // remove, add. skip are members other fields show.
  private kv(parent: HTMLElement, label: string, ptr: string, skip: string[], prefix: string) {
    const g = this.group(parent, label);
    const raw = this.raw(ptr);
    if (raw !== undefined && !raw.startsWith("{")) {
      g.append(h("p", { class: "muted insp-hint" }, `${label} is not an object here: edit it in the JSON.`));
      return;
    }
    const list = h("div", { class: "insp-list", "data-key": "kv:" + ptr });
    g.append(list);
    const kids = raw === undefined ? [] : childrenOf(this.d.valueLocs, ptr).filter((c) => !skip.includes(lastToken(c)));
    kids.forEach((c, i) => {
      const k = lastToken(c);
      const id = "kv:" + ptr + "#" + i;
      const key = h("input", { "data-bind": "key", "data-ptr": c, "data-key": id + ":key", "aria-label": `${label}: name`, spellcheck: "false", "data-orig": k });
      key.value = k;
      const row = h("div", { class: "insp-kv", "data-key": id });
      const val = h("div", { class: "insp-kv-value", "data-key": id + ":value" });
      this.field(val, "", c, { mode: "string", keep: true });
      const lab = val.querySelector("label")!;
      lab.querySelector("span")!.remove();
      lab.dataset.key = id + ":label"; // a renamed member keeps its row's fields
      const control = lab.querySelector<HTMLElement>("input, textarea")!;
      control.setAttribute("aria-label", `${label}: value of ${k}`);
      control.dataset.key = id + ":v";
      row.append(key, val, h("button", { type: "button", "data-action": "remove", "data-ptr": c, "aria-label": `Remove ${k}` }, "×"));
      list.append(row);
    });
    g.append(h("button", { type: "button", "data-action": "add-member", "data-ptr": ptr, "data-prefix": prefix }, "Add"));
  }

  // stringList edits an array of strings (a workflow's input names, a
  // JOIN's joinOn).
  private stringList(parent: HTMLElement, label: string, ptr: string, datalist?: string) {
    const g = this.group(parent, label);
    const raw = this.raw(ptr);
    if (raw !== undefined && !raw.startsWith("[")) {
      g.append(h("p", { class: "muted insp-hint" }, `${label} is not a list here: edit it in the JSON.`));
      return;
    }
    const list = h("div", { class: "insp-list", "data-key": "list:" + ptr });
    g.append(list);
    const kids = raw === undefined ? [] : childrenOf(this.d.valueLocs, ptr);
    kids.forEach((c, i) => {
      const id = "list:" + ptr + "#" + i;
      const row = h("div", { class: "insp-kv", "data-key": id });
      const r = this.raw(c) ?? "";
      const isStr = r.startsWith('"');
      const shown = isStr ? (JSON.parse(r) as string) : r;
      const inp = h("input", { "data-bind": "value", "data-ptr": c, "data-mode": isStr ? "string" : "json", "data-key": id + ":v", "data-orig": shown, "aria-label": `${label} ${i + 1}`, spellcheck: "false" });
      inp.value = shown;
      if (datalist) inp.setAttribute("list", datalist);
      row.append(inp, h("button", { type: "button", "data-action": "remove", "data-ptr": c, "aria-label": `Remove ${shown}` }, "×"));
      list.append(row);
    });
    g.append(h("button", { type: "button", "data-action": "add-element", "data-ptr": ptr }, "Add"));
  }

  // ---- committing ----

  private say(msg: string, error = true) {
    this.status.textContent = msg;
    this.status.hidden = msg === "";
    this.status.classList.toggle("error", error);
  }

  // edit applies an edit as one step of the editor's history, keeping
  // the selection; one that changes nothing is not applied.
  private edit(e: Edit, label: string): boolean {
    const text = this.d.text;
    if (e.changes.every((c) => text.slice(c.from, c.to) === c.insert)) return false;
    this.d.apply({ changes: e.changes, select: this.d.selection || undefined }, "inspector." + label);
    return true;
  }

  // remove removes the member or element at ptr.
  private remove(ptr: string) {
    const parent = parentPointer(ptr);
    const l = this.d.valueLocs.get(parent);
    if (l && this.d.text[l.valueFrom] === "[") this.edit(removeElement(this.d.text, parent, Number(lastToken(ptr))), "remove");
    else this.edit(setMember(this.d.text, parent, lastToken(ptr), undefined), "remove");
  }

  // ready says whether edits can be computed now: the text is JSON and
  // parsed. While a parse is pending (the JSON was just typed in), the
  // commit runs again once it is done.
  private ready(retry?: () => void): boolean {
    if (this.d.valid) return true;
    if (this.d.root.dataset.state === "ok" && retry) {
      this.retry = retry;
      return false;
    }
    this.say("The JSON is invalid: mend it before editing in the form.");
    return false;
  }

  // commit writes a field's value to the text when it differs from it.
  private commit(el: HTMLElement) {
    if (this.rendering || !(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement)) return;
    const bind = el.dataset.bind;
    const ptr = el.dataset.ptr;
    if (!bind || ptr === undefined) return;
    if (!this.d.valueLocs.has(parentPointer(ptr)) && bind === "key") return;
    if (!this.ready(() => this.form.contains(el) && this.commit(el))) return;
    const text = this.d.text;
    const cur = this.raw(ptr);
    el.removeAttribute("aria-invalid");
    try {
      if (bind === "key") {
        const k = el.value;
        if (k === lastToken(ptr)) return;
        if (k === "") throw new Error("a name cannot be empty");
        this.edit(renameMember(text, parentPointer(ptr), lastToken(ptr), k), "rename");
        this.say("");
        return;
      }
      let raw: string | null; // null: remove the member
      if (bind === "bool") raw = (el as HTMLInputElement).checked ? "true" : cur === undefined ? null : "false";
      else {
        const v = el.value;
        const mode = el.dataset.mode;
        if (v === "" && el.dataset.empty === "remove") raw = null;
        else if (mode === "number") {
          if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(v.trim())) throw new Error(`${labelOf(el)}: want a number, not ${JSON.stringify(v)}`);
          raw = v.trim();
        } else if (mode === "json") {
          // JSON text as typed; what is not JSON is taken as a string.
          let isJSON = true;
          try {
            scan(v);
          } catch {
            isJSON = false;
          }
          raw = isJSON ? v.trim() : JSON.stringify(v);
        } else raw = JSON.stringify(v);
      }
      if (raw === null) {
        if (cur === undefined) return;
        this.remove(ptr);
      } else {
        const oldRef = ptr.endsWith("/taskReferenceName") && cur?.startsWith('"') ? (JSON.parse(cur) as string) : null;
        if (!this.edit(setMember(text, parentPointer(ptr), lastToken(ptr), raw, true), "set")) return;
        if (oldRef !== null && oldRef !== "") {
          this.renamed = { path: this.d.selection, old: oldRef, neu: el.value };
          this.render();
        }
      }
      this.say("");
    } catch (err) {
      el.setAttribute("aria-invalid", "true");
      this.say(err instanceof Error ? err.message : String(err));
    }
  }

  private action(b: HTMLElement) {
    const act = b.dataset.action;
    const ptr = b.dataset.ptr ?? "";
    if (!act || !this.ready(() => this.form.contains(b) && this.action(b))) return;
    const text = this.d.text;
    const locs = this.d.valueLocs;
    try {
      switch (act) {
        case "remove":
          this.remove(ptr);
          break;
        case "add-member":
        case "add-case": {
          const prefix = act === "add-case" ? "case" : b.dataset.prefix || "key";
          let n = 1;
          while (locs.has(ptr + "/" + escapePointer(prefix + n))) n++;
          const key = prefix + n;
          this.edit(setMember(text, ptr, key, act === "add-case" ? "[]" : '""'), act);
          this.focusKey(ptr + "/" + escapePointer(key));
          break;
        }
        case "add-branch":
          this.edit(appendElement(text, ptr, "[]"), "add-branch");
          break;
        case "add-element": {
          this.edit(appendElement(text, ptr, '""'), "add");
          const kids = childrenOf(this.d.valueLocs, ptr);
          this.focusKey(kids[kids.length - 1], "value");
          break;
        }
        case "rename-uses": {
          const r = this.renamed;
          if (!r || this.refusal(r.path, r.neu)) return;
          this.renamed = null;
          const n = this.edit(renameRefUses(text, r.old, r.neu), "rename-uses");
          this.say(n ? `Updated the uses of ${r.old} to ${r.neu}.` : "", false);
          this.render();
          return;
        }
      }
      this.say("");
    } catch (err) {
      this.say(err instanceof Error ? err.message : String(err));
    }
  }

  // focusKey focuses the field of a member just added: its name's input,
  // or its value's.
  private focusKey(ptr: string | undefined, bind = "key") {
    if (!ptr) return;
    const el = this.form.querySelector<HTMLInputElement>(`[data-bind="${bind}"][data-ptr="${CSS.escape(ptr)}"]`);
    if (el) {
      el.focus();
      el.select();
    }
  }

  // ---- events ----

  private events() {
    const f = this.form;
    f.addEventListener("change", (ev) => this.commit(ev.target as HTMLElement));
    f.addEventListener("focusout", (ev) => {
      const t = ev.target as HTMLElement;
      if (t.dataset.bind && t.dataset.bind !== "bool" && !(t instanceof HTMLSelectElement)) this.commit(t);
      if (this.comp && this.comp.input === t) this.closeCompletion();
    });
    f.addEventListener("click", (ev) => {
      const b = (ev.target as Element).closest<HTMLElement>("button[data-action]");
      if (b && f.contains(b)) this.action(b);
    });
    f.addEventListener("input", (ev) => {
      const t = ev.target as HTMLElement;
      if ((t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) && t.hasAttribute("data-expr")) this.updateCompletion(t, false);
    });
    f.addEventListener("keydown", (ev) => {
      const t = ev.target as HTMLElement;
      if (!(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement)) return;
      if (this.comp && this.comp.input === t) {
        const c = this.comp;
        if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
          ev.preventDefault();
          c.index = (c.index + (ev.key === "ArrowDown" ? 1 : c.items.length - 1)) % c.items.length;
          this.drawCompletion();
          return;
        }
        if (ev.key === "Enter" || ev.key === "Tab") {
          ev.preventDefault();
          this.pick(c.index);
          return;
        }
        if (ev.key === "Escape") {
          ev.preventDefault();
          ev.stopPropagation();
          this.closeCompletion();
          return;
        }
      }
      if (ev.ctrlKey && (ev.key === " " || ev.code === "Space") && t.hasAttribute("data-expr")) {
        ev.preventDefault();
        this.updateCompletion(t, true);
        return;
      }
      if (ev.key === "Enter" && t instanceof HTMLInputElement && t.type !== "checkbox") {
        ev.preventDefault();
        this.commit(t);
      }
    });
    // A click in the list must not take the focus from the field.
    this.popup.addEventListener("mousedown", (ev) => {
      ev.preventDefault();
      const li = (ev.target as Element).closest<HTMLElement>("li[data-index]");
      if (li) this.pick(Number(li.dataset.index));
    });
  }

  // ---- completion in the form ----

  private updateCompletion(input: HTMLInputElement | HTMLTextAreaElement, explicit: boolean) {
    const caret = input.selectionStart ?? input.value.length;
    const ctx = contextAt(input.value, caret, explicit);
    if (!ctx) return this.closeCompletion();
    const items = filter(expressions(this.d.def, this.d.selection, this.outputKeys()), ctx.typed);
    if (items.length === 0) return this.closeCompletion();
    this.comp = { input, ctx, items, index: 0 };
    this.drawCompletion();
  }

  private drawCompletion() {
    const c = this.comp;
    if (!c) return;
    const p = this.popup;
    p.textContent = "";
    c.items.forEach((e, i) => {
      const li = h("li", { id: "insp-opt-" + i, role: "option", "data-index": String(i), "aria-selected": String(i === c.index) }, h("code", {}, e.text), h("small", { class: "muted" }, e.detail));
      p.append(li);
    });
    const r = c.input.getBoundingClientRect();
    const s = this.section.getBoundingClientRect();
    p.style.left = `${r.left - s.left + this.section.scrollLeft}px`;
    p.style.top = `${r.bottom - s.top + this.section.scrollTop + 2}px`;
    p.style.minWidth = `${Math.min(r.width, 420)}px`;
    p.hidden = false;
    c.input.setAttribute("aria-expanded", "true");
    c.input.setAttribute("aria-controls", "insp-complete");
    c.input.setAttribute("aria-activedescendant", "insp-opt-" + c.index);
    p.children[c.index]?.scrollIntoView({ block: "nearest" });
  }

  private closeCompletion() {
    for (const a of ["aria-expanded", "aria-controls", "aria-activedescendant"]) this.comp?.input.removeAttribute(a);
    this.comp = null;
    this.popup.hidden = true;
    this.popup.textContent = "";
  }

  private pick(i: number) {
    const c = this.comp;
    if (!c || !c.items[i]) return;
    const caret = c.input.selectionStart ?? c.input.value.length;
    const done = complete(c.input.value, c.ctx, caret, c.items[i].text);
    c.input.value = done.text;
    c.input.setSelectionRange(done.caret, done.caret);
    this.closeCompletion();
    c.input.focus();
  }

  // ---- completion in the JSON editor ----

  // source completes ${...} inside the JSON's strings, with what is valid
  // at the task whose JSON the cursor is in.
  source(ctx: CompletionContext): CompletionResult | null {
    const node = syntaxTree(ctx.state).resolveInner(ctx.pos, -1);
    if (node.name !== "String" || ctx.pos <= node.from) return null;
    const start = node.from + 1;
    const before = ctx.state.sliceDoc(start, ctx.pos);
    const c = contextAt(before, before.length, ctx.explicit);
    if (!c) return null;
    let def = this.d.def;
    let locs: Locs = this.d.valueLocs;
    try {
      const text = ctx.state.doc.toString();
      locs = scan(text);
      def = JSON.parse(text);
    } catch {
      // mid-edit: where the values were at the last valid text
    }
    const path = taskAt(def, locs, ctx.pos);
    const apply = (view: EditorView, done: Completion, from: number, to: number) => {
      const end = c.typed.startsWith("${") && view.state.sliceDoc(to, to + 1) === "}" ? to + 1 : to;
      view.dispatch({ changes: { from, to: end, insert: done.label }, selection: { anchor: from + done.label.length }, userEvent: "input.complete" });
    };
    return {
      from: start + c.from,
      options: expressions(def, path, this.outputKeys()).map((e) => ({ label: e.text, detail: e.detail, type: "variable", apply })),
      validFor: /^(?:\$(?:\{[^}"]*)?)?$/,
    };
  }
}

function tasksLabel(seq: unknown): string {
  const n = Array.isArray(seq) ? seq.length : 0;
  return n === 1 ? "1 task" : `${n} tasks`;
}

function labelOf(el: HTMLElement): string {
  return el.closest("label")?.querySelector("span")?.textContent || el.getAttribute("aria-label") || el.dataset.ptr || "the field";
}

// morph makes a look like b, keeping a's elements where b has the same
// element (tag, type and data-key) at the same place: a focused field
// keeps its focus, caret and uncommitted text unless its value in the
// document changed.
function morph(a: Element, b: Element) {
  const oldOrig = a.getAttribute("data-orig");
  for (const at of Array.from(a.attributes)) if (!b.hasAttribute(at.name)) a.removeAttribute(at.name);
  for (const at of Array.from(b.attributes)) if (a.getAttribute(at.name) !== at.value) a.setAttribute(at.name, at.value);
  const an = Array.from(a.childNodes);
  const bn = Array.from(b.childNodes);
  bn.forEach((y, i) => {
    const x = an[i];
    if (!x) a.appendChild(y);
    else if (x.nodeType === Node.TEXT_NODE && y.nodeType === Node.TEXT_NODE) {
      if (x.nodeValue !== y.nodeValue) x.nodeValue = y.nodeValue;
    } else if (x instanceof Element && y instanceof Element && x.tagName === y.tagName && x.getAttribute("data-key") === y.getAttribute("data-key") && x.getAttribute("type") === y.getAttribute("type"))
      morph(x, y);
    else a.replaceChild(y, x);
  });
  for (let i = bn.length; i < an.length; i++) an[i].remove();
  if (a instanceof HTMLInputElement && a.type === "checkbox") a.checked = (b as HTMLInputElement).checked;
  else if (a instanceof HTMLInputElement || a instanceof HTMLTextAreaElement || a instanceof HTMLSelectElement) {
    const nv = (b as HTMLInputElement).value;
    const focused = a === document.activeElement;
    if (a.value !== nv && (!focused || oldOrig !== b.getAttribute("data-orig"))) {
      if (focused && !(a instanceof HTMLSelectElement)) {
        const s = Math.min(a.selectionStart ?? 0, nv.length);
        a.value = nv;
        a.setSelectionRange(s, s);
      } else a.value = nv;
    }
  }
}

// setupInspector shows the inspector in the page's section[data-inspector]
// and adds ${...} completion to the JSON editor.
export function setupInspector(d: Designer) {
  const ins = new Inspector(d);
  // One source and one data object: the completion plugin tells its
  // sources apart by identity at every keystroke.
  d.addLanguageData({ autocomplete: (ctx: CompletionContext) => ins.source(ctx) });
}
