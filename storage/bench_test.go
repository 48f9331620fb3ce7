package storage

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// The benchmarks run on SQLite and, with TEST_DATABASE_URL, on
// PostgreSQL, each database with a store seeded with its menu. Those that
// write report cpu-ns/op, the process's own CPU per operation: on
// PostgreSQL a write's wall time is mostly the commit's flush, so its own
// CPU is what a change of the write shows in. Compare two versions with
// test binaries built before and after, run alternately.

// benchDB runs bench on each database.
func benchDB(b *testing.B, bench func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem)) {
	dbs := map[string]Config{"sqlite": {DataDir: b.TempDir()}}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		dbs["postgres"] = Config{DatabaseURL: pgtest.NewDatabase(b)}
	}
	for name, cfg := range dbs {
		db := mustOpen(b, cfg)
		store, items := seedStore(b, db)
		bench(b, name, db, store, items)
	}
}

// loopCPU runs op in b's loop and reports the process's CPU per op.
func loopCPU(b *testing.B, op func() error) {
	before := cpuTime(b)
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime(b)-before).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNotificationReads reads what the message of an order's
// notification needs: in one statement (OrderNotification), and as the
// three reads it replaced (Notification, Store, ReadOrder).
func BenchmarkNotificationReads(b *testing.B) {
	benchDB(b, func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem) {
		ctx := context.Background()
		at := time.Now().UTC()
		o := newOrder(b, store, items, "BENCH-1", at)
		id := "new_order:" + o.ID
		if _, _, _, err := db.CreateOrder(ctx, o, func(tx Tx, _ []domain.Event) error {
			return tx.AddNotification(domain.Notification{ID: id, Kind: domain.NotifyNewOrder, StoreID: store.ID, OrderID: &o.ID, CreatedAt: at}, nil)
		}); err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/one", func(b *testing.B) {
			for b.Loop() {
				if _, _, _, ok, err := db.OrderNotification(ctx, id); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run(name+"/three", func(b *testing.B) {
			for b.Loop() {
				n, err := db.Notification(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.Store(ctx, n.StoreID); err != nil {
					b.Fatal(err)
				}
				if _, err := db.ReadOrder(ctx, *n.OrderID, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkUpdateOrder is an order change with no status change (an
// attempt counted), the write every step of an order's send and every
// webhook makes: lock, save, log.
func BenchmarkUpdateOrder(b *testing.B) {
	benchDB(b, func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem) {
		ctx := context.Background()
		o := newOrder(b, store, items, "BENCH-1", time.Now().UTC())
		if _, _, _, err := db.CreateOrder(ctx, o, nil); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			loopCPU(b, func() error {
				_, _, err := db.UpdateOrder(ctx, o.ID, func(o *domain.Order) error {
					o.PosSync.Attempts++
					return nil
				}, nil)
				return err
			})
		})
	})
}

// BenchmarkIntakeReads are the reads every submitted order makes before
// its transaction: its lines' menu items, and whether the store has the
// order already (it has not).
func BenchmarkIntakeReads(b *testing.B) {
	benchDB(b, func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem) {
		ctx := context.Background()
		var ids []string
		for id := range items {
			ids = append(ids, id)
		}
		b.Run(name, func(b *testing.B) {
			loopCPU(b, func() error {
				found, err := db.MenuItemsByID(ctx, store.ID, ids)
				if err != nil || len(found) != len(ids) {
					return fmt.Errorf("%d of %d menu items: %v", len(found), len(ids), err)
				}
				if o, err := db.OrderByLeaflyID(ctx, store.ID, "NEW-1"); err != nil || o != nil {
					return fmt.Errorf("order %v: %v", o, err)
				}
				return nil
			})
		})
	})
}

// BenchmarkCreateOrder stores a new order with its outbox row, as a
// submitted order does (without the job, which is River's).
func BenchmarkCreateOrder(b *testing.B) {
	benchDB(b, func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem) {
		ctx := context.Background()
		b.Run(name, func(b *testing.B) {
			i := 0
			loopCPU(b, func() error {
				i++
				o := newOrder(b, store, items, fmt.Sprintf("BENCH-%d", i), time.Now().UTC())
				_, created, _, err := db.CreateOrder(ctx, o, func(tx Tx, _ []domain.Event) error {
					return tx.AddNotification(domain.Notification{ID: "new_order:" + o.ID, Kind: domain.NotifyNewOrder,
						StoreID: store.ID, OrderID: &o.ID, CreatedAt: o.CreatedAt}, nil)
				})
				if err == nil && !created {
					err = fmt.Errorf("order %s not created", o.LeaflyOrderID)
				}
				return err
			})
		})
	})
}

// BenchmarkRecordCalls keeps the three calls to Lightspeed a new
// shopper's order makes, as sending it does.
func BenchmarkRecordCalls(b *testing.B) {
	benchDB(b, func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem) {
		ctx := context.Background()
		o := newOrder(b, store, items, "BENCH-1", time.Now().UTC())
		if _, _, _, err := db.CreateOrder(ctx, o, nil); err != nil {
			b.Fatal(err)
		}
		now := time.Now()
		calls := []domain.PosCall{{OrderID: o.ID, StartedAt: now, Method: "GET", Path: "/api/2026-07/search", Status: 200, Duration: 40 * time.Millisecond},
			{OrderID: o.ID, StartedAt: now, Method: "POST", Path: "/api/2026-07/customers", Status: 201, Duration: 60 * time.Millisecond},
			{OrderID: o.ID, StartedAt: now, Method: "POST", Path: "/api/2026-07/sales", Status: 201, Duration: 90 * time.Millisecond}}
		b.Run(name, func(b *testing.B) {
			loopCPU(b, func() error { return db.RecordCalls(ctx, calls) })
		})
	})
}

// BenchmarkReadOrder reads orders by id, as order(id) does, each read a
// different order of 100, after ANALYZE has given the planner its
// statistics (as cmd/loadtest's seed does).
func BenchmarkReadOrder(b *testing.B) {
	benchDB(b, func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem) {
		ctx := context.Background()
		var ids []string
		for i := range 100 {
			ids = append(ids, createQueued(b, db, store, items, fmt.Sprintf("READ-%d", i), time.Now()).ID)
		}
		if _, err := db.SQL().ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			i := 0
			loopCPU(b, func() error {
				i++
				_, err := db.ReadOrder(ctx, ids[i%len(ids)], false)
				return err
			})
		})
	})
}

// pageParts are the parts of an order the load program's orders-page
// scenario selects: id and status, lines and status history.
const pageParts = domain.PartLines | domain.PartHistory

// BenchmarkOrdersPage reads pages of 50 orders, with the parts the load
// program's orders-page scenario selects, at random depths of a store of
// 20,000 imported orders (two or three lines and one to four status changes
// each), as that scenario does.
func BenchmarkOrdersPage(b *testing.B) {
	benchDB(b, func(b *testing.B, name string, db *DB, store *domain.Store, items map[string]domain.MenuItem) {
		ctx := context.Background()
		var menu []domain.MenuItem
		for _, it := range items {
			menu = append(menu, it)
		}
		statuses := []domain.Status{domain.StatusPending, domain.StatusConfirmed, domain.StatusReady, domain.StatusPickedUp}
		newest := time.Now().UTC().Truncate(time.Microsecond)
		var cursors []string
		const n = 20_000
		for done := 0; done < n; done += 1000 {
			chunk := make([]*domain.Order, 1000)
			for i := range chunk {
				k := done + i
				at := newest.Add(-time.Duration(k) * time.Minute)
				o := &domain.Order{ID: fmt.Sprintf("page-%06d", k), StoreID: store.ID, LeaflyOrderID: fmt.Sprintf("PAGE-%06d", k),
					FulfillmentMethod: domain.FulfillmentPickup, Customer: domain.Customer{FirstName: "A", LastName: "B"},
					PosSync: domain.PosSync{State: domain.PosNotApplicable}, CreatedAt: at}
				for l := range 2 + k%2 {
					it := menu[l%len(menu)]
					o.Lines = append(o.Lines, domain.OrderLine{MenuItemID: it.ID, Name: it.Name, Quantity: 1 + l, UnitPriceCents: it.PriceCents})
				}
				for h, s := range statuses[:1+k%len(statuses)] {
					o.Status, o.UpdatedAt = s, at.Add(time.Duration(h)*time.Second)
					o.StatusHistory = append(o.StatusHistory, domain.StatusChange{Status: s, Source: domain.SourceDashboard, OccurredAt: o.UpdatedAt})
				}
				chunk[i] = o
				if k < n-50 {
					cursors = append(cursors, encodeCursor(o.CreatedAt, o.ID))
				}
			}
			if err := db.ImportOrders(ctx, chunk); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := db.SQL().ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			i := 0
			loopCPU(b, func() error {
				i = (i + 7919) % len(cursors)
				p, err := db.Orders(ctx, store.ID, domain.OrderFilter{}, domain.Page{First: 50, After: cursors[i]}, pageParts)
				if err == nil && len(p.Orders) != 50 {
					err = fmt.Errorf("page after %d: %d orders", i, len(p.Orders))
				}
				return err
			})
		})
	})
}
