package main

import (
	"net/http"
	"strconv"
	"strings"
)

// What a browser on an allowed origin may send and read. Allowed headers
// are Authorization and Content-Type (the contract's), Accept (GraphQL
// clients negotiate application/graphql-response+json, multipart/mixed or
// text/event-stream with it) and X-Request-Id; X-Request-Id is readable,
// so a browser app can quote it to support.
const (
	corsMethods = "GET, POST"
	corsHeaders = "Authorization, Content-Type, Accept, X-Request-Id"
	corsExposed = "X-Request-Id"
	// corsMaxAge is how long a browser may reuse a preflight: two hours,
	// Chromium's own cap.
	corsMaxAge = 2 * 60 * 60
)

// corsPolicy answers browsers on the allowed origins (CORS): a preflight
// with 204 and what they may send, any other request with the origin they
// may read it from. Another origin, or a request without Origin, gets no
// Access-Control-* header at all, and its preflight goes on to gqlgen's
// OPTIONS answer (200, no GraphQL run), which a browser treats as a refusal.
// No credentials are allowed: callers authenticate with a bearer token, not
// cookies. Websocket upgrades are left to gqlws's Origin check.
type corsPolicy struct {
	allowAll bool
	allowed  map[string]bool
}

func newCORSPolicy(origins []string) corsPolicy {
	p := corsPolicy{allowed: make(map[string]bool, len(origins))}
	for _, o := range origins {
		if o == "*" {
			p.allowAll = true
		}
		p.allowed[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return p
}

// allowOrigin is the Access-Control-Allow-Origin value for origin, "" when
// the origin is not allowed.
func (p corsPolicy) allowOrigin(origin string) string {
	switch {
	case origin == "":
		return ""
	case p.allowAll:
		return "*"
	case p.allowed[strings.ToLower(origin)]:
		return origin
	default:
		return ""
	}
}

func (p corsPolicy) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		allow := p.allowOrigin(r.Header.Get("Origin"))
		if allow == "" {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", allow)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposed)
		next.ServeHTTP(w, r)
	})
}
