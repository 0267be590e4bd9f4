// Command goguest is a plugin built by the tests with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared: real Go output for the
// rewriter to instrument.
package main

import (
	"encoding/json"
	"fmt"
)

type item struct {
	ID   int      `json:"id"`
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// sumjson does the kind of work a plugin does: it encodes n items as JSON,
// decodes them into maps, and returns len(json)<<32 | the sum of the ids.
//
//go:wasmexport sumjson
func sumjson(n uint32) uint64 {
	items := make([]item, n)
	for i := range items {
		items[i] = item{ID: i * 7, Name: fmt.Sprint("item-", i), Tags: []string{"a", fmt.Sprint(i % 3)}}
	}
	b, err := json.Marshal(items)
	if err != nil {
		panic(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		panic(err)
	}
	var sum uint64
	for _, m := range back {
		sum += uint64(m["id"].(float64))
	}
	return uint64(len(b))<<32 | sum
}

var spins uint64

// spin never returns.
//
//go:wasmexport spin
func spin() {
	for {
		spins++
	}
}

// fib is the C-like recursion of the benchmarks, compiled by Go.
//
//go:wasmexport fib
func fib(n uint32) uint32 {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {}
