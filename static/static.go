// Package static holds the web console's assets, embedded in the binary so
// that nothing is fetched from elsewhere at run time: the stylesheet, the
// JavaScript bundles esbuild makes from the TypeScript in src/ (committed in
// dist/, rebuilt by `go generate`), and vendored libraries in vendor/ (htmx
// 2.0.8 from the npm package htmx.org, Zero-Clause BSD).
package static

import (
	"embed"
	"io/fs"
)

//go:generate go run ./internal/bundle

//go:embed css dist vendor
var files embed.FS

// FS returns the assets, rooted so that "css/baton.css" names the
// stylesheet.
func FS() fs.FS { return files }
