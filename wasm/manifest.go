package wasm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/sdk/workflow"
)

// Manifest is what a plugin may do and what it provides, written by its
// author and checked when it is uploaded. Its JSON shape:
//
//	{
//	  "name": "hash",
//	  "description": "Hashes and HMACs of task input fields",
//	  "taskTypes": ["HASH"],
//	  "workers": ["hash_fields"],
//	  "config": {"algorithm": "sha256"},
//	  "secrets": ["HMAC_KEY"],
//	  "allowedHosts": ["api.example.com", "*.example.org:8443"],
//	  "inputTemplates": {"HASH_FIELDS": {"fields": ["email"], "email": "${workflow.input.email}"}},
//	  "limits": {"memoryMiB": 64, "timeoutMs": 5000, "maxOutputBytes": 1048576,
//	             "concurrency": 2, "warm": 1, "kvBytes": 67108864}
//	}
type Manifest struct {
	// Name names the plugin: 1 to 64 lower-case letters, digits, '-' and
	// '_', starting with a letter. Versions of a plugin share its name.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// TaskTypes are the custom system task types the plugin implements: a
	// workflow task of one of these types runs inside the server. Upper
	// case, like Conductor's own types, and none of them.
	TaskTypes []string `json:"taskTypes,omitempty"`
	// Workers are the SIMPLE task names (task definition names) the
	// plugin works as a lightweight worker, beside any external worker
	// polling the same queue.
	Workers []string `json:"workers,omitempty"`
	// Domains are the task domains (Conductor's taskToDomain) the server's
	// pollers of the plugin serve besides the default one: a task routed
	// to one of them waits in that domain's queue, which only pollers of
	// that domain see. Empty: the default domain only. (baton worker
	// --plugin polls the one domain its --domain flag names.)
	Domains []string `json:"domains,omitempty"`
	// Config is handed to the plugin as is (config_get).
	Config map[string]string `json:"config,omitempty"`
	// Secrets are the names of the secrets the plugin may read
	// (secret_get). Their values come from the environment of the process
	// that runs the plugin, as BATON_SECRET_<NAME>; they are never stored.
	Secrets []string `json:"secrets,omitempty"`
	// AllowedHosts are the hosts http_fetch may reach: "host" (any port),
	// "host:port", or "*.domain" for its subdomains. Empty: none.
	AllowedHosts []string `json:"allowedHosts,omitempty"`
	// InputTemplates are, per task type or worker task name the plugin
	// provides, the inputParameters a new task of it starts with in the
	// designer, so that a task dropped on the canvas is ready to run
	// (expressions such as "${workflow.input.text}" included). Nothing
	// else reads them.
	InputTemplates map[string]map[string]any `json:"inputTemplates,omitempty"`
	// Inline makes the task types synchronous system tasks, as Conductor's
	// INLINE and JSON_JQ_TRANSFORM are: the server runs such a task in the
	// decision that schedules it, under the workflow's lock, and commits
	// its result with that decision, rather than queueing it for the
	// plugin's pollers. For quick, self-contained work (a validation, a
	// reshape, a hash); limits.timeoutMs is then at most
	// MaxInlineTimeoutMs and limits.maxOutputBytes at most
	// MaxInlineOutputBytes, since the result is committed with the
	// decision. Workers (the SIMPLE task role) are always queued.
	Inline bool   `json:"inline,omitempty"`
	Limits Limits `json:"limits"`
}

// Limits bound what one plugin may use. Zero fields take the defaults.
type Limits struct {
	// MemoryMiB caps the linear memory of each instance.
	MemoryMiB int `json:"memoryMiB,omitempty"`
	// TimeoutMs is the wall-clock deadline of one task.
	TimeoutMs int `json:"timeoutMs,omitempty"`
	// MaxOutputBytes caps the JSON result of one task.
	MaxOutputBytes int `json:"maxOutputBytes,omitempty"`
	// Concurrency is how many tasks of the plugin run at once on a server.
	Concurrency int `json:"concurrency,omitempty"`
	// Warm is how many idle instances are kept ready, from 1 to
	// Concurrency.
	Warm int `json:"warm,omitempty"`
	// KVBytes caps the plugin's key-value data: the bytes of every key
	// and value it holds, together. A kv_put that would take them over it
	// fails.
	KVBytes int `json:"kvBytes,omitempty"`
}

// Defaults and bounds of Limits.
const (
	DefaultMemoryMiB      = 64
	MaxMemoryMiB          = 4096
	DefaultTimeoutMs      = 10_000
	MaxTimeoutMs          = 15 * 60 * 1000
	DefaultMaxOutputBytes = 1 << 20
	MaxOutputBytes        = 16 << 20
	MaxInlineTimeoutMs    = 1000
	MaxInlineOutputBytes  = 256 << 10
	DefaultConcurrency    = 2
	MaxConcurrency        = 256
	DefaultWarm           = 1
	DefaultKVBytes        = 64 << 20
	MaxKVBytes            = 1 << 30
)

// MaxDomains bounds a manifest's domains: each adds its pollers.
const MaxDomains = 16

// MaxManifestBytes bounds a manifest's JSON.
const MaxManifestBytes = 64 << 10

var (
	pluginName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
	typeName   = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,127}$`)
	workerName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
	secretName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,127}$`)
	hostLabel  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// reservedTaskTypes are task types of Conductor's that Baton does not run
// but that no plugin may take either, so that Conductor definitions using
// them keep their meaning.
var reservedTaskTypes = []string{"KAFKA_PUBLISH", "BUSINESS_RULE", "UPDATE_SECRET", "GET_SIGNED_JWT", "UPDATE_TASK", "GET_WORKFLOW"}

// Ceilings are what an operator lets the manifests of a server claim, below
// the bounds of Limits: baton serve's --plugin-max-* flags. A zero field
// adds no bound. A manifest over a ceiling is refused; a default over one
// is lowered to it.
type Ceilings struct {
	MemoryMiB   int // --plugin-max-memory-mib
	TimeoutMs   int // --plugin-max-timeout
	Concurrency int // --plugin-max-concurrency
	KVBytes     int // --plugin-max-kv-bytes
}

// ErrOverCeiling is the error of a manifest that is valid but claims more
// than the server's Ceilings allow.
var ErrOverCeiling = errors.New("the manifest claims more than this server allows")

// Check returns an error unless every ceiling is zero or within the bounds
// of Limits.
func (c Ceilings) Check() error {
	var problems []string
	check := func(flag string, v, maxv int, show func(int) string) {
		if v < 0 || v > maxv {
			problems = append(problems, fmt.Sprintf("%s is %s; it must be from %s to %s (or 0 for no ceiling)", flag, show(v), show(1), show(maxv)))
		}
	}
	ms := func(v int) string { return (time.Duration(v) * time.Millisecond).String() }
	check("--plugin-max-memory-mib", c.MemoryMiB, MaxMemoryMiB, strconv.Itoa)
	check("--plugin-max-timeout", c.TimeoutMs, MaxTimeoutMs, ms)
	check("--plugin-max-concurrency", c.Concurrency, MaxConcurrency, strconv.Itoa)
	check("--plugin-max-kv-bytes", c.KVBytes, MaxKVBytes, strconv.Itoa)
	if len(problems) > 0 {
		return fmt.Errorf("plugin ceilings: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ParseManifest decodes and checks a manifest and fills in its default
// limits. Unknown fields are refused, so that a misspelt limit is not
// silently ignored. The error lists every problem found.
func ParseManifest(b []byte) (*Manifest, error) {
	return Ceilings{}.ParseManifest(b)
}

// ParseManifest is the package's ParseManifest under the ceilings c. A
// manifest that is valid but over a ceiling gets an error wrapping
// ErrOverCeiling that names the ceilings it is over.
func (c Ceilings) ParseManifest(b []byte) (*Manifest, error) {
	if len(b) > MaxManifestBytes {
		return nil, fmt.Errorf("manifest is %d bytes; at most %d are allowed", len(b), MaxManifestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest is not valid: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("manifest is not valid: data after the JSON object")
	}
	if err := m.check(c); err != nil {
		return nil, err
	}
	return &m, nil
}

// Provides returns the task types and worker task names the plugin serves.
func (m *Manifest) Provides() []string {
	return append(slices.Clone(m.TaskTypes), m.Workers...)
}

func (m *Manifest) check(c Ceilings) error {
	var problems, over []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !pluginName.MatchString(m.Name) {
		add("name %q: use 1 to 64 lower-case letters, digits, '-' and '_', starting with a letter", m.Name)
	}
	if len(m.TaskTypes) == 0 && len(m.Workers) == 0 {
		add("the plugin provides nothing: list task types in taskTypes or task names in workers")
	}
	seen := map[string]bool{}
	for _, t := range m.TaskTypes {
		switch {
		case !typeName.MatchString(t):
			add("taskTypes: %q: a task type is upper case: letters, digits and '_', starting with a letter", t)
		case slices.Contains(workflow.KnownTaskTypes(), t) || slices.Contains(reservedTaskTypes, t):
			add("taskTypes: %q is one of Conductor's own task types; pick another name", t)
		case seen[t]:
			add("taskTypes: %q is listed twice", t)
		}
		seen[t] = true
	}
	for _, w := range m.Workers {
		switch {
		case !workerName.MatchString(w):
			add("workers: %q: a task name is 1 to 128 letters, digits, '_', '.', ':' and '-'", w)
		case seen[w]:
			add("workers: %q is listed twice or is also a task type", w)
		}
		seen[w] = true
	}
	if len(m.Domains) > MaxDomains {
		add("domains: %d listed; at most %d", len(m.Domains), MaxDomains)
	}
	for i, d := range m.Domains {
		switch {
		case !workerName.MatchString(d) || strings.EqualFold(d, "NO_DOMAIN"):
			add("domains: %q: a domain is 1 to 128 letters, digits, '_', '.', ':' and '-' (the default domain is always served)", d)
		case slices.Contains(m.Domains[:i], d):
			add("domains: %q is listed twice", d)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m.InputTemplates)) {
		switch {
		case !seen[k]:
			add("inputTemplates: %q is neither one of taskTypes nor one of workers", k)
		case m.InputTemplates[k] == nil:
			add("inputTemplates: %q: an input template is a JSON object of inputParameters", k)
		}
	}
	for _, s := range m.Secrets {
		if !secretName.MatchString(s) {
			add("secrets: %q: a secret name is upper case: letters, digits and '_', starting with a letter", s)
		}
	}
	for _, h := range m.AllowedHosts {
		if err := checkHostPattern(h); err != nil {
			add("allowedHosts: %q: %v", h, err)
		}
	}
	l := &m.Limits
	var why string // of a smaller maximum
	// bound checks a limit against its maximum and the server's ceiling
	// (flag; 0 for none), and fills in its default, lowered to the
	// ceiling.
	bound := func(field string, v *int, def, maxv, ceiling int, flag string) {
		if ceiling > 0 {
			def = min(def, ceiling)
		}
		switch {
		case *v < 0:
			add("limits.%s is %d; it must be positive (or left out for %d)", field, *v, def)
		case *v > maxv:
			add("limits.%s is %d; at most %d is allowed%s", field, *v, maxv, why)
		case ceiling > 0 && *v > ceiling:
			over = append(over, fmt.Sprintf("limits.%s is %d; this server allows at most %d (baton serve %s)", field, *v, ceiling, flag))
		case *v == 0:
			*v = def
		}
	}
	bound("memoryMiB", &l.MemoryMiB, DefaultMemoryMiB, MaxMemoryMiB, c.MemoryMiB, "--plugin-max-memory-mib")
	if m.Inline {
		// An inline task holds its workflow while it runs.
		if len(m.TaskTypes) == 0 {
			add("inline applies to taskTypes, and the plugin lists none (workers are always queued)")
		}
		why = " for an inline plugin, which holds its workflow while it runs and commits its result with the workflow's decision"
		bound("timeoutMs", &l.TimeoutMs, MaxInlineTimeoutMs, MaxInlineTimeoutMs, c.TimeoutMs, "--plugin-max-timeout")
		bound("maxOutputBytes", &l.MaxOutputBytes, MaxInlineOutputBytes, MaxInlineOutputBytes, 0, "")
		why = ""
	} else {
		bound("timeoutMs", &l.TimeoutMs, DefaultTimeoutMs, MaxTimeoutMs, c.TimeoutMs, "--plugin-max-timeout")
		bound("maxOutputBytes", &l.MaxOutputBytes, DefaultMaxOutputBytes, MaxOutputBytes, 0, "")
	}
	defaultConcurrency := l.Concurrency == 0
	bound("concurrency", &l.Concurrency, DefaultConcurrency, MaxConcurrency, c.Concurrency, "--plugin-max-concurrency")
	switch {
	case l.Warm < 0:
		add("limits.warm is %d; it must be 1 or more (or left out for %d)", l.Warm, DefaultWarm)
	case l.Warm == 0:
		l.Warm = min(DefaultWarm, l.Concurrency)
	case defaultConcurrency && l.Warm > l.Concurrency && l.Warm <= DefaultConcurrency:
		l.Warm = l.Concurrency // within the default the ceiling lowered
	case l.Warm > l.Concurrency:
		add("limits.warm is %d; it may not be over limits.concurrency (%d)", l.Warm, l.Concurrency)
	}
	bound("kvBytes", &l.KVBytes, DefaultKVBytes, MaxKVBytes, c.KVBytes, "--plugin-max-kv-bytes")
	if len(problems) > 0 {
		return fmt.Errorf("manifest is not valid: %s", strings.Join(append(problems, over...), "; "))
	}
	if len(over) > 0 {
		return fmt.Errorf("%w: %s", ErrOverCeiling, strings.Join(over, "; "))
	}
	return nil
}

// checkHostPattern checks one allowedHosts entry: host, host:port or
// *.domain[:port], where host is a DNS name or an IP address.
func checkHostPattern(p string) error {
	if strings.Contains(p, "/") {
		return fmt.Errorf("not a host name, host:port or *.domain; write the host without a scheme or path")
	}
	host, port := p, ""
	if h, pt, err := net.SplitHostPort(p); err == nil {
		host, port = h, pt
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	name := strings.TrimPrefix(host, "*.")
	if name != strings.ToLower(name) {
		return fmt.Errorf("write host names in lower case")
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return fmt.Errorf("not a host name, host:port or *.domain")
		}
	}
	if name != host && len(labels) < 2 {
		return fmt.Errorf("a wildcard must cover the subdomains of a domain of at least two labels, such as *.example.com")
	}
	return nil
}
