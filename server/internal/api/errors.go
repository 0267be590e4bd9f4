package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/engine"
)

// internalMessage is what a client is told about an internal error; the
// details go to the log only.
const internalMessage = "internal error in the Baton server; the server log has the details, and retrying may help"

// errorMapper turns errors into Connect errors and Conductor error
// responses. It is the only place where engine codes meet protocol codes.
type errorMapper struct {
	log      *slog.Logger
	instance string // host name, reported as ErrorResponse.instance
}

// invalid returns an InvalidArgument error, for problems found at the edge
// (a malformed body, a bad query parameter) before the engine is called.
func invalid(format string, args ...any) error {
	return &engine.Error{Code: engine.InvalidArgument, Msg: fmt.Sprintf(format, args...)}
}

// diagnostics returns the validation diagnostics an error carries, if any.
func diagnostics(err error) workflow.Diagnostics {
	var e *engine.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch d := e.Details.(type) {
	case workflow.Diagnostics:
		return d
	case *workflow.Diagnostics:
		if d != nil {
			return *d
		}
	}
	return nil
}

// connectError converts an error for a Connect handler.
func (m *errorMapper) connectError(ctx context.Context, procedure string, err error) error {
	if err == nil {
		return nil
	}
	var ce *connect.Error
	if errors.As(err, &ce) {
		return ce
	}
	var e *engine.Error
	if !errors.As(err, &e) {
		switch {
		case errors.Is(err, context.Canceled):
			return connect.NewError(connect.CodeCanceled, err)
		case errors.Is(err, context.DeadlineExceeded):
			return connect.NewError(connect.CodeDeadlineExceeded, err)
		}
		m.log.ErrorContext(ctx, "internal error", "procedure", procedure, "err", err)
		return connect.NewError(connect.CodeInternal, errors.New(internalMessage))
	}
	var code connect.Code
	switch e.Code {
	case engine.InvalidArgument:
		code = connect.CodeInvalidArgument
	case engine.NotFound:
		code = connect.CodeNotFound
	case engine.AlreadyExists:
		code = connect.CodeAlreadyExists
	case engine.FailedPrecondition:
		code = connect.CodeFailedPrecondition
	case engine.Unavailable:
		code = connect.CodeUnavailable
	default:
		m.log.ErrorContext(ctx, "internal error", "procedure", procedure, "err", err)
		return connect.NewError(connect.CodeInternal, errors.New(internalMessage))
	}
	out := connect.NewError(code, errors.New(e.Msg))
	if diags := diagnostics(err); len(diags) > 0 {
		br := &errdetails.BadRequest{}
		for _, d := range diags {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field:       d.Pointer,
				Description: d.Message,
			})
		}
		if detail, derr := connect.NewErrorDetail(br); derr == nil {
			out.AddDetail(detail)
		}
	}
	return out
}

// errorResponse is Conductor's ErrorResponse.
type errorResponse struct {
	Status           int               `json:"status"`
	Code             string            `json:"code"`
	Message          string            `json:"message"`
	Retryable        bool              `json:"retryable"`
	Instance         string            `json:"instance"`
	ValidationErrors []validationError `json:"validationErrors,omitempty"`
}

// validationError is Conductor's ValidationError; Path is a JSON pointer
// (RFC 6901) into the request body.
type validationError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// writeREST writes an error as a Conductor ErrorResponse.
func (m *errorMapper) writeREST(w http.ResponseWriter, r *http.Request, err error) {
	resp := m.response(r, err)
	writeJSON(w, resp.Status, resp)
}

// message is what a REST client may be told about an error.
func (m *errorMapper) message(r *http.Request, err error) string {
	return m.response(r, err).Message
}

// response classifies an error as a Conductor ErrorResponse; internal
// errors are logged and get a generic message.
func (m *errorMapper) response(r *http.Request, err error) errorResponse {
	resp := errorResponse{Instance: m.instance, Message: err.Error()}
	var (
		e  *engine.Error
		mb *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mb):
		resp.Status, resp.Code = http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"
		resp.Message = fmt.Sprintf("the request body is larger than the limit of %d bytes; send less data (the server's limit is set with MaxBodyBytes)", mb.Limit)
	case errors.As(err, &e):
		resp.Message = e.Msg
		switch e.Code {
		case engine.InvalidArgument:
			resp.Status, resp.Code = http.StatusBadRequest, "INVALID_INPUT"
			for _, d := range diagnostics(err) {
				resp.ValidationErrors = append(resp.ValidationErrors, validationError{Path: d.Pointer, Message: d.Message})
			}
		case engine.NotFound:
			resp.Status, resp.Code = http.StatusNotFound, "NOT_FOUND"
		case engine.AlreadyExists, engine.FailedPrecondition:
			resp.Status, resp.Code = http.StatusConflict, "CONFLICT"
		case engine.Unavailable:
			resp.Status, resp.Code, resp.Retryable = http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", true
		default:
			m.internal(r, err, &resp)
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		resp.Status, resp.Code, resp.Retryable = http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", true
		resp.Message = "the request was canceled before it completed: " + err.Error()
	default:
		m.internal(r, err, &resp)
	}
	return resp
}

func (m *errorMapper) internal(r *http.Request, err error, resp *errorResponse) {
	m.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	resp.Status, resp.Code, resp.Retryable = http.StatusInternalServerError, "INTERNAL_ERROR", true
	resp.Message = internalMessage
}
