package storetest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

func testEventHandlers(t *testing.T, h Harness) {
	setup := setupFunc(h)

	// handler returns an event handler with every kind of field set,
	// unknown JSON members at each level included.
	handler := func(name string) *workflow.EventHandler {
		return &workflow.EventHandler{
			Name:          name,
			Event:         "conductor:order:paid",
			Condition:     "$.amount > 10",
			EvaluatorType: "javascript",
			Active:        true,
			Actions: []*workflow.EventAction{
				{
					Action: workflow.ActionStartWorkflow,
					StartWorkflow: &workflow.StartWorkflowParam{
						Name:          "ship",
						Version:       3,
						CorrelationID: "${orderId}",
						Input:         map[string]any{"orderId": "${orderId}", "n": json.Number("9007199254740993")},
						TaskToDomain:  map[string]string{"*": "blue"},
						Extra:         workflow.Extra{"x-start": json.RawMessage(`"kept"`)},
					},
					ExpandInlineJSON: true,
					Extra:            workflow.Extra{"x-action": json.RawMessage(`[1,2]`)},
				},
				{
					Action: workflow.ActionCompleteTask,
					CompleteTask: &workflow.TaskDetails{
						WorkflowID:  "${workflowId}",
						TaskRefName: "wait_ref",
						Output:      map[string]any{"paid": true, "list": []any{json.Number("1.5"), nil}},
						Extra:       workflow.Extra{"x-details": json.RawMessage(`{"a":null}`)},
					},
				},
				{
					Action:   workflow.ActionFailTask,
					FailTask: &workflow.TaskDetails{TaskID: "${taskId}", ReasonForIncompletion: "refused"},
				},
			},
			Extra: workflow.Extra{"x-owner": json.RawMessage(`{"team":"payments"}`), "createdBy": json.RawMessage(`"ann"`)},
		}
	}
	handlerNames := func(t *testing.T, b *testBundle) []string {
		t.Helper()
		list, err := b.store.EventHandlerList(b.ctx)
		require.NoError(t, err)
		names := []string{}
		for _, h := range list {
			names = append(names, h.Name)
		}
		return names
	}

	t.Run("PutGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		want := handler("on_paid")
		require.NoError(t, b.store.EventHandlerPut(b.ctx, want))
		got, err := b.store.EventHandlerGet(b.ctx, "on_paid")
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("PutReplaces", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.EventHandlerPut(b.ctx, handler("on_paid")))
		changed := handler("on_paid")
		changed.Active = false
		changed.Actions = changed.Actions[2:]
		changed.Extra = nil
		require.NoError(t, b.store.EventHandlerPut(b.ctx, changed))

		got, err := b.store.EventHandlerGet(b.ctx, "on_paid")
		require.NoError(t, err)
		require.Equal(t, changed, got)
		require.Equal(t, []string{"on_paid"}, handlerNames(t, b))
	})

	t.Run("PutNeedsName", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.Error(t, b.store.EventHandlerPut(b.ctx, handler("")))
		require.Error(t, b.store.EventHandlerPut(b.ctx, nil))
		require.Empty(t, handlerNames(t, b))
	})

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := b.store.EventHandlerGet(b.ctx, "missing")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorContains(t, err, "missing")

		// Names are not prefixes of one another.
		require.NoError(t, b.store.EventHandlerPut(b.ctx, handler("on_paid")))
		_, err = b.store.EventHandlerGet(b.ctx, "on_pai")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ListSorted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		list, err := b.store.EventHandlerList(b.ctx)
		require.NoError(t, err)
		require.NotNil(t, list)
		require.Empty(t, list)

		for _, name := range []string{"b", "ab", "a", "B"} {
			require.NoError(t, b.store.EventHandlerPut(b.ctx, handler(name)))
		}
		require.Equal(t, []string{"B", "a", "ab", "b"}, handlerNames(t, b))
		list, err = b.store.EventHandlerList(b.ctx)
		require.NoError(t, err)
		require.Equal(t, handler("a"), list[1])

		// Kept apart from task definitions of the same name.
		require.NoError(t, b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{{Name: "a"}}))
		require.Equal(t, []string{"B", "a", "ab", "b"}, handlerNames(t, b))
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.EventHandlerPut(b.ctx, handler("a")))
		require.NoError(t, b.store.EventHandlerPut(b.ctx, handler("b")))
		require.NoError(t, b.store.EventHandlerDelete(b.ctx, "a"))

		_, err := b.store.EventHandlerGet(b.ctx, "a")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, b.store.EventHandlerDelete(b.ctx, "a"), store.ErrNotFound)
		require.ErrorIs(t, b.store.EventHandlerDelete(b.ctx, "never"), store.ErrNotFound)
		require.Equal(t, []string{"b"}, handlerNames(t, b))
	})

	t.Run("SurviveRestart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.EventHandlerPut(b.ctx, handler("on_paid")))
		require.NoError(t, b.store.EventHandlerPut(b.ctx, handler("gone")))
		require.NoError(t, b.store.EventHandlerDelete(b.ctx, "gone"))

		b.restart(t)
		got, err := b.store.EventHandlerGet(b.ctx, "on_paid")
		require.NoError(t, err)
		require.Equal(t, handler("on_paid"), got)
		require.Equal(t, []string{"on_paid"}, handlerNames(t, b))
	})
}
