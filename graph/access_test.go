package graph_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/graph"
)

var roles = []domain.Role{domain.RoleAdmin, domain.RoleStoreManager, domain.RoleStoreStaff, domain.RoleMarketplace}

// hop is one field on the way from a root operation to an object.
type hop struct {
	typ   string // the type the field belongs to
	field *ast.FieldDefinition
}

// paths returns, for every object type reachable from a root of schema, the
// shortest way to it (roots first: Query, then Mutation, then Subscription),
// using only the fields follow allows.
func paths(schema *ast.Schema, follow func(typ, field string) bool) map[string][]hop {
	out := map[string][]hop{}
	var queue []string
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if root != nil {
			out[root.Name] = nil
			queue = append(queue, root.Name)
		}
	}
	for len(queue) > 0 {
		typ := queue[0]
		queue = queue[1:]
		for _, f := range fields(schema.Types[typ]) {
			next := schema.Types[f.Type.Name()]
			if _, seen := out[next.Name]; seen || next.Kind != ast.Object || !follow(typ, f.Name) {
				continue
			}
			out[next.Name] = append(slices.Clone(out[typ]), hop{typ, f})
			queue = append(queue, next.Name)
		}
	}
	return out
}

// fields returns the fields of an object type, introspection left out.
func fields(def *ast.Definition) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range def.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	return out
}

// operation writes the operation reading field of the type at the end of
// way, with a literal for every required argument.
func operation(schema *ast.Schema, way []hop, typ string, field *ast.FieldDefinition) string {
	root := typ
	if len(way) > 0 {
		root = way[0].typ
	}
	var b strings.Builder
	b.WriteString(map[string]string{"Query": "query", "Mutation": "mutation", "Subscription": "subscription"}[root])
	for _, h := range append(way, hop{typ, field}) {
		b.WriteString(" { " + h.field.Name + arguments(schema, h.field))
	}
	if schema.Types[field.Type.Name()].Kind == ast.Object {
		b.WriteString(" { __typename }")
	}
	b.WriteString(strings.Repeat(" }", len(way)+1))
	return b.String()
}

func arguments(schema *ast.Schema, f *ast.FieldDefinition) string {
	var args []string
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			args = append(args, a.Name+": "+literal(schema, a.Type))
		}
	}
	if len(args) == 0 {
		return ""
	}
	return "(" + strings.Join(args, ", ") + ")"
}

// literal is a valid GraphQL value of type t: enough to get past validation.
func literal(schema *ast.Schema, t *ast.Type) string {
	if t.Elem != nil {
		return "[" + literal(schema, t.Elem) + "]"
	}
	def := schema.Types[t.Name()]
	switch {
	case def.Kind == ast.Enum:
		return def.EnumValues[0].Name
	case def.Kind == ast.InputObject:
		var fs []string
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				fs = append(fs, f.Name+": "+literal(schema, f.Type))
			}
		}
		return "{" + strings.Join(fs, ", ") + "}"
	case t.Name() == "Int":
		return "1"
	case t.Name() == "Boolean":
		return "true"
	}
	return `"x"`
}

// TestFieldAccessTable walks every field of every object type reachable from
// a root operation of schema.graphqls, roots included, and checks for every
// role that the field has an entry in the permission table
// (domain/access.go) and that the served schema, through the FieldAccess
// extension, admits an operation reading it exactly when the table lets the
// role read it and every field on the way there. A field added to the schema
// without an entry fails here.
func TestFieldAccessTable(t *testing.T) {
	schema := loadSchema(t, "../schema.graphqls")
	exec := executor.New(graph.NewExecutableSchema(graph.NewConfig(&graph.Resolver{})))
	exec.Use(graph.FieldAccess())
	reachable := paths(schema, func(string, string) bool { return true })
	checked := 0
	for _, typ := range slices.Sorted(maps.Keys(reachable)) {
		for _, f := range fields(schema.Types[typ]) {
			if _, ok := domain.FieldOperation(typ, f.Name); !ok {
				t.Errorf("%s.%s has no entry in the permission table: add it to fieldRules in domain/access.go", typ, f.Name)
			}
		}
	}
	for _, role := range roles {
		p := domain.Principal{Subject: "walk", Role: role, Stores: []string{"store"}}
		allowed := func(typ, field string) bool { return domain.AuthorizeField(p, typ, field) == nil }
		own := paths(schema, allowed)
		ctx := graphql.StartOperationTrace(auth.WithPrincipal(context.Background(), p))
		for typ, anyWay := range reachable {
			way, reached := own[typ]
			if !reached {
				way = anyWay
			}
			for _, f := range fields(schema.Types[typ]) {
				want := reached && allowed(typ, f.Name)
				checked++
				q := operation(schema, way, typ, f)
				_, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: q})
				switch {
				case want && errs != nil:
					t.Errorf("%s may read %s.%s, but %s was refused: %v", role, typ, f.Name, q, errs)
				case !want && (len(errs) != 1 || errs[0].Extensions["code"] != "FORBIDDEN"):
					t.Errorf("%s may not read %s.%s, but %s answered %v, want one FORBIDDEN", role, typ, f.Name, q, errs)
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked %d fields: the walk found too little of the schema", checked)
	}
}

// TestMarketplaceReachesOnlyTheShopperSide pins what the table lets the
// ordering system reach: the orders it submits and cancels, their shopper,
// lines and history, and nothing of the store or the POS.
func TestMarketplaceReachesOnlyTheShopperSide(t *testing.T) {
	schema := loadSchema(t, "../schema.graphqls")
	p := domain.Principal{Role: domain.RoleMarketplace}
	reached := map[string][]string{}
	for typ := range paths(schema, func(typ, field string) bool { return domain.AuthorizeField(p, typ, field) == nil }) {
		for _, f := range fields(schema.Types[typ]) {
			if domain.AuthorizeField(p, typ, f.Name) == nil {
				reached[typ] = append(reached[typ], f.Name)
			}
		}
	}
	want := map[string]string{
		"Mutation":          "submitOrder cancelOrder",
		"Order":             "id deliveryAddress hasGovernmentId leaflyOrderId status fulfillmentMethod customer lines subtotalCents totalCents cancelReason cancelReasonText statusHistory createdAt updatedAt",
		"OrderCustomer":     "firstName lastName email phone",
		"OrderLine":         "menuItemId name quantity unitPriceCents discountedUnitPriceCents dealTitle",
		"Address":           "line1 line2 city state postalCode country",
		"OrderStatusChange": "status source occurredAt",
	}
	got := map[string]string{}
	for typ, fs := range reached {
		if len(fs) > 0 {
			got[typ] = strings.Join(fs, " ")
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("MARKETPLACE reaches\n%s\nwant\n%s", show(got), show(want))
	}
}

func show(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "  %s: %s\n", k, m[k])
	}
	return b.String()
}

// BenchmarkFieldAccess is what the check adds to each operation: the
// loadtest's orders page, its largest query, read by a store manager.
func BenchmarkFieldAccess(b *testing.B) {
	schema := graph.NewExecutableSchema(graph.NewConfig(&graph.Resolver{})).Schema()
	doc, errs := gqlparser.LoadQuery(schema, `query($s: ID!, $after: String) { orders(storeId: $s, first: 50, after: $after) {
		edges { cursor node { id leaflyOrderId status fulfillmentMethod totalCents createdAt customer { firstName lastName } posSync { state } actionable } }
		pageInfo { endCursor hasNextPage } } }`)
	if errs != nil {
		b.Fatal(errs)
	}
	ext := graph.FieldAccess().(graphql.OperationContextMutator)
	ctx := auth.WithPrincipal(context.Background(), domain.Principal{Role: domain.RoleStoreManager, Stores: []string{"s"}})
	op := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
	b.ReportAllocs()
	for b.Loop() {
		if err := ext.MutateOperationContext(ctx, op); err != nil {
			b.Fatal(err)
		}
	}
}
