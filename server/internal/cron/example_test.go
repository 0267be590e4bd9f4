package cron_test

import (
	"fmt"
	"time"

	"github.com/batonhq/baton/server/internal/cron"
)

func ExampleParse() {
	e, err := cron.Parse("0 30 9 * * MON-FRI") // 09:30:00 on weekdays
	if err != nil {
		fmt.Println(err)
		return
	}
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	from := time.Date(2026, time.January, 1, 12, 0, 0, 0, loc) // a Thursday
	for _, next := range e.NextN(from, 3) {
		fmt.Println(next.Format(time.RFC1123))
	}
	// Output:
	// Fri, 02 Jan 2026 09:30:00 EST
	// Mon, 05 Jan 2026 09:30:00 EST
	// Tue, 06 Jan 2026 09:30:00 EST
}

func ExampleParse_error() {
	_, err := cron.Parse("0 61 * * * *")
	fmt.Println(err)
	// Output:
	// cron "0 61 * * * *": minute: 61 is out of range 0-59
}

func ExampleExpr_Next() {
	e, err := cron.Parse("0 0 0 L * *") // midnight on the last day of the month
	if err != nil {
		fmt.Println(err)
		return
	}
	next := e.Next(time.Date(2028, time.February, 3, 0, 0, 0, 0, time.UTC))
	fmt.Println(next)
	// Output:
	// 2028-02-29 00:00:00 +0000 UTC
}
