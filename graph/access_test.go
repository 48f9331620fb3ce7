package graph_test

import (
	"context"
	"errors"
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
// extension, lets an operation read it exactly when the table lets the role
// read it and every field on the way there. Otherwise the first field on
// the way the role may not read resolves to FORBIDDEN without its resolver
// running, or, in a mutation or subscription where that field is a root
// field or non-null, the operation is refused before it runs.
// A field added to the schema without an entry fails here.
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
				checked++
				q := operation(schema, way, typ, f)
				op, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: q})
				chain := firstFields(op.Operation)
				refused := slices.IndexFunc(chain, func(f *ast.Field) bool { return !allowed(f.ObjectDefinition.Name, f.Name) })
				whole := refused >= 0 && op.Operation.Operation != ast.Query && mayNotBeNull(chain[:refused+1])
				switch {
				case whole && (len(errs) != 1 || errs[0].Extensions["code"] != "FORBIDDEN"):
					t.Errorf("%s may not read %s.%s, but %s answered %v, want it refused whole with one FORBIDDEN", role, typ, f.Name, q, errs)
				case !whole && errs != nil:
					t.Errorf("%s: %s was refused whole (%v), want it run", role, q, errs)
				case !whole:
					checkResolved(t, ctx, op, chain, refused)
				}
			}
		}
	}
	if checked < 100 {
		t.Fatalf("checked %d fields: the walk found too little of the schema", checked)
	}
}

// firstFields is the chain of fields op selects, one per level, as
// operation writes them, __typename left out.
func firstFields(op *ast.OperationDefinition) []*ast.Field {
	var chain []*ast.Field
	for set := op.SelectionSet; len(set) > 0; {
		f := set[0].(*ast.Field)
		if f.Name == "__typename" {
			break
		}
		chain = append(chain, f)
		set = f.SelectionSet
	}
	return chain
}

// mayNotBeNull reports whether the last field of chain is its root field or
// non-null.
func mayNotBeNull(chain []*ast.Field) bool {
	last := chain[len(chain)-1]
	return len(chain) == 1 || last.Definition.Type.NonNull
}

// checkResolved resolves each field of chain through op's field middleware,
// as the executor does: every field until the refused one (-1 for none)
// reaches its resolver, and the refused one answers FORBIDDEN without.
func checkResolved(t *testing.T, ctx context.Context, op *graphql.OperationContext, chain []*ast.Field, refused int) {
	t.Helper()
	ctx = graphql.WithOperationContext(ctx, op)
	for i, f := range chain {
		called := false
		resolve := func(context.Context) (any, error) { called = true; return true, nil }
		fc := &graphql.FieldContext{Object: f.ObjectDefinition.Name, Field: graphql.CollectedField{Field: f}}
		_, err := op.ResolverMiddleware(graphql.WithFieldContext(ctx, fc), resolve)
		var de *domain.Error
		switch {
		case i != refused && (err != nil || !called):
			t.Errorf("%s: %s.%s did not resolve (err %v)", op.RawQuery, fc.Object, f.Name, err)
		case i == refused && (called || !errors.As(err, &de) || de.Code != domain.CodeForbidden):
			t.Errorf("%s: %s.%s resolved (called %v, err %v), want FORBIDDEN without its resolver", op.RawQuery, fc.Object, f.Name, called, err)
		}
		if i == refused {
			return
		}
	}
}

// TestRefusedFieldsAreNullable: a field that some role reaches but may not
// read resolves to null for it, so that only that field goes null and not
// its parent, unless the public contract holds it with its type (then GraphQL's
// null propagation applies, see README "Who may call what").
func TestRefusedFieldsAreNullable(t *testing.T) {
	schema := loadSchema(t, "../schema.graphqls")
	contract := loadSchema(t, contractFile)
	for _, role := range roles {
		p := domain.Principal{Role: role, Stores: []string{"store"}}
		allowed := func(typ, field string) bool { return domain.AuthorizeField(p, typ, field) == nil }
		for typ := range paths(schema, allowed) {
			for _, f := range fields(schema.Types[typ]) {
				inContract := contract.Types[typ] != nil && contract.Types[typ].Fields.ForName(f.Name) != nil
				if !allowed(typ, f.Name) && f.Type.NonNull && !inContract {
					t.Errorf("%s reaches %s.%s but may not read it: make it nullable (%s), saying in its description who may read it", role, typ, f.Name, f.Type)
				}
			}
		}
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

// ordersPage is the loadtest's orders page, its largest query.
const ordersPage = `query($s: ID!, $after: String) { orders(storeId: $s, first: 50, after: $after) {
	edges { cursor node { id leaflyOrderId status fulfillmentMethod totalCents createdAt customer { firstName lastName } posSync { state } actionable } }
	pageInfo { endCursor hasNextPage } } }`

// BenchmarkFieldAccess is what the check adds to each operation: the
// orders page read by a store manager.
func BenchmarkFieldAccess(b *testing.B) {
	schema := graph.NewExecutableSchema(graph.NewConfig(&graph.Resolver{})).Schema()
	doc, errs := gqlparser.LoadQuery(schema, ordersPage)
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

// BenchmarkFieldAccessPerField is what the check adds to each field the
// orders page resolves, through the field middleware of its operation:
// Common is a store manager's page, which selects nothing the role may not
// read; Forbidden is a store staff's page selecting posCalls too, which
// installs the check on every field.
func BenchmarkFieldAccessPerField(b *testing.B) {
	exec := executor.New(graph.NewExecutableSchema(graph.NewConfig(&graph.Resolver{})))
	exec.Use(graph.FieldAccess())
	b.Run("Common", func(b *testing.B) {
		p := domain.Principal{Role: domain.RoleStoreManager, Stores: []string{"s"}}
		benchmarkField(b, exec, p, ordersPage)
	})
	b.Run("Forbidden", func(b *testing.B) {
		p := domain.Principal{Role: domain.RoleStoreStaff, Stores: []string{"s"}}
		benchmarkField(b, exec, p, strings.Replace(ordersPage, "actionable", "actionable posCalls { path }", 1))
	})
}

// benchmarkField resolves, through the field middleware of the operation q
// as p, the innermost first field of q (following each first selection).
func benchmarkField(b *testing.B, exec *executor.Executor, p domain.Principal, q string) {
	ctx := graphql.StartOperationTrace(auth.WithPrincipal(context.Background(), p))
	op, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: q, Variables: map[string]any{"s": "s"}})
	if errs != nil {
		b.Fatal(errs)
	}
	f := op.Operation.SelectionSet[0].(*ast.Field)
	for len(f.SelectionSet) > 0 {
		f = f.SelectionSet[0].(*ast.Field)
	}
	ctx = graphql.WithFieldContext(graphql.WithOperationContext(ctx, op), &graphql.FieldContext{Object: f.ObjectDefinition.Name, Field: graphql.CollectedField{Field: f}})
	resolve := func(context.Context) (any, error) { return true, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := op.ResolverMiddleware(ctx, resolve); err != nil {
			b.Fatal(err)
		}
	}
}
