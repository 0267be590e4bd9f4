package httpcall

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/netip"
)

// UseRootCAs makes c trust roots, for calls to httptest TLS servers.
func (c *Caller) UseRootCAs(roots *x509.CertPool) { c.tlsConfig = &tls.Config{RootCAs: roots} }

// UseLookup replaces c's DNS resolution, to test what is done with answers.
func (c *Caller) UseLookup(lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)) {
	c.lookup = lookup
}

// CloseIdleConnections closes c's pooled connections.
func (c *Caller) CloseIdleConnections() { c.client.CloseIdleConnections() }
