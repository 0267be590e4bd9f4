package client_test

import (
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/batontest"
	"github.com/batonhq/baton/sdk/client"
	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/wasm/wasmtest"
)

// TestPlugins manages plugins over Connect and over gRPC.
func TestPlugins(t *testing.T) {
	t.Parallel()
	var h2c http.Protocols
	h2c.SetUnencryptedHTTP2(true)
	for _, tc := range []struct {
		name      string
		protocols *http.Protocols
		opts      []client.Option
	}{
		{name: "Connect"},
		{name: "gRPC", protocols: &h2c, opts: []client.Option{client.WithGRPC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := batontest.New(t)
			c := client.New(srv.URL(), append(tc.opts, client.WithHTTPClient(&http.Client{Transport: transport(t, tc.protocols)}))...)
			ctx := t.Context()
			manifest := []byte(`{"name":"charger","workers":["` + taskType + `"]}`)

			p, created, err := c.PushPlugin(ctx, wasmtest.Waiting("1"), manifest)
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, "charger", p.Name)
			require.Equal(t, 1, p.Version)
			require.True(t, p.Enabled)
			require.True(t, p.Active)
			require.Equal(t, []string{taskType}, p.Workers)
			require.JSONEq(t, string(manifest), string(p.Manifest))

			_, created, err = c.PushPlugin(ctx, wasmtest.Waiting("1"), manifest)
			require.NoError(t, err)
			require.False(t, created, "the same module and manifest again")
			p2, created, err := c.PushPlugin(ctx, wasmtest.Waiting("2"), manifest)
			require.NoError(t, err)
			require.True(t, created)
			require.Equal(t, 2, p2.Version)

			list, err := c.Plugins(ctx)
			require.NoError(t, err)
			require.Len(t, list, 1)
			require.Equal(t, p2.Digest, list[0].Digest)
			versions, err := c.PluginVersions(ctx, "charger")
			require.NoError(t, err)
			require.Len(t, versions, 2)
			got, err := c.Plugin(ctx, "charger", 1)
			require.NoError(t, err)
			require.Equal(t, p.Digest, got.Digest)
			require.False(t, got.Active)

			off, err := c.DisablePlugin(ctx, "charger")
			require.NoError(t, err)
			require.False(t, off.Enabled)
			on, err := c.EnablePlugin(ctx, "charger", 1)
			require.NoError(t, err)
			require.True(t, on.Enabled)
			require.Equal(t, 1, on.Version)

			// A running workflow with a task the plugin serves keeps it.
			register(t, c)
			id, err := c.StartWorkflow(ctx, &workflow.StartRequest{Name: flowName, Input: map[string]any{"amount": 1}})
			require.NoError(t, err)
			err = c.DeletePlugin(ctx, "charger", 0)
			require.Equal(t, connect.CodeFailedPrecondition, connect.CodeOf(err), "%v", err)
			require.ErrorContains(t, err, id)
			require.NoError(t, c.DeletePlugin(ctx, "charger", 2), "a version that is not active may go")
			require.NoError(t, c.TerminateWorkflow(ctx, id, "done"))
			require.NoError(t, c.DeletePlugin(ctx, "charger", 0))
			_, err = c.Plugin(ctx, "charger", 0)
			require.True(t, client.IsNotFound(err), "%v", err)

			_, _, err = c.PushPlugin(ctx, make([]byte, client.MaxPluginBytes+1), manifest)
			require.ErrorContains(t, err, "module is 33554433 bytes; at most 33554432")
			_, _, err = c.PushPlugin(ctx, wasmtest.Waiting("x"), []byte(`{"name":"x"}`))
			require.Equal(t, connect.CodeInvalidArgument, connect.CodeOf(err), "%v", err)
			require.ErrorContains(t, err, "the plugin provides nothing")
		})
	}
}
