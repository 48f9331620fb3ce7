package storage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestSaveWebhookKeepsOneCopy keeps a body once per store: a copy is not
// written and its job not enqueued.
func TestSaveWebhookKeepsOneCopy(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, _ := seedStore(t, db)
		enqueued := 0
		enqueue := func(Tx) error { enqueued++; return nil }
		for i, want := range []bool{true, false, false} {
			kept, err := db.SaveWebhook(ctx, NewWebhook(store.ID, nil, "payload=same"), enqueue)
			if err != nil || kept != want {
				t.Fatalf("save %d: kept %v, %v; want %v", i+1, kept, err, want)
			}
		}
		if kept, err := db.SaveWebhook(ctx, NewWebhook(store.ID, nil, "payload=other"), enqueue); err != nil || !kept {
			t.Fatalf("save of another body: kept %v, %v; want true", kept, err)
		}
		if enqueued != 2 {
			t.Errorf("%d jobs enqueued for two bodies, want 2", enqueued)
		}
	})
}

// TestWebhookTarget reads a webhook's connection and its sale's order as
// CredentialsByWebhookToken and SaleOrder do, and whether a copy of the
// webhook is kept: only an identical body of the same store is one.
func TestWebhookTarget(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		other := &domain.Store{ID: store.ID + "-other", Name: "O", TimeZone: "UTC", CreatedAt: store.CreatedAt, UpdatedAt: store.UpdatedAt}
		if err := db.CreateStore(ctx, other); err != nil {
			t.Fatal(err)
		}
		token := "hook-" + store.ID
		conn := domain.Credentials{StoreID: store.ID, AuthMethod: domain.AuthPersonalToken, DomainPrefix: "demo", AccessToken: "access-1",
			WebhookToken: token, ConnectedAt: db.now()}
		if err := db.SaveConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		o := createQueued(t, db, store, items, "W-1", time.Now().UTC())
		if _, ok, err := db.StartSend(ctx, o.ID, "sale-w"); err != nil || !ok {
			t.Fatalf("start send: %v, %v", ok, err)
		}
		sale := "sale-w"
		target := func() (domain.Credentials, SaleOrder) {
			t.Helper()
			c, hook, got, err := db.WebhookTarget(ctx, token, sale, "payload=w1")
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := db.CredentialsByWebhookToken(ctx, token); !reflect.DeepEqual(c, want) {
				t.Fatalf("credentials %+v, want %+v", c, want)
			}
			if want := NewWebhook(store.ID, &sale, "payload=w1"); !reflect.DeepEqual(hook, want) {
				t.Fatalf("webhook %+v, want the store's of sale %s", hook, sale)
			}
			return c, got
		}
		if _, got := target(); got.OrderID != o.ID || got.PosState != domain.PosQueued || got.Kept {
			t.Fatalf("before any is kept: %+v; want order %s, queued, not kept", got, o.ID)
		}
		for _, w := range []Webhook{NewWebhook(other.ID, &sale, "payload=w1"), NewWebhook(store.ID, &sale, "payload=w2")} {
			if _, err := db.SaveWebhook(ctx, w, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, got := target(); got.Kept {
			t.Fatalf("with the body kept by another store and another body kept: %+v; want not kept", got)
		}
		if _, err := db.SaveWebhook(ctx, NewWebhook(store.ID, &sale, "payload=w1"), nil); err != nil {
			t.Fatal(err)
		}
		if _, got := target(); !got.Kept || got.OrderID != o.ID {
			t.Fatalf("once kept: %+v; want kept", got)
		}
		plain, err := db.SaleOrder(ctx, store.ID, sale)
		if err != nil || plain.OrderID != o.ID || plain.Kept {
			t.Errorf("SaleOrder: %+v, %v; want the order, Kept false", plain, err)
		}
		if c, _, got, err := db.WebhookTarget(ctx, token, "sale-of-no-order", "payload=w1"); err != nil || c.StoreID != store.ID || got != (SaleOrder{}) {
			t.Errorf("a sale of no order: %+v, %+v, %v; want the connection and no order", c, got, err)
		}
		if _, _, _, err := db.WebhookTarget(ctx, "no-such-token", sale, "payload=w1"); !errors.Is(err, ErrNotConnected) {
			t.Errorf("an unknown token: %v, want ErrNotConnected", err)
		}
	})
}

// TestHintSale notes the highest version webhooks announced on a QUEUED
// order, which the order then carries, and LockSaleOrder reads its state.
func TestHintSale(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		o := createQueued(t, db, store, items, "H-1", time.Now().UTC())
		hint := func(version int64) (state domain.PosSyncState, recorded int64) {
			t.Helper()
			sale := "sale-h"
			if _, err := db.SaveWebhook(ctx, NewWebhook(store.ID, &sale, fmt.Sprint("payload=", version)), func(tx Tx) (err error) {
				if state, recorded, err = tx.LockSaleOrder(o.ID); err != nil {
					return err
				}
				return tx.HintSale(o.ID, version)
			}); err != nil {
				t.Fatal(err)
			}
			return state, recorded
		}
		for _, v := range []int64{40, 90, 60} {
			if state, recorded := hint(v); state != domain.PosQueued || recorded != 0 {
				t.Errorf("hint %d: state %s, version %d; want QUEUED, 0", v, state, recorded)
			}
		}
		got, err := db.ReadOrder(ctx, o.ID, false)
		if err != nil || got.PosSync.HintedVersion != 90 {
			t.Fatalf("hinted version %d, %v; want 90, the highest", got.PosSync.HintedVersion, err)
		}
		if _, _, err := db.UpdateOrder(ctx, o.ID, func(o *domain.Order) error {
			o.PosSync.State, o.PosSync.SaleVersion = domain.PosSent, 70
			return nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if state, recorded := hint(95); state != domain.PosSent || recorded != 70 {
			t.Errorf("once sent: state %s, version %d; want SENT, 70", state, recorded)
		}
		err = db.transaction(ctx, func(tx *gorm.DB) error {
			_, _, err := (Tx{tx}).LockSaleOrder("no-such-order")
			return err
		})
		wantNotFound(t, "LockSaleOrder of no order", err)
	})
}

// TestPruneWebhooks deletes the webhooks received before the cutoff only.
func TestPruneWebhooks(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, _ := seedStore(t, db)
		for _, body := range []string{"payload=old", "payload=new"} {
			if _, err := db.SaveWebhook(ctx, NewWebhook(store.ID, nil, body), nil); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().UTC().Add(-4 * 24 * time.Hour)
		if err := db.gorm.Model(&webhookRow{}).Where("body = ?", "payload=old").Update("received_at", old).Error; err != nil {
			t.Fatal(err)
		}
		n, err := db.PruneWebhooks(ctx, time.Now().UTC().Add(-72*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("PruneWebhooks deleted %d, %v; want 1", n, err)
		}
		var left []string
		db.gorm.Model(&webhookRow{}).Pluck("body", &left)
		if len(left) != 1 || left[0] != "payload=new" {
			t.Errorf("left %v, want the new webhook only", left)
		}
	})
}

// TestSaleReadsUseTheSaleIndex: a store with many orders that have no sale
// (imported history), once ANALYZE has counted them, still has the orders
// of its webhooks' sales found by the index, not by a scan of its orders.
// On SQLite the index then counted the orders of no sale as one value, and
// the planner scanned every order for every webhook.
func TestSaleReadsUseTheSaleIndex(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		var item domain.MenuItem
		for _, item = range items {
			break
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		orders := make([]*domain.Order, 2000)
		for i := range orders {
			orders[i] = &domain.Order{ID: fmt.Sprintf("imported-%d-%s", i, store.ID), StoreID: store.ID,
				LeaflyOrderID: fmt.Sprintf("LT-%d", i), Status: domain.StatusPickedUp, FulfillmentMethod: domain.FulfillmentPickup,
				Customer: domain.Customer{FirstName: "A", LastName: "B"}, SubtotalCents: 500, TotalCents: 500,
				Lines:   []domain.OrderLine{{MenuItemID: item.ID, Name: item.Name, Quantity: 1, UnitPriceCents: 500}},
				PosSync: domain.PosSync{State: domain.PosNotApplicable}, CreatedAt: at, UpdatedAt: at}
		}
		if err := db.ImportOrders(ctx, orders); err != nil {
			t.Fatal(err)
		}
		if err := db.gorm.Exec("ANALYZE").Error; err != nil {
			t.Fatal(err)
		}
		explain, find := "EXPLAIN QUERY PLAN ", "SCAN o"
		if db.postgres {
			explain, find = "EXPLAIN ", "Seq Scan on orders"
		}
		for name, q := range map[string]struct {
			sql  string
			args []any
		}{
			"WebhookTarget": {db.in(webhookTarget), []any{"hash", "sale-1", "token"}},
			"SaleOrder":     {db.in(saleOrder), []any{store.ID, "sale-1"}},
		} {
			rows, err := db.sql.QueryContext(ctx, explain+q.sql, q.args...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if text := planText(t, rows); strings.Contains(text, find) || text == "" {
				t.Errorf("%s's plan:\n%s\nwant its order found by the sale index", name, text)
			}
		}
	})
}
