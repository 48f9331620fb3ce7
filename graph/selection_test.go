package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestOrderFieldPartsCoverOrder checks that every field of Order in the
// served schema has its parts in orderFieldParts: a field added without an
// entry makes every page read whole orders.
func TestOrderFieldPartsCoverOrder(t *testing.T) {
	schema := NewExecutableSchema(NewConfig(&Resolver{})).Schema()
	for _, f := range schema.Types["Order"].Fields {
		if _, ok := orderFieldParts[f.Name]; !ok && !strings.HasPrefix(f.Name, "__") {
			t.Errorf("Order.%s has no entry in orderFieldParts", f.Name)
		}
	}
}

// TestListedParts checks the parts an orders query reads of its orders,
// through fragments, aliases, @defer and @skip.
func TestListedParts(t *testing.T) {
	schema := NewExecutableSchema(NewConfig(&Resolver{})).Schema()
	var every []string
	for _, f := range schema.Types["Order"].Fields {
		if schema.Types[f.Type.Name()].IsLeafType() {
			every = append(every, f.Name)
		} else {
			every = append(every, f.Name+" { __typename }")
		}
	}
	for name, c := range map[string]struct {
		query string
		want  domain.OrderParts
	}{
		"NoEdges":  {`{ orders(storeId: "s") { totalCount pageInfo { hasNextPage } } }`, 0},
		"Cursors":  {`{ orders(storeId: "s") { edges { cursor } } }`, 0},
		"LoadTest": {`{ orders(storeId: "s") { edges { node { id status lines { name } statusHistory { status } } } } }`, domain.PartLines | domain.PartHistory},
		"Fragments": {`{ orders(storeId: "s") { edges { ...E } } }
			fragment E on OrderEdge { node { ... on Order { customer { firstName } } ...O } }
			fragment O on Order { actionable }`, domain.PartCustomer | domain.PartPosSync},
		"Aliases":  {`{ orders(storeId: "s") { a: edges { node { id } } b: edges { n: node { t: totalCents } } } }`, domain.PartDetails},
		"Deferred": {`{ orders(storeId: "s") { edges { node { id ... @defer { posSync { state } } } } } }`, domain.PartPosSync},
		"Skipped":  {`{ orders(storeId: "s") { edges { node { id customer @skip(if: true) { firstName } } } } }`, 0},
		"Every":    {`{ orders(storeId: "s") { edges { node { ` + strings.Join(every, " ") + ` } } } }`, domain.AllOrderParts},
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := gqlparser.LoadQuery(schema, c.query)
			if err != nil {
				t.Fatal(err)
			}
			op := &graphql.OperationContext{RawQuery: c.query, Doc: doc, Operation: doc.Operations[0], Variables: map[string]any{}}
			ctx := graphql.WithOperationContext(context.Background(), op)
			orders := graphql.CollectFields(op, op.Operation.SelectionSet, []string{"Query"})[0]
			ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: orders})
			if got := listedParts(ctx); got != c.want {
				t.Errorf("parts %05b, want %05b", got, c.want)
			}
		})
	}
}
