package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalList marshals a list's n elements one after another on the
// calling goroutine. generated.go calls it where gqlgen writes
// graphql.MarshalSliceConcurrently, which starts a goroutine per element:
// go generate rewrites those calls (internal/seqlists), since marshalling
// the service's objects needs no I/O of its own and the goroutines cost
// more than the work. As there, each element gets a field context carrying
// its index, and a panic while marshalling one becomes an error on that
// element, which is null. Resolver fields inside an element still run as
// gqlgen dispatches them, but elements wait for each other.
func marshalList(ctx context.Context, n int, marshal func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, n)
	for i := range n {
		ctx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(ctx, graphql.Recover(ctx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshal(ctx, i)
		}()
	}
	return ret
}

// deferredGroup is graphql.NewDeferredGroup(ctx) for an object one of whose
// fields is @defer'd, and an empty group otherwise: the group collects only
// deferred fields, and building it (the object's path, a field set, a map)
// cost more than marshalling most objects. generated.go calls it where
// gqlgen writes graphql.NewDeferredGroup (internal/seqlists).
func deferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}
