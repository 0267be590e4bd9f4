package api

import (
	"context"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/server/internal/engine"
)

// maxPluginMessageBytes is the read limit of the plugin service: an upload
// of the largest module the engine takes, with room for its manifest and
// framing, so that a module over engine.MaxPluginBytes but under this is
// refused by the engine with a message naming both sizes. Larger requests
// are refused by Connect (RESOURCE_EXHAUSTED) before they are read.
const maxPluginMessageBytes = engine.MaxPluginBytes + 1<<20

// pluginService implements batonv1connect.PluginServiceHandler.
type pluginService struct {
	e    *engine.Engine
	errs *errorMapper
}

var _ batonv1connect.PluginServiceHandler = (*pluginService)(nil)

func (s *pluginService) UploadPlugin(ctx context.Context, req *connect.Request[batonv1.UploadPluginRequest]) (*connect.Response[batonv1.UploadPluginResponse], error) {
	info, created, err := s.e.PutPlugin(ctx, req.Msg.GetModule(), []byte(req.Msg.GetManifestJson()))
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.UploadPluginResponse{Plugin: pluginMessage(info), Created: created}), nil
}

func (s *pluginService) ListPlugins(ctx context.Context, req *connect.Request[batonv1.ListPluginsRequest]) (*connect.Response[batonv1.ListPluginsResponse], error) {
	list, err := s.e.Plugins(ctx)
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ListPluginsResponse{Plugins: pluginMessages(list)}), nil
}

func (s *pluginService) GetPlugin(ctx context.Context, req *connect.Request[batonv1.GetPluginRequest]) (*connect.Response[batonv1.GetPluginResponse], error) {
	info, err := s.e.Plugin(ctx, req.Msg.GetName(), int(req.Msg.GetVersion()))
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.GetPluginResponse{Plugin: pluginMessage(info)}), nil
}

func (s *pluginService) ListPluginVersions(ctx context.Context, req *connect.Request[batonv1.ListPluginVersionsRequest]) (*connect.Response[batonv1.ListPluginVersionsResponse], error) {
	list, err := s.e.PluginVersions(ctx, req.Msg.GetName())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.ListPluginVersionsResponse{Versions: pluginMessages(list)}), nil
}

func (s *pluginService) EnablePlugin(ctx context.Context, req *connect.Request[batonv1.EnablePluginRequest]) (*connect.Response[batonv1.EnablePluginResponse], error) {
	info, err := s.e.EnablePlugin(ctx, req.Msg.GetName(), int(req.Msg.GetVersion()))
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.EnablePluginResponse{Plugin: pluginMessage(info)}), nil
}

func (s *pluginService) DisablePlugin(ctx context.Context, req *connect.Request[batonv1.DisablePluginRequest]) (*connect.Response[batonv1.DisablePluginResponse], error) {
	info, err := s.e.DisablePlugin(ctx, req.Msg.GetName())
	if err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.DisablePluginResponse{Plugin: pluginMessage(info)}), nil
}

func (s *pluginService) DeletePlugin(ctx context.Context, req *connect.Request[batonv1.DeletePluginRequest]) (*connect.Response[batonv1.DeletePluginResponse], error) {
	if err := s.e.DeletePlugin(ctx, req.Msg.GetName(), int(req.Msg.GetVersion())); err != nil {
		return nil, s.fail(ctx, req, err)
	}
	return connect.NewResponse(&batonv1.DeletePluginResponse{}), nil
}

func (s *pluginService) fail(ctx context.Context, req connect.AnyRequest, err error) error {
	return s.errs.connectError(ctx, req.Spec().Procedure, err)
}

func pluginMessage(p *engine.PluginInfo) *batonv1.Plugin {
	return &batonv1.Plugin{
		Name: p.Name, Version: int32(p.Version), Digest: p.Digest, Size: p.Size,
		ManifestJson: string(p.ManifestJSON), Enabled: p.Enabled, Active: p.Active,
		CreatedTime: p.CreatedTime, TaskTypes: p.TaskTypes, Workers: p.Workers, OverCeiling: p.OverCeiling, KvBytes: p.KVBytes,
	}
}

func pluginMessages(list []*engine.PluginInfo) []*batonv1.Plugin {
	out := make([]*batonv1.Plugin, len(list))
	for i, p := range list {
		out[i] = pluginMessage(p)
	}
	return out
}
