package api_test

import (
	"errors"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/batonhq/baton/sdk/client"
	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/server/internal/api"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/wasm/wasmtest"
)

const hashManifest = `{"name":"hash","taskTypes":["HASH"],"workers":["hash_fields"]}`

func connectCode(t *testing.T, err error) connect.Code {
	t.Helper()
	var ce *connect.Error
	require.True(t, errors.As(err, &ce), "not a Connect error: %v", err)
	return ce.Code()
}

// TestConnectPlugins manages plugins with the generated Connect client, in
// the Connect protocol over HTTP/1.1 (JSON) and HTTP/2 (protobuf).
func TestConnectPlugins(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		h2c  bool
		opts []connect.ClientOption
	}{
		{name: "JSON over HTTP/1.1", opts: []connect.ClientOption{connect.WithProtoJSON()}},
		{name: "protobuf over HTTP/2", h2c: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := setup(t, api.Options{})
			hc := env.h1
			if tc.h2c {
				hc = env.h2c
			}
			c := batonv1connect.NewPluginServiceClient(hc, env.url, tc.opts...)
			ctx := testContext(t)

			up, err := c.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{Module: wasmtest.Waiting("1"), ManifestJson: hashManifest}))
			require.NoError(t, err)
			require.True(t, up.Msg.GetCreated())
			p := up.Msg.GetPlugin()
			require.Equal(t, "hash", p.GetName())
			require.EqualValues(t, 1, p.GetVersion())
			require.True(t, strings.HasPrefix(p.GetDigest(), "sha256:"))
			require.EqualValues(t, len(wasmtest.Waiting("1")), p.GetSize())
			require.Equal(t, hashManifest, p.GetManifestJson())
			require.True(t, p.GetEnabled())
			require.True(t, p.GetActive())
			require.NotZero(t, p.GetCreatedTime())
			require.Equal(t, []string{"HASH"}, p.GetTaskTypes())
			require.Equal(t, []string{"hash_fields"}, p.GetWorkers())

			again, err := c.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{Module: wasmtest.Waiting("1"), ManifestJson: hashManifest}))
			require.NoError(t, err)
			require.False(t, again.Msg.GetCreated())
			require.EqualValues(t, 1, again.Msg.GetPlugin().GetVersion())

			up2, err := c.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{Module: wasmtest.Waiting("2"), ManifestJson: hashManifest}))
			require.NoError(t, err)
			require.EqualValues(t, 2, up2.Msg.GetPlugin().GetVersion())

			list, err := c.ListPlugins(ctx, connect.NewRequest(&batonv1.ListPluginsRequest{}))
			require.NoError(t, err)
			require.Len(t, list.Msg.GetPlugins(), 1)
			require.EqualValues(t, 2, list.Msg.GetPlugins()[0].GetVersion())

			versions, err := c.ListPluginVersions(ctx, connect.NewRequest(&batonv1.ListPluginVersionsRequest{Name: "hash"}))
			require.NoError(t, err)
			require.Len(t, versions.Msg.GetVersions(), 2)
			require.False(t, versions.Msg.GetVersions()[0].GetActive())

			got, err := c.GetPlugin(ctx, connect.NewRequest(&batonv1.GetPluginRequest{Name: "hash", Version: 1}))
			require.NoError(t, err)
			require.Equal(t, p.GetDigest(), got.Msg.GetPlugin().GetDigest())

			dis, err := c.DisablePlugin(ctx, connect.NewRequest(&batonv1.DisablePluginRequest{Name: "hash"}))
			require.NoError(t, err)
			require.False(t, dis.Msg.GetPlugin().GetEnabled())
			en, err := c.EnablePlugin(ctx, connect.NewRequest(&batonv1.EnablePluginRequest{Name: "hash", Version: 1}))
			require.NoError(t, err)
			require.True(t, en.Msg.GetPlugin().GetEnabled())
			require.EqualValues(t, 1, en.Msg.GetPlugin().GetVersion())

			_, err = c.DeletePlugin(ctx, connect.NewRequest(&batonv1.DeletePluginRequest{Name: "hash", Version: 2}))
			require.NoError(t, err)
			_, err = c.DeletePlugin(ctx, connect.NewRequest(&batonv1.DeletePluginRequest{Name: "hash"}))
			require.NoError(t, err)
			_, err = c.GetPlugin(ctx, connect.NewRequest(&batonv1.GetPluginRequest{Name: "hash"}))
			require.Equal(t, connect.CodeNotFound, connectCode(t, err), "%v", err)
			require.ErrorContains(t, err, "plugin hash not found")
		})
	}
}

// TestConnectPluginUploadRefused: a module over the cap, a request over
// the service's read limit and a bad manifest each get an error that says
// what was wrong; the other services keep the general limit.
func TestConnectPluginUploadRefused(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	c := batonv1connect.NewPluginServiceClient(env.h2c, env.url)
	ctx := testContext(t)
	require.Equal(t, engine.MaxPluginBytes, client.MaxPluginBytes, "the Go client checks the server's cap")

	_, err := c.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{
		Module: make([]byte, engine.MaxPluginBytes+1), ManifestJson: hashManifest}))
	require.Equal(t, connect.CodeInvalidArgument, connectCode(t, err), "%v", err)
	require.ErrorContains(t, err, "module is 33554433 bytes; at most 33554432")

	_, err = c.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{
		Module: make([]byte, engine.MaxPluginBytes+2<<20), ManifestJson: hashManifest}))
	require.Equal(t, connect.CodeResourceExhausted, connectCode(t, err), "%v", err)

	_, err = c.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{
		Module: wasmtest.Waiting("x"), ManifestJson: `{"name":"Hash","taskTypes":["HASH"]}`}))
	require.Equal(t, connect.CodeInvalidArgument, connectCode(t, err), "%v", err)
	require.ErrorContains(t, err, `manifest is not valid: name "Hash": use 1 to 64 lower-case letters`)

	list, err := c.ListPlugins(ctx, connect.NewRequest(&batonv1.ListPluginsRequest{}))
	require.NoError(t, err)
	require.Empty(t, list.Msg.GetPlugins())

	// The plugin service's limit is its own.
	meta := batonv1connect.NewMetadataServiceClient(env.h2c, env.url)
	_, err = meta.RegisterTaskDefs(ctx, connect.NewRequest(&batonv1.RegisterTaskDefsRequest{
		TaskDefJson: []string{strings.Repeat(" ", api.DefaultMaxBodyBytes) + taskDefJSON}}))
	require.Equal(t, connect.CodeResourceExhausted, connectCode(t, err), "%v", err)
}

// TestGRPCPlugins uploads a module larger than the general message limit
// with a grpc-go client, then is refused its deletion while a running
// workflow has a task the plugin serves.
func TestGRPCPlugins(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	conn := dialGRPC(t, env)
	ctx := testContext(t)

	module := wasmtest.Waiting(strings.Repeat("x", api.DefaultMaxBodyBytes))
	up, err := invoke[batonv1.UploadPluginResponse](ctx, conn, "/baton.v1.PluginService/UploadPlugin",
		&batonv1.UploadPluginRequest{Module: module, ManifestJson: `{"name":"doubler","workers":["` + taskType + `"]}`})
	require.NoError(t, err)
	require.True(t, up.GetCreated())
	require.EqualValues(t, len(module), up.GetPlugin().GetSize())

	_, err = invoke[batonv1.RegisterTaskDefsResponse](ctx, conn, "/baton.v1.MetadataService/RegisterTaskDefs",
		&batonv1.RegisterTaskDefsRequest{TaskDefJson: []string{taskDefJSON}})
	require.NoError(t, err)
	_, err = invoke[batonv1.RegisterWorkflowDefResponse](ctx, conn, "/baton.v1.MetadataService/RegisterWorkflowDef",
		&batonv1.RegisterWorkflowDefRequest{WorkflowDefJson: flowDefJSON})
	require.NoError(t, err)
	start, err := invoke[batonv1.StartWorkflowResponse](ctx, conn, "/baton.v1.WorkflowService/StartWorkflow",
		&batonv1.StartWorkflowRequest{Name: flowName, Version: 1, InputJson: flowInputJSON})
	require.NoError(t, err)

	_, err = invoke[batonv1.DeletePluginResponse](ctx, conn, "/baton.v1.PluginService/DeletePlugin",
		&batonv1.DeletePluginRequest{Name: "doubler"})
	require.Equal(t, codes.FailedPrecondition, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), "plugin doubler is used by 1 running workflow(s): "+start.GetWorkflowId())

	_, err = invoke[batonv1.TerminateWorkflowResponse](ctx, conn, "/baton.v1.WorkflowService/TerminateWorkflow",
		&batonv1.TerminateWorkflowRequest{WorkflowId: start.GetWorkflowId(), Reason: "test"})
	require.NoError(t, err)
	_, err = invoke[batonv1.DeletePluginResponse](ctx, conn, "/baton.v1.PluginService/DeletePlugin",
		&batonv1.DeletePluginRequest{Name: "doubler"})
	require.NoError(t, err)
	_, err = invoke[batonv1.GetPluginResponse](ctx, conn, "/baton.v1.PluginService/GetPlugin", &batonv1.GetPluginRequest{Name: "doubler"})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
}
