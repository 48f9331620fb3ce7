package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DepthLimit returns a gqlgen extension refusing operations whose selections
// nest deeper than max (fragments included).
func DepthLimit(max int) graphql.HandlerExtension { return depthLimit{max} }

type depthLimit struct{ max int }

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	if depth(op.Operation.SelectionSet, d.max+1) > d.max {
		err := gqlerror.Errorf("The operation nests deeper than %d levels.", d.max)
		err.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
		return err
	}
	return nil
}

// depth returns how deep set nests, counting no further than limit.
func depth(set ast.SelectionSet, limit int) int {
	if limit == 0 {
		return 0
	}
	deepest := 0
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			if len(s.SelectionSet) > 0 {
				d = 1 + depth(s.SelectionSet, limit-1)
			}
		case *ast.InlineFragment:
			d = depth(s.SelectionSet, limit)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = depth(s.Definition.SelectionSet, limit)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
