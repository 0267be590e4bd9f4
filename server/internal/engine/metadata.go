package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// defCache keeps every task definition and the workflow definitions in use
// in memory; the store stays the source of truth and is written first.
type defCache struct {
	store store.Store
	mu    sync.RWMutex
	tasks map[string]*workflow.TaskDef
	// flows caches workflow definitions by name and version; version 0 is
	// the latest.
	flows map[string]map[int]*workflow.WorkflowDef
}

func newDefCache(s store.Store) *defCache {
	return &defCache{store: s, tasks: map[string]*workflow.TaskDef{}, flows: map[string]map[int]*workflow.WorkflowDef{}}
}

func (c *defCache) load(ctx context.Context) error {
	defs, err := c.store.TaskDefList(ctx)
	if err != nil {
		return fmt.Errorf("load task definitions: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range defs {
		c.tasks[d.Name] = d
	}
	return nil
}

func (c *defCache) task(name string) *workflow.TaskDef {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.tasks[name]
}

func (c *defCache) flow(ctx context.Context, name string, version int) (*workflow.WorkflowDef, error) {
	c.mu.RLock()
	d := c.flows[name][version]
	c.mu.RUnlock()
	if d != nil {
		return d, nil
	}
	d, err := c.store.WorkflowDefGet(ctx, name, version)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.flows[name] == nil {
		c.flows[name] = map[int]*workflow.WorkflowDef{}
	}
	c.flows[name][version] = d
	c.mu.Unlock()
	return d, nil
}

func (c *defCache) forget(name string) {
	c.mu.Lock()
	delete(c.flows, name)
	c.mu.Unlock()
}

// validationError wraps diagnostics as an InvalidArgument error.
func validationError(what string, diags workflow.Diagnostics) error {
	return &Error{Code: InvalidArgument, Msg: what + " is invalid: " + diags.Error(), Details: diags}
}

// RegisterTaskDefs validates and stores task definitions, all or none.
func (e *Engine) RegisterTaskDefs(ctx context.Context, defs []*workflow.TaskDef) error {
	if len(defs) == 0 {
		return errorf(InvalidArgument, "no task definitions given")
	}
	var all workflow.Diagnostics
	seen := map[string]bool{}
	for i, d := range defs {
		if d == nil {
			all = append(all, workflow.Diagnostic{Pointer: fmt.Sprintf("/%d", i), Message: "task definition is null"})
			continue
		}
		for _, diag := range workflow.ValidateTaskDef(d) {
			diag.Pointer = fmt.Sprintf("/%d%s", i, diag.Pointer)
			all = append(all, diag)
		}
		if seen[d.Name] {
			all = append(all, workflow.Diagnostic{Pointer: fmt.Sprintf("/%d/name", i), Message: fmt.Sprintf("task definition %q is given twice", d.Name)})
		}
		seen[d.Name] = true
	}
	if len(all) > 0 {
		return validationError("task definition", all)
	}
	now := e.now().UnixMilli()
	for _, d := range defs {
		if old := e.defs.task(d.Name); old != nil && old.CreateTime != 0 {
			d.CreateTime = old.CreateTime
			d.UpdateTime = now
		} else if d.CreateTime == 0 {
			d.CreateTime = now
		}
	}
	if err := e.store.TaskDefPut(ctx, defs); err != nil {
		return classify(err, "store task definitions")
	}
	e.defs.mu.Lock()
	for _, d := range defs {
		e.defs.tasks[d.Name] = d
	}
	e.defs.mu.Unlock()
	return nil
}

// TaskDef returns a registered task definition.
func (e *Engine) TaskDef(ctx context.Context, name string) (*workflow.TaskDef, error) {
	if d := e.defs.task(name); d != nil {
		return d, nil
	}
	return nil, errorf(NotFound, "task definition %q is not registered", name)
}

// TaskDefs returns every registered task definition, sorted by name.
func (e *Engine) TaskDefs(ctx context.Context) ([]*workflow.TaskDef, error) {
	defs, err := e.store.TaskDefList(ctx)
	return defs, classify(err, "list task definitions")
}

// DeleteTaskDef removes a task definition.
func (e *Engine) DeleteTaskDef(ctx context.Context, name string) error {
	if err := e.store.TaskDefDelete(ctx, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errorf(NotFound, "task definition %q is not registered", name)
		}
		return classify(err, "delete task definition")
	}
	e.defs.mu.Lock()
	delete(e.defs.tasks, name)
	e.defs.mu.Unlock()
	return nil
}

// ValidateWorkflowDef returns every problem of a definition, checked against
// the registered task definitions.
func (e *Engine) ValidateWorkflowDef(def *workflow.WorkflowDef) workflow.Diagnostics {
	return workflow.ValidateWorkflowDef(def, workflow.ValidateOptions{TaskDef: e.defs.task, ExtraTypes: e.pluginType})
}

// RegisterWorkflowDef validates and stores a workflow definition. With
// newVersion the version is one past the latest; a version of 0 means 1.
// An existing version is replaced only with overwrite.
func (e *Engine) RegisterWorkflowDef(ctx context.Context, def *workflow.WorkflowDef, overwrite, newVersion bool) (*workflow.WorkflowDef, error) {
	if def == nil {
		return nil, errorf(InvalidArgument, "no workflow definition given")
	}
	if diags := e.ValidateWorkflowDef(def); len(diags) > 0 {
		return nil, validationError("workflow definition", diags)
	}
	now := e.now().UnixMilli()
	latest, err := e.store.WorkflowDefGet(ctx, def.Name, 0)
	switch {
	case errors.Is(err, store.ErrNotFound):
		latest = nil
	case err != nil:
		return nil, classify(err, "read workflow definition")
	}
	if newVersion {
		def.Version = 1
		if latest != nil {
			def.Version = latest.Version + 1
		}
	} else if def.Version == 0 {
		def.Version = 1
	}
	if def.SchemaVersion == 0 {
		def.SchemaVersion = 2
	}
	def.CreateTime = now
	if old, err := e.store.WorkflowDefGet(ctx, def.Name, def.Version); err == nil {
		def.CreateTime = old.CreateTime
		def.UpdateTime = now
	}
	err = e.store.WorkflowDefPut(ctx, &store.WorkflowDefPutParams{Def: def, Overwrite: overwrite})
	if errors.Is(err, store.ErrExists) {
		return nil, errorf(AlreadyExists, "workflow definition %s version %d exists; register with overwrite to replace it, or as a new version", def.Name, def.Version)
	}
	if err != nil {
		return nil, classify(err, "store workflow definition")
	}
	e.defs.forget(def.Name)
	return def, nil
}

// WorkflowDef returns a version of a workflow definition, the latest when
// version is 0.
func (e *Engine) WorkflowDef(ctx context.Context, name string, version int) (*workflow.WorkflowDef, error) {
	d, err := e.defs.flow(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		if version == 0 {
			return nil, errorf(NotFound, "workflow definition %q is not registered", name)
		}
		return nil, errorf(NotFound, "workflow definition %q version %d is not registered", name, version)
	}
	return d, classify(err, "read workflow definition")
}

// WorkflowDefs returns every version of every workflow definition.
func (e *Engine) WorkflowDefs(ctx context.Context) ([]*workflow.WorkflowDef, error) {
	defs, err := e.store.WorkflowDefList(ctx)
	return defs, classify(err, "list workflow definitions")
}

// WorkflowDefVersions returns every version of one workflow definition,
// oldest first, or a NotFound error when it has none.
func (e *Engine) WorkflowDefVersions(ctx context.Context, name string) ([]*workflow.WorkflowDef, error) {
	all, err := e.WorkflowDefs(ctx)
	if err != nil {
		return nil, err
	}
	var out []*workflow.WorkflowDef
	for _, d := range all { // sorted by name, then version
		if d.Name == name {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, errorf(NotFound, "workflow definition %q is not registered", name)
	}
	return out, nil
}

// DeleteWorkflowDef removes one version of a workflow definition. Running
// executions keep their snapshot.
func (e *Engine) DeleteWorkflowDef(ctx context.Context, name string, version int) error {
	err := e.store.WorkflowDefDelete(ctx, name, version)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(NotFound, "workflow definition %q version %d is not registered", name, version)
	}
	if err != nil {
		return classify(err, "delete workflow definition")
	}
	e.defs.forget(name)
	return nil
}
