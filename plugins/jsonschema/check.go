package main

import (
	"encoding/json"
	"fmt"
	"github.com/batonhq/baton/plugins/internal/docpath"
	"strings"
	"sync"
)

// request is the task input of the plugin.
type request struct {
	// Payload is the JSON value to validate. Required (it may be null).
	Payload json.RawMessage `json:"payload"`
	// Schema is the JSON Schema; when absent, the manifest's config
	// "schema" (a JSON text) is used.
	Schema json.RawMessage `json:"schema"`
	// FailOnInvalid makes an invalid payload fail the task
	// (FAILED_WITH_TERMINAL_ERROR) instead of completing it with
	// valid: false. Defaults to the config "failOnInvalid", else false.
	FailOnInvalid *bool `json:"failOnInvalid"`
}

// report is the outcome of a validation.
type report struct {
	Valid     bool
	Errors    []verror
	Truncated bool
}

// output is the task output of a report.
func (r *report) output() map[string]any {
	out := map[string]any{"valid": r.Valid}
	if !r.Valid {
		out["errors"] = r.Errors
		if r.Truncated {
			out["errorsTruncated"] = true
		}
	}
	return out
}

// reason is the reasonForIncompletion of an invalid payload: the first
// errors, one per clause.
func (r *report) reason() string {
	var b strings.Builder
	b.WriteString("payload is not valid against the schema: ")
	for i, e := range r.Errors {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more (see outputData.errors)", len(r.Errors)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", where(e.Path), e.Message)
	}
	return b.String()
}

// schemaCache keeps compiled schemas by their JSON text: an instance serves
// many tasks, most with the same schema. Cleared when full. A compiled
// schema is read-only, so it may be shared.
var (
	schemaMu    sync.Mutex
	schemaCache = map[string]*schema{}
)

const schemaCacheSize = 32

// check validates the payload of req against its schema, or against
// configSchema when req has none. Its error means the request or the
// schema is unusable (a terminal failure: retrying cannot help).
func check(req *request, configSchema string) (*report, error) {
	if len(req.Payload) == 0 {
		return nil, fmt.Errorf("input payload is missing: pass the JSON value to validate as payload")
	}
	text := string(req.Schema)
	from := "input schema"
	if len(req.Schema) == 0 || text == "null" {
		if configSchema == "" {
			return nil, fmt.Errorf("no schema: pass one as input schema or set config schema in the plugin's manifest")
		}
		text, from = configSchema, "config schema"
	}
	schemaMu.Lock()
	s, ok := schemaCache[text]
	schemaMu.Unlock()
	if !ok {
		doc, err := docpath.Decode([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("%s is not JSON: %v", from, err)
		}
		if s, err = compileSchema(doc); err != nil {
			return nil, fmt.Errorf("%s is not usable: %v", from, err)
		}
		schemaMu.Lock()
		if len(schemaCache) >= schemaCacheSize {
			clear(schemaCache)
		}
		schemaCache[text] = s
		schemaMu.Unlock()
	}
	payload, err := docpath.Decode(req.Payload)
	if err != nil {
		return nil, fmt.Errorf("input payload is not JSON: %v", err)
	}
	errs, truncated, err := validate(s, payload)
	if err != nil {
		return nil, err
	}
	return &report{Valid: len(errs) == 0, Errors: errs, Truncated: truncated}, nil
}
