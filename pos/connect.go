package pos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/storage"
	lssync "github.com/leafly/lightspeed-orders/sync"
)

// Lightspeed connections: a personal token (the menu only) or OAuth.

// OAuthCallbackPath is where Lightspeed sends the browser back after consent.
const OAuthCallbackPath = "/oauth/lightspeed/callback"

// WebhookPath is where Lightspeed posts a connection's webhooks; the last
// segment is the connection's webhook token.
const WebhookPath = "/webhooks/lightspeed/"

const (
	oauthStateTTL = 10 * time.Minute
	// refreshAhead is how long before expiry an access token is renewed.
	refreshAhead = 5 * time.Minute
)

// maxPersonalToken is the longest personal token sent to Lightspeed to try:
// far above a real one (tens of characters), short enough for a header.
const maxPersonalToken = 1000

var domainPrefix = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// ConnectPersonalToken connects the store with a personal token after
// checking it with a real call, and turns the menu sync on.
func (p *Pipeline) ConnectPersonalToken(ctx context.Context, storeID, prefix, token string) (*domain.Store, error) {
	store, err := p.db.Store(ctx, storeID)
	if err != nil {
		return nil, err
	}
	if store.Integration.Enabled {
		return nil, domain.Errorf(domain.CodeConflict, "Disable the order integration before replacing its OAuth connection with a personal token.")
	}
	if !domainPrefix.MatchString(prefix) {
		return nil, domain.Errorf(domain.CodeBadUserInput, "domainPrefix %q is not a Lightspeed store prefix such as mystore (from mystore.retail.lightspeed.app).", prefix)
	}
	if token == "" || len(token) > maxPersonalToken {
		return nil, domain.Errorf(domain.CodeBadUserInput, "token must have 1 to %d characters.", maxPersonalToken)
	}
	if _, err := p.ls.Retailer(lssync.Interactive(ctx), lssync.Target{DomainPrefix: prefix, AccessToken: token}); err != nil {
		if lssync.IsCredential(err) || lssync.IsNotFound(err) {
			return nil, domain.Errorf(domain.CodeBadUserInput, "Lightspeed refused this personal token for %s: check the token and the store prefix.", prefix)
		}
		return nil, lightspeedError(err)
	}
	c := domain.Credentials{StoreID: storeID, AuthMethod: domain.AuthPersonalToken, DomainPrefix: prefix,
		AccessToken: p.vault.Seal(token), WebhookToken: randomToken(), ConnectedAt: p.now()}
	if err := p.db.SaveConnection(ctx, c); err != nil {
		return nil, err
	}
	return p.connected(ctx, storeID)
}

// connected turns the menu sync on for a newly connected store and starts a
// sync in the background. A store whose credentials Lightspeed refused is
// healthy again at once.
func (p *Pipeline) connected(ctx context.Context, storeID string) (*domain.Store, error) {
	p.recover(ctx, storeID, domain.HealthCredentialsInvalid)
	s, err := p.w.UpdateStore(ctx, storeID, func(s *domain.Store) error {
		s.Integration.MenuSync.Enabled = true
		s.Integration.MenuSync.Version = 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.enqueueMenuSync(ctx, storeID)
	return s, nil
}

// StartOAuth returns the Lightspeed consent URL that connects the store with
// OAuth (or switches it from a personal token).
func (p *Pipeline) StartOAuth(ctx context.Context, storeID string) (string, error) {
	if _, err := p.db.Store(ctx, storeID); err != nil {
		return "", err
	}
	nonce := randomToken()
	expires := p.now().Add(oauthStateTTL)
	state, err := p.tokens.SignState(storeID, nonce, expires)
	if err != nil {
		return "", err
	}
	if err := p.db.SaveOAuthState(ctx, nonce, storeID, expires); err != nil {
		return "", fmt.Errorf("save oauth state: %w", err)
	}
	return p.ls.AuthorizeURL(p.connectURL, p.publicURL+OAuthCallbackPath, state, lssync.Scopes), nil
}

// OAuthError is what the OAuth callback page tells the manager.
type OAuthError struct{ Message string }

func (e *OAuthError) Error() string { return e.Message }

// CompleteOAuth finishes a connection from Lightspeed's callback query and
// returns the store it connected.
func (p *Pipeline) CompleteOAuth(ctx context.Context, q url.Values) (*domain.Store, error) {
	if e := q.Get("error"); e != "" {
		return nil, &OAuthError{"Lightspeed did not grant access (" + oauthRefusal(e) + "). Nothing changed; start again from Leafly Biz to connect."}
	}
	storeID, nonce, err := p.tokens.VerifyState(q.Get("state"))
	if err != nil {
		return nil, &OAuthError{"This link is not valid or has expired. Start again from Leafly Biz to connect Lightspeed."}
	}
	// A mangled or forged link is refused before the state is used, so it
	// cannot spend the state Lightspeed's real callback carries.
	prefix, code := q.Get("domain_prefix"), q.Get("code")
	if !domainPrefix.MatchString(prefix) || code == "" {
		return nil, &OAuthError{"Lightspeed's answer lacks the store or the authorization code. Start again from Leafly Biz."}
	}
	fresh, err := p.db.UseOAuthState(ctx, nonce, storeID, p.now())
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, &OAuthError{"This link was already used or has expired. Start again from Leafly Biz to connect Lightspeed."}
	}
	tok, err := p.ls.ExchangeCode(ctx, prefix, code, p.publicURL+OAuthCallbackPath)
	if err != nil {
		p.log.WarnContext(ctx, "oauth code exchange failed", "store", storeID, "domain_prefix", prefix, "kind", lssync.KindOf(err).String())
		return nil, &OAuthError{"Lightspeed did not accept the connection (" + lssync.KindOf(err).String() + "). Try again in a moment."}
	}
	if err := p.db.SaveConnection(ctx, p.oauthCredentials(storeID, prefix, tok)); err != nil {
		return nil, err
	}
	p.log.InfoContext(ctx, "store connected to lightspeed", "store", storeID, "domain_prefix", prefix, "method", "oauth")
	return p.connected(ctx, storeID)
}

// oauthRefusal says in fixed words why Lightspeed refused, from the OAuth
// error code of the callback: the link's own text (error, error_description)
// is anyone's to write and is never shown.
func oauthRefusal(code string) string {
	switch code {
	case "access_denied":
		return "the connection was declined"
	case "server_error", "temporarily_unavailable":
		return "Lightspeed had a problem; try again in a moment"
	default:
		return "the connection request was not valid"
	}
}

func (p *Pipeline) oauthCredentials(storeID, prefix string, tok lssync.Token) domain.Credentials {
	refresh := p.vault.Seal(tok.RefreshToken)
	expires := tok.ExpiresAt.UTC()
	return domain.Credentials{StoreID: storeID, AuthMethod: domain.AuthOAuth, DomainPrefix: prefix,
		AccessToken: p.vault.Seal(tok.AccessToken), RefreshToken: &refresh, ExpiresAt: &expires, Scope: &tok.Scope,
		WebhookToken: randomToken(), ConnectedAt: p.now()}
}

// target returns where and with what token to call Lightspeed for the
// store, renewing an OAuth token about to expire; the target renews its
// token again when Lightspeed refuses it early.
func (p *Pipeline) target(ctx context.Context, storeID string) (lssync.Target, error) {
	c, err := p.credentials(ctx, storeID)
	if err != nil {
		return lssync.Target{}, err
	}
	if p.stale(c) {
		if c, _, err = p.refresh(ctx, storeID, p.stale); err != nil {
			return lssync.Target{}, p.unreadable(ctx, storeID, err)
		}
	}
	return p.targetOf(ctx, c)
}

// targetOf is the target of a connection's current tokens.
func (p *Pipeline) targetOf(ctx context.Context, c domain.Credentials) (lssync.Target, error) {
	token, err := p.vault.Open(c.AccessToken)
	if err != nil {
		return lssync.Target{}, p.unreadable(ctx, c.StoreID, fmt.Errorf("open access token of store %s: %w", c.StoreID, err))
	}
	t := lssync.Target{DomainPrefix: c.DomainPrefix, AccessToken: token}
	if refreshable(c) {
		t.Renew = p.renewer(c.StoreID)
	}
	return t, nil
}

// renewer answers a refused token with the connection's current one:
// renewed first, unless another call already renewed it.
func (p *Pipeline) renewer(storeID string) func(context.Context, string) (string, bool, error) {
	return func(ctx context.Context, refused string) (string, bool, error) {
		holds := func(c domain.Credentials) bool {
			token, err := p.vault.Open(c.AccessToken)
			return refreshable(c) && (err != nil || token == refused || p.stale(c))
		}
		c, fresh, err := p.refresh(ctx, storeID, holds)
		if err != nil {
			return "", false, err
		}
		token, err := p.vault.Open(c.AccessToken)
		return token, fresh, err
	}
}

// refresh renews the store's tokens when need says so, one renewal at a
// time per connection: in this process a mutex, across replicas a claim
// on the connection.
func (p *Pipeline) refresh(ctx context.Context, storeID string, need func(domain.Credentials) bool) (domain.Credentials, bool, error) {
	defer p.refreshLocks.lock(storeID)()
	return p.db.RefreshCredentials(ctx, storeID, p.lease(refreshCalls), need, p.renew)
}

// Lightspeed calls a claim covers at most: its lease outlasts them all.
const (
	refreshCalls  = 1
	customerCalls = 2
)

// lease is how long a claim covering n Lightspeed calls lasts: longer than
// they may take (each ends at LIGHTSPEED_TIMEOUT), so it lapses only when
// its holder died.
func (p *Pipeline) lease(n int) time.Duration { return time.Duration(n+1) * p.lsTimeout }

// credentials returns the store's connection; a store with none is the
// caller's mistake.
func (p *Pipeline) credentials(ctx context.Context, storeID string) (domain.Credentials, error) {
	c, err := p.db.Credentials(ctx, storeID)
	if errors.Is(err, storage.ErrNotConnected) {
		return c, domain.Errorf(domain.CodeBadUserInput, "Store %s is not connected to Lightspeed: connect it first.", storeID)
	}
	return c, err
}

// connectionID names the store's current connection: it changes whenever
// the store connects again (even to the same account), not when a token is
// renewed.
func (p *Pipeline) connectionID(ctx context.Context, storeID string) (string, error) {
	c, err := p.credentials(ctx, storeID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%s/%d", c.AuthMethod, c.DomainPrefix, c.ConnectedAt.UnixMicro()), nil
}

// refreshable reports whether the connection's tokens can be renewed.
func refreshable(c domain.Credentials) bool {
	return c.AuthMethod == domain.AuthOAuth && c.RefreshToken != nil
}

// stale reports whether an OAuth token must be renewed before use.
func (p *Pipeline) stale(c domain.Credentials) bool {
	return refreshable(c) && c.ExpiresAt != nil && p.now().Add(refreshAhead).After(*c.ExpiresAt)
}

// renew trades the refresh token for a new pair. Lightspeed revokes the old
// refresh token, so the caller saves the new one before anyone uses it.
func (p *Pipeline) renew(ctx context.Context, c domain.Credentials) (domain.Credentials, error) {
	refresh, err := p.vault.Open(*c.RefreshToken)
	if err != nil {
		return c, fmt.Errorf("open refresh token of store %s: %w", c.StoreID, err)
	}
	tok, err := p.ls.Refresh(ctx, c.DomainPrefix, refresh)
	if err != nil {
		return c, fmt.Errorf("refresh lightspeed token of store %s: %w", c.StoreID, err)
	}
	fresh := p.oauthCredentials(c.StoreID, c.DomainPrefix, tok)
	fresh.WebhookToken, fresh.WebhookID, fresh.ConnectedAt = c.WebhookToken, c.WebhookID, c.ConnectedAt
	return fresh, nil
}

func randomToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// keyedMutex serialises work per key (a store) within this process.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*sync.Mutex{}
	}
	l, ok := k.locks[key]
	if !ok {
		l = &sync.Mutex{}
		k.locks[key] = l
	}
	k.mu.Unlock()
	l.Lock()
	return l.Unlock
}
