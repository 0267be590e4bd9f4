// Command bundle builds the console's JavaScript: each entry point in
// static/src becomes one minified ES2020 bundle in static/dist, and the
// designer (designer/src/designer.ts, with its npm dependencies from
// designer/node_modules) becomes static/dist/designer.js, with esbuild's Go
// API (so no Node.js is needed at run time; npm only installs the designer's
// pinned dependencies: `npm ci --prefix designer`). It runs from
// `go generate` in package static, whose directory is the working directory.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// entries are the console's bundles: dist/<base name>.js each.
var entries = []string{"src/app.ts"}

// designerEntry is the designer's bundle, dist/designer.js; designerModules
// is where npm ci puts its dependencies.
const (
	designerEntry   = "../designer/src/designer.ts"
	designerModules = "../designer/node_modules"
)

func main() {
	if _, err := os.Stat(filepath.Join(designerModules, "codemirror", "package.json")); err != nil {
		fmt.Fprintf(os.Stderr, "bundle: the designer's npm dependencies are not installed (%v): run `npm ci --prefix designer` from the repository's root, then go generate again\n", err)
		os.Exit(1)
	}
	build(api.BuildOptions{EntryPoints: entries, Outdir: "dist"})
	build(api.BuildOptions{EntryPoints: []string{designerEntry}, Outfile: "dist/designer.js"})
}

// build bundles with the options every bundle shares: minified, ES2020, an
// IIFE for the browser, licences at the end. esbuild's output depends only
// on its input, so the committed bundles are reproducible.
func build(o api.BuildOptions) {
	o.Bundle, o.Write = true, true
	o.MinifyWhitespace, o.MinifyIdentifiers, o.MinifySyntax = true, true, true
	o.Target, o.Format, o.Platform = api.ES2020, api.FormatIIFE, api.PlatformBrowser
	o.LegalComments, o.LogLevel = api.LegalCommentsEndOfFile, api.LogLevelWarning
	r := api.Build(o)
	if len(r.Errors) > 0 {
		var b strings.Builder
		for _, m := range r.Errors {
			loc := ""
			if m.Location != nil {
				loc = fmt.Sprintf("%s:%d:%d: ", m.Location.File, m.Location.Line, m.Location.Column)
			}
			fmt.Fprintf(&b, "%s%s\n", loc, m.Text)
		}
		fmt.Fprint(os.Stderr, b.String())
		os.Exit(1)
	}
}
