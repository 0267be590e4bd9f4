package store_test

import (
	"encoding/json"
	"fmt"

	"github.com/batonhq/baton/server/internal/store"
)

func ExampleWords() {
	fmt.Println(store.Words("Payment declined: card-4242, CARD ok? Ünïcode"))
	// Output: [payment declined card 4242 ok ünïcode]
}

func ExampleValueWords() {
	input := map[string]any{
		"orderId": "A-17",
		"amount":  json.Number("12.50"),
		"express": true,
		"items":   []any{"book", map[string]any{"sku": "B 9"}},
		"note":    nil,
	}
	fmt.Println(store.ValueWords(input, -1))
	fmt.Println(store.ValueWords(input, 3))
	// Output:
	// [amount 12 50 express true items book sku b 9 note orderid a 17]
	// [amount 12 50]
}
