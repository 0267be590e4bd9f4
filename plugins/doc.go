// Package plugins holds Baton's first-party WebAssembly plugins, one main
// package per directory (jsonschema, template, hash, reshape, and cexample
// in C), and the tests that build them and run tasks through the plugin
// host (package wasm). README.md is the plugin author's guide.
package plugins
