package engine_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// TestDomainFallback: a taskToDomain fallback list routes each task to the
// first domain a worker polled within 10 s, else to the last entry.
func TestDomainFallback(t *testing.T) {
	t.Parallel()
	b := setup(t, 1, work())
	startWith := func(domains string) *workflow.Task {
		t.Helper()
		id, err := b.e.StartWorkflow(b.ctx, &workflow.StartRequest{Name: "chain", TaskToDomain: map[string]string{"work": domains}})
		require.NoError(t, err)
		w, err := b.e.Workflow(b.ctx, id, true)
		require.NoError(t, err)
		return w.Tasks[0]
	}
	pollDomain := func(domain, worker string) {
		t.Helper()
		_, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", Domain: domain, WorkerID: worker})
		require.NoError(t, err)
	}

	// Nobody polls: the last entry wins.
	require.Empty(t, startWith("canary,stable,NO_DOMAIN").Domain)
	require.Equal(t, "stable", startWith("canary,stable").Domain)
	require.Equal(t, "canary", startWith("canary").Domain)

	// A worker polls "stable": it is the first active domain.
	pollDomain("stable", "w1")
	require.Equal(t, "stable", startWith("canary,stable,NO_DOMAIN").Domain)
	// Then one polls "canary", which comes first in the list.
	b.clock.Add(5 * time.Second)
	pollDomain("canary", "w2")
	require.Equal(t, "canary", startWith("canary,stable,NO_DOMAIN").Domain)
	// "stable" was polled 11 s ago, "canary" 6 s ago.
	b.clock.Add(6 * time.Second)
	require.Equal(t, "canary", startWith("stable,canary").Domain)
	require.Equal(t, "gone", startWith("stable,gone").Domain, "stable is no longer active: the last entry")
	// Past 10 s nobody is active.
	b.clock.Add(5 * time.Second)
	require.Empty(t, startWith("canary,NO_DOMAIN").Domain)

	// The task went to the domain's queue: a worker of that domain gets it.
	task := startWith("canary")
	got, err := b.e.Poll(b.ctx, engine.PollRequest{TaskType: "work", Domain: "canary", WorkerID: "w2", Count: 10})
	require.NoError(t, err)
	var ids []string
	for _, g := range got {
		ids = append(ids, g.TaskID)
	}
	require.Contains(t, ids, task.TaskID)

	// Conductor's poll data: the last poll of each worker.
	data := b.e.PollData("work")
	require.Len(t, data, 2)
	require.Equal(t, engine.PollData{QueueName: "work", Domain: "canary", WorkerID: "w2", LastPollTime: b.clock.Now().UnixMilli()}, data[0])
	require.Equal(t, "stable", data[1].Domain)
	require.Empty(t, b.e.PollData("other"))
}
