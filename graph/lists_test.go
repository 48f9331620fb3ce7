package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestMarshalListInOrderWithIndexAndRecovery proves marshalList marshals
// the elements in order, one at a time, each with its index in its field
// context, and turns a panic into a null element with an error at its path.
func TestMarshalListInOrderWithIndexAndRecovery(t *testing.T) {
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "lines"}}})
	var seen []int
	running := false
	ret := marshalList(ctx, 4, func(ctx context.Context, i int) graphql.Marshaler {
		if running {
			t.Errorf("element %d marshalled while another was", i)
		}
		running = true
		defer func() { running = false }()
		seen = append(seen, *graphql.GetFieldContext(ctx).Index)
		if i == 2 {
			panic("broken element")
		}
		return graphql.MarshalInt(i)
	})
	if len(seen) != 4 || seen[0] != 0 || seen[1] != 1 || seen[2] != 2 || seen[3] != 3 {
		t.Errorf("indexes seen %v, want [0 1 2 3]", seen)
	}
	if ret[2] != graphql.Null || ret[3] == graphql.Null {
		t.Errorf("result %v: want element 2 null, the others marshalled", ret)
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || errs[0].Path.String() != "lines[2]" {
		t.Errorf("errors %v, want one at lines[2]", errs)
	}
}

// TestDeferredGroupOnlyForDeferredFields proves deferredGroup builds a group
// (with the object's path) when a field is @defer'd, and an empty one, which
// gqlgen's generated code never touches, otherwise.
func TestDeferredGroupOnlyForDeferredFields(t *testing.T) {
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "order"}}})
	plain := graphql.CollectedField{Field: &ast.Field{Alias: "id"}}
	deferred := graphql.CollectedField{Field: &ast.Field{Alias: "store"}, Deferrables: []*graphql.Deferrable{{Label: "later"}}}
	if g := deferredGroup(ctx, []graphql.CollectedField{plain}); g.Defers != nil || g.FieldSet != nil || g.Path != nil {
		t.Errorf("no deferred field: group %+v, want empty", g)
	}
	g := deferredGroup(ctx, []graphql.CollectedField{plain, deferred})
	if g.Defers == nil || g.FieldSet == nil || g.Path.String() != "order" {
		t.Errorf("a deferred field: group %+v, want one at path order", g)
	}
}
