package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	lssync "github.com/leafly/lightspeed-orders/sync"
)

func TestRequest(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		jsonHandler(201, `{"data":`+webhookJSON+`}`)(w, r)
	}))
	defer srv.Close()
	var calls []lssync.Call
	c := mustClient(t, srv, newFakeClock(), func(cfg *lssync.Config) {
		cfg.OnCall = func(_ context.Context, c lssync.Call) { calls = append(calls, c) }
	})
	if _, err := c.CreateWebhook(background(t), target, lssync.WebhookRequest{URL: "https://x.test/h", Type: lssync.WebhookSaleUpdate}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Accept": "application/json", "Content-Type": "application/json",
		"User-Agent": "leafly-test/1.0", "Authorization": "Bearer access-token"}
	for k, v := range want {
		if got.Header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, got.Header.Get(k), v)
		}
	}
	if got.Method != "POST" || got.URL.Path != "/api/2026-07/webhooks" || string(body) != `{"url":"https://x.test/h","active":false,"type":"sale.update"}` {
		t.Errorf("request %s %s %s", got.Method, got.URL.Path, body)
	}
	wantCall := lssync.Call{DomainPrefix: "examplestore", Method: "POST", Path: "/webhooks", Status: 201, Started: t0}
	if len(calls) != 1 || calls[0] != wantCall {
		t.Errorf("OnCall heard %+v, want %+v", calls, wantCall)
	}
}

// roundTripFunc lets a test see requests without a server.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRequestURL(t *testing.T) {
	var urls []string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		urls = append(urls, r.URL.String())
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(saleJSON)), Request: r}, nil
	})}
	var calls []lssync.Call
	c := lssync.NewClient(lssync.Config{HTTPClient: hc, Clock: newFakeClock(), OnCall: func(_ context.Context, c lssync.Call) { calls = append(calls, c) }})
	ctx := background(t)
	if _, err := c.GetSale(ctx, lssync.Target{DomainPrefix: "shop-one", AccessToken: "x"}, "a/b c"); err != nil {
		t.Fatal(err)
	}
	if want := "https://shop-one.retail.lightspeed.app/api/2026-07/sales/a%2Fb%20c"; len(urls) != 1 || urls[0] != want {
		t.Fatalf("URL = %v, want %s", urls, want)
	}
	if calls[0].Path != "/sales/{sale_id}" {
		t.Errorf("Call.Path = %q, want the template", calls[0].Path)
	}
	refused := []struct {
		name string
		t    lssync.Target
		id   string
		kind lssync.ErrorKind
	}{
		{"PrefixWithHost", lssync.Target{DomainPrefix: "evil.example.com/x", AccessToken: "x"}, saleID, lssync.KindRejected},
		{"EmptyPrefix", lssync.Target{AccessToken: "x"}, saleID, lssync.KindRejected},
		{"EmptyID", lssync.Target{DomainPrefix: "shop", AccessToken: "x"}, "", lssync.KindRejected},
		{"NoToken", lssync.Target{DomainPrefix: "shop"}, saleID, lssync.KindCredential},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.GetSale(ctx, tc.t, tc.id)
			mustKind(t, err, tc.kind)
		})
	}
	if len(urls) != 1 {
		t.Errorf("refused calls were sent: %v", urls[1:])
	}
	t.Run("SaleChecked", func(t *testing.T) {
		_, err := c.CreateSale(ctx, lssync.Target{DomainPrefix: "shop", AccessToken: "x"}, lssync.SaleRequest{SaleFields: lssync.SaleFields{State: lssync.StatePending,
			LineItems: []lssync.LineItemInput{{Product: lssync.ProductRef{ID: productID}}}}})
		e := mustKind(t, err, lssync.KindRejected)
		if !strings.Contains(e.Error(), "source.author_id") || !strings.Contains(e.Error(), "line_items[0]") || len(urls) != 1 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSaleRequestJSON(t *testing.T) {
	b, err := json.Marshal(pickupSale())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + saleID + `","source":{"author_id":"` + authorID + `","register_id":"` + registerID + `","id":"MKT-100234","type":"leafly"},` +
		`"state":"pending","attributes":["pickup"],"customer_id":"` + customerID + `","date":"2026-07-14T09:12:00Z",` +
		`"note":"Marketplace order MKT-100234 — pickup 14:00","fulfillment_outlet_id":"` + outletID + `",` +
		`"fulfillment_details":[{"type":"PICKUP","note":"Pickup 14:00, name Ana Silva"}],` +
		`"line_items":[{"product":{"id":"` + productID + `"},"quantity":2,"pricing":{"price":10.00},"tax":{"id":"` + taxID + `","amount":1.50},` +
		`"_metadata":{"fulfillment_method":"PICKUP","is_price_override":true,"sequence":0},"attributes":[{"name":"line_note","value":"gift wrap"}]}],` +
		`"payments":[{"amount":23.00,"type":{"config_id":"` + paymentID + `"},"date":"2026-07-14T09:12:00Z"}]}`
	if string(b) != want {
		t.Errorf("SaleRequest JSON\n got %s\nwant %s", b, want)
	}
	void, err := json.Marshal(lssync.SaleUpdate{Source: lssync.SaleSource{AuthorID: authorID}, State: lssync.StateVoided, Attributes: []string{}})
	if want := `{"source":{"author_id":"` + authorID + `"},"state":"voided","attributes":[]}`; err != nil || string(void) != want {
		t.Errorf("SaleUpdate JSON = %s, %v; want %s", void, err, want)
	}
}

func TestSaleDefensive(t *testing.T) {
	// A legacy-looking answer: status not state, top-level version, money
	// and quantities as strings, source as a plain string, ids at the top.
	legacy := `{"data":{"id":"` + saleID + `","status":"AWAITING_PICKUP","version":"3505346600","register_id":"` + registerID + `",
		"user_id":"` + authorID + `","source":"USER","unknown_field":{"x":1},"deleted_at":null,
		"line_items":[{"product":{"id":"` + productID + `"},"quantity":"2","pricing":{"price":"10.00","total":"20"},"tax":{"id":"` + taxID + `","amount":"1.5"}}],
		"totals":{"price":"20.00","price_incl_tax":"23.00","tax":3}}}`
	srv := httptest.NewServer(jsonHandler(200, legacy))
	defer srv.Close()
	s, err := mustClient(t, srv, newFakeClock()).GetSale(background(t), target, saleID)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != lssync.StatePending || !slices.Equal(s.Attributes, []string{"pickup"}) || s.Version != 3505346600 ||
		s.Source.RegisterID != registerID || s.Source.AuthorID != authorID || s.Source.Type != "USER" {
		t.Errorf("sale = %+v", s)
	}
	if cents, ok := s.Totals.PriceInclTax.Cents(); !ok || cents != 2300 || s.LineItems[0].Quantity.Float64() != 2 || s.LineItems[0].Pricing.Price != "10.00" {
		t.Errorf("amounts = %+v, lines %+v", s.Totals, s.LineItems)
	}
}

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  lssync.Number
		cents int64
	}{
		{`12.5`, "12.5", 1250}, {`"12.50"`, "12.50", 1250}, {`" 3 "`, "3", 300}, {`-0.005`, "-0.005", -1},
		{`2.63158`, "2.63158", 263}, {`1e2`, "1e2", 10000},
	} {
		var n lssync.Number
		if err := json.Unmarshal([]byte(tc.in), &n); err != nil || n != tc.want {
			t.Errorf("Unmarshal(%s) = %q, %v; want %q", tc.in, n, err, tc.want)
		}
		if c, ok := n.Cents(); !ok || c != tc.cents {
			t.Errorf("%s.Cents() = %d, %v; want %d", n, c, ok, tc.cents)
		}
	}
	for _, in := range []string{`null`, `""`} {
		var n lssync.Number = "1"
		if err := json.Unmarshal([]byte(in), &n); err != nil || n != "" {
			t.Errorf("Unmarshal(%s) = %q, %v; want empty", in, n, err)
		}
	}
	for _, in := range []string{`"abc"`, `true`, `{}`} {
		var n lssync.Number
		if err := json.Unmarshal([]byte(in), &n); err == nil {
			t.Errorf("Unmarshal(%s) accepted %q", in, n)
		}
	}
	for cents, want := range map[int64]lssync.Number{0: "0.00", 5: "0.05", -5: "-0.05", 123456: "1234.56", -100: "-1.00"} {
		if got := lssync.NumberFromCents(cents); got != want {
			t.Errorf("NumberFromCents(%d) = %q, want %q", cents, got, want)
		}
	}
	if b, err := json.Marshal(struct{ A, B lssync.Number }{"", "12.50"}); err != nil || string(b) != `{"A":null,"B":12.50}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	if _, err := json.Marshal(lssync.Number("12,50")); err == nil {
		t.Error("Marshal accepted 12,50")
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2017, 5, 5, 5, 58, 53, 0, time.UTC)
	for _, s := range []string{"2017-05-05T05:58:53+00:00", "2017-05-05T05:58:53Z", "2017-05-05 05:58:53"} {
		if got, err := lssync.ParseTime(s); err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := lssync.ParseTime("yesterday"); err == nil {
		t.Error("ParseTime accepted yesterday")
	}
}

// pagedServer serves a version-cursor collection in pages of up to size
// items out of n, and records the after values it was asked for.
type pagedServer struct {
	mu      gosync.Mutex
	afters  []int64
	n, size int
	noMax   bool // answer without a version object, as the /taxes example does
}

func (p *pagedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	p.mu.Lock()
	p.afters = append(p.afters, after)
	p.mu.Unlock()
	var items []string
	for v := after + 10; v <= int64(p.n)*10 && len(items) < p.size; v += 10 {
		items = append(items, fmt.Sprintf(`{"id":"item-%d","name":"n%d","version":%d}`, v, v, v))
	}
	body := `{"data":[` + strings.Join(items, ",") + `]`
	switch {
	case p.noMax:
	case len(items) == 0:
		body += `,"version":{"min":null,"max":null}`
	default:
		body += fmt.Sprintf(`,"version":{"min":%d,"max":%d}`, after+10, after+int64(len(items))*10)
	}
	jsonHandler(200, body+`}`)(w, r)
}

func TestPagination(t *testing.T) {
	t.Run("UntilEmpty", func(t *testing.T) {
		p := &pagedServer{n: 450, size: 200}
		srv := httptest.NewServer(p)
		defer srv.Close()
		outlets, err := mustClient(t, srv, newFakeClock()).Outlets(background(t), target)
		if err != nil || len(outlets) != 450 || outlets[449].Version != 4500 {
			t.Fatalf("Outlets = %d items, %v", len(outlets), err)
		}
		if want := []int64{0, 2000, 4000, 4500}; !slices.Equal(p.afters, want) {
			t.Errorf("after values %v, want %v (one more request after the last full page, which comes back empty)", p.afters, want)
		}
	})
	t.Run("NoVersionObject", func(t *testing.T) {
		p := &pagedServer{n: 3, size: 200, noMax: true}
		srv := httptest.NewServer(p)
		defer srv.Close()
		taxes, err := mustClient(t, srv, newFakeClock()).Taxes(background(t), target)
		if err != nil || len(taxes) != 3 || !slices.Equal(p.afters, []int64{0, 30}) {
			t.Fatalf("Taxes = %d items, %v; afters %v", len(taxes), err, p.afters)
		}
	})
	t.Run("Products", func(t *testing.T) {
		p := &pagedServer{n: 25, size: 10}
		var deleted []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			deleted = append(deleted, r.URL.Query().Get("deleted")+"/"+r.URL.Query().Get("page_size"))
			p.ServeHTTP(w, r)
		}))
		defer srv.Close()
		c := mustClient(t, srv, newFakeClock())
		page, err := c.Products(background(t), target, 100, 10)
		if err != nil || len(page.Products) != 10 || page.MaxVersion != 200 {
			t.Fatalf("Products = %+v, %v", page, err)
		}
		all, err := c.ProductsAll(background(t), target, 0, 10)
		if err != nil || len(all.Products) != 25 || all.MaxVersion != 250 {
			t.Fatalf("ProductsAll = %d products, max %d, %v", len(all.Products), all.MaxVersion, err)
		}
		if empty, err := c.Products(background(t), target, 250, 10); err != nil || len(empty.Products) != 0 || empty.MaxVersion != 250 {
			t.Fatalf("caught-up page = %+v, %v; want empty, cursor kept", empty, err)
		}
		for _, d := range deleted {
			if d != "true/10" {
				t.Fatalf("deleted/page_size = %v, want true/10 on every request", deleted)
			}
		}
	})
	t.Run("Fulfillments", func(t *testing.T) {
		var pages []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			pages = append(pages, q.Get("page_number"))
			n := 100
			if q.Get("page_number") == "2" {
				n = 1
			}
			items := make([]string, n)
			for i := range items {
				items[i] = `{"id":` + strconv.Itoa(i) + `,"sale_id":"` + q.Get("sale_id") + `","line_items":[]}`
			}
			jsonHandler(200, `{"data":[`+strings.Join(items, ",")+`]}`)(w, r)
		}))
		defer srv.Close()
		fs, err := mustClient(t, srv, newFakeClock()).Fulfillments(background(t), target, saleID)
		if err != nil || len(fs) != 101 || fs[5].ID != "5" || fs[0].SaleID != saleID || !slices.Equal(pages, []string{"1", "2"}) {
			t.Fatalf("Fulfillments = %d, %v; pages %v", len(fs), err, pages)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
