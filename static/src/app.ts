// The console's behaviour on top of its server-rendered pages: the live
// view (live.ts) and what pages do with its messages, the theme toggle,
// selection in tables, dropping a file onto an upload form. Everything
// here is optional: the pages work without it.

import { type Message, setStatus } from "./live";

// The chosen theme is a cookie, so that the server renders the page in it
// (no flash of the other theme); without one the system's setting wins.
const themeCookie = "baton-theme";

function currentTheme(): "light" | "dark" {
  const set = document.documentElement.dataset.theme;
  if (set === "light" || set === "dark") return set;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function setupThemeToggle(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>("[data-theme-toggle]")) {
    const label = () => {
      const next = currentTheme() === "dark" ? "light" : "dark";
      b.textContent = next === "dark" ? "Dark" : "Light";
      b.setAttribute("aria-label", `Switch to the ${next} theme`);
    };
    label();
    b.addEventListener("click", () => {
      const next = currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      document.cookie = `${themeCookie}=${next}; path=/; max-age=31536000; SameSite=Lax`;
      label();
    });
  }
}

// setupSelectAll makes a header checkbox select every row of its table.
function setupSelectAll(): void {
  document.addEventListener("change", (ev) => {
    const box = ev.target as HTMLInputElement;
    if (!box.matches("[data-select-all]")) return;
    const table = box.closest("table");
    for (const b of table?.querySelectorAll<HTMLInputElement>("tbody input[type=checkbox]") ?? []) {
      b.checked = box.checked;
    }
  });
}

// setupDropzones lets a file be dropped onto a [data-dropzone] area: it
// becomes the file of the area's file input.
function setupDropzones(): void {
  for (const zone of document.querySelectorAll<HTMLElement>("[data-dropzone]")) {
    const input = zone.querySelector<HTMLInputElement>("input[type=file]");
    const shown = zone.querySelector<HTMLElement>("[data-dropzone-file]");
    if (!input) continue;
    const show = () => {
      const f = input.files?.[0];
      if (shown) shown.textContent = f ? `${f.name}, ${Math.ceil(f.size / 1024)} KiB` : "";
      const name = zone.closest("form")?.querySelector<HTMLInputElement>("input[name=name]");
      if (f && name && !name.value) name.value = f.name.replace(/\.wasm$/, "").toLowerCase().replace(/[^a-z0-9_-]/g, "-");
    };
    input.addEventListener("change", show);
    zone.addEventListener("dragover", (ev) => {
      ev.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (ev) => {
      ev.preventDefault();
      zone.classList.remove("over");
      if (ev.dataTransfer?.files.length) {
        input.files = ev.dataTransfer.files;
        show();
      }
    });
  }
}

// setupDiagramTasks makes the task nodes of an execution's diagram open
// their task's panel, with the mouse or the keyboard (Tab, then Enter or
// Space).
function setupDiagramTasks(): void {
  const panel = document.querySelector("#task-panel");
  const exec = document.querySelector<HTMLElement>("[data-live-execution]")?.dataset.liveExecution;
  if (!panel || !exec) return;
  const nodes = () => document.querySelectorAll<SVGElement>(".diagram [data-task-id]");
  const mark = () => {
    for (const n of nodes()) {
      if (!n.dataset.taskId || n.hasAttribute("tabindex")) continue;
      n.setAttribute("tabindex", "0");
      n.setAttribute("role", "button");
      n.setAttribute("aria-label", `Task ${n.dataset.taskRef ?? n.dataset.taskId}, ${n.dataset.status ?? ""}`);
    }
  };
  const open = (n: Element) => {
    const id = (n as SVGElement).dataset.taskId;
    if (!id) return;
    const url = `/executions/${encodeURIComponent(exec)}/tasks/${encodeURIComponent(id)}`;
    const h = htmx();
    if (h) h.ajax("GET", url, "#task-panel");
    else location.href = url;
  };
  // Listeners sit on the document: the diagram is replaced when the
  // execution gains tasks.
  document.addEventListener("click", (ev) => {
    const n = (ev.target as Element).closest(".diagram [data-task-id]");
    if (n && !(ev.target as Element).closest("a")) open(n);
  });
  document.addEventListener("keydown", (ev) => {
    const n = (ev.target as Element).closest(".diagram [data-task-id]");
    if (n && (ev.key === "Enter" || ev.key === " ")) {
      ev.preventDefault();
      open(n);
    }
  });
  document.addEventListener("baton:refreshed", mark);
  mark();
}

type Htmx = { process(el: Element): void; ajax(method: string, url: string, target: string): void };
const htmx = (): Htmx | undefined => (window as unknown as { htmx?: Htmx }).htmx;

// refresher reloads parts of the page (elements by id) from a fresh copy
// of it, one fetch at a time and at most once per interval however many
// changes ask, and then re-applies the statuses the live view reported
// while the copy was on its way (it may be older than they are). A part
// holding a field being typed in waits for the next round; focus on an
// element with a data-task-id, or an id, moves to its new copy.
function refresher(url: () => string, ids: string[], interval: number) {
  let timer: number | undefined;
  let busy = false;
  let again = false;
  const latest = new Map<string, string>();
  const run = async () => {
    timer = undefined;
    busy = true;
    again = false;
    // Whatever was reported before this fetch is in what it returns.
    latest.clear();
    try {
      const r = await fetch(url(), { headers: { "X-Requested-With": "baton-live" } });
      if (!r.ok) return;
      swap(new DOMParser().parseFromString(await r.text(), "text/html"));
    } catch {
      again = true;
    } finally {
      busy = false;
      if (again) schedule();
    }
  };
  const swap = (fresh: Document) => {
    const active = document.activeElement as HTMLElement | null;
    const focusTask = active?.dataset?.taskId;
    const focusID = active?.id;
    const replaced: Element[] = [];
    for (const id of ids) {
      const now = document.getElementById(id);
      const next = fresh.getElementById(id);
      if (!now || !next) continue;
      if (active && now.contains(active) && active.matches("input, textarea, select")) {
        again = true;
        continue;
      }
      const node = document.importNode(next, true);
      now.replaceWith(node);
      replaced.push(node);
      htmx()?.process(node);
    }
    const root = document.querySelector<HTMLElement>("[data-live=execution]");
    const freshRoot = fresh.querySelector<HTMLElement>("[data-live=execution]");
    if (root && freshRoot?.dataset.taskSeq) root.dataset.taskSeq = freshRoot.dataset.taskSeq;
    for (const part of replaced) {
      for (const el of part.querySelectorAll<HTMLElement>("[data-task-id], [data-workflow-id]")) {
        const status = latest.get(el.dataset.taskId ?? el.dataset.workflowId ?? "");
        if (status !== undefined) setStatus(el, status);
      }
    }
    document.dispatchEvent(new CustomEvent("baton:refreshed"));
    if (document.activeElement === document.body || !document.activeElement) {
      const target =
        (focusTask && document.querySelector<HTMLElement>(`.diagram [data-task-id="${CSS.escape(focusTask)}"]`)) ||
        (focusID && document.getElementById(focusID)) ||
        null;
      target?.focus();
    }
  };
  const schedule = () => {
    if (busy || timer !== undefined) {
      again = true;
      return;
    }
    timer = window.setTimeout(run, interval);
  };
  return { schedule, latest };
}

// setupLiveExecution keeps an execution's page whole as it changes: the
// live view patches statuses in place; a task the page does not show yet,
// or a change of the workflow's status, reloads the parts that depend on
// them.
function setupLiveExecution(): void {
  const root = document.querySelector<HTMLElement>("[data-live=execution]");
  if (!root) return;
  const parts = ["workflow-facts", "workflow-actions", "diagram", "timeline", "task-table", "workflow-output"];
  const r = refresher(() => location.pathname + location.search, parts, 300);
  let status = document.querySelector<HTMLElement>("h1 [data-workflow-id]")?.dataset.status;
  let seq = Number(root.dataset.taskSeq ?? "0");
  document.addEventListener("baton:refreshed", () => {
    seq = Number(document.querySelector<HTMLElement>("[data-live=execution]")?.dataset.taskSeq ?? seq);
  });
  document.addEventListener("baton:live", (ev) => {
    const m = (ev as CustomEvent<Message>).detail;
    let stale = m.type === "snapshot" && (m.tasks?.length ?? 0) > 0;
    if (m.workflow) {
      r.latest.set(m.workflow.workflowId, m.workflow.status);
      if (m.workflow.status !== status) stale = true;
      status = m.workflow.status;
    }
    for (const t of m.tasks ?? []) {
      r.latest.set(t.taskId, t.status);
      // A task the page was rendered without (tasks on other pages of the
      // list are not new: they have lower sequence numbers).
      if (t.seq > seq) stale = true;
    }
    if ((m.removedTasks?.length ?? 0) > 0) stale = true;
    if (stale) r.schedule();
  });
  // An action's result changes the execution: its deltas arrive as well.
  document.body.addEventListener("baton-changed", () => r.schedule());
}

// setupLiveExecutions reloads the rows of a search's first page when an
// execution it does not show yet changes, or one it shows ends (its times
// and duration change); statuses are patched in place meanwhile.
function setupLiveExecutions(): void {
  const el = document.querySelector<HTMLElement>("[data-live=executions]");
  if (!el || el.dataset.liveReload !== "true") return;
  const r = refresher(() => location.pathname + location.search, ["execution-rows"], 500);
  // A reload keeps the rows a person selected for a bulk action.
  let checked: string[] = [];
  const remember = () => {
    checked = Array.from(document.querySelectorAll<HTMLInputElement>("#execution-rows input[name=id]:checked"), (b) => b.value);
  };
  document.addEventListener("change", remember);
  document.addEventListener("baton:refreshed", () => {
    for (const b of document.querySelectorAll<HTMLInputElement>("#execution-rows input[name=id]")) {
      b.checked = checked.includes(b.value);
    }
  });
  document.addEventListener("baton:live", (ev) => {
    const m = (ev as CustomEvent<Message>).detail;
    const w = m.workflow;
    if (m.type !== "delta" || !w) return;
    r.latest.set(w.workflowId, w.status);
    if (w.endTime || !document.querySelector(`#execution-rows [data-workflow-id="${CSS.escape(w.workflowId)}"]`)) r.schedule();
  });
}

// setupLiveOverview refreshes the overview's figures (an htmx trigger,
// throttled there) when executions change.
function setupLiveOverview(): void {
  if (!document.querySelector("[data-live=overview]")) return;
  document.addEventListener("baton:live", () => document.body.dispatchEvent(new CustomEvent("baton-overview")));
}

document.addEventListener("DOMContentLoaded", () => {
  setupThemeToggle();
  setupSelectAll();
  setupDropzones();
  setupDiagramTasks();
  setupLiveExecution();
  setupLiveExecutions();
  setupLiveOverview();
});
