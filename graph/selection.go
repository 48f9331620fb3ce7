package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
)

// selects reports whether the query asks the resolved Order for field,
// directly or through a fragment on Order.
func selects(ctx context.Context, field string) bool {
	return slices.ContainsFunc(graphql.CollectFieldsCtx(ctx, []string{"Order"}), func(f graphql.CollectedField) bool {
		return f.Name == field
	})
}
