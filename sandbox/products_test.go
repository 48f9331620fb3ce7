package sandbox_test

import (
	"fmt"
	"net/http"
	"testing"
)

// pageAll walks a version-cursor list with page_size and returns every item
// and the number of pages, checking that versions only grow.
func pageAll(t *testing.T, e *env, token, path string, size int) ([]map[string]any, int) {
	t.Helper()
	var all []map[string]any
	after, pages := 0.0, 0
	for {
		r := e.do("GET", fmt.Sprintf("%s?after=%.0f&page_size=%d", path, after, size), token, nil)
		expectStatus(t, "list page", r, http.StatusOK)
		items := r.list()
		if len(items) == 0 {
			if v := r.json()["version"].(map[string]any); v["min"] != nil || v["max"] != nil {
				t.Fatalf("empty page version = %v, want nulls", v)
			}
			return all, pages
		}
		pages++
		if len(items) > size {
			t.Fatalf("page of %d items, page_size %d", len(items), size)
		}
		v := r.json()["version"].(map[string]any)
		for _, it := range items {
			if num(it["version"]) <= after {
				t.Fatalf("item version %v not after cursor %v", it["version"], after)
			}
			after = num(it["version"])
		}
		if num(v["max"]) != after || num(v["min"]) != num(items[0]["version"]) {
			t.Fatalf("version range %v does not match the page", v)
		}
		all = append(all, items...)
	}
}

func TestProductsVersionCursor(t *testing.T) {
	e := MustEnv(t)
	e.sb.AddRetailer("shop")
	ids := e.sb.AddProducts("shop", 7)
	if len(ids) != 7 {
		t.Fatalf("AddProducts returned %d ids, want 7", len(ids))
	}
	shop := e.MustOAuthFor("shop")

	all, pages := pageAll(t, e, shop, "/shop/api/2026-07/products", 3)
	if len(all) != 8 || pages != 3 { // 7 + the discount product
		t.Fatalf("got %d products in %d pages, want 8 in 3", len(all), pages)
	}
	last := num(all[len(all)-1]["version"])

	expectStatus(t, "staff delete", e.do("DELETE", "/shop/staff/products/"+ids[0], "", nil), http.StatusOK)
	r := e.do("POST", "/shop/staff/products", "", map[string]any{"id": ids[1], "price_excluding_tax": "12.5"})
	expectStatus(t, "staff update", r, http.StatusOK)
	if num(r.data()["price_excluding_tax"]) != 12.5 || num(r.data()["price_including_tax"]) != 13.75 {
		t.Errorf("updated product = %s", r.body)
	}

	live := e.do("GET", fmt.Sprintf("/shop/api/2026-07/products?after=%.0f", last), shop, nil).list()
	withDeleted := e.do("GET", fmt.Sprintf("/shop/api/2026-07/products?after=%.0f&deleted=true", last), shop, nil).list()
	if len(live) != 1 || live[0]["id"] != ids[1] {
		t.Fatalf("changes without deleted = %v, want only the updated product", live)
	}
	if len(withDeleted) != 2 || withDeleted[0]["id"] != ids[0] || withDeleted[0]["deleted_at"] == nil {
		t.Fatalf("changes with deleted = %v, want the deleted product (deleted_at set) then the updated one", withDeleted)
	}
}

func TestProductsBySKUAndDemoCatalog(t *testing.T) {
	e := MustEnv(t)
	r := e.api("GET", "/products?sku=FL-BD-35&page_size=1", "lsxs_pt_demo", nil)
	expectStatus(t, "by sku", r, http.StatusOK)
	if got := r.list(); len(got) != 1 || got[0]["name"] != "Blue Dream 3.5g" {
		t.Fatalf("GET /products?sku=FL-BD-35 = %s", r.body)
	}
	all := e.api("GET", "/products", "lsxs_pt_demo", nil).list()
	if len(all) < 25 {
		t.Fatalf("demo has %d products, want about 25", len(all))
	}
	id := all[1]["id"].(string)
	got := e.api("GET", "/products/"+id, "lsxs_pt_demo", nil).data()
	if got["id"] != id || got["sku"] == "" || got["price_excluding_tax"] == nil {
		t.Fatalf("GET /products/{id} = %v", got)
	}
	expectStatus(t, "unknown product", e.api("GET", "/products/nope", "lsxs_pt_demo", nil), http.StatusNotFound)
	search := e.api("GET", "/search?type=products&sku=fl-bd-35", "lsxs_pt_demo", nil).list()
	upper := e.api("GET", "/search?type=products&sku=FL-BD-35", "lsxs_pt_demo", nil).list()
	if len(search) != 1 || len(upper) != 0 {
		t.Errorf("search by sku: lowercased %d hits (want 1), uppercase %d hits (want 0, values must be lowercased)", len(search), len(upper))
	}
}

func TestReferenceData(t *testing.T) {
	e := MustEnv(t)
	for path, want := range map[string]int{"/outlets": 2, "/registers": 2, "/users": 3, "/payment_types": 4, "/taxes": 3} {
		r := e.api("GET", path, "lsxs_pt_demo", nil)
		expectStatus(t, path, r, http.StatusOK)
		if got := len(r.list()); got != want {
			t.Errorf("GET %s: %d items, want %d", path, got, want)
		}
	}
	ret := e.api("GET", "/retailer", "lsxs_pt_demo", nil).data()
	if ret["domain_prefix"] != "demo" || ret["no_tax_group_id"] != e.demo.NoTaxID {
		t.Errorf("GET /retailer = %v", ret)
	}
	disabled := 0
	for _, p := range e.api("GET", "/payment_types", "lsxs_pt_demo", nil).list() {
		if p["disabled"] == true {
			disabled++
		}
	}
	if disabled != 1 {
		t.Errorf("%d disabled payment types, want 1", disabled)
	}
}
