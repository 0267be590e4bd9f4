package layout

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files and the generated fixture")

const fixtures = "../testdata/fixtures"

// loadFixtures reads every definition of the fixture library: the files
// that are not goldens.
func loadFixtures(t *testing.T) map[string]*workflow.WorkflowDef {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtures, "*.json"))
	require.NoError(t, err)
	defs := map[string]*workflow.WorkflowDef{}
	for _, f := range files {
		if strings.HasSuffix(f, ".layout.json") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		def := &workflow.WorkflowDef{}
		require.NoError(t, workflow.Decode(data, def), f)
		defs[strings.TrimSuffix(filepath.Base(f), ".json")] = def
	}
	require.GreaterOrEqual(t, len(defs), 11, "the fixture library is missing")
	return defs
}

// golden compares got with a golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./designer/layout -update to create it")
	require.Equal(t, string(want), string(got), "%s differs; if the change is intended, run with -update", path)
}

func graphJSON(t *testing.T, g *Graph) []byte {
	t.Helper()
	data, err := json.MarshalIndent(g, "", "  ")
	require.NoError(t, err)
	return append(data, '\n')
}

// TestGolden lays out and renders every fixture and compares both with
// their goldens: the layout JSON is what the TypeScript port must match.
func TestGolden(t *testing.T) {
	t.Parallel()
	for name, def := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) {
			g := Layout(def)
			golden(t, filepath.Join(fixtures, name+".layout.json"), graphJSON(t, g))
			var svg bytes.Buffer
			require.NoError(t, RenderSVG(&svg, g, RenderOptions{Slots: true}))
			golden(t, filepath.Join(fixtures, name+".svg"), svg.Bytes())
		})
	}
}

// TestFixturesValid keeps the fixture library to definitions the server
// accepts, so the designer is tested on what users can save, except two
// drafts the designer must draw while they are being edited: each has
// exactly the one problem listed.
func TestFixturesValid(t *testing.T) {
	t.Parallel()
	drafts := map[string]string{
		"empty":          "/tasks",            // the designer's blank page
		"empty_branches": "/tasks/3/loopOver", // a loop whose body is still to add
	}
	for name, def := range loadFixtures(t) {
		diags := workflow.ValidateWorkflowDef(def, workflow.ValidateOptions{})
		if ptr, ok := drafts[name]; ok {
			require.Len(t, diags, 1, name)
			require.Equal(t, ptr, diags[0].Pointer, name)
			continue
		}
		require.Empty(t, diags, name)
	}
}

// TestLayoutDeterministic lays out each fixture twice, and once more from
// a re-encoded copy (map order differs between decodes), and expects the
// same JSON.
func TestLayoutDeterministic(t *testing.T) {
	t.Parallel()
	for name, def := range loadFixtures(t) {
		a := graphJSON(t, Layout(def))
		data, err := json.Marshal(def)
		require.NoError(t, err)
		again := &workflow.WorkflowDef{}
		require.NoError(t, workflow.Decode(data, again))
		require.Equal(t, string(a), string(graphJSON(t, Layout(again))), name)
		require.Equal(t, string(a), string(graphJSON(t, Layout(def))), name)
	}
}

func TestInvariantsFixtures(t *testing.T) {
	t.Parallel()
	for name, def := range loadFixtures(t) {
		t.Run(name, func(t *testing.T) { checkInvariants(t, def, Layout(def)) })
	}
}

// TestInvariantsEngineLibrary lays out every workflow of the engine's
// scenario library: real definitions, none written for the layout.
func TestInvariantsEngineLibrary(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../server/internal/engine/testdata/library/*.json")
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var scenario struct {
			Workflows []*workflow.WorkflowDef `json:"workflows"`
		}
		require.NoError(t, workflow.Decode(data, &scenario), f)
		for _, def := range scenario.Workflows {
			n++
			t.Run(filepath.Base(f)+"/"+def.Name, func(t *testing.T) { checkInvariants(t, def, Layout(def)) })
		}
	}
	require.Greater(t, n, 20, "the engine's library was not found")
}

// TestLarge500 keeps the generated 500-task fixture in step with its
// generator (the TypeScript port reads the file) and lays it out.
func TestLarge500(t *testing.T) {
	t.Parallel()
	def := largeDef(500)
	require.Equal(t, 500, countTasks(def.Tasks))
	data, err := json.MarshalIndent(def, "", " ")
	require.NoError(t, err)
	golden(t, filepath.Join(fixtures, "large_500.json"), append(data, '\n'))
	checkInvariants(t, def, Layout(def))
}

// TestRobust lays out definitions the validator rejects: the preview of a
// definition being edited must still draw.
func TestRobust(t *testing.T) {
	t.Parallel()
	defs := map[string]*workflow.WorkflowDef{
		"fork without join": {Name: "x", Tasks: []*workflow.WorkflowTask{
			{Name: "f", TaskReferenceName: "f", Type: "FORK_JOIN", ForkTasks: [][]*workflow.WorkflowTask{{{Name: "a", TaskReferenceName: "a"}}}},
			{Name: "b", TaskReferenceName: "b"}}},
		"fork of no branch": {Name: "x", Tasks: []*workflow.WorkflowTask{
			{Name: "f", TaskReferenceName: "f", Type: "FORK_JOIN"}, {Name: "j", TaskReferenceName: "j", Type: "JOIN"}}},
		"dynamic fork without join, last": {Name: "x", Tasks: []*workflow.WorkflowTask{
			{Name: "d", TaskReferenceName: "d", Type: "FORK_JOIN_DYNAMIC"}}},
		"repeated and empty refs": {Name: "x", Tasks: []*workflow.WorkflowTask{
			{Name: "a", TaskReferenceName: "a"}, {Name: "a", TaskReferenceName: "a"}, {Name: "n"}, {Name: "s", TaskReferenceName: "$start"}}},
		"null task": {Name: "x", Tasks: []*workflow.WorkflowTask{nil, {Name: "a", TaskReferenceName: "a"}}},
		"tasks after terminate": {Name: "x", Tasks: []*workflow.WorkflowTask{
			{Name: "t", TaskReferenceName: "t", Type: "TERMINATE"}, {Name: "a", TaskReferenceName: "a"}}},
		"case key with / and ~": {Name: "x", Tasks: []*workflow.WorkflowTask{
			{Name: "s", TaskReferenceName: "s", Type: "SWITCH", DecisionCases: map[string][]*workflow.WorkflowTask{
				"a/b~c": {{Name: "a", TaskReferenceName: "a"}}}}}},
	}
	for name, def := range defs {
		t.Run(name, func(t *testing.T) {
			g := Layout(def)
			checkInvariants(t, def, g)
			var buf bytes.Buffer
			require.NoError(t, RenderSVG(&buf, g, RenderOptions{Slots: true}))
		})
	}
	g := Layout(defs["case key with / and ~"])
	require.Equal(t, "/tasks/0/decisionCases/a~1b~0c/0", g.Nodes[3].Path)
	ids := []string{}
	for _, n := range Layout(defs["repeated and empty refs"]).Nodes {
		ids = append(ids, n.ID)
	}
	require.Equal(t, []string{"$start", "a", "a#2", "$task:/tasks/2", "$task:/tasks/3", "$end"}, ids)
	term := Layout(defs["tasks after terminate"])
	for _, e := range term.Edges {
		require.NotEqual(t, "t", e.From, "a TERMINATE ends its lane: no edge leaves it")
	}
}

// TestSwitchGeometry pins down the block rules of the package doc on the
// switch_default fixture: lanes centred under the SWITCH, cases sorted with
// default last, labels on the edges into the lanes.
func TestSwitchGeometry(t *testing.T) {
	t.Parallel()
	g := Layout(loadFixtures(t)["switch_default"])
	byID := map[string]*Node{}
	for _, n := range g.Nodes {
		byID[n.ID] = n
	}
	route, merge := byID["route"], byID["$merge:route"]
	cx := route.X + route.W/2
	require.Equal(t, cx, merge.X+merge.W/2, "the merge dot is under the SWITCH")
	require.Equal(t, g.W/2, cx, "the SWITCH is centred in the graph")
	// Lanes left to right: bank, card, default.
	require.Less(t, byID["transfer"].X, byID["charge_card"].X)
	require.Less(t, byID["charge_card"].X, byID["reject"].X)
	lanesLeft, lanesRight := byID["transfer"].X, byID["reject"].X+nodeW
	require.Equal(t, cx-lanesLeft, lanesRight-cx, "the lanes are centred under the SWITCH")
	var labels []string
	for _, e := range g.Edges {
		if e.Label != nil {
			labels = append(labels, e.Label.Text)
			require.Equal(t, "route", e.From)
		}
	}
	require.Equal(t, []string{"bank", "card", "default"}, labels)
	require.Equal(t, byID["route"].Y+nodeH+bus+vGap, byID["charge_card"].Y)
}

// checkInvariants checks what every layout must satisfy.
func checkInvariants(t *testing.T, def *workflow.WorkflowDef, g *Graph) {
	t.Helper()
	byID := map[string]*Node{}
	paths := map[string]bool{}
	for _, n := range g.Nodes {
		require.NotContains(t, byID, n.ID, "node ids are unique")
		byID[n.ID] = n
		require.Positive(t, n.W)
		require.Positive(t, n.H)
		require.True(t, n.X >= 0 && n.Y >= 0 && n.X+n.W <= g.W && n.Y+n.H <= g.H, "node %s inside the graph", n.ID)
		if n.Path != "" {
			require.False(t, paths[n.Path], "task %s appears once", n.Path)
			paths[n.Path] = true
		}
		if n.Parent != "" {
			p := byID[n.Parent]
			require.NotNil(t, p, "the parent of %s comes before it", n.ID)
			require.True(t, contains(p, n), "%s is inside its parent %s", n.ID, n.Parent)
		}
	}
	// Every task of the definition is a node at its path with its ref.
	want := map[string]string{}
	walkTasks(def.Tasks, "/tasks", func(tk *workflow.WorkflowTask, p string) { want[p] = tk.TaskReferenceName })
	require.Len(t, paths, len(want), "one node per task")
	for _, n := range g.Nodes {
		if n.Path != "" {
			ref, ok := want[n.Path]
			require.True(t, ok, "node %s has the path of a task", n.ID)
			require.Equal(t, ref, n.Ref)
		}
	}
	// Boxes do not overlap, except a container and what it contains.
	for i, a := range g.Nodes {
		for _, b := range g.Nodes[i+1:] {
			if !overlap(a, b) {
				continue
			}
			require.True(t, ancestor(byID, a, b) || ancestor(byID, b, a), "%s and %s overlap", a.ID, b.ID)
		}
	}
	// Edges join existing nodes with orthogonal segments that cross no box
	// but their ends' and the containers around them.
	for _, e := range g.Edges {
		from, to := byID[e.From], byID[e.To]
		require.NotNil(t, from, "edge from %s", e.From)
		require.NotNil(t, to, "edge to %s", e.To)
		require.GreaterOrEqual(t, len(e.Points), 2)
		for k := 1; k < len(e.Points); k++ {
			p, q := e.Points[k-1], e.Points[k]
			require.True(t, p.X == q.X || p.Y == q.Y, "edge %s->%s: segment %v-%v is orthogonal", e.From, e.To, p, q)
			for _, n := range g.Nodes {
				if n == from || n == to || isContainer(n) {
					continue
				}
				require.False(t, crosses(p, q, n), "edge %s->%s crosses %s", e.From, e.To, n.ID)
			}
		}
	}
	// Slots: the count the definition implies, unique, outside every box
	// but containers.
	require.Len(t, g.Slots, countSlots(def.Tasks), "slot count")
	seen := map[string]bool{}
	for _, s := range g.Slots {
		key := s.Kind + " " + s.Path
		require.False(t, seen[key], "slot %s is unique", key)
		seen[key] = true
		for _, n := range g.Nodes {
			if isContainer(n) {
				continue
			}
			require.False(t, s.X > n.X-slotR && s.X < n.X+n.W+slotR && s.Y > n.Y-slotR && s.Y < n.Y+n.H+slotR,
				"slot %s touches %s", s.Path, n.ID)
		}
	}
}

func contains(p, n *Node) bool {
	return n.X >= p.X && n.Y >= p.Y && n.X+n.W <= p.X+p.W && n.Y+n.H <= p.Y+p.H
}

func overlap(a, b *Node) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// ancestor reports whether a contains b through b's parents.
func ancestor(byID map[string]*Node, a, b *Node) bool {
	for p := b.Parent; p != ""; p = byID[p].Parent {
		if p == a.ID {
			return true
		}
	}
	return false
}

// crosses reports whether the segment p-q passes through the inside of a
// box.
func crosses(p, q Point, n *Node) bool {
	x0, x1 := min(p.X, q.X), max(p.X, q.X)
	y0, y1 := min(p.Y, q.Y), max(p.Y, q.Y)
	return x0 < n.X+n.W && x1 > n.X && y0 < n.Y+n.H && y1 > n.Y
}

// walkTasks calls fn for every task drawn: all nested lists but a dynamic
// fork's forkTasks, which the layout ignores (its branches come from input).
func walkTasks(list []*workflow.WorkflowTask, path string, fn func(*workflow.WorkflowTask, string)) {
	for i, tk := range list {
		if tk == nil {
			tk = &workflow.WorkflowTask{}
		}
		p := path + "/" + strconv.Itoa(i)
		fn(tk, p)
		for k, c := range tk.DecisionCases {
			walkTasks(c, p+"/decisionCases/"+escapePointer(k), fn)
		}
		walkTasks(tk.DefaultCase, p+"/defaultCase", fn)
		if tk.TaskType() != workflow.TypeForkJoinDynamic {
			for b, br := range tk.ForkTasks {
				walkTasks(br, p+"/forkTasks/"+strconv.Itoa(b), fn)
			}
		}
		walkTasks(tk.LoopOver, p+"/loopOver", fn)
	}
}

func countTasks(list []*workflow.WorkflowTask) int {
	n := 0
	walkTasks(list, "", func(*workflow.WorkflowTask, string) { n++ })
	return n
}

// countSlots is the number of slots a list implies: one per insertion index
// but the one between a fork and its JOIN, one "add case" per SWITCH, one
// "add branch" per FORK_JOIN, and those of the nested lists (a SWITCH always
// has its default lane).
func countSlots(list []*workflow.WorkflowTask) int {
	n := len(list) + 1
	for i, tk := range list {
		if tk == nil {
			continue
		}
		switch tk.TaskType() {
		case workflow.TypeSwitch, workflow.TypeDecision:
			n++
			for _, c := range tk.DecisionCases {
				n += countSlots(c)
			}
			n += countSlots(tk.DefaultCase)
		case workflow.TypeForkJoin, workflow.TypeFork, workflow.TypeForkJoinDynamic:
			if tk.TaskType() != workflow.TypeForkJoinDynamic {
				n++
				for _, br := range tk.ForkTasks {
					n += countSlots(br)
				}
			}
			if i+1 < len(list) && list[i+1] != nil && list[i+1].TaskType() == workflow.TypeJoin {
				n--
			}
		case workflow.TypeDoWhile:
			n += countSlots(tk.LoopOver)
		}
	}
	return n
}

// largeDef generates a valid definition of exactly n tasks (n >= 20),
// repeating a pattern of every operator: a task, a SWITCH, a FORK_JOIN with
// its JOIN, a DO_WHILE with a nested SWITCH, a SUB_WORKFLOW.
func largeDef(n int) *workflow.WorkflowDef {
	def := &workflow.WorkflowDef{Name: "large_" + strconv.Itoa(n), Version: 1,
		Description: "Generated by largeDef in designer/layout/layout_test.go; regenerate with -update"}
	k := 0
	task := func() *workflow.WorkflowTask {
		k++
		ref := fmt.Sprintf("t%d", k)
		return &workflow.WorkflowTask{Name: "work", TaskReferenceName: ref}
	}
	op := func(typ string) *workflow.WorkflowTask {
		t := task()
		t.Type, t.Name = typ, strings.ToLower(typ)
		return t
	}
	sw := func() *workflow.WorkflowTask {
		s := op(workflow.TypeSwitch)
		s.EvaluatorType, s.Expression = "value-param", "v"
		s.InputParameters = map[string]any{"v": "${workflow.input.v}"}
		s.DecisionCases = map[string][]*workflow.WorkflowTask{"a": {task(), task()}, "b": {task()}}
		s.DefaultCase = []*workflow.WorkflowTask{task()}
		return s
	}
	for i := 0; countTasks(def.Tasks) < n-16; i++ {
		switch i % 5 {
		case 0:
			def.Tasks = append(def.Tasks, task())
		case 1:
			def.Tasks = append(def.Tasks, sw())
		case 2:
			f := op(workflow.TypeForkJoin)
			f.ForkTasks = [][]*workflow.WorkflowTask{{task(), task()}, {task()}, {task(), task()}}
			j := op(workflow.TypeJoin)
			def.Tasks = append(def.Tasks, f, j)
		case 3:
			l := op(workflow.TypeDoWhile)
			l.LoopCondition = "false"
			l.LoopOver = []*workflow.WorkflowTask{task(), sw()}
			def.Tasks = append(def.Tasks, l)
		case 4:
			s := op(workflow.TypeSubWorkflow)
			s.SubWorkflowParam = &workflow.SubWorkflowParams{Name: "child"}
			def.Tasks = append(def.Tasks, s)
		}
	}
	for countTasks(def.Tasks) < n {
		def.Tasks = append(def.Tasks, task())
	}
	return def
}
