package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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
