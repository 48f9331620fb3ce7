package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestSubmitOrder(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		data := s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": f.orderInput("L-1")})
		o := path(data, "submitOrder")
		checks := map[string]any{
			"status": "PENDING", "subtotalCents": 4000.0, "totalCents": 3600.0, "fulfillmentMethod": "PICKUP",
		}
		for k, want := range checks {
			if got := path(o, k); got != want {
				t.Errorf("%s = %v, want %v", k, got, want)
			}
		}
		if got := path(o, "lines", 0, "name"); got != "Blue Dream 3.5g" {
			t.Errorf("lines[0].name = %v, want the menu item's name", got)
		}
		if got := path(o, "statusHistory", 0, "source"); got != "MARKETPLACE" {
			t.Errorf("statusHistory[0].source = %v, want MARKETPLACE", got)
		}
		stored := s.MustDo(t, f.Staff, `query($id: ID!) { order(id: $id) { posSync { state } store { id } } }`, map[string]any{"id": path(o, "id")})
		if got := path(stored, "order", "posSync", "state"); got != "NOT_APPLICABLE" {
			t.Errorf("posSync.state = %v, want NOT_APPLICABLE (integration off)", got)
		}
		if got := path(stored, "order", "store", "id"); got != f.StoreID {
			t.Errorf("store.id = %v, want %s", got, f.StoreID)
		}
	})
}

// TestOrderReadsHistoryWhenAsked: order(id) loads the status history only
// when the query selects it, however it selects it.
func TestOrderReadsHistoryWhenAsked(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		id := f.submit(t, s, "L-HIST")
		s.MustDo(t, f.Admin, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { status } }`, map[string]any{"id": id})
		queries := map[string]string{
			"Field":          `query($id: ID!) { order(id: $id) { id statusHistory { status } } }`,
			"InlineFragment": `query($id: ID!) { order(id: $id) { id ... on Order { statusHistory { status } } } }`,
			"NamedFragment":  `query($id: ID!) { order(id: $id) { ...H } } fragment H on Order { id statusHistory { status } }`,
			"Aliased":        `query($id: ID!) { order(id: $id) { id h: statusHistory { status } } }`,
		}
		for name, q := range queries {
			t.Run(name, func(t *testing.T) {
				o := path(s.MustDo(t, f.Admin, q, map[string]any{"id": id}), "order").(map[string]any)
				h, _ := o["statusHistory"].([]any)
				if h == nil {
					h, _ = o["h"].([]any)
				}
				if len(h) != 2 || path(h, 1, "status") != "CONFIRMED" {
					t.Errorf("history %v, want PENDING then CONFIRMED", h)
				}
			})
		}
		o := path(s.MustDo(t, f.Admin, `query($id: ID!) { order(id: $id) { status lines { name } } }`, map[string]any{"id": id}), "order")
		if path(o, "status") != "CONFIRMED" || path(o, "lines", 0, "name") != "Blue Dream 3.5g" {
			t.Errorf("order without its history: %v", o)
		}
	})
}

func TestSubmitOrderRefusesBadInput(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		other := newFixture(t, s)
		noPickup := s.MustDo(t, f.Admin, createStoreMutation, map[string]any{"input": map[string]any{
			"name": "Delivery only", "timeZone": "America/Denver", "pickupEnabled": false, "deliveryEnabled": false,
			"advertisingSubscriptionActive": true,
		}})
		cases := []struct {
			name   string
			modify func(in map[string]any)
			want   string
		}{
			{"NoLines", func(in map[string]any) { in["lines"] = []any{} }, "at least one line"},
			{"ZeroQuantity", func(in map[string]any) { line(in, 0)["quantity"] = 0 }, "lines[0].quantity"},
			{"NegativeQuantity", func(in map[string]any) { line(in, 1)["quantity"] = -3 }, "lines[1].quantity"},
			{"NegativePrice", func(in map[string]any) { line(in, 0)["unitPriceCents"] = -1 }, "lines[0].unitPriceCents"},
			{"NegativeDiscount", func(in map[string]any) { line(in, 0)["discountedUnitPriceCents"] = -5 }, "lines[0].discountedUnitPriceCents"},
			{"UnknownMenuItem", func(in map[string]any) { line(in, 0)["menuItemId"] = "nope" }, `lines[0].menuItemId "nope" is not on the menu`},
			{"OtherStoresMenuItem", func(in map[string]any) { line(in, 1)["menuItemId"] = other.Items[0] }, "lines[1].menuItemId"},
			{"DeliveryWithoutAddress", func(in map[string]any) { in["fulfillmentMethod"] = "DELIVERY" }, "needs a deliveryAddress"},
			{"DeliveryDisabled", func(in map[string]any) {
				in["storeId"] = str(path(noPickup, "createStore", "id"))
				in["fulfillmentMethod"] = "DELIVERY"
				in["deliveryAddress"] = address()
			}, "does not take DELIVERY orders"},
			{"PickupDisabled", func(in map[string]any) { in["storeId"] = str(path(noPickup, "createStore", "id")) }, "does not take PICKUP orders"},
			{"BadEmail", func(in map[string]any) { in["customer"].(map[string]any)["email"] = "not-an-email" }, "customer.email"},
			{"EmptyLeaflyID", func(in map[string]any) { in["leaflyOrderId"] = " " }, "leaflyOrderId"},
			{"BadCountry", func(in map[string]any) {
				in["fulfillmentMethod"] = "DELIVERY"
				a := address()
				a["country"] = "USA"
				in["deliveryAddress"] = a
			}, "country"},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := f.orderInput(fmt.Sprintf("bad-%d", i))
				c.modify(in)
				r := s.Do(t, f.Market, submitOrderMutation, map[string]any{"input": in})
				if r.Code() != "BAD_USER_INPUT" {
					t.Fatalf("code %q (errors %+v), want BAD_USER_INPUT", r.Code(), r.Errors)
				}
				if msg := r.Errors[0].Message; !strings.Contains(msg, c.want) {
					t.Errorf("message %q does not mention %q", msg, c.want)
				}
			})
		}
		total := s.MustDo(t, f.Admin, `query($s: ID!) { orders(storeId: $s) { totalCount } }`, map[string]any{"s": f.StoreID})
		if n := path(total, "orders", "totalCount"); n != 0.0 {
			t.Errorf("after refused submissions the store has %v orders, want 0", n)
		}
	})
}

func line(in map[string]any, i int) map[string]any { return in["lines"].([]any)[i].(map[string]any) }

func address() map[string]any {
	return map[string]any{"line1": "1 Main St", "city": "Portland", "state": "OR", "postalCode": "97201", "country": "US"}
}

func TestSubmitOrderIsIdempotentUnderConcurrency(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		const n = 16
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids[i] = f.submit(t, s, "L-same")
			}()
		}
		wg.Wait()
		for i := range ids {
			if ids[i] != ids[0] {
				t.Fatalf("submission %d got order %s, submission 0 got %s", i, ids[i], ids[0])
			}
		}
		data := s.MustDo(t, f.Admin, `query($s: ID!) { orders(storeId: $s) { totalCount edges { node { statusHistory { status } } } } }`, map[string]any{"s": f.StoreID})
		if got := path(data, "orders", "totalCount"); got != 1.0 {
			t.Errorf("totalCount = %v, want 1", got)
		}
		if h := path(data, "orders", "edges", 0, "node", "statusHistory").([]any); len(h) != 1 {
			t.Errorf("status history has %d entries, want 1", len(h))
		}
	})
}
