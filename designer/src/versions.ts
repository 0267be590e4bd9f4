// The designer's versions: what a save changes (the structural diff, in a
// dialog, before "Save as new version" posts), a picker that opens any
// version of the workflow, and import and export of definition files. An
// import replaces the text as one undoable edit and keeps the file's text
// as written (large integers, unknown members); an export downloads the
// text as written. Leaving the page with unsaved changes asks first.

import type { Designer } from "./designer";
import { Diff, diff, empty } from "./diff";
import { dedent, indentAt } from "./doc";
import { notJSON, scan } from "./jsontext";

// maxImport bounds an imported file: what the server takes in one request
// (the page says, data-max-body), so that an import is one the designer
// can validate, save and run.
function maxImport(d: Designer): number {
  return Number(d.root.dataset.maxBody) || 4 << 20;
}

// leaving is set once the page itself navigates after asking, so that
// beforeunload does not ask again.
let leaving = false;

// unsaved says whether the text differs from the version last opened or
// saved.
function unsaved(d: Designer): boolean {
  return d.text !== d.saved.text;
}

// leave navigates to url, asking first when the text has unsaved changes
// (question says what happens to them); false when the person stays.
export function leave(d: Designer, url: string, question = "The text has changes that are not saved; they will be lost. Leave the designer?"): boolean {
  if (unsaved(d) && !window.confirm(question)) return false;
  leaving = true;
  window.location.assign(url);
  return true;
}

export function setupVersions(d: Designer) {
  const bar = d.root.querySelector<HTMLElement>("[data-versions-bar]");
  if (!bar) return;
  const picker = versionPicker(d, bar);
  importExport(d, bar);
  d.confirmSave((text) => confirmSave(d, text));
  d.onSave(() => void picker.refresh());
  window.addEventListener("beforeunload", (ev) => {
    if (leaving || !unsaved(d)) return;
    ev.preventDefault();
    ev.returnValue = ""; // older browsers ask only when it is set
  });
}

// versionPicker lists the workflow's versions; choosing one opens it.
function versionPicker(d: Designer, bar: HTMLElement) {
  const label = document.createElement("label");
  label.className = "designer-versions";
  const select = document.createElement("select");
  select.dataset.versionPicker = "";
  label.append("Version ", select);
  label.hidden = true;
  bar.append(label);
  const refresh = async () => {
    const name = d.saved.name;
    if (!name) return; // a new workflow: nothing saved yet
    let versions: { version: number }[];
    try {
      const resp = await fetch(`/api/metadata/workflow/${encodeURIComponent(name)}/versions`);
      if (!resp.ok) return; // not saved yet under this name
      versions = (await resp.json()) as { version: number }[];
    } catch {
      return; // the picker stays as it was; the page works without it
    }
    select.textContent = "";
    for (const v of versions) {
      const o = document.createElement("option");
      o.value = String(v.version);
      o.textContent = "v" + v.version + (v.version === d.loaded.version && name === d.loaded.name ? " (opened)" : "");
      select.append(o);
    }
    select.value = String(d.saved.version);
    label.hidden = versions.length === 0;
  };
  select.addEventListener("change", () => {
    const v = Number(select.value);
    if (!leave(d, `/designer/${encodeURIComponent(d.saved.name)}/${v}`, `The text has changes that are not saved; opening version ${v} loses them. Open it?`))
      select.value = String(d.saved.version);
  });
  void refresh();
  return { refresh };
}

// confirmSave shows what the save changes against the version last opened
// or saved (for a new workflow, everything) and asks.
function confirmSave(d: Designer, text: string): Promise<boolean> {
  const base = d.saved;
  const changes = diff(base.version > 0 ? base.text : "", text);
  const dialog = document.createElement("dialog");
  dialog.className = "designer-dialog";
  dialog.dataset.saveDiff = "";
  dialog.setAttribute("aria-labelledby", "save-diff-title");
  const h = document.createElement("h2");
  h.id = "save-diff-title";
  h.textContent = "Save as a new version?";
  const intro = document.createElement("p");
  const name = String((JSON.parse(text) as { name?: unknown }).name ?? "");
  if (base.version > 0 && name !== base.name)
    intro.textContent = `This saves a version of the workflow ${name}, not of ${base.name}. Compared with ${base.name} version ${base.version}:`;
  else intro.textContent = base.version > 0 ? `Compared with ${base.name} version ${base.version}:` : "A new workflow:";
  dialog.append(h, intro);
  if (empty(changes)) {
    const p = document.createElement("p");
    p.dataset.noChanges = "";
    p.textContent = "No changes: the text is the same definition. Saving makes another version of it.";
    dialog.append(p);
  } else dialog.append(diffList(changes));
  const form = document.createElement("form");
  form.method = "dialog";
  form.className = "actions";
  const cancel = button("Cancel", "cancel");
  const save = button("Save", "save");
  save.className = "primary";
  save.autofocus = true;
  form.append(cancel, save);
  dialog.append(form);
  d.root.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "save");
      dialog.remove();
    });
    dialog.showModal();
  });
}

function button(text: string, value: string): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "submit";
  b.value = value;
  b.textContent = text;
  return b;
}

// diffList writes a diff as a list, one line per task or member.
function diffList(c: Diff): HTMLElement {
  const ul = document.createElement("ul");
  ul.className = "designer-diff";
  const line = (kind: string, label: string, ref: string, rest: string) => {
    const li = document.createElement("li");
    li.dataset.diff = kind;
    li.dataset.ref = ref;
    const b = document.createElement("strong");
    b.textContent = label;
    const code = document.createElement("code");
    code.textContent = ref || "(no reference name)";
    li.append(b, " ", code, rest);
    ul.append(li);
  };
  const type = (t: string) => (t ? ` (${t})` : "");
  for (const t of c.added) line("added", "Added", t.ref, `${type(t.type)} at ${t.path}`);
  for (const t of c.removed) line("removed", "Removed", t.ref, `${type(t.type)} from ${t.path}`);
  for (const t of c.changed) line("changed", "Changed", t.ref, ": " + t.members.join(", "));
  for (const t of c.moved) line("moved", "Moved", t.ref, ` from ${t.from} to ${t.path}`);
  if (c.workflow.length > 0) {
    const li = document.createElement("li");
    li.dataset.diff = "workflow";
    const b = document.createElement("strong");
    b.textContent = "Workflow";
    li.append(b, ": " + c.workflow.join(", "));
    ul.append(li);
  }
  return ul;
}

// A definition found in an imported file: its text as written there.
interface Found {
  name: string;
  version: number | null;
  text: string;
}

// definitionsIn reads a Conductor definition file: one definition or an
// array of them. It throws an Error saying what is wrong with the file.
function definitionsIn(file: string, text: string): Found[] {
  let locs;
  try {
    locs = scan(text);
  } catch (err) {
    throw new Error(`${notJSON(file, text, err)}. Nothing was imported.`);
  }
  const v = JSON.parse(text) as unknown;
  if (Array.isArray(v)) {
    const out: Found[] = [];
    v.forEach((e, i) => {
      const loc = locs.get("/" + i);
      if (notDefinition(e) === "" && loc) out.push(found(e as Def, dedent(text.slice(loc.valueFrom, loc.to), indentAt(text, loc.valueFrom))));
    });
    if (out.length === 0) throw new Error(`${file} holds an array of ${v.length} values, none of them a workflow definition (an object with a "name" and a list of "tasks"). Nothing was imported.`);
    return out;
  }
  const why = notDefinition(v);
  if (why !== "") throw new Error(`${file} is not a workflow definition: ${why}. Nothing was imported.`);
  return [found(v as Def, text)];
}

interface Def {
  name: string;
  version?: unknown;
}

function found(d: Def, text: string): Found {
  return { name: d.name, version: typeof d.version === "number" ? d.version : null, text };
}

// notDefinition says why a value is not a workflow definition ("" when it
// is one).
function notDefinition(v: unknown): string {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return "it is not a JSON object";
  const o = v as { name?: unknown; tasks?: unknown };
  if (typeof o.name !== "string" || o.name === "") return 'it has no "name"';
  if (!Array.isArray(o.tasks)) return `it has no list of "tasks" (a task definition, perhaps?)`;
  return "";
}

function importExport(d: Designer, bar: HTMLElement) {
  const input = document.createElement("input");
  input.type = "file";
  input.accept = ".json,application/json";
  input.hidden = true;
  input.dataset.importFile = "";
  const imp = document.createElement("button");
  imp.type = "button";
  imp.dataset.import = "";
  imp.textContent = "Import…";
  imp.title = "Replace the text with a definition file (or drop one on the page)";
  imp.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const f = input.files?.[0];
    input.value = ""; // the same file again is a change
    if (f) void importFile(d, f);
  });
  const exp = document.createElement("button");
  exp.type = "button";
  exp.dataset.export = "";
  exp.textContent = "Export";
  exp.title = "Download the text as a .json file";
  exp.addEventListener("click", () => exportText(d));
  bar.append(imp, input, exp);

  // A file dropped anywhere on the designer is an import; the capture
  // phase keeps it from the editor, which would insert the file's text.
  const hasFile = (ev: DragEvent) => ev.dataTransfer?.types.includes("Files") ?? false;
  d.root.addEventListener(
    "dragover",
    (ev) => {
      if (!hasFile(ev)) return;
      ev.preventDefault();
      ev.stopPropagation();
      d.root.classList.add("drop-target");
    },
    true,
  );
  d.root.addEventListener("dragleave", (ev) => {
    if (ev.target === d.root) d.root.classList.remove("drop-target");
  });
  d.root.addEventListener(
    "drop",
    (ev) => {
      if (!hasFile(ev)) return;
      ev.preventDefault();
      ev.stopPropagation();
      d.root.classList.remove("drop-target");
      const f = ev.dataTransfer?.files[0];
      if (f) void importFile(d, f);
    },
    true,
  );
}

async function importFile(d: Designer, f: File) {
  if (f.size > maxImport(d)) {
    d.message(`${f.name} is ${(f.size / (1 << 20)).toFixed(1)} MiB; the server takes definitions up to ${(maxImport(d) / (1 << 20)).toFixed(1)} MiB. Nothing was imported.`, true);
    return;
  }
  let defs: Found[];
  try {
    defs = definitionsIn(f.name, await f.text());
  } catch (err) {
    d.message(err instanceof Error ? err.message : String(err), true);
    return;
  }
  const pick = defs.length === 1 ? defs[0] : await choose(d, f.name, defs);
  if (!pick) return;
  d.replaceText(pick.text, "import");
  const which = pick.name + (pick.version !== null ? " v" + pick.version : "");
  d.message(`Imported ${which} from ${f.name}${defs.length > 1 ? ` (one of its ${defs.length} definitions)` : ""}. Undo puts the previous text back.`, false);
}

// choose asks which of a file's definitions to import (null: none).
function choose(d: Designer, file: string, defs: Found[]): Promise<Found | null> {
  const dialog = document.createElement("dialog");
  dialog.className = "designer-dialog";
  dialog.dataset.importPick = "";
  dialog.setAttribute("aria-labelledby", "import-pick-title");
  const h = document.createElement("h2");
  h.id = "import-pick-title";
  h.textContent = `${file} holds ${defs.length} definitions: import which?`;
  const form = document.createElement("form");
  form.method = "dialog";
  const list = document.createElement("div");
  list.className = "designer-pick";
  defs.forEach((def, i) => list.append(button(def.name + (def.version !== null ? " v" + def.version : ""), String(i))));
  const actions = document.createElement("div");
  actions.className = "actions";
  actions.append(button("Cancel", "cancel"));
  form.append(list, actions);
  dialog.append(h, form);
  d.root.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const i = Number(dialog.returnValue);
      resolve(dialog.returnValue !== "cancel" && dialog.returnValue !== "" && defs[i] ? defs[i] : null);
      dialog.remove();
    });
    dialog.showModal();
  });
}

// exportText downloads the text as written, named {name}.v{version}.json
// after the definition's members (the last valid parse when the text is
// not JSON now).
function exportText(d: Designer) {
  const def = d.def as { name?: unknown; version?: unknown } | null;
  const name = typeof def?.name === "string" && def.name !== "" ? def.name : d.saved.name || "workflow";
  const version = typeof def?.version === "number" ? def.version : d.saved.version;
  const url = URL.createObjectURL(new Blob([d.text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `${name.replace(/[^\w.-]+/g, "_")}.v${version}.json`;
  d.root.append(a);
  a.click();
  a.remove();
  // The download has its own copy once it starts.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
