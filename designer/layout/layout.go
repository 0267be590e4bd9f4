package layout

import (
	"sort"
	"strconv"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
)

// Sizes and gaps, in pixels. All are even so that every width is even and
// centring (w/2) is exact; the package doc explains how they combine.
const (
	margin     = 16  // around the whole graph
	nodeW      = 180 // a task box
	nodeH      = 48
	termW      = 88 // the start and end pills
	termH      = 32
	mergeD     = 16 // the dot where SWITCH lanes meet
	vGap       = 48 // between blocks of a sequence, and before the first and after the last
	bus        = 32 // between a split node and its lanes, and between lanes and their merge
	hGap       = 32 // between lanes
	emptyW     = 96 // an empty sequence
	loopHeader = 32 // the label band of a DO_WHILE container
	loopPad    = 24 // left and right of a DO_WHILE body; the repeat arrow runs in the right one
	slotR      = 10 // the radius of a slot's circle
	backInset  = 8  // the repeat arrow stops this far from a loop body's top and bottom
	slotGap    = 12 // between a SWITCH or FORK node and its "add" slot
	headerW    = nodeW + 2*(slotGap+2*slotR)
	labelDX    = 14 // a case label starts this far right of its lane's line, clear of the slot
	labelDY    = 14 // and this far below the top of the lane
	stackPad   = 16 // inside an expanded stack
	stackHead  = 32 // the label band of an expanded stack
	childGap   = 16 // between the boxes of an expanded stack
	stackCols  = 4  // columns of an expanded stack
	autoExpand = 6  // a dynamic fork with at most this many branches is shown expanded
)

type blockKind uint8

const (
	blockTask blockKind = iota
	blockSwitch
	blockFork
	blockDynamic
	blockLoop
)

// block is one task of a sequence, with what it holds: the lanes of a
// SWITCH or FORK, the body of a DO_WHILE, and the JOIN after a fork.
type block struct {
	kind     blockKind
	task     *workflow.WorkflowTask
	path     string
	idx      int
	join     *workflow.WorkflowTask // the JOIN after a FORK_JOIN or FORK_JOIN_DYNAMIC, if any
	joinPath string
	lanes    []*seq
	labels   []string // a SWITCH's lane labels
	lanesW   int      // the lanes side by side, with the gaps between them
	lanesH   int      // the tallest lane
	body     *seq

	w, h int
	// execution only: a loop's shown iteration and its count, a dynamic
	// fork's branches.
	iter, iters int
	inner       string // the iteration suffix of a loop's body
	stack       *Stack
	refs        []string         // a dynamic fork's branches, by reference name
	children    []*workflow.Task // and their latest attempts (nil: not created yet)
	stackW      int
	stackH      int
}

// seq is a task list: a workflow's tasks, a case, a branch, a loop body.
type seq struct {
	path      string
	emptyKind string
	n         int // the list's length: the index of the last slot
	blocks    []*block
	w, h      int
}

func newSeq(list []*workflow.WorkflowTask, path, emptyKind string) *seq {
	s := &seq{path: path, emptyKind: emptyKind, n: len(list)}
	for i := 0; i < len(list); i++ {
		t := list[i]
		if t == nil {
			t = &workflow.WorkflowTask{}
		}
		b := &block{task: t, path: path + "/" + strconv.Itoa(i), idx: i}
		switch t.TaskType() {
		case workflow.TypeSwitch, workflow.TypeDecision:
			b.kind = blockSwitch
			keys := make([]string, 0, len(t.DecisionCases))
			for k := range t.DecisionCases {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				b.lanes = append(b.lanes, newSeq(t.DecisionCases[k], b.path+"/decisionCases/"+escapePointer(k), SlotEmpty))
				b.labels = append(b.labels, k)
			}
			b.lanes = append(b.lanes, newSeq(t.DefaultCase, b.path+"/defaultCase", SlotEmpty))
			b.labels = append(b.labels, "default")
		case workflow.TypeForkJoin, workflow.TypeFork, workflow.TypeForkJoinDynamic:
			b.kind = blockFork
			if t.TaskType() == workflow.TypeForkJoinDynamic {
				// Its branches come from its input: forkTasks are ignored.
				b.kind = blockDynamic
			} else {
				for j, br := range t.ForkTasks {
					b.lanes = append(b.lanes, newSeq(br, b.path+"/forkTasks/"+strconv.Itoa(j), SlotEmpty))
				}
			}
			if i+1 < len(list) && list[i+1] != nil && list[i+1].TaskType() == workflow.TypeJoin {
				i++
				b.join, b.joinPath = list[i], path+"/"+strconv.Itoa(i)
			}
		case workflow.TypeDoWhile:
			b.kind = blockLoop
			b.body = newSeq(t.LoopOver, b.path+"/loopOver", SlotBody)
		}
		s.blocks = append(s.blocks, b)
	}
	return s
}

// escapePointer escapes a SWITCH case key as a JSON pointer token
// (RFC 6901): "~" becomes "~0" and "/" becomes "~1".
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// builder lays out one graph. x is nil for a definition.
type builder struct {
	g   *Graph
	ids map[string]int
	x   *execCtx
}

// scope is what a block inherits from where it sits: the iteration suffix
// of the loops around it, whether its lane was not taken, its container.
type scope struct {
	suffix string
	dim    bool
	parent string
}

// Layout lays out a definition top to bottom. It never fails: whatever the
// definition holds is drawn (a FORK with no JOIN after it ends in a
// synthetic join, tasks after a TERMINATE are drawn unconnected).
func Layout(def *workflow.WorkflowDef) *Graph {
	return layout(def, nil)
}

func layout(def *workflow.WorkflowDef, x *execCtx) *Graph {
	g := &Graph{Name: def.Name, Version: def.Version, Nodes: []*Node{}, Edges: []*Edge{}, Slots: []*Slot{}}
	b := &builder{g: g, ids: map[string]int{}, x: x}
	s := newSeq(def.Tasks, "/tasks", SlotEmpty)
	b.measureSeq(s, scope{})
	inner := max(s.w, termW)
	g.W = inner + 2*margin
	cx := margin + inner/2
	start := b.node(&Node{ID: "$start", Kind: KindStart, X: cx - termW/2, Y: margin, W: termW, H: termH})
	first, last, term := b.placeSeq(s, cx-s.w/2, margin+termH, scope{})
	end := b.node(&Node{ID: "$end", Kind: KindEnd, X: cx - termW/2, Y: margin + termH + s.h, W: termW, H: termH})
	g.H = end.Y + termH + margin
	if x != nil && x.wf.Status.Terminal() {
		end.Status = string(x.wf.Status)
	}
	if first == nil {
		b.edge(start, end, EdgeFlow, false, Point{cx, start.Y + termH}, Point{cx, end.Y})
	} else {
		b.edge(start, first, EdgeFlow, false, Point{cx, start.Y + termH}, Point{cx, first.Y})
		if !term {
			b.edge(last, end, EdgeFlow, false, Point{cx, last.Y + last.H}, Point{cx, end.Y})
		}
	}
	return g
}

func (b *builder) measureSeq(s *seq, sc scope) {
	if len(s.blocks) == 0 {
		s.w, s.h = emptyW, vGap
		return
	}
	s.w, s.h = 0, vGap
	for _, bl := range s.blocks {
		b.measure(bl, sc)
		s.w = max(s.w, bl.w)
		s.h += bl.h + vGap
	}
}

func (b *builder) measure(bl *block, sc scope) {
	switch bl.kind {
	case blockTask:
		bl.w, bl.h = nodeW, nodeH
	case blockSwitch, blockFork:
		bl.lanesW, bl.lanesH = 0, 0
		for i, l := range bl.lanes {
			b.measureSeq(l, sc)
			if i > 0 {
				bl.lanesW += hGap
			}
			bl.lanesW += l.w
			bl.lanesH = max(bl.lanesH, l.h)
		}
		bottom := mergeD
		if bl.kind == blockFork {
			bottom = nodeH
		}
		bl.w = max(headerW, bl.lanesW)
		bl.h = nodeH + bus + bl.lanesH + bus + bottom
	case blockDynamic:
		bl.stackW, bl.stackH = nodeW, nodeH
		if b.x != nil {
			b.x.stack(bl, sc)
		}
		bl.w = max(nodeW, bl.stackW)
		bl.h = nodeH + vGap + bl.stackH + vGap + nodeH
	case blockLoop:
		inner := sc
		if b.x != nil {
			b.x.iteration(bl, sc)
			inner.suffix = bl.inner
		}
		b.measureSeq(bl.body, inner)
		bl.w = max(bl.body.w, nodeW) + 2*loopPad
		bl.h = loopHeader + bl.body.h
	}
}

// id returns a unique node id for a reference name.
func (b *builder) id(ref, path string) string {
	id := ref
	if id == "" || id[0] == '$' {
		id = "$task:" + path
	}
	n := b.ids[id] + 1
	b.ids[id] = n
	if n > 1 {
		id += "#" + strconv.Itoa(n)
	}
	return id
}

func (b *builder) node(n *Node) *Node {
	b.g.Nodes = append(b.g.Nodes, n)
	return n
}

// taskNode adds the node of a task, with its execution overlay.
func (b *builder) taskNode(t *workflow.WorkflowTask, path string, x, y, w, h int, sc scope) *Node {
	n := &Node{
		ID: b.id(t.TaskReferenceName, path), Kind: kindOf(t.TaskType()), Ref: t.TaskReferenceName,
		Name: t.Name, Type: t.TaskType(), Path: path, X: x, Y: y, W: w, H: h, Parent: sc.parent,
	}
	if p := t.SubWorkflowParam; p != nil && n.Kind == KindSubWorkflow {
		n.Sub = &SubRef{Name: p.Name}
		if p.Version != nil {
			n.Sub.Version = *p.Version
		}
	}
	if b.x != nil {
		b.x.overlay(n, t.TaskReferenceName+sc.suffix, sc.dim)
	}
	return b.node(n)
}

func kindOf(typ string) string {
	switch typ {
	case workflow.TypeSwitch, workflow.TypeDecision:
		return KindSwitch
	case workflow.TypeForkJoin, workflow.TypeFork:
		return KindFork
	case workflow.TypeJoin, workflow.TypeExclusiveJoin:
		return KindJoin
	case workflow.TypeForkJoinDynamic:
		return KindDynamic
	case workflow.TypeDoWhile:
		return KindLoop
	case workflow.TypeSubWorkflow:
		return KindSubWorkflow
	case workflow.TypeTerminate:
		return KindTerminate
	}
	return KindTask
}

func (b *builder) slot(path string, idx int, kind string, x, y int) {
	b.g.Slots = append(b.g.Slots, &Slot{Path: path + "/" + strconv.Itoa(idx), Kind: kind, X: x, Y: y})
}

// edge adds an edge through the points, dropping repeated points and the
// middle of three on one line.
func (b *builder) edge(from, to *Node, kind string, dim bool, pts ...Point) *Edge {
	out := make([]Point, 0, len(pts))
	for _, p := range pts {
		if k := len(out); k > 0 && out[k-1] == p {
			continue
		}
		if k := len(out); k > 1 {
			a, m := out[k-2], out[k-1]
			if (a.X == m.X && m.X == p.X) || (a.Y == m.Y && m.Y == p.Y) {
				out[k-1] = p
				continue
			}
		}
		out = append(out, p)
	}
	e := &Edge{From: from.ID, To: to.ID, Kind: kind, Points: out, Dimmed: dim || from.Dimmed || to.Dimmed}
	b.g.Edges = append(b.g.Edges, e)
	return e
}

// placeSeq places a sequence with its top-left corner at (x, y) and returns
// the node control enters by, the one it leaves by (nil, nil for an empty
// sequence) and whether the last block ends its lane.
func (b *builder) placeSeq(s *seq, x, y int, sc scope) (first, last *Node, term bool) {
	cx := x + s.w/2
	for _, bl := range s.blocks {
		b.slot(s.path, bl.idx, SlotBetween, cx, y+vGap/2)
		y += vGap
		entry, exit, t := b.place(bl, cx-bl.w/2, y, sc)
		if last != nil && !term {
			b.edge(last, entry, EdgeFlow, false, Point{cx, last.Y + last.H}, Point{cx, entry.Y})
		}
		if first == nil {
			first = entry
		}
		last, term = exit, t
		y += bl.h
	}
	kind := SlotBetween
	if len(s.blocks) == 0 {
		kind = s.emptyKind
	}
	b.slot(s.path, s.n, kind, cx, y+vGap/2)
	return first, last, term
}

func (b *builder) place(bl *block, x, y int, sc scope) (entry, exit *Node, term bool) {
	cx := x + bl.w/2
	t := bl.task
	switch bl.kind {
	case blockSwitch, blockFork:
		return b.placeSplit(bl, x, y, sc)
	case blockDynamic:
		n := b.taskNode(t, bl.path, cx-nodeW/2, y, nodeW, nodeH, sc)
		sy := y + nodeH + vGap
		st := b.node(&Node{ID: "$stack:" + n.ID, Kind: KindStack, X: cx - bl.stackW/2, Y: sy, W: bl.stackW, H: bl.stackH,
			Parent: sc.parent, Stack: bl.stack, Dimmed: n.Dimmed, fork: t.TaskReferenceName})
		if bl.stack != nil {
			b.x.placeChildren(b, bl, st)
		}
		j := b.joinNode(bl, n, cx, sy+bl.stackH+vGap, sc)
		b.edge(n, st, EdgeDynamic, false, Point{cx, y + nodeH}, Point{cx, sy})
		b.edge(st, j, EdgeDynamic, false, Point{cx, sy + bl.stackH}, Point{cx, j.Y})
		return n, j, false
	case blockLoop:
		n := b.taskNode(t, bl.path, x, y, bl.w, bl.h, sc)
		n.Iteration, n.Iterations = bl.iter, bl.iters
		inner := sc
		inner.parent = n.ID
		if b.x != nil {
			inner.suffix, inner.dim = bl.inner, n.Dimmed
		}
		top := y + loopHeader
		first, last, t := b.placeSeq(bl.body, cx-bl.body.w/2, top, inner)
		bottom := y + bl.h
		if first == nil {
			b.edge(n, n, EdgeFlow, false, Point{cx, top}, Point{cx, bottom})
		} else {
			b.edge(n, first, EdgeFlow, false, Point{cx, top}, Point{cx, first.Y})
			if !t {
				b.edge(last, n, EdgeFlow, false, Point{cx, last.Y + last.H}, Point{cx, bottom})
			}
		}
		rx := x + bl.w - loopPad/2
		b.edge(n, n, EdgeBack, false, Point{rx, bottom - backInset}, Point{rx, top + backInset})
		return n, n, false
	}
	n := b.taskNode(t, bl.path, x, y, nodeW, nodeH, sc)
	return n, n, n.Kind == KindTerminate
}

// joinNode adds the JOIN that closes a fork, or a synthetic one when the
// definition has none.
func (b *builder) joinNode(bl *block, fork *Node, cx, y int, sc scope) *Node {
	if bl.join != nil {
		return b.taskNode(bl.join, bl.joinPath, cx-nodeW/2, y, nodeW, nodeH, sc)
	}
	return b.node(&Node{ID: "$join:" + fork.ID, Kind: KindJoin, X: cx - nodeW/2, Y: y, W: nodeW, H: nodeH,
		Parent: sc.parent, Dimmed: fork.Dimmed})
}

// placeSplit places a SWITCH or a FORK_JOIN: its node, its lanes side by
// side under it, and the merge dot or JOIN under them.
func (b *builder) placeSplit(bl *block, x, y int, sc scope) (entry, exit *Node, term bool) {
	cx := x + bl.w/2
	n := b.taskNode(bl.task, bl.path, cx-nodeW/2, y, nodeW, nodeH, sc)
	top := y + nodeH + bus
	by := top + bl.lanesH + bus
	var m *Node
	addKind, addPath := SlotBranch, bl.path+"/forkTasks"
	if bl.kind == blockSwitch {
		addKind, addPath = SlotCase, bl.path+"/decisionCases"
		m = b.node(&Node{ID: "$merge:" + n.ID, Kind: KindMerge, X: cx - mergeD/2, Y: by, W: mergeD, H: mergeD,
			Parent: sc.parent, Dimmed: n.Dimmed})
	} else {
		m = b.joinNode(bl, n, cx, by, sc)
	}
	b.g.Slots = append(b.g.Slots, &Slot{Path: addPath, Kind: addKind, X: cx + nodeW/2 + slotGap + slotR, Y: y + nodeH/2})
	taken := -1
	if bl.kind == blockSwitch && b.x != nil {
		taken = b.x.takenLane(bl, sc)
	}
	upper, lower := y+nodeH+bus/2, by-bus/2
	lx := x + (bl.w-bl.lanesW)/2
	if len(bl.lanes) == 0 {
		b.edge(n, m, EdgeFlow, false, Point{cx, y + nodeH}, Point{cx, by})
	}
	for i, l := range bl.lanes {
		lcx := lx + l.w/2
		lsc := sc
		lsc.dim = sc.dim || (taken >= 0 && i != taken)
		first, last, t := b.placeSeq(l, lx, top, lsc)
		var e *Edge
		if first == nil {
			e = b.edge(n, m, EdgeFlow, lsc.dim, Point{cx, y + nodeH}, Point{cx, upper}, Point{lcx, upper},
				Point{lcx, lower}, Point{cx, lower}, Point{cx, by})
		} else {
			e = b.edge(n, first, EdgeFlow, false, Point{cx, y + nodeH}, Point{cx, upper}, Point{lcx, upper}, Point{lcx, first.Y})
			if !t {
				b.edge(last, m, EdgeFlow, false, Point{lcx, last.Y + last.H}, Point{lcx, lower}, Point{cx, lower}, Point{cx, by})
			}
		}
		if bl.kind == blockSwitch {
			e.Label = &Label{Text: bl.labels[i], X: lcx + labelDX, Y: top + labelDY}
		}
		lx += l.w + hGap
	}
	return n, m, false
}
