// Package pluginhttp is the HTTP client of Baton plugins written with
// sdk/plugin: an http.Client whose requests the host makes through the ABI's
// http_fetch. It is a package of its own so that plugins that do not fetch
// do not link net/http, which doubles a Go plugin's size (about 5.6 MB to
// 11 MB) and the time the server takes to compile it on upload.
//
//	resp, err := pluginhttp.Client.Get("https://api.example.com/x")
package pluginhttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/batonhq/baton/sdk/plugin/internal/hostcall"
)

// Client is an http.Client whose requests the host makes (http_fetch):
// only to the hosts in the manifest's allowedHosts, with redirects followed
// by the host (to allowed hosts only), bodies up to 4 MiB, within the task's
// deadline. Outside wasm its requests fail.
var Client = &http.Client{Transport: Transport{}}

// Transport is an http.RoundTripper over the host's http_fetch.
type Transport struct{}

type fetchRequest struct {
	Method     string            `json:"method"`
	URL        string            `json:"url"`
	Headers    map[string]string `json:"headers,omitempty"`
	BodyBase64 []byte            `json:"bodyBase64,omitempty"`
}

type fetchResponse struct {
	Status     int                 `json:"status"`
	Headers    map[string][]string `json:"headers"`
	BodyBase64 []byte              `json:"bodyBase64"`
}

// RoundTrip implements http.RoundTripper.
func (Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	fr := fetchRequest{Method: req.Method, URL: req.URL.String()}
	if len(req.Header) > 0 {
		fr.Headers = make(map[string]string, len(req.Header))
		for k, vs := range req.Header {
			fr.Headers[k] = strings.Join(vs, ", ")
		}
	}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		fr.BodyBase64 = b
	}
	b, err := json.Marshal(fr)
	if err != nil {
		return nil, err
	}
	n := hostcall.HTTPFetch(hostcall.Ptr(b), int32(len(b)))
	if n < 0 {
		return nil, hostcall.Err()
	}
	var resp fetchResponse
	if err := json.Unmarshal(hostcall.Staged(n), &resp); err != nil {
		return nil, fmt.Errorf("http_fetch: the host's response is not valid: %w", err)
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status)),
		StatusCode:    resp.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header(resp.Headers),
		Body:          io.NopCloser(bytes.NewReader(resp.BodyBase64)),
		ContentLength: int64(len(resp.BodyBase64)),
		Request:       req,
	}, nil
}
