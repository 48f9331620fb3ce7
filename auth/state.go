package auth

import (
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// stateClaims bind an OAuth state to a store. They carry no role, so a
// state can never pass as a bearer token.
type stateClaims struct {
	Purpose string `json:"purpose"`
	jwt.RegisteredClaims
}

const oauthPurpose = "lightspeed_oauth"

// SignState returns a signed OAuth state for the store, identified by nonce
// (the caller keeps the nonce to make the state single-use) and expiring at
// expires.
func (t *Tokens) SignState(storeID, nonce string, expires time.Time) (string, error) {
	c := stateClaims{Purpose: oauthPurpose, RegisteredClaims: jwt.RegisteredClaims{
		Subject: storeID, ID: nonce, ExpiresAt: jwt.NewNumericDate(expires),
	}}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("sign oauth state: %w", err)
	}
	return s, nil
}

// VerifyState checks a state SignState made and returns its store and nonce.
func (t *Tokens) VerifyState(state string) (storeID, nonce string, err error) {
	var c stateClaims
	if err := t.parse(state, &c); err != nil || c.Purpose != oauthPurpose || c.Subject == "" || c.ID == "" {
		return "", "", fmt.Errorf("oauth state is forged, altered or expired")
	}
	return c.Subject, c.ID, nil
}
