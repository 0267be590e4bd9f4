// The palette: every task type a person can add. Built-in operators and
// system tasks come from doc.ts's paletteTypes; SIMPLE tasks from the
// registered task definitions; custom system task types from the enabled
// Wasm plugins. The last two come from the catalog (catalog.ts), which the
// palette refreshes when the page opens, every few seconds while it is
// visible and when it becomes visible again, so that a plugin uploaded in
// another tab shows here without a reload.
//
// An item is dragged onto a slot of the canvas (canvas.ts takes the drop),
// or chosen with a click or Enter: it then goes to the canvas's target slot
// (the slot last clicked or focused), after the selected task, or at the
// end of the workflow. "/" anywhere outside the editor focuses the search.

import type { Designer } from "./designer";
import { paletteTypes, setMember, taskTemplate } from "./doc";
import { applyEdit } from "./edit";
import { escapePointer } from "./layout";
import { scan } from "./jsontext";
import { catalog } from "./catalog";

// Item is one entry of the palette: a task type, and for SIMPLE tasks the
// task definition's name.
export interface Item {
  type: string;
  name?: string;
  // plugin: the type is a plugin's custom system task type.
  plugin?: boolean;
  // input is the raw JSON text of the plugin manifest's inputTemplates
  // entry for this type, if it has one.
  input?: string;
  label: string;
  description: string;
  group: string;
}

// The data type a palette drag carries: the new task's JSON text (it
// travels as text/plain too, so that a drop in the JSON editor inserts it).
export const paletteMime = "application/x-baton-palette";

const refreshEvery = 5000; // ms between refreshes of the catalog

const groupNames = { operator: "Operators", system: "System tasks", worker: "Workers' tasks" };

export class Palette {
  private items: Item[] = [];
  private fetched: Item[] = [];
  private readonly list: HTMLElement;
  private readonly search: HTMLInputElement;
  private current = ""; // the key of the list's Tab stop
  // workflow is the registered workflow a new SUB_WORKFLOW or
  // START_WORKFLOW task names until the inspector changes it: the first
  // by name other than the one being edited.
  private workflow = "";

  constructor(
    private readonly d: Designer,
    root: HTMLElement,
    // insert adds an item's template where the canvas says.
    private readonly insert: (tasks: string, label: string) => void,
  ) {
    root.hidden = false;
    root.innerHTML = "";
    const head = document.createElement("h2");
    head.textContent = "Add a task";
    this.search = document.createElement("input");
    this.search.type = "search";
    this.search.placeholder = "Search task types ( / )";
    this.search.setAttribute("aria-label", "Search task types");
    this.search.dataset.paletteSearch = "";
    this.list = document.createElement("div");
    this.list.className = "palette-list";
    this.list.setAttribute("aria-label", "Task types (arrow keys move between them)");
    // One Tab stop for the whole list (a roving tabindex), so that the
    // keyboard reaches the canvas after two: the search and the list.
    this.list.addEventListener("focusin", (ev) => {
      const b = (ev.target as Element).closest<HTMLElement>("[data-palette-item]");
      if (!b) return;
      this.current = b.dataset.key ?? "";
      for (const o of this.buttons()) o.tabIndex = o === b ? 0 : -1;
    });
    root.append(head, this.search, this.list);
    this.search.addEventListener("input", () => this.render());
    this.search.addEventListener("keydown", (ev) => this.searchKey(ev));
    this.list.addEventListener("click", (ev) => {
      const b = (ev.target as Element).closest<HTMLElement>("[data-palette-item]");
      if (b) this.choose(b);
    });
    this.list.addEventListener("keydown", (ev) => this.listKey(ev));
    this.list.addEventListener("dragstart", (ev) => {
      const b = (ev.target as Element).closest<HTMLElement>("[data-palette-item]");
      const it = b ? this.itemOf(b) : undefined;
      if (!it || !ev.dataTransfer) return;
      const tasks = templateOf(it);
      ev.dataTransfer.setData(paletteMime, tasks);
      ev.dataTransfer.setData("text/plain", tasks);
      ev.dataTransfer.effectAllowed = "copy";
      this.d.canvas.classList.add("dragging");
    });
    this.list.addEventListener("dragend", () => this.d.canvas.classList.remove("dragging"));
    document.addEventListener("keydown", (ev) => {
      if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
      const t = ev.target as HTMLElement;
      if (t.closest("input, textarea, select, .cm-editor, [contenteditable]")) return;
      ev.preventDefault();
      this.focusSearch();
    });
    catalog.onChange(() => this.fromCatalog());
    this.fromCatalog();
    catalog.load();
    window.setInterval(() => {
      if (document.visibilityState === "visible") void catalog.refresh();
    }, refreshEvery);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") void catalog.refresh();
    });
  }

  focusSearch() {
    this.search.focus();
    this.search.select();
  }

  // fromCatalog takes the task definitions, the enabled plugins' task
  // types and workers, and a workflow for new SUB_WORKFLOW and
  // START_WORKFLOW tasks (the first by name other than the one being
  // edited) from the catalog, and redraws.
  private fromCatalog() {
    const out: Item[] = [];
    const simple = new Map<string, string>();
    for (const td of catalog.taskDefs ?? []) simple.set(td.name, td.description || "A worker's task (SIMPLE)");
    const inputs = new Map<string, string>();
    for (const p of catalog.plugins ?? []) {
      if (!p.enabled) continue;
      const templates = inputTemplates(p.manifestJson);
      for (const w of p.workers) {
        if (!simple.has(w)) simple.set(w, `Served by the plugin ${p.name}`);
        const input = templates(w);
        if (input) inputs.set(w, input);
      }
      for (const t of p.taskTypes)
        out.push({ type: t, plugin: true, label: t, description: `A custom system task of the plugin ${p.name}`, group: "Plugins", input: templates(t) });
    }
    for (const [name, description] of [...simple].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
      out.push({ type: "SIMPLE", name, label: name, description, group: "Workers' tasks", input: inputs.get(name) });
    this.fetched = out;
    this.workflow = (catalog.workflows ?? []).find((n) => n !== this.d.loaded.name) ?? "";
    this.render();
  }

  // render draws the items matching the search, grouped, keeping the
  // focused item focused.
  private render() {
    const builtIn: Item[] = [];
    const order = ["operator", "system"];
    for (const p of [...paletteTypes].sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group))) {
      if (p.needs === "taskDef") continue; // the workers' tasks are listed by name
      if (p.needs === "workflow" && !this.workflow) continue;
      builtIn.push({ type: p.type, name: p.needs === "workflow" ? this.workflow : undefined, label: p.label, description: p.description, group: groupNames[p.group] });
    }
    this.items = [...builtIn, ...this.fetched];
    const q = this.search.value.trim().toLowerCase();
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.key;
    this.list.textContent = "";
    let group = "";
    this.items.forEach((it, i) => {
      if (q && !(it.label + " " + it.type + " " + it.description).toLowerCase().includes(q)) return;
      if (it.group !== group) {
        group = it.group;
        const h = document.createElement("h3");
        h.textContent = group;
        this.list.append(h);
      }
      const b = document.createElement("button");
      b.type = "button";
      b.draggable = true;
      b.className = "palette-item";
      b.dataset.paletteItem = String(i);
      b.dataset.type = it.type;
      b.dataset.key = it.type + ":" + (it.name ?? "");
      if (it.name) b.dataset.name = it.name;
      b.title = it.description;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = it.label;
      const desc = document.createElement("span");
      desc.className = "desc";
      desc.textContent = it.description;
      b.append(name, desc);
      this.list.append(b);
      if (focused && b.dataset.key === focused) b.focus();
    });
    const bs = this.buttons();
    const stop = bs.find((b) => b.dataset.key === this.current) ?? bs[0];
    for (const b of bs) b.tabIndex = b === stop ? 0 : -1;
    if (bs.length === 0) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "No task type matches.";
      this.list.append(p);
    }
  }

  private itemOf(b: HTMLElement): Item | undefined {
    return this.items[Number(b.dataset.paletteItem)];
  }

  private choose(b: HTMLElement) {
    const it = this.itemOf(b);
    if (it) this.insert(templateOf(it), "palette");
  }

  private buttons(): HTMLElement[] {
    return Array.from(this.list.querySelectorAll<HTMLElement>("[data-palette-item]"));
  }

  // best is the item the search names best: its type or label exactly,
  // else the first whose type or label starts with it, else the first shown.
  private best(): HTMLElement | undefined {
    const q = this.search.value.trim().toLowerCase();
    const bs = this.buttons();
    const named = (b: HTMLElement, f: (s: string) => boolean) => {
      const it = this.itemOf(b);
      return !!it && (f(it.type.toLowerCase()) || f(it.label.toLowerCase()));
    };
    return bs.find((b) => named(b, (s) => s === q)) ?? bs.find((b) => named(b, (s) => s.startsWith(q))) ?? bs[0];
  }

  // searchKey: Enter adds the best match, ArrowDown goes into the list,
  // Escape gives the focus back to the canvas.
  private searchKey(ev: KeyboardEvent) {
    const first = this.buttons()[0];
    const best = this.best();
    if (ev.key === "Enter" && best) {
      ev.preventDefault();
      this.choose(best);
    } else if (ev.key === "ArrowDown" && first) {
      ev.preventDefault();
      first.focus();
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      this.backToCanvas();
    }
  }

  // backToCanvas gives the focus to the canvas's Tab stop.
  private backToCanvas() {
    const stop = this.d.canvas.querySelector<SVGElement>('[tabindex="0"]');
    if (stop) stop.focus();
    else this.d.canvas.focus();
  }

  private listKey(ev: KeyboardEvent) {
    const bs = this.buttons();
    const i = bs.indexOf(document.activeElement as HTMLElement);
    if (i < 0) return;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      const j = i + (ev.key === "ArrowDown" ? 1 : -1);
      if (j < 0) this.search.focus();
      else bs[Math.min(j, bs.length - 1)].focus();
    } else if (ev.key === "Home" || ev.key === "End") {
      ev.preventDefault();
      bs[ev.key === "Home" ? 0 : bs.length - 1].focus();
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      this.backToCanvas();
    }
  }
}

// templateOf is the JSON text of a new task of an item's type, with the
// plugin's input template for its inputParameters when there is one.
export function templateOf(it: Item): string {
  const t = it.plugin ? taskTemplate("PLUGIN", { type: it.type }) : taskTemplate(it.type, { name: it.name });
  if (!it.input) return t;
  return applyEdit(t, setMember(t, "/0", "inputParameters", it.input));
}

// inputTemplates reads a plugin manifest's inputTemplates: a function from
// a task type or worker name to its entry's raw JSON text.
function inputTemplates(manifest: string): (name: string) => string | undefined {
  try {
    const locs = scan(manifest);
    return (name) => {
      const l = locs.get("/inputTemplates/" + escapePointer(name));
      return l ? manifest.slice(l.valueFrom, l.to) : undefined;
    };
  } catch {
    return () => undefined;
  }
}
