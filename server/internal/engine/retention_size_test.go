package engine_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/server/internal/store/badgerstore"
)

// dirSize returns the sum of the sizes of the files under dir, and the disk
// space they take (allocated blocks: Badger preallocates sparse files, so
// the sizes say more than the disk holds).
func dirSize(t testing.TB, dir string) (size, disk int64) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		// Badger deletes table files as it compacts: one listed a moment
		// ago may be gone.
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		size += info.Size()
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			disk += st.Blocks * 512
		}
		return nil
	}))
	return size, disk
}

// sizeRun is one run of short workflows through the engine on a store on
// disk, with or without retention.
type sizeRun struct {
	// workflows in all, started in rounds of round; after each round the
	// fake clock moves a minute and, with retention (age two minutes),
	// a retention pass runs.
	workflows, round int
	retention        bool
	// background runs the retention's own loop (a pass every 10ms, while
	// workflows start) instead of a pass after each round.
	background bool
	// pad is the size of each workflow's input string, which its one task
	// copies into its variables.
	pad int
}

// sizeCheckpoint is the data directory after a round.
type sizeCheckpoint struct {
	started, removed int
	size, disk       int64
	// elapsed is the time the round's starts took, of round workflows.
	elapsed time.Duration
	round   int
}

func (c sizeCheckpoint) String() string {
	return fmt.Sprintf("%6d started %6d removed: files %7.1f MiB, disk %6.1f MiB, %5.0f workflows/s",
		c.started, c.removed, float64(c.size)/(1<<20), float64(c.disk)/(1<<20), float64(c.round)/c.elapsed.Seconds())
}

// run starts the workflows (each ends in the commit that starts it: one
// SET_VARIABLE task) from 8 goroutines and returns a checkpoint per round.
func (r sizeRun) run(t testing.TB) []sizeCheckpoint {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir})
	require.NoError(t, err)
	defer st.Close()
	c := &clock{now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	e, err := engine.New(engine.Config{Store: st, Clock: c.Now})
	require.NoError(t, err)
	require.NoError(t, e.Start(ctx))
	defer e.Stop()
	_, err = e.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "short", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "set", TaskReferenceName: "set", Type: workflow.TypeSetVariable, InputParameters: map[string]any{"pad": "${workflow.input.pad}"}},
	}}, true, false)
	require.NoError(t, err)
	cfg := engine.RetentionConfig{Age: 2 * time.Minute, Clock: c.Now, BatchSize: 500, Pause: time.Nanosecond}
	if r.background {
		cfg.BatchSize, cfg.Pause, cfg.Interval = 0, 0, 10*time.Millisecond // the defaults, but for the interval
	}
	ret, err := engine.NewRetention(e, cfg)
	require.NoError(t, err)
	if r.background {
		require.NoError(t, ret.Start(ctx))
		defer ret.Stop()
	}

	// Random text: Badger compresses its tables (Snappy), and a repeated
	// letter would take almost no space.
	b := make([]byte, r.pad*3/4)
	rand.Read(b)
	pad := base64.StdEncoding.EncodeToString(b)
	var points []sizeCheckpoint
	removed := 0
	for started := 0; started < r.workflows; {
		begin := time.Now()
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(r.round) {
					if _, err := e.StartWorkflow(ctx, &workflow.StartRequest{Name: "short", Input: map[string]any{"pad": pad}}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		require.NoError(t, <-errs)
		elapsed := time.Since(begin)
		started += r.round
		c.Add(time.Minute)
		if r.retention && !r.background {
			n, err := ret.Pass(ctx)
			require.NoError(t, err)
			removed += n
		}
		if r.background {
			removed = started - countExecutions(t, st)
		}
		size, disk := dirSize(t, dir)
		points = append(points, sizeCheckpoint{started: started, removed: removed, size: size, disk: disk, elapsed: elapsed, round: r.round})
	}
	return points
}

// TestRetentionKeepsStoreSizeFlat runs 40,000 short workflows through the
// engine on disk (each with 2 KiB of random input, which its task copies),
// with retention keeping only the last two minutes (of a fake clock that
// moves a minute per 2,000 workflows), and again without, and checks that
// with retention the data directory stops growing: the disk space of its
// second half stays under twice that of its first (compactions come
// at different times in each half), and well under
// what the run without retention reaches, which grows on.
//
// Badger reclaims deleted data when it compacts its tables, so the size
// with retention is a saw-tooth (about 85 to 240 MiB when measured), not a
// line. Run with -v for the figures; BenchmarkRetentionStoreSize prints
// them too.
func TestRetentionKeepsStoreSizeFlat(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("runs 80,000 workflows; it measures disk space, not races")
	}
	t.Parallel()
	runs := map[bool][]sizeCheckpoint{}
	for _, retention := range []bool{false, true} {
		points := sizeRun{workflows: 40_000, round: 2_000, retention: retention, pad: 2048}.run(t)
		runs[retention] = points
		for _, p := range points {
			t.Logf("retention %-5v %s", retention, p)
		}
	}
	without, with := runs[false], runs[true]
	n := len(with)
	require.Equal(t, 40_000-2*2_000, with[n-1].removed, "all but the last two minutes removed")
	maxDisk := func(points []sizeCheckpoint) int64 {
		var m int64
		for _, p := range points {
			m = max(m, p.disk)
		}
		return m
	}
	// Compactions make every run a saw-tooth, so maxima over several
	// rounds are compared, with room for where the teeth fall.
	require.Less(t, float64(maxDisk(with[n/2:])), 2*float64(maxDisk(with[:n/2])))
	require.Less(t, float64(maxDisk(with[n/2:])), 0.7*float64(maxDisk(without[3*n/4:])))
}

// BenchmarkRetentionStoreSize prints the data directory's size after each
// round of TestRetentionKeepsStoreSizeFlat's workload without retention,
// with a retention pass after each round, and with the retention's own
// background loop running while workflows start; it reports the largest
// disk space of the last half and the rate of starts (each start is the
// whole workflow), which the background loop shares the store with.
//
//	go test -run '^$' -bench BenchmarkRetentionStoreSize -benchtime 1x ./server/internal/engine/
func BenchmarkRetentionStoreSize(b *testing.B) {
	for _, mode := range []string{"none", "pass", "background"} {
		b.Run("retention="+mode, func(b *testing.B) {
			for range b.N {
				points := sizeRun{workflows: 40_000, round: 2_000, retention: mode != "none", background: mode == "background", pad: 2048}.run(b)
				var last int64
				var elapsed time.Duration
				for i, p := range points {
					b.Logf("%s", p)
					elapsed += p.elapsed
					if i >= len(points)/2 {
						last = max(last, p.disk)
					}
				}
				b.ReportMetric(float64(last)/(1<<20), "MiB-disk-max-last-half")
				b.ReportMetric(40_000/elapsed.Seconds(), "workflows/s")
			}
		})
	}
}

// countExecutions counts the executions in a store.
func countExecutions(t testing.TB, st store.Store) int {
	t.Helper()
	n := 0
	q := store.ExecutionQuery{Limit: store.MaxSearchLimit}
	for {
		page, err := st.ExecutionSearch(context.Background(), q)
		require.NoError(t, err)
		n += len(page.Executions)
		if page.Next == "" {
			return n
		}
		q.Cursor = page.Next
	}
}
