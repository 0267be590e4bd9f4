package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// testCounts checks ExecutionCounts: it follows creations, status changes
// and removals, in every status, and survives a restart.
func testCounts(t *testing.T, h Harness) {
	setup := setupFunc(h)

	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		counts, err := b.store.ExecutionCounts(b.ctx)
		require.NoError(t, err)
		require.Empty(t, nonZero(counts))
	})

	t.Run("FollowsCommitsAndRemovals", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		w := newSearchWorld(t, b)
		want := map[workflow.Status]int64{}
		check := func() {
			t.Helper()
			got, err := b.store.ExecutionCounts(b.ctx)
			require.NoError(t, err)
			require.Equal(t, nonZero(want), nonZero(got))
		}
		t0 := baseTime.UnixMilli()
		statuses := []workflow.Status{
			workflow.StatusRunning, workflow.StatusPaused, workflow.StatusCompleted,
			workflow.StatusFailed, workflow.StatusTimedOut, workflow.StatusTerminated,
		}
		// n executions of the i-th status: 1, 2, 3...
		var ids []string
		for i, st := range statuses {
			for range i + 1 {
				id := newID(string(st))
				wf := searchWorkflow(id, "counted", 1, st, t0+int64(len(ids)))
				if st.Terminal() {
					wf.EndTime = wf.CreateTime + 10
				}
				w.create(wf)
				ids = append(ids, id)
				want[st]++
			}
		}
		check()

		// A running execution completes; a completed one is restarted.
		running, completed := ids[0], ids[3]
		w.update(running, func(wf *workflow.Workflow) { wf.Status, wf.EndTime = workflow.StatusCompleted, t0+100 })
		want[workflow.StatusRunning]--
		want[workflow.StatusCompleted]++
		w.update(completed, func(wf *workflow.Workflow) { wf.Status, wf.EndTime = workflow.StatusRunning, 0 })
		want[workflow.StatusCompleted]--
		want[workflow.StatusRunning]++
		check()

		// Removals: a completed and a failed one.
		w.remove(running)
		want[workflow.StatusCompleted]--
		w.remove(ids[6])
		want[workflow.StatusFailed]--
		check()

		// A transition that changes only other fields counts nothing twice.
		w.commit(update(&store.Transition{Workflow: w.execs[ids[1]]}, w.versions[ids[1]]))
		check()

		b.restart(t)
		check()
	})
}

// nonZero drops the statuses counted 0, which a store may leave out.
func nonZero(counts map[workflow.Status]int64) map[workflow.Status]int64 {
	out := map[workflow.Status]int64{}
	for st, n := range counts {
		if n != 0 {
			out[st] = n
		}
	}
	return out
}
