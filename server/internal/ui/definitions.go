package ui

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/batonhq/baton/sdk/workflow"
)

// defGroup is one workflow name with its versions, newest first.
type defGroup struct {
	Name     string
	Versions []*workflow.WorkflowDef
}

func (c *console) definitions(w http.ResponseWriter, r *http.Request) {
	defs, err := c.e.WorkflowDefs(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, definitionsPage(groupDefs(defs)))
}

// groupDefs groups definitions by name, names in order and versions
// newest first.
func groupDefs(defs []*workflow.WorkflowDef) []defGroup {
	var groups []defGroup
	slices.SortFunc(defs, func(a, b *workflow.WorkflowDef) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(b.Version, a.Version))
	})
	for _, d := range defs {
		if n := len(groups); n == 0 || groups[n-1].Name != d.Name {
			groups = append(groups, defGroup{Name: d.Name})
		}
		g := &groups[len(groups)-1]
		g.Versions = append(g.Versions, d)
	}
	return groups
}

// definitionLatest sends /definitions/{name} to its latest version.
func (c *console) definitionLatest(w http.ResponseWriter, r *http.Request) {
	d, err := c.e.WorkflowDef(r.Context(), r.PathValue("name"), 0)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	http.Redirect(w, r, defURL(d.Name, d.Version), http.StatusFound)
}

// definitionView is one version of a definition, with the other versions
// and, when asked, its diff against one of them.
type definitionView struct {
	Def      *workflow.WorkflowDef
	JSON     string
	Versions []int
	// DiffWith is the version compared against (0: none), Diff the lines.
	DiffWith int
	Diff     []diffOp
	// Diagram is the version's SVG.
	Diagram templ.Component
}

func (c *console) definition(w http.ResponseWriter, r *http.Request) {
	d, err := c.pathDef(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	name := d.Name
	versions, err := c.e.WorkflowDefVersions(r.Context(), name)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	v := definitionView{Def: d, JSON: defJSON(d)}
	if v.Diagram, err = definitionDiagram(d); err != nil {
		c.fail(w, r, err)
		return
	}
	for _, o := range versions {
		v.Versions = append(v.Versions, o.Version)
	}
	if s := r.URL.Query().Get("diff"); s != "" {
		other, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(v.Versions, other) {
			c.fail(w, r, badRequest(fmt.Sprintf("diff=%q: %s has versions %v", s, name, v.Versions)))
			return
		}
		od, err := c.e.WorkflowDef(r.Context(), name, other)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		v.DiffWith = other
		v.Diff = lineDiff(strings.Split(defJSON(od), "\n"), strings.Split(v.JSON, "\n"))
	}
	c.render(w, r, http.StatusOK, definitionPage(v))
}

// pathDef reads the definition version a path names ({name}/{version}).
func (c *console) pathDef(r *http.Request) (*workflow.WorkflowDef, error) {
	version, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || version < 1 {
		return nil, badRequest(fmt.Sprintf("version %q: want a number from 1", r.PathValue("version")))
	}
	return c.e.WorkflowDef(r.Context(), r.PathValue("name"), version)
}

// defJSON is a definition as indented JSON, as stored (unknown fields and
// key order kept by the definition's codec).
func defJSON(d *workflow.WorkflowDef) string {
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Sprintf("(cannot encode: %v)", err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// defURL is the address of a definition's version.
func defURL(name string, version int) string {
	return "/definitions/" + url.PathEscape(name) + "/" + strconv.Itoa(version)
}
