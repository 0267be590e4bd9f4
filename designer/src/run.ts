// The designer's runs: a panel that starts the workflow (POST /api/workflow)
// and opens its live execution, or dry-runs the text (POST
// /api/metadata/workflow/dryrun) and shows the path the decider takes:
// the steps, their inputs and outputs, and on the canvas the tasks taken
// ("dry-taken") and not taken ("dry-skipped") until the text changes or the
// panel closes. Request bodies are built by concatenating the texts as
// written, so that large integers in the definition, the input or the mocks
// reach the server exactly.

import { type Designer, type ServerDiagnostic, diagnosticsOf } from "./designer";
import { Loc, notJSON, scan } from "./jsontext";
import { WorkflowDef, WorkflowTask, escapePointer } from "./layout";
import { leave } from "./versions";

// The task types the dry run runs for real, as the server does: a mock of
// one would go unused, so the mocks' starting object leaves them out.
const operators = new Set([
  "FORK_JOIN",
  "FORK",
  "FORK_JOIN_DYNAMIC",
  "DECISION",
  "SWITCH",
  "JOIN",
  "EXCLUSIVE_JOIN",
  "DO_WHILE",
  "LAMBDA",
  "INLINE",
  "TERMINATE",
  "JSON_JQ_TRANSFORM",
  "SET_VARIABLE",
  "NOOP",
]);

interface Step {
  taskReferenceName: string;
  taskType: string;
  status: string;
  iteration?: number;
  reasonForIncompletion?: string;
  notes?: string[];
}

interface Result {
  status: string;
  reasonForIncompletion?: string;
  steps: Step[];
  stopped?: boolean;
  notes?: string[];
}

export function setupRun(d: Designer) {
  const panel = d.root.querySelector<HTMLElement>("[data-run-panel]");
  const bar = d.root.querySelector<HTMLElement>("[data-versions-bar]");
  if (!panel || !bar) return;
  new RunPanel(d, panel, bar);
}

class RunPanel {
  private readonly input: HTMLTextAreaElement;
  private readonly mocks: HTMLTextAreaElement;
  private readonly correlation: HTMLInputElement;
  private readonly error: HTMLElement;
  private readonly result: HTMLElement;
  private inputTouched = false;
  private mocksTouched = false;
  // The dry run shown: the text it ran and the pointers of its tasks taken.
  private dry: { text: string; taken: Set<string> } | null = null;

  constructor(
    private readonly d: Designer,
    private readonly panel: HTMLElement,
    bar: HTMLElement,
  ) {
    const open = document.createElement("button");
    open.type = "button";
    open.dataset.run = "";
    open.textContent = "Run…";
    open.title = "Start the workflow, or dry-run it with mocked tasks";
    open.addEventListener("click", () => this.open());
    bar.append(open);

    panel.setAttribute("aria-label", "Run");
    const head = document.createElement("div");
    head.className = "run-head";
    const h = document.createElement("h2");
    h.textContent = "Run";
    const close = document.createElement("button");
    close.type = "button";
    close.dataset.runClose = "";
    close.setAttribute("aria-label", "Close the run panel");
    close.textContent = "×";
    close.addEventListener("click", () => this.close());
    head.append(h, close);

    this.input = textarea("runInput");
    this.input.addEventListener("input", () => (this.inputTouched = true));
    this.mocks = textarea("runMocks");
    this.mocks.addEventListener("input", () => (this.mocksTouched = true));
    this.correlation = document.createElement("input");
    this.correlation.dataset.runCorrelation = "";
    this.correlation.placeholder = "optional";

    const fields = document.createElement("div");
    fields.className = "run-fields";
    fields.append(
      labelled("Input (a JSON object)", this.input),
      labelled('Mocks for a dry run: {"ref": output} or {"ref": [output of the 1st run, of the 2nd…]}; {"status": "FAILED", "reasonForIncompletion": "…"} fails a run', this.mocks),
    );
    const start = document.createElement("button");
    start.type = "button";
    start.className = "primary";
    start.dataset.runStart = "";
    start.textContent = "Start";
    start.addEventListener("click", () => void this.start(start));
    const dry = document.createElement("button");
    dry.type = "button";
    dry.dataset.dryRun = "";
    dry.textContent = "Dry run";
    dry.addEventListener("click", () => void this.dryRun(dry));
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(labelled("Correlation id", this.correlation), start, dry);

    this.error = document.createElement("div");
    this.error.dataset.runError = "";
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.result = document.createElement("div");
    this.result.dataset.dryResult = "";
    panel.append(head, fields, actions, this.error, this.result);
    panel.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") this.close();
    });

    d.onDraw((svg) => this.mark(svg));
  }

  private open() {
    const def = this.d.def;
    if (!this.inputTouched) this.input.value = startingInput(def);
    if (!this.mocksTouched) this.mocks.value = startingMocks(def);
    this.panel.hidden = false;
    this.input.focus();
    this.panel.scrollIntoView({ block: "nearest" });
  }

  private close() {
    this.panel.hidden = true;
    this.dry = null;
    this.result.textContent = "";
    this.showError("");
    this.markNow();
    this.d.root.querySelector<HTMLElement>("[data-run]")?.focus();
  }

  private showError(msg: string) {
    this.error.textContent = msg;
    this.error.hidden = msg === "";
    this.error.className = msg ? "notice error" : "";
  }

  // start starts the workflow: by name and version when the text is a
  // saved version, otherwise with the text as its inline definition.
  private async start(button: HTMLButtonElement) {
    this.showError("");
    const input = objectText(this.input.value, "The input");
    if (typeof input !== "string") return this.showError(input.error);
    const text = this.d.text;
    const def = definitionText(text);
    if (typeof def !== "string") return this.showError(def.error);
    // By version only for the version the page opened: a version learnt
    // after a save is the latest the server listed then, which another
    // save may have overtaken; the text inline runs what is on screen.
    const saved = this.d.loaded;
    const asSaved = saved.version > 0 && text === saved.text;
    const name = String((JSON.parse(text) as { name?: unknown }).name ?? saved.name);
    let body = '{"name":' + JSON.stringify(name);
    body += asSaved ? ',"version":' + saved.version : ',"workflowDef":' + def;
    body += ',"input":' + input;
    const corr = this.correlation.value.trim();
    if (corr) body += ',"correlationId":' + JSON.stringify(corr);
    body += "}";
    button.disabled = true;
    try {
      const resp = await fetch("/api/workflow", { method: "POST", headers: { "Content-Type": "application/json" }, body });
      if (!resp.ok) return this.showError("Not started: " + (await problem(resp)));
      const id = (await resp.text()).trim();
      const url = "/executions/" + encodeURIComponent(id);
      const where = asSaved ? `${name} v${saved.version}` : "the text as it is";
      if (!leave(this.d, url, `Execution ${id} started with ${where}. The text's changes are not saved: open the execution and lose them?`)) {
        this.result.textContent = "";
        const a = document.createElement("a");
        a.href = url;
        a.textContent = id;
        a.dataset.execution = id;
        this.result.append("Started execution ", a, ".");
      }
    } catch (err) {
      this.showError("Not started: could not reach the server: " + String(err));
    } finally {
      button.disabled = false;
    }
  }

  private async dryRun(button: HTMLButtonElement) {
    this.showError("");
    const input = objectText(this.input.value, "The input");
    if (typeof input !== "string") return this.showError(input.error);
    const mocks = mocksText(this.mocks.value);
    if (typeof mocks !== "string") return this.showError(mocks.error);
    const text = this.d.text;
    const def = definitionText(text);
    if (typeof def !== "string") return this.showError(def.error);
    button.disabled = true;
    this.result.setAttribute("aria-busy", "true");
    try {
      const resp = await fetch("/api/metadata/workflow/dryrun", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: '{"workflowDef":' + def + ',"input":' + input + ',"mocks":' + mocks + "}",
      });
      if (!resp.ok) return this.refused(text, await diagnosticsOf(resp));
      const raw = await resp.text();
      this.show(text, raw);
    } catch (err) {
      this.showError("The dry run failed: could not reach the server: " + String(err));
    } finally {
      button.disabled = false;
      this.result.removeAttribute("aria-busy");
    }
  }

  // refused says why the server refused a dry run. Its diagnostics point
  // into the request: those under /workflowDef are the text's, and are
  // marked in the editor like a refused save's (while the text is the one
  // sent; after another edit the live validation has the word).
  private refused(text: string, diags: ServerDiagnostic[]) {
    const prefix = "/workflowDef";
    const said = diags.map((d) => (d.path === prefix || d.path.startsWith(prefix + "/") ? { path: d.path.slice(prefix.length), message: d.message, inText: true } : { ...d, inText: false }));
    const inText = said.filter((d) => d.inText).map(({ path, message }) => ({ path, message }));
    if (inText.length > 0 && this.d.text === text) this.d.showServerDiagnostics(inText);
    this.showError("The dry run was refused: " + said.map((d) => (d.path ? (d.inText ? "the definition's " : "") + d.path + ": " : "") + d.message).join("; "));
  }

  // show writes a dry run's result: its status, output and steps. Values
  // are shown as the server wrote them (raw slices of its answer), so that
  // large integers read right.
  private show(text: string, raw: string) {
    const locs = scan(raw);
    const res = JSON.parse(raw) as Result;
    const slice = (ptr: string) => {
      const l = locs.get(ptr);
      return l ? raw.slice(l.valueFrom, l.to) : "";
    };
    // The steps are mapped onto the text that was sent, which the last
    // parse of the editor may not have caught up with yet.
    const paths = taskPaths(JSON.parse(text) as WorkflowDef);
    this.dry = { text, taken: new Set() };
    this.result.textContent = "";

    const status = document.createElement("p");
    status.dataset.dryStatus = res.status;
    status.append("Dry run: the workflow ends ", badge(res.status));
    if (res.reasonForIncompletion) status.append(": " + res.reasonForIncompletion);
    this.result.append(status);
    for (const n of res.notes ?? []) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = n;
      this.result.append(p);
    }
    this.result.append(labelledPre("Output", slice("/output")));

    const table = document.createElement("table");
    table.className = "dry-steps";
    const head = table.createTHead().insertRow();
    for (const c of ["#", "Task", "Type", "Status", "Input", "Output"]) {
      const th = document.createElement("th");
      th.textContent = c;
      head.append(th);
    }
    const body = table.createTBody();
    res.steps.forEach((st, i) => {
      const ref = st.taskReferenceName.replace(/__\d+$/, "");
      const path = paths.get(ref) ?? paths.get(st.taskReferenceName) ?? "";
      if (path) this.dry?.taken.add(path);
      const row = body.insertRow();
      row.dataset.step = st.taskReferenceName;
      row.dataset.status = st.status;
      row.insertCell().textContent = String(i + 1);
      const task = row.insertCell();
      const b = document.createElement("button");
      b.type = "button";
      b.className = "link";
      b.textContent = st.taskReferenceName;
      b.disabled = path === "";
      b.title = path ? "Select this task" : "Not a task of the text (a dynamic task?)";
      b.addEventListener("click", () => this.d.select(path));
      task.append(b);
      row.insertCell().textContent = st.taskType;
      const stc = row.insertCell();
      stc.append(badge(st.status));
      if (st.reasonForIncompletion) stc.append(" " + st.reasonForIncompletion);
      if (st.notes?.length) stc.title = st.notes.join("\n");
      row.insertCell().append(pre(slice(`/steps/${i}/input`)));
      row.insertCell().append(pre(slice(`/steps/${i}/output`)));
    });
    this.result.append(table);
    this.markNow();
  }

  private markNow() {
    const svg = this.d.canvas.querySelector("svg");
    if (svg) this.mark(svg);
  }

  // mark classes the canvas's tasks by the dry run shown, while the text is
  // the one it ran.
  private mark(svg: SVGSVGElement) {
    if (this.dry && this.dry.text !== this.d.text) {
      // The result stays to read, but its pointers are the old text's.
      this.dry = null;
      const p = document.createElement("p");
      p.className = "notice";
      p.dataset.dryStale = "";
      p.textContent = "The text has changed since this dry run: run it again to see the path it takes now.";
      this.result.prepend(p);
      this.result.querySelectorAll<HTMLButtonElement>("[data-step] button").forEach((b) => (b.disabled = true));
    }
    const dry = this.dry;
    svg.querySelectorAll<SVGGElement>("g.node[data-path]").forEach((n) => {
      const taken = dry !== null && dry.taken.has(n.getAttribute("data-path") || "");
      n.classList.toggle("dry-taken", taken);
      n.classList.toggle("dry-skipped", dry !== null && !taken);
    });
  }
}

function textarea(key: string): HTMLTextAreaElement {
  const t = document.createElement("textarea");
  t.dataset[key] = "";
  t.rows = 8;
  t.spellcheck = false;
  return t;
}

function labelled(text: string, el: HTMLElement): HTMLLabelElement {
  const l = document.createElement("label");
  const span = document.createElement("span");
  span.textContent = text;
  l.append(span, el);
  return l;
}

// badge is a status in the console's colours.
function badge(status: string): HTMLElement {
  const b = document.createElement("span");
  b.className = "badge";
  b.dataset.status = status;
  b.textContent = status;
  return b;
}

function pre(text: string): HTMLPreElement {
  const p = document.createElement("pre");
  p.textContent = text;
  return p;
}

function labelledPre(label: string, text: string): HTMLElement {
  const div = document.createElement("div");
  div.dataset.dryOutput = "";
  const s = document.createElement("strong");
  s.textContent = label;
  div.append(s, pre(text));
  return div;
}

// startingInput is an object with the workflow's inputParameters as keys.
function startingInput(def: WorkflowDef | null): string {
  const params = (def as { inputParameters?: unknown } | null)?.inputParameters;
  const names = Array.isArray(params) ? params.filter((p): p is string => typeof p === "string") : [];
  if (names.length === 0) return "{}";
  return "{\n" + names.map((n) => `  ${JSON.stringify(n)}: ""`).join(",\n") + "\n}";
}

// startingMocks is {} for each task that needs outside work.
function startingMocks(def: WorkflowDef | null): string {
  const refs: string[] = [];
  walk(def, (t) => {
    const ref = t.taskReferenceName;
    if (typeof ref === "string" && ref !== "" && !operators.has(String(t.type ?? "SIMPLE")) && !refs.includes(ref)) refs.push(ref);
  });
  if (refs.length === 0) return "{}";
  return "{\n" + refs.map((r) => `  ${JSON.stringify(r)}: {}`).join(",\n") + "\n}";
}

// taskPaths maps each reference name to its task's pointer (the first,
// when one is repeated).
function taskPaths(def: WorkflowDef | null): Map<string, string> {
  const out = new Map<string, string>();
  walk(def, (t, path) => {
    const ref = t.taskReferenceName;
    if (typeof ref === "string" && !out.has(ref)) out.set(ref, path);
  });
  return out;
}

// walk calls fn for each task of a definition, nested ones included.
function walk(def: WorkflowDef | null, fn: (t: WorkflowTask, path: string) => void) {
  const list = (ts: unknown, ptr: string) => {
    if (!Array.isArray(ts)) return;
    ts.forEach((t: WorkflowTask | null, i) => {
      if (t === null || typeof t !== "object") return;
      const path = ptr + "/" + i;
      fn(t, path);
      if (t.decisionCases && typeof t.decisionCases === "object")
        for (const [k, v] of Object.entries(t.decisionCases)) list(v, path + "/decisionCases/" + escapePointer(k));
      list(t.defaultCase, path + "/defaultCase");
      if (Array.isArray(t.forkTasks)) t.forkTasks.forEach((br, j) => list(br, path + "/forkTasks/" + j));
      list(t.loopOver, path + "/loopOver");
    });
  };
  if (def) list(def.tasks, "/tasks");
}

type Checked = string | { error: string };

// jsonError says where text stops being JSON.
function jsonError(what: string, text: string, err: unknown): { error: string } {
  return { error: notJSON(what, text, err) + "." };
}

// objectText checks that text is one JSON object and returns it trimmed
// (empty: {}).
function objectText(text: string, what: string): Checked {
  const t = text.trim();
  if (t === "") return "{}";
  try {
    scan(t);
  } catch (err) {
    return jsonError(what, t, err);
  }
  if (!t.startsWith("{")) return { error: `${what} must be a JSON object ({"name": value, …}).` };
  return t;
}

// definitionText checks the definition's text before it is sent inline.
function definitionText(text: string): Checked {
  try {
    scan(text);
  } catch (err) {
    return jsonError("The definition's text", text, err);
  }
  if (!text.trim().startsWith("{")) return { error: "The definition's text must be a JSON object." };
  return text;
}

// mocksText turns {ref: output | [outputs]} into the server's mocks
// ({ref: {"output": …}} or {ref: {"sequence": [{"output": …}, …]}}),
// copying each output's text as written. A mock (or a run of a list) of
// only status FAILED or FAILED_WITH_TERMINAL_ERROR, reasonForIncompletion
// and output is an outcome and goes as it is: that is how a task is made
// to fail.
function mocksText(text: string): Checked {
  const t = text.trim();
  if (t === "") return "{}";
  let locs: Map<string, Loc>;
  try {
    locs = scan(t);
  } catch (err) {
    return jsonError("The mocks", t, err);
  }
  const v = JSON.parse(t) as unknown;
  if (v === null || typeof v !== "object" || Array.isArray(v)) return { error: 'The mocks must be a JSON object: {"taskRef": {output}, …}.' };
  const raw = (ptr: string) => {
    const l = locs.get(ptr) as Loc;
    return t.slice(l.valueFrom, l.to);
  };
  const members: string[] = [];
  const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x);
  const outcomeKeys = ["status", "output", "reasonForIncompletion"];
  const failing = ["FAILED", "FAILED_WITH_TERMINAL_ERROR"];
  const isOutcome = (x: unknown) => isObject(x) && failing.includes(x.status as string) && Object.keys(x).every((k) => outcomeKeys.includes(k));
  const one = (x: unknown, ptr: string) => (isOutcome(x) ? raw(ptr) : '{"output":' + raw(ptr) + "}");
  for (const [ref, m] of Object.entries(v as Record<string, unknown>)) {
    const ptr = "/" + escapePointer(ref);
    if (Array.isArray(m)) {
      if (!m.every(isObject)) return { error: `The mocks of ${ref} must be outputs or outcomes: JSON objects.` };
      members.push(JSON.stringify(ref) + ':{"sequence":[' + m.map((x, i) => one(x, `${ptr}/${i}`)).join(",") + "]}");
    } else if (isObject(m)) members.push(JSON.stringify(ref) + ":" + one(m, ptr));
    else return { error: `The mock of ${ref} must be its output (a JSON object), an outcome ({"status": "FAILED", …}) or a list of them, one per run.` };
  }
  return "{" + members.join(",") + "}";
}

// problem says what an error response says: its validation errors, or
// its message.
async function problem(resp: Response): Promise<string> {
  return (await diagnosticsOf(resp)).map((e) => (e.path ? e.path + ": " : "") + e.message).join("; ");
}
