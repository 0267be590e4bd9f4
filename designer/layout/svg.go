package layout

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"
)

// RenderOptions says how RenderSVG draws a graph. The zero value draws a
// standalone diagram with its stylesheet and no slots.
type RenderOptions struct {
	// Slots draws the insertion slots (the designer's drop targets).
	Slots bool
	// NoStyle leaves out the <style> element, for a page that includes
	// Stylesheet once for all its diagrams.
	NoStyle bool
	// Title is the accessible title; default "Workflow NAME, version N"
	// (and the execution's id and status for an execution).
	Title string
	// ExecutionHref is the address of an execution, for the links to a
	// sub-workflow's execution and to the parent's; default
	// "/executions/" + id.
	ExecutionHref func(id string) string
	// ViewHref is the address of this diagram showing another View, for
	// the iteration and expand/collapse links; default "?" + v.Query().
	ViewHref func(v View) string
}

// Stylesheet styles rendered diagrams. Every colour is a CSS variable with
// a light fallback, so a page themes the diagrams (dark mode included) by
// setting the --baton-* variables on any ancestor. Status colours are
// Conductor's.
const Stylesheet = `.baton-diagram{font:12px system-ui,-apple-system,"Segoe UI",sans-serif}
.baton-diagram text{fill:var(--baton-text,#1f2430)}
.baton-diagram .meta{fill:var(--baton-text-muted,#5b6475);font-size:11px}
.baton-diagram .name{font-weight:600}
.baton-diagram .edge{fill:none;stroke:var(--baton-edge,#8a94a6);stroke-width:1.5}
.baton-diagram .edge.back,.baton-diagram .edge.dynamic{stroke-dasharray:5 4}
.baton-diagram .arrow{fill:var(--baton-edge,#8a94a6)}
.baton-diagram .label{fill:var(--baton-text-muted,#5b6475);font-size:11px}
.baton-diagram .node>rect,.baton-diagram .node>circle{fill:var(--baton-node-bg,#ffffff);stroke:var(--baton-node-border,#5b6475);stroke-width:1.5}
.baton-diagram .k-start>rect,.baton-diagram .k-end>rect{fill:var(--baton-terminal-bg,#eef1f6)}
.baton-diagram .k-merge>circle{fill:var(--baton-edge,#8a94a6);stroke:none}
.baton-diagram .k-switch>rect{stroke-width:2.5}
.baton-diagram .k-fork>rect,.baton-diagram .k-join>rect,.baton-diagram .k-dynamic>rect{stroke-width:2.5}
.baton-diagram .k-terminate>rect{stroke:var(--baton-failed-fg,#7f050b)}
.baton-diagram .container>rect{fill:var(--baton-container-bg,rgba(120,130,150,.06));stroke-dasharray:6 3}
.baton-diagram .k-stack>rect.under{fill:var(--baton-node-bg,#ffffff)}
.baton-diagram .dimmed{opacity:.35}
.baton-diagram .link{fill:var(--baton-link,#2457c5);text-decoration:underline;cursor:pointer}
.baton-diagram .slot{fill:var(--baton-slot-bg,#ffffff);stroke:var(--baton-slot,#2457c5);stroke-dasharray:3 2}
.baton-diagram [data-status=COMPLETED]>rect{fill:var(--baton-completed-bg,#aee1b8);stroke:var(--baton-completed-fg,#163e1d)}
.baton-diagram [data-status=COMPLETED_WITH_ERRORS]>rect{fill:var(--baton-warning-bg,#feeac5);stroke:var(--baton-warning-fg,#8b5b02)}
.baton-diagram [data-status=IN_PROGRESS]>rect{fill:var(--baton-running-bg,#fff5da);stroke:var(--baton-running-fg,#c2920d)}
.baton-diagram [data-status=SCHEDULED]>rect{fill:var(--baton-scheduled-bg,#cbe2f7);stroke:var(--baton-scheduled-fg,#11497a)}
.baton-diagram [data-status=CANCELED]>rect{fill:var(--baton-canceled-bg,#ded5f8);stroke:var(--baton-canceled-fg,#26194b)}
.baton-diagram [data-status=FAILED]>rect,.baton-diagram [data-status=FAILED_WITH_TERMINAL_ERROR]>rect,.baton-diagram [data-status=TIMED_OUT]>rect,.baton-diagram [data-status=TERMINATED]>rect{fill:var(--baton-failed-bg,#f9c6c9);stroke:var(--baton-failed-fg,#7f050b)}
.baton-diagram [data-status=SKIPPED]>rect{fill:var(--baton-skipped-bg,#e4e6ea);stroke:var(--baton-skipped-fg,#5b6475)}
.baton-diagram .container[data-status]>rect{fill:var(--baton-container-bg,rgba(120,130,150,.06))}
.baton-diagram .step{font-size:16px}
`

// DarkTheme is a set of --baton-* variable declarations for a dark page,
// Conductor's status hues darkened: a page applies it in a rule of its
// own, such as "@media (prefers-color-scheme: dark) { :root { ... } }".
const DarkTheme = `--baton-text:#e6e8ee;--baton-text-muted:#a3aab8;--baton-edge:#7d8799;` +
	`--baton-node-bg:#1d212a;--baton-node-border:#8a94a6;--baton-terminal-bg:#2a303c;` +
	`--baton-container-bg:rgba(160,170,190,.08);--baton-link:#8ab4ff;--baton-slot-bg:#1d212a;--baton-slot:#8ab4ff;` +
	`--baton-completed-bg:#1f4d2b;--baton-completed-fg:#aee1b8;--baton-warning-bg:#4d3a10;--baton-warning-fg:#feeac5;` +
	`--baton-running-bg:#4a3d12;--baton-running-fg:#f5d27a;--baton-scheduled-bg:#173a5c;--baton-scheduled-fg:#cbe2f7;` +
	`--baton-canceled-bg:#352a5c;--baton-canceled-fg:#ded5f8;--baton-failed-bg:#5c1a1f;--baton-failed-fg:#f9c6c9;` +
	`--baton-skipped-bg:#30343c;--baton-skipped-fg:#c3c8d2;`

// RenderSVG writes a graph as an SVG document fragment (an <svg> element,
// usable inline in HTML or as a file). It holds no script: the live view
// patches the data-status attribute of the element whose data-task-id or
// data-task-ref matches, and the stylesheet does the rest.
func RenderSVG(w io.Writer, g *Graph, opts RenderOptions) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 32<<10)
	}
	s := &svgw{w: bw, g: g, o: &opts}
	s.svg()
	return bw.Flush()
}

// svgw writes one SVG straight to a buffered writer: no intermediate
// strings, so a large execution costs few allocations. Write errors stick
// in the bufio.Writer and surface at Flush.
type svgw struct {
	w   *bufio.Writer
	g   *Graph
	o   *RenderOptions
	num [24]byte
}

func (s *svgw) str(x string) { s.w.WriteString(x) }

func (s *svgw) int(n int) { s.w.Write(strconv.AppendInt(s.num[:0], int64(n), 10)) }

// attr writes ` name="value"` with value escaped.
func (s *svgw) attr(name, value string) {
	s.w.WriteByte(' ')
	s.str(name)
	s.str(`="`)
	s.esc(value)
	s.w.WriteByte('"')
}

func (s *svgw) iattr(name string, v int) {
	s.w.WriteByte(' ')
	s.str(name)
	s.str(`="`)
	s.int(v)
	s.w.WriteByte('"')
}

// esc writes text escaped for XML content and attribute values.
func (s *svgw) esc(x string) {
	last := 0
	for i := 0; i < len(x); i++ {
		var rep string
		switch x[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&#39;"
		default:
			// XML 1.0 allows no control characters but tab, CR and LF.
			if x[i] < 0x20 && x[i] != '\t' && x[i] != '\n' && x[i] != '\r' {
				rep = " "
				break
			}
			continue
		}
		s.str(x[last:i])
		s.str(rep)
		last = i + 1
	}
	s.str(x[last:])
}

// clipped writes at most n runes of x, ending in "…" when cut.
func (s *svgw) clipped(x string, n int) {
	if utf8.RuneCountInString(x) <= n {
		s.esc(x)
		return
	}
	i, k := 0, 0
	for k < n-1 {
		_, size := utf8.DecodeRuneInString(x[i:])
		i += size
		k++
	}
	s.esc(x[:i])
	s.str("…")
}

func (s *svgw) text(class string, x, y int, body string, n int) {
	s.str(`<text class="`)
	s.str(class)
	s.str(`"`)
	s.iattr("x", x)
	s.iattr("y", y)
	s.str(">")
	s.clipped(body, n)
	s.str("</text>")
}

func (s *svgw) rect(class string, x, y, w, h, r int) {
	s.str("<rect")
	if class != "" {
		s.attr("class", class)
	}
	s.iattr("x", x)
	s.iattr("y", y)
	s.iattr("width", w)
	s.iattr("height", h)
	s.iattr("rx", r)
	s.str("/>")
}

func (s *svgw) execHref(id string) string {
	if s.o.ExecutionHref != nil {
		return s.o.ExecutionHref(id)
	}
	return "/executions/" + id
}

func (s *svgw) viewHref(v View) string {
	if s.o.ViewHref != nil {
		return s.o.ViewHref(v)
	}
	return "?" + v.Query()
}

func (s *svgw) title() string {
	if s.o.Title != "" {
		return s.o.Title
	}
	t := "Workflow " + s.g.Name
	if s.g.Version != 0 {
		t += ", version " + strconv.Itoa(s.g.Version)
	}
	if e := s.g.Execution; e != nil {
		t += ", execution " + e.WorkflowID + " (" + e.Status + ")"
	}
	return t
}

func (s *svgw) svg() {
	g := s.g
	s.str(`<svg xmlns="http://www.w3.org/2000/svg" class="baton-diagram" role="figure"`)
	s.attr("aria-label", s.title())
	s.str(` viewBox="0 0 `)
	s.int(g.W)
	s.str(" ")
	s.int(g.H)
	s.str(`"`)
	s.iattr("width", g.W)
	s.iattr("height", g.H)
	if e := g.Execution; e != nil {
		s.attr("data-workflow-id", e.WorkflowID)
		s.attr("data-status", e.Status)
	}
	s.str(">\n<title>")
	s.esc(s.title())
	s.str("</title>\n")
	if !s.o.NoStyle {
		s.str("<style>\n")
		s.str(Stylesheet)
		s.str("</style>\n")
	}
	// One marker per document; copies in other inline diagrams are
	// identical, so whichever a page resolves draws the same arrow.
	s.str(`<defs><marker id="baton-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto"><path class="arrow" d="M0 0L8 4L0 8z"/></marker></defs>` + "\n")
	// Containers first, so that edges and boxes inside them draw on top.
	for _, n := range g.Nodes {
		if isContainer(n) {
			s.node(n)
		}
	}
	for _, e := range g.Edges {
		s.edge(e)
	}
	for _, n := range g.Nodes {
		if !isContainer(n) {
			s.node(n)
		}
	}
	if s.o.Slots {
		for _, sl := range g.Slots {
			s.str(`<circle class="slot"`)
			s.iattr("cx", sl.X)
			s.iattr("cy", sl.Y)
			s.iattr("r", slotR)
			s.attr("data-path", sl.Path)
			s.attr("data-kind", sl.Kind)
			s.str("><title>")
			s.str(slotTitle(sl.Kind))
			s.str("</title></circle>\n")
		}
	}
	s.str("</svg>\n")
}

func slotTitle(kind string) string {
	switch kind {
	case SlotCase:
		return "Add a case"
	case SlotBranch:
		return "Add a branch"
	}
	return "Add a task here"
}

func isContainer(n *Node) bool {
	return n.Kind == KindLoop || (n.Kind == KindStack && n.Stack != nil && n.Stack.Expanded && n.Stack.Total > 0)
}

func (s *svgw) edge(e *Edge) {
	s.str(`<path class="edge`)
	if e.Kind != "" {
		s.str(" ")
		s.str(e.Kind)
	}
	if e.Dimmed {
		s.str(" dimmed")
	}
	s.str(`" d="`)
	for i, p := range e.Points {
		switch {
		case i == 0:
			s.str("M")
			s.int(p.X)
			s.str(" ")
			s.int(p.Y)
		case p.X == e.Points[i-1].X:
			s.str("V")
			s.int(p.Y)
		case p.Y == e.Points[i-1].Y:
			s.str("H")
			s.int(p.X)
		default:
			s.str("L")
			s.int(p.X)
			s.str(" ")
			s.int(p.Y)
		}
	}
	s.str(`" marker-end="url(#baton-arrow)"`)
	s.attr("data-from", e.From)
	s.attr("data-to", e.To)
	s.str("/>\n")
	if e.Label != nil {
		s.str(`<text class="label`)
		if e.Dimmed {
			s.str(" dimmed")
		}
		s.str(`"`)
		s.iattr("x", e.Label.X)
		s.iattr("y", e.Label.Y)
		s.str(">")
		s.clipped(e.Label.Text, 20)
		s.str("</text>\n")
	}
}

// node writes one node as a <g> carrying its identity and state in data-
// attributes, wrapped in a link when it leads to another execution.
func (s *svgw) node(n *Node) {
	href := ""
	switch {
	case n.SubWorkflowID != "":
		href = s.execHref(n.SubWorkflowID)
	case n.Kind == KindStart && s.g.Execution != nil && s.g.Execution.ParentWorkflowID != "":
		href = s.execHref(s.g.Execution.ParentWorkflowID)
	}
	if href != "" {
		s.str("<a")
		s.attr("href", href)
		s.str(">")
	}
	s.str(`<g class="node k-`)
	s.str(n.Kind)
	if isContainer(n) {
		s.str(" container")
	}
	if n.Dimmed {
		s.str(" dimmed")
	}
	s.str(`"`)
	s.attr("data-id", n.ID)
	if n.Path != "" {
		s.attr("data-path", n.Path)
	}
	if n.TaskRef != "" {
		s.attr("data-task-ref", n.TaskRef)
	}
	if n.TaskID != "" {
		s.attr("data-task-id", n.TaskID)
	}
	if n.Status != "" {
		s.attr("data-status", n.Status)
	}
	s.str("><title>")
	s.nodeTitle(n)
	s.str("</title>")
	switch n.Kind {
	case KindStart, KindEnd:
		s.rect("", n.X, n.Y, n.W, n.H, n.H/2)
		label := "start"
		if n.Kind == KindEnd {
			label = "end"
		}
		if href != "" {
			label = "parent execution"
		}
		s.str(`<text class="name" text-anchor="middle"`)
		s.iattr("x", n.X+n.W/2)
		s.iattr("y", n.Y+n.H/2+4)
		s.str(">")
		s.str(label)
		s.str("</text>")
	case KindMerge:
		s.str("<circle")
		s.iattr("cx", n.X+n.W/2)
		s.iattr("cy", n.Y+n.H/2)
		s.iattr("r", n.W/2)
		s.str("/>")
	case KindLoop:
		s.rect("", n.X, n.Y, n.W, n.H, 8)
		s.text("name", n.X+10, n.Y+20, n.Name+" · DO_WHILE", 28)
		if s.g.Execution != nil && n.Iterations > 0 {
			s.iterations(n)
		}
	case KindStack:
		s.stack(n)
	default:
		s.rect("", n.X, n.Y, n.W, n.H, 6)
		s.text("name", n.X+10, n.Y+20, n.Name, 24)
		switch {
		case n.Sub != nil:
			s.str(`<text class="meta"`)
			s.iattr("x", n.X+10)
			s.iattr("y", n.Y+38)
			s.str(">→ ")
			s.clipped(n.Sub.Name, 20)
			if n.Sub.Version != 0 {
				s.str(" v")
				s.int(n.Sub.Version)
			}
			s.str("</text>")
		case n.TaskRef != "" && n.TaskRef != n.Ref:
			s.text("meta", n.X+10, n.Y+38, n.TaskRef+" · "+n.Type, 28)
		default:
			s.meta(n)
		}
	}
	s.str("</g>")
	if href != "" {
		s.str("</a>")
	}
	s.str("\n")
}

// meta writes the second line of a task box: "ref · TYPE".
func (s *svgw) meta(n *Node) {
	s.str(`<text class="meta"`)
	s.iattr("x", n.X+10)
	s.iattr("y", n.Y+38)
	s.str(">")
	if utf8.RuneCountInString(n.Ref)+utf8.RuneCountInString(n.Type)+3 <= 28 {
		s.esc(n.Ref)
		s.str(" · ")
		s.esc(n.Type)
	} else {
		s.clipped(n.Ref, 28)
	}
	s.str("</text>")
}

func (s *svgw) nodeTitle(n *Node) {
	switch n.Kind {
	case KindStart:
		s.str("Start")
		return
	case KindEnd:
		s.str("End")
	case KindMerge:
		s.str("Lanes meet")
	case KindStack:
		s.str("Dynamic fork branches")
	default:
		s.esc(n.Name)
		if n.Ref != "" && n.Ref != n.Name {
			s.str(" (")
			s.esc(n.Ref)
			s.str(")")
		}
		if n.Type != "" {
			s.str(", ")
			s.esc(n.Type)
		}
	}
	if n.Status != "" {
		s.str(": ")
		s.str(n.Status)
	} else if n.Dimmed {
		s.str(": not run")
	}
	if n.Attempt > 0 {
		s.str(", attempt ")
		s.int(n.Attempt + 1)
	}
}

// iterations writes "iteration N of M" in a loop's header, with links to
// the previous and next iterations.
func (s *svgw) iterations(n *Node) {
	s.str(`<text class="meta"`)
	s.iattr("x", n.X+10)
	s.iattr("y", n.Y+38)
	s.iattr("data-iteration", n.Iteration)
	s.iattr("data-iterations", n.Iterations)
	s.str(">")
	if n.Iteration > 1 {
		s.link(s.g.view.withIteration(n.Ref, n.Iteration-1), "‹", "step", "previous iteration")
		s.str(" ")
	}
	s.str("iteration ")
	s.int(n.Iteration)
	s.str(" of ")
	s.int(n.Iterations)
	if n.Iteration < n.Iterations {
		s.str(" ")
		s.link(s.g.view.withIteration(n.Ref, n.Iteration+1), "›", "step", "next iteration")
	}
	s.str("</text>")
}

// link writes a link to another view of the diagram; label is the text
// shown, name what it does (for assistive technology) when label is a sign.
func (s *svgw) link(v View, label, class, name string) {
	s.str("<a")
	s.attr("href", s.viewHref(v))
	if name != "" {
		s.attr("aria-label", name)
	}
	s.str(`><tspan class="link`)
	if class != "" {
		s.str(" ")
		s.str(class)
	}
	s.str(`">`)
	s.str(label)
	s.str("</tspan></a>")
}

// stack writes a dynamic fork's branches: a placeholder in a definition, a
// tally "N of M completed" in an execution, with a link to expand or
// collapse them.
func (s *svgw) stack(n *Node) {
	st := n.Stack
	if st != nil && st.Expanded && st.Total > 0 {
		s.rect("", n.X, n.Y, n.W, n.H, 8)
	} else {
		s.rect("under", n.X+8, n.Y+8, n.W, n.H, 6)
		s.rect("under", n.X+4, n.Y+4, n.W, n.H, 6)
		s.rect("", n.X, n.Y, n.W, n.H, 6)
	}
	if st == nil {
		s.text("name", n.X+10, n.Y+20, "dynamic tasks", 24)
		s.text("meta", n.X+10, n.Y+38, "branches from the input", 28)
		return
	}
	s.str(`<text class="name"`)
	s.iattr("x", n.X+10)
	s.iattr("y", n.Y+20)
	s.iattr("data-completed", st.Completed)
	s.iattr("data-total", st.Total)
	s.str(">")
	s.int(st.Completed)
	s.str(" of ")
	s.int(st.Total)
	s.str(" completed</text>")
	if st.Total <= 0 {
		return
	}
	ref := n.fork
	s.str(`<text class="meta"`)
	if st.Expanded {
		s.iattr("x", n.X+n.W-10)
		s.iattr("y", n.Y+20)
		s.str(` text-anchor="end">`)
		s.link(s.g.view.withExpanded(ref, false), "collapse", "", "")
	} else {
		s.iattr("x", n.X+10)
		s.iattr("y", n.Y+38)
		s.str(">")
		s.link(s.g.view.withExpanded(ref, true), "show each", "", "")
	}
	s.str("</text>")
}
