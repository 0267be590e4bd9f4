package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"net/http"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/client"
	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// The hostile plugin's limits: its memory cap, deadline and concurrency.
const (
	hostileMiB         = 16
	hostileTimeout     = 200 * time.Millisecond
	hostileConcurrency = 8
	sdkMiB             = 64
	sdkConcurrency     = 2
)

// TestHostilePlugins runs plugins that misbehave in every way the issue
// lists, beside a benign workload, in one server: each fails its own task
// with a reason that says what happened, the benign workflows all
// complete, and the server's memory stays within the plugins' caps.
func TestHostilePlugins(t *testing.T) {
	hostile := wasmtest.BuildC(t, []string{"-O1"}, "testdata/hostile/hostile.c")
	forbidden := wasmtest.BuildC(t, []string{"-Wl,--allow-undefined"}, "testdata/forbidden/forbidden.c")
	sdk := wasmtest.BuildGo(t, "../wasm/testdata/sdkguest")
	srv, c := startServer(t, server.Config{InMemory: true, PluginCacheDir: wasmtest.CacheDir()})
	raw := batonv1connect.NewPluginServiceClient(http.DefaultClient, srv.URL())
	ctx := t.Context()

	// Refused at upload, each with its reason.
	for _, up := range []struct {
		module []byte
		want   string
	}{
		{[]byte("\x7fELF, not wasm"), "invalid"},
		{forbidden, "import env.sneaky: plugins may import only baton and wasi_snapshot_preview1"},
		{make([]byte, 32<<20+1), "module is 33554433 bytes; at most 33554432"},
		{make([]byte, 40<<20), "message size"},
	} {
		// Straight to the API: the client refuses an oversize module
		// before sending it.
		_, err := raw.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{
			Module: up.module, ManifestJson: `{"name":"refused","taskTypes":["REFUSED"]}`}))
		require.Error(t, err)
		require.Contains(t, err.Error(), up.want)
		require.Contains(t, []connect.Code{connect.CodeInvalidArgument, connect.CodeResourceExhausted}, connect.CodeOf(err), "%v", err)
	}
	list, err := c.Plugins(ctx)
	require.NoError(t, err)
	require.Empty(t, list, "a refused upload stores nothing")

	_, _, err = c.PushPlugin(ctx, hostile, []byte(fmt.Sprintf(
		`{"name":"hostile","taskTypes":["HOSTILE"],"limits":{"memoryMiB":%d,"timeoutMs":%d,"concurrency":%d,"warm":1}}`,
		hostileMiB, hostileTimeout.Milliseconds(), hostileConcurrency)))
	require.NoError(t, err)
	_, _, err = c.PushPlugin(ctx, sdk, []byte(fmt.Sprintf(
		`{"name":"sdk","taskTypes":["SDK_OP"],"limits":{"memoryMiB":%d,"timeoutMs":2000,"concurrency":%d}}`, sdkMiB, sdkConcurrency)))
	require.NoError(t, err)
	once := &workflow.TaskDef{Name: "once", RetryCount: new(int)}
	for _, def := range []*workflow.WorkflowDef{
		{Name: "hostile", Version: 1, Tasks: []*workflow.WorkflowTask{{Name: "h", TaskReferenceName: "h", Type: "HOSTILE",
			TaskDefinition: once, InputParameters: map[string]any{"mode": "${workflow.input.mode}"}}}},
		{Name: "sdk", Version: 1, Tasks: []*workflow.WorkflowTask{{Name: "s", TaskReferenceName: "s", Type: "SDK_OP",
			TaskDefinition: once, InputParameters: map[string]any{"op": "${workflow.input.op}"}}}},
	} {
		_, err := c.RegisterWorkflowDef(ctx, def, true, false)
		require.NoError(t, err)
	}

	// What the uploads above allocated is returned before the baseline.
	runtime.GC()
	debug.FreeOSMemory()
	rss := watchRSS(t)
	benign := runBenign(t, c)
	cases := []struct {
		flow, mode, want string
		stopped          bool // by its deadline
	}{
		{"hostile", "loop", "^plugin exceeded its deadline of 200ms$", true},
		{"hostile", "recurse", "^plugin exceeded its deadline of 200ms$", true},
		// Its memory.grow fails at the cap and it traps; on a loaded
		// machine, growing 8 instances to their cap may take past the
		// deadline.
		{"hostile", "grow", "^plugin (trapped|exceeded its deadline)", false},
		{"hostile", "trap", "^plugin trapped: .*unreachable", false},
		{"sdk", "panic", "^plugin panicked: boom", false},
	}
	// Memory bombs in every instance the plugin may run at once.
	for range hostileConcurrency - 1 {
		cases = append(cases, cases[2])
	}
	var wg sync.WaitGroup
	ends := make([]*workflow.Workflow, len(cases))
	for i, tc := range cases {
		wg.Go(func() {
			input := map[string]any{"mode": tc.mode, "op": tc.mode}
			ends[i] = runFlow(t, c, tc.flow, input)
		})
	}
	wg.Wait()
	for i, tc := range cases {
		w := ends[i]
		require.Equal(t, workflow.StatusFailed, w.Status, tc.mode)
		task := w.Tasks[0]
		require.Equal(t, workflow.TaskFailed, task.Status, tc.mode)
		require.Regexp(t, tc.want, task.ReasonForIncompletion, tc.mode)
		if tc.stopped {
			over := time.Duration(task.EndTime-task.StartTime)*time.Millisecond - hostileTimeout
			t.Logf("%s: stopped %v after its deadline (start to end of the task, server clock)", tc.mode, over)
			// The bound of the issue, deadline + 50 ms, is asserted on the
			// call by the wasm package's tests; here the whole path through
			// the queue, the lease and the commit is only reported.
		}
	}
	// An output over its cap and a fetch of a host the manifest does not
	// allow, once the bombs are over: among them their calls may wait past
	// the 200 ms deadline for the one CPU slot of a loaded 2-core machine,
	// and the point here is the refusal.
	// Writing 4 MiB beside the benign load can itself take past 200 ms on
	// a loaded machine; the cap's own message is checked exactly by the
	// wasm package's tests.
	w := runFlow(t, c, "hostile", map[string]any{"mode": "big"})
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Regexp(t, `^plugin (output is 4194304 bytes; its limit is 1048576 \(limits.maxOutputBytes\)|exceeded its deadline of 200ms)$`, w.Tasks[0].ReasonForIncompletion)
	w = runFlow(t, c, "hostile", map[string]any{"mode": "fetch"})
	require.Equal(t, workflow.StatusFailed, w.Status)
	require.Equal(t, "fetch refused", w.Tasks[0].ReasonForIncompletion)
	logs, err := c.TaskLogs(ctx, w.Tasks[0].TaskID)
	require.NoError(t, err)
	require.Contains(t, fmt.Sprint(logs), "forbidden.example is not in the plugin's allowedHosts")

	// A panicking Go plugin's next task runs on a fresh instance: its
	// state is not the corrupted one.
	w = runFlow(t, c, "sdk", map[string]any{"op": "state"})
	require.Equal(t, workflow.StatusCompleted, w.Status, w.ReasonForIncompletion)
	require.Equal(t, false, w.Tasks[0].OutputData["corrupted"])

	benign.stop(t)
	peak := rss.stop()
	limit := int64(hostileMiB*hostileConcurrency+sdkMiB*sdkConcurrency+64) << 20
	t.Logf("server RSS grew by %d MiB at most (limit %d MiB); %d benign workflows completed", peak>>20, limit>>20, benign.done)
	require.LessOrEqual(t, peak, limit)
}

// runFlow runs a workflow to its end.
func runFlow(t *testing.T, c *client.Client, name string, input map[string]any) *workflow.Workflow {
	t.Helper()
	w, reached, err := c.ExecuteWorkflow(t.Context(), &workflow.StartRequest{Name: name, Input: input}, nil, 30*time.Second)
	require.NoError(t, err)
	require.True(t, reached, "workflow %s did not end", name)
	return w
}

// benignLoad runs benign workflows one after another until stopped.
type benignLoad struct {
	cancel context.CancelFunc
	done   int
	err    error
	wg     sync.WaitGroup
}

func runBenign(t *testing.T, c *client.Client) *benignLoad {
	ctx, cancel := context.WithCancel(t.Context())
	b := &benignLoad{cancel: cancel}
	b.wg.Go(func() {
		for ctx.Err() == nil {
			w, _, err := c.ExecuteWorkflow(ctx, &workflow.StartRequest{Name: "hostile", Input: map[string]any{"mode": "ok"}}, nil, 30*time.Second)
			switch {
			case ctx.Err() != nil:
			case err != nil:
				b.err = err
				return
			case w.Status != workflow.StatusCompleted:
				b.err = fmt.Errorf("benign workflow %s ended %s: %s", w.WorkflowID, w.Status, w.ReasonForIncompletion)
				return
			default:
				b.done++
			}
		}
	})
	return b
}

func (b *benignLoad) stop(t *testing.T) {
	b.cancel()
	b.wg.Wait()
	require.NoError(t, b.err)
	require.Positive(t, b.done)
}

// rssWatch samples the process's resident memory.
type rssWatch struct {
	base int64
	peak int64
	stop func() int64
}

// watchRSS samples this process's RSS every few milliseconds; stop returns
// the largest growth over the first sample.
func watchRSS(t *testing.T) *rssWatch {
	base, err := rss()
	if err != nil {
		t.Skipf("no resident memory figure here: %v", err)
	}
	w := &rssWatch{base: base}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if n, err := rss(); err == nil {
					w.peak = max(w.peak, n-w.base)
				}
			}
		}
	})
	w.stop = func() int64 { close(done); wg.Wait(); return w.peak }
	return w
}

// rss reads VmRSS from /proc/self/status, in bytes.
func rss() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS line in /proc/self/status")
}
