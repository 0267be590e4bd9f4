// Command bundle builds the console's JavaScript: each entry point in
// static/src becomes one minified ES2020 bundle in static/dist, with esbuild's
// Go API (so no Node.js is needed to build, and none at run time). It runs
// from `go generate` in package static, whose directory is the working
// directory.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// entries are the bundles the pages load.
var entries = []string{"src/app.ts"}

func main() {
	r := api.Build(api.BuildOptions{
		EntryPoints:       entries,
		Outdir:            "dist",
		Bundle:            true,
		Write:             true,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Target:            api.ES2020,
		Format:            api.FormatIIFE,
		Platform:          api.PlatformBrowser,
		LegalComments:     api.LegalCommentsEndOfFile,
		LogLevel:          api.LogLevelWarning,
	})
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
