package ui

import (
	"bytes"
	"context"
	"net/http"
	"net/url"

	"github.com/a-h/templ"

	"github.com/batonhq/baton/designer/layout"
	"github.com/batonhq/baton/sdk/workflow"
)

// The diagrams are designer/layout's SVG, inline in the page so that the
// live view can patch their nodes' data-status. Their stylesheet is served
// once at /diagram.css; static/css/baton.css maps its --baton-* variables
// onto the console's theme.

// executionDiagram renders the diagram of an execution as the URL's view
// (loop iteration shown, fan-outs expanded) asks.
func (c *console) executionDiagram(ctx context.Context, wf *workflow.Workflow, q url.Values) (templ.Component, error) {
	def := wf.WorkflowDefinition
	if def == nil {
		d, err := c.e.WorkflowDef(ctx, wf.WorkflowName, wf.WorkflowVersion)
		if err != nil {
			return nil, err
		}
		def = d
	}
	g := layout.LayoutExecution(def, wf, layout.ParseView(q))
	return svgComponent(g)
}

// definitionDiagram renders the diagram of a definition.
func definitionDiagram(def *workflow.WorkflowDef) (templ.Component, error) {
	return svgComponent(layout.Layout(def))
}

func svgComponent(g *layout.Graph) (templ.Component, error) {
	var b bytes.Buffer
	if err := layout.RenderSVG(&b, g, layout.RenderOptions{NoStyle: true}); err != nil {
		return nil, err
	}
	return templ.Raw(b.String()), nil
}

// diagramCSS serves the diagrams' stylesheet.
func diagramCSS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(layout.Stylesheet))
}
