package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/batonhq/baton/sdk/workflow"
	"github.com/batonhq/baton/server/internal/store"
)

// MaxSearchWindow bounds Offset+Limit of a search paged by offset, as
// Elasticsearch's index.max_result_window bounds from+size (Conductor's
// search runs on Elasticsearch). Skipping an offset reads every execution
// it skips, so deep pages are served by cursors instead, which cost the
// same at any depth.
const MaxSearchWindow = 10000

// SearchRequest is a search of executions.
type SearchRequest struct {
	// Query selects, orders and pages the executions (see
	// store.ExecutionQuery).
	Query store.ExecutionQuery
	// Offset skips the first Offset executions of the order, as
	// Conductor's start parameter does. It may not be combined with
	// Query.Cursor, and Offset+Limit is at most MaxSearchWindow.
	Offset int
}

// SearchWorkflows returns one page of the executions that match a query,
// without their tasks, served by the store's indexes.
func (e *Engine) SearchWorkflows(ctx context.Context, req SearchRequest) (*store.ExecutionPage, error) {
	q := req.Query
	return searchAt(req.Offset, q.Limit, q.Cursor, "search workflows", func(limit int, cursor string) (*store.ExecutionPage, int, string, error) {
		q.Limit, q.Cursor = limit, cursor
		page, err := e.store.ExecutionSearch(ctx, q)
		if err != nil {
			return nil, 0, "", err
		}
		return page, len(page.Executions), page.Next, nil
	}, &store.ExecutionPage{Executions: []*workflow.Workflow{}})
}

// searchAt returns the page of a search that starts offset results into
// the order: it walks there a page at a time, keeping only the cursor.
// search runs the query with a page size and a cursor and returns the
// page, its length and the next cursor; empty is the page past the end.
func searchAt[P any](offset, limit int, cursor, what string, search func(limit int, cursor string) (P, int, string, error), empty P) (P, error) {
	var zero P
	if err := checkOffset(offset, limit, cursor); err != nil {
		return zero, err
	}
	for left := offset; left > 0; {
		_, n, next, err := search(min(left, store.MaxSearchLimit), cursor)
		if err != nil {
			return zero, searchError(err, what)
		}
		if next == "" {
			return empty, nil
		}
		left -= n
		cursor = next
	}
	page, _, _, err := search(limit, cursor)
	if err != nil {
		return zero, searchError(err, what)
	}
	return page, nil
}

// checkOffset refuses an offset that is negative, combined with a cursor,
// or beyond MaxSearchWindow.
func checkOffset(offset, limit int, cursor string) error {
	switch {
	case offset < 0:
		return errorf(InvalidArgument, "the offset (start) must not be negative, got %d", offset)
	case offset > 0 && cursor != "":
		return errorf(InvalidArgument, "give either an offset (start) or a cursor, not both: the cursor already says where the page starts")
	case offset+pageSize(limit) > MaxSearchWindow:
		return errorf(InvalidArgument,
			"offset (start) plus page size is %d, over the limit of %d; to page further, follow the cursor of each page (nextCursor) instead of an offset",
			offset+pageSize(limit), MaxSearchWindow)
	}
	return nil
}

// pageSize is the size of a page of the given limit.
func pageSize(limit int) int {
	if limit == 0 {
		return store.DefaultSearchLimit
	}
	return max(limit, 0)
}

// searchError turns the store's refusal of a query into InvalidArgument,
// with the store's message less its wrapping.
func searchError(err error, what string) error {
	if errors.Is(err, store.ErrInvalid) {
		msg := err.Error()
		// The store wraps its message as "search executions: <why>: invalid
		// request"; the user needs only the why.
		msg = strings.TrimSuffix(msg, ": "+store.ErrInvalid.Error())
		for _, p := range []string{"search executions: ", "search tasks: "} {
			msg = strings.TrimPrefix(msg, p)
		}
		return errorf(InvalidArgument, "%s", msg)
	}
	return classify(err, what)
}

// TaskSearchRequest is a search of tasks.
type TaskSearchRequest struct {
	// Query selects and pages the tasks (see store.TaskQuery).
	Query store.TaskQuery
	// Offset skips the first Offset tasks, as SearchRequest.Offset does.
	Offset int
}

// SearchTasks returns one page of the task attempts that match a query,
// served by the store's indexes.
func (e *Engine) SearchTasks(ctx context.Context, req TaskSearchRequest) (*store.TaskPage, error) {
	q := req.Query
	return searchAt(req.Offset, q.Limit, q.Cursor, "search tasks", func(limit int, cursor string) (*store.TaskPage, int, string, error) {
		q.Limit, q.Cursor = limit, cursor
		page, err := e.store.TaskSearch(ctx, q)
		if err != nil {
			return nil, 0, "", err
		}
		return page, len(page.Tasks), page.Next, nil
	}, &store.TaskPage{Tasks: []*workflow.Task{}})
}
