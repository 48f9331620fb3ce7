package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The store's configuration a MARKETPLACE caller must never read.
const (
	secretAlertEmail = "owner-alerts@dispensary.example"
	secretOrderEmail = "new-orders@dispensary.example"
)

// marketplaceStoreLeaks are operations a MARKETPLACE caller may send, each
// selecting the store's side of the order it writes: every one must be
// refused before it runs, with FORBIDDEN naming the field.
var marketplaceStoreLeaks = map[string]struct{ query, field string }{
	"SubmitStore": {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id store { id name notificationSettings { alertEmails newOrderEmails }
		orderIntegration { connection { domainPrefix } settings { registerId userId } } } } }`, "Order.store"},
	"SubmitStoreInFragment": {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { ...O } } fragment O on Order { id ... on Order { store { id } } }`, "Order.store"},
	"SubmitPosSync":         {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id posSync { saleId customerId lastError } } }`, "Order.posSync"},
	"SubmitPosCalls":        {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id posCalls { path } } }`, "Order.posCalls"},
	"SubmitActionable":      {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id actionable } }`, "Order.actionable"},
	"CancelStore":           {`mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { id store { notificationSettings { alertEmails } } } }`, "Order.store"},
}

// TestMarketplaceReadsNoStore: the ordering system reads the shopper's side
// of the orders it submits and cancels, never the store behind them (its
// alert emails, Lightspeed account and register) nor the POS side; a
// refused operation changes nothing.
func TestMarketplaceReadsNoStore(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		s.MustDo(t, f.Admin, `mutation($s: ID!, $a: [String!]!, $n: [String!]!) { updateNotificationSettings(input: {storeId: $s, alertEmails: $a, newOrderEmails: $n}) { alertEmails } }`,
			map[string]any{"s": f.StoreID, "a": []string{secretAlertEmail}, "n": []string{secretOrderEmail}})
		orderID := f.submit(t, s, "L-MKT")
		for name, leak := range marketplaceStoreLeaks {
			t.Run(name, func(t *testing.T) {
				r := s.Do(t, f.Market, leak.query, map[string]any{"in": f.orderInput("L-LEAK-" + name), "id": orderID})
				if r.Code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, leak.field) {
					t.Fatalf("code %q errors %+v, want FORBIDDEN naming %s", r.Code(), r.Errors, leak.field)
				}
				if body := marshal(t, r); strings.Contains(body, secretAlertEmail) || strings.Contains(body, secretOrderEmail) || hasData(r.Data) {
					t.Fatalf("refused operation answered data: %s", body)
				}
			})
		}
		orders := s.MustDo(t, f.Admin, `query($id: ID!, $s: ID!) { order(id: $id) { status } orders(storeId: $s) { totalCount } }`,
			map[string]any{"id": orderID, "s": f.StoreID})
		if path(orders, "order", "status") != "PENDING" || path(orders, "orders", "totalCount") != 1.0 {
			t.Errorf("after refused operations: %v, want the one order, still PENDING", orders)
		}
	})
}

// TestMarketplaceReadsShopperSide: what the ordering system may read of the
// order it submits and cancels, all of it at once.
func TestMarketplaceReadsShopperSide(t *testing.T) {
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	const shopperSide = `id leaflyOrderId status fulfillmentMethod hasGovernmentId subtotalCents totalCents cancelReason cancelReasonText createdAt updatedAt
		customer { firstName lastName email phone } deliveryAddress { line1 line2 city state postalCode country }
		lines { menuItemId name quantity unitPriceCents discountedUnitPriceCents dealTitle } statusHistory { status source occurredAt }`
	data := s.MustDo(t, f.Market, `mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { `+shopperSide+` } }`,
		map[string]any{"in": f.orderInput("L-SHOPPER")})
	id := str(path(data, "submitOrder", "id"))
	data = s.MustDo(t, f.Market, `mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { `+shopperSide+` } }`, map[string]any{"id": id})
	if path(data, "cancelOrder", "status") != "CANCELED" || path(data, "cancelOrder", "customer", "email") != "ada@example.com" {
		t.Fatalf("cancelOrder answered %v, want the canceled order with its shopper", data)
	}
}

// TestResubmitDisclosesNoShopper: submitOrder stays idempotent on (storeId,
// leaflyOrderId) for a retry of the same order, but a resubmission naming
// another shopper (any MARKETPLACE caller who knows or guesses the pair) is
// refused with CONFLICT and reads nothing of the first shopper.
func TestResubmitDisclosesNoShopper(t *testing.T) {
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		original := f.orderInput("L-PRIVATE")
		id := str(path(s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": original}), "submitOrder", "id"))
		retry := s.MustDo(t, f.Market, submitOrderMutation, map[string]any{"input": f.orderInput("L-PRIVATE")})
		if got := path(retry, "submitOrder", "id"); got != id {
			t.Fatalf("a retry of the same order answered order %v, want %s", got, id)
		}
		customer := func(in map[string]any) map[string]any { return in["customer"].(map[string]any) }
		others := map[string]func(in map[string]any){
			"OtherEmail": func(in map[string]any) { customer(in)["email"] = "eve@example.com" },
			"OtherPhone": func(in map[string]any) { customer(in)["phone"] = "+15035550199" },
			"NoContact":  func(in map[string]any) { delete(customer(in), "email"); delete(customer(in), "phone") },
			"OtherName":  func(in map[string]any) { customer(in)["lastName"] = "Byron" },
			"OtherAddress": func(in map[string]any) {
				in["fulfillmentMethod"], in["deliveryAddress"] = "DELIVERY", address()
			},
		}
		for name, change := range others {
			t.Run(name, func(t *testing.T) {
				in := f.orderInput("L-PRIVATE")
				change(in)
				r := s.Do(t, s.Token(t, "MARKETPLACE"), submitOrderMutation, map[string]any{"input": in})
				if r.Code() != "CONFLICT" {
					t.Fatalf("code %q errors %+v, want CONFLICT", r.Code(), r.Errors)
				}
				if body := marshal(t, r); strings.Contains(body, "ada@example.com") || strings.Contains(body, "+15035550100") || strings.Contains(body, id) {
					t.Fatalf("refused resubmission disclosed the first order: %s", body)
				}
			})
		}
	})
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFieldAccessOverWebsocket: a subscription selecting a field the role
// may not read is refused when it is sent, not when an event comes.
func TestFieldAccessOverWebsocket(t *testing.T) {
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	f := newFixture(t, s)
	c := dialWS(t, s, "graphql-transport-ws", f.Staff)
	c.expect("connection_ack")
	c.subscribe("1", `subscription($s: ID!) { orderStatusChanged(storeId: $s) { status order { id posCalls { path } } } }`, map[string]any{"s": f.StoreID})
	m := c.expect("next")
	if p := string(m.Payload); !strings.Contains(p, `"code":"FORBIDDEN"`) || !strings.Contains(p, "Order.posCalls") {
		t.Fatalf("payload %s, want FORBIDDEN naming Order.posCalls", p)
	}
	c.expect("complete")
}
