package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/vault"
)

// TestResealKeepsConcurrentRefresh: a token refresh saved between Reseal's
// read of a connection and its write is not overwritten with the older
// tokens; Reseal reads them again. Afterwards the current key alone opens
// every token and the key check value.
func TestResealKeepsConcurrentRefresh(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		old, current := mustVault(t, 1), mustVault(t, 2)
		rotating, err := vault.New(bytes32(2), bytes32(1))
		if err != nil {
			t.Fatal(err)
		}
		if err := checkKey(db, old); err != nil {
			t.Fatal(err)
		}
		s, _ := seedStore(t, db)
		saveTokens(t, db, s.ID, old, "access-1", "refresh-1")
		refreshed := false
		reseal := func(sealed string) (string, error) {
			if !refreshed {
				refreshed = true // a replica renews the tokens meanwhile
				saveTokens(t, db, s.ID, rotating, "access-2", "refresh-2")
			}
			out, err := rotating.Reseal(sealed)
			if errors.Is(err, vault.ErrCorrupt) {
				return "", ErrUnreadable
			}
			return out, err
		}
		got, err := db.Reseal(ctx, reseal)
		if err != nil || len(got.Unreadable) != 0 {
			t.Fatalf("Reseal = %+v, %v", got, err)
		}
		c, err := db.Credentials(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		access, aerr := current.Open(c.AccessToken)
		refresh, rerr := current.Open(*c.RefreshToken)
		if aerr != nil || rerr != nil || access != "access-2" || refresh != "refresh-2" {
			t.Fatalf("tokens after Reseal: %q (%v), %q (%v); want the refreshed access-2, refresh-2 under the current key", access, aerr, refresh, rerr)
		}
		if err := checkKey(db, current); err != nil {
			t.Fatalf("the current key alone after Reseal: %v", err)
		}
		if err := checkKey(db, old); !errors.Is(err, ErrOtherKey) {
			t.Fatalf("the previous key after Reseal: %v, want ErrOtherKey", err)
		}
	})
}

// TestResealSkipsUnreadable: tokens no key opens are left and reported;
// the others are re-sealed.
func TestResealSkipsUnreadable(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		rotating, _ := vault.New(bytes32(2), bytes32(1))
		if err := checkKey(db, mustVault(t, 1)); err != nil {
			t.Fatal(err)
		}
		lost, _ := seedStore(t, db)
		saveTokens(t, db, lost.ID, mustVault(t, 3), "access", "refresh")
		got, err := db.Reseal(ctx, func(sealed string) (string, error) {
			out, err := rotating.Reseal(sealed)
			if errors.Is(err, vault.ErrCorrupt) {
				return "", ErrUnreadable
			}
			return out, err
		})
		if err != nil || got.Values != 1 || len(got.Unreadable) != 1 || got.Unreadable[0] != lost.ID {
			t.Fatalf("Reseal = %+v, %v; want the key check re-sealed and store %s unreadable", got, err, lost.ID)
		}
	})
}

func bytes32(b byte) []byte {
	key := make([]byte, 32)
	for i := range key {
		key[i] = b
	}
	return key
}

// saveTokens connects the store by OAuth with tokens sealed by v.
func saveTokens(t *testing.T, db *DB, storeID string, v *vault.Vault, access, refresh string) {
	t.Helper()
	now := time.Now().UTC()
	r := v.Seal(refresh)
	c := domain.Credentials{StoreID: storeID, AuthMethod: domain.AuthOAuth, DomainPrefix: "demo", AccessToken: v.Seal(access),
		RefreshToken: &r, WebhookToken: "wh-" + storeID, ConnectedAt: now, UpdatedAt: now}
	if err := db.SaveConnection(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}
