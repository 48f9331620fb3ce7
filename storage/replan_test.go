package storage

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	moderncsqlite "modernc.org/sqlite"

	"github.com/leafly/lightspeed-orders/domain"
)

// TestSQLiteReadsArePlannedOnce: once ANALYZE has given SQLite statistics,
// every read on the reading connections is compiled when first run and
// never again, whatever values it is run with. SQLite (built with STAT4)
// compiles a statement again at every new value of a plain parameter its
// statistics could use, and that compiling cost more than the read; the
// reads' parameters are textParam and timeParam so that it cannot (see
// textParam). The reads run on one reading connection whose authorizer,
// which SQLite calls while it compiles a statement, counts the compiles.
func TestSQLiteReadsArePlannedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpen(t, Config{DataDir: t.TempDir()})
	store, items := seedStore(t, db)
	var itemIDs []string
	for id := range items {
		itemIDs = append(itemIDs, id)
	}
	c := domain.Credentials{StoreID: store.ID, AuthMethod: domain.AuthOAuth, DomainPrefix: "demo", AccessToken: "access",
		WebhookToken: "hook", ConnectedAt: db.now()}
	if err := db.SaveConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	newest := db.now()
	orders := make([]*domain.Order, 2000)
	for i := range orders {
		sale := fmt.Sprintf("sale-%d", i)
		at := newest.Add(-time.Duration(i) * time.Minute)
		orders[i] = &domain.Order{ID: fmt.Sprintf("order-%d", i), StoreID: store.ID, LeaflyOrderID: fmt.Sprintf("LT-%d", i),
			Status: []domain.Status{domain.StatusPending, domain.StatusPickedUp}[i%2], FulfillmentMethod: domain.FulfillmentPickup,
			Customer: domain.Customer{FirstName: "A", LastName: "B"}, SubtotalCents: 500, TotalCents: 500,
			Lines:         []domain.OrderLine{{MenuItemID: itemIDs[0], Name: "item", Quantity: 1, UnitPriceCents: 500}},
			StatusHistory: []domain.StatusChange{{Status: domain.StatusPending, Source: domain.SourceMarketplace, OccurredAt: at}},
			PosSync:       domain.PosSync{State: domain.PosSent, SaleID: &sale}, CreatedAt: at, UpdatedAt: at}
	}
	if err := db.ImportOrders(ctx, orders); err != nil {
		t.Fatal(err)
	}
	if err := db.gorm.Exec("ANALYZE").Error; err != nil {
		t.Fatal(err)
	}
	var compiles atomic.Int64
	db.readers.SetMaxOpenConns(1)
	conn, err := db.readers.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = conn.Raw(func(dc any) error {
		return dc.(moderncsqlite.AuthorizerRegisterer).RegisterAuthorizer(
			func(moderncsqlite.AuthorizerActionCode, string, string, string, string) moderncsqlite.AuthorizerReturnCode {
				compiles.Add(1)
				return moderncsqlite.AuthorizerOK
			})
	})
	if cerr := conn.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	cursor := func(i int) string { return encodeCursor(orders[i].CreatedAt, orders[i].ID) }
	after := func(i int) *time.Time { return &orders[i].CreatedAt }
	for _, read := range []struct {
		name string
		run  func(i int) error
	}{
		{"Orders after a cursor", func(i int) error {
			p, err := db.Orders(ctx, store.ID, domain.OrderFilter{}, domain.Page{First: 50, After: cursor(100 + 200*i)}, domain.AllOrderParts)
			return want(err, len(p.Orders) == 50 && p.HasPrevious && p.HasNext, "a full page between others", p)
		}},
		{"Orders filtered, before a cursor", func(i int) error {
			last := 20
			f := domain.OrderFilter{Status: []domain.Status{domain.StatusPending}, PosSyncState: []domain.PosSyncState{domain.PosSent},
				CreatedAfter: after(1900 - i)}
			p, err := db.Orders(ctx, store.ID, f, domain.Page{Last: &last, Before: cursor(200 + 200*i)}, domain.AllOrderParts)
			return want(err, len(p.Orders) == 20 && p.Total > 0, "a full page", p)
		}},
		{"ReadOrder", func(i int) error {
			o, err := db.ReadOrder(ctx, orders[i].ID, true)
			return want(err, o != nil && o.ID == orders[i].ID && len(o.StatusHistory) == 1, "the order with its history", o)
		}},
		{"OrderScope", func(i int) error {
			s, err := db.OrderScope(ctx, orders[i].ID)
			return want(err, s.StoreID == store.ID, "the order's store", s)
		}},
		{"OrderByLeaflyID", func(i int) error {
			o, err := db.OrderByLeaflyID(ctx, store.ID, orders[i].LeaflyOrderID)
			return want(err, o != nil && o.ID == orders[i].ID, "the order", o)
		}},
		{"SaleOrder", func(i int) error {
			s, err := db.SaleOrder(ctx, store.ID, *orders[i].PosSync.SaleID)
			return want(err, s.OrderID == orders[i].ID, "the sale's order", s)
		}},
		{"WebhookTarget", func(i int) error {
			_, _, s, err := db.WebhookTarget(ctx, c.WebhookToken, *orders[i].PosSync.SaleID, fmt.Sprintf("body %d", i))
			return want(err, s.OrderID == orders[i].ID, "the sale's order", s)
		}},
		{"Store", func(int) error {
			s, err := db.Store(ctx, store.ID)
			return want(err, s.ID == store.ID, "the store", s)
		}},
		{"Credentials", func(int) error {
			got, err := db.Credentials(ctx, store.ID)
			return want(err, got.StoreID == store.ID, "the store's connection", got)
		}},
		{"CredentialsByWebhookToken", func(int) error {
			got, err := db.CredentialsByWebhookToken(ctx, c.WebhookToken)
			return want(err, got.StoreID == store.ID, "the store's connection", got)
		}},
		{"OrderNotification", func(i int) error {
			_, _, _, ok, err := db.OrderNotification(ctx, fmt.Sprintf("notification-%d", i))
			return want(err, !ok, "no notification", ok)
		}},
		{"MenuItemsByID", func(i int) error {
			m, err := db.MenuItemsByID(ctx, store.ID, []string{itemIDs[i%2], itemIDs[1-i%2]})
			return want(err, len(m) == 2, "both items", m)
		}},
	} {
		if err := read.run(0); err != nil {
			t.Fatalf("%s: %v", read.name, err)
		}
		compiled := compiles.Load()
		for i := 1; i <= 3; i++ {
			if err := read.run(i); err != nil {
				t.Fatalf("%s: %v", read.name, err)
			}
		}
		if n := compiles.Load() - compiled; n != 0 {
			t.Errorf("%s was compiled again for new values (%d authorizations)", read.name, n)
		}
	}
}

// want is err, or an error saying what was wanted and got when ok is false.
func want(err error, ok bool, what string, got any) error {
	if err == nil && !ok {
		err = fmt.Errorf("want %s, got %+v", what, got)
	}
	return err
}
