package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	batonv1 "github.com/batonhq/baton/sdk/gen/baton/v1"
	"github.com/batonhq/baton/sdk/workflow"
)

// decodeJSON parses a JSON document into v with workflow.Decode (numbers
// stay json.Number). what names the document in the error, which says
// where the JSON broke.
func decodeJSON(what string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return invalid("%s is empty; send a JSON document", what)
	}
	if err := workflow.Decode(data, v); err != nil {
		return invalid("%s is not valid: %s", what, describeJSONError(data, err))
	}
	return nil
}

// describeJSONError says where and why JSON could not be decoded.
func describeJSONError(data []byte, err error) string {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		line, col := position(data, syntax.Offset)
		return fmt.Sprintf("malformed JSON at line %d, column %d: %s", line, col, syntax.Error())
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("expected a JSON %s, got a JSON %s", jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Sprintf("member %q must be a JSON %s, got a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: the document ends early (is it truncated?)"
	}
	return err.Error()
}

// jsonKind names a Go kind the way a JSON user would.
func jsonKind(kind string) string {
	switch {
	case kind == "map" || kind == "struct":
		return "object"
	case kind == "slice" || kind == "array":
		return "array"
	case strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "bool":
		return "boolean"
	}
	return kind
}

// position turns the offset of a json.SyntaxError (the number of bytes read
// when the error was found, so the offending byte is the one before it) into
// the 1-based line and column of that byte.
func position(data []byte, offset int64) (line, col int) {
	at := int(min(max(offset-1, 0), int64(len(data))))
	before := data[:at]
	line = bytes.Count(before, []byte("\n")) + 1
	col = at - bytes.LastIndexByte(before, '\n')
	return line, col
}

// decodeObject decodes an optional JSON object held in a proto string field;
// "" is no object.
func decodeObject(field, text string) (map[string]any, error) {
	if text == "" {
		return nil, nil
	}
	var m map[string]any
	if err := decodeJSON(field, []byte(text), &m); err != nil {
		return nil, err
	}
	return m, nil
}

// encodeObject encodes a free-form object for a proto string field; nil is
// "" unless always.
func encodeObject(m map[string]any, always bool) (string, error) {
	if m == nil {
		if always {
			return "{}", nil
		}
		return "", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode JSON: %w", err)
	}
	return string(b), nil
}

const (
	taskStatusPrefix     = "TASK_STATUS_"
	workflowStatusPrefix = "WORKFLOW_STATUS_"
)

func taskStatusToProto(s workflow.TaskStatus) batonv1.TaskStatus {
	return batonv1.TaskStatus(batonv1.TaskStatus_value[taskStatusPrefix+string(s)])
}

func taskStatusFromProto(field string, s batonv1.TaskStatus) (workflow.TaskStatus, error) {
	if s == batonv1.TaskStatus_TASK_STATUS_UNSPECIFIED {
		return "", nil
	}
	name, ok := batonv1.TaskStatus_name[int32(s)]
	if !ok {
		return "", invalid("%s %d is not a known TaskStatus", field, int32(s))
	}
	return workflow.TaskStatus(strings.TrimPrefix(name, taskStatusPrefix)), nil
}

func workflowStatusToProto(s workflow.Status) batonv1.WorkflowStatus {
	return batonv1.WorkflowStatus(batonv1.WorkflowStatus_value[workflowStatusPrefix+string(s)])
}

func taskToProto(t *workflow.Task) (*batonv1.Task, error) {
	input, err := encodeObject(t.InputData, true)
	if err != nil {
		return nil, fmt.Errorf("task %s input: %w", t.TaskID, err)
	}
	output, err := encodeObject(t.OutputData, false)
	if err != nil {
		return nil, fmt.Errorf("task %s output: %w", t.TaskID, err)
	}
	return &batonv1.Task{
		TaskId:                 t.TaskID,
		TaskType:               t.TaskType,
		TaskDefName:            t.TaskDefName,
		ReferenceTaskName:      t.ReferenceTaskName,
		WorkflowInstanceId:     t.WorkflowInstanceID,
		WorkflowType:           t.WorkflowType,
		CorrelationId:          t.CorrelationID,
		Status:                 taskStatusToProto(t.Status),
		InputJson:              input,
		OutputJson:             output,
		ReasonForIncompletion:  t.ReasonForIncompletion,
		Seq:                    int32(t.Seq),
		RetryCount:             int32(t.RetryCount),
		PollCount:              int32(t.PollCount),
		RetriedTaskId:          t.RetriedTaskID,
		WorkerId:               t.WorkerID,
		Domain:                 t.Domain,
		ScheduledTime:          t.ScheduledTime,
		StartTime:              t.StartTime,
		EndTime:                t.EndTime,
		UpdateTime:             t.UpdateTime,
		CallbackAfterSeconds:   t.CallbackAfterSeconds,
		ResponseTimeoutSeconds: t.ResponseTimeoutSeconds,
		WorkflowPriority:       int32(t.WorkflowPriority),
		Iteration:              int32(t.Iteration),
		SubWorkflowId:          t.SubWorkflowID,
	}, nil
}

func tasksToProto(ts []*workflow.Task) ([]*batonv1.Task, error) {
	out := make([]*batonv1.Task, 0, len(ts))
	for _, t := range ts {
		p, err := taskToProto(t)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func workflowToProto(w *workflow.Workflow) (*batonv1.Workflow, error) {
	input, err := encodeObject(w.Input, true)
	if err != nil {
		return nil, fmt.Errorf("workflow %s input: %w", w.WorkflowID, err)
	}
	output, err := encodeObject(w.Output, false)
	if err != nil {
		return nil, fmt.Errorf("workflow %s output: %w", w.WorkflowID, err)
	}
	variables, err := encodeObject(w.Variables, false)
	if err != nil {
		return nil, fmt.Errorf("workflow %s variables: %w", w.WorkflowID, err)
	}
	tasks, err := tasksToProto(w.Tasks)
	if err != nil {
		return nil, err
	}
	return &batonv1.Workflow{
		WorkflowId:               w.WorkflowID,
		Name:                     w.WorkflowName,
		Version:                  int32(w.WorkflowVersion),
		Status:                   workflowStatusToProto(w.Status),
		CorrelationId:            w.CorrelationID,
		Priority:                 int32(w.Priority),
		InputJson:                input,
		OutputJson:               output,
		VariablesJson:            variables,
		ReasonForIncompletion:    w.ReasonForIncompletion,
		FailedReferenceTaskNames: w.FailedReferenceTaskNames,
		ParentWorkflowId:         w.ParentWorkflowID,
		ParentWorkflowTaskId:     w.ParentWorkflowTaskID,
		CreateTime:               w.CreateTime,
		UpdateTime:               w.UpdateTime,
		EndTime:                  w.EndTime,
		TaskToDomain:             w.TaskToDomain,
		IdempotencyKey:           w.IdempotencyKey,
		Tasks:                    tasks,
	}, nil
}

func taskResultFromProto(r *batonv1.TaskResult) (*workflow.TaskResult, error) {
	if r == nil {
		return nil, invalid("result is required")
	}
	status, err := taskStatusFromProto("result.status", r.GetStatus())
	if err != nil {
		return nil, err
	}
	output, err := decodeObject("result.output_json", r.GetOutputJson())
	if err != nil {
		return nil, err
	}
	res := &workflow.TaskResult{
		WorkflowInstanceID:    r.GetWorkflowInstanceId(),
		TaskID:                r.GetTaskId(),
		Status:                status,
		OutputData:            output,
		ReasonForIncompletion: r.GetReasonForIncompletion(),
		CallbackAfterSeconds:  r.GetCallbackAfterSeconds(),
		WorkerID:              r.GetWorkerId(),
		ExtendLease:           r.GetExtendLease(),
		PollCount:             int(r.GetPollCount()),
	}
	for _, l := range r.GetLogs() {
		res.Logs = append(res.Logs, workflow.TaskExecLog{Log: l, TaskID: r.GetTaskId()})
	}
	return res, nil
}

func startRequestFromProto(r *batonv1.StartWorkflowRequest) (*workflow.StartRequest, error) {
	input, err := decodeObject("input_json", r.GetInputJson())
	if err != nil {
		return nil, err
	}
	return &workflow.StartRequest{
		Name:          r.GetName(),
		Version:       int(r.GetVersion()),
		CorrelationID: r.GetCorrelationId(),
		Input:         input,
		TaskToDomain:  r.GetTaskToDomain(),
		Priority:      int(r.GetPriority()),
		// The engine applies the key: it refuses the start or answers
		// with the existing execution, as the strategy says.
		IdempotencyKey:      r.GetIdempotencyKey(),
		IdempotencyStrategy: r.GetIdempotencyStrategy(),
	}, nil
}
