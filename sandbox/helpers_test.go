package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/sandbox"
)

const (
	clientID     = "leafly-test-app"
	clientSecret = "s3cret-for-tests"
	callbackURL  = "https://orders.example/oauth/callback"
	allScopes    = "sales:read sales:write customers:read customers:write products:read outlets:read " +
		"registers:read users:read payment_types:read retailer:read taxes:read webhooks"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a sandbox served over real HTTP with the demo retailer seeded.
type env struct {
	t     testing.TB
	sb    *sandbox.Sandbox
	srv   *httptest.Server
	clock *clock
	demo  *sandbox.Retailer
}

// MustEnv starts a sandbox with the test OAuth app and the demo retailer;
// opts may adjust the options before New.
func MustEnv(tb testing.TB, opts ...func(*sandbox.Options)) *env {
	tb.Helper()
	clk := &clock{t: time.Date(2026, 7, 14, 9, 0, 0, 0, time.UTC)}
	o := sandbox.Options{ClientID: clientID, ClientSecret: clientSecret, Now: clk.Now,
		WebhookRetryDelays: []time.Duration{10 * time.Millisecond}}
	for _, f := range opts {
		f(&o)
	}
	sb := sandbox.New(o)
	srv := httptest.NewServer(sb)
	tb.Cleanup(func() {
		sb.Close() // first: releases requests a timeout fault holds
		srv.Close()
	})
	sb.SeedDemo()
	demo, ok := sb.Retailer("demo")
	if !ok {
		tb.Fatal("demo retailer missing after SeedDemo")
	}
	return &env{t: tb, sb: sb, srv: srv, clock: clk, demo: demo}
}

// reply is an HTTP answer with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value (numbers as json.Number).
func (r reply) json() map[string]any {
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	_ = dec.Decode(&v)
	return v
}

// data is the body's "data" object.
func (r reply) data() map[string]any {
	d, _ := r.json()["data"].(map[string]any)
	return d
}

// list is the body's "data" array.
func (r reply) list() []map[string]any {
	raw, _ := r.json()["data"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		m, _ := it.(map[string]any)
		out = append(out, m)
	}
	return out
}

// do sends a request; body is JSON-encoded unless it is a string (sent as is).
func (e *env) do(method, path, token string, body any) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) reply {
	e.t.Helper()
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// api calls the demo retailer's API (date version 2026-07).
func (e *env) api(method, path, token string, body any) reply {
	e.t.Helper()
	return e.do(method, "/demo/api/2026-07"+path, token, body)
}

// form posts a form-encoded body to path.
func (e *env) form(path string, v url.Values) reply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req)
}

// connect runs the consent step and returns the callback's query.
func (e *env) connect(q url.Values) url.Values {
	e.t.Helper()
	r := e.do(http.MethodGet, "/connect?"+q.Encode(), "", nil)
	if r.status != http.StatusFound {
		e.t.Fatalf("connect: status %d, want 302; body %s", r.status, r.body)
	}
	loc, err := url.Parse(r.header.Get("Location"))
	if err != nil {
		e.t.Fatalf("connect: bad Location %q", r.header.Get("Location"))
	}
	return loc.Query()
}

func connectQuery(scope string) url.Values {
	return url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callbackURL},
		"state": {"state-12345"}, "scope": {scope}}
}

// tokens is what the tests read of the token endpoint's answer (its every
// field is checked in TestOAuthCodeRefreshRotation).
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// MustOAuth runs the whole OAuth flow for the demo retailer.
func (e *env) MustOAuth(scope string) tokens {
	e.t.Helper()
	return e.mustOAuth("demo", scope)
}

// MustOAuthFor returns an access token with every scope for another retailer.
func (e *env) MustOAuthFor(prefix string) string {
	e.t.Helper()
	return e.mustOAuth(prefix, allScopes).AccessToken
}

func (e *env) mustOAuth(prefix, scope string) tokens {
	e.t.Helper()
	q := connectQuery(scope)
	q.Set("retailer", prefix)
	cb := e.connect(q)
	r := e.form("/"+prefix+"/api/1.0/token", url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
		"client_id": {clientID}, "client_secret": {clientSecret}, "redirect_uri": {callbackURL}})
	if r.status != http.StatusOK {
		e.t.Fatalf("token: status %d, body %s", r.status, r.body)
	}
	var tk tokens
	if err := json.Unmarshal(r.body, &tk); err != nil {
		e.t.Fatalf("token body: %v", err)
	}
	return tk
}

// pickupSale is a valid pending pickup sale body with money as strings.
func (e *env) pickupSale(id, sourceID string) map[string]any {
	return map[string]any{
		"id":     id,
		"source": map[string]any{"author_id": e.demo.UserIDs[1], "register_id": e.demo.RegisterIDs[0], "id": sourceID, "type": "leafly"},
		"state":  "pending", "attributes": []string{"pickup"}, "note": "Leafly order " + sourceID,
		"fulfillment_details": []any{map[string]any{"type": "PICKUP", "note": "Pickup 14:00"}},
		"line_items": []any{map[string]any{
			"product": map[string]any{"id": e.demo.ProductIDs[0]}, "quantity": "2",
			"pricing": map[string]any{"price": "35.00"}, "tax": map[string]any{"id": e.demo.TaxID, "amount": "3.5"},
			"_metadata": map[string]any{"fulfillment_method": "PICKUP"},
		}},
		"payments": []any{map[string]any{"amount": 77, "type": map[string]any{"config_id": e.demo.PaymentTypeIDs[0]}}},
	}
}

// stats reads GET /control/stats for the demo retailer.
func (e *env) stats() map[string]any {
	e.t.Helper()
	r := e.do(http.MethodGet, "/control/stats?domain_prefix=demo", "", nil)
	d, _ := r.data()["demo"].(map[string]any)
	return d
}

// num reads a json.Number field as float64 (0 when absent).
func num(v any) float64 {
	n, _ := v.(json.Number)
	f, _ := n.Float64()
	return f
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func expectStatus(tb testing.TB, what string, r reply, want int) {
	tb.Helper()
	if r.status != want {
		tb.Fatalf("%s: status %d, want %d; body %s", what, r.status, want, r.body)
	}
}
