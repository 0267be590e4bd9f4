// The designer's SVG: designer/layout/svg.go's RenderSVG for a definition's
// graph (no execution overlay), with the same elements, classes and data
// attributes, so that /diagram.css styles it as it styles the console's
// diagrams. Slots are always drawn: they are where later slices drop tasks.

import { Edge, Graph, KindEnd, KindLoop, KindMerge, KindStack, KindStart, Node, Slot, SlotBranch, SlotCase, slotR } from "./layout";

// esc escapes text for XML content and attribute values, as svg.go's esc.
function esc(x: string): string {
  return x.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "'":
        return "&#39;";
    }
    return " ";
  });
}

// clipped is at most n code points of x, ending in "…" when cut.
function clipped(x: string, n: number): string {
  const cps = Array.from(x);
  if (cps.length <= n) return esc(x);
  return esc(cps.slice(0, n - 1).join("")) + "…";
}

function text(cls: string, x: number, y: number, body: string, n: number): string {
  return `<text class="${cls}" x="${x}" y="${y}">${clipped(body, n)}</text>`;
}

function rect(cls: string, x: number, y: number, w: number, h: number, r: number): string {
  return `<rect${cls ? ` class="${cls}"` : ""} x="${x}" y="${y}" width="${w}" height="${h}" rx="${r}"/>`;
}

// renderSVG draws a graph as an <svg> element's markup.
export function renderSVG(g: Graph): string {
  let title = "Workflow " + g.name;
  if (g.version) title += ", version " + g.version;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="baton-diagram" role="figure" aria-label="${esc(title)}" viewBox="0 0 ${g.w} ${g.h}" width="${g.w}" height="${g.h}">\n<title>${esc(title)}</title>\n`,
  );
  out.push(
    `<defs><marker id="baton-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto"><path class="arrow" d="M0 0L8 4L0 8z"/></marker></defs>\n`,
  );
  // Containers first, so that edges and boxes inside them draw on top.
  for (const n of g.nodes) if (n.kind === KindLoop) out.push(node(n));
  for (const e of g.edges) out.push(edge(e));
  for (const n of g.nodes) if (n.kind !== KindLoop) out.push(node(n));
  for (const s of g.slots) out.push(slot(s));
  out.push("</svg>\n");
  return out.join("");
}

function slot(s: Slot): string {
  const t = s.kind === SlotCase ? "Add a case" : s.kind === SlotBranch ? "Add a branch" : "Add a task here";
  return `<circle class="slot" cx="${s.x}" cy="${s.y}" r="${slotR}" data-path="${esc(s.path)}" data-kind="${esc(s.kind)}"><title>${t}</title></circle>\n`;
}

function edge(e: Edge): string {
  let d = "";
  e.points.forEach((p, i) => {
    const q = e.points[i - 1];
    if (i === 0) d += `M${p.x} ${p.y}`;
    else if (p.x === q.x) d += `V${p.y}`;
    else if (p.y === q.y) d += `H${p.x}`;
    else d += `L${p.x} ${p.y}`;
  });
  let s = `<path class="edge${e.kind ? " " + e.kind : ""}" d="${d}" marker-end="url(#baton-arrow)" data-from="${esc(e.from)}" data-to="${esc(e.to)}"/>\n`;
  if (e.label) s += `<text class="label" x="${e.label.x}" y="${e.label.y}">${clipped(e.label.text, 20)}</text>\n`;
  return s;
}

function nodeTitle(n: Node): string {
  switch (n.kind) {
    case KindStart:
      return "Start";
    case KindEnd:
      return "End";
    case KindMerge:
      return "Lanes meet";
    case KindStack:
      return "Dynamic fork branches";
  }
  let t = esc(n.name || "");
  if (n.ref && n.ref !== n.name) t += " (" + esc(n.ref) + ")";
  if (n.type) t += ", " + esc(n.type);
  return t;
}

function node(n: Node): string {
  const out: string[] = [];
  out.push(`<g class="node k-${n.kind}${n.kind === KindLoop ? " container" : ""}" data-id="${esc(n.id)}"`);
  if (n.path) out.push(` data-path="${esc(n.path)}" tabindex="0"`);
  out.push(`><title>${nodeTitle(n)}</title>`);
  switch (n.kind) {
    case KindStart:
    case KindEnd:
      out.push(rect("", n.x, n.y, n.w, n.h, Math.trunc(n.h / 2)));
      out.push(
        `<text class="name" text-anchor="middle" x="${n.x + Math.trunc(n.w / 2)}" y="${n.y + Math.trunc(n.h / 2) + 4}">${n.kind === KindStart ? "start" : "end"}</text>`,
      );
      break;
    case KindMerge:
      out.push(`<circle cx="${n.x + Math.trunc(n.w / 2)}" cy="${n.y + Math.trunc(n.h / 2)}" r="${Math.trunc(n.w / 2)}"/>`);
      break;
    case KindLoop:
      out.push(rect("", n.x, n.y, n.w, n.h, 8));
      out.push(text("name", n.x + 10, n.y + 20, (n.name || "") + " · DO_WHILE", 28));
      break;
    case KindStack:
      out.push(rect("under", n.x + 8, n.y + 8, n.w, n.h, 6));
      out.push(rect("under", n.x + 4, n.y + 4, n.w, n.h, 6));
      out.push(rect("", n.x, n.y, n.w, n.h, 6));
      out.push(text("name", n.x + 10, n.y + 20, "dynamic tasks", 24));
      out.push(text("meta", n.x + 10, n.y + 38, "branches from the input", 28));
      break;
    default:
      out.push(rect("", n.x, n.y, n.w, n.h, 6));
      out.push(text("name", n.x + 10, n.y + 20, n.name || "", 24));
      if (n.sub) {
        let s = `<text class="meta" x="${n.x + 10}" y="${n.y + 38}">→ ${clipped(n.sub.name, 20)}`;
        if (n.sub.version) s += " v" + n.sub.version;
        out.push(s + "</text>");
      } else {
        const ref = n.ref || "";
        const type = n.type || "";
        const meta = Array.from(ref).length + Array.from(type).length + 3 <= 28 ? esc(ref) + " · " + esc(type) : clipped(ref, 28);
        out.push(`<text class="meta" x="${n.x + 10}" y="${n.y + 38}">${meta}</text>`);
      }
  }
  out.push("</g>\n");
  return out.join("");
}
