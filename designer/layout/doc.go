// Package layout lays out Conductor workflows as block diagrams, top to
// bottom, and renders them as SVG: the definition preview, the execution
// view, and (ported to TypeScript) the designer's live layout.
//
// Conductor workflows are block-structured: a task list is a sequence, a
// SWITCH holds a list per case, a FORK_JOIN a list per branch, a DO_WHILE
// a body. So the layout is a recursive block layout with no stored
// coordinates and no general graph layout: a sequence is a vertical stack,
// a SWITCH or FORK puts its lanes side by side between its node and the
// node where they meet, a DO_WHILE is a frame around its body. Every block
// is centred on its own vertical axis, which keeps all the flow edges of a
// sequence on one straight line. Sizes do not depend on text (names are
// clipped when drawn), so the layout needs no font metrics and ports
// exactly.
//
// [Layout] lays out a definition; [LayoutExecution] lays out an execution
// of it with each task's state (see below); [RenderSVG] draws either.
// A [Graph] serialises to JSON stably: the files
// designer/testdata/fixtures/*.layout.json are the goldens the Go tests and
// the TypeScript port both compare against (go test ./designer/layout
// -update rewrites them and the *.svg goldens).
//
// # The algorithm
//
// Everything is in integer pixels, x to the right, y down. Every constant
// below is even, so every width is even and halving one is exact.
//
//	margin 16     around the graph
//	node   180×48 the box of every task but a DO_WHILE
//	term   88×32  the start and end pills
//	merge  16×16  the dot where a SWITCH's lanes meet
//	vGap   48     above, between and below the blocks of a sequence
//	bus    32     between a split node and its lanes, and between the lanes and their merge
//	hGap   32     between lanes
//	emptyW 96     the width of an empty sequence
//	loopHeader 32, loopPad 24   the label band and the side padding of a DO_WHILE
//	slotR 10, slotGap 12        a slot's radius; the gap before an "add" slot
//	headerW = 180 + 2·(12 + 2·10) = 244
//
// Blocks. A task list becomes a sequence of blocks, one per task, except
// that a FORK_JOIN, FORK or FORK_JOIN_DYNAMIC followed directly by a JOIN
// absorbs that JOIN. A null task counts as a task with no fields. Sizes
// (w×h), measured bottom-up:
//
//   - a sequence: empty, emptyW×vGap; else w = the widest block,
//     h = vGap + Σ(block.h + vGap).
//   - a task (any type not below, and a JOIN or EXCLUSIVE_JOIN not
//     absorbed): 180×48.
//   - SWITCH or DECISION: its lanes are the decisionCases sorted by key
//     (Unicode code point order), then defaultCase, always present, even
//     empty. lanesW = Σ lane.w + hGap·(lanes − 1), lanesH = the tallest lane.
//     w = max(headerW, lanesW), h = 48 + bus + lanesH + bus + 16.
//   - FORK_JOIN or FORK: its lanes are the forkTasks in order (none gives
//     lanesW = lanesH = 0); w as for a SWITCH, h = 48 + bus + lanesH + bus + 48.
//   - FORK_JOIN_DYNAMIC: w = max(180, stackW), h = 48 + vGap + stackH + vGap + 48,
//     where the stack is 180×48 in a definition (forkTasks are ignored: the
//     branches come from the input).
//   - DO_WHILE: w = max(body.w, 180) + 2·loopPad, h = loopHeader + body.h.
//
// Placement, top-down; (x, y) is a block's top-left corner and
// cx = x + w/2 its axis. A node's box is {x, y, w, h}; "bottom(n)" is
// n.y + n.h.
//
//   - The graph: W = max(seq.w, 88) + 2·margin; the axis is
//     cx = margin + max(seq.w, 88)/2. Start pill at (cx − 44, margin);
//     the workflow's sequence at (cx − seq.w/2, margin + 32); end pill at
//     (cx − 44, margin + 32 + seq.h); H = end.y + 32 + margin. Edges
//     start→first entry and last exit→end (unless the last block ends its
//     lane), or start→end for no tasks, all straight on cx.
//   - A sequence at (x, y): for each block, a slot (kind "between", path
//     list/idx where idx is the block's index in the list) at
//     (cx, y + vGap/2); then y += vGap; the block at (cx − b.w/2, y); an edge
//     from the previous block's exit to this block's entry,
//     (cx, bottom(exit)) → (cx, entry.y), unless the previous block ends its
//     lane; y += b.h. After the last block one more slot at
//     (cx, y + vGap/2) with path list/len(list): kind "between", or for an
//     empty list "empty" ("body" for a loop body). A sequence's entry is its
//     first block's entry, its exit the last block's exit; it ends its lane
//     when its last block does. There is no slot between a fork and its
//     absorbed JOIN, since idx skips it.
//   - A task: its node at (x, y); entry = exit = the node. A TERMINATE ends
//     its lane: no edge leaves it.
//   - SWITCH/FORK at (x, y): its node at (cx − 90, y). Lanes start at
//     top = y + 48 + bus; the bottom node at by = top + lanesH + bus: for a
//     SWITCH the merge dot at (cx − 8, by), for a FORK its JOIN at
//     (cx − 90, by) (a synthetic join "$join:"+id when none follows). An
//     "add" slot (kind "case" with path …/decisionCases, or "branch" with
//     …/forkTasks) at (cx + 90 + slotGap + slotR, y + 24). Lanes go left to
//     right from lx = x + (w − lanesW)/2, each lane's sequence placed at
//     (lx, top) (its blocks centred on lcx = lx + lane.w/2), then
//     lx += lane.w + hGap. With upper = y + 48 + bus/2 and lower = by − bus/2,
//     each lane gets an edge node→entry through (cx, y+48), (cx, upper),
//     (lcx, upper), (lcx, entry.y), and unless it ends its lane an edge
//     exit→bottom node through (lcx, bottom(exit)), (lcx, lower),
//     (cx, lower), (cx, by); an empty lane gets one edge node→bottom node
//     through (cx, y+48), (cx, upper), (lcx, upper), (lcx, lower),
//     (cx, lower), (cx, by). A SWITCH's edge into each lane is labelled with
//     the case key or "default" at (lcx + 14, top + 14). A FORK with no
//     branches gets one straight edge from its node to its JOIN. Entry is
//     the node, exit the bottom node.
//   - FORK_JOIN_DYNAMIC at (x, y): its node at (cx − 90, y), the stack at
//     (cx − stackW/2, y + 48 + vGap), the JOIN (or synthetic join) at
//     (cx − 90, stack.y + stackH + vGap), and straight edges of kind
//     "dynamic" node→stack and stack→join.
//   - DO_WHILE at (x, y): its node is the whole frame {x, y, w, h}; the body
//     sequence at (cx − body.w/2, y + loopHeader) with the loop as the
//     parent of its nodes; an edge loop→first entry from (cx, y + loopHeader)
//     to (cx, entry.y) and, unless the body ends its lane, last
//     exit→loop from (cx, bottom(exit)) to (cx, y + h), or for an empty body
//     loop→loop from (cx, y + loopHeader) to (cx, y + h); then the repeat
//     arrow loop→loop of kind "back" from (rx, y + h − 8) up to
//     (rx, y + loopHeader + 8), rx = x + w − loopPad/2. Entry = exit = the
//     loop.
//
// Edge points are simplified as they are added: a point equal to the
// previous one is dropped, and of three consecutive points on one vertical
// or horizontal line the middle one is dropped.
//
// Emission order, which the JSON keeps: nodes, edges and slots are
// appended as placement visits them. The start node first; then for a
// sequence, per block, its slot, the block, the edge into it; then the last
// slot; the end node; then the edges start→first and last→end. A SWITCH or
// FORK appends its node, its bottom node (merge or JOIN), its "add" slot,
// then per lane the lane's contents followed by the edge into the lane and
// the edge out of it. A dynamic fork appends its node, the stack (in an
// execution, followed by an expanded stack's boxes), the JOIN, then its two
// edges. A loop appends its node, its body, the edges
// into and out of the body, then the repeat arrow.
//
// Node ids are the reference names; a repeated one gets "#2", "#3"; an
// empty one or one starting with "$" becomes "$task:"+path. Synthetic nodes
// have ids "$start", "$end", "$merge:"+id, "$join:"+id, "$stack:"+id (id:
// the SWITCH's or fork's node id). Paths are RFC 6901 JSON pointers into
// the definition, as the validator's diagnostics use them
// ("/tasks/2/decisionCases/ok/0"), so a diagnostic finds its node.
//
// # Executions
//
// [LayoutExecution] runs the same algorithm with an execution's state.
// Each node gets the status, id and reference name of its task's latest
// attempt (by seq). Inside a DO_WHILE, a task's reference name carries the
// suffix of each enclosing loop's iteration ("step__2__3"); each loop shows
// its latest iteration unless the [View] asks for another, and its node
// says which ("iteration N of M", with links to its neighbours). A dynamic
// fork's stack tallies the branches its input lists (forkedTasks) by status,
// "N of M completed" counting those ended successfully; with more than six
// branches it stays one box unless the view expands it, and expanded it is
// a frame holding a box per branch, four per row (each 180×48, 16 apart,
// inside 16 of padding under a 32 band). Nodes on a SWITCH lane not taken
// are dimmed, and once the execution has ended so is every node that never
// ran; an edge is dimmed when either end is. A SUB_WORKFLOW node carries
// the child execution's id and links to it; a child's start node links to
// its parent's execution.
//
// # Rendering
//
// [RenderSVG] writes straight to a buffered writer. The SVG has a <title>
// and an aria-label, no script and no inline colours: nodes carry classes
// (k-task, k-switch, …, dimmed) and data- attributes (data-id, data-path,
// data-task-id, data-task-ref, data-status), and [Stylesheet] colours them
// by status with CSS variables (--baton-completed-bg and so on, with
// Conductor's colours as fallbacks), so a page themes them, dark mode
// included, and a live feed updates a task by setting its data-status.
package layout
