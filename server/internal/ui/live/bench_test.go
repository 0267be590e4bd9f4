package live_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// BenchmarkLive: many websocket clients over loopback watch one execution
// whose tasks change about 1,000 times a second (each iteration is one
// task leased and completed: three task changes in two commits, paced).
// It reports the delay from the publication of a change to its arrival
// at a client (for a coalesced delta, from its earliest change), the CPU
// of the process (server and clients: they share it) per wall-clock
// second, and the heap.
//
//	go test -run '^$' -bench Live -benchtime 3000x ./server/internal/ui/live/
func BenchmarkLive(b *testing.B) {
	for _, clients := range []int{0, 500} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchLive(b, clients, 1000) })
	}
}

// arrival is a delta as a client saw it.
type arrival struct {
	seq, first uint64 // its sequence number, that of its earliest change
	at         time.Time
}

func benchLive(b *testing.B, clients, changesPerSecond int) {
	env := setup(b, 1, config{})
	// One execution that stays small however long it runs: a DO_WHILE
	// of one SIMPLE task that keeps its last two iterations.
	ctx := context.Background()
	_, err := env.e.RegisterWorkflowDef(ctx, &workflow.WorkflowDef{Name: "busy", Version: 1, SchemaVersion: 2, Tasks: []*workflow.WorkflowTask{{
		Name: "loop", TaskReferenceName: "loop", Type: workflow.TypeDoWhile,
		InputParameters: map[string]any{"keepLastN": 2},
		LoopCondition:   "$.loop.iteration < " + strconv.Itoa(b.N+1),
		LoopOver:        []*workflow.WorkflowTask{{Name: "work", TaskReferenceName: "step", Type: workflow.TypeSimple}},
	}}}, true, false)
	require.NoError(b, err)
	id, err := env.e.StartWorkflow(ctx, &workflow.StartRequest{Name: "busy"})
	require.NoError(b, err)

	// The publication time of each change, by sequence number.
	rec, err := env.e.Subscribe(engine.SubscribeRequest{Filter: engine.Filter{WorkflowID: id}, Buffer: 3*b.N + 16})
	require.NoError(b, err)
	defer rec.Close()

	sub := []byte(`{"sub":"execution","id":"` + id + `"}`)
	var (
		ready    sync.WaitGroup
		done     sync.WaitGroup
		arrivals = make([][]arrival, clients)
		lastSeen = make([]atomic.Uint64, clients)
		failures atomic.Int64
		conns    []*websocket.Conn
	)
	for i := range clients {
		conn := dial(b, env.url, nil)
		conns = append(conns, conn)
		require.NoError(b, conn.WriteMessage(websocket.TextMessage, sub))
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			first := true
			for {
				_, data, err := conn.ReadMessage()
				now := time.Now()
				if err != nil {
					failures.Add(1)
					if first {
						ready.Done()
					}
					return
				}
				if first {
					first = false
					ready.Done()
					continue // the snapshot
				}
				// A browser decodes the whole message; the clients here
				// share the CPU with the server, so they read only what
				// the figures need.
				seq, merged := field(data, `"seq":`), field(data, `"merged":`)
				arrivals[i] = append(arrivals[i], arrival{seq: seq, first: seq - max(merged, 1) + 1, at: now})
				lastSeen[i].Store(seq)
			}
		}()
	}
	ready.Wait()
	require.Zero(b, failures.Load())

	var heapPeak atomic.Uint64
	stopSampling := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > heapPeak.Load() {
					heapPeak.Store(ms.HeapInuse)
				}
			}
		}
	}()

	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	// An iteration changes three tasks: the lease of the step, then its
	// completion and the next iteration's step (and the loop's progress).
	pace := time.NewTicker(time.Second * 3 / time.Duration(changesPerSecond))
	for range b.N {
		<-pace.C
		env.step(b, "bench")
	}
	pace.Stop()
	// Every change published; the last one is what each client waits for.
	published := map[uint64]time.Time{}
	var final uint64
	taskChanges := 0
	for len(published) < 2*b.N {
		c := <-rec.Changes()
		published[c.Seq] = c.Published
		final = c.Seq
		taskChanges += len(c.Tasks)
	}
	// Wait (polling: this is a benchmark) until every client has the last
	// change, or gave up.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		behind := 0
		for i := range lastSeen {
			if lastSeen[i].Load() < final {
				behind++
			}
		}
		if behind == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	close(stopSampling)
	dropped := clients - env.hub.Clients()
	for _, c := range conns {
		c.Close()
	}
	done.Wait()

	var lat []time.Duration
	starved := 0
	messages := 0
	for _, as := range arrivals {
		messages += len(as)
		if len(as) == 0 || as[len(as)-1].seq < final {
			starved++
		}
		for _, a := range as {
			if p, ok := published[a.first]; ok {
				lat = append(lat, a.at.Sub(p))
			}
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cpu-cores")
	b.ReportMetric(float64(heapPeak.Load())/(1<<20), "heap-peak-MB")
	b.ReportMetric(float64(messages)/float64(clients), "msgs/client")
	b.ReportMetric(float64(taskChanges)/elapsed.Seconds(), "task-changes/s")
	b.ReportMetric(float64(starved), "starved")
	b.ReportMetric(float64(dropped), "dropped")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// field reads the unsigned integer after key in a JSON message; 0 if
// absent.
func field(data []byte, key string) uint64 {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return 0
	}
	var n uint64
	for _, c := range data[i+len(key):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}
