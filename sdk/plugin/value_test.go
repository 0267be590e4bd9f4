package plugin

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// echoValue writes v through w value by value, as a plugin that reshapes
// its input would.
func echoValue(w *Writer, v Value) {
	switch v.Kind() {
	case Object:
		w.BeginObject()
		for k, m := range v.Members() {
			w.Key(k)
			echoValue(w, m)
		}
		w.EndObject()
	case Array:
		w.BeginArray()
		for _, e := range v.Elements() {
			echoValue(w, e)
		}
		w.EndArray()
	case String:
		s, _ := v.Str()
		w.String(s)
	case Bool:
		b, _ := v.Bool()
		w.Bool(b)
	case Null:
		w.Null()
	default:
		w.Value(v)
	}
}

// runJSON runs fn as the HandleJSON handler on a task whose inputData is
// in, and returns the output.
func runJSON(t testing.TB, in string, fn func(t *Task, out *Writer) (*Result, error)) (string, bool) {
	HandleJSON(fn)
	t.Cleanup(func() { Handle(nil) })
	out, isErr := handle([]byte(`{"task":{"taskId":"t1","inputData":` + in + `}}`))
	return string(out), isErr
}

// randomJSON returns a random value of depth at most d, with strings that
// need escapes, invalid UTF-8 and numbers of every form.
func randomJSON(r *rand.Rand, d int) any {
	switch k := r.IntN(8); {
	case k == 0 && d > 0:
		m := map[string]any{}
		for range r.IntN(5) {
			m[randomString(r)] = randomJSON(r, d-1)
		}
		return m
	case k == 1 && d > 0:
		var a []any
		for range r.IntN(5) {
			a = append(a, randomJSON(r, d-1))
		}
		return a
	case k == 2:
		return randomString(r)
	case k == 3:
		return json.Number(fmt.Sprint(r.Int64() - math.MaxInt64/2))
	case k == 4:
		return json.Number(fmt.Sprintf("%g", r.NormFloat64()*1e10))
	case k == 5:
		return r.IntN(2) == 0
	case k == 6:
		return nil
	}
	return json.Number("12345678901234567890123") // beyond int64
}

func randomString(r *rand.Rand) string {
	parts := []string{"a", "key", "é", "\"", "\\", "\n", "\u2028", "<&>", "\x01", "😀", "\xff", ""}
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// TestJSONEcho: an input read through Value and written back through
// Writer is the input, for random inputs; a Value's text is its JSON.
func TestJSONEcho(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		in := map[string]any{"op": "echo", "v": randomJSON(r, 4)}
		text, err := json.Marshal(in)
		require.NoError(t, err)
		out, isErr := runJSON(t, string(text), func(tk *Task, out *Writer) (*Result, error) {
			require.Nil(t, tk.InputData, "HandleJSON builds no map")
			for k, v := range tk.In().Members() {
				out.Key(k)
				echoValue(out, v)
			}
			return nil, nil
		})
		require.False(t, isErr, out)
		var got struct {
			Status string `json:"status"`
			Output any    `json:"outputData"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &got), "case %d: %s", i, out)
		var want any
		require.NoError(t, json.Unmarshal(text, &want))
		require.Equal(t, "COMPLETED", got.Status)
		require.Equal(t, want, got.Output, "case %d: %s", i, text)
	}
}

func TestValueReads(t *testing.T) {
	in := `{"s":"a\"b","n":-12,"big":12345678901234567890,"f":1.5e3,"t":true,"z":null,` +
		`"list":[1,{"id":7},[]],"obj":{"x":1,"x":2},"esc\u0041":"k"}`
	_, isErr := runJSON(t, in, func(tk *Task, _ *Writer) (*Result, error) {
		v := tk.In()
		require.Equal(t, Object, v.Kind())
		require.Equal(t, 9, v.Len())
		s, ok := v.Get("s").Str()
		require.True(t, ok)
		require.Equal(t, `a"b`, s)
		n, ok := v.Get("n").Int()
		require.True(t, ok)
		require.EqualValues(t, -12, n)
		_, ok = v.Get("big").Int()
		require.False(t, ok, "beyond int64")
		f, ok := v.Get("big").Float()
		require.True(t, ok)
		require.Equal(t, 1.2345678901234567e19, f)
		f, _ = v.Get("f").Float()
		require.Equal(t, 1500.0, f)
		b, ok := v.Get("t").Bool()
		require.True(t, b && ok)
		require.Equal(t, Null, v.Get("z").Kind())
		require.Equal(t, Missing, v.Get("nope").Kind())
		require.False(t, v.Get("nope").Get("deeper").Index(3).Exists(), "a missing value reads as missing all the way")
		id, _ := v.Get("list").Index(1).Get("id").Int()
		require.EqualValues(t, 7, id)
		require.Equal(t, 3, v.Get("list").Len())
		require.Equal(t, 0, v.Get("list").Index(2).Len())
		require.False(t, v.Get("list").Index(3).Exists())
		x, _ := v.Get("obj").Get("x").Int()
		require.EqualValues(t, 2, x, "the last of a repeated key, as encoding/json")
		k, _ := v.Get("escA").Str()
		require.Equal(t, "k", k, "a key with escapes matches its value")
		require.Equal(t, `{"id":7}`, v.Get("list").Index(1).JSON())
		require.Equal(t, map[string]any{"id": json.Number("7")}, v.Get("list").Index(1).Any())
		_, ok = v.Get("n").Str()
		require.False(t, ok, "a number is not a string")
		require.Equal(t, "number", v.Get("n").Kind().String())
		var keys []string
		for k := range v.Members() {
			keys = append(keys, k)
			if k == "f" {
				break
			}
		}
		require.Equal(t, []string{"s", "n", "big", "f"}, keys, "in order, and a break stops")
		return nil, nil
	})
	require.False(t, isErr)
}

// TestInUnderHandle: In reads InputData under Handle too.
func TestInUnderHandle(t *testing.T) {
	Handle(func(tk *Task) (*Result, error) {
		name, _ := tk.In().Get("name").Str()
		n, _ := tk.In().Get("n").Int()
		return &Result{Output: map[string]any{"name": name, "n": n}}, nil
	})
	t.Cleanup(func() { Handle(nil) })
	out, isErr := handle([]byte(input))
	require.False(t, isErr)
	require.JSONEq(t, `{"status":"COMPLETED","outputData":{"n":12345678901234567,"name":"ada"}}`, string(out))
}

func TestWriterMisuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w *Writer)
		want  string
	}{
		{"value without key", func(w *Writer) { w.Int(1) }, "value without a key in an object"},
		{"key in an array", func(w *Writer) { w.Key("a"); w.BeginArray(); w.Key("b") }, `key \"b\" where a value belongs`},
		{"two keys", func(w *Writer) { w.Key("a"); w.Key("b") }, `key \"b\" where a value belongs`},
		{"key left", func(w *Writer) { w.Key("a") }, "key without a value"},
		{"not closed", func(w *Writer) { w.Key("a"); w.BeginObject(); w.Key("b"); w.BeginArray() }, "2 objects or arrays are not closed"},
		{"closes nothing", func(w *Writer) { w.EndObject() }, "} closes nothing open"},
		{"wrong closer", func(w *Writer) { w.Key("a"); w.BeginArray(); w.EndObject() }, "} closes nothing open"},
		{"NaN", func(w *Writer) { w.Key("a"); w.Float(math.NaN()) }, "unsupported value NaN (JSON has no NaN or infinity)"},
		{"missing", func(w *Writer) { w.Key("a"); w.Value(Value{}) }, "a missing value written"},
		{"first error kept", func(w *Writer) { w.Int(1); w.EndArray() }, "value without a key in an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, isErr := runJSON(t, `{}`, func(_ *Task, w *Writer) (*Result, error) {
				tc.write(w)
				return nil, nil
			})
			require.False(t, isErr)
			require.Equal(t, `{"status":"FAILED","reasonForIncompletion":"plugin output: `+tc.want+`"}`, out)
		})
	}
}

func TestWriterResults(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(t *Task, w *Writer) (*Result, error)
		want string
	}{
		{"every kind", func(_ *Task, w *Writer) (*Result, error) {
			w.Key("s")
			w.String("é\"<")
			w.Key("i")
			w.Int(-3)
			w.Key("f")
			w.Float(0.5)
			w.Key("b")
			w.Bool(false)
			w.Key("z")
			w.Null()
			w.Key("a")
			w.BeginArray()
			w.Int(1)
			w.BeginObject()
			w.EndObject()
			w.Any([]any{"x"})
			w.EndArray()
			return nil, nil
		}, `{"status":"COMPLETED","outputData":{"s":"é\"<","i":-3,"f":0.5,"b":false,"z":null,"a":[1,{},["x"]]}}`},
		{"nothing written", func(*Task, *Writer) (*Result, error) { return nil, nil }, `{"status":"COMPLETED"}`},
		{"in progress", func(_ *Task, w *Writer) (*Result, error) {
			w.Key("done")
			w.Int(3)
			return &Result{Status: InProgress, CallbackAfterSeconds: 30}, nil
		}, `{"status":"IN_PROGRESS","outputData":{"done":3},"callbackAfterSeconds":30}`},
		{"error drops the output", func(_ *Task, w *Writer) (*Result, error) {
			w.Key("x")
			w.Int(1)
			return nil, Terminal(errors.New("never"))
		}, `{"status":"FAILED_WITH_TERMINAL_ERROR","reasonForIncompletion":"never"}`},
		{"Output set", func(*Task, *Writer) (*Result, error) { return &Result{Output: map[string]any{"x": 1}}, nil },
			`{"status":"FAILED","reasonForIncompletion":"plugin: a HandleJSON handler writes its output with its Writer; its Result.Output must be nil"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, isErr := runJSON(t, `{}`, tc.fn)
			require.False(t, isErr)
			require.Equal(t, tc.want, out)
		})
	}
}

// BenchmarkHandleJSON is the guest's side of wasm's BenchmarkRunJSON,
// natively: a 1 KB input read through Value and written back.
func BenchmarkHandleJSON(b *testing.B) {
	in := map[string]any{"op": "echo"}
	for i := range 12 {
		in[fmt.Sprintf("field%02d", i)] = map[string]any{
			"id": i * 1000003, "name": fmt.Sprintf("item number %d", i), "ok": i%2 == 0, "tags": []any{"a", "b"},
		}
	}
	text, err := json.Marshal(map[string]any{"task": map[string]any{"taskId": "t1", "inputData": in}})
	require.NoError(b, err)
	HandleJSON(func(t *Task, out *Writer) (*Result, error) {
		for k, v := range t.In().Members() {
			out.Key(k)
			echoValue(out, v)
		}
		return nil, nil
	})
	b.Cleanup(func() { Handle(nil) })
	b.ReportAllocs()
	for b.Loop() {
		if _, isErr := handle(text); isErr {
			b.Fatal("failed")
		}
	}
}
