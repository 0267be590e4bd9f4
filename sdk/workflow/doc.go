// Package workflow is Baton's model of Conductor workflows: the definition DSL
// (WorkflowDef, WorkflowTask, TaskDef), the execution records (Workflow, Task,
// TaskResult) with Conductor's JSON shapes and statuses, the validator that
// reports every problem of a definition with a JSON pointer, and the ${...}
// expression evaluator that maps inputs.
//
// Every definition type keeps the JSON fields it does not know in Extra, so a
// definition read and written back by Baton loses nothing. Numbers inside
// free-form maps (inputParameters, outputs, variables) are decoded as
// json.Number, so large integers survive round trips.
//
// The server, the CLI, the SDKs and the designer all share this package; it
// imports nothing from the server.
package workflow
