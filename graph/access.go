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

// FieldAccess returns a gqlgen extension holding every operation to the
// field table of domain/access.go, however deep, through fragments too. A
// field the caller's role may not read resolves to null with a FORBIDDEN
// error at its path, without its resolver running; the rest of the answer
// stands, save for GraphQL's null propagation (a non-null field's null
// nulls its parent). A mutation or subscription selecting such a field that
// is a root field or non-null is refused before anything runs instead: a
// mutation would act and hide some of what it did, a subscription stream
// events with holes where data is due.
//
// It walks the operation's selections once. When they hold no forbidden
// field, as almost always, nothing else happens: no field pays for a check.
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
		return Presented(domain.Errorf(domain.CodeUnauthenticated, "A valid bearer token is required."), nil)
	}
	w := walk{p: p, whole: op.Operation.Operation != ast.Query}
	if field, refusal := w.visit(op.Operation.SelectionSet, true); refusal != nil {
		return Presented(refusal, field)
	}
	if len(w.refused.fields) > 0 {
		op.ResolverMiddleware = w.refused.around(op.ResolverMiddleware)
	}
	return nil
}

// refusals are the fields of one operation its caller may not read, each
// with its refusal. They are only read once built, by every resolving field.
type refusals struct {
	fields map[*ast.Field]*domain.Error
	// stream is a subscription's root field's response key: gqlgen resolves
	// the fields of each event with nothing above them, so their paths lack it.
	stream string
}

// around returns next with each forbidden field resolving to its refusal,
// at its path, instead of calling its resolver.
func (r *refusals) around(next graphql.FieldMiddleware) graphql.FieldMiddleware {
	return func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		err, ok := r.fields[fc.Field.Field]
		if !ok {
			return next(ctx, resolve)
		}
		return nil, &gqlerror.Error{Err: err, Message: err.Message, Path: r.path(fc)}
	}
}

// path is the path of fc in the response.
func (r *refusals) path(fc *graphql.FieldContext) ast.Path {
	top := fc
	for top.Parent != nil {
		top = top.Parent
	}
	if r.stream == "" || top.Object == "Subscription" {
		return fc.Path()
	}
	return append(ast.Path{ast.PathName(r.stream)}, fc.Path()...)
}

// walk collects the fields of one operation that p may not select.
type walk struct {
	p       domain.Principal
	whole   bool // a mutation or subscription: refused whole rather than nulled in part
	refused refusals
}

// visit walks set, whose fields are root fields when root is true. It
// returns the field that refuses the whole operation, if one does.
func (w *walk) visit(set ast.SelectionSet, root bool) (*ast.Field, *domain.Error) {
	for _, s := range set {
		var f *ast.Field
		var err *domain.Error
		switch s := s.(type) {
		case *ast.Field:
			f, err = w.field(s, root)
		case *ast.InlineFragment:
			f, err = w.visit(s.SelectionSet, root)
		case *ast.FragmentSpread:
			f, err = w.visit(s.Definition.SelectionSet, root)
		}
		if err != nil {
			return f, err
		}
	}
	return nil, nil
}

// field records f when p may not select it, or refuses the operation when
// f may not be null in part of it; otherwise it walks f's selections.
// Introspection is not the table's business, and nothing below a forbidden
// field resolves.
func (w *walk) field(f *ast.Field, root bool) (*ast.Field, *domain.Error) {
	if strings.HasPrefix(f.Name, "__") {
		return nil, nil
	}
	if root && f.ObjectDefinition.Name == "Subscription" {
		w.refused.stream = f.Alias
	}
	err := domain.AuthorizeField(w.p, f.ObjectDefinition.Name, f.Name)
	switch {
	case err == nil:
		return w.visit(f.SelectionSet, false)
	case w.whole && (root || f.Definition.Type.NonNull):
		return f, err
	case w.refused.fields == nil:
		w.refused.fields = map[*ast.Field]*domain.Error{}
	}
	w.refused.fields[f] = err
	return nil, nil
}
