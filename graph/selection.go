package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
)

// selects reports whether the query asks the resolved object, of type typ,
// for field, directly or through a fragment on typ.
func selects(ctx context.Context, typ, field string) bool {
	return slices.ContainsFunc(graphql.CollectFieldsCtx(ctx, []string{typ}), func(f graphql.CollectedField) bool {
		return f.Name == field
	})
}
