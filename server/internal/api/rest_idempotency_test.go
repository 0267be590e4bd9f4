package api_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/server/internal/api"
)

// TestRESTIdempotentStarts starts one workflow 50 times at once with one
// idempotency key, the way a client retrying after timeouts would.
func TestRESTIdempotentStarts(t *testing.T) {
	t.Parallel()
	env := setup(t, api.Options{})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/taskdefs", body: "[" + taskDefJSON + "]"})
	env.mustREST(t, restCall{method: "POST", path: "/api/metadata/workflow", body: flowDefJSON})

	type answer struct {
		status int
		body   string
		err    error
	}
	startAll := func(n int, body string, header http.Header) []answer {
		out := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				path := "/api/workflow"
				if header != nil {
					path += "/" + flowName
				}
				req, err := http.NewRequestWithContext(testContext(t), "POST", env.url+path, strings.NewReader(body))
				if err != nil {
					out[i].err = err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				for k, v := range header {
					req.Header[k] = v
				}
				resp, err := env.h1.Do(req)
				if err != nil {
					out[i].err = err
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				out[i] = answer{status: resp.StatusCode, body: string(b), err: err}
			})
		}
		wg.Wait()
		return out
	}

	// FAIL: one start succeeds, 49 are refused with 409 naming the winner.
	answers := startAll(50, `{"name": "`+flowName+`", "input": {"n": 1}, "idempotencyKey": "pay-7"}`, nil)
	var winner string
	for _, a := range answers {
		require.NoError(t, a.err)
		if a.status == http.StatusOK {
			require.Empty(t, winner, "two starts succeeded")
			winner = a.body
		}
	}
	require.NotEmpty(t, winner)
	for _, a := range answers {
		if a.status != http.StatusOK {
			require.Equal(t, http.StatusConflict, a.status, a.body)
			require.Contains(t, a.body, winner)
		}
	}

	// RETURN_EXISTING through Orkes' headers: every retry gets the winner.
	header := http.Header{"X-Idempotency-Key": {"pay-7"}, "X-On-Conflict": {"RETURN_EXISTING"}}
	for _, a := range startAll(50, `{"n": 1}`, header) {
		require.NoError(t, a.err)
		require.Equal(t, http.StatusOK, a.status, a.body)
		require.Equal(t, winner, a.body)
	}

	r := env.rest(t, restCall{method: "POST", path: "/api/workflow", body: `{"name": "` + flowName + `", "idempotencyKey": "k", "idempotencyStrategy": "NEVER"}`})
	requireErrorResponse(t, r, http.StatusBadRequest, "INVALID_INPUT")
}
