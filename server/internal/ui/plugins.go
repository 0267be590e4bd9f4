package ui

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/wasm"
)

// pluginView is one plugin on the plugins page: its versions, newest
// first, and the definitions whose tasks use what it provides.
type pluginView struct {
	Name     string
	Versions []*engine.PluginInfo
	UsedBy   []string // "name vN"
}

// active is the plugin's active version (the newest when none is).
func (p pluginView) active() *engine.PluginInfo {
	for _, v := range p.Versions {
		if v.Active {
			return v
		}
	}
	return p.Versions[0]
}

// kvUsage says how much key-value data a plugin holds, and how much of
// what its active version's limits.kvBytes allows.
func kvUsage(a *engine.PluginInfo) string {
	if a.Manifest == nil || a.Manifest.Limits.KVBytes == 0 {
		return byteSize(a.KVBytes)
	}
	limit := int64(a.Manifest.Limits.KVBytes)
	return fmt.Sprintf("%s of %s (%.1f %%)", byteSize(a.KVBytes), byteSize(limit), 100*float64(a.KVBytes)/float64(limit))
}

// byteSize writes n bytes in the largest binary unit it reaches.
func byteSize(n int64) string {
	units := []string{"KiB", "MiB", "GiB"}
	if n < 1<<10 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	f, u := float64(n)/(1<<10), 0
	for f >= 1<<10 && u < len(units)-1 {
		f, u = f/(1<<10), u+1
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " " + units[u]
}

func (c *console) plugins(w http.ResponseWriter, r *http.Request) {
	views, err := c.pluginViews(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, pluginsPage(views, engine.MaxPluginBytes>>20))
}

func (c *console) pluginViews(r *http.Request) ([]pluginView, error) {
	list, err := c.e.Plugins(r.Context())
	if err != nil {
		return nil, err
	}
	defs, err := c.e.WorkflowDefs(r.Context())
	if err != nil {
		return nil, err
	}
	var views []pluginView
	for _, p := range list {
		versions, err := c.e.PluginVersions(r.Context(), p.Name)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(versions, func(a, b *engine.PluginInfo) int { return cmp.Compare(b.Version, a.Version) })
		v := pluginView{Name: p.Name, Versions: versions}
		v.UsedBy = usedBy(defs, v.active())
		views = append(views, v)
	}
	slices.SortFunc(views, func(a, b pluginView) int { return cmp.Compare(a.Name, b.Name) })
	return views, nil
}

// usedBy lists the definitions with a task of a type the plugin provides,
// or a SIMPLE task it works as a worker.
func usedBy(defs []*workflow.WorkflowDef, p *engine.PluginInfo) []string {
	var users []string
	for _, d := range defs {
		used := false
		workflow.Walk(d.Tasks, "/tasks", func(t *workflow.WorkflowTask, _ string) {
			typ := t.TaskType()
			used = used || slices.Contains(p.TaskTypes, typ) ||
				(typ == workflow.TypeSimple && slices.Contains(p.Workers, t.Name))
		})
		if used {
			users = append(users, d.Name+" v"+strconv.Itoa(d.Version))
		}
	}
	return users
}

// uploadPlugin takes a module and a manifest, either as JSON or as the
// fields of the page's form.
func (c *console) uploadPlugin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, engine.MaxPluginBytes+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.fail(w, r, badRequest(fmt.Sprintf("the upload is over %d MiB: a module may have at most %d MiB", tooBig.Limit>>20, engine.MaxPluginBytes>>20)))
			return
		}
		c.fail(w, r, badRequest("reading the upload: "+err.Error()))
		return
	}
	defer r.MultipartForm.RemoveAll()
	f, _, err := r.FormFile("module")
	if err != nil {
		c.fail(w, r, badRequest("choose or drop a .wasm module to upload"))
		return
	}
	module, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		c.fail(w, r, badRequest("reading the module: "+err.Error()))
		return
	}
	manifest, err := manifestOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	info, created, err := c.e.PutPlugin(r.Context(), module, manifest)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	msg := fmt.Sprintf("uploaded %s v%d (%s)", info.Name, info.Version, strings.Join(append(slices.Clone(info.TaskTypes), info.Workers...), ", "))
	if !created {
		msg = fmt.Sprintf("%s v%d is already this module and manifest: nothing changed", info.Name, info.Version)
	}
	c.respond(w, r, true, msg, "/plugins")
}

// manifestOf returns the upload's manifest: the JSON given, or one made
// from the form's fields.
func manifestOf(r *http.Request) ([]byte, error) {
	if raw := strings.TrimSpace(r.FormValue("manifest")); raw != "" {
		return []byte(raw), nil
	}
	m := wasm.Manifest{
		Name:         strings.TrimSpace(r.FormValue("name")),
		Description:  strings.TrimSpace(r.FormValue("description")),
		TaskTypes:    listField(r.FormValue("taskTypes")),
		Workers:      listField(r.FormValue("workers")),
		Secrets:      listField(r.FormValue("secrets")),
		AllowedHosts: listField(r.FormValue("allowedHosts")),
	}
	for _, f := range []struct {
		field string
		to    *int
	}{
		{"memoryMiB", &m.Limits.MemoryMiB},
		{"timeoutMs", &m.Limits.TimeoutMs},
		{"concurrency", &m.Limits.Concurrency},
	} {
		s := strings.TrimSpace(r.FormValue(f.field))
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, badRequest(fmt.Sprintf("%s %q: want a whole number, or nothing for the default", f.field, s))
		}
		*f.to = n
	}
	return json.Marshal(m)
}

// listField splits a comma- or space-separated form field.
func listField(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
}

// pluginAction enables, disables or deletes a plugin (or one version).
func (c *console) pluginAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, c.opts.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, badRequest("reading the form: "+err.Error()))
		return
	}
	name, action := r.PathValue("name"), r.PathValue("action")
	version := 0
	if s := r.PostForm.Get("version"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			c.fail(w, r, badRequest(fmt.Sprintf("version %q: want a number from 1, or nothing", s)))
			return
		}
		version = n
	}
	var err error
	switch action {
	case "enable":
		_, err = c.e.EnablePlugin(r.Context(), name, version)
	case "disable":
		_, err = c.e.DisablePlugin(r.Context(), name)
	case "delete":
		err = c.e.DeletePlugin(r.Context(), name, version)
	default:
		err = badRequest(fmt.Sprintf("unknown plugin action %q: use enable, disable or delete", action))
	}
	if err != nil {
		c.respond(w, r, false, action+" "+name+": "+err.Error(), "")
		return
	}
	c.respond(w, r, true, action+" "+name+": done", "/plugins")
}
