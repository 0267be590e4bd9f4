package workflow

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzExpression evaluates arbitrary template strings: Evaluate and
// Expressions must not panic, hang or fail except on their limits, and what
// Evaluate returns must be JSON.
func FuzzExpression(f *testing.F) {
	for _, s := range []string{
		"${workflow.input.orderId}",
		"order ${workflow.input.orderId} of ${workflow.input.count}",
		"${workflow.input.${workflow.input.key}}",
		"$${escaped} ${} ${ } ${CPEWF_TASK_ID}",
		"${workflow.input.items[?(@.price > 10 && @.sku != 'a')].sku}",
		"${workflow.input.items[?(@.sku in ['a','c'] || !@.tags)].qty.sum()}",
		"${workflow.input..[?(@.qty >= $.workflow.input.count)]}",
		"${workflow.input.items[-2:][0,1]['sku','qty']}",
		"${workflow.input.items[*].tags[?(@ =~ /X/i)]}",
		"${fetch.output.body.items.length()} ${body.iteration} ${workflow.taskToDomain.fetch}",
		"${$..*}",
		"${workflow.input.grid[0,0,0][0,0,0][0,0,0][0,0][0]}",
		"${workflow.input",
		"${.input}",
		"${workflow.input[?(@[?(@[?(@)])])]}",
		"${workflow.input['a\\'b']}",
		"${workflow.env.HOME} ${HOME} ${workflow.secrets.x}",
	} {
		f.Add(s)
	}
	ctx := setup(f)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Evaluate(s, ctx)
		if err != nil {
			require.ErrorIs(t, err, ErrExpressionLimit)
		} else {
			_, err = json.Marshal(v)
			require.NoError(t, err)
			if !strings.Contains(s, "${") {
				require.Equal(t, s, v, "a string without expressions is unchanged")
			}
		}
		exprs, err := Expressions(s)
		if err == nil && !strings.Contains(s, "${") {
			require.Empty(t, exprs)
		}
	})
}
