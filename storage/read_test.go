package storage

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// TestReadOrderInOneStatement reads orders of no line, one line and many
// lines, with and without their history: one statement without it, two
// with it, and the same order either way.
func TestReadOrderInOneStatement(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		at := time.Now().UTC().Truncate(time.Microsecond)
		orders := map[int]*domain.Order{}
		for i, o := range seedConfirmedOrders(t, db, at, 0, 1, 40) {
			orders[[]int{0, 1, 40}[i]] = o
		}
		statements := countStatements(t, db)
		for n, want := range orders {
			for _, history := range []bool{false, true} {
				statements.Store(0)
				got, err := db.ReadOrder(ctx, want.ID, history)
				if err != nil {
					t.Fatalf("%d lines, history %v: %v", n, history, err)
				}
				if s, wantS := statements.Load(), map[bool]int64{false: 1, true: 2}[history]; s != wantS {
					t.Errorf("%d lines, history %v: %d statements, want %d", n, history, s, wantS)
				}
				if !reflect.DeepEqual(got.Lines, want.Lines) {
					t.Errorf("%d lines, history %v: lines %+v, want %+v", n, history, got.Lines, want.Lines)
				}
				if got.ID != want.ID || got.Status != domain.StatusConfirmed || got.CreatedAt != at || got.TotalCents != want.TotalCents {
					t.Errorf("%d lines: read %+v", n, got)
				}
				wantHistory := 0
				if history {
					wantHistory = 2
				}
				if len(got.StatusHistory) != wantHistory ||
					(history && (got.StatusHistory[1].Status != domain.StatusConfirmed || !got.StatusHistory[1].OccurredAt.Equal(at.Add(time.Second)))) {
					t.Errorf("%d lines, history %v: history %+v", n, history, got.StatusHistory)
				}
			}
		}
		_, err := db.ReadOrder(ctx, "no-such-order", false)
		wantNotFound(t, "ReadOrder(no-such-order)", err)
	})
}

// TestOrdersPageDetails pages orders of no line and many lines: each
// order gets its own lines and history, in order, and the page's edges
// (a full list, the end, past the end) say whether more pages lie beyond.
func TestOrdersPageDetails(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		start := time.Now().UTC().Truncate(time.Microsecond)
		var created []*domain.Order
		for i := range 5 {
			o := newOrder(t, store, items, fmt.Sprintf("P-%d", i), start.Add(time.Duration(i)*time.Second))
			for range i * 7 {
				o.Lines = append(o.Lines, o.Lines[0])
			}
			if _, _, _, err := db.CreateOrder(ctx, o, nil); err != nil {
				t.Fatal(err)
			}
			created = append(created, o)
		}
		if err := db.gorm.Exec("DELETE FROM order_lines WHERE order_id = ?", created[2].ID).Error; err != nil {
			t.Fatal(err)
		}
		created[2].Lines = nil
		page, err := db.Orders(ctx, store.ID, domain.OrderFilter{}, domain.Page{First: 5}, domain.AllOrderParts)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Orders) != 5 || page.Total != 5 || page.HasNext || page.HasPrevious {
			t.Fatalf("whole list: %d orders of %d, next %v, previous %v", len(page.Orders), page.Total, page.HasNext, page.HasPrevious)
		}
		for i, got := range page.Orders {
			want := created[4-i]
			if got.ID != want.ID || !reflect.DeepEqual(got.Lines, want.Lines) || len(got.StatusHistory) != 1 ||
				got.StatusHistory[0].Status != domain.StatusPending || !got.CreatedAt.Equal(want.CreatedAt) {
				t.Errorf("order %d: got %s with %d lines, %+v; want %s with %d lines", i, got.ID, len(got.Lines), got.StatusHistory, want.ID, len(want.Lines))
			}
		}
		last, err := db.Orders(ctx, store.ID, domain.OrderFilter{}, domain.Page{First: 2, After: page.Cursors[2]}, domain.AllOrderParts)
		if err != nil || len(last.Orders) != 2 || last.Orders[1].ID != created[0].ID || last.HasNext || !last.HasPrevious {
			t.Errorf("last page: %+v, %v", last, err)
		}
		past, err := db.Orders(ctx, store.ID, domain.OrderFilter{}, domain.Page{First: 2, After: page.Cursors[4]}, domain.AllOrderParts)
		if err != nil || len(past.Orders) != 0 || past.HasNext || !past.HasPrevious {
			t.Errorf("past the end: %+v, %v", past, err)
		}
	})
}

// seedConfirmedOrders creates, in a store of its own, an order of each
// number of lines (0 for none), each moved to CONFIRMED a second after at:
// two status changes.
func seedConfirmedOrders(t *testing.T, db *DB, at time.Time, lines ...int) []*domain.Order {
	t.Helper()
	ctx := context.Background()
	store, items := seedStore(t, db)
	orders := make([]*domain.Order, len(lines))
	for i, n := range lines {
		o := createWithLines(t, db, store, items, fmt.Sprintf("L-%d-%d", i, n), n, at)
		if _, _, err := db.UpdateOrder(ctx, o.ID, func(o *domain.Order) error {
			_, err := o.Move(domain.StatusConfirmed, domain.SourceDashboard, at.Add(time.Second))
			return err
		}, nil); err != nil {
			t.Fatal(err)
		}
		orders[i] = o
	}
	return orders
}

// createWithLines creates an order of store with n lines (0 for none).
func createWithLines(t *testing.T, db *DB, store *domain.Store, items map[string]domain.MenuItem, leaflyID string, n int, at time.Time) *domain.Order {
	t.Helper()
	o := newOrder(t, store, items, leaflyID, at)
	o.Lines = linesLike(o.Lines[0], max(n, 1))
	if _, _, _, err := db.CreateOrder(context.Background(), o, nil); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		if err := db.gorm.Exec("DELETE FROM order_lines WHERE order_id = ?", o.ID).Error; err != nil {
			t.Fatal(err)
		}
		o.Lines = nil
	}
	return o
}

// linesLike returns n lines like line, of quantities 1 to n, every second
// one with a deal.
func linesLike(line domain.OrderLine, n int) []domain.OrderLine {
	lines := make([]domain.OrderLine, n)
	for i := range lines {
		lines[i] = line
		lines[i].Quantity = i + 1
		if i%2 == 1 {
			lines[i].DiscountedUnitPriceCents, lines[i].DealTitle = new(int64(400+i)), new(fmt.Sprintf("deal %d", i))
		}
	}
	return lines
}

// TestUpdateOrderReadsTheOrder: the order an update hands its change is the
// order as ReadOrder reads it, lines (none, one, many, with deals) and
// history included; an update of no order is ErrOrderNotFound.
func TestUpdateOrderReadsTheOrder(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		at := time.Now().UTC().Truncate(time.Microsecond)
		for _, n := range []int{0, 1, 40} {
			o := createWithLines(t, db, store, items, fmt.Sprintf("U-%d", n), n, at)
			for step, status := range []domain.Status{domain.StatusConfirmed, domain.StatusReady} {
				want, err := db.ReadOrder(ctx, o.ID, true)
				if err != nil {
					t.Fatal(err)
				}
				var got domain.Order
				if _, _, err := db.UpdateOrder(ctx, o.ID, func(o *domain.Order) error {
					got = *o
					got.Lines, got.StatusHistory = slices.Clone(o.Lines), slices.Clone(o.StatusHistory)
					_, err := o.Move(status, domain.SourceDashboard, at.Add(time.Duration(step+1)*time.Second))
					return err
				}, nil); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(&got, want) {
					t.Errorf("%d lines, update %d: the update read\n%+v\nReadOrder read\n%+v", n, step+1, got, *want)
				}
			}
		}
		_, _, err := db.UpdateOrder(ctx, "no-such-order", func(*domain.Order) error { return nil }, nil)
		wantNotFound(t, "UpdateOrder(no-such-order)", err)
	})
}

// TestOrderScope reads an order's store and whether its integration is on;
// no order is ErrOrderNotFound.
func TestOrderScope(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		o, _, _, err := db.CreateOrder(ctx, newOrder(t, store, items, "SCOPE-1", time.Now().UTC()), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, enabled := range []bool{false, true} {
			if _, _, err := db.UpdateStore(ctx, store.ID, func(s *domain.Store) error {
				s.Integration.Enabled = enabled
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got, err := db.OrderScope(ctx, o.ID); err != nil || got != (OrderScope{StoreID: store.ID, IntegrationEnabled: enabled}) {
				t.Errorf("integration enabled %v: %+v, %v", enabled, got, err)
			}
		}
		_, err = db.OrderScope(ctx, "no-such-order")
		wantNotFound(t, "OrderScope(no-such-order)", err)
	})
}

// TestOrderNotification reads a notification of an order with its store
// and order as Notification, Store and ReadOrder read them, for an order
// of no line and of many; a notification of no order is not one.
func TestOrderNotification(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		at := time.Now().UTC().Truncate(time.Microsecond)
		for i, lines := range []int{0, len(items)} {
			o := newOrder(t, store, items, fmt.Sprintf("N-%d", i), at)
			id := "order_status:" + o.ID + ":CONFIRMED"
			if _, _, _, err := db.CreateOrder(ctx, o, func(tx Tx, _ []domain.Event) error {
				return tx.AddNotification(domain.Notification{ID: id, Kind: domain.NotifyOrderStatus, StoreID: store.ID,
					OrderID: &o.ID, Status: new(domain.StatusConfirmed), PreviousStatus: new(domain.StatusPending), CreatedAt: at}, nil)
			}); err != nil {
				t.Fatal(err)
			}
			if lines == 0 {
				if err := db.gorm.Exec("DELETE FROM order_lines WHERE order_id = ?", o.ID).Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := db.NotificationSent(ctx, id); err != nil {
				t.Fatal(err)
			}
			n, s, got, ok, err := db.OrderNotification(ctx, id)
			if err != nil || !ok {
				t.Fatalf("%d lines: %v, %v", lines, ok, err)
			}
			wantN, err := db.Notification(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			wantS, err := db.Store(ctx, store.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantO, err := db.ReadOrder(ctx, o.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(n, wantN) || !reflect.DeepEqual(s, wantS) || !reflect.DeepEqual(got, wantO) || len(got.Lines) != lines {
				t.Errorf("%d lines: read\n%+v\n%+v\n%+v\nwant\n%+v\n%+v\n%+v", lines, n, s, got, wantN, wantS, wantO)
			}
		}
		alert := domain.Notification{ID: "alert_raised:a-1", Kind: domain.NotifyAlertRaised, StoreID: store.ID, AlertID: new("a-1"), CreatedAt: at}
		if err := db.gorm.Create(new(notificationRow(alert))).Error; err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{alert.ID, "no-such-notification"} {
			if _, _, _, ok, err := db.OrderNotification(ctx, id); err != nil || ok {
				t.Errorf("%s: %v, %v; want not a notification of an order", id, ok, err)
			}
		}
	})
}

// wantNotFound fails the test unless err is a not-found domain error.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	var nf *domain.Error
	if !errors.As(err, &nf) || nf.Code != domain.CodeNotFound {
		t.Errorf("%s: %v, want not found", what, err)
	}
}

// TestReadCanceledMidway: on PostgreSQL a read whose context ends while the
// database is still answering fails with the context's error, and the reads
// after it, on the pool's one connection, succeed: pgx closes the
// interrupted connection, and the pool does not hand it out again.
func TestReadCanceledMidway(t *testing.T) {
	t.Parallel()
	db := mustOpen(t, Config{DatabaseURL: pgtest.NewDatabase(t), MaxOpenConns: 1})
	store, items := seedStore(t, db)
	o := createQueued(t, db, store, items, "C-1", time.Now().UTC())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := db.reads(ctx, "SELECT pg_sleep(30)", nil, func(rows rowScanner) error {
		for rows.Next() {
		}
		return rows.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want context.DeadlineExceeded", err)
	}
	for i := range 3 {
		got, err := db.ReadOrder(context.Background(), o.ID, true)
		if err != nil || got.ID != o.ID || len(got.Lines) != len(o.Lines) {
			t.Fatalf("read %d after the canceled one: %+v, %v", i, got, err)
		}
	}
}
