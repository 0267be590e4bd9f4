package script

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := New(Limits{})
	const calls = 50
	var wg sync.WaitGroup
	errs := make(chan error, 2*calls)
	for i := range calls {
		input := map[string]any{"n": json.Number(strconv.Itoa(i)), "list": []any{json.Number("1"), json.Number(strconv.Itoa(i))}}
		wg.Go(func() {
			got, err := e.JS(`var total = 0; $.list.forEach(function (x) { total += x; }); ({n: $.n * 2, total: total})`, input)
			want := map[string]any{"n": json.Number(strconv.Itoa(2 * i)), "total": json.Number(strconv.Itoa(1 + i))}
			if err != nil || !equal(got, want) {
				errs <- fmt.Errorf("JS call %d: got %v, %v; want %v", i, got, err, want)
			}
		})
		wg.Go(func() {
			got, err := e.JQ(`.n * 3, (.list | add)`, input)
			want := []any{json.Number(strconv.Itoa(3 * i)), json.Number(strconv.Itoa(1 + i))}
			if err != nil || !equal(got, want) {
				errs <- fmt.Errorf("JQ call %d: got %v, %v; want %v", i, got, err, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func equal(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func BenchmarkJS(b *testing.B) {
	e := New(Limits{})
	input := map[string]any{"a": json.Number("1")}
	for b.Loop() {
		v, err := e.JS(`$.a + 1`, input)
		if err != nil || v != json.Number("2") {
			b.Fatal(v, err)
		}
	}
}

func BenchmarkJQ(b *testing.B) {
	e := New(Limits{})
	input := map[string]any{"a": json.Number("1")}
	for b.Loop() {
		v, err := e.JQ(`.a + 1`, input)
		if err != nil || len(v) != 1 || v[0] != json.Number("2") {
			b.Fatal(v, err)
		}
	}
}
