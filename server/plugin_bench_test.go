package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// BenchmarkBenignBesideHostile runs b.N workflows of a benign plugin task
// and b.N workflows of built-in tasks (a jq transform and a SET_VARIABLE),
// one at a time, first alone and then beside the hostile suite: four
// clients each run the hostile plugin's cases (an infinite loop, loop-free
// recursion, a memory bomb, a trap, an output over its cap, a fetch of a
// host it may not call) one after the other without pause, from different
// starting cases. It reports the p99 latency of each:
//
//	go test ./server -run '^$' -bench BenignBesideHostile -benchtime 300x
//
// The runaways hold the CPU slot to their deadline, one after another;
// the quick failures add a few workflows a second. (One case run in a
// loop by the four clients is another measure: for the quick failures,
// that of the server under a load of failing workflows, which a failing
// jq transform makes just the same: RATIONALE.md.)
func BenchmarkBenignBesideHostile(b *testing.B) {
	bin := wasmtest.BuildC(b, []string{"-O1"}, "testdata/hostile/hostile.c")
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", InMemory: true, NoSync: true, PluginCacheDir: wasmtest.CacheDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Stop(ctx)
	c := client.New(srv.URL())
	once := &workflow.TaskDef{Name: "once", RetryCount: new(int)}
	for _, name := range []string{"benign", "hostile"} {
		typ := map[string]string{"benign": "BENIGN", "hostile": "HOSTILE"}[name]
		manifest := fmt.Sprintf(`{"name":%q,"taskTypes":[%q],"limits":{"memoryMiB":16,"timeoutMs":200,"concurrency":4}}`, name, typ)
		if _, _, err := c.PushPlugin(ctx, bin, []byte(manifest)); err != nil {
			b.Fatal(err)
		}
		def := &workflow.WorkflowDef{Name: name, Version: 1, Tasks: []*workflow.WorkflowTask{{Name: "t", TaskReferenceName: "t", Type: typ,
			TaskDefinition: once, InputParameters: map[string]any{"mode": "${workflow.input.mode}"}}}}
		if _, err := c.RegisterWorkflowDef(ctx, def, true, false); err != nil {
			b.Fatal(err)
		}
	}
	builtin := &workflow.WorkflowDef{Name: "builtin", Version: 1, Tasks: []*workflow.WorkflowTask{
		{Name: "jq", TaskReferenceName: "jq", Type: workflow.TypeJSONJQTransform,
			InputParameters: map[string]any{"queryExpression": ".mode | ascii_upcase", "mode": "${workflow.input.mode}"}},
		{Name: "set", TaskReferenceName: "set", Type: workflow.TypeSetVariable, InputParameters: map[string]any{"seen": "${jq.output.result}"}},
	}}
	if _, err := c.RegisterWorkflowDef(ctx, builtin, true, false); err != nil {
		b.Fatal(err)
	}
	run := func(name, mode string) (time.Duration, workflow.Status, error) {
		t := time.Now()
		w, _, err := c.ExecuteWorkflow(ctx, &workflow.StartRequest{Name: name, Input: map[string]any{"mode": mode}}, nil, 30*time.Second)
		if err != nil {
			return 0, "", err
		}
		return time.Since(t), w.Status, nil
	}
	phase := func(name string) time.Duration {
		lats := make([]time.Duration, 0, b.N)
		for range b.N {
			took, status, err := run(name, "ok")
			if err != nil || status != workflow.StatusCompleted {
				b.Fatalf("%s workflow: %v %v", name, status, err)
			}
			lats = append(lats, took)
		}
		slices.Sort(lats)
		return lats[min(len(lats)-1, len(lats)*99/100)]
	}
	alone, builtinAlone := phase("benign"), phase("builtin")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	suite := []string{"loop", "recurse", "grow", "trap", "big", "fetch"}
	for i := range 4 {
		wg.Go(func() {
			for n := i; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				mode := suite[n%len(suite)]
				if _, status, err := run("hostile", mode); err != nil || status != workflow.StatusFailed {
					b.Errorf("hostile workflow of client %d (%s): %v %v", i, mode, status, err)
					return
				}
			}
		})
	}
	beside, builtinBeside := phase("benign"), phase("builtin")
	close(stop)
	wg.Wait()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(alone), "plugin-p99-alone-ms")
	b.ReportMetric(ms(beside), "plugin-p99-beside-ms")
	b.ReportMetric(ms(builtinAlone), "builtin-p99-alone-ms")
	b.ReportMetric(ms(builtinBeside), "builtin-p99-beside-ms")
}
