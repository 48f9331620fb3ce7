// Package auth turns bearer tokens into domain principals and back: HS256
// JWTs whose claims are sub, role, stores and exp, as the contract says.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/leafly/lightspeed-orders/domain"
)

// Tokens signs bearer tokens with one HMAC key and verifies them with it or
// with previous keys (during a rotation of AUTH_SECRET).
type Tokens struct {
	key      []byte
	previous [][]byte
	now      func() time.Time
	verified verified
}

// NewTokens returns Tokens that sign with secret and also accept tokens
// signed with the previous secrets.
func NewTokens(secret []byte, previous ...[]byte) *Tokens {
	return &Tokens{key: secret, previous: previous, now: time.Now}
}

// parse verifies a token (HS256, exp required) with each key in turn.
func (t *Tokens) parse(token string, c jwt.Claims) error {
	var err error
	for _, key := range append([][]byte{t.key}, t.previous...) {
		_, err = jwt.ParseWithClaims(token, c, func(*jwt.Token) (any, error) { return key, nil },
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(t.now))
		if err == nil {
			return nil
		}
	}
	return err
}

type claims struct {
	Role   domain.Role `json:"role"`
	Stores []string    `json:"stores,omitempty"`
	jwt.RegisteredClaims
}

// Mint returns a signed token for p that expires after ttl.
func (t *Tokens) Mint(p domain.Principal, ttl time.Duration, now time.Time) (string, error) {
	c := claims{Role: p.Role, Stores: p.Stores, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   p.Subject,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// ErrInvalidToken is returned for a missing, malformed, forged or expired token.
var ErrInvalidToken = &domain.Error{Code: domain.CodeUnauthenticated, Message: "A valid bearer token is required."}

// Verify parses a token, with or without its "Bearer " prefix, and returns
// its principal, which expires at the token's exp (the contract allows no
// leeway: a token is valid only until then). Only HS256
// with the key (or a previous one) is accepted; exp is required. A token
// that passed is remembered until it expires (a bounded number of them),
// so the next request with it skips the signature and the claims' decoding.
func (t *Tokens) Verify(token string) (domain.Principal, error) {
	token = strings.TrimSpace(token)
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if p, ok := t.verified.get(token, t.now()); ok {
		return p, nil
	}
	var c claims
	if err := t.parse(token, &c); err != nil || !c.Role.Valid() || c.Subject == "" {
		return domain.Principal{}, ErrInvalidToken
	}
	p := domain.Principal{Subject: c.Subject, Role: c.Role, Stores: c.Stores, Expires: c.ExpiresAt.Time}
	t.verified.put(token, p)
	return p, nil
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p domain.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller of ctx, or ErrInvalidToken when there is none.
func FromContext(ctx context.Context) (domain.Principal, error) {
	p, ok := ctx.Value(principalKey{}).(domain.Principal)
	if !ok {
		return domain.Principal{}, ErrInvalidToken
	}
	return p, nil
}

// IsInvalidToken reports whether err is ErrInvalidToken.
func IsInvalidToken(err error) bool { return errors.Is(err, ErrInvalidToken) }
