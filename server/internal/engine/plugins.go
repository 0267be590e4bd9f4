package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
	"github.com/batonhq/baton/wasm"
)

// The management of uploaded Wasm plugins: versions are stored by the
// PluginStore, and every change is followed by syncPlugins, which makes
// what runs match what is stored. Changes are serialized by pluginMu, so
// that the checks between plugins (no two enabled plugins provide one task
// type) see every earlier change.

// MaxPluginBytes bounds an uploaded module.
const MaxPluginBytes = 32 << 20

// maxUsersListed bounds the workflow ids a refused deletion lists.
const maxUsersListed = 20

// PluginInfo is one version of a plugin, with the plugin's state.
type PluginInfo struct {
	Name    string
	Version int
	// Digest is "sha256:" and the hex SHA-256 of the module.
	Digest string
	Size   int64
	// Manifest is the parsed manifest, with its default limits filled in;
	// ManifestJSON is the manifest as uploaded.
	Manifest     *wasm.Manifest
	ManifestJSON []byte
	// Enabled says whether the plugin runs at all (its active version).
	Enabled bool
	// Active says whether this is the plugin's active version.
	Active bool
	// CreatedTime is when the version was uploaded, Unix milliseconds.
	CreatedTime int64
	// TaskTypes and Workers are what the manifest says the plugin provides.
	TaskTypes []string
	Workers   []string
	// OverCeiling says why this server does not run the version, enabled
	// and active or not: its manifest claims more than the server's
	// ceilings allow (Config.PluginCeilings, lowered since the upload).
	// Empty when it may run.
	OverCeiling string
	// KVBytes is the size of the plugin's key-value data, keys and values
	// together (what limits.kvBytes bounds), shared by its versions.
	KVBytes int64
}

// PluginCPUSlots returns how many plugin calls run guest code at once.
func (e *Engine) PluginCPUSlots() int { return e.plugins.host.Slots() }

// PutPlugin uploads a module with its manifest as the next version of the
// plugin the manifest names, makes it the active version and enables the
// plugin. Uploading what the latest version already is (the same module
// and the same manifest bytes) changes nothing and returns that version
// with created false.
func (e *Engine) PutPlugin(ctx context.Context, module []byte, manifest []byte) (*PluginInfo, bool, error) {
	switch {
	case len(module) > MaxPluginBytes:
		return nil, false, errorf(InvalidArgument, "module is %d bytes; at most %d", len(module), MaxPluginBytes)
	case len(module) == 0:
		return nil, false, errorf(InvalidArgument, "module is empty; upload the .wasm file a plugin's build produced")
	}
	m, err := e.cfg.PluginCeilings.ParseManifest(manifest)
	if err != nil {
		return nil, false, errorf(InvalidArgument, "%v", err)
	}
	digest := wasm.Digest(module)

	e.pluginMu.Lock()
	defer e.pluginMu.Unlock()
	if err := e.checkProvides(ctx, m.Name, m); err != nil {
		return nil, false, err
	}
	versions, err := e.store.PluginVersions(ctx, m.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, classify(err, "plugin "+m.Name)
	}
	latest := 0
	if len(versions) > 0 {
		last := versions[len(versions)-1]
		latest = last.Version
		if last.Digest == digest && string(last.Manifest) == string(manifest) {
			info, err := e.pluginInfo(ctx, m.Name, last.Version)
			return info, false, err
		}
	}
	checked, err := e.preparePlugin(ctx, module, m)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, err
	}
	defer checked.Close(ctx)
	now := e.now().UnixMilli()
	v := &store.PluginVersion{
		Name: m.Name, Version: latest + 1, Digest: digest, Size: int64(len(module)),
		Manifest: manifest, CreatedTime: now,
	}
	st := &store.PluginState{Name: m.Name, Active: v.Version, Enabled: true, UpdatedTime: now}
	if err := e.store.PluginPut(ctx, v, module, st); err != nil {
		return nil, false, classify(err, fmt.Sprintf("plugin %s version %d", m.Name, v.Version))
	}
	if err := e.afterPluginChange(ctx, m.Name, fmt.Sprintf("plugin %s version %d is stored", m.Name, v.Version)); err != nil {
		return nil, false, err
	}
	return newPluginInfo(v, m, st), true, nil
}

// Plugins returns the active version of every plugin, sorted by name.
func (e *Engine) Plugins(ctx context.Context) ([]*PluginInfo, error) {
	states, err := e.store.PluginStates(ctx)
	if err != nil {
		return nil, classify(err, "plugins")
	}
	out := make([]*PluginInfo, 0, len(states))
	for _, st := range states {
		versions, err := e.store.PluginVersions(ctx, st.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the states were read
		}
		if err != nil {
			return nil, classify(err, "plugin "+st.Name)
		}
		if v := findVersion(versions, st.Active); v != nil {
			out = append(out, e.info(v, st, e.kvBytes(ctx, st.Name)))
		}
	}
	return out, nil
}

// Plugin returns one version of a plugin, the active one when version is 0.
func (e *Engine) Plugin(ctx context.Context, name string, version int) (*PluginInfo, error) {
	return e.pluginInfo(ctx, name, version)
}

// PluginVersions returns every version of a plugin, oldest first.
func (e *Engine) PluginVersions(ctx context.Context, name string) ([]*PluginInfo, error) {
	versions, st, err := e.loadPlugin(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]*PluginInfo, len(versions))
	kv := e.kvBytes(ctx, name)
	for i, v := range versions {
		out[i] = e.info(v, st, kv)
	}
	return out, nil
}

// EnablePlugin enables a plugin; a version other than 0 becomes the active
// one. It is refused when another enabled plugin provides a task type or
// worker task name of the version that would run.
func (e *Engine) EnablePlugin(ctx context.Context, name string, version int) (*PluginInfo, error) {
	if version < 0 {
		return nil, errorf(InvalidArgument, "version is %d; give a version number, or 0 for the active one", version)
	}
	e.pluginMu.Lock()
	defer e.pluginMu.Unlock()
	v, st, err := e.pluginVersion(ctx, name, version)
	if err != nil {
		return nil, err
	}
	version = v.Version
	m, err := e.cfg.PluginCeilings.ParseManifest(v.Manifest)
	if errors.Is(err, wasm.ErrOverCeiling) {
		return nil, errorf(FailedPrecondition, "plugin %s version %d cannot run on this server: %v; upload a version within the server's ceilings", name, version, err)
	}
	if err != nil {
		return nil, fmt.Errorf("plugin %s version %d: stored manifest: %w", name, version, err)
	}
	if err := e.checkProvides(ctx, name, m); err != nil {
		return nil, err
	}
	if st.Enabled && st.Active == version {
		return e.info(v, st, e.kvBytes(ctx, name)), nil
	}
	next := &store.PluginState{Name: name, Active: version, Enabled: true, UpdatedTime: e.now().UnixMilli()}
	if err := e.store.PluginSetState(ctx, next); err != nil {
		return nil, classify(err, fmt.Sprintf("plugin %s version %d", name, version))
	}
	if err := e.afterPluginChange(ctx, name, fmt.Sprintf("plugin %s version %d is enabled", name, version)); err != nil {
		return nil, err
	}
	return e.info(v, next, e.kvBytes(ctx, name)), nil
}

// DisablePlugin stops a plugin from running; its versions are kept.
func (e *Engine) DisablePlugin(ctx context.Context, name string) (*PluginInfo, error) {
	e.pluginMu.Lock()
	defer e.pluginMu.Unlock()
	versions, st, err := e.loadPlugin(ctx, name)
	if err != nil {
		return nil, err
	}
	v := findVersion(versions, st.Active)
	if v == nil {
		return nil, fmt.Errorf("plugin %s: the active version %d is not stored", name, st.Active)
	}
	if !st.Enabled {
		return e.info(v, st, e.kvBytes(ctx, name)), nil
	}
	next := &store.PluginState{Name: name, Active: st.Active, Enabled: false, UpdatedTime: e.now().UnixMilli()}
	if err := e.store.PluginSetState(ctx, next); err != nil {
		return nil, classify(err, "plugin "+name)
	}
	if err := e.afterPluginChange(ctx, name, fmt.Sprintf("plugin %s is disabled", name)); err != nil {
		return nil, err
	}
	return e.info(v, next, e.kvBytes(ctx, name)), nil
}

// DeletePlugin deletes one version of a plugin, or all of them with its
// key-value data when version is 0. Deleting the active version makes the
// newest one left active. It is refused while a task of a running
// workflow has a task type or task name that the deleted versions
// provide (the active one's, or any version's when all go): the error
// lists those workflows. A version that is not active runs nothing and may
// always go.
func (e *Engine) DeletePlugin(ctx context.Context, name string, version int) error {
	if version < 0 {
		return errorf(InvalidArgument, "version is %d; give a version number, or 0 for all versions", version)
	}
	e.pluginMu.Lock()
	defer e.pluginMu.Unlock()
	versions, st, err := e.loadPlugin(ctx, name)
	if err != nil {
		return err
	}
	var gone []*store.PluginVersion
	switch {
	case version == 0:
		gone = versions
	case findVersion(versions, version) == nil:
		return errorf(NotFound, "plugin %s has no version %d (it has %s)", name, version, versionList(versions))
	case version == st.Active:
		gone = []*store.PluginVersion{findVersion(versions, version)}
		if err := e.checkSuccessor(ctx, versions, st); err != nil {
			return err
		}
	}
	provided := map[string]bool{}
	for _, v := range gone {
		m, err := wasm.ParseManifest(v.Manifest)
		if err != nil {
			return fmt.Errorf("plugin %s version %d: stored manifest: %w", name, v.Version, err)
		}
		for _, p := range m.Provides() {
			provided[p] = true
		}
	}
	if len(provided) > 0 {
		users, err := e.taskUsers(ctx, provided)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			what := "plugin " + name
			if version != 0 {
				what = fmt.Sprintf("version %d of plugin %s (the active one)", version, name)
			}
			return errorf(FailedPrecondition, "%s is used by %d running workflow(s): %s; wait for them to end or terminate them, then delete it",
				what, len(users), listIDs(users))
		}
	}
	if err := e.store.PluginDelete(ctx, name, version); err != nil {
		return classify(err, fmt.Sprintf("plugin %s version %d", name, version))
	}
	return e.afterPluginChange(ctx, name, fmt.Sprintf("plugin %s version %d is deleted", name, version))
}

// checkSuccessor refuses to delete the active version of an enabled
// plugin when the version that would become active, the newest other one,
// provides a task type or task name that another enabled plugin provides.
func (e *Engine) checkSuccessor(ctx context.Context, versions []*store.PluginVersion, st *store.PluginState) error {
	if !st.Enabled {
		return nil
	}
	for i := len(versions) - 1; i >= 0; i-- {
		v := versions[i]
		if v.Version == st.Active {
			continue
		}
		m, err := wasm.ParseManifest(v.Manifest)
		if err != nil {
			return fmt.Errorf("plugin %s version %d: stored manifest: %w", v.Name, v.Version, err)
		}
		err = e.checkProvides(ctx, v.Name, m)
		var ee *Error
		if errors.As(err, &ee) && ee.Code == AlreadyExists {
			return errorf(FailedPrecondition, "deleting version %d of plugin %s would make version %d active, but %s; disable the plugin first",
				st.Active, v.Name, v.Version, ee.Msg)
		}
		return err
	}
	return nil
}

// taskUsers returns the ids of the executions with a task that is not
// terminal and whose type or name is in provided, in id order.
// (ActiveTasks holds the tasks of executions that have not ended.)
func (e *Engine) taskUsers(ctx context.Context, provided map[string]bool) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	err := e.store.ActiveTasks(ctx, func(t *workflow.Task) error {
		if (provided[t.TaskType] || provided[t.TaskDefName]) && !seen[t.WorkflowInstanceID] {
			seen[t.WorkflowInstanceID] = true
			ids = append(ids, t.WorkflowInstanceID)
		}
		return nil
	})
	if err != nil {
		return nil, classify(err, "active tasks")
	}
	slices.Sort(ids)
	return ids, nil
}

// listIDs lists up to maxUsersListed ids and says how many more there are.
func listIDs(ids []string) string {
	if len(ids) <= maxUsersListed {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:maxUsersListed], ", "), len(ids)-maxUsersListed)
}

// checkProvides refuses a manifest of plugin name that provides a task type
// or worker task name that another enabled plugin's active version
// provides.
func (e *Engine) checkProvides(ctx context.Context, name string, m *wasm.Manifest) error {
	others, err := e.Plugins(ctx)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.Name == name || !o.Enabled || o.Manifest == nil {
			continue
		}
		for _, t := range m.TaskTypes {
			if slices.Contains(o.TaskTypes, t) {
				return errorf(AlreadyExists, "task type %s is provided by plugin %s (version %d); disable or delete that plugin first, or rename the type", t, o.Name, o.Version)
			}
		}
		for _, w := range m.Workers {
			if slices.Contains(o.Workers, w) {
				return errorf(AlreadyExists, "worker task %s is served by plugin %s (version %d); disable or delete that plugin first", w, o.Name, o.Version)
			}
		}
	}
	return nil
}

// afterPluginChange makes the running plugins follow a committed change.
// The change stays when that fails; the error says so.
func (e *Engine) afterPluginChange(ctx context.Context, name, done string) error {
	if err := e.syncPlugins(ctx, name); err != nil {
		return fmt.Errorf("%s, but the plugins that run could not follow: %w", done, err)
	}
	return nil
}

// pluginInfo returns one version of a plugin, the active one for 0.
func (e *Engine) pluginInfo(ctx context.Context, name string, version int) (*PluginInfo, error) {
	if version < 0 {
		return nil, errorf(InvalidArgument, "version is %d; give a version number, or 0 for the active one", version)
	}
	v, st, err := e.pluginVersion(ctx, name, version)
	if err != nil {
		return nil, err
	}
	return e.info(v, st, e.kvBytes(ctx, name)), nil
}

// pluginVersion reads one version of a plugin, the active one for 0, with
// the plugin's state, or NotFound.
func (e *Engine) pluginVersion(ctx context.Context, name string, version int) (*store.PluginVersion, *store.PluginState, error) {
	versions, st, err := e.loadPlugin(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if version == 0 {
		version = st.Active
	}
	v := findVersion(versions, version)
	if v == nil {
		return nil, nil, errorf(NotFound, "plugin %s has no version %d (it has %s)", name, version, versionList(versions))
	}
	return v, st, nil
}

// loadPlugin reads the versions and the state of a plugin, or NotFound.
func (e *Engine) loadPlugin(ctx context.Context, name string) ([]*store.PluginVersion, *store.PluginState, error) {
	notFound := errorf(NotFound, "plugin %s not found", name)
	versions, err := e.store.PluginVersions(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, classify(err, "plugin "+name)
	}
	states, err := e.store.PluginStates(ctx)
	if err != nil {
		return nil, nil, classify(err, "plugins")
	}
	i := slices.IndexFunc(states, func(st *store.PluginState) bool { return st.Name == name })
	if i < 0 {
		return nil, nil, notFound
	}
	return versions, states[i], nil
}

// info describes a stored version, with the limits it runs under on this
// server and its plugin's key-value bytes. A stored manifest over the
// server's ceilings is reported with its own limits and why it does not
// run; one that no longer parses (a check added since it was uploaded),
// without its parsed form.
func (e *Engine) info(v *store.PluginVersion, st *store.PluginState, kvBytes int64) *PluginInfo {
	m, err := e.cfg.PluginCeilings.ParseManifest(v.Manifest)
	over := ""
	if errors.Is(err, wasm.ErrOverCeiling) {
		over = err.Error()
		m, err = wasm.ParseManifest(v.Manifest)
	}
	if err != nil {
		e.log.Warn("stored plugin manifest does not parse", "plugin", v.Name, "version", v.Version, "err", err)
	}
	info := newPluginInfo(v, m, st)
	info.OverCeiling, info.KVBytes = over, kvBytes
	return info
}

// kvBytes returns the size of a plugin's key-value data for its info; 0,
// logged, when it cannot be read.
func (e *Engine) kvBytes(ctx context.Context, name string) int64 {
	n, err := e.store.PluginKVBytes(ctx, name)
	if err != nil {
		e.log.Warn("plugin key-value bytes", "plugin", name, "err", err)
	}
	return n
}

func newPluginInfo(v *store.PluginVersion, m *wasm.Manifest, st *store.PluginState) *PluginInfo {
	info := &PluginInfo{
		Name: v.Name, Version: v.Version, Digest: v.Digest, Size: v.Size,
		Manifest: m, ManifestJSON: v.Manifest,
		Enabled: st.Enabled, Active: st.Active == v.Version, CreatedTime: v.CreatedTime,
	}
	if m != nil {
		info.TaskTypes, info.Workers = m.TaskTypes, m.Workers
	}
	return info
}

func findVersion(versions []*store.PluginVersion, version int) *store.PluginVersion {
	for _, v := range versions {
		if v.Version == version {
			return v
		}
	}
	return nil
}

func versionList(versions []*store.PluginVersion) string {
	s := make([]string, len(versions))
	for i, v := range versions {
		s[i] = fmt.Sprint(v.Version)
	}
	return strings.Join(s, ", ")
}
