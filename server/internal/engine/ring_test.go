package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRing checks the counting window of the figures: slots follow the
// unit of each event, a gap clears the slots it skips, a gap of a whole
// window or more clears all of them, and an event older than the window
// (a clock set back) is refused.
func TestRing(t *testing.T) {
	t.Parallel()
	var r ring[uint32]
	add := func(u int64) {
		t.Helper()
		n := r.at(u)
		require.NotNil(t, n, "unit %d", u)
		*n++
	}
	const u0 = 1_700_000_000
	add(u0)
	add(u0)
	add(u0 + 1)
	require.Equal(t, int64(3), sum(&r, u0+1))
	s := r.series(u0 + 1)
	require.Len(t, s, ringSlots)
	require.Equal(t, []uint32{2, 1}, s[ringSlots-2:])
	require.Equal(t, int64(3), sum(&r, u0+59), "u0 is the first of the 60 units up to u0+59")
	require.Equal(t, int64(1), sum(&r, u0+60))
	require.Zero(t, sum(&r, u0+61))

	add(u0 + 30) // clears u0+2 .. u0+29, keeps u0 and u0+1
	require.Equal(t, int64(4), sum(&r, u0+30))
	add(u0 + 1) // late, but inside the window
	require.Equal(t, int64(5), sum(&r, u0+30))
	require.Nil(t, r.at(u0+30-ringSlots), "older than the window")

	add(u0 + 1000) // a long gap clears everything
	require.Equal(t, int64(1), sum(&r, u0+1000))
	require.Equal(t, uint32(1), r.series(u0 + 1000)[ringSlots-1])
}
