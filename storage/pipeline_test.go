package storage

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/leafly/lightspeed-orders/domain"
	"github.com/leafly/lightspeed-orders/internal/pgtest"
)

// TestPendingWritesGoFirst reads, in the transaction of a change, the rows
// its earlier writes hold back on PostgreSQL (see pipeTx): every statement
// sees the writes before it.
func TestPendingWritesGoFirst(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		at := time.Now().UTC().Truncate(time.Microsecond)
		o := createQueued(t, db, store, items, "P-1", at)
		var added []string
		_, _, err := db.UpdateOrder(ctx, o.ID, confirmAt(at), func(tx Tx, _ []domain.Event) error {
			n := domain.Notification{ID: "seen:" + o.ID, Kind: domain.NotifyOrderStatus, StoreID: store.ID, OrderID: &o.ID, CreatedAt: at}
			if err := tx.AddNotification(n, func() { added = append(added, n.ID) }); err != nil {
				return err
			}
			// Held on PostgreSQL until the next statement; at once on SQLite.
			if held := len(added) == 0; held != db.postgres {
				t.Errorf("outbox row written before the next statement: %v, want %v", !held, !db.postgres)
			}
			var got struct {
				Status        string
				Notifications int
			}
			err := tx.g.Raw(`SELECT (SELECT status FROM orders WHERE id = ?) AS status,
				(SELECT count(*) FROM notifications WHERE id = ?) AS notifications`, o.ID, n.ID).Scan(&got).Error
			if err != nil {
				return err
			}
			if got.Status != string(domain.StatusConfirmed) || got.Notifications != 1 || len(added) != 1 {
				t.Errorf("in the transaction: status %s, %d notifications, added %v; want CONFIRMED, 1, [%s]", got.Status, got.Notifications, added, n.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestFailedPendingWriteLosesNothing fails a write held back to the end
// of a change: the change fails and nothing of it is kept, the order's
// update included.
func TestFailedPendingWriteLosesNothing(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		store, items := seedStore(t, db)
		at := time.Now().UTC().Truncate(time.Microsecond)
		o := createQueued(t, db, store, items, "F-1", at)
		added := false
		_, _, err := db.UpdateOrder(ctx, o.ID, confirmAt(at), func(tx Tx, _ []domain.Event) error {
			// No such order: the outbox row's foreign key fails, at the
			// commit's round trip at the latest.
			missing := "no-such-order"
			if err := tx.AddNotification(domain.Notification{ID: "bad:" + o.ID, Kind: domain.NotifyOrderStatus, StoreID: store.ID,
				OrderID: &missing, CreatedAt: at}, func() { added = true }); err != nil {
				return err
			}
			// A single-row read cannot return the held write's failure
			// itself: the change's error still names it.
			var one int
			return tx.g.Raw("SELECT 1").Row().Scan(&one)
		})
		if err == nil || added || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Fatalf("update with a bad outbox row: err %v, added %v; want the foreign key's error, not added", err, added)
		}
		got, err := db.ReadOrder(ctx, o.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != o.Status || len(got.StatusHistory) != len(o.StatusHistory) {
			t.Errorf("after the failed update: %s with %d history entries; want %s with %d", got.Status, len(got.StatusHistory), o.Status, len(o.StatusHistory))
		}
		evs, err := db.EventsAfter(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			if ev.Update != nil && ev.Update.Order.ID == o.ID && ev.OrderStatus != nil && ev.OrderStatus.Status == domain.StatusConfirmed {
				t.Errorf("the failed update's event %d is in the log", ev.Seq)
			}
		}
	})
}

// TestAnnounceOrderEvents has order changes announce their events as they
// commit: one notice per event, in order, with the broker's payload, and
// none for a change that rolls back (which comes between the two changes:
// a notice of it would come before the second's).
func TestAnnounceOrderEvents(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	db := mustOpen(t, Config{DatabaseURL: url})
	db.AnnounceOrderEvents("test_announce", "replica-a")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	listener, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	if _, err := listener.Exec(ctx, "LISTEN test_announce"); err != nil {
		t.Fatal(err)
	}
	store, items := seedStore(t, db)
	at := time.Now().UTC().Truncate(time.Microsecond)
	created, _, createdEvs, err := db.CreateOrder(ctx, newOrder(t, store, items, "A-1", at), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.UpdateOrder(ctx, created.ID, func(o *domain.Order) error {
		if _, err := o.Move(domain.StatusConfirmed, domain.SourcePOS, at); err != nil {
			return err
		}
		return errRolledBack
	}, nil); err == nil {
		t.Fatal("the rolled back update succeeded")
	}
	_, evs, err := db.UpdateOrder(ctx, created.ID, func(o *domain.Order) error {
		for _, s := range []domain.Status{domain.StatusConfirmed, domain.StatusReady} {
			if _, err := o.Move(s, domain.SourcePOS, at); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(createdEvs, evs...)
	for i, ev := range want {
		if !ev.Announced {
			t.Errorf("event %d is not Announced", ev.Seq)
		}
		n, err := listener.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("notice %d of %d: %v", i+1, len(want), err)
		}
		var got struct {
			Seq    int64  `json:"seq"`
			Store  string `json:"store"`
			Origin string `json:"origin"`
		}
		if err := json.Unmarshal([]byte(n.Payload), &got); err != nil || got.Seq != ev.Seq || got.Store != store.ID || got.Origin != "replica-a" {
			t.Errorf("notice %d: %s (%v); want seq %d of store %s from replica-a", i+1, n.Payload, err, ev.Seq, store.ID)
		}
	}
}

var errRolledBack = errors.New("rolled back on purpose")

// confirmAt is an order change that confirms the order at at.
func confirmAt(at time.Time) func(*domain.Order) error {
	return func(o *domain.Order) error {
		_, err := o.Move(domain.StatusConfirmed, domain.SourcePOS, at)
		return err
	}
}
