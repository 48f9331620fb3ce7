package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

// FieldAccess returns a gqlgen extension refusing, before anything runs, an
// operation that selects a field the caller's role may not read (the field
// table of domain/access.go), however deep, through fragments too. It walks
// the operation's selections once, not every resolved field, so what it costs
// does not grow with the size of the answer.
func FieldAccess() graphql.HandlerExtension { return fieldAccess{} }

type fieldAccess struct{}

func (fieldAccess) ExtensionName() string                   { return "FieldAccess" }
func (fieldAccess) Validate(graphql.ExecutableSchema) error { return nil }

func (fieldAccess) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	p, err := auth.FromContext(ctx)
	if err != nil {
		return presented(nil, domain.Errorf(domain.CodeUnauthenticated, "A valid bearer token is required."))
	}
	if field, refusal := firstForbidden(p, op.Operation.SelectionSet); refusal != nil {
		return presented(field, refusal)
	}
	return nil
}

// firstForbidden returns the first field of set, at any depth, that p may
// not select, with the reason. Introspection is not the table's business.
func firstForbidden(p domain.Principal, set ast.SelectionSet) (*ast.Field, *domain.Error) {
	for _, s := range set {
		var inner ast.SelectionSet
		switch s := s.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			if err := domain.AuthorizeField(p, s.ObjectDefinition.Name, s.Name); err != nil {
				return s, err
			}
			inner = s.SelectionSet
		case *ast.InlineFragment:
			inner = s.SelectionSet
		case *ast.FragmentSpread:
			inner = s.Definition.SelectionSet
		}
		if f, err := firstForbidden(p, inner); err != nil {
			return f, err
		}
	}
	return nil, nil
}

// presented is err as the error presenter shows it, located at field: the
// websocket transport sends an operation's refusal without presenting it.
func presented(field *ast.Field, err *domain.Error) *gqlerror.Error {
	e := &gqlerror.Error{Err: err, Message: err.Message, Extensions: map[string]any{"code": string(err.Code)}}
	if field != nil && field.Position != nil {
		e.Locations = []gqlerror.Location{{Line: field.Position.Line, Column: field.Position.Column}}
	}
	return e
}
