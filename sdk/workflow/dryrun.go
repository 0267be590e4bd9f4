package workflow

// DryRunRequest asks the server to run a workflow definition in memory,
// without workers: every task that needs outside work (SIMPLE, HTTP, WAIT,
// HUMAN, SUB_WORKFLOW, EVENT, plugin types...) ends with its mock, and the
// operators and scripts run as they really do. Nothing is stored.
type DryRunRequest struct {
	WorkflowDef *WorkflowDef   `json:"workflowDef"`
	Input       map[string]any `json:"input,omitempty"`
	// Mocks are keyed by task reference name (without the __N suffix of
	// loop iterations, or with it for one iteration only). A task without
	// a mock completes with an empty output.
	Mocks map[string]*TaskMock `json:"mocks,omitempty"`
	// MaxSteps bounds the tasks the run goes through; 0 means the server's
	// bound (10,000), which is also the most allowed.
	MaxSteps int `json:"maxSteps,omitempty"`
}

// MockOutcome is how a mocked task ends.
type MockOutcome struct {
	// Status is COMPLETED (the default), FAILED or
	// FAILED_WITH_TERMINAL_ERROR.
	Status                TaskStatus     `json:"status,omitempty"`
	Output                map[string]any `json:"output,omitempty"`
	ReasonForIncompletion string         `json:"reasonForIncompletion,omitempty"`
}

// TaskMock is the mock of one task reference name: one outcome for every
// run of the task, or a Sequence taken in order, one per run (each loop
// iteration and each retry takes the next). Once the sequence is used up,
// the mock's own outcome applies.
type TaskMock struct {
	MockOutcome
	Sequence []MockOutcome `json:"sequence,omitempty"`
}

// DryRunStep is one task of a dry run, in the order the decider scheduled
// them, as it ended (or stood when the run stopped).
type DryRunStep struct {
	TaskReferenceName     string         `json:"taskReferenceName"`
	TaskType              string         `json:"taskType"`
	Status                TaskStatus     `json:"status"`
	Iteration             int            `json:"iteration,omitempty"`
	RetryCount            int            `json:"retryCount,omitempty"`
	Input                 map[string]any `json:"input"`
	Output                map[string]any `json:"output"`
	ReasonForIncompletion string         `json:"reasonForIncompletion,omitempty"`
	// Notes say where the outcome came from (which mock, or none) and
	// what the server would have done for real (start a sub-workflow,
	// publish an event).
	Notes []string `json:"notes,omitempty"`
}

// DryRunResult is the path a dry run took and where it ended.
type DryRunResult struct {
	Status                Status         `json:"status"`
	Output                map[string]any `json:"output"`
	Variables             map[string]any `json:"variables,omitempty"`
	ReasonForIncompletion string         `json:"reasonForIncompletion,omitempty"`
	Steps                 []DryRunStep   `json:"steps"`
	// Stopped is set when the run hit its bound of steps (or found nothing
	// left to do) before the workflow ended; Notes say which.
	Stopped bool     `json:"stopped,omitempty"`
	Notes   []string `json:"notes,omitempty"`
}
