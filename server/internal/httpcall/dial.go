package httpcall

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// refusedError is a destination the policy does not allow.
type refusedError struct {
	addr string     // host:port as the URL names it
	ip   netip.Addr // the address refused, if the host had to be resolved to find it
	why  string
}

func (e *refusedError) Error() string { return "request to " + e.target() + " refused: " + e.why }

// target names the destination: host:port, and the address it resolved to
// when that is not already the host.
func (e *refusedError) target() string {
	host, _, _ := net.SplitHostPort(e.addr)
	if e.ip.IsValid() && host != e.ip.String() {
		return e.addr + " (" + e.ip.String() + ")"
	}
	return e.addr
}

// connectError is a failure to connect: resolving, dialing or the TLS
// handshake.
type connectError struct {
	addr    string
	timeout time.Duration // set when connectionTimeOut ran out
	err     error
}

func (e *connectError) Error() string {
	if e.timeout > 0 {
		return fmt.Sprintf("connection to %s timed out after %d ms (connectionTimeOut)", e.addr, e.timeout.Milliseconds())
	}
	return fmt.Sprintf("connection to %s failed: %v", e.addr, e.err)
}

func (e *connectError) Unwrap() error { return e.err }

// errConnectTimeout is the cause of a dial's context ending at
// connectionTimeOut.
var errConnectTimeout = errors.New("connectionTimeOut")

// connectTimeoutKey is the context key under which Call leaves the
// request's connectionTimeOut for the dialer. The Transport dials with a
// context that keeps the request's values but not its cancellation, so a
// connection can be finished and pooled after its request is gone.
type connectTimeoutKey struct{}

func connectTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(connectTimeoutKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return defaultTimeout
}

// dialTCP is the Transport's DialContext, for http URLs.
func (c *Caller) dialTCP(ctx context.Context, network, addr string) (net.Conn, error) {
	timeout := connectTimeout(ctx)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errConnectTimeout)
	defer cancel()
	conn, err := c.connect(ctx, network, addr)
	if err != nil {
		return nil, connectFailure(ctx, addr, timeout, err)
	}
	return conn, nil
}

// dialTLS is the Transport's DialTLSContext, for https URLs; with it,
// connectionTimeOut covers the handshake too.
func (c *Caller) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	timeout := connectTimeout(ctx)
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errConnectTimeout)
	defer cancel()
	raw, err := c.connect(ctx, network, addr)
	if err != nil {
		return nil, connectFailure(ctx, addr, timeout, err)
	}
	host, _, _ := net.SplitHostPort(addr)
	cfg := c.tlsConfig.Clone()
	cfg.ServerName = host
	cfg.MinVersion = tls.VersionTLS12
	cfg.NextProtos = []string{"http/1.1"}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, connectFailure(ctx, addr, timeout, err)
	}
	return conn, nil
}

// connectFailure turns a failed connection attempt into the error Call
// reports.
func connectFailure(ctx context.Context, addr string, timeout time.Duration, err error) error {
	var refused *refusedError
	if errors.As(err, &refused) {
		return refused
	}
	if errors.Is(context.Cause(ctx), errConnectTimeout) {
		return &connectError{addr: addr, timeout: timeout, err: err}
	}
	return &connectError{addr: addr, err: err}
}

// connect resolves addr's host, refuses it if any of its addresses is not
// allowed, and connects to the checked addresses in turn until one answers.
// Dialing the address that was checked, rather than the name, is what keeps
// a second DNS answer from changing the destination.
func (c *Caller) connect(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := c.resolve(ctx, host)
	if err != nil {
		var refused *refusedError
		if errors.As(err, &refused) {
			refused.addr = addr
		}
		return nil, err
	}
	for _, ip := range ips {
		if why := c.policy.refusal(ip); why != "" {
			return nil, &refusedError{addr: addr, ip: ip, why: why}
		}
	}
	d := net.Dialer{ControlContext: c.control}
	var first error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// resolve returns the addresses host stands for: itself if it is an IP
// address (in any spelling inet_aton accepts), else what DNS answers.
func (c *Caller) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	ip, numeric, err := parseNumericIPv4(host)
	if err != nil {
		return nil, &refusedError{why: err.Error()}
	}
	if numeric {
		return []netip.Addr{ip}, nil
	}
	ips, err := c.lookup(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("no addresses found for %s", host)
	}
	for i, ip := range ips {
		ips[i] = ip.Unmap()
	}
	return ips, nil
}

// control checks the address a socket is about to connect to. connect has
// already checked it; this keeps the check next to the connect(2) call
// whatever changes above it.
func (c *Caller) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("unexpected dial address %q", address)
	}
	if why := c.policy.refusal(ap.Addr()); why != "" {
		return &refusedError{addr: address, why: why}
	}
	return nil
}
