package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/sandbox"
)

// End-to-end tests of orders becoming Lightspeed sales: the real program,
// its sandbox over HTTP, both databases.

const enableIntegration = `mutation($id: ID!) { enableOrderIntegration(storeId: $id) { enabled } }`

// enabledStore is a store connected by OAuth, menu synced, set up and with
// its order integration enabled, taking pickup and delivery.
func enabledStore(t *testing.T, s *testServer) (lsStore, map[string]map[string]any) {
	t.Helper()
	st := newLightspeedStore(t, s)
	s.MustDo(t, st.Admin, `mutation($id: ID!) { updateStore(input: {id: $id, deliveryEnabled: true}) { id } }`, map[string]any{"id": st.ID})
	st.connectOAuth(t)
	st.syncMenu(t)
	in := map[string]any{"storeId": st.ID}
	for k, v := range demoSettings(t, sandboxOf(t, s)) {
		in[k] = v
	}
	s.MustDo(t, st.Manager, configureMutation, map[string]any{"input": in})
	s.MustDo(t, st.Manager, enableIntegration, map[string]any{"id": st.ID})
	waitForJobs(t, s)
	return st, st.menu(t)
}

// anyItems returns n menu items of the store.
func anyItems(menu map[string]map[string]any, n int) []map[string]any {
	var out []map[string]any
	for _, it := range menu {
		if len(out) == n {
			break
		}
		out = append(out, it)
	}
	return out
}

const orderSyncQuery = `query($id: ID!) { order(id: $id) { id status leaflyOrderId
	posSync { state saleId customerId attempts lastError errorCode warning }
	statusHistory { status source } } }`

// order reads an order with its POS sync state.
func (st lsStore) order(t *testing.T, id string) map[string]any {
	t.Helper()
	return path(st.s.MustDo(t, st.Staff, orderSyncQuery, map[string]any{"id": id}), "order").(map[string]any)
}

// waitPos waits until the order's posSync.state is want.
func (st lsStore) waitPos(t *testing.T, id, want string) map[string]any {
	t.Helper()
	return st.waitPosWithin(t, id, want, 20*time.Second)
}

// waitPosWithin is waitPos with a deadline of its own.
func (st lsStore) waitPosWithin(t *testing.T, id, want string, d time.Duration) map[string]any {
	t.Helper()
	var o map[string]any
	waitFor(t, "order "+id+" to be "+want, d, func() bool {
		o = st.order(t, id)
		return path(o, "posSync", "state") == want
	})
	return o
}

// shopperOrder submits an order of one line per item for a shopper.
func (st lsStore) shopperOrder(t *testing.T, leaflyID, email string, items []map[string]any, delivery map[string]any) string {
	t.Helper()
	in := map[string]any{"storeId": st.ID, "leaflyOrderId": leaflyID, "fulfillmentMethod": "PICKUP", "hasGovernmentId": true,
		"customer": map[string]any{"firstName": "Grace", "lastName": "Hopper", "email": email, "phone": "+15035550123", "dateOfBirth": "1990-12-09"}}
	if delivery != nil {
		in["fulfillmentMethod"], in["deliveryAddress"] = "DELIVERY", delivery
	}
	var lines []any
	for i, it := range items {
		price := it["priceCents"].(float64)
		line := map[string]any{"menuItemId": it["id"], "quantity": i + 1, "unitPriceCents": price}
		if i == 0 {
			line["discountedUnitPriceCents"], line["dealTitle"] = price/2, "Half off first gram"
		}
		lines = append(lines, line)
	}
	in["lines"] = lines
	data := st.s.MustDo(t, st.Market, submitOrderMutation, map[string]any{"input": in})
	return str(path(data, "submitOrder", "id"))
}

// sales returns the demo retailer's sales made for a Leafly order.
func (sb lsSandbox) sales(leaflyID string) []map[string]any {
	sb.t.Helper()
	out := sb.must(http.MethodGet, "/"+sandbox.DemoPrefix+"/staff/sales?source_id="+leaflyID, "", nil)
	var list []map[string]any
	for _, x := range out["data"].([]any) {
		list = append(list, x.(map[string]any))
	}
	return list
}

func TestOrderBecomesOneSale(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		items := anyItems(menu, 2)
		email := fmt.Sprintf("grace-%d@example.com", time.Now().UnixNano())

		t.Run("PickupNewShopper", func(t *testing.T) {
			id := st.shopperOrder(t, "P-1", email, items, nil)
			o := st.waitPos(t, id, "SENT")
			if o["status"] != "CONFIRMED" {
				t.Errorf("status %v, want CONFIRMED", o["status"])
			}
			h := path(o, "statusHistory").([]any)
			if last := h[len(h)-1]; path(last, "status") != "CONFIRMED" || path(last, "source") != "POS" {
				t.Errorf("last history entry %v, want CONFIRMED from POS", last)
			}
			sales := sb.sales("P-1")
			if len(sales) != 1 {
				t.Fatalf("%d sales for P-1, want 1", len(sales))
			}
			sale := sales[0]
			if sale["id"] != path(o, "posSync", "saleId") || sale["customer_id"] != path(o, "posSync", "customerId") {
				t.Errorf("sale %v/%v, order says %v/%v", sale["id"], sale["customer_id"], path(o, "posSync", "saleId"), path(o, "posSync", "customerId"))
			}
			if sale["state"] != "pending" || !strings.Contains(fmt.Sprint(sale["attributes"]), "pickup") {
				t.Errorf("sale state %v attributes %v, want pending pickup", sale["state"], sale["attributes"])
			}
			note := str(sale["note"])
			for _, want := range []string{"Leafly order P-1", "Half off first gram", "Government ID on file in Leafly Biz"} {
				if !strings.Contains(note, want) {
					t.Errorf("sale note %q lacks %q", note, want)
				}
			}
			if lines := sale["line_items"].([]any); len(lines) != 2 {
				t.Errorf("%d sale lines, want 2", len(lines))
			}
		})

		t.Run("ReturningShopperCostsOneCall", func(t *testing.T) {
			sb.resetCalls()
			id := st.shopperOrder(t, "P-2", email, items[:1], nil)
			st.waitPos(t, id, "SENT")
			calls, total := sb.calls()
			if total != 1 || calls["POST /sales"] != 1 {
				t.Errorf("a returning shopper's order took %d calls %v, want only POST /sales", total, calls)
			}
		})

		t.Run("DeliveryAddress", func(t *testing.T) {
			id := st.shopperOrder(t, "D-1", "ada-"+email, items[:1], map[string]any{
				"line1": "1 Main St", "city": "Portland", "state": "OR", "postalCode": "97201", "country": "US"})
			o := st.waitPos(t, id, "SENT")
			if w := path(o, "posSync", "warning"); w != nil {
				t.Errorf("warning %v for a valid address", w)
			}
			sale := sb.sales("D-1")[0]
			if !strings.Contains(fmt.Sprint(sale["attributes"]), "delivery") {
				t.Errorf("sale attributes %v, want delivery", sale["attributes"])
			}
		})

		t.Run("RefusedAddressStillMakesTheSale", func(t *testing.T) {
			id := st.shopperOrder(t, "D-2", "alan-"+email, items[:1], map[string]any{
				"line1": "1 Main St", "city": "Portland", "state": "OR", "postalCode": "NOT-A-ZIP", "country": "US"})
			o := st.waitPos(t, id, "SENT")
			if w := path(o, "posSync", "warning"); w == nil {
				t.Error("no warning for an address Lightspeed refused")
			}
			if note := str(sb.sales("D-2")[0]["note"]); !strings.Contains(note, "NOT-A-ZIP") {
				t.Errorf("sale note %q lacks the refused address", note)
			}
		})

		t.Run("DuplicateSubmit", func(t *testing.T) {
			a := st.shopperOrder(t, "DUP-1", email, items[:1], nil)
			b := st.shopperOrder(t, "DUP-1", email, items[:1], nil)
			if a != b {
				t.Fatalf("duplicate submit made orders %s and %s", a, b)
			}
			st.waitPos(t, a, "SENT")
			if n := len(sb.sales("DUP-1")); n != 1 {
				t.Errorf("%d sales for DUP-1, want 1", n)
			}
		})

		t.Run("ShopperCancelVoidsTheSale", func(t *testing.T) {
			id := st.shopperOrder(t, "C-1", email, items[:1], nil)
			st.waitPos(t, id, "SENT")
			s.MustDo(t, st.Market, `mutation($id: ID!) { cancelOrder(id: $id, reason: CUSTOMER) { status } }`, map[string]any{"id": id})
			if got := st.order(t, id)["status"]; got != "CANCELED" {
				t.Errorf("status %v right after the cancel, want CANCELED", got)
			}
			waitFor(t, "the sale to be voided", 20*time.Second, func() bool { return sb.sales("C-1")[0]["state"] == "voided" })
		})

		t.Run("RejectedSale", func(t *testing.T) {
			gone := items[1]
			sb.must(http.MethodDelete, "/"+sandbox.DemoPrefix+"/staff/products/"+str(gone["posProductId"]), "", nil)
			id := st.shopperOrder(t, "R-1", email, []map[string]any{gone}, nil)
			o := st.waitPos(t, id, "NOT_SENT")
			if path(o, "posSync", "errorCode") != "REJECTED" || path(o, "posSync", "lastError") == nil {
				t.Errorf("posSync %v, want errorCode REJECTED with a reason", o["posSync"])
			}
			if n := len(sb.sales("R-1")); n != 0 {
				t.Errorf("%d sales for a refused order", n)
			}
		})
	})
}

// TestNewShopperInConcurrentOrders sends two orders of one new shopper at
// once: Lightspeed gets one customer.
func TestNewShopperInConcurrentOrders(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		email := fmt.Sprintf("twin-%d@example.com", time.Now().UnixNano())
		ids := make([]string, 4)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids[i] = st.shopperOrder(t, fmt.Sprintf("TWIN-%d", i), email, anyItems(menu, 1), nil)
			}()
		}
		wg.Wait()
		customers := map[any]bool{}
		for _, id := range ids {
			customers[path(st.waitPos(t, id, "SENT"), "posSync", "customerId")] = true
		}
		found := sb.api(sandbox.DemoPersonalToken, "/search?type=customers&email="+email).([]any)
		if len(found) != 1 || len(customers) != 1 {
			t.Errorf("Lightspeed has %d customers with the email, orders use %d, want 1 and 1", len(found), len(customers))
		}
	})
}

// TestSaleChargesTheOrderPrice: staff change an item's price in Lightspeed
// and the menu is synced again while an order of it waits for the POS.
// The sale charges the price the order was accepted at, so the order and
// the sale agree; a new order must carry the new price.
func TestSaleChargesTheOrderPrice(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		item := anyItems(menu, 1)[0]
		was := item["priceCents"].(float64)
		sb.fault(map[string]any{"status": 503, "duration": "1h", "path": "/sales", "method": "POST"})
		id := st.shopperOrder(t, "REPRICED-1", "repriced@example.com", []map[string]any{item}, nil)
		waitFor(t, "the first attempt to fail", 20*time.Second, func() bool { return path(st.order(t, id), "posSync", "lastError") != nil })

		sb.must(http.MethodPost, "/"+sandbox.DemoPrefix+"/staff/products", "", map[string]any{
			"id": item["posProductId"], "price_excluding_tax": (was + 500) / 100})
		st.syncMenu(t)
		if now := st.menu(t)[str(item["posProductId"])]["priceCents"]; now != was+500 {
			t.Fatalf("menu price after the sync %v, want %v", now, was+500)
		}
		r := s.Do(t, st.Market, submitOrderMutation, map[string]any{"input": map[string]any{"storeId": st.ID, "leaflyOrderId": "REPRICED-2",
			"fulfillmentMethod": "PICKUP", "customer": map[string]any{"firstName": "Grace", "lastName": "Hopper"},
			"lines": []any{map[string]any{"menuItemId": item["id"], "quantity": 1, "unitPriceCents": was}}}})
		if r.Code() != "BAD_USER_INPUT" {
			t.Errorf("a new order at the old price: code %q, want BAD_USER_INPUT", r.Code())
		}

		sb.must(http.MethodDelete, "/control/faults", "", nil)
		st.waitPosWithin(t, id, "SENT", 60*time.Second)
		sales := sb.sales("REPRICED-1")
		if len(sales) != 1 {
			t.Fatalf("%d sales, want 1", len(sales))
		}
		if price := path(sales[0], "line_items", 0, "pricing", "price"); price != was/100 {
			t.Errorf("sale line price %v, want %v: the price the order was accepted at", price, was/100)
		}
	})
}

// TestSupportTrail reads the Lightspeed calls made for an order: managers
// see them, staff may not.
func TestSupportTrail(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startLightspeedServer(t, db, nil)
		sb := sandboxOf(t, s)
		st, menu := enabledStore(t, s)
		sb.fault(map[string]any{"status": 503, "count": 1, "path": "/sales", "method": "POST"})
		id := st.shopperOrder(t, "TRAIL-1", "trail@example.com", anyItems(menu, 1), nil)
		st.waitPos(t, id, "SENT")
		q := `query($id: ID!) { order(id: $id) { posCalls { at method path status durationMs error } } }`
		// The calls that made the sale are written in the transaction that
		// records it: an order SENT shows them.
		var got []string
		for _, c := range path(s.MustDo(t, st.Manager, q, map[string]any{"id": id}), "order", "posCalls").([]any) {
			got = append(got, fmt.Sprintf("%v %v %v", path(c, "method"), path(c, "path"), path(c, "status")))
		}
		trail := strings.Join(got, "; ")
		if !strings.Contains(trail, "POST /sales 200") {
			t.Errorf("trail %q of an order SENT lacks the successful send, POST /sales 200", trail)
		}
		if !strings.Contains(trail, "POST /sales 503") {
			t.Errorf("trail %q lacks the failed attempt, POST /sales 503", trail)
		}
		if r := s.Do(t, st.Staff, q, map[string]any{"id": id}); r.Code() != "FORBIDDEN" {
			t.Errorf("staff reading the trail: code %q, want FORBIDDEN", r.Code())
		}
	})
}
