package httpcall

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseTimeout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		v    any
		want time.Duration
	}{
		{"absent", nil, 3 * time.Second},
		{"json.Number", json.Number("2500"), 2500 * time.Millisecond},
		{"float64", float64(1500), 1500 * time.Millisecond},
		{"int", 700, 700 * time.Millisecond},
		{"int64", int64(800), 800 * time.Millisecond},
		{"text", " 900 ", 900 * time.Millisecond},
		{"zero is the default", json.Number("0"), 3 * time.Second},
		{"fraction", json.Number("1.5"), 1500 * time.Microsecond},
		{"less than a millisecond", float64(0.0001), time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTimeout(fields{m: map[string]any{"readTimeOut": tt.v}}, "readTimeOut")
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	for _, v := range []any{"soon", json.Number("-1"), float64(-0.5), true, json.Number("1e20"), []any{}} {
		_, err := parseTimeout(fields{m: map[string]any{"readTimeOut": v}, prefix: "http_request."}, "readTimeOut")
		require.ErrorContains(t, err, "http_request.readTimeOut must be a number of milliseconds from 0 to 86400000")
	}
}
