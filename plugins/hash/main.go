// Command hash is a Baton plugin that hashes, or HMACs, fields of the task
// input.
//
// Input: fields (paths such as "user.email" or "items[*].sku", read in data
// when it is given, else in the task input), algorithm (sha256, sha512,
// sha1, md5), encoding (hex, base64, base64url), hmacSecret (the name of a
// secret listed in the manifest's secrets: the digests become HMACs keyed
// with it). algorithm, encoding and hmacSecret default to the manifest's
// config. Output: {"digests": {"user.email": "..."}, "algorithm": "sha256",
// "encoding": "hex", "hmac": false}. Strings are hashed as their UTF-8
// bytes, other values as compact JSON with sorted keys.
//
// A secret that is not set where the plugin runs fails the task (FAILED, so
// it is retried once the secret is set); any other problem fails it with
// FAILED_WITH_TERMINAL_ERROR.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o hash.wasm .
package main

import (
	"fmt"

	"github.com/batonhq/baton/sdk/plugin"
)

func init() { plugin.HandleFunc(handle) }

func main() {}

func handle(t *plugin.Task) (map[string]any, error) {
	req, err := plugin.Input[request](t)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	if err := req.withDefaults(plugin.Config); err != nil {
		return nil, plugin.Terminal(err)
	}
	var key []byte
	if name := req.HMACSecret; name != "" {
		v, ok, err := plugin.Secret(name)
		switch {
		case err != nil:
			return nil, plugin.Terminal(fmt.Errorf("hmacSecret: %w", err))
		case !ok:
			return nil, fmt.Errorf("hmacSecret: secret %s is not set: set BATON_SECRET_%s in the environment of the server or worker running the plugin", name, name)
		case v == "":
			return nil, plugin.Terminal(fmt.Errorf("hmacSecret: secret %s is empty; an HMAC needs a key", name))
		}
		key = []byte(v)
	}
	out, err := digests(&req, t.InputData, key)
	if err != nil {
		return nil, plugin.Terminal(err)
	}
	return out, nil
}
