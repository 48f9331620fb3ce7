package sync_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	lssync "github.com/leafly/lightspeed-orders/sync"
)

// tokenServer is a token endpoint that checks what it is sent: a
// form-encoded POST to /api/1.0/token with nothing in the query string.
func tokenServer(t *testing.T, want url.Values, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/api/1.0/token":
			t.Errorf("request %s %s, want POST /api/1.0/token", r.Method, r.URL.Path)
		case r.URL.RawQuery != "":
			t.Errorf("query %q: token parameters must be in the body only", r.URL.RawQuery)
		case r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
			t.Errorf("Content-Type %q, want application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		case r.Header.Get("Authorization") != "":
			t.Errorf("Authorization header sent to the token endpoint")
		}
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		for k := range r.PostForm {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected form field %s", k)
			}
		}
		for k, v := range want {
			if got := r.PostForm[k]; !slices.Equal(got, v) {
				t.Errorf("form %s = %q, want %q", k, got, v)
			}
		}
		jsonHandler(status, body)(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestExchangeCode(t *testing.T) {
	want := url.Values{"code": {"the-code"}, "client_id": {"client-id"}, "client_secret": {"client-secret"},
		"grant_type": {"authorization_code"}, "redirect_uri": {"https://orders.leafly.test/lightspeed/callback"}}
	srv := tokenServer(t, want, 200, `{"access_token":"at-1","token_type":"Bearer","expires":`+
		itoa(t0.Add(7*24*time.Hour).Unix())+`,"expires_in":604800,"refresh_token":"rt-1","domain_prefix":"examplestore",
		"scope":"sales:read sales:write"}`)
	c := mustClient(t, srv, newFakeClock())
	tok, err := c.ExchangeCode(background(t), "examplestore", "the-code", "https://orders.leafly.test/lightspeed/callback")
	if err != nil {
		t.Fatal(err)
	}
	wantTok := lssync.Token{AccessToken: "at-1", RefreshToken: "rt-1", ExpiresAt: t0.Add(7 * 24 * time.Hour),
		DomainPrefix: "examplestore", Scope: "sales:read sales:write"}
	if !tok.ExpiresAt.Equal(wantTok.ExpiresAt) {
		t.Errorf("ExpiresAt = %v, want %v", tok.ExpiresAt, wantTok.ExpiresAt)
	}
	tok.ExpiresAt = wantTok.ExpiresAt
	if tok != wantTok {
		t.Errorf("token = %+v, want %+v", tok, wantTok)
	}
}

func TestRefresh(t *testing.T) {
	want := url.Values{"refresh_token": {"rt-1"}, "client_id": {"client-id"}, "client_secret": {"client-secret"},
		"grant_type": {"refresh_token"}}
	expiry := []struct {
		name, fields string
		want         time.Time
	}{
		{"ExpiresOnly", `"expires":` + itoa(t0.Add(time.Hour).Unix()), t0.Add(time.Hour)},
		{"ExpiresInOnly", `"expires_in":86400`, t0.Add(24 * time.Hour)},
		{"ExpiresInString", `"expires_in":"86400"`, t0.Add(24 * time.Hour)},
		{"BothTakesEarlier", `"expires":` + itoa(t0.Add(time.Hour).Unix()) + `,"expires_in":86400`, t0.Add(time.Hour)},
	}
	for _, tc := range expiry {
		t.Run(tc.name, func(t *testing.T) {
			srv := tokenServer(t, want, 200, `{"access_token":"at-2","refresh_token":"rt-2",`+tc.fields+`}`)
			c := mustClient(t, srv, newFakeClock())
			tok, err := c.Refresh(background(t), "examplestore", "rt-1")
			if err != nil || !tok.ExpiresAt.Equal(tc.want) || tok.RefreshToken != "rt-2" || tok.DomainPrefix != "examplestore" {
				t.Fatalf("Refresh = %+v, %v; want expiry %v", tok, err, tc.want)
			}
		})
	}
	t.Run("NoNewRefreshToken", func(t *testing.T) {
		srv := tokenServer(t, want, 200, `{"access_token":"at-2","expires_in":60}`)
		tok, err := mustClient(t, srv, newFakeClock()).Refresh(background(t), "examplestore", "rt-1")
		if err != nil || tok.RefreshToken != "rt-1" {
			t.Fatalf("Refresh = %+v, %v; want the old refresh token kept", tok, err)
		}
	})
	refused := []struct {
		name   string
		status int
		body   string
		kind   lssync.ErrorKind
	}{
		{"InvalidGrant400", 400, `{"error":"invalid_grant","error_description":"The refresh token is invalid."}`, lssync.KindCredential},
		{"401", 401, `{"error":"invalid_client"}`, lssync.KindCredential},
		{"RateLimited", 429, `{"error":"Too Many Requests"}`, lssync.KindRateLimited},
		{"Outage", 502, `{"error":"bad gateway"}`, lssync.KindOutage},
		{"NoAccessToken", 200, `{"token_type":"Bearer"}`, lssync.KindOutage},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			srv := tokenServer(t, want, tc.status, tc.body)
			_, err := mustClient(t, srv, newFakeClock()).Refresh(background(t), "examplestore", "rt-1")
			e := mustKind(t, err, tc.kind)
			if tc.name == "InvalidGrant400" && e.Message != "invalid_grant: The refresh token is invalid." {
				t.Errorf("Message = %q", e.Message)
			}
		})
	}
}

func TestAuthorizeURL(t *testing.T) {
	c := lssync.NewClient(lssync.Config{ClientID: "client-id"})
	got := c.AuthorizeURL("https://secure.retail.lightspeed.app/connect", "https://orders.leafly.test/cb?x=1",
		"state-1234567", lssync.Scopes)
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "secure.retail.lightspeed.app" || u.Path != "/connect" || q.Get("response_type") != "code" ||
		q.Get("client_id") != "client-id" || q.Get("redirect_uri") != "https://orders.leafly.test/cb?x=1" || q.Get("state") != "state-1234567" {
		t.Fatalf("AuthorizeURL = %s", got)
	}
	if q.Get("scope") != strings.Join(lssync.Scopes, " ") || strings.Contains(u.RawQuery, "+") {
		t.Errorf("scope = %q in %q, want space-separated, spaces as %%20", q.Get("scope"), u.RawQuery)
	}
	for _, s := range []string{"sales:read", "sales:write", "customers:read", "customers:write", "products:read", "outlets:read",
		"registers:read", "users:read", "payment_types:read", "retailer:read", "webhooks", "fulfillments:read", "taxes:read"} {
		if !slices.Contains(lssync.Scopes, s) {
			t.Errorf("Scopes lacks %s", s)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
