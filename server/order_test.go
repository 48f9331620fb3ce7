package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
)

func TestSubmitOrder(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// TestSubmitOrderAtMenuPrices: a line's unitPriceCents must be its item's
// synced menu price and a deal price may not exceed it. A refusal names
// every wrong line with both prices, in the message and in
// extensions.lines, and writes nothing: the same Leafly order id sent
// right afterwards is a new order.
func TestSubmitOrderAtMenuPrices(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		wrong := func(i int, id, field string, sent, menu float64) map[string]any {
			return map[string]any{"index": float64(i), "menuItemId": id, "field": field, "sentCents": sent, "menuPriceCents": menu}
		}
		cases := map[string]struct {
			modify func(in map[string]any)
			lines  []map[string]any
			text   string
		}{
			"OneCent": {func(in map[string]any) { line(in, 0)["unitPriceCents"] = 1 },
				[]map[string]any{wrong(0, f.Items[0], "unitPriceCents", 1, 1000)},
				fmt.Sprintf(`lines[0].unitPriceCents is 1 ($0.01) but the menu price of "Blue Dream 3.5g" (menuItemId %s) is 1000 ($10.00).`, f.Items[0])},
			"AboveMenu": {func(in map[string]any) { line(in, 1)["unitPriceCents"] = 2500 },
				[]map[string]any{wrong(1, f.Items[1], "unitPriceCents", 2500, 2000)}, "lines[1].unitPriceCents is 2500 ($25.00)"},
			"DealAboveMenu": {func(in map[string]any) { line(in, 0)["discountedUnitPriceCents"] = 1200 },
				[]map[string]any{wrong(0, f.Items[0], "discountedUnitPriceCents", 1200, 1000)}, "a deal may only lower the price"},
			"EveryWrongLine": {func(in map[string]any) {
				line(in, 0)["unitPriceCents"] = 1
				line(in, 1)["menuItemId"] = "nope"
				in["lines"] = append(in["lines"].([]any), map[string]any{"menuItemId": f.Items[2], "quantity": 1, "unitPriceCents": 2999, "discountedUnitPriceCents": 3500})
			}, []map[string]any{
				wrong(0, f.Items[0], "unitPriceCents", 1, 1000),
				{"index": 1.0, "menuItemId": "nope", "field": "menuItemId"},
				wrong(2, f.Items[2], "unitPriceCents", 2999, 3000),
				wrong(2, f.Items[2], "discountedUnitPriceCents", 3500, 3000),
			}, `lines[1].menuItemId "nope" is not on the menu`},
		}
		t.Run("Refused", func(t *testing.T) {
			for name, c := range cases {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					in := f.orderInput("L-PRICE-" + name)
					c.modify(in)
					r := s.Do(t, f.Market, submitOrderMutation, map[string]any{"input": in})
					if r.Code() != "BAD_USER_INPUT" || r.Data["submitOrder"] != nil {
						t.Fatalf("code %q data %v errors %+v, want BAD_USER_INPUT and no order", r.Code(), r.Data, r.Errors)
					}
					msg := r.Errors[0].Message
					if !strings.Contains(msg, c.text) || !strings.Contains(msg, "menuItems priceCents") {
						t.Errorf("message %q does not say %q and where the menu price is", msg, c.text)
					}
					got, _ := r.Errors[0].Extensions["lines"].([]any)
					if len(got) != len(c.lines) {
						t.Fatalf("extensions.lines %v, want %v", got, c.lines)
					}
					for i, want := range c.lines {
						g := got[i].(map[string]any)
						for k, v := range want {
							if g[k] != v {
								t.Errorf("extensions.lines[%d].%s = %v, want %v", i, k, g[k], v)
							}
						}
						if m, _ := g["message"].(string); m == "" || !strings.Contains(msg, m) {
							t.Errorf("extensions.lines[%d].message %q is not part of the error's message", i, m)
						}
					}
				})
			}
		})
		total := s.MustDo(t, f.Admin, `query($s: ID!) { orders(storeId: $s) { totalCount } }`, map[string]any{"s": f.StoreID})
		if n := path(total, "orders", "totalCount"); n != 0.0 {
			t.Fatalf("after refused submissions the store has %v orders, want 0", n)
		}
		in := f.orderInput("L-PRICE-OneCent")
		line(in, 1)["discountedUnitPriceCents"] = 2000
		o := path(s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": in}), "submitOrder")
		if path(o, "subtotalCents") != 4000.0 || path(o, "totalCents") != 3600.0 || path(o, "lines", 0, "unitPriceCents") != 1000.0 {
			t.Errorf("the corrected order %v, want subtotal 4000 (menu prices), total 3600 (a deal price equal to the menu price is accepted)", o)
		}
	})
}

// TestResubmitAfterMenuPriceChange: a retry of an accepted order answers
// that order even when the menu price changed since and the retry carries
// the old price; a new order must carry the new one.
func TestResubmitAfterMenuPriceChange(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		id := f.submit(t, s, "L-REPRICED")
		store := s.Storage(t)
		items, err := store.MenuItemsByID(context.Background(), f.StoreID, []string{f.Items[0]})
		if err != nil {
			t.Fatal(err)
		}
		item := items[f.Items[0]]
		item.PriceCents = 1500
		if err := store.SaveMenuItems(context.Background(), []domain.MenuItem{item}); err != nil {
			t.Fatal(err)
		}

		retry := path(s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": f.orderInput("L-REPRICED")}), "submitOrder")
		if path(retry, "id") != id || path(retry, "subtotalCents") != 4000.0 || path(retry, "lines", 0, "unitPriceCents") != 1000.0 {
			t.Errorf("retry after the price change answered %v, want order %s as first accepted (subtotal 4000)", retry, id)
		}
		r := s.Do(t, f.Market, submitOrderMutation, map[string]any{"input": f.orderInput("L-NEW")})
		if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "is 1500 ($15.00)") {
			t.Fatalf("a new order at the old price: code %q errors %+v, want BAD_USER_INPUT naming the new price", r.Code(), r.Errors)
		}
		in := f.orderInput("L-NEW")
		line(in, 0)["unitPriceCents"] = 1500
		o := path(s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": in}), "submitOrder")
		if path(o, "subtotalCents") != 5000.0 || path(o, "totalCents") != 3600.0 {
			t.Errorf("the new order at the new price %v, want subtotal 5000 and total 3600", o)
		}
	})
}
