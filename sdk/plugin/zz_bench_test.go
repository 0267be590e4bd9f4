package plugin

import (
	"encoding/json"
	"os"
	"testing"
)

func BenchmarkZZ(b *testing.B) {
	in, _ := os.ReadFile("/tmp/benchinput.json")
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := decodeFast(in)
			if err != nil {
				b.Fatal(err)
			}
			appendResult(nil, &Result{Status: "COMPLETED", Output: t.InputData})
		}
	})
	b.Run("std", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t, err := decodeStd(in)
			if err != nil {
				b.Fatal(err)
			}
			json.Marshal(&Result{Status: "COMPLETED", Output: t.InputData})
		}
	})
	b.Run("fastparse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			decodeFast(in)
		}
	})
}
