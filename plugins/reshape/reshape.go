package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/batonhq/baton/plugins/internal/docpath"
)

// request is the task input of the plugin. Mapping and Defaults fall back
// to the manifest's config ("mapping", "defaults": JSON texts), so that a
// deployed plugin can carry its spec and tasks pass only data.
type request struct {
	// Data is the document to reshape. Required.
	Data json.RawMessage `json:"data"`
	// Mapping picks and renames: output path → input path (see docpath;
	// output paths are keys only). An input path that finds nothing is
	// left out of the output (a default may fill it). Without a mapping
	// the output starts as a copy of Data, which must then be an object.
	Mapping map[string]string `json:"mapping"`
	// Defaults are values for output paths that are missing or null after
	// the mapping.
	Defaults map[string]json.RawMessage `json:"defaults"`
	// DropNulls removes the null members of objects, at every depth
	// (array items are kept, so that positions do not shift).
	DropNulls bool `json:"dropNulls"`
	// Flatten turns nested objects into one level, joining keys with
	// Separator ("." by default): {"a":{"b":1}} → {"a.b":1}. Arrays are
	// values, not flattened.
	Flatten   bool   `json:"flatten"`
	Separator string `json:"separator"`
}

// maxEntries bounds the mapping and the defaults of one task.
const maxEntries = 1024

// withConfig fills Mapping and Defaults from the manifest's config when the
// input has none.
func (r *request) withConfig(config func(string) (string, bool)) error {
	if r.Mapping == nil {
		if text, ok := config("mapping"); ok {
			if err := json.Unmarshal([]byte(text), &r.Mapping); err != nil {
				return fmt.Errorf("config mapping is not a JSON object of path strings: %v", err)
			}
		}
	}
	if r.Defaults == nil {
		if text, ok := config("defaults"); ok {
			if err := json.Unmarshal([]byte(text), &r.Defaults); err != nil {
				return fmt.Errorf("config defaults is not a JSON object: %v", err)
			}
		}
	}
	return nil
}

// reshape applies req to req.Data and returns the output document: mapping,
// then defaults, then dropNulls, then flatten.
func reshape(req *request) (map[string]any, error) {
	if len(req.Data) == 0 {
		return nil, errors.New("input data is missing: pass the document to reshape as data")
	}
	if len(req.Mapping) > maxEntries || len(req.Defaults) > maxEntries {
		return nil, fmt.Errorf("mapping and defaults may have at most %d entries each", maxEntries)
	}
	data, err := docpath.Decode(req.Data)
	if err != nil {
		return nil, fmt.Errorf("input data is not JSON: %v", err)
	}
	var out map[string]any
	if req.Mapping == nil {
		obj, ok := data.(map[string]any)
		if !ok {
			return nil, errors.New("input data is not an object; give a mapping to pick values out of it")
		}
		out = obj
	} else {
		out = map[string]any{}
		// In output path order: "a" is written before "a.b", so a
		// conflict between them is reported the same way every time.
		for _, to := range slices.Sorted(maps.Keys(req.Mapping)) {
			from, err := docpath.Parse(req.Mapping[to])
			if err != nil {
				return nil, fmt.Errorf("mapping %q: %v", to, err)
			}
			v, ok := from.Get(data)
			if !ok {
				continue
			}
			if err := set(out, to, v); err != nil {
				return nil, fmt.Errorf("mapping %q: %v", to, err)
			}
		}
	}
	for _, to := range slices.Sorted(maps.Keys(req.Defaults)) {
		p, err := docpath.Parse(to)
		if err != nil {
			return nil, fmt.Errorf("defaults %q: %v", to, err)
		}
		if v, ok := p.Get(out); ok && v != nil {
			continue
		}
		def, err := docpath.Decode(req.Defaults[to])
		if err != nil {
			return nil, fmt.Errorf("defaults %q is not JSON: %v", to, err)
		}
		if err := p.Set(out, def); err != nil {
			return nil, fmt.Errorf("defaults %q: %v", to, err)
		}
	}
	if req.DropNulls {
		dropNulls(out)
	}
	if req.Flatten {
		sep := req.Separator
		if sep == "" {
			sep = "."
		}
		flat := map[string]any{}
		if err := flatten(flat, "", sep, out); err != nil {
			return nil, err
		}
		out = flat
	}
	return out, nil
}

func set(doc map[string]any, path string, v any) error {
	p, err := docpath.Parse(path)
	if err != nil {
		return err
	}
	return p.Set(doc, v)
}

func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				dropNulls(e)
			}
		}
	case []any:
		for _, e := range v {
			dropNulls(e)
		}
	}
}

func flatten(out map[string]any, prefix, sep string, m map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		key := k
		if prefix != "" {
			key = prefix + sep + k
		}
		if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
			if err := flatten(out, key, sep, sub); err != nil {
				return err
			}
			continue
		}
		if _, dup := out[key]; dup {
			return fmt.Errorf("flatten: two values flatten to the key %q; choose another separator", key)
		}
		out[key] = m[k]
	}
	return nil
}
