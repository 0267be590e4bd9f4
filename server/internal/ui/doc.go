// Package ui serves Baton's web console at "/": pages rendered on the
// server with templ (readable before any script runs), htmx for forms and
// fragments, and a small script bundle (static/src) that adds live updates
// over the websocket hub of package live, the theme toggle and
// interactions. Colours are CSS variables, so the console follows the
// system's light or dark setting unless the toggle overrides it.
//
// Everything a page shows comes from the engine, the same calls the API
// makes; user data is escaped by templ. Requests that change anything are
// POSTs, which the server's handler guards with net/http's cross-origin
// protection (Sec-Fetch-Site and Origin) as it does the API's, and the
// websocket hub checks Origin on every upgrade.
package ui

//go:generate go run github.com/a-h/templ/cmd/templ@v0.3.977 generate
