package httpcall_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/batonhq/baton/server/internal/httpcall"
)

func ExampleCaller_Call() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"orderId":42,"state":"shipped"}`)
	}))
	defer srv.Close()
	ctx := context.Background()

	// The test server is on loopback, so it has to be allow-listed.
	c := httpcall.New(httpcall.Config{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	out := c.Call(ctx, map[string]any{
		"http_request": map[string]any{"uri": srv.URL + "/orders/42", "method": "GET"},
	})
	resp := out.Output["response"].(map[string]any)
	fmt.Println(out.Status, resp["statusCode"], resp["body"])

	out = c.Call(ctx, map[string]any{"uri": "http://169.254.169.254/latest/meta-data/"})
	fmt.Println(out.Status)
	fmt.Println(out.Reason)
	// Output:
	// COMPLETED 200 map[orderId:42 state:shipped]
	// FAILED_WITH_TERMINAL_ERROR
	// request to 169.254.169.254:80 refused: link-local addresses (cloud metadata) are not allowed; allow-list the network in the server configuration to permit it
}
