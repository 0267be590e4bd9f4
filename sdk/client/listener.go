package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
)

// ListenerSignatureHeader is the header that carries the signature of a
// status event, when the server has a signing secret (--listener-secret).
const ListenerSignatureHeader = "Baton-Signature"

// VerifyListenerSignature checks the Baton-Signature header of a status
// event a receiver got: "t=<Unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" with the secret>". body must be the request body exactly as
// received. A timestamp further than tolerance from now (in either
// direction) is refused, which stops replays of old requests; five minutes
// is usual.
func VerifyListenerSignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return errors.New("malformed signature header: want t=<seconds>,v1=<hex>")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("malformed signature timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature timestamp is %s away from now, more than the tolerance of %s", d.Abs().Round(time.Second), tolerance)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("signature does not match: a wrong secret, or a body changed on the way")
}

// DeadLetter is a status event its webhook refused as many times as the
// server allows; RedriveDeadLetters sends it again under the same id.
type DeadLetter struct {
	// ID is the event's eventId.
	ID         string `json:"id"`
	WorkflowID string `json:"workflowId,omitempty"`
	// Sink is the definition's webhook; empty for the server's default.
	Sink     string `json:"sink,omitempty"`
	Attempts int    `json:"attempts"`
	// Error is why the last attempt failed.
	Error string `json:"error"`
	// Time is when the event became a dead letter.
	Time time.Time `json:"time"`
	// Event is the event as the webhook receives it.
	Event json.RawMessage `json:"event,omitempty"`
}

// DeadLetters returns up to limit dead letters (100 when 0, at most 1000;
// fewer when they are large: a page holds about 1 MiB)
// whose ids sort after after ("" for the first page), in id order.
func (c *Client) DeadLetters(ctx context.Context, after string, limit int) ([]*DeadLetter, error) {
	res, err := c.listeners.ListDeadLetters(ctx, connect.NewRequest(&batonv1.ListDeadLettersRequest{After: after, Limit: int32(limit)}))
	if err != nil {
		return nil, err
	}
	out := make([]*DeadLetter, len(res.Msg.GetDeadLetters()))
	for i, d := range res.Msg.GetDeadLetters() {
		out[i] = &DeadLetter{
			ID: d.GetId(), WorkflowID: d.GetWorkflowId(), Sink: d.GetSink(), Attempts: int(d.GetAttempts()),
			Error: d.GetError(), Time: time.UnixMilli(d.GetTime()), Event: json.RawMessage(d.GetEventJson()),
		}
		if d.GetEventJson() == "" {
			out[i].Event = nil
		}
	}
	return out, nil
}

// RedriveDeadLetters sends dead letters to their webhook again, all or
// none.
func (c *Client) RedriveDeadLetters(ctx context.Context, ids ...string) error {
	_, err := c.listeners.RedriveDeadLetters(ctx, connect.NewRequest(&batonv1.RedriveDeadLettersRequest{Ids: ids}))
	return err
}

// DeleteDeadLetters removes dead letters, all or none.
func (c *Client) DeleteDeadLetters(ctx context.Context, ids ...string) error {
	_, err := c.listeners.DeleteDeadLetters(ctx, connect.NewRequest(&batonv1.DeleteDeadLettersRequest{Ids: ids}))
	return err
}
