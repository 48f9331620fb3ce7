package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// codeTTL is how long an authorization code may be exchanged (UNCONFIRMED
// upstream: 10 minutes, single use, as third-party integrations describe).
const codeTTL = 10 * time.Minute

// authCode is an authorization code issued by /connect.
type authCode struct {
	clientID, redirectURI, prefix, scope string
	expires                              time.Time
}

// grant is what a bearer token proves: access to one retailer, with scopes.
type grant struct {
	prefix  string
	scope   string          // space-separated, as granted
	scopes  map[string]bool // nil: every scope (personal token)
	expires time.Time
	// works is when the token stops being accepted although it has not
	// expired (zero: at expiry): Lightspeed revoking it early.
	works    time.Time
	revoked  bool
	personal bool
}

// has reports whether the grant carries scope.
func (g *grant) has(scope string) bool { return g.scopes == nil || g.scopes[scope] }

// refreshGrant is a refresh token; used or revoked ones stay to explain refusals.
type refreshGrant struct {
	prefix, scope string
	revoked       bool
	// rotated says a refresh used it: presenting it again is a replay.
	rotated bool
}

// tokenSettings are the control API's overrides of access token lifetimes.
type tokenSettings struct {
	// AccessTTL is the lifetime new access tokens announce (0: Options.AccessTokenTTL).
	AccessTTL time.Duration
	// AccessWorks is how long new access tokens are accepted, however long
	// they announce (0: until they expire).
	AccessWorks time.Duration
}

// randomToken returns a random opaque token with a recognisable prefix.
func randomToken(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// connect is the consent screen, auto-approved: it redirects back with a code
// for the chosen retailer (retailer= or the first one), or with
// error=access_denied when the request is invalid or deny=1 simulates a refusal.
func (s *Sandbox) connect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("redirect_uri") == "" || err != nil || !back.IsAbs() {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_ = badConnectPage.Execute(w, q.Get("redirect_uri"))
		return
	}
	answer := url.Values{"state": {q.Get("state")}}
	s.mu.Lock()
	prefix, reason := s.consent(q)
	if reason == "" {
		code := randomToken("")
		s.codes[code] = &authCode{clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
			prefix: prefix, scope: q.Get("scope"), expires: s.now().Add(codeTTL)}
		answer.Set("code", code)
		answer.Set("domain_prefix", prefix)
		answer.Set("scope", q.Get("scope"))
	} else {
		answer.Set("error", "access_denied")
		answer.Set("error_description", reason)
	}
	s.mu.Unlock()
	redirectWith(w, r, back, answer)
}

// consent decides a /connect request: the retailer approved, or why not.
func (s *Sandbox) consent(q url.Values) (prefix, reason string) {
	switch {
	case q.Get("response_type") != "code":
		return "", "response_type must be code"
	case s.opts.ClientID == "" || q.Get("client_id") != s.opts.ClientID:
		return "", "unknown client_id"
	case strings.TrimSpace(q.Get("scope")) == "":
		return "", "scope is required"
	case q.Get("deny") != "":
		return "", "the retailer declined"
	}
	prefix = q.Get("retailer")
	if prefix == "" && len(s.prefixes) > 0 {
		prefix = s.prefixes[0]
	}
	if s.retailers[prefix] == nil {
		return "", "no such retailer"
	}
	return prefix, ""
}

// redirectWith sends a 302 to back with extra query parameters merged in.
func redirectWith(w http.ResponseWriter, r *http.Request, back *url.URL, extra url.Values) {
	q := back.Query()
	for k, v := range extra {
		q[k] = v
	}
	u := *back
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

var badConnectPage = template.Must(template.New("bad").Parse(`<!doctype html>
<title>Lightspeed sandbox: bad request</title>
<h1>Bad authorization request</h1>
<p>redirect_uri is missing or not an absolute URL ({{printf "%q" .}}), so the sandbox cannot send you back.</p>`))

// tokenReply is the token endpoint's answer, as Lightspeed's docs describe it.
type tokenReply struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	Expires      int64  `json:"expires"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	DomainPrefix string `json:"domain_prefix"`
	Scope        string `json:"scope"`
}

// oauthError answers with an RFC 6749 error body (the real bodies are UNCONFIRMED).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// token is POST /{prefix}/api/1.0/token: the code exchange and the refresh,
// form-encoded body only. Refresh rotates: the used refresh token is revoked.
func (s *Sandbox) token(w http.ResponseWriter, r *http.Request) {
	rt, _, ok := s.admit(w, r, r.PathValue("prefix"), "POST /token", "/token")
	if !ok {
		return
	}
	defer s.mu.Unlock()
	q := rt.tokenLimit.take(s.now(), tokenRateLimit)
	q.setHeaders(w.Header(), true)
	if !q.ok {
		rt.stats.RateLimited++
		tooManyRequests(w, q)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case r.URL.RawQuery != "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "parameters must be sent form-encoded in the body, not in the URL")
		return
	case mt != "application/x-www-form-urlencoded":
		oauthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
		return
	case r.ParseForm() != nil:
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	f := r.PostForm
	if s.opts.ClientID == "" || f.Get("client_id") != s.opts.ClientID ||
		subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(s.opts.ClientSecret)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client_id or wrong client_secret")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, rt, f)
	case "refresh_token":
		s.refreshToken(w, rt, f)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

// exchangeCode turns a code into tokens; a code works once, for 10 minutes,
// with the redirect_uri it was issued for, at its retailer's token endpoint.
func (s *Sandbox) exchangeCode(w http.ResponseWriter, rt *retailer, f url.Values) {
	code := s.codes[f.Get("code")]
	delete(s.codes, f.Get("code"))
	switch {
	case code == nil:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or already used code")
	case s.now().After(code.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code expired")
	case code.prefix != rt.prefix || code.clientID != f.Get("client_id"):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code was issued for another retailer or client")
	case code.redirectURI != f.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
	default:
		writeJSON(w, http.StatusOK, s.issue(rt.prefix, code.scope))
	}
}

// refreshToken rotates a refresh token: the old one is revoked for good.
func (s *Sandbox) refreshToken(w http.ResponseWriter, rt *retailer, f url.Values) {
	old := s.refresh[f.Get("refresh_token")]
	switch {
	case old == nil || old.prefix != rt.prefix:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown refresh token")
	case old.revoked:
		if old.rotated {
			rt.stats.RefreshReplays++
		}
		oauthError(w, http.StatusBadRequest, "invalid_grant", "refresh token has been revoked")
	default:
		old.revoked, old.rotated = true, true
		rt.stats.Refreshes++
		writeJSON(w, http.StatusOK, s.issue(rt.prefix, old.scope))
	}
}

// issue creates an access token and a refresh token for a retailer.
func (s *Sandbox) issue(prefix, scope string) tokenReply {
	now, ttl := s.now(), s.opts.AccessTokenTTL
	if s.tokens.AccessTTL > 0 {
		ttl = s.tokens.AccessTTL
	}
	g := &grant{prefix: prefix, scope: scope, scopes: map[string]bool{}, expires: now.Add(ttl)}
	if s.tokens.AccessWorks > 0 {
		g.works = now.Add(s.tokens.AccessWorks)
	}
	for _, sc := range strings.Fields(scope) {
		g.scopes[sc] = true
	}
	access, refresh := randomToken("lsxs_at_"), randomToken("lsxs_rt_")
	s.access[access] = g
	s.refresh[refresh] = &refreshGrant{prefix: prefix, scope: scope}
	return tokenReply{
		AccessToken: access, TokenType: "Bearer", Expires: g.expires.Unix(),
		ExpiresIn: int64(ttl / time.Second), RefreshToken: refresh,
		DomainPrefix: prefix, Scope: scope,
	}
}

// authenticate returns the grant of the request's bearer token when it is
// valid for rt, nil otherwise. Query-string tokens are not accepted.
func (s *Sandbox) authenticate(r *http.Request, rt *retailer) *grant {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil
	}
	if s.personal[token] == rt.prefix {
		return &grant{prefix: rt.prefix, personal: true}
	}
	g := s.access[token]
	if g == nil || g.revoked || g.prefix != rt.prefix || !s.now().Before(g.expires) ||
		(!g.works.IsZero() && !s.now().Before(g.works)) {
		return nil
	}
	return g
}

// revoke invalidates every token of a retailer: access, refresh and personal.
func (s *Sandbox) revoke(prefix string) {
	s.revokeAccess(prefix)
	for _, g := range s.refresh {
		if g.prefix == prefix {
			g.revoked = true
		}
	}
	for token, p := range s.personal {
		if p == prefix {
			delete(s.personal, token)
		}
	}
}

// revokeAccess invalidates the retailer's OAuth access tokens before they
// expire; its refresh tokens keep working.
func (s *Sandbox) revokeAccess(prefix string) {
	for _, g := range s.access {
		if g.prefix == prefix {
			g.revoked = true
		}
	}
}
