package ui

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// apply rebuilds both sides from a diff, to check it against its inputs.
func apply(ops []diffOp) (a, b []string) {
	for _, o := range ops {
		if o.Kind != '+' {
			a = append(a, o.Line)
		}
		if o.Kind != '-' {
			b = append(b, o.Line)
		}
	}
	return a, b
}

func TestLineDiff(t *testing.T) {
	a := strings.Split("a b c d e f", " ")
	b := strings.Split("a x c d f g", " ")
	ops := lineDiff(a, b)
	gotA, gotB := apply(ops)
	require.Equal(t, a, gotA)
	require.Equal(t, b, gotB)
	var edits int
	for _, o := range ops {
		if o.Kind != ' ' {
			edits++
		}
	}
	require.Equal(t, 4, edits, "the longest common subsequence is a c d f, so 2 removals and 2 additions: %v", ops)

	require.Empty(t, lineDiff(nil, nil))
	gotA, gotB = apply(lineDiff(nil, []string{"x"}))
	require.Empty(t, gotA)
	require.Equal(t, []string{"x"}, gotB)

	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		a, b := randomLines(r), randomLines(r)
		gotA, gotB := apply(lineDiff(a, b))
		require.Equal(t, a, gotA)
		require.Equal(t, b, gotB)
	}
}

func randomLines(r *rand.Rand) []string {
	n := r.IntN(30)
	var l []string
	for range n {
		l = append(l, strconv.Itoa(r.IntN(5)))
	}
	return l
}
