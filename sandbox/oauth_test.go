package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/sandbox"
)

func TestOAuthCodeRefreshRotation(t *testing.T) {
	e := MustEnv(t)
	cb := e.connect(connectQuery(allScopes))
	if cb.Get("domain_prefix") != "demo" || cb.Get("state") != "state-12345" || cb.Get("scope") != allScopes || cb.Get("code") == "" {
		t.Fatalf("callback = %v, want code, domain_prefix demo, the state and the scope", cb)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
		"client_id": {clientID}, "client_secret": {clientSecret}, "redirect_uri": {callbackURL}}
	r := e.form("/demo/api/1.0/token", exchange)
	expectStatus(t, "code exchange", r, http.StatusOK)
	tk := r.json()
	if tk["token_type"] != "Bearer" || tk["domain_prefix"] != "demo" || tk["scope"] != allScopes {
		t.Fatalf("token reply = %s", r.body)
	}
	if got, want := num(tk["expires"]), float64(e.clock.Now().Add(24*time.Hour).Unix()); got != want {
		t.Errorf("expires = %v, want %v", got, want)
	}
	if num(tk["expires_in"]) != 86400 {
		t.Errorf("expires_in = %v, want 86400", tk["expires_in"])
	}
	if r.header.Get("X-RateLimit-Limit") == "" || r.header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("token endpoint rate-limit headers missing: %v", r.header)
	}
	access, refresh := tk["access_token"].(string), tk["refresh_token"].(string)
	expectStatus(t, "GET /retailer with the access token", e.api("GET", "/retailer", access, nil), http.StatusOK)

	r = e.form("/demo/api/1.0/token", exchange)
	expectStatus(t, "code reused", r, http.StatusBadRequest)

	refreshWith := func(rt string) reply {
		return e.form("/demo/api/1.0/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"client_id": {clientID}, "client_secret": {clientSecret}})
	}
	r = refreshWith(refresh)
	expectStatus(t, "refresh", r, http.StatusOK)
	next := r.json()
	if next["refresh_token"] == refresh || next["refresh_token"] == "" {
		t.Fatalf("refresh did not rotate the refresh token: %s", r.body)
	}
	if next["scope"] != allScopes {
		t.Errorf("refreshed scope = %v, want the original", next["scope"])
	}
	r = refreshWith(refresh)
	expectStatus(t, "old refresh token", r, http.StatusBadRequest)
	if r.json()["error"] != "invalid_grant" {
		t.Errorf("old refresh token error = %s, want invalid_grant", r.body)
	}
	expectStatus(t, "new access token", e.api("GET", "/outlets", next["access_token"].(string), nil), http.StatusOK)
	expectStatus(t, "new refresh token", refreshWith(next["refresh_token"].(string)), http.StatusOK)
}

func TestTokenEndpointRefusals(t *testing.T) {
	e := MustEnv(t)
	code := func() string { return e.connect(connectQuery(allScopes)).Get("code") }
	body := func(c string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "client_id": {clientID},
			"client_secret": {clientSecret}, "redirect_uri": {callbackURL}}
	}
	t.Run("ParamsInQueryString", func(t *testing.T) {
		r := e.do("POST", "/demo/api/1.0/token?"+body(code()).Encode(), "", nil)
		expectStatus(t, "query params", r, http.StatusBadRequest)
	})
	t.Run("JSONBody", func(t *testing.T) {
		r := e.do("POST", "/demo/api/1.0/token", "", map[string]string{"grant_type": "authorization_code", "code": code()})
		expectStatus(t, "JSON body", r, http.StatusBadRequest)
	})
	t.Run("WrongSecret", func(t *testing.T) {
		b := body(code())
		b.Set("client_secret", "nope")
		expectStatus(t, "wrong secret", e.form("/demo/api/1.0/token", b), http.StatusUnauthorized)
	})
	t.Run("RedirectMismatch", func(t *testing.T) {
		b := body(code())
		b.Set("redirect_uri", "https://evil.example/cb")
		expectStatus(t, "redirect mismatch", e.form("/demo/api/1.0/token", b), http.StatusBadRequest)
	})
	t.Run("CodeExpired", func(t *testing.T) {
		c := code()
		e.clock.Advance(11 * time.Minute)
		expectStatus(t, "expired code", e.form("/demo/api/1.0/token", body(c)), http.StatusBadRequest)
	})
	t.Run("OtherRetailersEndpoint", func(t *testing.T) {
		e.sb.AddRetailer("other")
		expectStatus(t, "code at another retailer", e.form("/other/api/1.0/token", body(code())), http.StatusBadRequest)
	})
}

func TestConnectDenied(t *testing.T) {
	e := MustEnv(t)
	cases := []struct {
		name string
		edit func(url.Values)
	}{
		{"NoScope", func(q url.Values) { q.Del("scope") }},
		{"BlankScope", func(q url.Values) { q.Set("scope", "  ") }},
		{"ResponseTypeToken", func(q url.Values) { q.Set("response_type", "token") }},
		{"UnknownClient", func(q url.Values) { q.Set("client_id", "someone-else") }},
		{"RetailerDeclines", func(q url.Values) { q.Set("deny", "1") }},
		{"UnknownRetailer", func(q url.Values) { q.Set("retailer", "nope") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := connectQuery(allScopes)
			tc.edit(q)
			cb := e.connect(q)
			if cb.Get("error") != "access_denied" || cb.Get("state") != "state-12345" || cb.Get("code") != "" {
				t.Fatalf("callback = %v, want error=access_denied with the state and no code", cb)
			}
		})
	}
	t.Run("NoRedirectURI", func(t *testing.T) {
		q := connectQuery(allScopes)
		q.Del("redirect_uri")
		r := e.do("GET", "/connect?"+q.Encode(), "", nil)
		expectStatus(t, "no redirect_uri", r, http.StatusBadRequest)
	})
	t.Run("ChooseRetailer", func(t *testing.T) {
		e.sb.AddRetailer("second")
		q := connectQuery(allScopes)
		q.Set("retailer", "second")
		if got := e.connect(q).Get("domain_prefix"); got != "second" {
			t.Fatalf("domain_prefix = %q, want second", got)
		}
	})
}

func TestPersonalToken(t *testing.T) {
	e := MustEnv(t, func(o *sandbox.Options) { o.PersonalTokens = map[string]string{"pt-other": "other"} })
	e.sb.AddRetailer("other")
	expectStatus(t, "demo token on demo", e.api("GET", "/products", "lsxs_pt_demo", nil), http.StatusOK)
	expectStatus(t, "configured token on its retailer", e.do("GET", "/other/api/2026-07/outlets", "pt-other", nil), http.StatusOK)
	expectStatus(t, "demo token on another retailer", e.do("GET", "/other/api/2026-07/outlets", "lsxs_pt_demo", nil), http.StatusUnauthorized)
	expectStatus(t, "semantic version 2.0", e.do("GET", "/demo/api/2.0/outlets", "lsxs_pt_demo", nil), http.StatusOK)
	expectStatus(t, "bad version", e.do("GET", "/demo/api/latest/outlets", "lsxs_pt_demo", nil), http.StatusNotFound)
	expectStatus(t, "unknown API path", e.api("GET", "/nothing_here", "lsxs_pt_demo", nil), http.StatusNotFound)
}

func TestUnauthorized(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth(allScopes)
	cases := []struct {
		name string
		send func() reply
	}{
		{"NoToken", func() reply { return e.api("GET", "/sales", "", nil) }},
		{"UnknownToken", func() reply { return e.api("GET", "/sales", "lsxs_at_nope", nil) }},
		{"RefreshTokenAsBearer", func() reply { return e.api("GET", "/sales", tk.RefreshToken, nil) }},
		{"QueryStringToken", func() reply { return e.api("GET", "/sales?access_token="+tk.AccessToken, "", nil) }},
		{"OtherRetailer", func() reply {
			e.sb.AddRetailer("other")
			return e.do("GET", "/other/api/2026-07/sales", tk.AccessToken, nil)
		}},
		{"Expired", func() reply {
			e.clock.Advance(24*time.Hour + time.Second)
			return e.api("GET", "/sales", tk.AccessToken, nil)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.send()
			expectStatus(t, tc.name, r, http.StatusUnauthorized)
			if r.json()["error"] != "Access token is not valid" {
				t.Errorf("body = %s, want the X-Series 401 envelope", r.body)
			}
			if r.header.Get("X-RateLimit-Limit") == "" {
				t.Errorf("401 without X-RateLimit-Limit")
			}
		})
	}
}

func TestScopesAreEnforced(t *testing.T) {
	e := MustEnv(t)
	tk := e.MustOAuth("sales:read")
	expectStatus(t, "sales:read on GET /sales", e.api("GET", "/sales", tk.AccessToken, nil), http.StatusOK)
	r := e.api("GET", "/products", tk.AccessToken, nil)
	expectStatus(t, "sales:read on GET /products", r, http.StatusForbidden)
	if !strings.Contains(string(r.body), "permission denied") {
		t.Errorf("403 body = %s", r.body)
	}
	expectStatus(t, "search customers without customers:read",
		e.api("GET", "/search?type=customers&email=a@b.c", tk.AccessToken, nil), http.StatusForbidden)
}
