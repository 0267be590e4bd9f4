// The designer's page script (/designer, /designer/{name}/{version}): the
// canvas drawn from layout.ts's graph and a CodeMirror 6 JSON editor beside
// it, kept in step. The editor's text is the document: it is never
// re-serialised, so unknown fields, key order and large integers reach the
// server as the person wrote them; the canvas is drawn from a parse of it.
// While the text is not JSON the canvas stays as it was and the page says
// where the error is. Valid text is checked by the server's validator
// (POST /api/metadata/workflow/validate); its diagnostics (JSON pointers)
// mark lines in the editor and nodes on the canvas. "Save as new version"
// registers the text with newVersion=true.
//
// Every other change (the canvas, the palette, the inspector, an import) is
// an Edit of the text (edit.ts) applied by Designer.apply: one step of the
// editor's history, so that undo and redo cover them all and the text
// outside the changed ranges stays as written. The page's other modules
// work through the Designer's methods and its hooks (onSelect, onDraw,
// onParse).

import { EditorView, basicSetup } from "codemirror";
import { EditorState, Transaction } from "@codemirror/state";
import { isolateHistory, redo, undo } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { Diagnostic, diagnosticCount, lintGutter, setDiagnostics } from "@codemirror/lint";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { Graph, WorkflowDef, layout } from "./layout";
import { renderSVG } from "./svg";
import { JSONSyntaxError, Loc, nearest, scan } from "./jsontext";
import { Edit } from "./edit";
import { CanvasEditor } from "./canvas";
import { setupVersions } from "./versions";
import { setupRun } from "./run";
import { setupInspector } from "./inspector";

// A server diagnostic: Conductor's ValidationError (path is a JSON pointer).
export interface ServerDiagnostic {
  path: string;
  message: string;
}

const parseDelay = 150; // ms after the last keystroke before the canvas follows
const validateDelay = 400; // ms after a valid parse before the server checks it
const zoomStep = 1.25;

// The editor takes the console's colours (static/css/baton.css), which
// follow its light or dark theme through light-dark().
const consoleTheme = EditorView.theme({
  "&": { backgroundColor: "var(--code-bg)", color: "var(--fg)", height: "100%" },
  ".cm-content": { caretColor: "var(--fg)" },
  "&.cm-focused .cm-cursor": { borderLeftColor: "var(--fg)" },
  ".cm-gutters": { backgroundColor: "var(--bg-alt)", color: "var(--fg-muted)", borderColor: "var(--border)" },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "light-dark(rgb(0 0 0 / 4%), rgb(255 255 255 / 5%))" },
});
const jsonColours = HighlightStyle.define([
  { tag: tags.propertyName, color: "light-dark(#0b5cad, #79c0ff)" },
  { tag: tags.string, color: "light-dark(#0a3069, #a5d6ff)" },
  { tag: [tags.number, tags.bool, tags.null], color: "light-dark(#116329, #7ee787)" },
]);

// Loaded is the version the page opened (version 0: a new workflow).
export interface Loaded {
  name: string;
  version: number;
  text: string;
}

export class Designer {
  private readonly view: EditorView;
  private graph: Graph | null = null;
  private parsed: WorkflowDef | null = null;
  private locs = new Map<string, Loc>();
  private readonly selectHooks: ((path: string) => void)[] = [];
  private readonly drawHooks: ((svg: SVGSVGElement) => void)[] = [];
  private readonly parseHooks: ((def: WorkflowDef) => void)[] = [];
  private readonly saveHooks: ((saved: Loaded) => void)[] = [];
  readonly loaded: Loaded;
  // saved is the version the text was last opened or saved as: what
  // "unsaved changes" compare with. After a save its version is the
  // latest the server lists then, which another person's save may have
  // overtaken: only loaded is known to be exactly that version's text.
  saved: Loaded;
  private saveGate: ((text: string) => Promise<boolean>) | null = null;
  private serverDiags: ServerDiagnostic[] = [];
  private syntax: Diagnostic | null = null;
  private selected = "";
  private scale = 1;
  private parseTimer = 0;
  private validateTimer = 0;
  private validateSeq = 0;
  // The canvas stays empty until start(), when the page's modules are set
  // up; languageData is what they give the editor (addLanguageData).
  private started = false;
  private readonly languageData: { [name: string]: unknown }[] = [];

  constructor(
    readonly root: HTMLElement,
    text: string,
  ) {
    this.loaded = { name: root.dataset.name || "", version: Number(root.dataset.version || 0), text };
    this.saved = { ...this.loaded };
    const code = this.el("[data-code]");
    code.textContent = "";
    this.view = new EditorView({
      doc: text,
      parent: code,
      extensions: [
        basicSetup,
        json(),
        consoleTheme,
        syntaxHighlighting(jsonColours),
        lintGutter(),
        EditorState.languageData.of(() => this.languageData),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) this.schedule();
        }),
      ],
    });
    performance.mark("designer:editor");
    this.el("[data-zoom-in]").addEventListener("click", () => this.zoom(this.scale * zoomStep));
    this.el("[data-zoom-out]").addEventListener("click", () => this.zoom(this.scale / zoomStep));
    this.el("[data-fit]").addEventListener("click", () => this.fit());
    this.el("[data-save]").addEventListener("click", () => void this.save());
    this.canvasEvents();
    this.update();
    performance.mark("designer:parsed");
  }

  // start draws the canvas, once the page's modules have set up their
  // hooks and their parts of the page (the palette changes the canvas's
  // width). Its size is read before the drawing goes in, and nothing
  // reads the layout after: the browser lays out the diagram once, in
  // the next frame, at the scale it shows. (Each read of the layout, or
  // editor transaction, that finds the diagram new makes the browser lay
  // out its thousands of elements there and then: on 500 tasks 100-300
  // ms each.)
  start() {
    if (this.started) return;
    this.started = true;
    this.fit();
    this.draw();
  }

  private el<T extends HTMLElement = HTMLElement>(sel: string): T {
    const e = this.root.querySelector<T>(sel);
    if (!e) throw new Error("designer: the page has no " + sel);
    return e;
  }

  get text(): string {
    return this.view.state.doc.toString();
  }

  // editor is for tests and the console's other scripts.
  get editor(): EditorView {
    return this.view;
  }

  // def is the last text that parsed as a JSON object, and locs where its
  // values are; while the text is invalid they stay as they were.
  get def(): WorkflowDef | null {
    return this.parsed;
  }

  get valueLocs(): ReadonlyMap<string, Loc> {
    return this.locs;
  }

  // valid says whether the text is JSON now (an edit computed from def and
  // valueLocs is computed from the text).
  get valid(): boolean {
    return this.root.dataset.state === "ok" && this.parseTimer === 0;
  }

  get selection(): string {
    return this.selected;
  }

  // addLanguageData gives the editor language data (an autocomplete
  // source, ...) when modules are set up: read by the editor when it needs
  // it, so that no transaction reconfigures the editor (and lays the page
  // out) at the page's start.
  addLanguageData(data: { [name: string]: unknown }) {
    this.languageData.push(data);
  }

  // The canvas element, for modules that draw on it or take events from it.
  get canvas(): HTMLElement {
    return this.el("[data-canvas]");
  }

  onSelect(fn: (path: string) => void) {
    this.selectHooks.push(fn);
  }

  onDraw(fn: (svg: SVGSVGElement) => void) {
    this.drawHooks.push(fn);
  }

  onParse(fn: (def: WorkflowDef) => void) {
    this.parseHooks.push(fn);
  }

  // onSave hears of each version the text is saved as.
  onSave(fn: (saved: Loaded) => void) {
    this.saveHooks.push(fn);
  }

  // apply makes an edit one step of the editor's history, redraws at once
  // and selects the edit's task.
  apply(e: Edit, label: string) {
    this.view.dispatch({
      changes: e.changes,
      annotations: [isolateHistory.of("full"), Transaction.userEvent.of("input.baton." + label)],
    });
    this.flush();
    this.select(e.select ?? "");
  }

  // replaceText replaces the whole text (an import), as one step.
  replaceText(text: string, label: string) {
    this.apply({ changes: [{ from: 0, to: this.view.state.doc.length, insert: text }] }, label);
  }

  undo(): boolean {
    const done = undo(this.view);
    this.flush();
    return done;
  }

  redo(): boolean {
    const done = redo(this.view);
    this.flush();
    return done;
  }

  // flush brings the canvas (def, valueLocs, valid) up to the text now,
  // not after the debounce.
  flush() {
    if (this.parseTimer === 0) return;
    clearTimeout(this.parseTimer);
    this.update();
  }

  private schedule() {
    clearTimeout(this.parseTimer);
    this.parseTimer = window.setTimeout(() => this.update(), parseDelay);
  }

  // message shows a notice above the panes (empty: hides it).
  message(msg: string, error: boolean) {
    const m = this.el("[data-message]");
    m.textContent = msg;
    m.hidden = msg === "";
    m.className = error ? "notice error" : "notice";
  }

  // update parses the text and, when it is JSON, redraws the canvas and
  // asks the server to validate it; otherwise it freezes the canvas and
  // says where the text goes wrong.
  private update() {
    this.parseTimer = 0;
    const text = this.text;
    let def: WorkflowDef;
    try {
      this.locs = scan(text);
      def = JSON.parse(text) as WorkflowDef;
    } catch (err) {
      const pos = err instanceof JSONSyntaxError ? err.pos : 0;
      const line = this.view.state.doc.lineAt(Math.min(pos, text.length));
      const msg = err instanceof Error ? err.message : String(err);
      this.syntax = { from: pos, to: Math.min(pos + 1, line.to), severity: "error", message: msg };
      this.root.dataset.state = "invalid-json";
      this.message(`The JSON is invalid at line ${line.number}:${pos - line.from + 1}: ${msg}. The diagram shows the last valid version.`, true);
      this.serverDiags = [];
      clearTimeout(this.validateTimer);
      this.validateSeq++; // an answer for an earlier text is stale
      this.showDiagnostics();
      return;
    }
    this.syntax = null;
    this.root.dataset.state = "ok";
    this.message("", false);
    if (def === null || typeof def !== "object" || Array.isArray(def)) {
      this.serverDiags = [{ path: "", message: "a workflow definition is a JSON object" }];
      clearTimeout(this.validateTimer);
      this.validateSeq++; // an answer for an earlier text is stale
      this.root.dataset.validated = "invalid";
      this.showDiagnostics();
      return;
    }
    this.parsed = def;
    this.graph = layout(def);
    for (const fn of this.parseHooks) fn(def);
    this.draw();
    this.showDiagnostics();
    clearTimeout(this.validateTimer);
    this.validateTimer = window.setTimeout(() => void this.validate(text), validateDelay);
  }

  private draw() {
    if (!this.graph || !this.started) return;
    const canvas = this.el("[data-canvas]");
    canvas.innerHTML = renderSVG(this.graph);
    this.applyScale();
    this.markNodes();
    const svg = canvas.querySelector("svg");
    if (this.selected) {
      const n = canvas.querySelector(`g.node[data-path="${CSS.escape(this.selected)}"]`);
      if (n) n.classList.add("selected");
      else this.select(""); // the task is gone
    }
    if (svg) for (const fn of this.drawHooks) fn(svg);
  }

  private applyScale() {
    const svg = this.el("[data-canvas]").querySelector("svg");
    if (!svg || !this.graph) return;
    svg.setAttribute("width", String(Math.round(this.graph.w * this.scale)));
    svg.setAttribute("height", String(Math.round(this.graph.h * this.scale)));
  }

  private zoom(s: number) {
    this.scale = Math.min(4, Math.max(0.1, s));
    this.applyScale();
    this.root.dataset.zoom = this.scale.toFixed(3);
  }

  // fit zooms so that the whole diagram shows, never above 100%.
  private fit() {
    if (!this.graph) return;
    const c = this.el("[data-canvas]");
    const s = Math.min(1, (c.clientWidth - 8) / this.graph.w, (c.clientHeight - 8) / this.graph.h);
    this.zoom(s > 0 ? s : 1);
  }

  // canvasEvents: a click on a task selects it and shows its JSON; a drag
  // on the background pans.
  private canvasEvents() {
    const c = this.el("[data-canvas]");
    c.addEventListener("click", (ev) => {
      const n = (ev.target as Element).closest?.("g.node[data-path]");
      if (n) this.select(n.getAttribute("data-path") || "");
    });
    c.addEventListener("keydown", (ev) => {
      const n = (ev.target as Element).closest?.("g.node[data-path]");
      if (n && (ev.key === "Enter" || ev.key === " ")) {
        ev.preventDefault();
        this.select(n.getAttribute("data-path") || "");
      }
    });
    let drag: { x: number; y: number; left: number; top: number } | null = null;
    c.addEventListener("pointerdown", (ev) => {
      if ((ev.target as Element).closest?.("g.node[data-path], .slot") || ev.button !== 0) return;
      drag = { x: ev.clientX, y: ev.clientY, left: c.scrollLeft, top: c.scrollTop };
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      c.scrollLeft = drag.left - (ev.clientX - drag.x);
      c.scrollTop = drag.top - (ev.clientY - drag.y);
    });
    const end = () => (drag = null);
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
  }

  // select marks a task's node (path "": none) and moves the editor's
  // cursor to its JSON, without taking the focus from the canvas.
  select(path: string) {
    const c = this.el("[data-canvas]");
    c.querySelectorAll("g.node.selected").forEach((e) => e.classList.remove("selected"));
    const n = path ? c.querySelector<SVGGElement>(`g.node[data-path="${CSS.escape(path)}"]`) : null;
    this.selected = n ? path : "";
    n?.classList.add("selected");
    this.root.dataset.selected = this.selected;
    const loc = this.selected ? this.locs.get(path) : undefined;
    if (loc) this.view.dispatch({ selection: { anchor: loc.valueFrom }, effects: EditorView.scrollIntoView(loc.valueFrom, { y: "start", yMargin: 24 }) });
    for (const fn of this.selectHooks) fn(this.selected);
  }

  private async validate(text: string) {
    const seq = ++this.validateSeq;
    let diags: ServerDiagnostic[];
    try {
      const resp = await fetch("/api/metadata/workflow/validate", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: text,
      });
      diags = resp.ok ? [] : await diagnosticsOf(resp);
    } catch (err) {
      diags = [{ path: "", message: "could not reach the server to validate: " + String(err) }];
    }
    if (seq !== this.validateSeq || text !== this.text) return; // a newer edit will be checked
    this.serverDiags = diags;
    this.root.dataset.validated = diags.length === 0 ? "valid" : "invalid";
    this.showDiagnostics();
  }

  // showDiagnostics puts the syntax error or the server's diagnostics in
  // the editor's lint layer, the list under the toolbar and the canvas.
  private showDiagnostics() {
    const doc = this.view.state.doc;
    const out: Diagnostic[] = [];
    if (this.syntax) out.push(this.syntax);
    else
      for (const d of this.serverDiags) {
        const loc = nearest(this.locs, d.path);
        const from = loc ? loc.from : 0;
        const to = Math.max(from, Math.min(loc ? loc.to : 0, doc.lineAt(from).to));
        out.push({ from, to, severity: "error", message: (d.path || "/") + ": " + d.message });
      }
    // A transaction with nothing to show (the usual case) is skipped: it
    // would make the editor read the DOM selection, and so the layout.
    if (out.length > 0 || diagnosticCount(this.view.state) > 0) this.view.dispatch(setDiagnostics(this.view.state, out));
    const list = this.el("[data-diagnostics]");
    list.textContent = "";
    if (!this.syntax)
      for (const d of this.serverDiags) {
        const li = document.createElement("li");
        const code = document.createElement("code");
        code.textContent = d.path || "/";
        li.append(code, " " + d.message);
        list.append(li);
      }
    list.hidden = list.childElementCount === 0;
    this.markNodes();
  }

  // showServerDiagnostics shows diagnostics the server gave for the text
  // (paths are pointers into it) as the live validation's are shown, until
  // the next edit is validated: a refused save's, a refused dry run's.
  showServerDiagnostics(diags: ServerDiagnostic[]) {
    this.serverDiags = diags;
    this.showDiagnostics();
  }

  // markNodes gives the class "invalid" to the node of each server
  // diagnostic: the task whose pointer is the longest prefix of its path.
  private markNodes() {
    const c = this.el("[data-canvas]");
    c.querySelectorAll("g.node.invalid").forEach((e) => e.classList.remove("invalid"));
    if (this.syntax || this.serverDiags.length === 0) return;
    const nodes = Array.from(c.querySelectorAll<SVGGElement>("g.node[data-path]"));
    for (const d of this.serverDiags) {
      let best: SVGGElement | null = null;
      let bestLen = -1;
      for (const n of nodes) {
        const p = n.getAttribute("data-path") || "";
        if ((d.path === p || d.path.startsWith(p + "/")) && p.length > bestLen) {
          best = n;
          bestLen = p.length;
        }
      }
      best?.classList.add("invalid");
    }
  }

  // confirmSave sets what a save asks before it posts (the versions
  // module's diff dialog): false cancels it.
  confirmSave(fn: (text: string) => Promise<boolean>) {
    this.saveGate = fn;
  }

  // save registers the text as a new version of its workflow, once
  // confirmSave's question (if any) says yes.
  async save() {
    const out = this.el("[data-save-result]");
    const text = this.text;
    let name = "";
    try {
      scan(text);
      name = String((JSON.parse(text) as WorkflowDef).name ?? "");
    } catch {
      out.className = "notice error";
      out.textContent = "Not saved: the JSON is invalid (see the message above).";
      return;
    }
    if (this.saveGate && !(await this.saveGate(text))) {
      out.className = "notice";
      out.textContent = "Not saved: cancelled.";
      return;
    }
    await this.post(text, name);
  }

  // post registers text (whose name is name) with newVersion=true.
  private async post(text: string, name: string) {
    const out = this.el("[data-save-result]");
    const button = this.el<HTMLButtonElement>("[data-save]");
    button.disabled = true;
    out.className = "notice";
    out.textContent = "Saving…";
    try {
      const resp = await fetch("/api/metadata/workflow?newVersion=true", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: text,
      });
      if (!resp.ok) {
        const diags = await diagnosticsOf(resp);
        this.showServerDiagnostics(diags.filter((d) => d.path !== "" || diags.length === 1));
        out.className = "notice error";
        out.textContent = "Not saved: " + diags.map((d) => (d.path ? d.path + ": " : "") + d.message).join("; ");
        return;
      }
      // The register call answers with no body: the new version is the
      // latest one now.
      const latest = await fetch("/api/metadata/workflow/" + encodeURIComponent(name));
      const version = latest.ok ? Number(((await latest.json()) as WorkflowDef).version) : 0;
      out.className = "notice ok";
      out.textContent = "";
      if (version > 0) {
        this.saved = { name, version, text };
        const a = document.createElement("a");
        a.href = `/designer/${encodeURIComponent(name)}/${version}`;
        a.textContent = `${name} version ${version}`;
        a.dataset.savedVersion = String(version);
        out.append("Saved as ", a, ".");
        for (const fn of this.saveHooks) fn(this.saved);
      } else out.textContent = "Saved.";
    } catch (err) {
      out.className = "notice error";
      out.textContent = "Not saved: could not reach the server: " + String(err);
    } finally {
      button.disabled = false;
    }
  }
}

// diagnosticsOf reads an error response: its validationErrors, or its
// message as one diagnostic of the whole document.
export async function diagnosticsOf(resp: Response): Promise<ServerDiagnostic[]> {
  let body: { message?: string; validationErrors?: ServerDiagnostic[] } = {};
  try {
    body = await resp.json();
  } catch {
    // not JSON: the status says enough
  }
  if (body.validationErrors && body.validationErrors.length > 0) return body.validationErrors;
  return [{ path: "", message: body.message || `the server answered ${resp.status} ${resp.statusText}` }];
}

// main sets the page up. Its performance marks ("designer:...": the
// script running, the editor made, the text parsed and laid out, the
// modules set up) show where an open's time goes (the open benchmark logs
// them).
function main() {
  const root = document.querySelector<HTMLElement>("[data-designer]");
  const src = document.getElementById("designer-def");
  if (!root || !src) return;
  performance.mark("designer:main");
  // The server embeds the text as a JSON string, so that it arrives exactly.
  const text = JSON.parse(src.textContent || '""') as string;
  const d = new Designer(root, text);
  (window as unknown as { batonDesigner: Designer }).batonDesigner = d;
  new CanvasEditor(d);
  setupInspector(d);
  setupVersions(d);
  setupRun(d);
  performance.mark("designer:modules");
  d.start();
  // When the page is ready to edit, in ms from the navigation's start (the
  // open benchmark reads it), and when the browser has rendered it: a task
  // queued from the next frame's animation callbacks runs after that
  // frame's layout and paint.
  root.dataset.ready = String(Math.round(performance.now()));
  requestAnimationFrame(() => setTimeout(() => (root.dataset.painted = String(Math.round(performance.now())))));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
