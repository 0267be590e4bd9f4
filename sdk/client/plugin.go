package client

import (
	"context"
	"encoding/json"
	"fmt"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
)

// MaxPluginBytes is the largest module a server takes.
const MaxPluginBytes = 32 << 20

// Plugin is one version of a WebAssembly plugin on the server.
type Plugin struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Digest is "sha256:" and the hex SHA-256 of the module.
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// Manifest is the manifest as uploaded (plugin.json).
	Manifest json.RawMessage `json:"manifest"`
	// Enabled says whether the plugin runs; Active whether this is the
	// version that runs.
	Enabled bool `json:"enabled"`
	Active  bool `json:"active"`
	// CreatedTime is when the version was uploaded, Unix milliseconds.
	CreatedTime int64 `json:"createdTime"`
	// TaskTypes are the custom system task types it implements, Workers
	// the SIMPLE task names it serves.
	TaskTypes []string `json:"taskTypes,omitempty"`
	Workers   []string `json:"workers,omitempty"`
	// OverCeiling says why the server does not run the version: its
	// manifest claims more than the server's ceilings allow (baton serve
	// --plugin-max-*). Empty when it may run.
	OverCeiling string `json:"overCeiling,omitempty"`
	// KVBytes is the size of the plugin's key-value data, keys and values
	// together (what the manifest's limits.kvBytes bounds), shared by its
	// versions.
	KVBytes int64 `json:"kvBytes"`
}

func pluginFromProto(p *batonv1.Plugin) *Plugin {
	return &Plugin{
		Name: p.GetName(), Version: int(p.GetVersion()), Digest: p.GetDigest(), Size: p.GetSize(),
		Manifest: json.RawMessage(p.GetManifestJson()), Enabled: p.GetEnabled(), Active: p.GetActive(),
		CreatedTime: p.GetCreatedTime(), TaskTypes: p.GetTaskTypes(), Workers: p.GetWorkers(),
		OverCeiling: p.GetOverCeiling(),
		KVBytes:     p.GetKvBytes(),
	}
}

func pluginsFromProto(list []*batonv1.Plugin) []*Plugin {
	out := make([]*Plugin, len(list))
	for i, p := range list {
		out[i] = pluginFromProto(p)
	}
	return out
}

// PushPlugin uploads a module with its manifest as the next version of the
// plugin the manifest names; the server makes it the active version and
// enables the plugin at once. created is false when the latest version was
// this module and manifest already (nothing changed).
func (c *Client) PushPlugin(ctx context.Context, module, manifest []byte) (p *Plugin, created bool, err error) {
	if len(module) > MaxPluginBytes {
		return nil, false, fmt.Errorf("module is %d bytes; at most %d", len(module), MaxPluginBytes)
	}
	res, err := c.plugins.UploadPlugin(ctx, connect.NewRequest(&batonv1.UploadPluginRequest{
		Module: module, ManifestJson: string(manifest),
	}))
	if err != nil {
		return nil, false, err
	}
	return pluginFromProto(res.Msg.GetPlugin()), res.Msg.GetCreated(), nil
}

// Plugins returns the active version of every plugin, sorted by name.
func (c *Client) Plugins(ctx context.Context) ([]*Plugin, error) {
	res, err := c.plugins.ListPlugins(ctx, connect.NewRequest(&batonv1.ListPluginsRequest{}))
	if err != nil {
		return nil, err
	}
	return pluginsFromProto(res.Msg.GetPlugins()), nil
}

// Plugin returns one version of a plugin, the active one for 0.
func (c *Client) Plugin(ctx context.Context, name string, version int) (*Plugin, error) {
	res, err := c.plugins.GetPlugin(ctx, connect.NewRequest(&batonv1.GetPluginRequest{Name: name, Version: int32(version)}))
	if err != nil {
		return nil, err
	}
	return pluginFromProto(res.Msg.GetPlugin()), nil
}

// PluginVersions returns every version of a plugin, oldest first.
func (c *Client) PluginVersions(ctx context.Context, name string) ([]*Plugin, error) {
	res, err := c.plugins.ListPluginVersions(ctx, connect.NewRequest(&batonv1.ListPluginVersionsRequest{Name: name}))
	if err != nil {
		return nil, err
	}
	return pluginsFromProto(res.Msg.GetVersions()), nil
}

// EnablePlugin lets a plugin run; a version other than 0 becomes the
// active one. It returns the active version.
func (c *Client) EnablePlugin(ctx context.Context, name string, version int) (*Plugin, error) {
	res, err := c.plugins.EnablePlugin(ctx, connect.NewRequest(&batonv1.EnablePluginRequest{Name: name, Version: int32(version)}))
	if err != nil {
		return nil, err
	}
	return pluginFromProto(res.Msg.GetPlugin()), nil
}

// DisablePlugin stops a plugin from running and returns its active
// version; its versions are kept.
func (c *Client) DisablePlugin(ctx context.Context, name string) (*Plugin, error) {
	res, err := c.plugins.DisablePlugin(ctx, connect.NewRequest(&batonv1.DisablePluginRequest{Name: name}))
	if err != nil {
		return nil, err
	}
	return pluginFromProto(res.Msg.GetPlugin()), nil
}

// DeletePlugin deletes one version of a plugin, or the whole plugin with
// its key-value data for version 0. The server refuses
// (connect.CodeFailedPrecondition) while running workflows have tasks the
// plugin serves, and names them.
func (c *Client) DeletePlugin(ctx context.Context, name string, version int) error {
	_, err := c.plugins.DeletePlugin(ctx, connect.NewRequest(&batonv1.DeletePluginRequest{Name: name, Version: int32(version)}))
	return err
}
