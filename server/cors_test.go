package main

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/leafly/lightspeed-orders/domain"
)

const (
	allowedOrigin    = "https://biz.leafly.example"
	disallowedOrigin = "https://evil.example"
)

// TestCORS checks the answers browsers get on /query: a preflight and the
// request itself from an allowed origin, nothing from any other origin nor
// without one, and "*" when ALLOWED_ORIGINS is "*".
func TestCORS(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, withEnv(db.env, "ALLOWED_ORIGINS", "https://other.leafly.example, "+allowedOrigin+"/"))
		token := s.Token(t, domain.RoleAdmin)
		t.Run("PreflightAllowed", func(t *testing.T) {
			resp := preflight(t, s, allowedOrigin)
			wantStatus(t, resp, http.StatusNoContent)
			h := resp.Header
			wantHeader(t, h, "Access-Control-Allow-Origin", allowedOrigin)
			wantHeader(t, h, "Access-Control-Allow-Methods", "GET, POST")
			wantHeader(t, h, "Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, X-Request-Id")
			wantHeader(t, h, "Access-Control-Max-Age", "7200")
			wantHeader(t, h, "Access-Control-Allow-Credentials", "")
			wantVaryOrigin(t, h)
		})
		t.Run("PreflightDisallowed", func(t *testing.T) {
			resp := preflight(t, s, disallowedOrigin)
			if resp.StatusCode >= 500 || resp.StatusCode == http.StatusNoContent {
				t.Errorf("status %d, want a plain answer (no 204 preflight, no 5xx)", resp.StatusCode)
			}
			wantNoCORS(t, resp.Header)
			wantVaryOrigin(t, resp.Header)
		})
		t.Run("PreflightWithoutOrigin", func(t *testing.T) {
			resp := preflight(t, s, "")
			wantNoCORS(t, resp.Header)
		})
		t.Run("RequestAllowed", func(t *testing.T) {
			resp := corsPost(t, s, allowedOrigin, token)
			wantStatus(t, resp, http.StatusOK)
			wantHeader(t, resp.Header, "Access-Control-Allow-Origin", allowedOrigin)
			wantHeader(t, resp.Header, "Access-Control-Expose-Headers", "X-Request-Id")
			wantHeader(t, resp.Header, "Access-Control-Allow-Credentials", "")
			wantVaryOrigin(t, resp.Header)
		})
		t.Run("RefusalReadable", func(t *testing.T) {
			resp := corsPost(t, s, allowedOrigin, "")
			wantStatus(t, resp, http.StatusUnauthorized)
			wantHeader(t, resp.Header, "Access-Control-Allow-Origin", allowedOrigin)
		})
		t.Run("GetAllowed", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/query?query=%7B__typename%7D", nil)
			req.Header.Set("Origin", allowedOrigin)
			req.Header.Set("Authorization", "Bearer "+token)
			resp := send(t, req)
			wantStatus(t, resp, http.StatusOK)
			wantHeader(t, resp.Header, "Access-Control-Allow-Origin", allowedOrigin)
		})
		t.Run("RequestDisallowed", func(t *testing.T) {
			resp := corsPost(t, s, disallowedOrigin, token)
			wantNoCORS(t, resp.Header)
			wantVaryOrigin(t, resp.Header)
		})
		t.Run("RequestWithoutOrigin", func(t *testing.T) {
			resp := corsPost(t, s, "", token)
			wantStatus(t, resp, http.StatusOK)
			wantNoCORS(t, resp.Header)
		})
		t.Run("OtherRoutes", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/healthz", nil)
			req.Header.Set("Origin", allowedOrigin)
			wantNoCORS(t, send(t, req).Header)
		})
	})
}

// TestCORSAnyOrigin checks ALLOWED_ORIGINS=* answers every origin with "*".
func TestCORSAnyOrigin(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db database) {
		s := startServer(t, withEnv(db.env, "ALLOWED_ORIGINS", "*"))
		resp := preflight(t, s, disallowedOrigin)
		wantStatus(t, resp, http.StatusNoContent)
		wantHeader(t, resp.Header, "Access-Control-Allow-Origin", "*")
		wantHeader(t, resp.Header, "Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, X-Request-Id")
		resp = corsPost(t, s, disallowedOrigin, s.Token(t, domain.RoleAdmin))
		wantStatus(t, resp, http.StatusOK)
		wantHeader(t, resp.Header, "Access-Control-Allow-Origin", "*")
		wantNoCORS(t, corsPost(t, s, "", s.Token(t, domain.RoleAdmin)).Header)
	})
}

// TestCORSDefaultsToPublicURL checks that without ALLOWED_ORIGINS the
// allowed origin is PUBLIC_URL's, path left out, and that otherwise it is
// the address the service defaults PUBLIC_URL to.
func TestCORSDefaultsToPublicURL(t *testing.T) {
	t.Parallel()
	t.Run("PublicURL", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "PUBLIC_URL": "https://orders.leafly.example/api/"})
		wantHeader(t, preflight(t, s, "https://orders.leafly.example").Header, "Access-Control-Allow-Origin", "https://orders.leafly.example")
		wantNoCORS(t, preflight(t, s, allowedOrigin).Header)
	})
	t.Run("Unset", func(t *testing.T) {
		t.Parallel()
		s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
		self := "http://localhost:" + s.URL[strings.LastIndex(s.URL, ":")+1:]
		wantHeader(t, preflight(t, s, self).Header, "Access-Control-Allow-Origin", self)
		wantNoCORS(t, preflight(t, s, "http://localhost:8080").Header)
	})
}

// withEnv is env with name set to value.
func withEnv(env map[string]string, name, value string) map[string]string {
	out := maps.Clone(env)
	out[name] = value
	return out
}

// preflight sends the preflight a browser sends before a POST with a token.
func preflight(t *testing.T, s *testServer, origin string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, s.URL+"/query", nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	return send(t, req)
}

// corsPost posts a query from origin ("" for none) with token ("" for none).
func corsPost(t *testing.T, s *testServer, origin, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/query", strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, req)
}

// send sends req and closes the response body, leaving its status and
// headers to check.
func send(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	resp.Body.Close()
	return resp
}

func wantStatus(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Errorf("status %d, want %d", resp.StatusCode, want)
	}
}

func wantHeader(t *testing.T, h http.Header, name, want string) {
	t.Helper()
	if got := h.Get(name); got != want {
		t.Errorf("%s: %q, want %q", name, got, want)
	}
}

// wantNoCORS checks h has no Access-Control-* header.
func wantNoCORS(t *testing.T, h http.Header) {
	t.Helper()
	for name := range h {
		if strings.HasPrefix(name, "Access-Control-") {
			t.Errorf("%s: %q, want no CORS header", name, h.Get(name))
		}
	}
}

// wantVaryOrigin checks h tells caches the answer depends on Origin.
func wantVaryOrigin(t *testing.T, h http.Header) {
	t.Helper()
	if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Errorf("Vary: %q, want Origin", h.Values("Vary"))
	}
}
