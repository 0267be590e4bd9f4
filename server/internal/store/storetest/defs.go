package storetest

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

func testDefs(t *testing.T, h Harness) {
	setup := setupFunc(h)

	taskDef := func(name string) *workflow.TaskDef {
		retries, delay := 5, int64(7)
		return &workflow.TaskDef{
			Name:              name,
			Description:       "does " + name,
			RetryCount:        &retries,
			RetryDelaySeconds: &delay,
			TimeoutSeconds:    1 << 40,
			InputKeys:         []string{"a", "b"},
			InputTemplate:     map[string]any{"n": json.Number("18446744073709551617")},
			Auditable:         workflow.Auditable{CreatedBy: "ann", CreateTime: 1_700_000_000_000},
			Extra:             workflow.Extra{"x-custom": json.RawMessage(`{"kept":[1,2]}`)},
		}
	}
	workflowDef := func(name string, version int) *workflow.WorkflowDef {
		return &workflow.WorkflowDef{
			Name:    name,
			Version: version,
			Tasks: []*workflow.WorkflowTask{{
				Name:              "charge",
				TaskReferenceName: "charge_ref",
				Type:              workflow.TypeSimple,
				InputParameters:   map[string]any{"n": json.Number("9007199254740993")},
			}},
			OutputParameters: map[string]any{"out": "${charge_ref.output}"},
			TimeoutSeconds:   60,
			Extra:            workflow.Extra{"x-ui": json.RawMessage(`{"x":1}`)},
		}
	}
	defNames := func(defs []*workflow.WorkflowDef) []string {
		var names []string
		for _, d := range defs {
			names = append(names, d.Name+"/"+strconv.Itoa(d.Version))
		}
		return names
	}

	t.Run("TaskDefPutGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		want := taskDef("charge")
		require.NoError(t, b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{want}))
		got, err := b.store.TaskDefGet(b.ctx, "charge")
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("TaskDefPutReplaces", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{taskDef("charge")}))
		changed := taskDef("charge")
		changed.Description = "changed"
		changed.Extra = nil
		require.NoError(t, b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{changed}))

		got, err := b.store.TaskDefGet(b.ctx, "charge")
		require.NoError(t, err)
		require.Equal(t, changed, got)
	})

	t.Run("TaskDefPutAllOrNone", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		err := b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{taskDef("good"), taskDef("")})
		require.Error(t, err)
		_, err = b.store.TaskDefGet(b.ctx, "good")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("TaskDefGetNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := b.store.TaskDefGet(b.ctx, "missing")
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("TaskDefListSorted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		list, err := b.store.TaskDefList(b.ctx)
		require.NoError(t, err)
		require.Empty(t, list)

		require.NoError(t, b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{taskDef("b"), taskDef("ab"), taskDef("a")}))
		require.NoError(t, b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{taskDef("B")}))
		list, err = b.store.TaskDefList(b.ctx)
		require.NoError(t, err)
		var names []string
		for _, d := range list {
			names = append(names, d.Name)
		}
		require.Equal(t, []string{"B", "a", "ab", "b"}, names)
		require.Equal(t, taskDef("a"), list[1])
	})

	t.Run("TaskDefDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.TaskDefPut(b.ctx, []*workflow.TaskDef{taskDef("a"), taskDef("b")}))
		require.NoError(t, b.store.TaskDefDelete(b.ctx, "a"))

		_, err := b.store.TaskDefGet(b.ctx, "a")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, b.store.TaskDefDelete(b.ctx, "a"), store.ErrNotFound)
		require.ErrorIs(t, b.store.TaskDefDelete(b.ctx, "never"), store.ErrNotFound)

		list, err := b.store.TaskDefList(b.ctx)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, "b", list[0].Name)
	})

	t.Run("WorkflowDefPutGet", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		want := workflowDef("order", 1)
		require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: want}))
		got, err := b.store.WorkflowDefGet(b.ctx, "order", 1)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})

	t.Run("WorkflowDefGetLatest", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// Version 10 must sort after 9 (numbers, not strings), and the
		// versions of "order" must not mix with those of "order2".
		for _, v := range []int{2, 10, 1, 9} {
			require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("order", v)}))
		}
		require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("order2", 50)}))
		require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("orde", 70)}))

		got, err := b.store.WorkflowDefGet(b.ctx, "order", 0)
		require.NoError(t, err)
		require.Equal(t, workflowDef("order", 10), got)

		got, err = b.store.WorkflowDefGet(b.ctx, "order", 9)
		require.NoError(t, err)
		require.Equal(t, 9, got.Version)

		got, err = b.store.WorkflowDefGet(b.ctx, "orde", 0)
		require.NoError(t, err)
		require.Equal(t, 70, got.Version)
	})

	t.Run("WorkflowDefGetNotFound", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := b.store.WorkflowDefGet(b.ctx, "order", 0)
		require.ErrorIs(t, err, store.ErrNotFound)

		require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("order", 1)}))
		_, err = b.store.WorkflowDefGet(b.ctx, "order", 2)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.store.WorkflowDefGet(b.ctx, "orde", 0)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = b.store.WorkflowDefGet(b.ctx, "order1", 1)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("WorkflowDefListSorted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		list, err := b.store.WorkflowDefList(b.ctx)
		require.NoError(t, err)
		require.Empty(t, list)

		for _, d := range []*workflow.WorkflowDef{
			workflowDef("b", 1), workflowDef("a", 10), workflowDef("ab", 1), workflowDef("a", 2), workflowDef("a", 1),
		} {
			require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: d}))
		}
		list, err = b.store.WorkflowDefList(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"a/1", "a/2", "a/10", "ab/1", "b/1"}, defNames(list))
		require.Equal(t, workflowDef("a", 2), list[1])
	})

	t.Run("WorkflowDefPutExists", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("order", 1)}))
		changed := workflowDef("order", 1)
		changed.Description = "changed"

		err := b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: changed})
		require.ErrorIs(t, err, store.ErrExists)
		got, err := b.store.WorkflowDefGet(b.ctx, "order", 1)
		require.NoError(t, err)
		require.Empty(t, got.Description)

		require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: changed, Overwrite: true}))
		got, err = b.store.WorkflowDefGet(b.ctx, "order", 1)
		require.NoError(t, err)
		require.Equal(t, changed, got)

		// Overwrite also creates.
		require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("order", 2), Overwrite: true}))
		_, err = b.store.WorkflowDefGet(b.ctx, "order", 2)
		require.NoError(t, err)
	})

	t.Run("WorkflowDefPutVersionZero", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		require.Error(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("order", 0)}))
		list, err := b.store.WorkflowDefList(b.ctx)
		require.NoError(t, err)
		require.Empty(t, list)
	})

	t.Run("WorkflowDefDelete", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		for _, v := range []int{1, 2, 3} {
			require.NoError(t, b.store.WorkflowDefPut(b.ctx, &store.WorkflowDefPutParams{Def: workflowDef("order", v)}))
		}
		require.NoError(t, b.store.WorkflowDefDelete(b.ctx, "order", 2))
		_, err := b.store.WorkflowDefGet(b.ctx, "order", 2)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, b.store.WorkflowDefDelete(b.ctx, "order", 2), store.ErrNotFound)
		require.ErrorIs(t, b.store.WorkflowDefDelete(b.ctx, "other", 1), store.ErrNotFound)

		// Deleting the latest makes the one before it the latest.
		require.NoError(t, b.store.WorkflowDefDelete(b.ctx, "order", 3))
		got, err := b.store.WorkflowDefGet(b.ctx, "order", 0)
		require.NoError(t, err)
		require.Equal(t, 1, got.Version)

		list, err := b.store.WorkflowDefList(b.ctx)
		require.NoError(t, err)
		require.Equal(t, []string{"order/1"}, defNames(list))

		require.NoError(t, b.store.WorkflowDefDelete(b.ctx, "order", 1))
		_, err = b.store.WorkflowDefGet(b.ctx, "order", 0)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
