package script

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFloatNumber(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    float64
		want json.Number
	}{
		{3, "3"},
		{-2.5, "-2.5"},
		{0.30000000000000004, "0.30000000000000004"},
		{1e20, "100000000000000000000"},
		{123456789012345680000, "123456789012345680000"},
		{1e21, "1e+21"},
		{1.5e300, "1.5e+300"},
		{0.000001, "0.000001"},
		{1e-7, "1e-7"},
		{-1.25e-10, "-1.25e-10"},
		{math.Copysign(0, -1), "0"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
	} {
		got, ok := floatNumber(tc.f)
		require.True(t, ok)
		require.Equal(t, tc.want, got)
		if tc.f != 0 { // encoding/json writes -0
			encoded, err := json.Marshal(tc.f)
			require.NoError(t, err)
			require.Equal(t, string(encoded), got.String(), "as encoding/json writes %v", tc.f)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, ok := floatNumber(f)
		require.False(t, ok)
	}
}

func TestResultSizeIsTheJSONSize(t *testing.T) {
	t.Parallel()
	for _, v := range []any{
		nil, true, false, "", "plain", `quote " and \ backslash`, "<html> & co", "\x00\x01\x1f\b\f\n\r\t",
		"é ü 😀 \u2028 \u2029", "invalid \xff utf-8 \xc3", 42, -7, 2.5, big.NewInt(0).Lsh(big.NewInt(1), 100),
		json.Number("12.50"), []any{}, map[string]any{},
		[]any{1, "a", nil, []any{true}, map[string]any{"k<": []any{}}},
		map[string]any{"a": 1, "b\"": map[string]any{"c": []any{1.5, "x"}}, "": nil},
	} {
		x := goExporter{budget: budget{max: math.MaxInt}}
		out, err := x.value(v, 0)
		require.Nil(t, err)
		encoded, merr := json.Marshal(out)
		require.NoError(t, merr)
		require.Equal(t, len(encoded), x.budget.used, "%s", encoded)
	}
}

func TestPath(t *testing.T) {
	t.Parallel()
	p := path{{key: "items", index: -1}, {index: 2}, {key: "a b", index: -1}, {key: "_ok$1", index: -1}, {key: "1x", index: -1}}
	require.Equal(t, `result.items[2]["a b"]._ok$1["1x"]`, p.String())
	require.Equal(t, "1x", p.key())
	require.Equal(t, "2", p[:2].key())
	require.Equal(t, "result", path(nil).String())
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	require.Equal(t, "64 MiB", formatBytes(64<<20))
	require.Equal(t, "1536 KiB", formatBytes(1536<<10))
	require.Equal(t, "1000 bytes", formatBytes(1000))
}

func TestKindString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "syntax runtime timeout memory output Kind(0)",
		Syntax.String()+" "+Runtime.String()+" "+Timeout.String()+" "+Memory.String()+" "+Output.String()+" "+Kind(0).String())
}

func TestNew(t *testing.T) {
	t.Parallel()
	require.Equal(t, Limits{Timeout: 4 * time.Second, MaxMemory: 64 << 20, MaxOutput: 1 << 20}, New(Limits{}).limits)
	require.Equal(t, Limits{Timeout: time.Second, MaxMemory: 1 << 20, MaxOutput: 10}, New(Limits{Timeout: time.Second, MaxMemory: 1 << 20, MaxOutput: 10}).limits)
	require.PanicsWithValue(t, "script.New: Limits.Timeout is negative: -1s", func() { New(Limits{Timeout: -time.Second}) })
	require.Panics(t, func() { New(Limits{MaxMemory: -1}) })
	require.Panics(t, func() { New(Limits{MaxOutput: -1}) })
}
