package storage

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
)

// crashedLease is how long the claim of a holder that died lasts in these
// tests.
const crashedLease = 300 * time.Millisecond

// TestClaimOfCrashedHolderLapses: a holder claims a shopper's customer and
// dies without releasing it. The next order waits for the lease to lapse,
// then resolves the customer itself, once.
func TestClaimOfCrashedHolderLapses(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, _ := seedStore(t, db)
		row := claimRow{table: lightspeedCustomerRow{}.TableName(), where: "store_id = ? AND email = ?", args: []any{store.ID, "ada@example.com"}}
		if _, claimed, err := db.claimCustomer(ctx, row, "crashed", db.now().Add(crashedLease)); err != nil || !claimed {
			t.Fatalf("claim as the crashed holder: %v, %v", claimed, err)
		}
		var calls atomic.Int32
		start := time.Now()
		id, err := db.LightspeedCustomer(ctx, store.ID, " Ada@Example.com", time.Minute, func(context.Context) (string, error) {
			calls.Add(1)
			return "customer-1", nil
		})
		if err != nil || id != "customer-1" || calls.Load() != 1 {
			t.Fatalf("LightspeedCustomer = %q, %v after %d resolves; want customer-1 after one", id, err, calls.Load())
		}
		if d := time.Since(start); d < crashedLease/2 {
			t.Errorf("resolved %s after a claim of %s, want it to wait for the lease", d, crashedLease)
		}
		if id, _ := db.LightspeedCustomer(ctx, store.ID, "ada@example.com", time.Minute, nil); id != "customer-1" {
			t.Errorf("the next order got %q, want the saved customer-1", id)
		}
	})
}

// TestRefreshClaimRenewsOnce: a holder claims a connection's renewal and
// dies; then several callers need the refused token renewed at once. One
// renews (after the lease lapsed), the others read what it saved.
func TestRefreshClaimRenewsOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, _ := seedStore(t, db)
		refresh := "refresh-1"
		c := domain.Credentials{StoreID: store.ID, AuthMethod: domain.AuthOAuth, DomainPrefix: "demo", AccessToken: "access-1",
			RefreshToken: &refresh, WebhookToken: "hook-" + store.ID, ConnectedAt: db.now()}
		if err := db.SaveConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
		refused := func(c domain.Credentials) bool { return c.AccessToken == "access-1" }
		row := claimRow{table: connectionRow{}.TableName(), where: "store_id = ?", args: []any{store.ID}}
		if _, claimed, err := db.claimRefresh(ctx, row, store.ID, "crashed", db.now().Add(crashedLease), refused); err != nil || !claimed {
			t.Fatalf("claim as the crashed holder: %v, %v", claimed, err)
		}
		var renewals atomic.Int32
		renew := func(_ context.Context, c domain.Credentials) (domain.Credentials, error) {
			renewals.Add(1)
			next := "refresh-2"
			c.AccessToken, c.RefreshToken = "access-2", &next
			return c, nil
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				got, _, err := db.RefreshCredentials(ctx, store.ID, time.Minute, refused, renew)
				if err != nil || got.AccessToken != "access-2" || *got.RefreshToken != "refresh-2" {
					t.Errorf("RefreshCredentials = %s, %v; want access-2", got.AccessToken, err)
				}
			})
		}
		wg.Wait()
		if n := renewals.Load(); n != 1 {
			t.Errorf("%d renewals, want 1", n)
		}
	})
}
