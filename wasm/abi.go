package wasm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero/api"
)

// Names of ABI v1 (doc.go describes them for plugin authors).
const (
	exportMemory = "memory"
	exportMarker = "baton_abi_v1"
	exportAlloc  = "baton_alloc"
	exportHandle = "baton_handle"
	exportInit   = "_initialize"
	exportStart  = "_start"

	importModule = "baton"
	wasiModule   = "wasi_snapshot_preview1"
)

// errorFlag is bit 31 of the length baton_handle returns: the output is an
// error message, not a result.
const errorFlag = 1 << 31

// Return values of the host functions that stage bytes.
const (
	retAbsent = -1 // no such key
	retFailed = -2 // failed; the reason is staged
)

// signature is a function type at the boundary: i32 and i64 only.
type signature struct{ params, results []api.ValueType }

func (s signature) String() string {
	names := func(ts []api.ValueType) string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = api.ValueTypeName(t)
		}
		return "(" + strings.Join(out, ", ") + ")"
	}
	return names(s.params) + " -> " + names(s.results)
}

func (s signature) matches(def api.FunctionDefinition) bool {
	return slices.Equal(s.params, def.ParamTypes()) && slices.Equal(s.results, def.ResultTypes())
}

func sig(params int, results ...api.ValueType) signature {
	s := signature{params: make([]api.ValueType, params), results: results}
	for i := range s.params {
		s.params[i] = api.ValueTypeI32
	}
	return s
}

var vI32 = api.ValueTypeI32

// guestExports are the functions every plugin exports, with their types.
var guestExports = []struct {
	name string
	sig  signature
}{
	{exportMarker, sig(0)},
	{exportAlloc, sig(1, vI32)},
	{exportHandle, sig(2, api.ValueTypeI64)},
}

// checkABI checks the exports and imports of a compiled module against
// ABI v1, in the order the errors are most useful to a plugin author.
func checkABI(cm interface {
	ExportedFunctions() map[string]api.FunctionDefinition
	ImportedFunctions() []api.FunctionDefinition
	ImportedMemories() []api.MemoryDefinition
	ExportedMemories() map[string]api.MemoryDefinition
}) error {
	exports := cm.ExportedFunctions()
	if _, ok := exports[exportMarker]; !ok {
		return fmt.Errorf("not a Baton plugin: it does not export %s", exportMarker)
	}
	for _, e := range guestExports {
		def, ok := exports[e.name]
		if !ok {
			return fmt.Errorf("the plugin does not export %s %s, which ABI v1 requires", e.name, e.sig)
		}
		if !e.sig.matches(def) {
			got := signature{def.ParamTypes(), def.ResultTypes()}
			return fmt.Errorf("export %s has type %s; ABI v1 requires %s", e.name, got, e.sig)
		}
	}
	if def, ok := exports[exportInit]; ok && !sig(0).matches(def) {
		return fmt.Errorf("export %s must take and return nothing", exportInit)
	}
	if _, ok := exports[exportStart]; ok {
		return fmt.Errorf("the plugin exports %s: it is a command, and plugins are reactors; "+
			"build Go with -buildmode=c-shared, C with -mexec-model=reactor", exportStart)
	}
	for _, def := range cm.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch mod {
		case wasiModule:
		case importModule:
			hf, ok := hostFuncByName[name]
			if !ok {
				return fmt.Errorf("import %s.%s is not provided by ABI v1", mod, name)
			}
			if !hf.sig.matches(def) {
				got := signature{def.ParamTypes(), def.ResultTypes()}
				return fmt.Errorf("import %s.%s has type %s; ABI v1 provides %s", mod, name, got, hf.sig)
			}
		default:
			return fmt.Errorf("import %s.%s: plugins may import only %s and %s", mod, name, importModule, wasiModule)
		}
	}
	for _, m := range cm.ImportedMemories() {
		mod, name, _ := m.Import()
		return fmt.Errorf("the plugin imports its memory (%s.%s); it must define and export it as %q", mod, name, exportMemory)
	}
	if _, ok := cm.ExportedMemories()[exportMemory]; !ok {
		return fmt.Errorf("the plugin does not export its memory as %q", exportMemory)
	}
	return nil
}
