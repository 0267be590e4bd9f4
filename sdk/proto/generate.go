// Package proto holds Baton's Connect RPC contract: the buf configuration and
// the .proto files of package baton.v1 under baton/v1. It has no Go code; it
// exists so that `go generate ./...` regenerates the Go and Connect code in
// sdk/gen with the buf version pinned here and the plugin versions pinned in
// buf.gen.yaml (which match go.mod).
//
// Free-form JSON (inputs, outputs, variables, definitions) travels as string
// fields holding JSON text, named with a _json suffix, so large integers and
// fields Baton does not know survive unchanged and the Connect JSON form stays
// readable with curl. Times are int64 Unix milliseconds.
package proto

//go:generate go run github.com/bufbuild/buf/cmd/buf@v1.75.0 generate
