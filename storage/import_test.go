package storage_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
	"github.com/leafly/lightspeed-orders/storage"
)

// eachDatabase runs test on the embedded database and on PostgreSQL (skipped
// when TEST_DATABASE_URL is unset), each freshly migrated.
func eachDatabase(t *testing.T, test func(t *testing.T, db *storage.DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, MustOpen(t, storage.Config{DataDir: t.TempDir()}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, MustOpen(t, storage.Config{DatabaseURL: pgtest.NewDatabase(t)}))
	})
}

// MustOpen opens and migrates the database cfg names, closing it when tb ends.
func MustOpen(tb testing.TB, cfg storage.Config) *storage.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// MustCreateStore creates a store taking pickup and delivery orders.
func MustCreateStore(tb testing.TB, db *storage.DB, id string) {
	tb.Helper()
	at := time.Now().UTC().Truncate(time.Microsecond)
	s := &domain.Store{ID: id, Name: "Store " + id, TimeZone: "America/Denver", PickupEnabled: true, DeliveryEnabled: true,
		Integration: domain.Integration{Health: domain.HealthHealthy}, CreatedAt: at, UpdatedAt: at}
	if err := db.CreateStore(context.Background(), s); err != nil {
		tb.Fatal(err)
	}
}

// importedOrder returns order i of a store: i%3+1 lines, and a history that
// reaches READY for odd i. Every tenth order is a delivery.
func importedOrder(storeID string, i int, at time.Time) *domain.Order {
	o := &domain.Order{
		ID: fmt.Sprintf("%s-order-%05d", storeID, i), StoreID: storeID, LeaflyOrderID: fmt.Sprintf("L-%05d", i),
		Status: domain.StatusPending, FulfillmentMethod: domain.FulfillmentPickup,
		Customer:  domain.Customer{FirstName: "Ada", LastName: fmt.Sprintf("Lovelace %d", i), Email: new("ada@example.com")},
		PosSync:   domain.PosSync{State: domain.PosNotApplicable},
		CreatedAt: at, UpdatedAt: at,
		StatusHistory: []domain.StatusChange{{Status: domain.StatusPending, Source: domain.SourceMarketplace, OccurredAt: at}},
	}
	if i%10 == 0 {
		o.FulfillmentMethod = domain.FulfillmentDelivery
		o.DeliveryAddress = &domain.Address{Line1: "1 Main St", City: "Denver", State: "CO", PostalCode: "80202", Country: "US"}
	}
	for l := range i%3 + 1 {
		line := domain.OrderLine{MenuItemID: fmt.Sprintf("item-%d", l), Name: fmt.Sprintf("Item %d", l), Quantity: l + 1, UnitPriceCents: 1000}
		if l == 1 {
			line.DiscountedUnitPriceCents, line.DealTitle = new(int64(800)), new("20% off")
		}
		o.Lines = append(o.Lines, line)
		o.SubtotalCents += line.UnitPriceCents * int64(line.Quantity)
	}
	o.TotalCents = o.SubtotalCents
	if i%2 == 1 {
		later := at.Add(time.Minute)
		o.Status, o.UpdatedAt = domain.StatusReady, later
		o.StatusHistory = append(o.StatusHistory,
			domain.StatusChange{Status: domain.StatusConfirmed, Source: domain.SourcePOS, OccurredAt: later},
			domain.StatusChange{Status: domain.StatusReady, Source: domain.SourceDashboard, OccurredAt: later})
	}
	return o
}

func TestImportOrders(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		MustCreateStore(t, db, "store-a")
		base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		const n = 1203 // more than two batches
		orders := make([]*domain.Order, n)
		for i := range orders {
			orders[i] = importedOrder("store-a", i, base.Add(time.Duration(i)*time.Second))
		}
		if err := db.ImportOrders(ctx, orders); err != nil {
			t.Fatalf("ImportOrders: %v", err)
		}

		page, err := db.Orders(ctx, "store-a", domain.OrderFilter{}, domain.Page{First: 3}, domain.AllOrderParts)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != n {
			t.Errorf("Total = %d, want %d", page.Total, n)
		}
		for k, got := range page.Orders {
			assertOrder(t, got, orders[n-1-k])
		}
		for _, i := range []int{0, 1, 2, 500, 1202} {
			got, err := db.Order(ctx, orders[i].ID)
			if err != nil {
				t.Fatalf("Order(%s): %v", orders[i].ID, err)
			}
			assertOrder(t, got, orders[i])
		}
	})
}

func TestImportOrdersConflict(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		MustCreateStore(t, db, "store-b")
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		first := importedOrder("store-b", 1, at)
		if err := db.ImportOrders(ctx, []*domain.Order{first}); err != nil {
			t.Fatal(err)
		}
		again := importedOrder("store-b", 2, at)
		again.LeaflyOrderID = first.LeaflyOrderID
		if err := db.ImportOrders(ctx, []*domain.Order{again}); err == nil {
			t.Fatal("importing a second order with the same Leafly order id succeeded, want an error")
		}
		if _, err := db.Order(ctx, again.ID); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("Order(%s) after the failed batch: %v, want NOT_FOUND", again.ID, err)
		}
	})
}

// TestImportOrdersOfNoStore: a batch naming a store that does not exist
// fails whole, leaving no order behind (on PostgreSQL no foreign key would
// refuse it; see migration 0017).
func TestImportOrdersOfNoStore(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		MustCreateStore(t, db, "store-c")
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		kept, lost := importedOrder("store-c", 1, at), importedOrder("no-such-store", 2, at)
		err := db.ImportOrders(ctx, []*domain.Order{kept, lost})
		if domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("ImportOrders with an order of no store: %v, want the store NOT_FOUND", err)
		}
		for _, o := range []*domain.Order{kept, lost} {
			if _, err := db.Order(ctx, o.ID); domain.ErrorCode(err) != domain.CodeNotFound {
				t.Errorf("Order(%s) after the failed batch: %v, want NOT_FOUND", o.ID, err)
			}
		}
	})
}

// assertOrder compares what was read back with what was imported.
func assertOrder(t *testing.T, got, want *domain.Order) {
	t.Helper()
	if got.ID != want.ID || got.StoreID != want.StoreID || got.LeaflyOrderID != want.LeaflyOrderID || got.Status != want.Status ||
		got.FulfillmentMethod != want.FulfillmentMethod || got.TotalCents != want.TotalCents || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("order %s: got %s/%s/%s/%d/%s, want %s/%s/%s/%d/%s", want.ID, got.ID, got.LeaflyOrderID, got.Status, got.TotalCents, got.CreatedAt,
			want.ID, want.LeaflyOrderID, want.Status, want.TotalCents, want.CreatedAt)
	}
	if (got.DeliveryAddress == nil) != (want.DeliveryAddress == nil) || (got.DeliveryAddress != nil && got.DeliveryAddress.City != want.DeliveryAddress.City) {
		t.Errorf("order %s: delivery address %+v, want %+v", want.ID, got.DeliveryAddress, want.DeliveryAddress)
	}
	if len(got.Lines) != len(want.Lines) {
		t.Fatalf("order %s: %d lines, want %d", want.ID, len(got.Lines), len(want.Lines))
	}
	for i, l := range got.Lines {
		w := want.Lines[i]
		if l.Name != w.Name || l.Quantity != w.Quantity || l.UnitPriceCents != w.UnitPriceCents ||
			fmt.Sprint(deref(l.DiscountedUnitPriceCents)) != fmt.Sprint(deref(w.DiscountedUnitPriceCents)) {
			t.Errorf("order %s line %d: got %+v, want %+v", want.ID, i, l, w)
		}
	}
	if len(got.StatusHistory) != len(want.StatusHistory) {
		t.Fatalf("order %s: %d status changes, want %d", want.ID, len(got.StatusHistory), len(want.StatusHistory))
	}
	for i, c := range got.StatusHistory {
		w := want.StatusHistory[i]
		if c.Status != w.Status || c.Source != w.Source || !c.OccurredAt.Equal(w.OccurredAt) {
			t.Errorf("order %s history %d: got %+v, want %+v", want.ID, i, c, w)
		}
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
