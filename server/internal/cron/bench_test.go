package cron_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/cron"
)

func BenchmarkNext(b *testing.B) {
	newYork := loadLocation(b, "America/New_York")
	benchmarks := []struct {
		name string
		expr string
		loc  *time.Location
	}{
		{"every second", "* * * * * *", time.UTC},
		{"every 5 minutes", "0 */5 * * * *", time.UTC},
		{"weekdays 09:30 New York", "0 30 9 * * MON-FRI", newYork},
		{"last friday New York", "0 0 18 ? * FRIL", newYork},
		{"LW and 15W", "0 0 12 15W,LW * ?", time.UTC},
		{"leap day", "0 0 0 29 2 *", time.UTC},
		{"never", "0 0 0 30 2 *", time.UTC},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			e, err := cron.Parse(bm.expr)
			require.NoError(b, err)
			// Successive fire times from 2026 to 2030: years past 2037 are
			// not typical, and Go's time zone lookups are slower there.
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, bm.loc)
			t := start
			for b.Loop() {
				t = e.Next(t)
				if t.IsZero() || t.Year() > 2030 {
					t = start
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for b.Loop() {
		_, err := cron.Parse("0 0/30 8-18 ? JAN-NOV MON-FRI")
		if err != nil {
			b.Fatal(err)
		}
	}
}
