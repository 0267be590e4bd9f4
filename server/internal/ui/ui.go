package ui

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/static"
)

// Options configure the console.
type Options struct {
	Logger *slog.Logger
	// Live serves the websocket hub at /live; nil leaves it out (pages
	// then stay as rendered).
	Live http.Handler
	// MaxBodyBytes bounds form posts (plugin uploads have their own bound,
	// engine.MaxPluginBytes).
	MaxBodyBytes int64
}

// console holds what the handlers share.
type console struct {
	e    *engine.Engine
	log  *slog.Logger
	opts Options
}

// New returns the console's handler. It serves every path it is given; the
// server mounts it under the API's specific routes.
func New(e *engine.Engine, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	c := &console{e: e, log: opts.Logger, opts: opts}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("GET /diagram.css", diagramCSS)
	if opts.Live != nil {
		mux.Handle("/live", opts.Live)
	}
	mux.HandleFunc("GET /{$}", c.overview)
	mux.HandleFunc("GET /executions", c.executions)
	mux.HandleFunc("POST /executions/bulk", c.bulk)
	mux.HandleFunc("GET /executions/{id}", c.execution)
	mux.HandleFunc("GET /executions/{id}/tasks/{task}", c.taskPanel)
	mux.HandleFunc("POST /executions/{id}/{action}", c.action)
	mux.HandleFunc("GET /definitions", c.definitions)
	mux.HandleFunc("GET /definitions/{name}", c.definitionLatest)
	mux.HandleFunc("GET /definitions/{name}/{version}", c.definition)
	mux.HandleFunc("GET /designer", c.designerNew)
	mux.HandleFunc("GET /designer/{name}/{version}", c.designerEdit)
	mux.HandleFunc("GET /queues", c.queues)
	mux.HandleFunc("GET /queues/{type}", c.queue)
	mux.HandleFunc("GET /plugins", c.plugins)
	mux.HandleFunc("POST /plugins", c.uploadPlugin)
	mux.HandleFunc("POST /plugins/{name}/{action}", c.pluginAction)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, r, &engine.Error{Code: engine.NotFound, Msg: "no page at " + r.URL.Path})
	})
	// The server's handler (api.New) refuses cross-site requests for the
	// console and the API alike.
	return mux
}

// staticHandler serves the embedded assets. Bundles are rebuilt only with
// the binary, so browsers may keep them for a while but must revalidate.
func staticHandler() http.Handler {
	files := http.FileServerFS(static.FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := fs.Stat(static.FS(), strings.TrimPrefix(r.URL.Path, "/")); err != nil || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// render writes a page or a fragment with the given status.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, comp templ.Component) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.WriteHeader(status)
	ctx := r.Context()
	if t, err := r.Cookie(themeCookie); err == nil && (t.Value == "light" || t.Value == "dark") {
		ctx = context.WithValue(ctx, themeKey{}, t.Value)
	}
	if err := comp.Render(ctx, w); err != nil && !errors.Is(err, context.Canceled) {
		c.log.Warn("ui: render", "path", r.URL.Path, "err", err)
	}
}

// fail renders an error: as a fragment for htmx requests (so it lands in
// the page's notice area), as a page otherwise.
func (c *console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		c.log.Error("ui: request failed", "path", r.URL.Path, "err", err)
	}
	if isHTMX(r) {
		// htmx swaps only 2xx responses by default; the notice must show.
		c.render(w, r, http.StatusOK, notice(false, err.Error()))
		return
	}
	c.render(w, r, status, errorPage(http.StatusText(status), err.Error()))
}

// statusOf maps an engine error to an HTTP status.
func statusOf(err error) int {
	switch engine.CodeOf(err) {
	case engine.InvalidArgument:
		return http.StatusBadRequest
	case engine.NotFound:
		return http.StatusNotFound
	case engine.AlreadyExists, engine.FailedPrecondition:
		return http.StatusConflict
	case engine.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// badRequest is an InvalidArgument engine error, for bad form input.
func badRequest(msg string) error { return &engine.Error{Code: engine.InvalidArgument, Msg: msg} }

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// themeCookie holds the theme chosen with the toggle (static/src/app.ts).
const themeCookie = "baton-theme"

type themeKey struct{}

// themeOf is the theme a page is rendered in: "light", "dark", or "" to
// follow the system's setting.
func themeOf(ctx context.Context) string {
	t, _ := ctx.Value(themeKey{}).(string)
	return t
}
