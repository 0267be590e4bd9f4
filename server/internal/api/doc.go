// Package api is Baton's network edge. New returns one http.Handler that
// serves:
//
//   - the Connect services of sdk/proto (MetadataService, WorkflowService,
//     TaskService, SchedulerService, ListenerService, PluginService,
//     WatchService) over
//     the Connect, gRPC and gRPC-Web protocols, with gRPC server reflection
//     (v1 and v1alpha) so grpcurl and buf curl work. Every message is
//     bounded by Options.MaxBodyBytes, but for PluginService's requests,
//     which carry a module of up to engine.MaxPluginBytes;
//   - a Conductor-compatible REST layer under /api, with Conductor's paths,
//     JSON shapes and status codes, so workers and clients written with
//     Conductor's SDKs run unchanged;
//   - GET /health.
//
// WatchService's streams (connect_watch.go) follow the engine's change
// feed: a snapshot, then a delta per commit. A stream whose client falls
// behind is not ended: it subscribes again from the last position it sent
// (and sends a new snapshot if the feed no longer holds what followed).
//
// Handlers only translate: they decode a request, call the engine and encode
// the answer. Engine errors (*engine.Error) become Connect codes and HTTP
// statuses here and nowhere else (errors.go).
//
// gRPC needs HTTP/2; the handler serves it over cleartext (h2c) when the
// http.Server enables http.Protocols.SetUnencryptedHTTP2.
package api
