package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/leafly/lightspeed-orders/domain"
)

const createStoreMutation = `mutation($input: CreateStoreInput!) { createStore(input: $input) { id name } }`

// fixture is a store with a menu, and tokens for every role.
type fixture struct {
	StoreID  string
	Items    []string
	Admin    string
	Manager  string
	Staff    string
	Market   string
	Stranger string // a manager of another store
}

// newFixture creates a store taking pickup and delivery, with three menu items.
func newFixture(t testing.TB, s *testServer) fixture {
	t.Helper()
	f := fixture{Admin: s.Token(t, domain.RoleAdmin), Market: s.Token(t, domain.RoleMarketplace)}
	data := s.MustDo(t, f.Admin, createStoreMutation, map[string]any{"input": map[string]any{
		"name": "Green Leaf", "timeZone": "America/Los_Angeles", "pickupEnabled": true, "deliveryEnabled": true,
		"advertisingSubscriptionActive": true,
	}})
	f.StoreID = str(path(data, "createStore", "id"))
	f.Manager = s.Token(t, domain.RoleStoreManager, f.StoreID)
	f.Staff = s.Token(t, domain.RoleStoreStaff, f.StoreID)
	f.Stranger = s.Token(t, domain.RoleStoreManager, "another-store")
	var items []domain.MenuItem
	for i, name := range []string{"Blue Dream 3.5g", "Sour Diesel pre-roll", "Mint gummies"} {
		id := uuid.NewString()
		items = append(items, domain.MenuItem{ID: id, StoreID: f.StoreID, Name: name, PosProductID: fmt.Sprintf("ls-prod-%d-%s", i, id[:8]),
			PriceCents: int64(1000 * (i + 1)), Active: true})
		f.Items = append(f.Items, id)
	}
	if err := s.Storage(t).SaveMenuItems(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	return f
}

// submitOrderMutation selects what the ordering system may read of the order
// it submits: the shopper's side.
const submitOrderMutation = `mutation($input: SubmitOrderInput!) { submitOrder(input: $input) {
	id leaflyOrderId status fulfillmentMethod subtotalCents totalCents
	customer { firstName lastName email phone }
	lines { menuItemId name quantity unitPriceCents discountedUnitPriceCents dealTitle }
	statusHistory { status source occurredAt }
} }`

// orderInput returns a valid pickup order for the fixture's store.
func (f fixture) orderInput(leaflyID string) map[string]any {
	return map[string]any{
		"storeId": f.StoreID, "leaflyOrderId": leaflyID, "fulfillmentMethod": "PICKUP",
		"customer": map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "phone": "+15035550100"},
		"lines": []any{
			map[string]any{"menuItemId": f.Items[0], "quantity": 2, "unitPriceCents": 1000, "discountedUnitPriceCents": 800, "dealTitle": "20% off flower"},
			map[string]any{"menuItemId": f.Items[1], "quantity": 1, "unitPriceCents": 2000},
		},
	}
}

// submit submits a valid order and returns its id.
func (f fixture) submit(t testing.TB, s *testServer, leaflyID string) string {
	t.Helper()
	data := s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": f.orderInput(leaflyID)})
	return str(path(data, "submitOrder", "id"))
}
