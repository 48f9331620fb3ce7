package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestCustomerCreateAndSearch(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken

	r := e.api("POST", "/customers", tk, map[string]any{"first_name": "Ana"})
	expectStatus(t, "no last_name", r, http.StatusBadRequest)
	if !strings.Contains(r.json()["error"].(string), "last_name") {
		t.Errorf("error = %s, want it to name last_name", r.body)
	}
	expectStatus(t, "bad email", e.api("POST", "/customers", tk,
		map[string]any{"first_name": "Ana", "last_name": "Silva", "email": "not-an-email"}), http.StatusBadRequest)

	body := map[string]any{"first_name": "Ana", "last_name": "Silva", "email": "Ana.Silva@Example.com", "mobile": "+12065550199"}
	r = e.api("POST", "/customers", tk, body)
	expectStatus(t, "create", r, http.StatusCreated)
	created := r.data()
	if created["id"] == "" || created["customer_code"] == "" || created["version"] == nil || created["first_name"] != "Ana" {
		t.Fatalf("created customer = %s", r.body)
	}
	expectStatus(t, "get", e.api("GET", "/customers/"+created["id"].(string), tk, nil), http.StatusOK)

	hits := e.api("GET", "/search?type=customers&email=ana.silva@example.COM", tk, nil).list()
	if len(hits) != 1 || hits[0]["id"] != created["id"] {
		t.Fatalf("search by email (other case) = %v, want the created customer", hits)
	}
	if hits := e.api("GET", "/search?type=customers&email=ana.silva@example", tk, nil).list(); len(hits) != 0 {
		t.Fatalf("search matched a prefix of the email: %v", hits)
	}

	expectStatus(t, "same email again", e.api("POST", "/customers", tk, body), http.StatusCreated)
	both := e.api("GET", "/search?type=customers&email=ana.silva@example.com", tk, nil).list()
	first := e.api("GET", "/search?type=customers&email=ana.silva@example.com&page_size=1", tk, nil).list()
	second := e.api("GET", "/search?type=customers&email=ana.silva@example.com&page_size=1&offset=1", tk, nil).list()
	if len(both) != 2 || len(first) != 1 || len(second) != 1 || first[0]["id"] == second[0]["id"] {
		t.Fatalf("paging the duplicates: all %d, first page %v, second page %v", len(both), first, second)
	}
}

func TestCustomerAddressValidation(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes).AccessToken
	cust := e.api("POST", "/customers", tk, map[string]any{"first_name": "Jo", "last_name": "Doe"}).data()
	path := "/customers/" + cust["id"].(string) + "/addresses"
	valid := func() map[string]any {
		return map[string]any{"address_line_1": "1200 Pike St", "city": "Seattle", "postcode": "98101",
			"country_code": "US", "state_code": "WA", "type": "SHIPPING"}
	}
	cases := []struct {
		name string
		edit func(map[string]any)
	}{
		{"NoLine1", func(b map[string]any) { delete(b, "address_line_1") }},
		{"Line1TooLong", func(b map[string]any) { b["address_line_1"] = strings.Repeat("x", 51) }},
		{"CityTooLong", func(b map[string]any) { b["city"] = strings.Repeat("y", 29) }},
		{"NoPostcode", func(b map[string]any) { delete(b, "postcode") }},
		{"BadUSPostcode", func(b map[string]any) { b["postcode"] = "9810" }},
		{"BadCountry", func(b map[string]any) { b["country_code"] = "XX" }},
		{"USWithoutState", func(b map[string]any) { delete(b, "state_code") }},
		{"UnknownUSState", func(b map[string]any) { b["state_code"] = "ZZ" }},
		{"CAWithoutState", func(b map[string]any) { b["country_code"], b["postcode"] = "CA", "V6B 1A1"; delete(b, "state_code") }},
		{"BadType", func(b map[string]any) { b["type"] = "HOME" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := valid()
			tc.edit(b)
			expectStatus(t, tc.name, e.api("POST", path, tk, b), http.StatusBadRequest)
		})
	}

	r := e.api("POST", path, tk, valid())
	expectStatus(t, "valid address", r, http.StatusCreated)
	var got struct {
		Data struct {
			ID          int64  `json:"id"`
			IDToken     string `json:"id_token"`
			CustomerID  string `json:"customer_id"`
			CountryName string `json:"country_name"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("address body: %v", err)
	}
	if got.Data.ID <= 1<<53 || got.Data.IDToken == "" || got.Data.CustomerID != cust["id"] || got.Data.CountryName != "United States" {
		t.Fatalf("created address = %s (id must be an int64 beyond 2^53)", r.body)
	}
	expectStatus(t, "unknown customer", e.api("POST", "/customers/nope/addresses", tk, valid()), http.StatusNotFound)

	ca := valid()
	ca["country_code"], ca["postcode"], ca["state_code"] = "CA", "V6B 1A1", "BC"
	expectStatus(t, "Canadian address", e.api("POST", path, tk, ca), http.StatusCreated)
	if n := len(e.api("GET", path, tk, nil).list()); n != 2 {
		t.Errorf("GET addresses: %d, want 2", n)
	}
}
