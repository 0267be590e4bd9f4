package ui

import (
	"net/http"
	"strconv"

	"github.com/a-h/templ"

	"github.com/batonhq/baton/sdk/workflow"
)

// The designer (/designer, /designer/{name}/{version}) is a page whose
// script, static/dist/designer.js (designer/src/designer.ts), edits a
// definition's JSON beside its diagram and saves it through the API. The
// server's part is the first paint: the definition's text, embedded as a JSON
// string so that the script receives it exactly, and its diagram from
// designer/layout, which is what a person without script sees.

// designerView is what the designer page starts from.
type designerView struct {
	// Title names the page; Name and Version the definition (Version 0:
	// a new workflow).
	Title   string
	Name    string
	Version int
	// JSON is the definition's text, as stored.
	JSON    string
	Diagram templ.Component
	// MaxBody is the most a request body may be: the largest definition
	// the page can save, run or import.
	MaxBody int64
}

// newDesignerDef is the definition a new workflow starts from.
var newDesignerDef = &workflow.WorkflowDef{
	Name:          "new_workflow",
	Description:   "Made in the designer",
	Version:       1,
	SchemaVersion: 2,
	Tasks: []*workflow.WorkflowTask{
		{Name: "wait_for_signal", TaskReferenceName: "wait_for_signal", Type: workflow.TypeWait},
	},
}

// designerNew opens the designer on a new workflow.
func (c *console) designerNew(w http.ResponseWriter, r *http.Request) {
	c.designerPage(w, r, designerView{Title: "New workflow"}, newDesignerDef)
}

// designerEdit opens the designer on a version of a definition.
func (c *console) designerEdit(w http.ResponseWriter, r *http.Request) {
	d, err := c.pathDef(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.designerPage(w, r, designerView{Title: d.Name + " v" + strconv.Itoa(d.Version), Name: d.Name, Version: d.Version}, d)
}

func (c *console) designerPage(w http.ResponseWriter, r *http.Request, v designerView, d *workflow.WorkflowDef) {
	v.JSON = defJSON(d)
	v.MaxBody = c.opts.MaxBodyBytes
	var err error
	if v.Diagram, err = definitionDiagram(d); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, designerPage(v))
}
