package workflow

// TimeoutPolicy says what happens when a timeout expires.
type TimeoutPolicy string

// The timeout policies of Conductor.
const (
	TimeoutRetry     TimeoutPolicy = "RETRY"       // tasks only: retry per the retry settings
	TimeoutWorkflow  TimeoutPolicy = "TIME_OUT_WF" // the workflow becomes TIMED_OUT
	TimeoutAlertOnly TimeoutPolicy = "ALERT_ONLY"  // record an alert, change nothing
)

// RetryLogic is how the delay between task attempts grows.
type RetryLogic string

// The retry delay strategies of Conductor.
const (
	RetryFixed       RetryLogic = "FIXED"
	RetryExponential RetryLogic = "EXPONENTIAL_BACKOFF"
	RetryLinear      RetryLogic = "LINEAR_BACKOFF"
)

// WorkflowDef is a versioned workflow definition in Conductor's JSON DSL.
type WorkflowDef struct {
	Name                          string           `json:"name"`
	Description                   string           `json:"description,omitempty"`
	Version                       int              `json:"version,omitempty"`
	Tasks                         []*WorkflowTask  `json:"tasks"`
	InputParameters               []string         `json:"inputParameters,omitempty"`
	OutputParameters              map[string]any   `json:"outputParameters,omitempty"`
	InputTemplate                 map[string]any   `json:"inputTemplate,omitempty"`
	FailureWorkflow               string           `json:"failureWorkflow,omitempty"`
	FailureWorkflowVersion        *int             `json:"failureWorkflowVersion,omitempty"`
	SchemaVersion                 int              `json:"schemaVersion,omitempty"`
	Restartable                   *bool            `json:"restartable,omitempty"`
	WorkflowStatusListenerEnabled bool             `json:"workflowStatusListenerEnabled,omitempty"`
	WorkflowStatusListenerSink    string           `json:"workflowStatusListenerSink,omitempty"`
	OwnerEmail                    string           `json:"ownerEmail,omitempty"`
	TimeoutSeconds                int64            `json:"timeoutSeconds,omitempty"`
	TimeoutPolicy                 TimeoutPolicy    `json:"timeoutPolicy,omitempty"`
	Variables                     map[string]any   `json:"variables,omitempty"`
	RateLimitConfig               *RateLimitConfig `json:"rateLimitConfig,omitempty"`
	InputSchema                   *SchemaDef       `json:"inputSchema,omitempty"`
	OutputSchema                  *SchemaDef       `json:"outputSchema,omitempty"`
	EnforceSchema                 *bool            `json:"enforceSchema,omitempty"`
	Metadata                      map[string]any   `json:"metadata,omitempty"`
	CacheConfig                   *CacheConfig     `json:"cacheConfig,omitempty"`
	MaskedFields                  []string         `json:"maskedFields,omitempty"`
	Auditable

	// Extra holds JSON members this type does not declare.
	Extra Extra `json:"-"`
}

// Auditable are the audit fields the server sets on definitions.
type Auditable struct {
	OwnerApp   string `json:"ownerApp,omitempty"`
	CreateTime int64  `json:"createTime,omitempty"`
	UpdateTime int64  `json:"updateTime,omitempty"`
	CreatedBy  string `json:"createdBy,omitempty"`
	UpdatedBy  string `json:"updatedBy,omitempty"`
}

// RateLimitConfig limits concurrent executions of a workflow per key.
type RateLimitConfig struct {
	RateLimitKey        string `json:"rateLimitKey,omitempty"`
	ConcurrentExecLimit int    `json:"concurrentExecLimit,omitempty"`
	Policy              string `json:"policy,omitempty"`
	Extra               Extra  `json:"-"`
}

// SchemaDef names a schema that validates inputs or outputs.
type SchemaDef struct {
	Name        string         `json:"name,omitempty"`
	Version     int            `json:"version,omitempty"`
	Type        string         `json:"type,omitempty"`
	Data        map[string]any `json:"data,omitempty"`
	ExternalRef string         `json:"externalRef,omitempty"`
	Extra       Extra          `json:"-"`
}

// CacheConfig caches task or workflow outputs by key.
type CacheConfig struct {
	Key         string `json:"key,omitempty"`
	TTLInSecond int    `json:"ttlInSecond,omitempty"`
	Extra       Extra  `json:"-"`
}

// WorkflowTask is one entry of a workflow's task list: a task to run or an
// operator holding nested task lists.
type WorkflowTask struct {
	Name                           string                     `json:"name"`
	TaskReferenceName              string                     `json:"taskReferenceName"`
	Type                           string                     `json:"type,omitempty"`
	Description                    string                     `json:"description,omitempty"`
	InputParameters                map[string]any             `json:"inputParameters,omitempty"`
	InputExpression                *InputExpression           `json:"inputExpression,omitempty"`
	Optional                       bool                       `json:"optional,omitempty"`
	Permissive                     bool                       `json:"permissive,omitempty"`
	AsyncComplete                  bool                       `json:"asyncComplete,omitempty"`
	StartDelay                     int64                      `json:"startDelay,omitempty"`
	RetryCount                     *int                       `json:"retryCount,omitempty"`
	TaskDefinition                 *TaskDef                   `json:"taskDefinition,omitempty"`
	RateLimited                    *bool                      `json:"rateLimited,omitempty"`
	EvaluatorType                  string                     `json:"evaluatorType,omitempty"`
	Expression                     string                     `json:"expression,omitempty"`
	DecisionCases                  map[string][]*WorkflowTask `json:"decisionCases,omitempty"`
	DefaultCase                    []*WorkflowTask            `json:"defaultCase,omitempty"`
	CaseValueParam                 string                     `json:"caseValueParam,omitempty"`
	CaseExpression                 string                     `json:"caseExpression,omitempty"`
	ScriptExpression               string                     `json:"scriptExpression,omitempty"`
	ForkTasks                      [][]*WorkflowTask          `json:"forkTasks,omitempty"`
	JoinOn                         []string                   `json:"joinOn,omitempty"`
	JoinMode                       string                     `json:"joinMode,omitempty"`
	JoinStatus                     string                     `json:"joinStatus,omitempty"`
	DefaultExclusiveJoinTask       []string                   `json:"defaultExclusiveJoinTask,omitempty"`
	DynamicTaskNameParam           string                     `json:"dynamicTaskNameParam,omitempty"`
	DynamicForkTasksParam          string                     `json:"dynamicForkTasksParam,omitempty"`
	DynamicForkTasksInputParamName string                     `json:"dynamicForkTasksInputParamName,omitempty"`
	DynamicForkJoinTasksParam      string                     `json:"dynamicForkJoinTasksParam,omitempty"`
	LoopCondition                  string                     `json:"loopCondition,omitempty"`
	LoopOver                       []*WorkflowTask            `json:"loopOver,omitempty"`
	Items                          any                        `json:"items,omitempty"`
	SubWorkflowParam               *SubWorkflowParams         `json:"subWorkflowParam,omitempty"`
	Sink                           string                     `json:"sink,omitempty"`
	OnStateChange                  map[string]any             `json:"onStateChange,omitempty"`
	CacheConfig                    *CacheConfig               `json:"cacheConfig,omitempty"`
	Metadata                       map[string]any             `json:"metadata,omitempty"`

	// Extra holds JSON members this type does not declare.
	Extra Extra `json:"-"`
}

// InputExpression passes a whole object as a task's input.
type InputExpression struct {
	Type       string `json:"type,omitempty"`
	Expression string `json:"expression,omitempty"`
	Extra      Extra  `json:"-"`
}

// SubWorkflowParams names the workflow a SUB_WORKFLOW task starts.
type SubWorkflowParams struct {
	Name                string            `json:"name,omitempty"`
	Version             *int              `json:"version,omitempty"`
	TaskToDomain        map[string]string `json:"taskToDomain,omitempty"`
	WorkflowDefinition  any               `json:"workflowDefinition,omitempty"`
	IdempotencyKey      string            `json:"idempotencyKey,omitempty"`
	IdempotencyStrategy string            `json:"idempotencyStrategy,omitempty"`
	Priority            any               `json:"priority,omitempty"`
	Extra               Extra             `json:"-"`
}

// TaskDef is a registered task type: its queue name, retry and timeout
// policy and limits.
type TaskDef struct {
	Name                        string         `json:"name"`
	Description                 string         `json:"description,omitempty"`
	RetryCount                  *int           `json:"retryCount,omitempty"`
	TimeoutSeconds              int64          `json:"timeoutSeconds,omitempty"`
	InputKeys                   []string       `json:"inputKeys,omitempty"`
	OutputKeys                  []string       `json:"outputKeys,omitempty"`
	TimeoutPolicy               TimeoutPolicy  `json:"timeoutPolicy,omitempty"`
	RetryLogic                  RetryLogic     `json:"retryLogic,omitempty"`
	RetryDelaySeconds           *int64         `json:"retryDelaySeconds,omitempty"`
	ResponseTimeoutSeconds      *int64         `json:"responseTimeoutSeconds,omitempty"`
	ConcurrentExecLimit         *int           `json:"concurrentExecLimit,omitempty"`
	InputTemplate               map[string]any `json:"inputTemplate,omitempty"`
	RateLimitPerFrequency       *int           `json:"rateLimitPerFrequency,omitempty"`
	RateLimitFrequencyInSeconds *int           `json:"rateLimitFrequencyInSeconds,omitempty"`
	IsolationGroupID            string         `json:"isolationGroupId,omitempty"`
	ExecutionNameSpace          string         `json:"executionNameSpace,omitempty"`
	OwnerEmail                  string         `json:"ownerEmail,omitempty"`
	PollTimeoutSeconds          *int64         `json:"pollTimeoutSeconds,omitempty"`
	BackoffScaleFactor          *int           `json:"backoffScaleFactor,omitempty"`
	MaxRetryDelaySeconds        int64          `json:"maxRetryDelaySeconds,omitempty"`
	BackoffJitterMs             int64          `json:"backoffJitterMs,omitempty"`
	TotalTimeoutSeconds         int64          `json:"totalTimeoutSeconds,omitempty"`
	BaseType                    string         `json:"baseType,omitempty"`
	RuntimeMetadata             []string       `json:"runtimeMetadata,omitempty"`
	TaskStatusListenerEnabled   *bool          `json:"taskStatusListenerEnabled,omitempty"`
	InputSchema                 *SchemaDef     `json:"inputSchema,omitempty"`
	OutputSchema                *SchemaDef     `json:"outputSchema,omitempty"`
	EnforceSchema               *bool          `json:"enforceSchema,omitempty"`
	Auditable

	// Extra holds JSON members this type does not declare.
	Extra Extra `json:"-"`
}

// Defaults of TaskDef fields, as in Conductor's code.
const (
	DefaultRetryCount             = 3
	DefaultRetryDelaySeconds      = 60
	DefaultResponseTimeoutSeconds = 3600
)

// Retries is the number of retries after a failed attempt.
func (d *TaskDef) Retries() int {
	if d.RetryCount == nil {
		return DefaultRetryCount
	}
	return *d.RetryCount
}

// RetryDelay is the base delay between attempts, in seconds.
func (d *TaskDef) RetryDelay() int64 {
	if d.RetryDelaySeconds == nil {
		return DefaultRetryDelaySeconds
	}
	return *d.RetryDelaySeconds
}

// ResponseTimeout is how long an IN_PROGRESS task may go without an update
// from its worker, in seconds.
func (d *TaskDef) ResponseTimeout() int64 {
	if d.ResponseTimeoutSeconds == nil || *d.ResponseTimeoutSeconds <= 0 {
		return DefaultResponseTimeoutSeconds
	}
	return *d.ResponseTimeoutSeconds
}

// PollTimeout is how long a SCHEDULED task may wait for a worker, in seconds;
// zero means forever.
func (d *TaskDef) PollTimeout() int64 {
	if d.PollTimeoutSeconds == nil {
		return 0
	}
	return *d.PollTimeoutSeconds
}

// ScaleFactor is the LINEAR_BACKOFF multiplier.
func (d *TaskDef) ScaleFactor() int64 {
	if d.BackoffScaleFactor == nil || *d.BackoffScaleFactor < 1 {
		return 1
	}
	return int64(*d.BackoffScaleFactor)
}

// Policy is the timeout policy, TIME_OUT_WF when unset.
func (d *TaskDef) Policy() TimeoutPolicy {
	if d.TimeoutPolicy == "" {
		return TimeoutWorkflow
	}
	return d.TimeoutPolicy
}

// IsRestartable reports whether a COMPLETED execution may be restarted.
func (d *WorkflowDef) IsRestartable() bool { return d.Restartable == nil || *d.Restartable }

// Policy is the workflow timeout policy, ALERT_ONLY when unset (as in
// Conductor's code).
func (d *WorkflowDef) Policy() TimeoutPolicy {
	if d.TimeoutPolicy == "" {
		return TimeoutAlertOnly
	}
	return d.TimeoutPolicy
}

type (
	workflowDefJSON       WorkflowDef
	workflowTaskJSON      WorkflowTask
	taskDefJSON           TaskDef
	rateLimitConfigJSON   RateLimitConfig
	schemaDefJSON         SchemaDef
	cacheConfigJSON       CacheConfig
	inputExpressionJSON   InputExpression
	subWorkflowParamsJSON SubWorkflowParams
)

// UnmarshalJSON keeps unknown members in Extra.
func (d *WorkflowDef) UnmarshalJSON(b []byte) (err error) {
	d.Extra, err = unmarshalKeeping(b, (*workflowDefJSON)(d))
	return err
}

// MarshalJSON writes unknown members back.
func (d *WorkflowDef) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*workflowDefJSON)(d), d.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (t *WorkflowTask) UnmarshalJSON(b []byte) (err error) {
	t.Extra, err = unmarshalKeeping(b, (*workflowTaskJSON)(t))
	return err
}

// MarshalJSON writes unknown members back.
func (t *WorkflowTask) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*workflowTaskJSON)(t), t.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (d *TaskDef) UnmarshalJSON(b []byte) (err error) {
	d.Extra, err = unmarshalKeeping(b, (*taskDefJSON)(d))
	return err
}

// MarshalJSON writes unknown members back.
func (d *TaskDef) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*taskDefJSON)(d), d.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (c *RateLimitConfig) UnmarshalJSON(b []byte) (err error) {
	c.Extra, err = unmarshalKeeping(b, (*rateLimitConfigJSON)(c))
	return err
}

// MarshalJSON writes unknown members back.
func (c *RateLimitConfig) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*rateLimitConfigJSON)(c), c.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (s *SchemaDef) UnmarshalJSON(b []byte) (err error) {
	s.Extra, err = unmarshalKeeping(b, (*schemaDefJSON)(s))
	return err
}

// MarshalJSON writes unknown members back.
func (s *SchemaDef) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*schemaDefJSON)(s), s.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (c *CacheConfig) UnmarshalJSON(b []byte) (err error) {
	c.Extra, err = unmarshalKeeping(b, (*cacheConfigJSON)(c))
	return err
}

// MarshalJSON writes unknown members back.
func (c *CacheConfig) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*cacheConfigJSON)(c), c.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (e *InputExpression) UnmarshalJSON(b []byte) (err error) {
	e.Extra, err = unmarshalKeeping(b, (*inputExpressionJSON)(e))
	return err
}

// MarshalJSON writes unknown members back.
func (e *InputExpression) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*inputExpressionJSON)(e), e.Extra)
}

// UnmarshalJSON keeps unknown members in Extra.
func (p *SubWorkflowParams) UnmarshalJSON(b []byte) (err error) {
	p.Extra, err = unmarshalKeeping(b, (*subWorkflowParamsJSON)(p))
	return err
}

// MarshalJSON writes unknown members back.
func (p *SubWorkflowParams) MarshalJSON() ([]byte, error) {
	return marshalKeeping((*subWorkflowParamsJSON)(p), p.Extra)
}
