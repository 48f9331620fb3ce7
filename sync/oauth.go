package sync

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// tokenPath is the OAuth token endpoint; it stays on 1.0 whatever the API
// version (Lightspeed's authorization docs,
// https://x-series-api.lightspeedhq.com/docs/authorization) and is not in
// the OpenAPI document (testdata/x-series-openapi.json).
const tokenPath = "/api/1.0/token"

// Scopes is the list of scopes the service asks for when a retailer
// connects: the scopes the endpoints it calls say they require in the
// OpenAPI document (testdata/x-series-openapi.json). Since 2026-06-01 a
// connection without scope is refused (Lightspeed's changelog,
// 2025-11-scope-parameter-required). Treat it as read-only.
var Scopes = []string{
	"retailer:read",
	"outlets:read",
	"registers:read",
	"users:read",
	"payment_types:read",
	// taxes:read: the 2026-07 OpenAPI description of GET /taxes says
	// "Requires: taxes:read", but Lightspeed's scopes page
	// (https://x-series-api.lightspeedhq.com/docs/scopes) was not checked.
	"taxes:read",
	"products:read",
	"customers:read",
	"customers:write",
	"sales:read",
	"sales:write",
	"fulfillments:read",
	"webhooks",
}

// Token is an OAuth token pair for one retailer.
type Token struct {
	AccessToken string
	// RefreshToken is rotated on every refresh: persist the new one before
	// using the access token; the old one is revoked.
	RefreshToken string
	// ExpiresAt is when the access token expires: the earlier of expires
	// (unix) and now+expires_in, whichever are present.
	ExpiresAt time.Time
	// DomainPrefix is the retailer's prefix, as the token endpoint reports it.
	DomainPrefix string
	// Scope is the space-separated list of granted scopes.
	Scope string
}

// AuthorizeURL returns the consent URL to send the retailer's browser to
// (connectURL is e.g. https://secure.retail.lightspeed.app/connect). state
// must be an unguessable value of at least 8 characters, checked on the
// callback.
func (c *Client) AuthorizeURL(connectURL, redirectURI, state string, scopes []string) string {
	u, err := url.Parse(connectURL)
	if err != nil {
		u = &url.URL{Path: connectURL}
	}
	q := u.Query()
	q.Set("response_type", "code")
	q.Set("client_id", c.cfg.ClientID)
	q.Set("redirect_uri", redirectURI)
	q.Set("state", state)
	q.Set("scope", strings.Join(scopes, " "))
	// Encode writes spaces as "+"; Lightspeed documents URL-encoded spaces,
	// and a literal "+" is already %2B, so %20 is unambiguous.
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String()
}

// ExchangeCode trades the authorization code from the callback for a
// token. A refused code is KindCredential: the retailer has to connect again.
func (c *Client) ExchangeCode(ctx context.Context, domainPrefix, code, redirectURI string) (Token, error) {
	form := url.Values{
		"code":          {code},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
		"grant_type":    {"authorization_code"},
		"redirect_uri":  {redirectURI},
	}
	return c.token(ctx, "exchange oauth code", domainPrefix, form)
}

// Refresh trades the refresh token for a new pair. A refused refresh (400 or
// 401, e.g. invalid_grant from a revoked or already-rotated token) is
// KindCredential: the retailer has to reconnect. Callers must refresh one at
// a time per retailer, since each refresh revokes the previous token.
func (c *Client) Refresh(ctx context.Context, domainPrefix, refreshToken string) (Token, error) {
	form := url.Values{
		"refresh_token": {refreshToken},
		"client_id":     {c.cfg.ClientID},
		"client_secret": {c.cfg.ClientSecret},
		"grant_type":    {"refresh_token"},
	}
	tok, err := c.token(ctx, "refresh oauth token", domainPrefix, form)
	if err == nil && tok.RefreshToken == "" {
		// No new refresh token means the old one stays valid.
		tok.RefreshToken = refreshToken
	}
	return tok, err
}

// tokenResponse is the token endpoint's answer
// (https://x-series-api.lightspeedhq.com/docs/authorization).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	Expires      Number `json:"expires"`
	ExpiresIn    Number `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	DomainPrefix string `json:"domain_prefix"`
	Scope        string `json:"scope"`
}

// token posts the form to the token endpoint; the parameters go in the body
// only, form-encoded (query parameters are refused since 2017). The token
// endpoint has its own rate limit, so the API limiter does not gate it.
func (c *Client) token(ctx context.Context, op, prefix string, form url.Values) (Token, error) {
	base, err := c.baseURL(prefix)
	if err != nil {
		return Token{}, &Error{Kind: KindRejected, Op: op, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+tokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &Error{Kind: KindRejected, Op: op, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	var resp tokenResponse
	if err := c.send(ctx, exchange{op: op, prefix: prefix, path: tokenPath, req: req, classify: kindForTokenStatus, out: &resp}); err != nil {
		return Token{}, err
	}
	if resp.AccessToken == "" {
		return Token{}, &Error{Kind: KindOutage, Status: http.StatusOK, Op: op, Message: "token response without access_token"}
	}
	return c.newToken(resp, prefix), nil
}

func (c *Client) newToken(r tokenResponse, prefix string) Token {
	tok := Token{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, DomainPrefix: r.DomainPrefix, Scope: r.Scope}
	if tok.DomainPrefix == "" {
		tok.DomainPrefix = prefix
	}
	if secs := r.Expires.Int64(); secs > 0 {
		tok.ExpiresAt = time.Unix(secs, 0)
	}
	if secs := r.ExpiresIn.Int64(); secs > 0 {
		if at := c.clock.Now().Add(time.Duration(secs) * time.Second); tok.ExpiresAt.IsZero() || at.Before(tok.ExpiresAt) {
			tok.ExpiresAt = at
		}
	}
	return tok
}

// kindForTokenStatus classifies the token endpoint's statuses: its error
// bodies are not documented, so every 400/401/403 counts as a
// refused grant rather than being parsed for invalid_grant.
func kindForTokenStatus(status int) ErrorKind {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return KindCredential
	}
	return kindForStatus(status)
}
