package api

import (
	"log/slog"
	"net/http"
	"os"
	"slices"

	"connectrpc.com/connect"
	"connectrpc.com/grpcreflect"

	"github.com/batonhq/baton/sdk/gen/baton/v1/batonv1connect"
	"github.com/batonhq/baton/server/internal/engine"
	"github.com/batonhq/baton/server/internal/scheduler"
)

// DefaultMaxBodyBytes is the default of Options.MaxBodyBytes.
const DefaultMaxBodyBytes = 4 << 20

// Options configures the handler returned by New.
type Options struct {
	// Logger receives internal errors (those sent to clients as a generic
	// message). Default: discard.
	Logger *slog.Logger
	// MaxBodyBytes bounds every request body and every Connect message, in
	// both directions. Default: DefaultMaxBodyBytes (4 MiB).
	MaxBodyBytes int64
	// Scheduler serves the schedule endpoints; without it they answer
	// Unavailable.
	Scheduler *scheduler.Scheduler
	// Console serves every path the API does not (the web console at
	// "/"); without it they are not found.
	Console http.Handler
}

// New returns the handler of Baton's API over an engine: the Connect
// services (Connect, gRPC, gRPC-Web), gRPC reflection, the Conductor REST
// layer under /api and GET /health.
func New(e *engine.Engine, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	instance, _ := os.Hostname()
	errs := &errorMapper{log: opts.Logger, instance: instance}

	mux := http.NewServeMux()
	limits := []connect.HandlerOption{
		connect.WithReadMaxBytes(int(opts.MaxBodyBytes)),
		connect.WithSendMaxBytes(int(opts.MaxBodyBytes)),
		// Small messages cost more CPU to gzip than they save on loopback
		// and LANs; only large ones are compressed.
		connect.WithCompressMinBytes(16 << 10),
	}
	mux.Handle(batonv1connect.NewMetadataServiceHandler(&metadataService{e: e, errs: errs}, limits...))
	mux.Handle(batonv1connect.NewWorkflowServiceHandler(&workflowService{e: e, errs: errs}, limits...))
	mux.Handle(batonv1connect.NewTaskServiceHandler(&taskService{e: e, errs: errs}, limits...))
	mux.Handle(batonv1connect.NewSchedulerServiceHandler(&schedulerService{s: opts.Scheduler, errs: errs}, limits...))
	mux.Handle(batonv1connect.NewListenerServiceHandler(&listenerService{e: e, errs: errs}, limits...))
	mux.Handle(batonv1connect.NewQueueServiceHandler(&queueService{e: e, errs: errs}, limits...))
	mux.Handle(batonv1connect.NewWatchServiceHandler(&watchService{e: e, errs: errs}, limits...))
	// Plugin uploads carry a module of up to engine.MaxPluginBytes: the
	// plugin service alone reads more than MaxBodyBytes.
	pluginLimits := append(slices.Clone(limits), connect.WithReadMaxBytes(maxPluginMessageBytes))
	mux.Handle(batonv1connect.NewPluginServiceHandler(&pluginService{e: e, errs: errs}, pluginLimits...))

	reflector := grpcreflect.NewStaticReflector(
		batonv1connect.MetadataServiceName,
		batonv1connect.WorkflowServiceName,
		batonv1connect.TaskServiceName,
		batonv1connect.SchedulerServiceName,
		batonv1connect.ListenerServiceName,
		batonv1connect.QueueServiceName,
		batonv1connect.PluginServiceName,
		batonv1connect.WatchServiceName,
	)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, limits...))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, limits...))

	mux.Handle("/api/", newREST(e, opts.Scheduler, errs, opts.MaxBodyBytes))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"healthy": true})
	})
	if opts.Console != nil {
		mux.Handle("/", opts.Console)
	}
	// A page on another site must not drive the API through a visitor's
	// browser (a form posting to /api/...); programs send neither
	// Sec-Fetch-Site nor Origin and pass.
	return http.NewCrossOriginProtection().Handler(mux)
}
