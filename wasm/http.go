package wasm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Bounds of http_fetch.
const (
	maxFetchRequest   = 4 << 20 // the request JSON
	maxFetchBody      = 4 << 20 // the response body
	maxFetchRedirects = 5
)

// fetchRequest is http_fetch's request JSON.
type fetchRequest struct {
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	BodyBase64 string            `json:"bodyBase64"`
}

// fetchResponse is http_fetch's response JSON; BodyBase64 is encoded as
// base64 by encoding/json.
type fetchResponse struct {
	Status     int                 `json:"status"`
	Headers    map[string][]string `json:"headers"`
	BodyBase64 []byte              `json:"bodyBase64"`
}

// fetch makes the HTTP request described by reqJSON for the plugin, if its
// manifest allows the host (and every host it is redirected to), and
// returns the response JSON.
func (p *Plugin) fetch(ctx context.Context, reqJSON []byte) ([]byte, error) {
	var fr fetchRequest
	if err := json.Unmarshal(reqJSON, &fr); err != nil {
		return nil, fmt.Errorf("http_fetch: the request is not valid JSON: %v", err)
	}
	u, err := url.Parse(fr.URL)
	if err != nil {
		return nil, fmt.Errorf("http_fetch: url %q: %v", fr.URL, err)
	}
	if err := p.allowed(u); err != nil {
		return nil, err
	}
	body := []byte(fr.Body)
	if fr.BodyBase64 != "" {
		if body, err = base64.StdEncoding.DecodeString(fr.BodyBase64); err != nil {
			return nil, fmt.Errorf("http_fetch: bodyBase64: %v", err)
		}
	}
	method := fr.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("http_fetch: %v", err)
	}
	// Fetch the URL that was checked, not what its text parses back to.
	req.URL, req.Host = u, u.Host
	for k, v := range fr.Headers {
		req.Header.Set(k, v)
	}
	client := *p.h.httpClient
	client.Jar = nil
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxFetchRedirects {
			return fmt.Errorf("stopped after %d redirects", maxFetchRedirects)
		}
		if err := p.allowed(req.URL); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("http_fetch %s: the call's deadline passed before the response came", u.Redacted())
		}
		return nil, fmt.Errorf("http_fetch: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("http_fetch %s: the call's deadline passed while reading the response", u.Redacted())
		}
		return nil, fmt.Errorf("http_fetch %s: reading the response: %v", u.Redacted(), err)
	}
	if len(b) > maxFetchBody {
		return nil, fmt.Errorf("http_fetch %s: the response body exceeds 4 MiB", u.Redacted())
	}
	return json.Marshal(fetchResponse{Status: resp.StatusCode, Headers: resp.Header, BodyBase64: b})
}

// allowed says why the plugin may not fetch u, nil if it may: its scheme
// must be http or https and its host match one of the manifest's
// allowedHosts, "host" (any port), "host:port", "*.domain" (any
// subdomain, any port) or "*.domain:port".
func (p *Plugin) allowed(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("http_fetch: scheme %q is not allowed; use http or https", u.Scheme)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return fmt.Errorf("http_fetch: url %q has no host", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	for _, pat := range p.m.AllowedHosts {
		ph, pp := pat, ""
		if h, pt, err := net.SplitHostPort(pat); err == nil {
			ph, pp = h, pt
		}
		if pp != "" && pp != port {
			continue
		}
		if domain, ok := strings.CutPrefix(ph, "*."); ok {
			if strings.HasSuffix(host, "."+domain) {
				return nil
			}
		} else if host == ph {
			return nil
		}
	}
	shown := host
	if u.Port() != "" {
		shown = net.JoinHostPort(host, u.Port())
	}
	return fmt.Errorf("host %s is not in the plugin's allowedHosts", shown)
}

// blockedNetworks are the addresses the default client refuses to dial,
// whatever a manifest's allowedHosts say, unless HostConfig.AllowNetworks
// re-allows them: a plugin may otherwise reach the server's own network
// (SSRF) by naming an internal address, or a name resolving to one.
var blockedNetworks = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",         // "this network", unspecified
		"127.0.0.0/8",       // loopback
		"10.0.0.0/8",        // private
		"172.16.0.0/12",     // private
		"192.168.0.0/16",    // private
		"169.254.0.0/16",    // link-local: cloud metadata (169.254.169.254)
		"100.64.0.0/10",     // carrier-grade NAT: Alibaba's metadata (100.100.100.200)
		"192.0.0.0/24",      // IETF protocol assignments: Oracle's legacy metadata
		"198.18.0.0/15",     // benchmarking
		"224.0.0.0/4",       // multicast
		"240.0.0.0/4",       // reserved, broadcast
		"::/128",            // unspecified
		"::1/128",           // loopback
		"::/96",             // IPv4-compatible
		"fd00:ec2::254/128", // AWS metadata over IPv6 (inside fc00::/7, named for the record)
		"fc00::/7",          // unique local (private)
		"fe80::/10",         // link-local
		"fec0::/10",         // site-local
		"ff00::/8",          // multicast
		"64:ff9b::/96",      // NAT64: reaches any IPv4 address, internal ones included
		"64:ff9b:1::/48",    // local-use NAT64
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// dialPolicy decides which addresses http_fetch's default client may dial.
type dialPolicy struct{ allow []netip.Prefix }

// refusal says why ip may not be dialled, "" if it may.
func (p dialPolicy) refusal(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	for _, pre := range p.allow {
		if pre.Contains(ip) {
			return ""
		}
	}
	for _, pre := range blockedNetworks {
		if pre.Contains(ip) {
			return fmt.Sprintf("address %s is refused: plugins may not reach internal networks (%s) "+
				"unless the server allows them (HostConfig.AllowNetworks, the server's --http-allow)", ip, pre)
		}
	}
	return ""
}

// defaultHTTPClient is the client of http_fetch when HostConfig leaves it
// nil. Its dialer refuses the internal networks of blockedNetworks (loopback,
// private, link-local with the cloud metadata endpoints, ...) but those of
// allow, checked on the address actually dialled, after DNS: a manifest's
// allowedHosts cannot re-allow them, since a plugin author is not the
// operator.
func defaultHTTPClient(allow []netip.Prefix) *http.Client {
	pol := dialPolicy{}
	for _, pre := range allow {
		pre = pre.Masked()
		if pre.Addr().Is4In6() && pre.Bits() >= 96 {
			pre = netip.PrefixFrom(pre.Addr().Unmap(), pre.Bits()-96)
		}
		pol.allow = append(pol.allow, pre)
	}
	d := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("unexpected dial address %q", address)
			}
			if why := pol.refusal(ap.Addr()); why != "" {
				return errors.New(why)
			}
			return nil
		},
	}
	return &http.Client{Transport: &http.Transport{
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}}
}
