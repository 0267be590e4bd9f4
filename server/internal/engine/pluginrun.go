package engine

import (
	"context"

	"github.com/batonhq/baton/wasm"
)

// preparePlugin checks that a module loads under its manifest (the ABI,
// imports, limits) before it is stored. Filled in when the wasm host lands.
func (e *Engine) preparePlugin(ctx context.Context, bin []byte, m *wasm.Manifest) error {
	return nil
}

// syncPlugins makes the plugins that run match the stored states: it loads
// active enabled versions and unloads the others. PluginStore changes call
// it after they commit.
func (e *Engine) syncPlugins(ctx context.Context) error {
	return nil
}
