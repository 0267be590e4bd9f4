// The console's behaviour on top of its server-rendered pages: the theme
// toggle, selection in tables, dropping a file onto an upload form.
// Everything here is optional: the pages work without it.

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
    const htmx = (window as unknown as { htmx?: { ajax(m: string, u: string, t: string): void } }).htmx;
    if (htmx) htmx.ajax("GET", url, "#task-panel");
    else location.href = url;
  };
  const diagram = document.querySelector(".diagram");
  diagram?.addEventListener("click", (ev) => {
    const n = (ev.target as Element).closest("[data-task-id]");
    if (n && !(ev.target as Element).closest("a")) open(n);
  });
  diagram?.addEventListener("keydown", (ev) => {
    const e = ev as KeyboardEvent;
    const n = (e.target as Element).closest("[data-task-id]");
    if (n && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      open(n);
    }
  });
  mark();
}

document.addEventListener("DOMContentLoaded", () => {
  setupThemeToggle();
  setupSelectAll();
  setupDropzones();
  setupDiagramTasks();
});
