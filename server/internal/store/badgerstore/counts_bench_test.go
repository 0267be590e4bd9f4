package badgerstore

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkExecutionCounts measures what the engine's start-up pays to
// count 100,000 executions by status (search_bench_test.go's data).
func BenchmarkExecutionCounts(b *testing.B) {
	if testing.Short() {
		b.Skip("loads 100,000 executions")
	}
	s, err := Open(Options{Dir: b.TempDir()})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, s.Close()) })
	d := newSearchBenchData(100_000)
	d.load(b, s)
	for b.Loop() {
		counts, err := s.ExecutionCounts(context.Background())
		require.NoError(b, err)
		var n int64
		for _, c := range counts {
			n += c
		}
		require.Equal(b, int64(d.n), n)
	}
}
