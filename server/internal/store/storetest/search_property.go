package storetest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// SeedEnv names the environment variable that sets the seed of the
// suite's random cases (a decimal integer); a failing case logs the seed it
// ran with.
const SeedEnv = "STORETEST_SEED"

// searchProperty creates a few hundred random executions, changes them at
// random (status, end time, output, variables, input, names, removal) and
// checks, between the changes, that random searches followed page by page
// find exactly what a brute-force filter over the executions as committed
// finds, in the same order.
func searchProperty(t *testing.T, b *testBundle) {
	seed := uint64(1)
	if s := os.Getenv(SeedEnv); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "%s must be an unsigned integer", SeedEnv)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("search property ran with seed %d; %s=%d repeats it", seed, SeedEnv, seed)
		}
	})
	g := &searchGen{rng: rand.New(rand.NewPCG(seed, 0x5ea4c4)), t0: baseTime.UnixMilli()}
	w := newSearchWorld(t, b)

	const executions, changes, queries = 300, 400, 40
	var batch []*store.Transition
	for i := range executions {
		batch = append(batch, &store.Transition{Workflow: g.execution(fmt.Sprintf("wf-%03d", i))})
		if len(batch) == 50 {
			require.NoError(t, b.store.Commit(b.ctx, batch...))
			for _, tr := range batch {
				w.execs[tr.Workflow.WorkflowID], w.versions[tr.Workflow.WorkflowID] = cloneWorkflow(t, tr.Workflow), 1
			}
			batch = batch[:0]
		}
	}
	check := func(round int) {
		for i := range queries {
			q, limit := g.query()
			require.Equal(t, w.expect(q), w.searchAll(q, limit), "round %d, query %d: %+v, limit %d", round, i, q, limit)
		}
	}
	check(0)
	for i := range changes {
		g.change(w)
		if (i+1)%100 == 0 {
			check(i + 1)
		}
	}
}

// searchGen makes random executions, changes and queries from a small
// vocabulary, so that queries match some executions and not others.
type searchGen struct {
	rng *rand.Rand
	t0  int64
}

var (
	genNames    = []string{"order", "payment", "ship", "refund"}
	genWords    = []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "Theta", "iota", "KAPPA"}
	genStatuses = []workflow.Status{workflow.StatusRunning, workflow.StatusPaused, workflow.StatusCompleted,
		workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusTerminated}
)

func (g *searchGen) pick(list []string) string { return list[g.rng.IntN(len(list))] }
func (g *searchGen) chance(p float64) bool     { return g.rng.Float64() < p }
func (g *searchGen) at(n int) int64            { return g.t0 + int64(g.rng.IntN(n))*500 }

// text returns one to three words.
func (g *searchGen) text() string {
	words := make([]string, 1+g.rng.IntN(3))
	for i := range words {
		words[i] = g.pick(genWords)
	}
	return strings.Join(words, " ")
}

// value returns a JSON object of a few keys, with no null and no
// character JSON escapes.
func (g *searchGen) value() map[string]any {
	m := map[string]any{}
	for range g.rng.IntN(4) {
		var v any
		switch g.rng.IntN(4) {
		case 0:
			v = g.text()
		case 1:
			v = json.Number(strconv.Itoa(g.rng.IntN(20)))
		case 2:
			v = g.chance(0.5)
		default:
			v = []any{g.pick(genWords), map[string]any{g.pick(genWords): json.Number("1.5")}}
		}
		m[strings.ToLower(g.pick(genWords))] = v
	}
	return m
}

func (g *searchGen) execution(id string) *workflow.Workflow {
	status := genStatuses[g.rng.IntN(len(genStatuses))]
	wf := searchWorkflow(id, g.pick(genNames), 1+g.rng.IntN(3), status, g.at(100))
	if g.chance(0.5) {
		wf.CorrelationID = fmt.Sprint("c", g.rng.IntN(6))
	}
	if g.chance(0.3) {
		wf.IdempotencyKey = fmt.Sprint("k", g.rng.IntN(4))
	}
	open := status == workflow.StatusRunning || status == workflow.StatusPaused
	// Mostly as the engine does: an end time once terminal. Sometimes not.
	if open && g.chance(0.1) || !open && g.chance(0.85) {
		wf.EndTime = wf.CreateTime + int64(1+g.rng.IntN(50))*500
	}
	wf.UpdateTime = max(wf.CreateTime, wf.EndTime) + int64(g.rng.IntN(3000))
	wf.Input = g.value()
	if g.chance(0.5) {
		wf.Output = g.value()
	}
	if g.chance(0.4) {
		wf.Variables = g.value()
	}
	if !open && g.chance(0.5) {
		wf.ReasonForIncompletion = g.text()
	}
	return wf
}

// change commits one random change of a random execution.
func (g *searchGen) change(w *searchWorld) {
	if len(w.execs) == 0 {
		return
	}
	ids := make([]string, 0, len(w.execs))
	for id := range w.execs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	id := g.pick(ids)
	later := func(wf *workflow.Workflow) {
		wf.UpdateTime += int64(g.rng.IntN(2500))
	}
	switch g.rng.IntN(9) {
	case 0: // ends
		w.update(id, func(wf *workflow.Workflow) {
			later(wf)
			wf.Status = genStatuses[2+g.rng.IntN(4)]
			wf.EndTime, wf.Output = wf.UpdateTime, g.value()
			if wf.Status != workflow.StatusCompleted {
				wf.ReasonForIncompletion = g.text()
			}
		})
	case 1: // retried or restarted
		w.update(id, func(wf *workflow.Workflow) {
			later(wf)
			wf.Status, wf.EndTime, wf.ReasonForIncompletion = workflow.StatusRunning, 0, ""
		})
	case 2:
		w.update(id, func(wf *workflow.Workflow) { later(wf); wf.Output = g.value() })
	case 3:
		w.update(id, func(wf *workflow.Workflow) { later(wf); wf.Variables = g.value() })
	case 4: // rerun with new input, or input changed but not said so
		w.updateInput(id, g.value(), g.chance(0.8))
	case 5:
		w.update(id, later)
	case 6:
		w.update(id, func(wf *workflow.Workflow) {
			later(wf)
			wf.Status = genStatuses[g.rng.IntN(2)]
		})
	case 7:
		w.update(id, func(wf *workflow.Workflow) {
			later(wf)
			switch g.rng.IntN(4) {
			case 0:
				wf.WorkflowName = g.pick(genNames)
			case 1:
				wf.WorkflowVersion = 1 + g.rng.IntN(3)
			case 2:
				wf.CorrelationID = fmt.Sprint("c", g.rng.IntN(6))
			default:
				wf.IdempotencyKey = ""
			}
		})
	default:
		w.remove(id)
	}
}

// query returns a random query and page size.
func (g *searchGen) query() (store.ExecutionQuery, int) {
	var q store.ExecutionQuery
	if g.chance(0.4) {
		q.Name = g.pick(append(genNames, "none"))
		if g.chance(0.3) {
			q.Version = 1 + g.rng.IntN(3)
		}
	}
	if g.chance(0.4) {
		for range 1 + g.rng.IntN(3) {
			q.Statuses = append(q.Statuses, genStatuses[g.rng.IntN(len(genStatuses))])
		}
	}
	if g.chance(0.15) {
		q.CorrelationID = fmt.Sprint("c", g.rng.IntN(7))
	}
	if g.chance(0.1) {
		q.IdempotencyKey = fmt.Sprint("k", g.rng.IntN(5))
	}
	timeRange := func() (from, to int64) {
		if g.chance(0.6) {
			from = g.at(130)
		}
		if g.chance(0.6) {
			to = g.at(130)
		}
		if from != 0 && to != 0 {
			from, to = min(from, to), max(from, to)
			if from == to {
				to = 0
			}
		}
		return from, to
	}
	if g.chance(0.25) {
		q.StartFrom, q.StartTo = timeRange()
	}
	if g.chance(0.2) {
		q.EndFrom, q.EndTo = timeRange()
	}
	if g.chance(0.35) {
		q.FreeText = g.pick(genWords)
		if g.chance(0.4) {
			q.FreeText += ", " + strings.ToUpper(g.pick(append(genWords, "missing")))
		}
	}
	q.SortBy = []store.SortField{"", store.SortCreateTime, store.SortEndTime, store.SortUpdateTime}[g.rng.IntN(4)]
	q.Ascending = g.chance(0.5)
	limit := 0
	if g.chance(0.8) {
		limit = 1 + g.rng.IntN(7)
	}
	return q, limit
}
