package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Extra holds the JSON members of an object that its Go type does not declare.
// They are written back after the declared fields, so nothing is lost.
type Extra map[string]json.RawMessage

// Decode parses JSON into v with numbers kept as json.Number, so that large
// integers in free-form values are not rounded through float64.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// knownFields caches, per struct type, the JSON member names its fields declare.
var knownFields sync.Map // reflect.Type -> map[string]bool

func fieldNames(t reflect.Type) map[string]bool {
	if v, ok := knownFields.Load(t); ok {
		return v.(map[string]bool)
	}
	names := map[string]bool{}
	addFieldNames(t, names)
	knownFields.Store(t, names)
	return names
}

func addFieldNames(t reflect.Type, names map[string]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
			addFieldNames(f.Type, names)
		case name != "" && name != "-":
			names[name] = true
		case tag == "" && f.IsExported():
			names[f.Name] = true
		}
	}
}

// unmarshalKeeping decodes data into target (a pointer to a struct without
// custom methods) and returns the members the struct does not declare.
//
// Member names match fields exactly, as in Conductor's Jackson: encoding/json
// alone would also decode "TaskReferenceName" into taskReferenceName, and the
// member would then be written back twice.
func unmarshalKeeping(data []byte, target any) (Extra, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		// Not an object: let the decoder report it in its own words.
		return nil, Decode(data, target)
	}
	known := fieldNames(reflect.TypeOf(target).Elem())
	var extra Extra
	for k, v := range all {
		if !known[k] {
			if extra == nil {
				extra = Extra{}
			}
			extra[k] = v
			delete(all, k)
		}
	}
	if extra != nil {
		var err error
		if data, err = json.Marshal(all); err != nil {
			return nil, err
		}
	}
	if err := Decode(data, target); err != nil {
		return nil, err
	}
	return extra, nil
}

// marshalKeeping encodes v (a struct without custom methods) followed by the
// extra members that it does not already contain.
func marshalKeeping(v any, extra Extra) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return data, err
	}
	known := fieldNames(reflect.TypeOf(v).Elem())
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !known[k] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return data, nil
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Write(data[:len(data)-1])
	first := len(data) == 2 // "{}"
	for _, k := range keys {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		name, _ := json.Marshal(k)
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(extra[k])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
