package workflow

// Task types of Conductor that Baton knows.
const (
	TypeSimple          = "SIMPLE"
	TypeDynamic         = "DYNAMIC"
	TypeForkJoin        = "FORK_JOIN"
	TypeFork            = "FORK" // an alias of FORK_JOIN
	TypeForkJoinDynamic = "FORK_JOIN_DYNAMIC"
	TypeDecision        = "DECISION"
	TypeSwitch          = "SWITCH"
	TypeJoin            = "JOIN"
	TypeExclusiveJoin   = "EXCLUSIVE_JOIN"
	TypeDoWhile         = "DO_WHILE"
	TypeSubWorkflow     = "SUB_WORKFLOW"
	TypeStartWorkflow   = "START_WORKFLOW"
	TypeEvent           = "EVENT"
	TypeWait            = "WAIT"
	TypeHuman           = "HUMAN"
	TypeHTTP            = "HTTP"
	TypeLambda          = "LAMBDA"
	TypeInline          = "INLINE"
	TypeTerminate       = "TERMINATE"
	TypeJSONJQTransform = "JSON_JQ_TRANSFORM"
	TypeSetVariable     = "SET_VARIABLE"
	TypeNoop            = "NOOP"
)

// TaskType returns the type of a workflow task, SIMPLE when unset.
func (t *WorkflowTask) TaskType() string {
	if t.Type == "" {
		return TypeSimple
	}
	return t.Type
}
