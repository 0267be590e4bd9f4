package plugin

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// decodeStd is decodeTask's encoding/json path, the reference of decodeFast.
func decodeStd(in []byte) (*Task, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		return nil, err
	}
	return env.Task, nil
}

var codecInputs = []string{
	input,
	`{"task":{"taskId":"t","inputData":{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00 \ud800x \udc00","n":-1.5e+10,"z":0,"neg":-0.25,` +
		`"a":[1,[2,{}],[],null,true,false],"o":{"x":{"y":"z"}},"dup":1,"dup":2,"bad":"\xff\xfeok"}},"extra":[1,2]}`,
	` { "task" : { "taskId" : "t" , "retryCount" : 3 , "startTime" : 1700000000000 , "inputData" : { } } } `,
	`{"task":{"workflowTask":{"name":"x","inputParameters":{"a":"${b}"}},"status":"SCHEDULED","inputData":null}}`,
	`{"task":{"taskId":"t","inputData":{"\u0041":"k\u0000"}},"task":{"taskId":"u"}}`,
	`{"task":{"retryCount":null,"inputData":{}}}`, // falls back: null for an int
	`{"task":{"retryCount":"2"}}`,                   // falls back: encoding/json's error
	`{"task":{"retryCount":1.5}}`,                   // falls back
	`{"task":{"taskId":7}}`,                         // falls back
	`{"task":{"inputData":[1]}}`,                    // falls back
	`{"task":{"inputData":{"a":01}}}`,               // invalid
	`{"task":{"inputData":{"a":"x}}}`,               // cut short
	`{"task":{"inputData":{"a":1}}}x`,               // trailing data
	`{"task":{"inputData":{"a":tru}}}`,              // invalid
	`{"task":{"inputData":{"a":"\q"}}}`,             // invalid escape
	`{"task":{"inputData":{"a":"` + "\x01" + `"}}}`, // control character
	`{"task":null}`,
	`{"nope":1}`,
	`[]`,
	``,
}

// TestDecodeFast checks the hand-written decoder against encoding/json: the
// same task, or an error from both.
func TestDecodeFast(t *testing.T) {
	for _, in := range codecInputs {
		checkDecode(t, []byte(in))
	}
}

func FuzzDecodeFast(f *testing.F) {
	for _, in := range codecInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(checkDecode)
}

func checkDecode(t *testing.T, in []byte) {
	want, wantErr := decodeStd(in)
	got, err := decodeTask(in)
	if wantErr != nil {
		require.Error(t, err, "%s", in)
		return
	}
	if want == nil {
		require.EqualError(t, err, `no "task"`, "%s", in)
		return
	}
	require.NoError(t, err, "%s", in)
	require.Equal(t, want, got, "%s", in)
}

// TestAppendResult checks the hand-written encoder against encoding/json:
// both decode to the same value.
func TestAppendResult(t *testing.T) {
	type named string
	for _, out := range []map[string]any{
		nil,
		{"s": "a\"b\\c\n\r\t\x01\x1f<>&\u2028é😀", "bad": "x\xffy", "n": json.Number("-12.5e3"), "empty": json.Number("")},
		{"f": 1.5, "big": 1e21, "small": 1e-7, "f32": float32(0.1), "zero": 0.0, "negzero": math.Copysign(0, -1), "max": math.MaxFloat64},
		{"i": 1, "i64": int64(math.MinInt64), "i32": int32(-5), "u": uint(7), "u32": uint32(8), "u64": uint64(math.MaxUint64)},
		{"a": []any{1, "x", nil, true, []any{}, map[string]any{}}, "na": []any(nil), "nm": map[string]any(nil),
			"ss": []string{"p", "q"}, "ms": map[string]string{"k": "v"}, "nss": []string(nil), "nms": map[string]string(nil)},
		{"bytes": []byte("hi"), "named": named("x"), "struct": struct{ A int }{1}, "ints": []int{1, 2}},
	} {
		for _, r := range []*Result{
			{Status: Completed, Output: out},
			{Status: InProgress, Output: out, Reason: "why \"not\"", CallbackAfterSeconds: 30},
		} {
			want, err := json.Marshal(r)
			require.NoError(t, err)
			got, err := appendResult(nil, r, nil)
			require.NoError(t, err)
			require.True(t, json.Valid(got), "%s", got)
			require.Equal(t, decodeAny(t, want), decodeAny(t, got), "%s", got)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), json.Number("1x"), make(chan int)} {
		_, wantErr := json.Marshal(bad)
		_, err := appendResult(nil, &Result{Status: Completed, Output: map[string]any{"v": bad}}, nil)
		require.EqualError(t, err, wantErr.Error())
	}
}

func decodeAny(t *testing.T, b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

// TestInputAsEncodingJSON checks Input against encoding/json's round trip,
// keys that differ only in case included.
func TestInputAsEncodingJSON(t *testing.T) {
	type in struct {
		Name string
		N    json.Number `json:"n"`
		L    []int       `json:"l"`
	}
	task := &Task{InputData: map[string]any{"name": "b", "Name": "a", "NAME": "c", "n": json.Number("1e400"), "l": []any{json.Number("1"), 2.0}}}
	b, err := json.Marshal(task.InputData)
	require.NoError(t, err)
	var want in
	require.NoError(t, json.Unmarshal(b, &want))
	for range 20 { // map order varies from run to run
		got, err := Input[in](task)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}
