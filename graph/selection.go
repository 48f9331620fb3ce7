package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/domain"
)

// selects reports whether the query asks the resolved object, of type typ,
// for field, directly or through a fragment on typ.
func selects(ctx context.Context, typ, field string) bool {
	return slices.ContainsFunc(graphql.CollectFieldsCtx(ctx, []string{typ}), func(f graphql.CollectedField) bool {
		return f.Name == field
	})
}

// orderFieldParts are the parts of an order (domain.OrderParts) each field
// of Order reads, besides the id, store, status and creation time that
// every read fills in. A field without an entry reads the whole order.
var orderFieldParts = map[string]domain.OrderParts{
	"__typename": 0, "id": 0, "store": 0, "status": 0, "createdAt": 0, "posCalls": 0,
	"leaflyOrderId": domain.PartDetails, "fulfillmentMethod": domain.PartDetails,
	"subtotalCents": domain.PartDetails, "totalCents": domain.PartDetails, "hasGovernmentId": domain.PartDetails,
	"cancelReason": domain.PartDetails, "cancelReasonText": domain.PartDetails, "updatedAt": domain.PartDetails,
	"customer": domain.PartCustomer, "deliveryAddress": domain.PartCustomer,
	"posSync": domain.PartPosSync, "actionable": domain.PartPosSync,
	"lines": domain.PartLines, "statusHistory": domain.PartHistory,
}

// listedParts returns the parts of an order that the resolved
// OrderConnection's query reads of its orders: those of each field it asks
// of an edge's node, through any fragments and aliases.
func listedParts(ctx context.Context) domain.OrderParts {
	op := graphql.GetOperationContext(ctx)
	var parts domain.OrderParts
	for _, edges := range named(op, graphql.GetFieldContext(ctx).Field.Selections, "OrderConnection", "edges") {
		for _, node := range named(op, edges.Selections, "OrderEdge", "node") {
			for _, f := range graphql.CollectFields(op, node.Selections, []string{"Order"}) {
				part, ok := orderFieldParts[f.Name]
				if !ok {
					part = domain.AllOrderParts
				}
				parts |= part
			}
		}
	}
	return parts
}

// named returns the fields named name that set, the selection of an object
// of type typ, asks for under any alias.
func named(op *graphql.OperationContext, set ast.SelectionSet, typ, name string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFields(op, set, []string{typ}) {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}
