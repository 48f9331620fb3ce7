package auth_test

import (
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/auth"
	"github.com/leafly/lightspeed-orders/domain"
)

func TestOAuthState(t *testing.T) {
	tokens := auth.NewTokens([]byte("a-key-a-key-a-key-a-key-a-key-a-key"))
	now := time.Now()
	state, err := tokens.SignState("store-1", "nonce-1", now.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	store, nonce, err := tokens.VerifyState(state)
	if err != nil || store != "store-1" || nonce != "nonce-1" {
		t.Fatalf("VerifyState = %q, %q, %v", store, nonce, err)
	}
	if _, err := tokens.Verify(state); err == nil {
		t.Error("an OAuth state passed as a bearer token")
	}
	bearer, _ := tokens.Mint(domain.Principal{Subject: "x", Role: domain.RoleAdmin}, time.Hour, now)
	expired, _ := tokens.SignState("store-1", "nonce-2", now.Add(-time.Minute))
	forged, _ := auth.NewTokens([]byte("another-key-another-key-another-key")).SignState("store-1", "n", now.Add(time.Hour))
	for name, bad := range map[string]string{"Bearer": bearer, "Expired": expired, "Forged": forged, "Altered": state[:len(state)-3] + "abc", "Garbage": "x"} {
		if _, _, err := tokens.VerifyState(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
