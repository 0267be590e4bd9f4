package wasm

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Bounds of http_fetch.
const (
	maxFetchBody      = 4 << 20
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

// defaultHTTPClient is the client of http_fetch when HostConfig leaves it
// nil. Its dialer refuses unspecified, link-local and multicast addresses
// (cloud metadata endpoints live at 169.254.169.254), checked on the
// address actually dialled, after DNS; loopback and private addresses are
// reachable only if a manifest names them, since allowedHosts is exact.
func defaultHTTPClient() *http.Client {
	d := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip := net.ParseIP(host)
			if ip == nil || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsMulticast() {
				return fmt.Errorf("address %s is refused: plugins may not reach unspecified, link-local or multicast addresses", host)
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
