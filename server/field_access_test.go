package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The store's configuration a MARKETPLACE caller must never read.
const (
	secretAlertEmail = "owner-alerts@dispensary.example"
	secretOrderEmail = "new-orders@dispensary.example"
)

// marketplaceStoreLeaks are operations a MARKETPLACE caller may send, each
// selecting the store's side of the order it writes through a non-null
// field: every one must be refused before it runs, with FORBIDDEN naming the
// field, rather than act and answer a null order. (The nullable posCalls is
// null in an answer otherwise intact: TestForbiddenFieldIsNull.)
var marketplaceStoreLeaks = map[string]struct{ query, field string }{
	"SubmitStore": {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id store { id name notificationSettings { alertEmails newOrderEmails }
		orderIntegration { connection { domainPrefix } settings { registerId userId } } } } }`, "Order.store"},
	"SubmitStoreInFragment": {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { ...O } } fragment O on Order { id ... on Order { store { id } } }`, "Order.store"},
	"SubmitPosSync":         {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id posSync { saleId customerId lastError } } }`, "Order.posSync"},
	"SubmitActionable":      {`mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id actionable } }`, "Order.actionable"},
	"CancelStore":           {`mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { id store { notificationSettings { alertEmails } } } }`, "Order.store"},
}

// TestMarketplaceReadsNoStore: the ordering system reads the shopper's side
// of the orders it submits and cancels, never the store behind them (its
// alert emails, Lightspeed account and register) nor the POS side; a
// refused operation changes nothing.
func TestMarketplaceReadsNoStore(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// forbiddenCase is an operation selecting a field its caller may not read,
// and what the answer must be.
type forbiddenCase struct {
	name  string
	token func(f fixture) string
	query string
	vars  func(f fixture, orderID, leaflyID string) map[string]any
	check func(t *testing.T, r gqlResponse, orderID, leaflyID string)
}

var submitVars = func(f fixture, _, leaflyID string) map[string]any {
	return map[string]any{"in": f.orderInput(leaflyID)}
}

// forbiddenCases: a nullable field goes null alone, in queries and in
// mutations, which act; a non-null one nulls its parent in a query (GraphQL's
// null propagation) and refuses a mutation before it acts.
var forbiddenCases = []forbiddenCase{
	{"StaffQueryPosCalls", func(f fixture) string { return f.Staff }, `query($id: ID!) { order(id: $id) { id status posCalls { path } } }`,
		func(_ fixture, id, _ string) map[string]any { return map[string]any{"id": id} },
		func(t *testing.T, r gqlResponse, id, _ string) {
			if o := forbiddenNull(t, r, "Order.posCalls", "order", "posCalls"); o["id"] != id || o["status"] != "PENDING" {
				t.Errorf("order %v, want %s PENDING beside the null posCalls", o, id)
			}
		}},
	{"StaffMutationPosCalls", func(f fixture) string { return f.Staff }, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { id status posCalls { path } } }`,
		func(_ fixture, id, _ string) map[string]any { return map[string]any{"id": id} },
		func(t *testing.T, r gqlResponse, id, _ string) {
			if o := forbiddenNull(t, r, "Order.posCalls", "setOrderStatus", "posCalls"); o["id"] != id || o["status"] != "CONFIRMED" {
				t.Errorf("setOrderStatus answered %v, want %s CONFIRMED beside the null posCalls", o, id)
			}
		}},
	{"MarketplaceSubmitPosCalls", func(f fixture) string { return f.Market }, `mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id leaflyOrderId posCalls { path } } }`,
		submitVars,
		func(t *testing.T, r gqlResponse, _, leaflyID string) {
			if o := forbiddenNull(t, r, "Order.posCalls", "submitOrder", "posCalls"); o["leaflyOrderId"] != leaflyID || o["id"] == nil {
				t.Errorf("submitOrder answered %v, want the new order %s beside the null posCalls", o, leaflyID)
			}
		}},
	{"MarketplaceSubmitStore", func(f fixture) string { return f.Market }, `mutation($in: SubmitOrderInput!) { submitOrder(input: $in) { id store { id } } }`,
		submitVars,
		func(t *testing.T, r gqlResponse, _, _ string) {
			if len(r.Errors) != 1 || r.Code() != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, "Order.store") || len(r.Errors[0].Locations) != 1 || hasData(r.Data) {
				t.Errorf("answered %+v, want the mutation refused whole: one FORBIDDEN naming Order.store with its location, no data", r)
			}
		}},
	{"StaffQuerySetupOptions", func(f fixture) string { return f.Staff }, `query($s: ID!) { store(id: $s) { id } lightspeedSetupOptions(storeId: $s) { outlets { id } } }`,
		func(f fixture, _, _ string) map[string]any { return map[string]any{"s": f.StoreID} },
		func(t *testing.T, r gqlResponse, _, _ string) {
			if len(r.Errors) != 1 || r.Code() != "FORBIDDEN" || str(r.Errors[0].Path) != "[lightspeedSetupOptions]" || r.Data != nil {
				t.Errorf("answered %+v, want data null (a non-null root field is null) and one FORBIDDEN at [lightspeedSetupOptions]", r)
			}
		}},
}

// forbiddenNull checks r holds one error, FORBIDDEN naming field, at the
// path at with its location, and that data at that path is null; it returns
// the object holding it.
func forbiddenNull(t *testing.T, r gqlResponse, field string, at ...any) map[string]any {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("errors %+v, want one", r.Errors)
	}
	if e := r.Errors[0]; e.Extensions["code"] != "FORBIDDEN" || !strings.Contains(e.Message, field) || str(e.Path) != str(at) || len(e.Locations) != 1 {
		t.Fatalf("error %+v, want FORBIDDEN naming %s at %v with its location", e, field, at)
	}
	parent, _ := path(r.Data, at[:len(at)-1]...).(map[string]any)
	if v, ok := parent[at[len(at)-1].(string)]; !ok || v != nil {
		t.Fatalf("data %v, want %v present and null", r.Data, at)
	}
	return parent
}

// TestForbiddenFieldIsNull: a field its caller's role may not read does not
// blank the answer, over HTTP and a websocket alike; nothing is done for a
// mutation refused whole.
func TestForbiddenFieldIsNull(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		transports := map[string]func(t *testing.T, token, query string, vars map[string]any) gqlResponse{
			"HTTP": func(t *testing.T, token, q string, vars map[string]any) gqlResponse { return s.Do(t, token, q, vars) },
			"Websocket": func(t *testing.T, token, q string, vars map[string]any) gqlResponse {
				return wsDo(t, s, token, q, vars)
			},
		}
		orders := func() any {
			return path(s.MustDo(t, f.Admin, `query($s: ID!) { orders(storeId: $s) { totalCount } }`, map[string]any{"s": f.StoreID}), "orders", "totalCount")
		}
		for name, do := range transports {
			for _, c := range forbiddenCases {
				t.Run(name+"/"+c.name, func(t *testing.T) {
					leaflyID := "L-" + name + "-" + c.name
					id := f.submit(t, s, "L-ORDER-"+name+"-"+c.name)
					before := orders()
					r := do(t, c.token(f), c.query, c.vars(f, id, leaflyID))
					c.check(t, r, id, leaflyID)
					if c.name == "MarketplaceSubmitStore" && orders() != before {
						t.Errorf("the refused submitOrder made an order: %v orders, were %v", orders(), before)
					}
				})
			}
			t.Run(name+"/ManagerReadsTrail", func(t *testing.T) {
				id := f.submit(t, s, "L-TRAIL-"+name)
				r := do(t, f.Manager, `query($id: ID!) { order(id: $id) { posCalls { path } } }`, map[string]any{"id": id})
				if calls, ok := path(r.Data, "order", "posCalls").([]any); len(r.Errors) > 0 || !ok || len(calls) != 0 {
					t.Errorf("answered %+v, want posCalls an empty list (no Lightspeed call yet)", r)
				}
			})
		}
	})
}

// wsDo runs a query or mutation over a new graphql-transport-ws websocket.
func wsDo(t *testing.T, s *testServer, token, query string, vars map[string]any) gqlResponse {
	t.Helper()
	c := dialWS(t, s, "graphql-transport-ws", token)
	c.expect("connection_ack")
	c.subscribe("1", query, vars)
	r := decodeResponse(t, c.expect("next").Payload)
	c.expect("complete")
	return r
}

func decodeResponse(t *testing.T, payload []byte) gqlResponse {
	t.Helper()
	var r gqlResponse
	if err := json.Unmarshal(payload, &r); err != nil {
		t.Fatalf("payload %s: %v", payload, err)
	}
	return r
}

// staffUpdatesWithCalls is orderUpdated selecting posCalls, which
// STORE_STAFF may not read.
const staffUpdatesWithCalls = `subscription($s: ID!) { orderUpdated(storeId: $s) { kind order { id status posCalls { path } } } }`

// TestForbiddenFieldInSubscription: a subscription selecting a nullable
// field its caller may not read stays live, and every event has that field
// null with its FORBIDDEN error beside the rest of the event, over a
// websocket and server-sent events alike.
func TestForbiddenFieldInSubscription(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, db.env)
		f := newFixture(t, s)
		vars := map[string]any{"s": f.StoreID}
		ws := dialWS(t, s, "graphql-transport-ws", f.Staff)
		ws.expect("connection_ack")
		ws.subscribe("1", staffUpdatesWithCalls, vars)
		sse := sseSubscribe(t, s, f.Staff, staffUpdatesWithCalls, vars)
		subscribed(t, s, 2)
		id := f.submit(t, s, "L-SUB-CALLS")
		s.MustDo(t, f.Manager, `mutation($id: ID!) { setOrderStatus(id: $id, status: CONFIRMED) { status } }`, map[string]any{"id": id})
		for transport, next := range map[string]func() gqlResponse{
			"Websocket": func() gqlResponse { return decodeResponse(t, ws.expect("next").Payload) },
			"SSE":       sse,
		} {
			for _, kind := range []string{"CREATED", "STATUS_CHANGED"} {
				r := next()
				o := forbiddenNull(t, r, "Order.posCalls", "orderUpdated", "order", "posCalls")
				if got := path(r.Data, "orderUpdated", "kind"); got != kind || o["id"] != id || o["status"] == nil {
					t.Errorf("%s: event %s of order %v (status %v), want %s of %s with its status", transport, got, o["id"], o["status"], kind, id)
				}
			}
		}
	})
}

// sseSubscribe starts a subscription over server-sent events; the function
// it returns reads the stream's next event, failing after 10 s.
func sseSubscribe(t *testing.T, s *testServer, token, query string, vars map[string]any) func() gqlResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(sseRequest(s, token, query, vars))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	lines := bufio.NewScanner(resp.Body)
	return func() gqlResponse {
		t.Helper()
		deadline := time.AfterFunc(10*time.Second, func() { resp.Body.Close() })
		defer deadline.Stop()
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
				return decodeResponse(t, []byte(data))
			}
		}
		t.Fatalf("no server-sent event within 10 s: %v", lines.Err())
		return gqlResponse{}
	}
}
