package storage

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// eachDB runs test on a fresh, migrated embedded database and on a fresh,
// migrated PostgreSQL database.
func eachDB(t *testing.T, test func(t *testing.T, db *DB)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, mustOpen(t, Config{DataDir: t.TempDir()}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, mustOpen(t, Config{DatabaseURL: pgtest.NewDatabase(t)}))
	})
}

func mustOpen(t testing.TB, cfg Config) *DB {
	t.Helper()
	db, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func TestMigrateIsRepeatableAndReady(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		ok, err := db.Migrated(ctx)
		if err != nil || !ok {
			t.Fatalf("Migrated = %v, %v; want true", ok, err)
		}
		var versions int64
		db.gorm.Table("schema_migrations").Count(&versions)
		all, _ := loadMigrations(db.dialect())
		if int(versions) != len(all) {
			t.Errorf("%d migrations recorded, want %d", versions, len(all))
		}
	})
}

// TestConcurrentMigrate: replicas started together on a new PostgreSQL
// database migrate at once; every one succeeds and each migration is
// applied once.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	const replicas = 4
	errs := make(chan error, replicas)
	for range replicas {
		go func() {
			db, err := Open(context.Background(), Config{DatabaseURL: url, MaxOpenConns: 1})
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- db.Migrate(context.Background())
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Errorf("a replica's migration failed: %v", err)
		}
	}
	db := mustOpen(t, Config{DatabaseURL: url})
	states, err := db.Migrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range states {
		if m.AppliedAt == "" {
			t.Errorf("migration %04d_%s not applied", m.Version, m.Name)
		}
	}
}

// TestHotTablesLeaveTheStoreRowUnlocked: on PostgreSQL no table written for
// every order or webhook declares a foreign key of stores, whose check
// would lock the store's row FOR KEY SHARE on each insert (migration 0017).
// The tables written rarely keep theirs.
func TestHotTablesLeaveTheStoreRowUnlocked(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DatabaseURL: pgtest.NewDatabase(t)})
	var referencing []string
	err := db.gorm.Raw(`SELECT conrelid::regclass::text FROM pg_constraint
		WHERE contype = 'f' AND confrelid = 'stores'::regclass ORDER BY 1`).Scan(&referencing).Error
	if err != nil {
		t.Fatal(err)
	}
	hot := []string{"lightspeed_customers", "lightspeed_webhooks", "notifications", "orders"}
	for _, table := range referencing {
		if slices.Contains(hot, table) {
			t.Errorf("%s references stores: each insert locks the store's row", table)
		}
	}
	if !slices.Contains(referencing, "alerts") {
		t.Errorf("tables referencing stores %v: want alerts among them", referencing)
	}
}

// TestCreateOrderOfNoStore: an order naming a store that does not exist is
// refused with the store NOT_FOUND and leaves nothing behind (on
// PostgreSQL no foreign key would refuse it; see migration 0017).
func TestCreateOrderOfNoStore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		o := newOrder(t, store, items, "GONE-1", time.Now().UTC().Truncate(time.Microsecond))
		o.StoreID = "no-such-store"
		if _, _, _, err := db.CreateOrder(ctx, o, nil); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Fatalf("CreateOrder for no store: %v, want the store NOT_FOUND", err)
		}
		if _, err := db.Order(ctx, o.ID); domain.ErrorCode(err) != domain.CodeNotFound {
			t.Errorf("Order(%s) after the refusal: %v, want NOT_FOUND", o.ID, err)
		}
		var lines int64
		if err := db.gorm.Table("order_lines").Where("order_id = ?", o.ID).Count(&lines).Error; err != nil || lines != 0 {
			t.Errorf("%d lines of the refused order (%v), want none", lines, err)
		}
	})
}

// TestSQLiteReadsBesideAWriter reads an order on SQLite while a write
// transaction is open on the one writing connection: the read must not
// wait for the transaction, and must see what was committed before it, not
// the transaction's own write.
func TestSQLiteReadsBesideAWriter(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DataDir: t.TempDir()})
	s, items := seedStore(t, db)
	o := createQueued(t, db, s, items, "BESIDE-1", time.Now())
	ctx := context.Background()
	err := db.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE orders SET pos_attempts = pos_attempts + 1 WHERE id = ?", o.ID).Error; err != nil {
			return err
		}
		read := make(chan error, 1)
		go func() {
			got, err := db.ReadOrder(ctx, o.ID, false)
			if err == nil && got.PosSync.Attempts != o.PosSync.Attempts {
				err = fmt.Errorf("the read saw %d attempts, the uncommitted write's; want %d", got.PosSync.Attempts, o.PosSync.Attempts)
			}
			read <- err
		}()
		select {
		case err := <-read:
			return err
		case <-time.After(10 * time.Second):
			return fmt.Errorf("the read waited 10s for the open write transaction")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOrderRoundTrip(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		o := newOrder(t, store, items, "RT-1", time.Now().UTC().Truncate(time.Microsecond))
		email, dob, deal := "ada@example.com", "1990-02-03", "Deal"
		o.Customer.Email, o.Customer.DateOfBirth = &email, &dob
		o.Lines[0].DealTitle = &deal
		stored, created, events, err := db.CreateOrder(ctx, o, nil)
		if err != nil || !created || len(events) != 1 || events[0].Seq == 0 {
			t.Fatalf("CreateOrder: created %v, events %v, err %v", created, events, err)
		}
		got, err := db.Order(ctx, stored.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.CreatedAt != o.CreatedAt || *got.Customer.Email != email || *got.Customer.DateOfBirth != dob ||
			*got.Lines[0].DealTitle != deal || len(got.StatusHistory) != 1 || got.TotalCents != o.TotalCents {
			t.Errorf("read back %+v, want %+v", got, o)
		}
		again, created, _, err := db.CreateOrder(ctx, newOrder(t, store, items, "RT-1", time.Now()), nil)
		if err != nil || created || again.ID != o.ID {
			t.Errorf("duplicate CreateOrder: created %v, id %s (want %s), err %v", created, again.ID, o.ID, err)
		}
		ev, err := db.Event(ctx, events[0].Seq)
		if err != nil || ev.OrderStatus == nil || ev.OrderStatus.Order.ID != o.ID {
			t.Errorf("Event(%d) = %+v, %v", events[0].Seq, ev, err)
		}
	})
}

// TestOrdersPageIsFourStatements proves the order list reads a fixed number
// of statements whatever the page size and direction: no N+1.
func TestOrdersPageIsFourStatements(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		store, items := seedStore(t, db)
		start := time.Now().UTC().Truncate(time.Microsecond)
		for i := range 60 {
			if _, _, _, err := db.CreateOrder(context.Background(), newOrder(t, store, items, fmt.Sprintf("N-%d", i), start.Add(time.Duration(i)*time.Millisecond)), nil); err != nil {
				t.Fatal(err)
			}
		}
		middle, err := db.Orders(context.Background(), store.ID, domain.OrderFilter{}, domain.Page{First: 30}, domain.AllOrderParts)
		if err != nil {
			t.Fatal(err)
		}
		cursor := middle.Cursors[29]
		statements := countStatements(t, db)
		for _, n := range []int{1, 10, 25} {
			for name, page := range map[string]domain.Page{
				"first": {First: n}, "first after": {First: n, After: cursor},
				"last": {Last: &n}, "last before": {Last: &n, Before: cursor},
			} {
				statements.Store(0)
				got, err := db.Orders(context.Background(), store.ID, domain.OrderFilter{}, page, domain.AllOrderParts)
				if err != nil || len(got.Orders) != n {
					t.Fatalf("%s %d: %d orders, err %v", name, n, len(got.Orders), err)
				}
				if s := statements.Load(); s != 4 {
					t.Errorf("%s %d: %d statements, want 4", name, n, s)
				}
			}
		}
	})
}

// countStatements counts the statements db sends from now on, through
// gorm and through the reads scanned by hand. A dry run, how gorm renders a
// subquery, sends nothing.
func countStatements(t *testing.T, db *DB) *atomic.Int64 {
	t.Helper()
	var statements atomic.Int64
	reads := db.reads
	db.reads = func(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
		statements.Add(1)
		return reads(ctx, query, args, scan)
	}
	count := func(tx *gorm.DB) {
		if !tx.DryRun {
			statements.Add(1)
		}
	}
	for _, p := range []interface {
		Register(string, func(*gorm.DB)) error
	}{
		db.gorm.Callback().Query().After("gorm:query"), db.gorm.Callback().Row().After("gorm:row"),
	} {
		if err := p.Register("test:count", count); err != nil {
			t.Fatal(err)
		}
	}
	return &statements
}

func seedStore(t testing.TB, db *DB) (*domain.Store, map[string]domain.MenuItem) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	s := &domain.Store{ID: "store-" + t.Name(), Name: "S", TimeZone: "UTC", PickupEnabled: true,
		Integration: domain.Integration{Health: domain.HealthHealthy}, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateStore(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	items := map[string]domain.MenuItem{}
	for i := range 2 {
		id := fmt.Sprintf("item-%d-%s", i, t.Name())
		items[id] = domain.MenuItem{ID: id, StoreID: s.ID, Name: id, PosProductID: id, PriceCents: 500, Active: true}
	}
	list := make([]domain.MenuItem, 0, len(items))
	for _, it := range items {
		list = append(list, it)
	}
	if err := db.SaveMenuItems(context.Background(), list); err != nil {
		t.Fatal(err)
	}
	return s, items
}

func newOrder(t testing.TB, s *domain.Store, items map[string]domain.MenuItem, leaflyID string, at time.Time) *domain.Order {
	t.Helper()
	in := domain.SubmitOrder{StoreID: s.ID, LeaflyOrderID: leaflyID, FulfillmentMethod: domain.FulfillmentPickup,
		Customer: domain.Customer{FirstName: "Ada", LastName: "Lovelace"}}
	for id := range items {
		in.Lines = append(in.Lines, domain.SubmitLine{MenuItemID: id, Quantity: 2, UnitPriceCents: 500})
	}
	o, err := domain.NewOrder(fmt.Sprintf("o-%s-%d", leaflyID, at.UnixNano()), in, *s, items, at)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// createQueued creates an order like newOrder's, queued for the POS.
func createQueued(t testing.TB, db *DB, s *domain.Store, items map[string]domain.MenuItem, leaflyID string, at time.Time) *domain.Order {
	t.Helper()
	o := newOrder(t, s, items, leaflyID, at)
	o.PosSync.State = domain.PosQueued
	created, _, _, err := db.CreateOrder(context.Background(), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return created
}
