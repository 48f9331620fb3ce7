package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/vault"
)

func mustVault(t *testing.T, b byte) *vault.Vault {
	t.Helper()
	key := make([]byte, 32)
	for i := range key {
		key[i] = b
	}
	v, err := vault.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func checkKey(db *DB, v *vault.Vault) error {
	return db.CheckKey(context.Background(), func(s string) error { _, err := v.Open(s); return err }, func() string { return v.Seal("key check") })
}

// TestCheckKey: the first key a database is used with is the only one it
// takes afterwards, and a database that kept tokens before the check takes
// only the key they were sealed with.
func TestCheckKey(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		first, other := mustVault(t, 1), mustVault(t, 2)
		if err := checkKey(db, first); err != nil {
			t.Fatalf("first start: %v", err)
		}
		if err := checkKey(db, other); !errors.Is(err, ErrOtherKey) {
			t.Fatalf("another key: %v, want ErrOtherKey", err)
		}
		if err := checkKey(db, first); err != nil {
			t.Fatalf("the first key again: %v", err)
		}
	})
}

func TestCheckKeyOfAnOlderDatabase(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		sealedWith, other := mustVault(t, 1), mustVault(t, 2)
		s, _ := seedStore(t, db)
		now := time.Now().UTC()
		c := domain.Credentials{StoreID: s.ID, AuthMethod: domain.AuthPersonalToken, DomainPrefix: "demo",
			AccessToken: sealedWith.Seal("lsxs_pt_demo"), WebhookToken: "ab12", ConnectedAt: now, UpdatedAt: now}
		if err := db.SaveConnection(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if err := checkKey(db, other); !errors.Is(err, ErrOtherKey) {
			t.Fatalf("a key that opens no kept token: %v, want ErrOtherKey", err)
		}
		if err := checkKey(db, sealedWith); err != nil {
			t.Fatalf("the tokens' key: %v", err)
		}
		if err := checkKey(db, other); !errors.Is(err, ErrOtherKey) {
			t.Fatalf("another key after the check was kept: %v, want ErrOtherKey", err)
		}
	})
}
