package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestOrdersPageReadsWhatEachFieldNeeds pages an enabled store's orders,
// every field of them set, once selecting every field of Order in schema.graphqls and
// once for each field alone: a page reads only the parts of an order its
// query selects, and each field alone answers exactly what it answers
// beside all the others.
func TestOrdersPageReadsWhatEachFieldNeeds(t *testing.T) {
	t.Parallel()
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: readFile(t, "../schema.graphqls")})
	if gerr != nil {
		t.Fatal(gerr)
	}
	selections := map[string]string{}
	for _, f := range schema.Types["Order"].Fields {
		selections[f.Name] = selectLeaves(schema, f)
	}
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		st, menu := enabledStore(t, s)
		var items []string
		for _, it := range anyItems(menu, 2) {
			items = append(items, str(it["id"]))
		}
		if err := s.Storage(t).ImportOrders(context.Background(), richOrders(t, st.ID, items)); err != nil {
			t.Fatal(err)
		}
		page := func(selection string) []any {
			t.Helper()
			data := s.MustDo(t, st.Admin, `query($s: ID!) { orders(storeId: $s, first: 10) { edges { node { id `+selection+` } } } }`,
				map[string]any{"s": st.ID})
			return path(data, "orders", "edges").([]any)
		}
		var all []string
		for _, sel := range selections {
			all = append(all, sel)
		}
		whole := page(strings.Join(all, " "))
		if len(whole) != 3 {
			t.Fatalf("%d orders, want 3", len(whole))
		}
		for name, sel := range selections {
			for i, edge := range page(sel) {
				got, want := path(edge, "node", name), path(whole[i], "node", name)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("order %d's %s alone: %v; beside every other field: %v", i, name, got, want)
				}
			}
		}
	})
}

// selectLeaves selects field and, of an object, each of its fields that
// takes no argument and is not an object.
func selectLeaves(schema *ast.Schema, field *ast.FieldDefinition) string {
	typ := schema.Types[field.Type.Name()]
	if typ.IsLeafType() {
		return field.Name
	}
	var leaves []string
	for _, f := range typ.Fields {
		if len(f.Arguments) == 0 && schema.Types[f.Type.Name()].IsLeafType() {
			leaves = append(leaves, f.Name)
		}
	}
	return field.Name + " { " + strings.Join(leaves, " ") + " }"
}

// richOrders are three orders of the store, of items, with every field of
// some set: a canceled delivery order whose sale failed, a confirmed order
// sent to the POS, and a new pickup order that did not reach it (the one
// actionable order of an enabled store).
func richOrders(t *testing.T, storeID string, items []string) []*domain.Order {
	t.Helper()
	at := time.Now().UTC().Truncate(time.Millisecond)
	line2, email, phone, birth := "Suite 5", "ada@example.com", "+15035550100", "1990-12-10"
	saleID, customerID, lastError, code, warning, deal := "sale-1", "customer-1", "refused", domain.PosErrRejected, "late", "20% off"
	discounted := int64(800)
	var orders []*domain.Order
	for i := range 3 {
		o := &domain.Order{ID: fmt.Sprintf("rich-%d-%s", i, storeID), StoreID: storeID, LeaflyOrderID: fmt.Sprintf("RICH-%d", i),
			Status: domain.StatusPending, FulfillmentMethod: domain.FulfillmentPickup,
			Customer: domain.Customer{FirstName: "Ada", LastName: "Lovelace"}, SubtotalCents: 4000, TotalCents: 3600,
			Lines: []domain.OrderLine{{MenuItemID: items[0], Name: "Blue Dream 3.5g", Quantity: 2, UnitPriceCents: 1000,
				DiscountedUnitPriceCents: &discounted, DealTitle: &deal}, {MenuItemID: items[1], Name: "Sour Diesel pre-roll", Quantity: 1, UnitPriceCents: 2000}},
			PosSync:   domain.PosSync{State: domain.PosNotApplicable},
			CreatedAt: at.Add(time.Duration(i) * time.Minute)}
		o.StatusHistory = []domain.StatusChange{{Status: domain.StatusPending, Source: domain.SourceMarketplace, OccurredAt: o.CreatedAt}}
		o.UpdatedAt = o.CreatedAt
		orders = append(orders, o)
	}
	canceled := orders[0]
	canceled.FulfillmentMethod, canceled.HasGovernmentID = domain.FulfillmentDelivery, true
	canceled.DeliveryAddress = &domain.Address{Line1: "1 Main St", Line2: &line2, City: "Portland", State: "OR", PostalCode: "97201", Country: "US"}
	canceled.Customer.Email, canceled.Customer.Phone, canceled.Customer.DateOfBirth = &email, &phone, &birth
	canceled.PosSync = domain.PosSync{State: domain.PosNotSent, Attempts: 3, LastError: &lastError, ErrorCode: &code, Warning: &warning}
	if _, err := canceled.Cancel(domain.CancelDispensary, domain.SourceDashboard, canceled.CreatedAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	sent := orders[1]
	sent.PosSync = domain.PosSync{State: domain.PosSent, SaleID: &saleID, CustomerID: &customerID, Attempts: 1, SaleVersion: 4, Sender: "replica-1"}
	if _, err := sent.Move(domain.StatusConfirmed, domain.SourcePOS, sent.CreatedAt.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	orders[2].PosSync.State = domain.PosNotSent
	return orders
}
