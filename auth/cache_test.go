package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// cached returns how many tokens t remembers.
func (t *Tokens) cached() int {
	t.verified.mu.RLock()
	defer t.verified.mu.RUnlock()
	return len(t.verified.tokens)
}

// TestVerifiedTokensCachedUntilTheyExpire proves a verified token is
// remembered and still refused from the moment it expires, to the second
// its exp names.
func TestVerifiedTokensCachedUntilTheyExpire(t *testing.T) {
	tokens := NewTokens([]byte("a-key-a-key-a-key-a-key-a-key-a-key"))
	now, exp := time.Unix(1_800_000_000, 0), time.Unix(1_800_000_060, 0)
	tokens.now = func() time.Time { return now }
	p := domain.Principal{Subject: "u1", Role: domain.RoleStoreStaff, Stores: []string{"s1"}}
	token, err := tokens.Mint(p, time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{now, now.Add(time.Minute - time.Nanosecond)} {
		now = at
		got, err := tokens.Verify("Bearer " + token)
		if err != nil || got.Subject != "u1" || got.Stores[0] != "s1" || !got.Expires.Equal(exp) {
			t.Fatalf("Verify at %s: %+v, %v", at, got, err)
		}
		if n := tokens.cached(); n != 1 {
			t.Fatalf("Verify at %s: %d tokens cached, want 1", at, n)
		}
	}
	now = exp
	if _, err := tokens.Verify(token); !IsInvalidToken(err) {
		t.Fatalf("Verify at exp: %v, want ErrInvalidToken", err)
	}
	if n := tokens.cached(); n != 0 {
		t.Errorf("an expired token stays cached (%d)", n)
	}
}

// TestBadTokensNeverCached proves that a token signed with another key,
// or whose claims were changed after signing, is refused every time and
// never remembered.
func TestBadTokensNeverCached(t *testing.T) {
	tokens := NewTokens([]byte("a-key-a-key-a-key-a-key-a-key-a-key"))
	forger := NewTokens([]byte("another-key-another-key-another-key"))
	p := domain.Principal{Subject: "u1", Role: domain.RoleAdmin}
	forged, err := forger.Mint(p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	good, err := tokens.Mint(p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tampered := good[:len(good)-2] + "AA"
	if tampered == good {
		tampered = good[:len(good)-2] + "BB"
	}
	for range 2 {
		for name, token := range map[string]string{"forged": forged, "tampered": tampered} {
			if _, err := tokens.Verify(token); !IsInvalidToken(err) {
				t.Errorf("%s token: %v, want ErrInvalidToken", name, err)
			}
		}
	}
	if n := tokens.cached(); n != 0 {
		t.Errorf("%d bad tokens cached", n)
	}
}

// TestTokenCacheBounded proves the cache holds at most cacheSize tokens,
// and that a token dropped from it is verified again.
func TestTokenCacheBounded(t *testing.T) {
	tokens := NewTokens([]byte("a-key-a-key-a-key-a-key-a-key-a-key"))
	var first string
	for i := range cacheSize + 10 {
		token, err := tokens.Mint(domain.Principal{Subject: fmt.Sprint("u", i), Role: domain.RoleStoreStaff}, time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tokens.Verify(token); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = token
		}
	}
	if n := tokens.cached(); n != cacheSize {
		t.Errorf("%d tokens cached, want %d", n, cacheSize)
	}
	if p, err := tokens.Verify(first); err != nil || p.Subject != "u0" {
		t.Errorf("the first token: %+v, %v", p, err)
	}
}
