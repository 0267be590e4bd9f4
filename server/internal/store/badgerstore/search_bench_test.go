package badgerstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// BenchmarkSearch loads 100,000 executions into a store on disk and
// measures searches of each kind, reporting their latency percentiles
// (p50-ms, p99-ms). Loading takes about a minute, so -short skips it.
//
//	go test -run '^$' -bench BenchmarkSearch -benchtime 200x -timeout 30m ./server/internal/store/badgerstore/
func BenchmarkSearch(b *testing.B) {
	if testing.Short() {
		b.Skip("loads 100,000 executions")
	}
	ctx := context.Background()
	s, err := Open(Options{Dir: b.TempDir(), Sync: true})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	d := newSearchBenchData(100_000)
	start := time.Now()
	d.load(b, s)
	b.Logf("loaded %d executions in %v", d.n, time.Since(start).Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(2, 2))
	// Cursors of later pages, fetched before the clock runs.
	var cursors []store.ExecutionQuery
	for i := range 20 {
		q := store.ExecutionQuery{Name: d.names[i], Limit: 50}
		for range 5 {
			page, err := s.ExecutionSearch(ctx, q)
			require.NoError(b, err)
			q.Cursor = page.Next
		}
		cursors = append(cursors, q)
	}
	kinds := []struct {
		name  string
		query func() store.ExecutionQuery
	}{
		{"Newest", func() store.ExecutionQuery { return store.ExecutionQuery{} }},
		{"Name", func() store.ExecutionQuery { return store.ExecutionQuery{Name: d.pickName(rng)} }},
		{"NameStatus", func() store.ExecutionQuery {
			return store.ExecutionQuery{Name: d.pickName(rng), Statuses: []workflow.Status{d.pickStatus(rng)}}
		}},
		{"Status", func() store.ExecutionQuery {
			return store.ExecutionQuery{Statuses: []workflow.Status{d.pickStatus(rng)}}
		}},
		{"StatusRare", func() store.ExecutionQuery {
			return store.ExecutionQuery{Statuses: []workflow.Status{workflow.StatusPaused}, SortBy: store.SortUpdateTime}
		}},
		{"Correlation", func() store.ExecutionQuery {
			return store.ExecutionQuery{CorrelationID: fmt.Sprint("corr-", rng.IntN(d.n/3))}
		}},
		{"TimeRange", func() store.ExecutionQuery {
			from := d.t0 + rng.Int64N(d.span)
			return store.ExecutionQuery{StartFrom: from, StartTo: from + int64(time.Hour/time.Millisecond)}
		}},
		{"EndRangeByCreate", func() store.ExecutionQuery {
			from := d.t0 + rng.Int64N(d.span)
			return store.ExecutionQuery{EndFrom: from, EndTo: from + int64(time.Hour/time.Millisecond)}
		}},
		{"FreeText1", func() store.ExecutionQuery { return store.ExecutionQuery{FreeText: d.pickWord(rng)} }},
		{"FreeText2", func() store.ExecutionQuery {
			return store.ExecutionQuery{FreeText: d.pickWord(rng) + " " + d.pickWord(rng)}
		}},
		{"FreeTextCustomer", func() store.ExecutionQuery {
			return store.ExecutionQuery{FreeText: fmt.Sprint("cust-", rng.IntN(5000))}
		}},
		{"FreeTextByEnd", func() store.ExecutionQuery {
			return store.ExecutionQuery{FreeText: d.pickWord(rng), SortBy: store.SortEndTime}
		}},
		{"ByEndTime", func() store.ExecutionQuery { return store.ExecutionQuery{SortBy: store.SortEndTime} }},
		{"ByEndTimeName", func() store.ExecutionQuery {
			return store.ExecutionQuery{SortBy: store.SortEndTime, Name: d.pickName(rng)}
		}},
		{"ByUpdateTime", func() store.ExecutionQuery { return store.ExecutionQuery{SortBy: store.SortUpdateTime} }},
		{"ByUpdateTimeName", func() store.ExecutionQuery {
			return store.ExecutionQuery{SortBy: store.SortUpdateTime, Name: d.pickName(rng)}
		}},
		{"LaterPage", func() store.ExecutionQuery { return cursors[rng.IntN(len(cursors))] }},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			found := 0
			for b.Loop() {
				q := k.query()
				t := time.Now()
				page, err := s.ExecutionSearch(ctx, q)
				lat = append(lat, time.Since(t))
				require.NoError(b, err)
				found += len(page.Executions)
			}
			slices.Sort(lat)
			ms := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.50), "p50-ms")
			b.ReportMetric(ms(0.99), "p99-ms")
			b.ReportMetric(float64(found)/float64(len(lat)), "found/op")
		})
	}
}

// searchBenchData makes executions that look like a busy month: twenty
// workflow names, most executions completed, correlation ids shared by
// three executions, customer ids and a few words of a large vocabulary in
// inputs and outputs, failure reasons.
type searchBenchData struct {
	n        int
	t0, span int64 // Unix ms
	names    []string
	words    []string
}

func newSearchBenchData(n int) *searchBenchData {
	d := &searchBenchData{n: n, t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		span: int64(30 * 24 * time.Hour / time.Millisecond)}
	for i := range 20 {
		d.names = append(d.names, fmt.Sprintf("workflow_%02d", i))
	}
	for i := range 2000 {
		d.words = append(d.words, fmt.Sprintf("word%04d", i))
	}
	return d
}

// pickWord draws words with a skew: some are in many executions, most in
// few.
func (d *searchBenchData) pickWord(rng *rand.Rand) string {
	return d.words[int(float64(len(d.words))*rng.Float64()*rng.Float64())]
}

func (d *searchBenchData) pickName(rng *rand.Rand) string {
	return d.names[int(float64(len(d.names))*rng.Float64()*rng.Float64())]
}

// pickStatus draws statuses as executions have them.
func (d *searchBenchData) pickStatus(rng *rand.Rand) workflow.Status {
	switch x := rng.IntN(100); {
	case x < 70:
		return workflow.StatusCompleted
	case x < 80:
		return workflow.StatusRunning
	case x < 90:
		return workflow.StatusFailed
	case x < 94:
		return workflow.StatusTimedOut
	case x < 98:
		return workflow.StatusTerminated
	default:
		return workflow.StatusPaused
	}
}

func (d *searchBenchData) execution(i int, rng *rand.Rand) *workflow.Workflow {
	created := d.t0 + int64(i)*d.span/int64(d.n) + rng.Int64N(1000)
	status := d.pickStatus(rng)
	w := &workflow.Workflow{
		WorkflowID:      fmt.Sprintf("%08x-%04x-4000-8000-%012x", rng.Uint32(), i%65536, rng.Uint64()&(1<<48-1)),
		WorkflowName:    d.pickName(rng),
		WorkflowVersion: 1 + rng.IntN(3),
		Status:          status,
		CorrelationID:   fmt.Sprint("corr-", i/3),
		CreateTime:      created,
		StartTime:       created,
		UpdateTime:      created + rng.Int64N(60_000),
		Input: map[string]any{
			"customerId": fmt.Sprint("cust-", rng.IntN(5000)),
			"amount":     json.Number(fmt.Sprint(rng.IntN(100_000))),
			"note":       d.pickWord(rng) + " " + d.pickWord(rng) + " " + d.pickWord(rng),
		},
		Output: map[string]any{},
	}
	if rng.IntN(10) < 3 {
		w.IdempotencyKey = fmt.Sprint("idem-", i)
	}
	if status.Terminal() {
		w.EndTime = w.UpdateTime
		w.Output = map[string]any{"result": d.pickWord(rng), "code": json.Number(fmt.Sprint(rng.IntN(100)))}
		if status != workflow.StatusCompleted {
			w.ReasonForIncompletion = fmt.Sprintf("Task %s failed: %s %s", d.pickWord(rng), d.pickWord(rng), d.pickWord(rng))
		}
	}
	return w
}

// load commits the executions in large calls from a few goroutines, so
// that the committer batches them.
func (d *searchBenchData) load(b *testing.B, s *Store) {
	const perCall, workers = 500, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(wk), 1))
			for first := wk * perCall; first < d.n; first += workers * perCall {
				var ts []*store.Transition
				for i := first; i < min(first+perCall, d.n); i++ {
					ts = append(ts, &store.Transition{Workflow: d.execution(i, rng),
						History: []store.Event{{Time: 1, Type: "WORKFLOW_STARTED"}}})
				}
				if err := s.Commit(context.Background(), ts...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	require.NoError(b, s.db.Sync())
}
