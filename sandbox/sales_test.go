package sandbox_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"
)

func TestSaleCreateGetDuplicateVoidFeed(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	id := uuid.NewString()

	r := e.api("POST", "/sales", tk, e.pickupSale(id, "LEAFLY-1001"))
	expectStatus(t, "create", r, http.StatusOK)
	created := r.data()
	src := created["source"].(map[string]any)
	totals := created["totals"].(map[string]any)
	switch {
	case created["id"] != id, created["state"] != "pending", src["id"] != "LEAFLY-1001", src["type"] != "leafly":
		t.Fatalf("created sale = %s", r.body)
	case src["register_id"] != e.demo.RegisterIDs[0], src["outlet_id"] != e.demo.OutletIDs[0]:
		t.Fatalf("source = %v, want the register and its outlet", src)
	case num(totals["price"]) != 70 || num(totals["tax"]) != 7 || num(totals["price_incl_tax"]) != 77:
		t.Fatalf("totals = %v, want price 70, tax 7, price_incl_tax 77 (numbers sent as strings)", totals)
	case num(created["version"]) == 0 || num(created["version"]) != num(created["_metadata"].(map[string]any)["version"]):
		t.Fatalf("version = %v, _metadata = %v", created["version"], created["_metadata"])
	}
	v1 := num(created["version"])

	got := e.api("GET", "/sales/"+id, tk, nil)
	expectStatus(t, "get", got, http.StatusOK)
	if num(got.data()["version"]) != v1 {
		t.Errorf("GET version %v, want %v", got.data()["version"], v1)
	}
	expectStatus(t, "get unknown", e.api("GET", "/sales/"+uuid.NewString(), tk, nil), http.StatusNotFound)

	dup := e.api("POST", "/sales", tk, e.pickupSale(id, "LEAFLY-1001"))
	expectStatus(t, "same id again", dup, http.StatusConflict)
	if dup.json()["error"] != "sale already exists" {
		t.Errorf("409 body = %s", dup.body)
	}

	fs := e.api("GET", "/fulfillments?sale_id="+id, tk, nil).list()
	if len(fs) != 1 || fs[0]["type"] != "PICKUP" || fs[0]["state"] != "OPEN" || fs[0]["note"] != "Pickup 14:00" {
		t.Fatalf("fulfillments = %v, want one OPEN PICKUP", fs)
	}

	void := e.api("PUT", "/sales/"+id, tk, map[string]any{"state": "voided"})
	expectStatus(t, "void by partial PUT", void, http.StatusOK)
	if void.data()["state"] != "voided" || num(void.data()["version"]) <= v1 || void.data()["note"] != "Leafly order LEAFLY-1001" {
		t.Fatalf("voided sale = %s", void.body)
	}
	again := e.api("PUT", "/sales/"+id, tk, map[string]any{"state": "voided"})
	if num(again.data()["version"]) != num(void.data()["version"]) {
		t.Errorf("a no-op PUT bumped the version")
	}
	expectStatus(t, "change a voided sale", e.api("PUT", "/sales/"+id, tk, map[string]any{"note": "x"}), http.StatusBadRequest)

	feed := e.api("GET", fmt.Sprintf("/sales?after=%.0f", v1), tk, nil)
	items := feed.list()
	if len(items) != 1 || items[0]["id"] != id || items[0]["state"] != "voided" {
		t.Fatalf("feed after %v = %s", v1, feed.body)
	}
	if none := e.api("GET", fmt.Sprintf("/sales?after=%.0f", num(items[0]["version"])), tk, nil).list(); len(none) != 0 {
		t.Fatalf("feed after the last version = %v, want empty", none)
	}
}

func TestSaleValidation(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	line := func(b map[string]any) map[string]any { return b["line_items"].([]any)[0].(map[string]any) }
	cases := []struct {
		name string
		edit func(map[string]any)
	}{
		{"NoSource", func(b map[string]any) { delete(b, "source") }},
		{"NoAuthor", func(b map[string]any) { delete(b["source"].(map[string]any), "author_id") }},
		{"UnknownAuthor", func(b map[string]any) { b["source"].(map[string]any)["author_id"] = uuid.NewString() }},
		{"UnknownRegister", func(b map[string]any) { b["source"].(map[string]any)["register_id"] = uuid.NewString() }},
		{"NoState", func(b map[string]any) { delete(b, "state") }},
		{"BadState", func(b map[string]any) { b["state"] = "open" }},
		{"PickupAndDelivery", func(b map[string]any) { b["attributes"] = []string{"pickup", "delivery"} }},
		{"UnknownAttribute", func(b map[string]any) { b["attributes"] = []string{"curbside"} }},
		{"UnknownCustomer", func(b map[string]any) { b["customer_id"] = uuid.NewString() }},
		{"DateNotRFC3339", func(b map[string]any) { b["date"] = "2026-07-14 09:12:00" }},
		{"IDNotUUID", func(b map[string]any) { b["id"] = "LEAFLY-1" }},
		{"UnknownProduct", func(b map[string]any) { line(b)["product"] = map[string]any{"id": uuid.NewString()} }},
		{"NoQuantity", func(b map[string]any) { delete(line(b), "quantity") }},
		{"QuantityNotNumeric", func(b map[string]any) { line(b)["quantity"] = "two" }},
		{"NoPrice", func(b map[string]any) { line(b)["pricing"] = map[string]any{} }},
		{"NoTax", func(b map[string]any) { delete(line(b), "tax") }},
		{"UnknownTax", func(b map[string]any) { line(b)["tax"] = map[string]any{"id": uuid.NewString(), "amount": 1} }},
		{"DispatchWithoutAddress", func(b map[string]any) {
			b["attributes"] = []string{"delivery"}
			b["fulfillment_details"] = []any{map[string]any{"type": "DISPATCH"}}
		}},
		{"DisabledPaymentType", func(b map[string]any) {
			b["payments"] = []any{map[string]any{"amount": 77, "type": map[string]any{"config_id": disabledPaymentType(t, e)}}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := e.pickupSale(uuid.NewString(), "LEAFLY-X")
			tc.edit(b)
			r := e.api("POST", "/sales", tk, b)
			expectStatus(t, tc.name, r, http.StatusBadRequest)
			if msg, _ := r.json()["error"].(string); msg == "" {
				t.Errorf("400 without an error message: %s", r.body)
			}
		})
	}
	if n := len(e.do("GET", "/demo/staff/sales", "", nil).list()); n != 0 {
		t.Fatalf("%d sales exist after only invalid requests", n)
	}
}

func disabledPaymentType(t *testing.T, e *env) string {
	t.Helper()
	for _, p := range e.api("GET", "/payment_types", "lsxs_pt_demo", nil).list() {
		if p["disabled"] == true {
			return p["id"].(string)
		}
	}
	t.Fatal("demo has no disabled payment type")
	return ""
}

func TestDeliverySaleWithAddressToken(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	cust := e.api("POST", "/customers", tk, map[string]any{"first_name": "Del", "last_name": "Ivery"}).data()
	addr := e.api("POST", "/customers/"+cust["id"].(string)+"/addresses", tk, map[string]any{
		"address_line_1": "1 Main St", "city": "Seattle", "postcode": "98101", "country_code": "US",
		"state_code": "WA", "type": "SHIPPING"}).data()
	b := e.pickupSale(uuid.NewString(), "LEAFLY-2002")
	b["attributes"], b["customer_id"] = []string{"delivery"}, cust["id"]
	b["fulfillment_details"] = []any{map[string]any{"type": "DISPATCH", "shipping_address_token": addr["id_token"]}}
	r := e.api("POST", "/sales", tk, b)
	expectStatus(t, "delivery sale", r, http.StatusOK)
	fs := e.api("GET", "/fulfillments?sale_id="+r.data()["id"].(string), tk, nil).list()
	if len(fs) != 1 || fs[0]["type"] != "DISPATCH" || fs[0]["shipping_address_id"] != fmt.Sprint(addr["id"]) {
		t.Fatalf("fulfillments = %v, want one DISPATCH to address %v", fs, addr["id"])
	}
}

func TestStaffActionsAndFulfillments(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	id := uuid.NewString()
	created := e.api("POST", "/sales", tk, e.pickupSale(id, "LEAFLY-3003")).data()
	staff := func(action string, body any) reply { return e.do("POST", "/demo/staff/sales/"+id+"/"+action, "", body) }

	expectStatus(t, "pack", staff("pack", nil), http.StatusOK)
	f := e.api("GET", "/fulfillments?sale_id="+id, tk, nil).list()[0]
	lines := f["line_items"].([]any)
	if f["state"] != "PACKED" || lines[0].(map[string]any)["packed_quantity"] != "2.00" {
		t.Fatalf("after pack: fulfillment %v", f)
	}
	expectStatus(t, "pack twice", staff("pack", nil), http.StatusConflict)

	before := num(e.api("GET", "/sales/"+id, tk, nil).data()["version"])
	edited := staff("edit", map[string]any{"note": "call when ready"})
	expectStatus(t, "silent edit", edited, http.StatusOK)
	if edited.data()["note"] != "call when ready" || num(edited.data()["version"]) <= before {
		t.Fatalf("silent edit = %s", edited.body)
	}

	closed := staff("close", nil)
	expectStatus(t, "close", closed, http.StatusOK)
	if closed.data()["state"] != "closed" {
		t.Fatalf("closed = %s", closed.body)
	}
	if f := e.api("GET", "/fulfillments?sale_id="+id, tk, nil).list()[0]; f["state"] != "FULFILLED" {
		t.Fatalf("after close: fulfillment state %v, want FULFILLED", f["state"])
	}
	expectStatus(t, "reopen a closed sale", e.api("PUT", "/sales/"+id, tk, map[string]any{"state": "pending"}), http.StatusBadRequest)
	expectStatus(t, "void a closed sale", staff("void", nil), http.StatusOK)
	expectStatus(t, "delete", staff("delete", nil), http.StatusOK)
	if got := e.api("GET", "/sales/"+id, tk, nil).data(); got["deleted_at"] == nil {
		t.Fatalf("deleted sale without deleted_at: %v", got)
	}
	feed := e.api("GET", fmt.Sprintf("/sales?after=%.0f", num(created["version"])), tk, nil).list()
	if len(feed) != 1 || feed[0]["deleted_at"] == nil {
		t.Fatalf("feed = %v, want the deleted sale", feed)
	}
	list := e.do("GET", "/demo/staff/sales", "", nil).json()
	if c := list["counts_by_source_id"].(map[string]any); num(c["LEAFLY-3003"]) != 1 {
		t.Fatalf("counts_by_source_id = %v", c)
	}
}

func TestFulfillmentAPI(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	id := uuid.NewString()
	e.api("POST", "/sales", tk, e.pickupSale(id, "LEAFLY-4004"))
	f := e.api("GET", "/fulfillments?sale_id="+id, tk, nil).list()[0]
	fid, lineID := f["id"].(string), f["line_items"].([]any)[0].(map[string]any)["sale_line_item_id"]
	pack := func(version any, qty any) reply {
		return e.api("POST", "/fulfillments/"+fid+"/pack", tk, map[string]any{"version": version,
			"line_items": []any{map[string]any{"sale_line_item_id": lineID, "quantity": qty}}})
	}
	expectStatus(t, "stale version", pack(99, 1), http.StatusConflict)
	expectStatus(t, "too many", pack(f["version"], 3), http.StatusBadRequest)
	r := pack(f["version"], 1)
	expectStatus(t, "partial pack", r, http.StatusOK)
	if state := e.api("GET", "/fulfillments?sale_id="+id, tk, nil).list()[0]["state"]; state != "STARTED" {
		t.Fatalf("after a partial pack: %v, want STARTED", state)
	}
	expectStatus(t, "rest", pack(r.data()["version"], "1"), http.StatusOK)
	if state := e.api("GET", "/fulfillments?sale_id="+id, tk, nil).list()[0]["state"]; state != "PACKED" {
		t.Fatalf("after packing all: %v, want PACKED", state)
	}
	expectStatus(t, "fulfill the sale", e.api("POST", "/fulfillments/fulfill", tk, map[string]any{"sale_id": id}), http.StatusOK)
	if got := e.api("GET", "/sales/"+id, tk, nil).data()["state"]; got != "closed" {
		t.Fatalf("after fulfill: sale %v, want closed", got)
	}
}
