package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/batonhq/baton/plugins/internal/docpath"
)

// request is the task input of the plugin.
type request struct {
	// Fields are the paths of the values to hash (see docpath), in Data
	// when it is given, else in the task input itself.
	Fields []string `json:"fields"`
	// Algorithm is sha256 (the default), sha512, sha1 or md5 (the last two
	// for matching old systems, not for security).
	Algorithm string `json:"algorithm"`
	// Encoding of the digests: hex (the default), base64 or base64url
	// (both padded).
	Encoding string `json:"encoding"`
	// HMACSecret names a secret of the manifest: when set, the digests are
	// HMACs keyed with its value.
	HMACSecret string `json:"hmacSecret"`
	// Data, when given, is the document the field paths are read in.
	Data json.RawMessage `json:"data"`
}

// maxFields bounds the fields of one task.
const maxFields = 256

var algorithms = map[string]func() hash.Hash{
	"sha256": sha256.New,
	"sha512": sha512.New,
	"sha1":   sha1.New,
	"md5":    md5.New,
}

var encodings = map[string]func([]byte) string{
	"hex":       hex.EncodeToString,
	"base64":    base64.StdEncoding.EncodeToString,
	"base64url": base64.URLEncoding.EncodeToString,
}

// withDefaults fills the options left out of the input from the
// manifest's config (algorithm, encoding, hmacSecret), then the built-in
// defaults, and checks them.
func (r *request) withDefaults(config func(string) (string, bool)) error {
	for key, field := range map[string]*string{"algorithm": &r.Algorithm, "encoding": &r.Encoding, "hmacSecret": &r.HMACSecret} {
		if *field == "" {
			*field, _ = config(key)
		}
	}
	if r.Algorithm == "" {
		r.Algorithm = "sha256"
	}
	if r.Encoding == "" {
		r.Encoding = "hex"
	}
	r.Algorithm = strings.ToLower(r.Algorithm)
	if algorithms[r.Algorithm] == nil {
		return fmt.Errorf("algorithm %q: use sha256, sha512, sha1 or md5", r.Algorithm)
	}
	if encodings[r.Encoding] == nil {
		return fmt.Errorf("encoding %q: use hex, base64 or base64url", r.Encoding)
	}
	if len(r.Fields) == 0 {
		return errors.New("input fields is missing: list the paths of the values to hash, such as [\"user.email\"]")
	}
	if len(r.Fields) > maxFields {
		return fmt.Errorf("input fields lists %d paths; at most %d are allowed", len(r.Fields), maxFields)
	}
	return nil
}

// digests hashes each field of req in doc (the task input, or req.Data),
// keyed with key when it is not nil, and returns the task output:
// {"digests": {path: digest}, "algorithm": ..., "encoding": ..., "hmac": bool}.
//
// A string is hashed as its UTF-8 bytes; any other value as its compact
// JSON with object keys sorted and numbers as written, so that the same
// value always gives the same digest.
func digests(req *request, doc any, key []byte) (map[string]any, error) {
	if len(req.Data) > 0 {
		var err error
		if doc, err = docpath.Decode(req.Data); err != nil {
			return nil, fmt.Errorf("input data is not JSON: %v", err)
		}
	}
	newHash, encode := algorithms[req.Algorithm], encodings[req.Encoding]
	out := make(map[string]any, len(req.Fields))
	for _, f := range slices.Compact(slices.Sorted(slices.Values(req.Fields))) {
		p, err := docpath.Parse(f)
		if err != nil {
			return nil, fmt.Errorf("fields: %v", err)
		}
		v, ok := p.Get(doc)
		if !ok {
			return nil, fmt.Errorf("field %q is not in the input", f)
		}
		b, err := valueBytes(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %v", f, err)
		}
		var h hash.Hash
		if key != nil {
			h = hmac.New(newHash, key)
		} else {
			h = newHash()
		}
		h.Write(b)
		out[f] = encode(h.Sum(nil))
	}
	return map[string]any{"digests": out, "algorithm": req.Algorithm, "encoding": req.Encoding, "hmac": key != nil}, nil
}

func valueBytes(v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return []byte(s), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
