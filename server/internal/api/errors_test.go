package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	diags := workflow.Diagnostics{{Pointer: "/tasks/0/name", Message: "no name"}}
	cases := []struct {
		name        string
		err         error
		connectCode connect.Code
		status      int
		restCode    string
		logged      bool
	}{
		{"invalid", &engine.Error{Code: engine.InvalidArgument, Msg: "bad"}, connect.CodeInvalidArgument, 400, "INVALID_INPUT", false},
		{"invalid with diagnostics", &engine.Error{Code: engine.InvalidArgument, Msg: "bad", Details: diags}, connect.CodeInvalidArgument, 400, "INVALID_INPUT", false},
		{"invalid with diagnostics pointer", &engine.Error{Code: engine.InvalidArgument, Msg: "bad", Details: &diags}, connect.CodeInvalidArgument, 400, "INVALID_INPUT", false},
		{"not found", &engine.Error{Code: engine.NotFound, Msg: "gone"}, connect.CodeNotFound, 404, "NOT_FOUND", false},
		{"already exists", &engine.Error{Code: engine.AlreadyExists, Msg: "twice"}, connect.CodeAlreadyExists, 409, "CONFLICT", false},
		{"failed precondition", &engine.Error{Code: engine.FailedPrecondition, Msg: "late"}, connect.CodeFailedPrecondition, 409, "CONFLICT", false},
		{"unavailable", &engine.Error{Code: engine.Unavailable, Msg: "stopping"}, connect.CodeUnavailable, 503, "SERVICE_UNAVAILABLE", false},
		{"wrapped engine error", fmt.Errorf("context: %w", &engine.Error{Code: engine.NotFound, Msg: "gone"}), connect.CodeNotFound, 404, "NOT_FOUND", false},
		{"internal engine error", &engine.Error{Code: engine.Internal, Msg: "secret detail"}, connect.CodeInternal, 500, "INTERNAL_ERROR", true},
		{"plain error", errors.New("secret detail"), connect.CodeInternal, 500, "INTERNAL_ERROR", true},
		{"canceled", fmt.Errorf("commit: %w", context.Canceled), connect.CodeCanceled, 503, "SERVICE_UNAVAILABLE", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log bytes.Buffer
			m := &errorMapper{log: slog.New(slog.NewTextHandler(&log, nil)), instance: "host"}

			ce := new(connect.Error)
			require.ErrorAs(t, m.connectError(t.Context(), "/p", tc.err), &ce)
			require.Equal(t, tc.connectCode, ce.Code())

			r := httptest.NewRequest(http.MethodGet, "/api/x", nil)
			resp := m.response(r, tc.err)
			require.Equal(t, tc.status, resp.Status)
			require.Equal(t, tc.restCode, resp.Code)
			require.Equal(t, "host", resp.Instance)

			if tc.logged {
				require.NotContains(t, ce.Message(), "secret")
				require.NotContains(t, resp.Message, "secret")
				require.Contains(t, log.String(), "secret detail")
			} else {
				require.Empty(t, log.String())
			}
			if diagnostics(tc.err) != nil {
				require.Equal(t, []validationError{{Path: "/tasks/0/name", Message: "no name"}}, resp.ValidationErrors)
				require.Len(t, ce.Details(), 1)
			}
		})
	}
}
