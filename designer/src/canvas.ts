// Editing on the canvas, by mouse and by keyboard. Every change is an Edit
// from doc.ts applied by the Designer (one undo step each).
//
// Mouse: drag a palette item onto a slot (the circles between tasks, in
// empty lanes, beside a SWITCH for a new case and beside a FORK for a new
// branch); drag a task (a FORK or a loop with all it holds) onto another
// slot to move it; click a slot to make it the target of the palette's
// clicks and of Paste; the toolbar's buttons delete, duplicate, copy, cut,
// paste, undo and redo.
//
// Keyboard, with the focus on the canvas: Tab and Shift+Tab walk the tasks
// and slots in reading order, the arrow keys go to the nearest one in their
// direction; on a task Enter selects it, Delete removes it, Ctrl+D
// duplicates it, Alt+Up/Down moves it within its lane, Ctrl+C/Ctrl+X copy
// and cut it; on a slot Enter opens the palette's search for that slot and
// Ctrl+V pastes there; Ctrl+Z, Ctrl+Shift+Z and Ctrl+Y undo and redo; +, -
// and 0 zoom and fit. Ctrl+S saves, anywhere on the page.
//
// Copies go to the system clipboard as JSON (a versioned payload, see
// doc.ts's clipboardPayload), so that a block pastes into another tab or
// workflow, with its taskReferenceNames made unique there. The toolbar's
// buttons use the asynchronous clipboard and fall back to this origin's
// localStorage when the browser refuses it.

import type { Designer } from "./designer";
import { Edit } from "./edit";
import { blockText, clipboardPayload, duplicateTask, insertTasks, moveTask, pastePayload, removeTask } from "./doc";
import { paletteMime, Palette } from "./palette";

const dragThreshold = 5; // px the pointer moves before a press on a task becomes a drag
const snapRadius = 48; // px (at 100%) within which a drop goes to the nearest slot
const storedClip = "baton.designer.clipboard";

interface Point {
  x: number;
  y: number;
}

// A move in progress: the task being dragged, its ghost, the slot under it.
interface Move {
  path: string;
  start: Point;
  pointer: number;
  moving: boolean;
  ghost: HTMLElement | null;
  grab: Point; // where the pointer took the node, from its top left (px)
  target: string;
  frame: number;
  last: Point;
}

export class CanvasEditor {
  private target = ""; // the slot that palette clicks and Paste go to
  private roving = ""; // keyOf the canvas's Tab stop
  private move: Move | null = null;
  private suppressClick = false;
  readonly palette: Palette;

  constructor(private readonly d: Designer) {
    const c = d.canvas;
    c.tabIndex = -1; // focusable from script (Escape in the palette), not a Tab stop itself
    this.palette = new Palette(d, d.root.querySelector<HTMLElement>("[data-palette]")!, (tasks, label) => this.insertHere(tasks, label));
    d.onDraw((svg) => this.decorate(svg));
    const svg = c.querySelector("svg");
    if (svg) this.decorate(svg);
    this.toolbar();
    this.dropTarget(c);
    this.dragTasks(c);
    // The click that ends a drag is not a click on the task (capture: the
    // Designer's own click listener would select it).
    c.addEventListener(
      "click",
      (ev) => {
        if (!this.suppressClick) return;
        this.suppressClick = false;
        ev.stopPropagation();
      },
      true,
    );
    c.addEventListener("click", (ev) => {
      const s = (ev.target as Element).closest?.("circle.slot");
      if (s) this.setTarget(s.getAttribute("data-path") || "");
    });
    c.addEventListener("keydown", (ev) => this.key(ev));
    c.addEventListener("focusin", (ev) => {
      const t = ev.target as SVGElement;
      if (!t.matches?.("g.node[data-path], circle.slot")) return;
      if (t.matches("circle.slot")) this.setTarget(t.getAttribute("data-path") || "");
      this.roving = keyOf(t);
      c.querySelectorAll('[tabindex="0"]').forEach((e) => e !== t && e.setAttribute("tabindex", "-1"));
      t.setAttribute("tabindex", "0");
    });
    // Ctrl+S saves from anywhere on the page, the editor included.
    document.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && !ev.shiftKey && !ev.altKey && (ev.key === "s" || ev.key === "S")) {
        ev.preventDefault();
        d.root.querySelector<HTMLButtonElement>("[data-save]")?.click();
      }
    });
    document.addEventListener("copy", (ev) => this.clipboardEvent(ev, false));
    document.addEventListener("cut", (ev) => this.clipboardEvent(ev, true));
    document.addEventListener("paste", (ev) => this.pasteEvent(ev));
  }

  // decorate makes the slots of a fresh drawing reachable by keyboard and
  // marks the target slot again. The canvas is one Tab stop (a roving
  // tabindex): the task or slot last focused, else the first; Tab and the
  // arrows move within it.
  private decorate(svg: SVGSVGElement) {
    for (const s of svg.querySelectorAll<SVGCircleElement>("circle.slot")) {
      s.setAttribute("role", "button");
      s.setAttribute("aria-label", s.querySelector("title")?.textContent || "Add a task here");
      if (s.getAttribute("data-path") === this.target) s.classList.add("target");
    }
    if (this.target && !svg.querySelector(`circle.slot[data-path="${CSS.escape(this.target)}"]`)) this.target = "";
    this.d.root.dataset.target = this.target;
    const all = this.focusables();
    for (const e of all) e.setAttribute("tabindex", "-1");
    const cur = all.find((e) => keyOf(e) === this.roving) ?? all[0];
    cur?.setAttribute("tabindex", "0");
  }

  private setTarget(path: string) {
    this.target = path;
    this.d.root.dataset.target = path;
    this.d.canvas.querySelectorAll("circle.slot.target").forEach((e) => e.classList.remove("target"));
    if (path) this.d.canvas.querySelector(`circle.slot[data-path="${CSS.escape(path)}"]`)?.classList.add("target");
  }

  // run applies an edit computed from the text now; a refusal (a move into
  // itself, JSON that is not valid) is shown, and changes nothing.
  private run(label: string, make: (text: string) => Edit) {
    this.d.flush(); // an edit typed in the last 150 ms counts
    if (!this.d.valid) {
      this.d.message("The JSON is invalid: mend it in the editor before editing the diagram.", true);
      return;
    }
    let e: Edit;
    try {
      e = make(this.d.text);
    } catch (err) {
      this.d.message(err instanceof Error ? err.message : String(err), true);
      return;
    }
    const hadFocus = this.d.canvas.contains(document.activeElement) || this.d.root.querySelector("[data-palette]")!.contains(document.activeElement);
    if (e.changes.length === 0) this.d.select(e.select ?? this.d.selection); // a move onto itself: no history step
    else this.d.apply(e, label);
    if (hadFocus) this.focusSelected();
  }

  private focusSelected() {
    const p = this.d.selection;
    const n = p ? this.d.canvas.querySelector<SVGGElement>(`g.node[data-path="${CSS.escape(p)}"]`) : null;
    if (n) {
      n.focus();
      scrollIntoViewIfNeeded(this.d.canvas, n);
    }
  }

  // insertHere puts tasks at the target slot, else after the selected task,
  // else at the end of the workflow.
  insertHere(tasks: string, label: string) {
    const atTarget = this.target !== "";
    this.run(label, (text) => insertTasks(text, this.where(), tasks));
    // The next insert goes after this one, not before it.
    if (atTarget && this.d.selection) this.setTarget(this.slotAfter(this.d.selection));
  }

  private where(): string {
    if (this.target) return this.target;
    const sel = this.d.selection;
    if (sel) {
      const after = this.slotAfter(sel);
      if (after) return after;
    }
    const top = this.d.def?.tasks;
    return "/tasks/" + (Array.isArray(top) ? top.length : 0);
  }

  // slotAfter is the slot right after a task's block (after its JOIN for a
  // FORK_JOIN): the canvas draws one there.
  private slotAfter(path: string): string {
    const i = path.lastIndexOf("/");
    const idx = Number(path.slice(i + 1));
    if (!Number.isInteger(idx)) return "";
    const arr = path.slice(0, i);
    const slots = Array.from(this.d.canvas.querySelectorAll("circle.slot"), (s) => s.getAttribute("data-path") || "");
    for (let j = idx + 1; j <= idx + 2; j++) if (slots.includes(arr + "/" + j)) return arr + "/" + j;
    return "";
  }

  // --- the toolbar's edit group ---

  private toolbar() {
    const bar = this.d.root.querySelector<HTMLElement>("[data-edit-bar]");
    if (!bar) return;
    const button = (label: string, key: string, title: string, fn: () => void) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.title = title;
      b.dataset[key] = "";
      b.addEventListener("click", fn);
      bar.append(b);
      return b;
    };
    button("Undo", "undo", "Undo (Ctrl+Z)", () => this.d.undo());
    button("Redo", "redo", "Redo (Ctrl+Shift+Z)", () => this.d.redo());
    const needSel = [
      button("Delete", "delete", "Delete the selected task (Delete)", () => this.remove(this.d.selection)),
      button("Duplicate", "duplicate", "Duplicate the selected task (Ctrl+D)", () => this.duplicate(this.d.selection)),
      button("Copy", "copy", "Copy the selected task (Ctrl+C)", () => void this.copyButton(false)),
      button("Cut", "cut", "Cut the selected task (Ctrl+X)", () => void this.copyButton(true)),
    ];
    button("Paste", "paste", "Paste at the chosen slot or after the selected task (Ctrl+V)", () => void this.pasteButton());
    const sync = (path: string) => needSel.forEach((b) => (b.disabled = path === ""));
    this.d.onSelect(sync);
    sync(this.d.selection);
  }

  // remove deletes a task; when the canvas had the focus, it goes to the
  // slot where the task was, so that the keyboard can go on from there.
  private remove(path: string) {
    if (!path) return;
    const focused = this.inCanvas();
    this.run("delete", (text) => removeTask(text, path));
    const slot = focused ? this.d.canvas.querySelector<SVGElement>(`circle.slot[data-path="${CSS.escape(path)}"]`) : null;
    if (slot) this.focus(slot);
  }

  private duplicate(path: string) {
    if (path) this.run("duplicate", (text) => duplicateTask(text, path));
  }

  // --- clipboard ---

  // copied is the clipboard payload of the selected task's block.
  private copied(): string {
    const p = this.d.selection;
    if (!p || !this.d.valid) return "";
    return clipboardPayload(blockText(this.d.text, p));
  }

  private async copyButton(cut: boolean) {
    const path = this.d.selection; // the selection may change while the clipboard is asked
    const payload = this.copied();
    if (!payload) return;
    localStorage.setItem(storedClip, payload);
    try {
      await navigator.clipboard.writeText(payload);
    } catch {
      // the browser refused: localStorage has it for this origin's tabs
    }
    this.d.root.dataset.copied = String(Date.now());
    if (cut) this.remove(path);
  }

  private async pasteButton() {
    let text = "";
    try {
      text = await navigator.clipboard.readText();
    } catch {
      text = "";
    }
    if (!pastePayload(text)) text = localStorage.getItem(storedClip) || "";
    this.paste(text);
  }

  private paste(text: string) {
    const tasks = pastePayload(text);
    if (!tasks) {
      this.d.message("The clipboard holds no tasks to paste (copy a task, an array of tasks or a workflow definition).", true);
      return;
    }
    this.insertHere(tasks, "paste");
  }

  // inCanvas: the keyboard's copy, cut and paste are the canvas's when the
  // focus is on it; elsewhere (the editor, a form) they are the page's.
  private inCanvas(): boolean {
    return this.d.canvas.contains(document.activeElement);
  }

  private clipboardEvent(ev: ClipboardEvent, cut: boolean) {
    if (!this.inCanvas() || !ev.clipboardData) return;
    const payload = this.copied();
    if (!payload) return;
    ev.preventDefault();
    ev.clipboardData.setData("text/plain", payload);
    localStorage.setItem(storedClip, payload);
    this.d.root.dataset.copied = String(Date.now());
    if (cut) this.remove(this.d.selection);
  }

  private pasteEvent(ev: ClipboardEvent) {
    if (!this.inCanvas() || !ev.clipboardData) return;
    ev.preventDefault();
    this.paste(ev.clipboardData.getData("text/plain"));
  }

  // --- palette drops ---

  private dropTarget(c: HTMLElement) {
    c.addEventListener("dragover", (ev) => {
      if (!ev.dataTransfer?.types.includes(paletteMime)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
      c.classList.add("dragging");
      this.hover(this.nearestSlot(ev, ""));
    });
    c.addEventListener("dragleave", (ev) => {
      if (ev.relatedTarget && c.contains(ev.relatedTarget as Node)) return;
      this.hover("");
    });
    c.addEventListener("drop", (ev) => {
      const tasks = ev.dataTransfer?.getData(paletteMime);
      c.classList.remove("dragging");
      this.hover("");
      if (!tasks) return;
      ev.preventDefault();
      const slot = this.nearestSlot(ev, "");
      if (!slot) {
        this.d.message("Drop the task on one of the circles: they are the places a task can go.", true);
        return;
      }
      this.run("drop", (text) => insertTasks(text, slot, tasks));
    });
  }

  private hover(slot: string) {
    const c = this.d.canvas;
    const cur = c.querySelector("circle.slot.hover");
    if (cur && cur.getAttribute("data-path") === slot) return;
    cur?.classList.remove("hover");
    if (slot) c.querySelector(`circle.slot[data-path="${CSS.escape(slot)}"]`)?.classList.add("hover");
    this.d.root.dataset.hover = slot;
  }

  // nearestSlot is the slot nearest the pointer within the snap radius,
  // leaving out the slots inside the block being moved.
  private nearestSlot(ev: { clientX: number; clientY: number }, inside: string): string {
    const svg = this.d.canvas.querySelector("svg");
    const m = svg?.getScreenCTM();
    if (!svg || !m) return "";
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
    const r = snapRadius / Math.max(m.a, 0.25);
    let best = "";
    let bestD = r * r;
    for (const s of svg.querySelectorAll<SVGCircleElement>("circle.slot")) {
      const path = s.getAttribute("data-path") || "";
      if (inside && (path === inside || path.startsWith(inside + "/"))) continue;
      const dx = s.cx.baseVal.value - p.x;
      const dy = s.cy.baseVal.value - p.y;
      const d2 = dx * dx + dy * dy;
      if (d2 < bestD) {
        bestD = d2;
        best = path;
      }
    }
    return best;
  }

  // --- moving tasks by dragging ---

  private dragTasks(c: HTMLElement) {
    c.addEventListener("pointerdown", (ev) => {
      if (!ev.isPrimary) return; // a second finger or pen does not start another drag
      this.cancelMove();
      if (ev.button !== 0) return;
      const n = (ev.target as Element).closest?.("g.node[data-path]");
      if (!n) return;
      const r = n.getBoundingClientRect();
      this.move = {
        path: n.getAttribute("data-path") || "",
        start: { x: ev.clientX, y: ev.clientY },
        pointer: ev.pointerId,
        moving: false,
        ghost: null,
        grab: { x: ev.clientX - r.left, y: ev.clientY - r.top },
        target: "",
        frame: 0,
        last: { x: ev.clientX, y: ev.clientY },
      };
    });
    c.addEventListener("pointermove", (ev) => {
      const mv = this.move;
      if (!mv || ev.pointerId !== mv.pointer) return;
      if ((ev.buttons & 1) === 0) {
        // released where the canvas did not hear it (outside, before the
        // drag took the pointer): no drag
        this.cancelMove();
        return;
      }
      mv.last = { x: ev.clientX, y: ev.clientY };
      if (!mv.moving) {
        if (Math.hypot(ev.clientX - mv.start.x, ev.clientY - mv.start.y) < dragThreshold) return;
        this.startMove(mv);
        if (!mv.moving) return;
      }
      if (mv.frame === 0) mv.frame = requestAnimationFrame(() => this.moveFrame());
    });
    const end = (ev: PointerEvent, drop: boolean) => {
      const mv = this.move;
      if (!mv || ev.pointerId !== mv.pointer) return;
      const moving = mv.moving;
      this.cancelMove();
      if (!moving) return;
      this.suppressClick = true;
      window.setTimeout(() => (this.suppressClick = false), 0);
      const slot = drop ? this.nearestSlot(ev, mv.path) : "";
      if (slot) this.run("move", (text) => moveTask(text, mv.path, slot));
    };
    c.addEventListener("pointerup", (ev) => end(ev, true));
    c.addEventListener("pointercancel", (ev) => end(ev, false));
    c.addEventListener("lostpointercapture", (ev) => end(ev, false));
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && this.move?.moving) {
        ev.preventDefault();
        this.cancelMove();
      }
    });
  }

  // cancelMove ends a drag without moving anything: the ghost, the marks
  // and the pointer capture go.
  private cancelMove() {
    const mv = this.move;
    if (!mv) return;
    this.move = null;
    if (!mv.moving) return;
    cancelAnimationFrame(mv.frame);
    mv.ghost?.remove();
    const c = this.d.canvas;
    if (c.hasPointerCapture(mv.pointer)) c.releasePointerCapture(mv.pointer);
    c.classList.remove("moving-task");
    c.querySelector("g.node.lifted")?.classList.remove("lifted");
    this.hover("");
  }

  // startMove lifts the task: it fades in place and a ghost, an HTML box
  // over the page moved by a compositor transform, follows the pointer, so
  // that a frame of the drag repaints neither the diagram nor the page.
  private startMove(mv: Move) {
    const c = this.d.canvas;
    // A parse still pending (the last 150 ms of typing) runs now, not at
    // the press: redrawing under a press would lose its click.
    this.d.flush();
    const n = c.querySelector<SVGGElement>(`g.node[data-path="${CSS.escape(mv.path)}"]`);
    if (!n || !this.d.valid) {
      this.move = null;
      return;
    }
    mv.moving = true;
    c.setPointerCapture(mv.pointer);
    c.classList.add("moving-task");
    n.classList.add("lifted");
    const r = n.getBoundingClientRect();
    const g = document.createElement("div");
    g.className = "designer-ghost";
    g.setAttribute("aria-hidden", "true");
    g.style.width = Math.min(r.width, 320) + "px";
    g.textContent = n.querySelector("text.name")?.textContent || mv.path;
    document.body.append(g);
    mv.ghost = g;
  }

  // moveFrame runs once per animation frame while a task is dragged: the
  // ghost follows the pointer and the slot it would land on is marked.
  private moveFrame() {
    const mv = this.move;
    if (!mv || !mv.ghost) return;
    mv.frame = 0;
    mv.ghost.style.transform = `translate(${mv.last.x - mv.grab.x}px, ${mv.last.y - mv.grab.y}px)`;
    mv.target = this.nearestSlot({ clientX: mv.last.x, clientY: mv.last.y }, mv.path);
    this.hover(mv.target);
  }

  // --- the keyboard ---

  // focusables are the tasks and slots in reading order: by their top
  // edge (a loop's header comes before its body), then from the left.
  private focusables(): SVGElement[] {
    const all = Array.from(this.d.canvas.querySelectorAll<SVGElement>("g.node[data-path], circle.slot"));
    return all.map((e) => ({ e, p: topLeft(e) })).sort((a, b) => a.p.y - b.p.y || a.p.x - b.p.x).map((x) => x.e);
  }

  private key(ev: KeyboardEvent) {
    const t = ev.target as Element;
    const node = t.closest?.("g.node[data-path]");
    const slot = t.closest?.("circle.slot");
    const path = (node ?? slot)?.getAttribute("data-path") || "";
    const mod = ev.ctrlKey || ev.metaKey;
    const k = ev.key;
    let done = true;
    if (mod && (k === "z" || k === "Z")) {
      if (ev.shiftKey) this.d.redo();
      else this.d.undo();
      this.refocus(t);
    } else if (mod && (k === "y" || k === "Y")) {
      this.d.redo();
      this.refocus(t);
    } else if (k === "Tab" && (node || slot)) {
      const all = this.focusables();
      const i = all.indexOf((node ?? slot) as SVGElement);
      const j = i + (ev.shiftKey ? -1 : 1);
      if (j < 0 || j >= all.length) done = false; // leave the canvas
      else this.focus(all[j]);
    } else if (k.startsWith("Arrow") && ev.altKey && node) {
      if (k === "ArrowUp" || k === "ArrowDown") this.shift(path, k === "ArrowUp" ? -1 : 1);
    } else if (k.startsWith("Arrow") && !mod && (node || slot)) {
      const next = this.nearestInDirection((node ?? slot) as SVGElement, k);
      if (next) this.focus(next);
    } else if ((k === "Delete" || k === "Backspace") && node) {
      this.d.select(path);
      this.remove(path);
    } else if (mod && (k === "d" || k === "D") && node) {
      this.d.select(path);
      this.duplicate(path);
    } else if ((k === "Enter" || k === " ") && slot) {
      this.setTarget(path);
      this.palette.focusSearch();
    } else if (!mod && (k === "+" || k === "=")) {
      this.d.root.querySelector<HTMLButtonElement>("[data-zoom-in]")?.click();
    } else if (!mod && k === "-") {
      this.d.root.querySelector<HTMLButtonElement>("[data-zoom-out]")?.click();
    } else if (!mod && k === "0") {
      this.d.root.querySelector<HTMLButtonElement>("[data-fit]")?.click();
    } else done = false;
    if (done) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }

  private focus(e: SVGElement) {
    e.focus();
    scrollIntoViewIfNeeded(this.d.canvas, e);
    if (e.matches("g.node[data-path]")) this.d.select(e.getAttribute("data-path") || "");
  }

  // refocus puts the focus back on the canvas after an undo or redo
  // redrew it: on the same task or slot (by kind and path), else the
  // selection.
  private refocus(was: Element) {
    const path = was.getAttribute?.("data-path");
    const kind = was.matches?.("circle.slot") ? "circle.slot" : "g.node";
    const e = path ? this.d.canvas.querySelector<SVGElement>(`${kind}[data-path="${CSS.escape(path)}"]`) : null;
    if (e) e.focus();
    else this.focusSelected();
  }

  // shift moves a task one place up or down its lane (over a FORK's JOIN
  // as one block).
  private shift(path: string, by: number) {
    const i = path.lastIndexOf("/");
    const idx = Number(path.slice(i + 1));
    const arr = path.slice(0, i);
    if (!Number.isInteger(idx)) return;
    const slots = new Set(Array.from(this.d.canvas.querySelectorAll("circle.slot"), (s) => s.getAttribute("data-path") || ""));
    let to = -1;
    if (by < 0) {
      for (let j = idx - 1; j >= 0; j--)
        if (slots.has(arr + "/" + j)) {
          to = j;
          break;
        }
    } else {
      // the slot after the next block: skip this block's end, then the next block's
      const after = this.slotAfter(path);
      if (after) {
        const next = Number(after.slice(after.lastIndexOf("/") + 1));
        const beyond = this.slotAfter(arr + "/" + next);
        if (beyond) to = Number(beyond.slice(beyond.lastIndexOf("/") + 1));
      }
    }
    if (to >= 0) this.run("move", (text) => moveTask(text, path, arr + "/" + to));
  }

  // nearestInDirection is the task or slot nearest to e whose centre lies
  // in the arrow's direction (within 60° of it).
  private nearestInDirection(e: SVGElement, key: string): SVGElement | null {
    const from = centre(e);
    const dir = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] }[key];
    if (!dir) return null;
    let best: SVGElement | null = null;
    let bestScore = Infinity;
    for (const o of this.focusables()) {
      if (o === e) continue;
      const p = centre(o);
      const dx = p.x - from.x;
      const dy = p.y - from.y;
      const along = dx * dir[0] + dy * dir[1];
      const across = Math.abs(dx * dir[1] - dy * dir[0]);
      if (along <= 0 || across > along * 1.8) continue;
      const score = along + 2 * across;
      if (score < bestScore) {
        bestScore = score;
        best = o;
      }
    }
    return best;
  }
}

// keyOf names a task or a slot (a slot and the task after it share a
// path).
function keyOf(e: Element): string {
  return (e.matches("circle.slot") ? "s:" : "n:") + (e.getAttribute("data-path") || "");
}

function topLeft(e: SVGElement): Point {
  if (e instanceof SVGCircleElement) return { x: e.cx.baseVal.value - e.r.baseVal.value, y: e.cy.baseVal.value - e.r.baseVal.value };
  const r = e.querySelector("rect");
  if (r) return { x: r.x.baseVal.value, y: r.y.baseVal.value };
  return centre(e);
}

function centre(e: SVGElement): Point {
  if (e instanceof SVGCircleElement) return { x: e.cx.baseVal.value, y: e.cy.baseVal.value };
  const r = e.querySelector("rect, circle");
  if (r instanceof SVGRectElement) return { x: r.x.baseVal.value + r.width.baseVal.value / 2, y: r.y.baseVal.value + r.height.baseVal.value / 2 };
  if (r instanceof SVGCircleElement) return { x: r.cx.baseVal.value, y: r.cy.baseVal.value };
  return { x: 0, y: 0 };
}

// scrollIntoViewIfNeeded scrolls the canvas so that e shows, without
// moving the page.
function scrollIntoViewIfNeeded(c: HTMLElement, e: Element) {
  const r = e.getBoundingClientRect();
  const v = c.getBoundingClientRect();
  if (r.left < v.left) c.scrollLeft -= v.left - r.left + 16;
  else if (r.right > v.right) c.scrollLeft += r.right - v.right + 16;
  if (r.top < v.top) c.scrollTop -= v.top - r.top + 16;
  else if (r.bottom > v.bottom) c.scrollTop += r.bottom - v.bottom + 16;
}
