package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/graph"
)

// operation is one GraphQL operation of the matrix; vars builds its
// variables from a fresh order of the fixture's store.
type operation struct {
	name  string
	query string
	vars  func(f fixture, orderID string) map[string]any
	allow []string // the roles allowed on their own store
}

var storeVars = func(f fixture, _ string) map[string]any { return map[string]any{"s": f.StoreID} }
var orderVars = func(_ fixture, id string) map[string]any { return map[string]any{"id": id} }

var operations = []operation{
	{"store", `query($s: ID!) { store(id: $s) { id name } }`, storeVars, []string{"admin", "manager", "staff"}},
	{"orders", `query($s: ID!) { orders(storeId: $s) { totalCount edges { node { id } } } }`, storeVars, []string{"admin", "manager", "staff"}},
	{"order", `query($id: ID!) { order(id: $id) { id } }`, orderVars, []string{"admin", "manager", "staff"}},
	{"menuItems", `query($s: ID!) { menuItems(storeId: $s) { totalCount } }`, storeVars, []string{"admin", "manager", "staff"}},
	{"alerts", `query($s: ID!) { alerts(storeId: $s) { id } }`, storeVars, []string{"admin", "manager", "staff"}},
	{"lightspeedSetupOptions", `query($s: ID!) { lightspeedSetupOptions(storeId: $s) { outlets { id } } }`, storeVars, []string{"admin", "manager"}},
	{"createStore", `mutation { createStore(input: {name: "X", timeZone: "UTC", pickupEnabled: true, deliveryEnabled: false, advertisingSubscriptionActive: false}) { id } }`,
		func(fixture, string) map[string]any { return nil }, []string{"admin"}},
	{"updateStore", `mutation($s: ID!) { updateStore(input: {id: $s, name: "Renamed"}) { id } }`, storeVars, []string{"admin", "manager"}},
	{"connectLightspeedPersonalToken", `mutation($s: ID!) { connectLightspeedPersonalToken(storeId: $s, domainPrefix: "x", token: "t") { enabled } }`, storeVars, []string{"admin", "manager"}},
	{"startLightspeedOAuth", `mutation($s: ID!) { startLightspeedOAuth(storeId: $s) { authorizeUrl } }`, storeVars, []string{"admin", "manager"}},
	{"syncMenu", `mutation($s: ID!) { syncMenu(storeId: $s) { enabled } }`, storeVars, []string{"admin", "manager"}},
	{"configureOrderIntegration", `mutation($s: ID!) { configureOrderIntegration(input: {storeId: $s, outletId: "o", registerId: "r", userId: "u", paymentTypeId: "p"}) { enabled } }`, storeVars, []string{"admin", "manager"}},
	{"enableOrderIntegration", `mutation($s: ID!) { enableOrderIntegration(storeId: $s) { enabled } }`, storeVars, []string{"admin", "manager"}},
	{"disableOrderIntegration", `mutation($s: ID!) { disableOrderIntegration(storeId: $s) { enabled } }`, storeVars, []string{"admin", "manager"}},
	{"updateNotificationSettings", `mutation($s: ID!) { updateNotificationSettings(input: {storeId: $s, alertEmails: ["a@example.com"], newOrderEmails: []}) { alertEmails } }`, storeVars, []string{"admin", "manager"}},
	{"setOrderStatus", `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { status } }`, orderVars, []string{"admin", "manager", "staff"}},
	{"retryOrderSync", `mutation($id: ID!) { retryOrderSync(id: $id) { id } }`, orderVars, []string{"admin", "manager", "staff"}},
	{"cancelOrder(DISPENSARY)", `mutation($id: ID!) { cancelOrder(id: $id, reason: DISPENSARY) { status } }`, orderVars, []string{"admin", "manager", "staff"}},
	{"cancelOrder(CUSTOMER)", `mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { status } }`, orderVars, []string{"admin", "manager", "staff", "marketplace"}},
	{"submitOrder", `mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id } }`,
		func(f fixture, id string) map[string]any { return map[string]any{"in": f.orderInput("new-" + id)} }, []string{"admin", "marketplace"}},
}

// subscriptionOperations are the matrix's subscriptions, run over websockets
// by TestSubscriptionAccess.
var subscriptionOperations = []operation{
	{"orderStatusChanged", statusSubscription, storeVars, []string{"admin", "manager", "staff"}},
	{"alertRaised", `subscription($s: ID!) { alertRaised(storeId: $s) { id kind message } }`, storeVars, []string{"admin", "manager", "staff"}},
	{"orderUpdated", orderUpdatesSubscription, storeVars, []string{"admin", "manager", "staff"}},
	{"storeUpdated", storeUpdatesSubscription, storeVars, []string{"admin", "manager", "staff"}},
}

// matrixRoles are the callers of the matrix: every role on the fixture's
// store, and the store-scoped roles of another store.
func matrixRoles(t testing.TB, s *testServer, f fixture) map[string]string {
	return map[string]string{"admin": f.Admin, "manager": f.Manager, "staff": f.Staff, "marketplace": f.Market,
		"foreign-manager": f.Stranger, "foreign-staff": s.Token(t, "STORE_STAFF", "another-store")}
}

// TestAccessMatrixCoversSchema fails when a query, mutation or subscription
// of the served schema has no entry in the matrix (operations or
// subscriptionOperations), or an entry is not valid against the schema.
func TestAccessMatrixCoversSchema(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.NewConfig(&graph.Resolver{})).Schema()
	covered := map[string]bool{}
	known := map[string]bool{"admin": true, "manager": true, "staff": true, "marketplace": true}
	for _, op := range append(slices.Clone(operations), subscriptionOperations...) {
		doc, errs := gqlparser.LoadQuery(schema, op.query)
		if len(errs) > 0 {
			t.Errorf("matrix entry %s is not valid: %v", op.name, errs)
			continue
		}
		for _, o := range doc.Operations {
			for _, sel := range o.SelectionSet {
				if field, ok := sel.(*ast.Field); ok {
					covered[string(o.Operation)+" "+field.Name] = true
				}
			}
		}
		for _, r := range op.allow {
			if !known[r] {
				t.Errorf("matrix entry %s allows unknown role %q", op.name, r)
			}
		}
	}
	n := 0
	for kind, def := range map[ast.Operation]*ast.Definition{ast.Query: schema.Query, ast.Mutation: schema.Mutation, ast.Subscription: schema.Subscription} {
		if def == nil {
			continue
		}
		for _, field := range def.Fields {
			if strings.HasPrefix(field.Name, "__") {
				continue // introspection
			}
			n++
			if !covered[string(kind)+" "+field.Name] {
				t.Errorf("%s %s is not in the access matrix: add it to operations or subscriptionOperations (access_test.go) with the roles allowed", kind, field.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("the schema has no operation")
	}
}

// TestAccessMatrix runs every operation as every role, on the caller's own
// store and on a store the caller does not work for.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		roles := matrixRoles(t, s, f)
		// ghost is the fixture with a store that does not exist.
		ghost := f
		ghost.StoreID = uuid.NewString()
		n := 0
		for _, op := range operations {
			for role, token := range roles {
				t.Run(op.name+"/"+role, func(t *testing.T) {
					n++
					orderID := f.submit(t, s, fmt.Sprintf("matrix-%d", n))
					r := s.Do(t, token, op.query, op.vars(f, orderID))
					allowed := slices.Contains(op.allow, role)
					code := r.Code()
					denied := code == "FORBIDDEN" || code == "NOT_FOUND"
					if allowed && denied {
						t.Fatalf("%s refused for %s: %+v", op.name, role, r.Errors)
					}
					if !allowed && !denied {
						t.Fatalf("%s allowed for %s (code %q, data %v), want FORBIDDEN or NOT_FOUND", op.name, role, code, r.Data)
					}
					if !allowed && hasData(r.Data) {
						t.Fatalf("%s leaked data to %s: %v", op.name, role, r.Data)
					}
					if strings.HasPrefix(role, "foreign-") {
						// Another store's store or order answers as one that
						// does not exist: the refusal tells nothing of it.
						ghostOrder := uuid.NewString()
						g := s.Do(t, token, op.query, op.vars(ghost, ghostOrder))
						got := refusal(r, f.StoreID, orderID)
						if want := refusal(g, ghost.StoreID, ghostOrder); got != want {
							t.Fatalf("%s as %s on another store answers %s, but on a store that does not exist %s", op.name, role, got, want)
						}
					}
				})
			}
		}
	})
}

// TestConcurrentOrderReadsStayInTheirStore reads the orders of two stores
// from many clients at once, as the staff of one store or the other: on
// PostgreSQL reads under way together share statements, and still each
// caller gets its own store's orders and NOT_FOUND, with no data, for the
// other's.
func TestConcurrentOrderReadsStayInTheirStore(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		stores := []fixture{newFixture(t, s), newFixture(t, s)}
		type order struct{ id, store string }
		var orders []order
		for i, f := range stores {
			for j := range 6 {
				orders = append(orders, order{f.submit(t, s, fmt.Sprintf("shared-%d-%d", i, j)), f.StoreID})
			}
		}
		const query = `query($id: ID!) { order(id: $id) { id status } }`
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				for i := range 12 {
					caller, o := stores[(g+i)%2], orders[(g*7+i)%len(orders)]
					r := s.Do(t, caller.Staff, query, map[string]any{"id": o.id})
					if o.store == caller.StoreID {
						if len(r.Errors) > 0 || path(r.Data, "order", "id") != o.id {
							t.Errorf("staff of %s reading its order %s: %+v, %v", caller.StoreID, o.id, r.Data, r.Errors)
						}
					} else if r.Code() != "NOT_FOUND" || hasData(r.Data) {
						t.Errorf("staff of %s reading %s's order %s: code %q, data %v; want NOT_FOUND and no data", caller.StoreID, o.store, o.id, r.Code(), r.Data)
					}
				}
			})
		}
		wg.Wait()
	})
}

// refusal is a response's status, error codes and messages, with the ids
// replaced by placeholders, for comparing refusals.
func refusal(r gqlResponse, storeID, orderID string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", r.Status)
	for _, e := range r.Errors {
		msg := strings.NewReplacer(storeID, "<store>", orderID, "<order>").Replace(e.Message)
		fmt.Fprintf(&b, " [%v %q %v]", e.Extensions["code"], msg, e.Path)
	}
	return b.String()
}

// hasData reports whether any root field of data is non-null.
func hasData(data map[string]any) bool {
	for _, v := range data {
		if v != nil {
			return true
		}
	}
	return false
}

func TestHTTPAuthentication(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	for name, authorization := range badTokens(t) {
		t.Run(name, func(t *testing.T) {
			r := s.Do(t, strings.TrimPrefix(authorization, "Bearer "), `{ __typename }`, nil)
			if r.Status != http.StatusUnauthorized || r.Code() != "UNAUTHENTICATED" {
				t.Fatalf("status %d code %q, want 401 UNAUTHENTICATED", r.Status, r.Code())
			}
		})
	}
	t.Run("Valid", func(t *testing.T) {
		s.MustDo(t, s.Token(t, "ADMIN"), `{ __typename }`, nil)
	})
}
