package sandbox_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/sandbox"
)

// TestMountedUnderPrefix serves the sandbox the way the server does, under
// /sandbox with http.StripPrefix, and checks the index shows that base.
func TestMountedUnderPrefix(t *testing.T) {
	sb := sandbox.New(sandbox.Options{ClientID: clientID, ClientSecret: clientSecret})
	sb.SeedDemo()
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { sb.Close(); srv.Close() })

	req, _ := http.NewRequest("GET", srv.URL+"/sandbox/demo/api/2026-07/outlets", nil)
	req.Header.Set("Authorization", "Bearer "+sandbox.DemoPersonalToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET outlets through the mount: %d", resp.StatusCode)
	}
	resp, err = http.Get(srv.URL + "/sandbox/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := srv.URL + "/sandbox/demo/staff/sales"; !strings.Contains(string(page), want) {
		t.Fatalf("index page does not show the mounted base %q", want)
	}
}

func TestGoHelpers(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	t.Cleanup(sb.Close)
	if sb.AddRetailer("") != nil || sb.AddRetailer("a/b") != nil {
		t.Fatal("AddRetailer accepted an unusable prefix")
	}
	r := sb.AddRetailer("shop")
	if len(r.OutletIDs) != 1 || len(r.RegisterIDs) != 1 || len(r.UserIDs) != 1 || r.TaxID == "" || r.NoTaxID == "" || len(r.ProductIDs) != 0 {
		t.Fatalf("bare retailer = %+v", r)
	}
	if again := sb.AddRetailer("shop"); again.RegisterIDs[0] != r.RegisterIDs[0] {
		t.Fatal("AddRetailer twice changed the retailer")
	}
	other := sandbox.New(sandbox.Options{})
	t.Cleanup(other.Close)
	if o := other.AddRetailer("shop"); o.RegisterIDs[0] != r.RegisterIDs[0] {
		t.Fatal("seeded ids differ between sandboxes; they must survive a restart")
	}
	if ids := sb.AddProducts("shop", 3); len(ids) != 3 {
		t.Fatalf("AddProducts = %v", ids)
	}
	if ids := sb.AddProducts("nope", 3); ids != nil {
		t.Fatalf("AddProducts on an unknown retailer = %v, want nil", ids)
	}
	if got, _ := sb.Retailer("shop"); len(got.ProductIDs) != 3 {
		t.Fatalf("snapshot products = %v", got.ProductIDs)
	}
}
